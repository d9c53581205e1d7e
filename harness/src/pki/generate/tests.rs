//! Generation: every profile makes the certificate it names (checked by parsing the DER), CAs
//! and chains are built as described, the user's files stand in, and bad descriptions are
//! errors naming what is wrong.

use time::Duration;
use x509_parser::extensions::{GeneralName, ParsedExtension};

use super::*;
use crate::pki::inspect::CertInfo;
use crate::pki::testkit::{self, DAY, ca, ca_under, clock, leaf, profiled, spec, x509};

fn info(der: &CertificateDer<'_>) -> CertInfo {
    CertInfo::from_der(der).expect("generated certificate reads back")
}

fn verifies(child: &CertificateDer<'_>, parent: &CertificateDer<'_>) -> bool {
    pem::issued_by(&x509(child), &x509(parent))
}

#[test]
fn a_plain_leaf_is_p256_named_by_its_hosts_and_issued_by_its_ca() {
    let s = spec(
        vec![ca("lab")],
        vec![leaf("ts-a", "lab", &["ts-a.lab.example", "10.0.0.7"])],
    );
    let m = generate(&s, clock()).expect("generates");
    let (lab, ts) = (&m.cas["lab"], &m.certs["ts-a"]);
    let i = info(&ts.cert);
    assert_eq!(i.subject, "CN=ts-a.lab.example");
    assert_eq!(i.sans, vec!["ts-a.lab.example", "10.0.0.7"]);
    assert_eq!(i.key_type, "ECDSA P-256");
    assert!(i.server_auth && i.client_auth);
    assert_eq!(i.issuer, "CN=lab, O=hapair tests");
    assert_eq!(i.not_before, clock() - Duration::days(1));
    assert_eq!(i.not_after, clock() + Duration::days(365));
    assert!(verifies(&ts.cert, &lab.cert));
    assert_eq!(ts.chain, vec![ts.cert.clone()]);
    assert_eq!(ts.full_chain, ts.chain);
    assert_eq!(ts.anchor.as_deref(), Some("lab"));
    assert!(ts.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(ts.key.pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(m.clock, clock());
}

#[test]
fn cas_are_ca_certificates_that_sign_certificates_and_crls() {
    let m = generate(&spec(vec![ca("lab")], vec![]), clock()).expect("generates");
    let der = &m.cas["lab"].cert;
    let cert = x509(der);
    let bc = cert.basic_constraints().expect("parses").expect("present");
    assert!(bc.critical && bc.value.ca);
    let ku = cert.key_usage().expect("parses").expect("present").value;
    assert!(ku.key_cert_sign() && ku.crl_sign());
    assert!(info(der).self_signed);
    assert_eq!(m.cas["lab"].root, "lab");
    assert!(m.cas["lab"].intermediates.is_empty());
}

#[test]
fn an_explicit_subject_replaces_the_first_host() {
    let mut c = leaf("ts-a", "lab", &["ts-a.lab.example"]);
    c.subject = Some("CN=T-Server A,O=Lab,OU=Voice".to_string());
    let m = generate(&spec(vec![ca("lab")], vec![c]), clock()).expect("generates");
    assert_eq!(
        info(&m.certs["ts-a"].cert).subject,
        "CN=T-Server A, O=Lab, OU=Voice"
    );
}

#[test]
fn expired_and_not_yet_valid_miss_the_clock_on_either_side() {
    let s = spec(
        vec![ca("lab")],
        vec![
            profiled("old", "lab", &["old.example"], Profile::Expired),
            profiled("new", "lab", &["new.example"], Profile::NotYetValid),
        ],
    );
    let m = generate(&s, clock()).expect("generates");
    let (old, new) = (info(&m.certs["old"].cert), info(&m.certs["new"].cert));
    assert!(old.not_after < clock() && old.not_before < old.not_after);
    assert!(new.not_before > clock() && new.not_after > new.not_before);
}

#[test]
fn wrong_host_names_only_a_host_nobody_dials() {
    let mut c = profiled("ts-a", "lab", &["ts-a.lab.example"], Profile::WrongHost);
    c.subject = Some("CN=ts-a.lab.example,O=Lab".to_string());
    let m = generate(&spec(vec![ca("lab")], vec![c]), clock()).expect("generates");
    let i = info(&m.certs["ts-a"].cert);
    assert_eq!(i.sans, vec![WRONG_HOST]);
    assert_eq!(i.subject, format!("CN={WRONG_HOST}, O=Lab"));
    assert!(!i.names_host("ts-a.lab.example"));
    assert_eq!(m.certs["ts-a"].anchor.as_deref(), Some("lab"));
}

#[test]
fn other_ca_is_signed_by_a_ca_outside_the_topology() {
    let s = spec(
        vec![ca("lab")],
        vec![profiled("x", "lab", &["x.example"], Profile::OtherCa)],
    );
    let m = generate(&s, clock()).expect("generates");
    let x = &m.certs["x"];
    let i = info(&x.cert);
    assert_eq!(i.issuer, "CN=hapair other CA");
    assert!(!i.self_signed);
    assert!(!verifies(&x.cert, &m.cas["lab"].cert));
    assert_eq!(m.cas.keys().collect::<Vec<_>>(), vec!["lab"]);
    assert_eq!(x.anchor, None);
    assert_eq!(x.full_chain.len(), 1);
}

#[test]
fn self_signed_signs_itself_and_has_no_anchor() {
    let s = spec(
        vec![],
        vec![profiled("me", "", &["me.example"], Profile::SelfSigned)],
    );
    let m = generate(&s, clock()).expect("generates");
    let i = info(&m.certs["me"].cert);
    assert!(i.self_signed);
    assert_eq!(i.issuer, i.subject);
    assert_eq!(m.certs["me"].anchor, None);
}

#[test]
fn usage_profiles_drop_one_eku_and_dropping_both_allows_neither() {
    let mut neither = profiled("neither", "lab", &["n.example"], Profile::NoServerAuth);
    neither.client_auth = false;
    let s = spec(
        vec![ca("lab")],
        vec![
            profiled("cli", "lab", &["c.example"], Profile::NoServerAuth),
            profiled("srv", "lab", &["s.example"], Profile::NoClientAuth),
            neither,
        ],
    );
    let m = generate(&s, clock()).expect("generates");
    let flags = |n: &str| {
        let i = info(&m.certs[n].cert);
        (i.server_auth, i.client_auth)
    };
    assert_eq!(flags("cli"), (false, true));
    assert_eq!(flags("srv"), (true, false));
    assert_eq!(flags("neither"), (false, false));
}

#[test]
fn an_intermediate_is_signed_by_its_issuer_and_can_be_left_out_of_what_is_sent() {
    let mut hidden = leaf("hidden", "inter", &["h.example"]);
    hidden.send_chain = false;
    let s = spec(
        vec![ca_under("inter", "root"), ca("root")],
        vec![leaf("sent", "inter", &["s.example"]), hidden],
    );
    let m = generate(&s, clock()).expect("generates, parents first whatever the order");
    let (root, inter) = (&m.cas["root"], &m.cas["inter"]);
    assert!(verifies(&inter.cert, &root.cert));
    assert!(x509(&inter.cert).is_ca());
    assert_eq!(inter.root, "root");
    assert_eq!(inter.intermediates, vec![inter.cert.clone()]);
    let (sent, hidden) = (&m.certs["sent"], &m.certs["hidden"]);
    assert!(verifies(&sent.cert, &inter.cert));
    assert_eq!(sent.chain, vec![sent.cert.clone(), inter.cert.clone()]);
    assert_eq!(hidden.chain, vec![hidden.cert.clone()]);
    assert_eq!(
        hidden.full_chain,
        vec![hidden.cert.clone(), inter.cert.clone()]
    );
    assert_eq!(hidden.anchor.as_deref(), Some("root"));
}

#[test]
fn ip_hosts_become_ip_sans_and_dns_hosts_dns_sans() {
    let s = spec(
        vec![ca("lab")],
        vec![leaf("x", "lab", &["::1", "db.example"])],
    );
    let m = generate(&s, clock()).expect("generates");
    let cert = x509(&m.certs["x"].cert);
    let san = cert
        .subject_alternative_name()
        .expect("parses")
        .expect("present");
    let kinds: Vec<_> = san
        .value
        .general_names
        .iter()
        .map(|n| matches!(n, GeneralName::IPAddress(_)))
        .collect();
    assert_eq!(kinds, vec![true, false]);
    let has_aki = cert.extensions().iter().any(|e| {
        matches!(
            e.parsed_extension(),
            ParsedExtension::AuthorityKeyIdentifier(_)
        )
    });
    assert!(
        has_aki,
        "leaves carry an authority key identifier for chain building"
    );
}

#[test]
fn absolute_bounds_and_old_clocks_are_taken_as_given() {
    let mut c = leaf("x", "lab", &["x.example"]);
    c.not_after = TimeSpec::At(time::macros::datetime!(2031-01-01 00:00:00 UTC));
    let old = time::macros::datetime!(1999-12-31 23:59:59.75 UTC);
    let m = generate(&spec(vec![ca("lab")], vec![c]), old).expect("generates");
    let i = info(&m.certs["x"].cert);
    assert_eq!(
        i.not_before,
        time::macros::datetime!(1999-12-30 23:59:59 UTC)
    );
    assert_eq!(
        i.not_after,
        time::macros::datetime!(2031-01-01 00:00:00 UTC)
    );
}

#[test]
fn rsa2048_keys_are_generated_and_sign() {
    let mut rsa_ca = ca("lab");
    rsa_ca.key_type = KeyType::Rsa2048;
    let mut c = leaf("x", "lab", &["x.example"]);
    c.key_type = KeyType::Rsa2048;
    let m = generate(&spec(vec![rsa_ca], vec![c]), clock()).expect("generates");
    assert_eq!(info(&m.certs["x"].cert).key_type, "RSA 2048");
    assert!(verifies(&m.certs["x"].cert, &m.cas["lab"].cert));
    let cert = x509(&m.certs["x"].cert);
    let ku = cert.key_usage().expect("parses").expect("present").value;
    assert!(ku.digital_signature() && ku.key_encipherment());
}

#[test]
fn bad_descriptions_are_errors_naming_what_is_wrong() {
    let mut bad_subject = ca("lab");
    bad_subject.subject = "CN=x,Q=y".to_string();
    let mut cycle_a = ca_under("a", "b");
    cycle_a.subject = "CN=a".to_string();
    let mut no_issuer = leaf("x", "lab", &["x.example"]);
    no_issuer.issuer = None;
    let mut inverted = leaf("x", "lab", &["x.example"]);
    inverted.not_after = TimeSpec::Offset(-2 * DAY);
    let mut overflow = leaf("x", "lab", &["x.example"]);
    overflow.not_after = TimeSpec::Offset(i64::MAX / 2);
    let mut nameless = leaf("x", "lab", &[]);
    nameless.subject = None;
    let cases: Vec<(PkiSpec, &str)> = vec![
        (
            spec(vec![bad_subject], vec![]),
            "`lab`: subject `CN=x,Q=y`: unknown attribute `Q`",
        ),
        (
            spec(vec![ca_under("i", "nope")], vec![]),
            "`i` names issuer `nope`",
        ),
        (
            spec(vec![cycle_a, ca_under("b", "a")], vec![]),
            "is its own ancestor",
        ),
        (
            spec(vec![ca("lab")], vec![no_issuer]),
            "certificate `x` has no `issuer`",
        ),
        (
            spec(vec![ca("lab")], vec![leaf("x", "gone", &["x.example"])]),
            "`x` names issuer `gone`",
        ),
        (
            spec(vec![ca("lab")], vec![inverted]),
            "`x`: validity: not-after",
        ),
        (spec(vec![ca("lab")], vec![overflow]), "`x`: validity:"),
        (
            spec(vec![ca("lab")], vec![nameless]),
            "neither `hosts` nor `subject`",
        ),
        (
            spec(vec![ca("lab")], vec![leaf("x", "lab", &["hôte.example"])]),
            "host `hôte.example`",
        ),
        (
            spec(vec![ca("lab"), ca("lab")], vec![]),
            "`lab` is defined twice",
        ),
    ];
    for (s, expected) in cases {
        let err = generate(&s, clock()).expect_err(expected).to_string();
        assert!(err.contains(expected), "expected `{expected}` in `{err}`");
    }
}

#[test]
fn a_users_ca_with_its_key_issues_generated_leaves() {
    let dir = tempfile::tempdir().expect("temp dir");
    let made = generate(&spec(vec![ca("mine")], vec![]), clock()).expect("generates");
    let mine = &made.cas["mine"];
    let cert = testkit::write(dir.path(), "ca.pem", &mine.cert_pem);
    let key_pem = mine.key.as_ref().map(|k| k.pem.clone()).unwrap_or_default();
    let key = testkit::write(dir.path(), "ca.key", &key_pem);
    let mut user_ca = ca("lab");
    user_ca.pem = Some(testkit::files(&cert, Some(&key)));
    let s = spec(vec![user_ca], vec![leaf("x", "lab", &["x.example"])]);
    let m = generate(&s, clock()).expect("generates");
    assert_eq!(m.cas["lab"].cert, mine.cert);
    assert!(verifies(&m.certs["x"].cert, &mine.cert));
    assert_eq!(m.certs["x"].anchor.as_deref(), Some("lab"));
}

#[test]
fn a_users_ca_without_its_key_cannot_issue() {
    let dir = tempfile::tempdir().expect("temp dir");
    let made = generate(&spec(vec![ca("mine")], vec![]), clock()).expect("generates");
    let cert = testkit::write(dir.path(), "ca.pem", &made.cas["mine"].cert_pem);
    let mut user_ca = ca("lab");
    user_ca.pem = Some(testkit::files(&cert, None));
    let s = spec(vec![user_ca], vec![leaf("x", "lab", &["x.example"])]);
    let err = generate(&s, clock()).expect_err("no key").to_string();
    assert!(
        err.contains("CA `lab`, whose PEM files have no private key"),
        "{err}"
    );
}

#[test]
fn a_users_leaf_is_completed_up_to_the_ca_it_names_or_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let s = spec(
        vec![ca("root"), ca_under("inter", "root")],
        vec![leaf("made", "inter", &["m.example"])],
    );
    let m = generate(&s, clock()).expect("generates");
    let made = &m.certs["made"];
    let cert = testkit::write(dir.path(), "leaf.pem", &made.cert_pem);
    let key = testkit::write(dir.path(), "leaf.key", &made.key.pem);
    let mut user = leaf("user", "inter", &[]);
    user.pem = Some(testkit::files(&cert, Some(&key)));
    let mut s2 = spec(
        vec![ca("root"), ca_under("inter", "root")],
        vec![user.clone()],
    );
    // The same names, but new keys: the user's leaf is not issued by these CAs.
    let err = generate(&s2, clock()).expect_err("foreign CA").to_string();
    assert!(
        err.contains("is not issued by CA `inter`") && err.contains("leaf.pem"),
        "{err}"
    );
    // With the CAs that issued it, given as the user's files too, the chain is completed.
    let root_pem = testkit::write(dir.path(), "root.pem", &m.cas["root"].cert_pem);
    let inter_pem = testkit::write(dir.path(), "inter.pem", &m.cas["inter"].cert_pem);
    s2.cas[0].pem = Some(testkit::files(&root_pem, None));
    s2.cas[1].pem = Some(testkit::files(&inter_pem, None));
    let m2 = generate(&s2, clock()).expect("loads");
    assert_eq!(m2.certs["user"].full_chain, made.full_chain);
    assert_eq!(m2.certs["user"].anchor.as_deref(), Some("root"));
    user.issuer = None;
    s2.certs = vec![user];
    let m3 = generate(&s2, clock()).expect("loads");
    assert_eq!(
        m3.certs["user"].anchor.as_deref(),
        Some("root"),
        "found without `issuer`"
    );
}

#[test]
fn at_a_1970_clock_certificates_start_at_the_epoch_not_before_it() {
    // A clock of 1970-01-01T00:00:00Z is accepted; the default day of slack before it would
    // start certificates before the Unix epoch, which verifiers refuse (the run reported
    // TLS-CHAIN-TRUST on every link).
    let s = spec(
        vec![ca("lab")],
        vec![leaf("ts-a", "lab", &["ts-a.lab.example"])],
    );
    let m = generate(&s, OffsetDateTime::UNIX_EPOCH).expect("generates");
    let i = info(&m.certs["ts-a"].cert);
    assert_eq!(i.not_before, OffsetDateTime::UNIX_EPOCH);
    assert_eq!(
        info(&m.cas["lab"].cert).not_before,
        OffsetDateTime::UNIX_EPOCH
    );
    assert!(verifies(&m.certs["ts-a"].cert, &m.cas["lab"].cert));
}
