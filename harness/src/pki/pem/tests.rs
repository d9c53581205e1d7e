//! The user's PEM files: every key form and certificate algorithm loads, and every class of
//! bad file is an error that names the file and says why. Inputs are made at test time.

use std::path::{Path, PathBuf};

use rcgen::{CertificateParams, KeyPair};

use super::*;
use crate::pki::generate::generate;
use crate::pki::testkit::{self, ca, ca_under, clock, leaf, openssl, spec};

struct Made {
    dir: tempfile::TempDir,
}

impl Made {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        testkit::write(self.dir.path(), name, text)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn str(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

/// A fresh ECDSA key (PKCS#8) and its self-signed certificate, written as `<stem>.key/.pem`.
fn ecdsa_pair(m: &Made, stem: &str) -> (PathBuf, PathBuf) {
    let key = KeyPair::generate().expect("key");
    let cert = m.write(
        &format!("{stem}.pem"),
        &testkit::self_signed(&key, &["u.example"]),
    );
    (cert, m.write(&format!("{stem}.key"), &key.serialize_pem()))
}

fn err_text(r: Result<impl Sized, PkiError>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

fn load_pair(cert: &Path, key: &Path) -> Result<UserFiles, PkiError> {
    load(&testkit::files(cert, Some(key)))
}

#[test]
fn pkcs8_ecdsa_key_and_certificate_load() {
    let m = Made::new();
    let (cert, key) = ecdsa_pair(&m, "u");
    let user = load_pair(&cert, &key).expect("loads");
    assert_eq!(user.chain.len(), 1);
    let key = user.key.expect("key");
    assert!(matches!(key.der, PrivateKeyDer::Pkcs8(_)));
    assert!(key.pem.starts_with("-----BEGIN PRIVATE KEY-----"));
}

#[test]
fn sec1_ecdsa_keys_load_and_keep_their_form() {
    let m = Made::new();
    let (cert, key) = ecdsa_pair(&m, "u");
    let sec1 = m.write(
        "u.sec1",
        &String::from_utf8_lossy(&openssl(&["ec", "-in", &key.display().to_string()])),
    );
    assert!(
        std::fs::read_to_string(&sec1)
            .expect("written")
            .contains("BEGIN EC PRIVATE KEY")
    );
    let user = load_pair(&cert, &sec1).expect("loads");
    let key = user.key.expect("key");
    assert!(matches!(key.der, PrivateKeyDer::Sec1(_)));
    assert!(key.pem.starts_with("-----BEGIN EC PRIVATE KEY-----"));
}

#[test]
fn rsa_certificates_load_with_pkcs1_and_pkcs8_keys() {
    let m = Made::new();
    let pkcs8 = m.write(
        "rsa.p8",
        &String::from_utf8_lossy(&openssl(&["genrsa", "2048"])),
    );
    let pkcs1 = m.write(
        "rsa.p1",
        &String::from_utf8_lossy(&openssl(&["rsa", "-in", &m.str("rsa.p8"), "-traditional"])),
    );
    assert!(
        std::fs::read_to_string(&pkcs1)
            .expect("written")
            .contains("BEGIN RSA PRIVATE KEY")
    );
    let key = KeyPair::from_pem(&std::fs::read_to_string(&pkcs8).expect("written"))
        .expect("rcgen reads PKCS#8 RSA");
    let cert = m.write("rsa.pem", &testkit::self_signed(&key, &["rsa.example"]));
    let p8 = load_pair(&cert, &pkcs8).expect("PKCS#8 loads");
    assert!(matches!(p8.key.expect("key").der, PrivateKeyDer::Pkcs8(_)));
    let p1 = load_pair(&cert, &pkcs1).expect("PKCS#1 loads");
    assert!(matches!(p1.key.expect("key").der, PrivateKeyDer::Pkcs1(_)));
}

#[test]
fn a_key_inside_the_certificate_file_is_found() {
    let m = Made::new();
    let key = KeyPair::generate().expect("key");
    let both = format!(
        "{}{}",
        testkit::self_signed(&key, &["u.example"]),
        key.serialize_pem()
    );
    let cert = m.write("both.pem", &both);
    let user = load(&testkit::files(&cert, None)).expect("loads");
    assert!(user.key.is_some());
}

#[test]
fn a_chain_leaf_first_loads_and_any_other_order_is_refused() {
    let m = Made::new();
    let s = spec(
        vec![ca("root"), ca_under("inter", "root")],
        vec![leaf("x", "inter", &["x.example"])],
    );
    let made = generate(&s, clock()).expect("generates");
    let (leaf_pem, inter_pem) = (&made.certs["x"].cert_pem, &made.cas["inter"].cert_pem);
    let root_pem = &made.cas["root"].cert_pem;
    let good = m.write("good.pem", &format!("{leaf_pem}{inter_pem}{root_pem}"));
    assert_eq!(read_chain(&good).expect("in order").len(), 3);
    let bad = m.write("bad.pem", &format!("{inter_pem}{leaf_pem}"));
    let err = err_text(read_chain(&bad));
    assert!(
        err.contains(&m.str("bad.pem")) && err.contains("chain out of order"),
        "{err}"
    );
    assert!(
        err.contains("certificate 1 (CN=inter, O=hapair tests)"),
        "{err}"
    );
    // Same issuer name, other key: the names line up but the signature does not verify.
    let impostor = generate(
        &spec(vec![ca("root"), ca_under("inter", "root")], vec![]),
        clock(),
    )
    .expect("generates");
    let forged = m.write(
        "forged.pem",
        &format!("{leaf_pem}{}", impostor.cas["inter"].cert_pem),
    );
    let err = err_text(read_chain(&forged));
    assert!(
        err.contains("forged.pem: chain out of order: certificate 1"),
        "{err}"
    );
}

#[test]
fn every_bad_file_is_an_error_naming_the_file_and_the_reason() {
    let m = Made::new();
    let (cert, key) = ecdsa_pair(&m, "u");
    let (_, other_key) = ecdsa_pair(&m, "other");
    let garbage = "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n";
    let cases: Vec<(String, Result<(), PkiError>, &str)> = vec![
        (m.str("missing.pem"), read_chain(&m.path("missing.pem")).map(drop), "cannot read"),
        (
            m.str("nobase64.pem"),
            read_chain(&m.write("nobase64.pem", "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n")).map(drop),
            "not valid PEM: bad base64",
        ),
        (
            m.str("noend.pem"),
            read_chain(&m.write("noend.pem", "-----BEGIN CERTIFICATE-----\nAAEC\n")).map(drop),
            "the CERTIFICATE block has no END line",
        ),
        (m.str("u.key"), read_chain(&key).map(drop), "no certificate in it"),
        (m.str("empty.pem"), read_chain(&m.write("empty.pem", "")).map(drop), "no certificate in it"),
        (
            m.str("garbage.pem"),
            read_chain(&m.write("garbage.pem", garbage)).map(drop),
            "certificate 1 is not a valid X.509 certificate",
        ),
        (m.str("u.pem"), read_key(&cert).map(drop), "no private key in it"),
        (
            m.str("enc.key"),
            read_key(&m.write("enc.key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAEC\n-----END ENCRYPTED PRIVATE KEY-----\n")).map(drop),
            "the key is encrypted",
        ),
        (
            m.str("bad.key"),
            read_key(&m.write("bad.key", "-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----\n")).map(drop),
            "the private key cannot be used",
        ),
        (m.str("other.key"), load_pair(&cert, &other_key).map(drop), "does not match the certificate in"),
    ];
    for (path, result, why) in cases {
        let err = err_text(result);
        assert!(err.contains(&path), "`{err}` should name {path}");
        assert!(err.contains(why), "`{err}` should say `{why}`");
    }
}

#[test]
fn a_mismatched_key_error_names_both_files() {
    let m = Made::new();
    let (cert, _) = ecdsa_pair(&m, "u");
    let (_, other_key) = ecdsa_pair(&m, "other");
    let err = err_text(load_pair(&cert, &other_key));
    assert!(
        err.contains(&m.str("other.key")) && err.contains(&m.str("u.pem")),
        "{err}"
    );
}

#[test]
fn keys_ring_cannot_use_say_why() {
    let m = Made::new();
    let pkcs1 = m.write(
        "small.p1",
        &String::from_utf8_lossy(&openssl(&["genrsa", "-traditional", "1024"])),
    );
    let pkcs8 = m.write(
        "small.p8",
        &String::from_utf8_lossy(&openssl(&["genrsa", "1024"])),
    );
    for small in [pkcs1, pkcs8] {
        let err = err_text(read_key(&small));
        assert!(
            err.contains("small.p") && err.contains("2048 to 8192 bits"),
            "{err}"
        );
    }
    let p521 = m.write(
        "p521.key",
        &String::from_utf8_lossy(&openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-521",
        ])),
    );
    let err = err_text(read_key(&p521));
    assert!(
        err.contains("p521.key") && err.contains("not an ECDSA P-256/P-384"),
        "{err}"
    );
}

#[test]
fn user_ecdsa_certificates_signed_by_a_ca_verify_against_it() {
    let ca_key = KeyPair::generate().expect("key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("key");
    let cert = CertificateParams::new(vec!["x.example".to_string()])
        .expect("params")
        .signed_by(&key, &issuer)
        .expect("leaf");
    let (c, p) = (
        parse(cert.der()).expect("parses"),
        parse(ca_cert.der()).expect("parses"),
    );
    assert!(issued_by(&c, &p));
    assert!(!issued_by(&p, &c));
}
