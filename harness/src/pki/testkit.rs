//! Helpers shared by the `pki` unit tests: PKI descriptions built in code, a fixed clock,
//! PEM files made at test time (rcgen, and the `openssl` CLI for PKCS#1 and SEC1 keys), and
//! certificate parsing for assertions. No key is ever checked in.

use std::path::{Path, PathBuf};
use std::process::Command;

use time::OffsetDateTime;
use time::macros::datetime;
use x509_parser::certificate::X509Certificate;

use crate::diag::Span;
use crate::topology::pki::{CaSpec, CertSpec, KeyType, PemFiles, PkiSpec, Profile, TimeSpec};

pub const DAY: i64 = 86_400;

/// The reference instant of the tests: far from the wall clock on purpose.
pub fn clock() -> OffsetDateTime {
    datetime!(2030-06-01 08:00:00 UTC)
}

/// A root CA named `name`, subject `CN=<name>`.
pub fn ca(name: &str) -> CaSpec {
    CaSpec {
        name: name.to_string(),
        subject: format!("CN={name},O=hapair tests"),
        issuer: None,
        key_type: KeyType::EcdsaP256,
        not_before: TimeSpec::Offset(-DAY),
        not_after: TimeSpec::Offset(3650 * DAY),
        pem: None,
        span: Span::default(),
    }
}

/// An intermediate CA under `issuer`.
pub fn ca_under(name: &str, issuer: &str) -> CaSpec {
    CaSpec {
        issuer: Some(issuer.to_string()),
        ..ca(name)
    }
}

/// A leaf as the loader makes it with no profile: both usages, valid a day before to a year
/// after the clock.
pub fn leaf(name: &str, issuer: &str, hosts: &[&str]) -> CertSpec {
    CertSpec {
        name: name.to_string(),
        issuer: Some(issuer.to_string()),
        subject: None,
        hosts: hosts.iter().map(|h| h.to_string()).collect(),
        key_type: KeyType::EcdsaP256,
        not_before: TimeSpec::Offset(-DAY),
        not_after: TimeSpec::Offset(365 * DAY),
        server_auth: true,
        client_auth: true,
        profile: None,
        send_chain: true,
        pem: None,
        span: Span::default(),
    }
}

/// A leaf with `profile`, its validity and usages shifted as the loader does.
pub fn profiled(name: &str, issuer: &str, hosts: &[&str], profile: Profile) -> CertSpec {
    let mut c = leaf(name, issuer, hosts);
    c.profile = Some(profile);
    match profile {
        Profile::Expired => {
            (c.not_before, c.not_after) = (TimeSpec::Offset(-366 * DAY), TimeSpec::Offset(-DAY))
        }
        Profile::NotYetValid => c.not_before = TimeSpec::Offset(DAY),
        Profile::NoServerAuth => c.server_auth = false,
        Profile::NoClientAuth => c.client_auth = false,
        Profile::SelfSigned => c.issuer = None,
        Profile::WrongHost | Profile::OtherCa => {}
    }
    c
}

/// A description of CAs and leaves.
pub fn spec(cas: Vec<CaSpec>, certs: Vec<CertSpec>) -> PkiSpec {
    PkiSpec {
        clock: None,
        cas,
        certs,
    }
}

/// The user's files for a CA or leaf.
pub fn files(cert: &Path, key: Option<&Path>) -> PemFiles {
    PemFiles {
        cert: cert.to_path_buf(),
        key: key.map(Path::to_path_buf),
    }
}

/// Writes `text` to `dir/name`.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("test file written");
    path
}

/// Parses a DER certificate for assertions.
pub fn x509(der: &[u8]) -> X509Certificate<'_> {
    x509_parser::parse_x509_certificate(der)
        .expect("generated certificate parses")
        .1
}

/// Runs the `openssl` CLI (CI installs it), returning stdout; panics with its stderr.
pub fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl CLI is installed (ci/test installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A self-signed certificate with `hosts` for an rcgen key, as PEM.
pub fn self_signed(key: &rcgen::KeyPair, hosts: &[&str]) -> String {
    let params =
        rcgen::CertificateParams::new(hosts.iter().map(|h| h.to_string()).collect::<Vec<_>>())
            .expect("valid test hosts");
    params.self_signed(key).expect("rcgen signs").pem()
}
