//! Re-issuing: a renewal is signed by the CA key the material already holds (rustls' own
//! verifier accepts it against the unchanged CA), another CA can be named, profiles apply, and
//! nothing else of the material changes.

use rustls_pki_types::UnixTime;

use super::*;
use crate::pki::generate;
use crate::pki::inspect::CertInfo;
use crate::pki::testkit::{ca, ca_under, clock, leaf, profiled, spec};
use crate::tls::FailureClass;
use crate::tls::verify::{Role, chain};

fn at(t: time::OffsetDateTime) -> UnixTime {
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(t.unix_timestamp()).expect("after 1970"),
    ))
}

fn two_cas() -> (PkiSpec, Material) {
    let s = spec(
        vec![ca("lab"), ca("new"), ca_under("inter", "new")],
        vec![leaf("ts-a", "lab", &["ts-a.lab.example"])],
    );
    let m = generate(&s, clock()).expect("generates");
    (s, m)
}

fn renew(cert: &str, issuer: Option<&str>, profile: Option<Profile>) -> Reissue {
    Reissue {
        cert: cert.to_string(),
        issuer: issuer.map(str::to_string),
        profile,
    }
}

fn verify(leaf: &LeafMaterial, anchor: &CaMaterial) -> Result<(), FailureClass> {
    verify_at(leaf, anchor, clock())
}

fn verify_at(
    leaf: &LeafMaterial,
    anchor: &CaMaterial,
    when: time::OffsetDateTime,
) -> Result<(), FailureClass> {
    chain(
        &leaf.chain,
        std::slice::from_ref(&anchor.cert),
        Role::Server,
        at(when),
    )
}

#[test]
fn a_renewal_is_signed_by_the_existing_ca_key_and_verifies_against_the_old_ca() {
    let (s, m) = two_cas();
    let old = &m.certs["ts-a"];
    let later = clock() + time::Duration::days(30);
    let new = reissue(&s, &m, &renew("ts-a", None, None), later).expect("re-issues");
    assert_ne!(new.cert, old.cert);
    assert_ne!(new.key.pem, old.key.pem, "a fresh key");
    assert_eq!(verify_at(&new, &m.cas["lab"], later), Ok(()));
    assert_eq!(verify_at(old, &m.cas["lab"], later), Ok(()));
    assert_eq!(new.anchor.as_deref(), Some("lab"));
    let (i, o) = (
        CertInfo::from_der(&new.cert).expect("reads"),
        CertInfo::from_der(&old.cert).expect("reads"),
    );
    assert_eq!(
        (&i.subject, &i.sans, &i.issuer),
        (&o.subject, &o.sans, &o.issuer)
    );
    assert_eq!(i.not_after, later + time::Duration::days(365));
}

#[test]
fn another_ca_can_sign_and_the_chain_follows_it() {
    let (s, m) = two_cas();
    let new = reissue(&s, &m, &renew("ts-a", Some("inter"), None), clock()).expect("re-issues");
    assert_eq!(new.anchor.as_deref(), Some("new"));
    assert_eq!(new.chain.len(), 2, "leaf and intermediate");
    assert_eq!(verify(&new, &m.cas["new"]), Ok(()));
    assert_eq!(verify(&new, &m.cas["lab"]), Err(FailureClass::UnknownCa));
}

#[test]
fn profiles_apply_to_the_new_certificate() {
    let (s, m) = two_cas();
    let lab = &m.cas["lab"];
    let cases = [
        (Profile::Expired, Err(FailureClass::Expired)),
        (Profile::NotYetValid, Err(FailureClass::NotYetValid)),
        (Profile::OtherCa, Err(FailureClass::UnknownCa)),
        (Profile::SelfSigned, Err(FailureClass::UnknownCa)),
        (Profile::NoServerAuth, Err(FailureClass::WrongKeyUsage)),
        (Profile::WrongHost, Ok(())),
    ];
    for (profile, want) in cases {
        let new = reissue(&s, &m, &renew("ts-a", None, Some(profile)), clock()).expect("re-issues");
        assert_eq!(verify(&new, lab), want, "{profile:?}");
    }
    let wrong = reissue(
        &s,
        &m,
        &renew("ts-a", None, Some(Profile::WrongHost)),
        clock(),
    )
    .expect("re-issues");
    let info = CertInfo::from_der(&wrong.cert).expect("reads");
    assert!(!info.names_host("ts-a.lab.example"));
}

#[test]
fn a_renewal_drops_the_fault_of_the_old_certificate() {
    let s = spec(
        vec![ca("lab")],
        vec![profiled("x", "lab", &["x.lab.example"], Profile::Expired)],
    );
    let m = generate(&s, clock()).expect("generates");
    assert_eq!(
        verify(&m.certs["x"], &m.cas["lab"]),
        Err(FailureClass::Expired)
    );
    let new = reissue(&s, &m, &renew("x", None, None), clock()).expect("re-issues");
    assert_eq!(verify(&new, &m.cas["lab"]), Ok(()));
}

#[test]
fn unknown_names_and_keyless_cas_are_errors_naming_them() {
    let (s, mut m) = two_cas();
    let e = reissue(&s, &m, &renew("nope", None, None), clock())
        .err()
        .expect("unknown cert");
    assert!(e.to_string().contains("`nope`"), "{e}");
    let e = reissue(&s, &m, &renew("ts-a", Some("gone"), None), clock())
        .err()
        .expect("unknown CA");
    assert!(e.to_string().contains("`gone`"), "{e}");
    if let Some(lab) = m.cas.get_mut("lab") {
        lab.key = None;
    }
    let e = reissue(&s, &m, &renew("ts-a", None, None), clock())
        .err()
        .expect("no key");
    assert!(matches!(e, PkiError::IssuerWithoutKey { .. }), "{e}");
}
