//! The certificate folder: layout and modes, stamp reuse against regeneration, stale files,
//! names that cannot be files.

use std::os::unix::fs::PermissionsExt;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use super::*;
use crate::pki::testkit::{self, ca, ca_under, clock, leaf, spec};

fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("exists").permissions().mode() & 0o777
}

fn certs_in(path: &Path) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_file_iter(path)
        .expect("opens")
        .collect::<Result<_, _>>()
        .expect("PEM")
}

fn two_level() -> PkiSpec {
    let mut hidden = leaf("hidden", "inter", &["h.example"]);
    hidden.send_chain = false;
    spec(
        vec![ca("root"), ca_under("inter", "root")],
        vec![leaf("ts-a", "inter", &["ts-a.example"]), hidden],
    )
}

#[test]
fn writes_the_layout_with_private_keys_0600_and_folders_0700() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("certs").join("pair");
    let (m, fresh) = ensure(&dir, &two_level(), clock()).expect("writes");
    assert_eq!(fresh, Freshness::Created);
    for d in [dir.clone(), dir.join("ca")] {
        assert_eq!(mode(&d), 0o700, "{}", d.display());
    }
    let listed = files(&m).expect("names are fine");
    assert_eq!(listed.len(), 2 * 2 + 2 * 3 + 2);
    for f in &listed {
        let want = if f.kind == FileKind::Key {
            0o600
        } else {
            0o644
        };
        assert_eq!(mode(&dir.join(&f.path)), want, "{}", f.path.display());
    }
    assert_eq!(
        certs_in(&dir.join("ca-bundle.pem")),
        vec![m.cas["root"].cert.clone()]
    );
    assert_eq!(
        certs_in(&dir.join("ts-a.chain.pem")),
        m.certs["ts-a"].full_chain
    );
    assert_eq!(
        certs_in(&dir.join("hidden.chain.pem")),
        vec![m.certs["hidden"].cert.clone()]
    );
    assert_eq!(
        certs_in(&dir.join("ca/inter.pem")),
        vec![m.cas["inter"].cert.clone()]
    );
    let key = fs::read_to_string(dir.join("ts-a.key")).expect("key");
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
}

#[test]
fn a_key_file_with_wide_permissions_is_narrowed() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let s = spec(vec![ca("lab")], vec![leaf("x", "lab", &["x.example"])]);
    let (m, _) = ensure(tmp.path(), &s, clock()).expect("writes");
    let key = tmp.path().join("x.key");
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).expect("chmod");
    write(tmp.path(), &m, "other digest").expect("rewrites");
    assert_eq!(mode(&key), 0o600);
}

#[test]
fn an_unchanged_description_is_reused_and_a_changed_one_regenerated() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let s = two_level();
    let (first, _) = ensure(tmp.path(), &s, clock()).expect("writes");
    let (again, fresh) = ensure(tmp.path(), &s, clock()).expect("reads back");
    assert_eq!(fresh, Freshness::Reused);
    for (name, leaf) in &first.certs {
        let back = &again.certs[name];
        assert_eq!(back.cert, leaf.cert, "{name}");
        assert_eq!(
            back.key.der.secret_der(),
            leaf.key.der.secret_der(),
            "{name}"
        );
        assert_eq!(back.chain, leaf.chain, "{name}");
        assert_eq!(back.full_chain, leaf.full_chain, "{name}");
        assert_eq!(back.anchor, leaf.anchor, "{name}");
    }
    for (name, ca) in &first.cas {
        let back = &again.cas[name];
        assert_eq!(
            (&back.cert, &back.root, &back.intermediates),
            (&ca.cert, &ca.root, &ca.intermediates)
        );
    }
    let mut changed = s.clone();
    changed.certs[0].hosts.push("ts-a2.example".to_string());
    let (new, fresh) = ensure(tmp.path(), &changed, clock()).expect("regenerates");
    assert_eq!(fresh, Freshness::Regenerated);
    assert_ne!(new.certs["ts-a"].cert, first.certs["ts-a"].cert);
    let later = clock() + time::Duration::days(1);
    let (_, fresh) = ensure(tmp.path(), &changed, later).expect("regenerates");
    assert_eq!(
        fresh,
        Freshness::Regenerated,
        "another clock is another PKI"
    );
}

#[test]
fn a_damaged_folder_is_regenerated_not_an_error() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let s = spec(vec![ca("lab")], vec![leaf("x", "lab", &["x.example"])]);
    ensure(tmp.path(), &s, clock()).expect("writes");
    fs::write(tmp.path().join("x.key"), "garbage").expect("damage");
    let (_, fresh) = ensure(tmp.path(), &s, clock()).expect("recovers");
    assert_eq!(fresh, Freshness::Regenerated);
    let (_, fresh) = ensure(tmp.path(), &s, clock()).expect("reads back");
    assert_eq!(fresh, Freshness::Reused);
}

#[test]
fn files_of_certificates_no_longer_described_are_removed() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut s = spec(
        vec![ca("lab")],
        vec![
            leaf("keep", "lab", &["k.example"]),
            leaf("drop", "lab", &["d.example"]),
        ],
    );
    ensure(tmp.path(), &s, clock()).expect("writes");
    let bystander = testkit::write(tmp.path(), "notes.txt", "not ours");
    s.certs.pop();
    ensure(tmp.path(), &s, clock()).expect("regenerates");
    assert!(!tmp.path().join("drop.key").exists());
    assert!(!tmp.path().join("drop.chain.pem").exists());
    assert!(tmp.path().join("keep.key").exists());
    assert!(bystander.exists(), "only files the stamp lists are removed");
}

#[test]
fn the_stamp_follows_the_users_pem_file_contents() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let made = crate::pki::generate(&spec(vec![ca("mine")], vec![]), clock()).expect("generates");
    let path = testkit::write(tmp.path(), "ca.pem", &made.cas["mine"].cert_pem);
    let mut user = ca("lab");
    user.pem = Some(testkit::files(&path, None));
    let s = spec(vec![user], vec![]);
    let before = stamp(&s, clock());
    assert_eq!(
        before,
        stamp(&s, clock()),
        "the stamp is a function of its inputs"
    );
    let other = crate::pki::generate(&spec(vec![ca("other")], vec![]), clock()).expect("generates");
    fs::write(&path, &other.cas["other"].cert_pem).expect("replace");
    assert_ne!(before, stamp(&s, clock()));
}

#[test]
fn names_that_cannot_be_files_or_would_share_one_are_refused() {
    let tmp = tempfile::tempdir().expect("temp dir");
    for (s, why) in [
        (
            spec(vec![ca("lab")], vec![leaf("../up", "lab", &["x.example"])]),
            "`../up` cannot be used as a file name",
        ),
        (
            spec(
                vec![ca("lab")],
                vec![leaf("ca-bundle", "lab", &["x.example"])],
            ),
            "`certificate ca-bundle` and",
        ),
        (
            spec(
                vec![ca("lab")],
                vec![
                    leaf("x", "lab", &["x.example"]),
                    leaf("x.chain", "lab", &["y.example"]),
                ],
            ),
            "x.chain.pem",
        ),
    ] {
        let err = ensure(tmp.path(), &s, clock())
            .map(drop)
            .expect_err(why)
            .to_string();
        assert!(err.contains(why), "`{err}` should say `{why}`");
    }
    assert!(default_dir("tserver-pair").is_ok());
    assert!(default_dir("../etc").is_err());
}
