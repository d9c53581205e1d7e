//! Reading certificates back, and TLS host-name matching as clients do it.

use rcgen::{CertificateParams, DnType, KeyPair};

use super::*;
use crate::pki::generate::generate;
use crate::pki::testkit::{ca, ca_under, clock, leaf, profiled, spec};
use crate::topology::pki::{KeyType, Profile};

/// A certificate with these SANs and, optionally, this CN (no CN: an empty subject).
fn cert(sans: &[&str], cn: Option<&str>) -> CertInfo {
    let mut params = CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .expect("valid SANs");
    params.distinguished_name = rcgen::DistinguishedName::new();
    if let Some(cn) = cn {
        params.distinguished_name.push(DnType::CommonName, cn);
    }
    let key = KeyPair::generate().expect("key");
    let der = params.self_signed(&key).expect("signs").der().clone();
    CertInfo::from_der(&der).expect("reads back")
}

#[test]
fn dns_sans_match_exactly_ignoring_case_and_a_trailing_dot() {
    let c = cert(&["ts-a.lab.example"], Some("ignored.example"));
    for (host, want) in [
        ("ts-a.lab.example", true),
        ("TS-A.Lab.Example", true),
        ("ts-a.lab.example.", true),
        ("ts-b.lab.example", false),
        ("lab.example", false),
        ("x.ts-a.lab.example", false),
        ("ignored.example", false),
        ("", false),
    ] {
        assert_eq!(c.names_host(host), want, "{host}");
    }
}

#[test]
fn a_wildcard_stands_for_exactly_one_left_most_label() {
    let c = cert(&["*.lab.example"], None);
    for (host, want) in [
        ("ts-a.lab.example", true),
        ("TS-B.LAB.EXAMPLE", true),
        ("lab.example", false),
        ("a.b.lab.example", false),
        (".lab.example", false),
    ] {
        assert_eq!(c.names_host(host), want, "{host}");
    }
    let too_wide = cert(&["*.example"], None);
    assert!(
        !too_wide.names_host("lab.example"),
        "a wildcard needs two labels after it"
    );
}

#[test]
fn ip_sans_match_ip_literals_only() {
    let c = cert(&["10.0.0.7", "2001:db8::1", "db.example"], None);
    assert_eq!(c.sans, vec!["10.0.0.7", "2001:db8::1", "db.example"]);
    assert!(c.names_host("10.0.0.7"));
    assert!(c.names_host("2001:DB8::1"));
    assert!(c.names_host("[2001:db8::1]"));
    assert!(!c.names_host("10.0.0.8"));
    let dns_only = cert(&["10-0-0-7.example"], None);
    assert!(!dns_only.names_host("10.0.0.7"));
}

#[test]
fn the_common_name_counts_only_without_sans() {
    let cn_only = cert(&[], Some("legacy.lab.example"));
    assert!(cn_only.sans.is_empty());
    assert!(cn_only.names_host("legacy.lab.example"));
    assert!(!cn_only.names_host("other.lab.example"));
    let with_san = cert(&["new.lab.example"], Some("legacy.lab.example"));
    assert!(!with_san.names_host("legacy.lab.example"));
}

#[test]
fn without_an_eku_extension_a_certificate_serves_both_sides() {
    let c = cert(&["x.example"], Some("x.example"));
    assert!(c.server_auth && c.client_auth);
    assert!(c.self_signed);
    assert_eq!(c.key_type, "ECDSA P-256");
}

#[test]
fn inspect_reads_every_ca_and_leaf_of_the_material() {
    let mut rsa = leaf("rsa", "inter", &["rsa.example"]);
    rsa.key_type = KeyType::Rsa2048;
    let s = spec(
        vec![ca("root"), ca_under("inter", "root")],
        vec![
            leaf("ts-a", "inter", &["ts-a.example"]),
            profiled("cli", "root", &["c.example"], Profile::NoServerAuth),
            rsa,
        ],
    );
    let m = generate(&s, clock()).expect("generates");
    let i = inspect(&m).expect("reads back");
    assert_eq!(i.cas.keys().collect::<Vec<_>>(), vec!["inter", "root"]);
    assert_eq!(
        i.certs.keys().collect::<Vec<_>>(),
        vec!["cli", "rsa", "ts-a"]
    );
    assert!(i.cas["root"].self_signed);
    assert!(!i.cas["inter"].self_signed);
    assert_eq!(i.cas["inter"].issuer, i.cas["root"].subject);
    assert_eq!(i.certs["ts-a"].issuer, i.cas["inter"].subject);
    assert_eq!(i.certs["rsa"].key_type, "RSA 2048");
    assert!(!i.certs["cli"].server_auth && i.certs["cli"].client_auth);
    assert!(i.certs["ts-a"].names_host("ts-a.example"));
    let json = serde_json::to_value(&i.certs["ts-a"]).expect("serialises");
    assert_eq!(json["not_after"], "2031-06-01T08:00:00Z");
}

#[test]
fn serial_and_fingerprint_read_as_openssl_prints_them() {
    // SHA-256 of nothing, the value every implementation agrees on.
    assert_eq!(
        fingerprint(&CertificateDer::from(Vec::new())),
        "e3:b0:c4:42:98:fc:1c:14:9a:fb:f4:c8:99:6f:b9:24:\
         27:ae:41:e4:64:9b:93:4c:a4:95:99:1b:78:52:b8:55"
    );
    let mut params = rcgen::CertificateParams::new(vec!["a.example".to_string()]).expect("params");
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&[0x3f, 0xa2, 0x01]));
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("certificate");
    let info = CertInfo::from_der(cert.der()).expect("read back");
    assert_eq!(info.serial, "3f:a2:01");
    assert_eq!(info.sha256, fingerprint(cert.der()));
    assert_eq!(info.sha256.len(), 32 * 3 - 1);
}

#[test]
fn the_subject_alone_is_the_whole_readings_subject_and_fails_when_it_fails() {
    for cn in [Some("ts-a.lab.example"), None] {
        let mut params =
            CertificateParams::new(vec!["ts-a.lab.example".to_string()]).expect("valid SANs");
        params.distinguished_name = rcgen::DistinguishedName::new();
        if let Some(cn) = cn {
            params.distinguished_name.push(DnType::CommonName, cn);
            params
                .distinguished_name
                .push(DnType::OrganizationName, "Lab");
        }
        let key = KeyPair::generate().expect("key");
        let der = params.self_signed(&key).expect("signs").der().clone();
        let whole = CertInfo::from_der(&der).expect("reads back");
        assert_eq!(
            CertInfo::subject_of(&der).expect("reads back"),
            whole.subject
        );
    }
    let garbage = rustls::pki_types::CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x01]);
    assert!(CertInfo::from_der(&garbage).is_err());
    assert!(CertInfo::subject_of(&garbage).is_err());
}
