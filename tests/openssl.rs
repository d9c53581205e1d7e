//! Interop with the real `openssl` CLI: `hapair certs gen` (the binary, as a process) writes
//! the PKI of a topology holding every fault profile and an intermediate CA; `openssl x509`
//! parses every file, `openssl verify` accepts the good chains and rejects each fault for the
//! reason the profile stands for. `openssl` is at /usr/bin/openssl (ci/test installs it).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The reference clock of the topology; `openssl verify -attime` judges at this instant.
const CLOCK: &str = "2030-06-01T08:00:00Z";
const CLOCK_UNIX: &str = "1906531200";

const TOPOLOGY: &str = r#"
name = "faults"

[pki]
clock = 2030-06-01T08:00:00Z

[pki.ca.root]
subject = "CN=Faults Root,O=hapair"

[pki.ca.inter]
subject = "CN=Faults Intermediate,O=hapair"
issuer = "root"

[pki.cert.good]
issuer = "root"
hosts = ["good.lab.example", "10.1.2.3"]

[pki.cert.chained]
issuer = "inter"
hosts = ["chained.lab.example"]

[pki.cert.unsent]
issuer = "inter"
hosts = ["unsent.lab.example"]
send-chain = false

[pki.cert.expired]
issuer = "root"
hosts = ["expired.lab.example"]
profile = "expired"

[pki.cert.early]
issuer = "root"
hosts = ["early.lab.example"]
profile = "not-yet-valid"

[pki.cert.wrong]
issuer = "root"
hosts = ["wrong.lab.example"]
profile = "wrong-host"

[pki.cert.stranger]
issuer = "root"
hosts = ["stranger.lab.example"]
profile = "other-ca"

[pki.cert.selfie]
hosts = ["selfie.lab.example"]
profile = "self-signed"

[pki.cert.client-only]
issuer = "root"
hosts = ["client.lab.example"]
profile = "no-server-auth"

[pki.cert.server-only]
issuer = "root"
hosts = ["server.lab.example"]
profile = "no-client-auth"

[pki.cert.rsa]
issuer = "inter"
hosts = ["rsa.lab.example"]
key-type = "rsa"
"#;

const LEAVES: [&str; 11] = [
    "good",
    "chained",
    "unsent",
    "expired",
    "early",
    "wrong",
    "stranger",
    "selfie",
    "client-only",
    "server-only",
    "rsa",
];

fn hapair(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hapair"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the hapair binary runs")
}

fn openssl(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl CLI is installed (ci/test installs it)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The folder `certs gen` wrote, made once for all tests of this binary.
struct Generated {
    out: PathBuf,
    stdout: String,
}

fn generated() -> &'static Generated {
    static ONCE: OnceLock<Generated> = OnceLock::new();
    ONCE.get_or_init(|| {
        // A fixed folder, emptied first, so runs do not pile up generated keys.
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("openssl-interop");
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("scratch folder");
        let topology = root.join("faults.toml");
        std::fs::write(&topology, TOPOLOGY).expect("topology written");
        let out = root.join("certs");
        let run = hapair(&["certs", "gen", &s(&topology), "--out", &s(&out)]);
        let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
        assert_eq!(
            run.status.code(),
            Some(0),
            "certs gen failed: {stdout}{}",
            String::from_utf8_lossy(&run.stderr)
        );
        Generated { out, stdout }
    })
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn file(name: &str) -> String {
    s(&generated().out.join(name))
}

/// `openssl verify` at the topology's clock against the CA bundle, with `extra` options.
fn verify(leaf: &str, extra: &[&str]) -> (bool, String) {
    let (bundle, chain, cert) = (
        file("ca-bundle.pem"),
        file(&format!("{leaf}.chain.pem")),
        file(&format!("{leaf}.pem")),
    );
    let mut args = vec![
        "verify",
        "-attime",
        CLOCK_UNIX,
        "-CAfile",
        &bundle,
        "-untrusted",
        &chain,
    ];
    args.extend_from_slice(extra);
    args.push(&cert);
    openssl(&args)
}

#[test]
fn the_clock_constant_is_the_topologys_clock() {
    let t = time::OffsetDateTime::parse(CLOCK, &time::format_description::well_known::Rfc3339)
        .expect("valid instant");
    assert_eq!(t.unix_timestamp().to_string(), CLOCK_UNIX);
}

#[test]
fn certs_gen_says_what_it_wrote_and_never_prints_a_key() {
    let g = generated();
    assert!(
        g.stdout.contains("2 CA(s), 11 certificate(s) generated"),
        "{}",
        g.stdout
    );
    for leaf in LEAVES {
        assert!(
            g.stdout.contains(&file(&format!("{leaf}.key"))),
            "{leaf} missing in {}",
            g.stdout
        );
    }
    assert!(!g.stdout.contains("PRIVATE KEY"), "{}", g.stdout);
}

#[test]
fn openssl_parses_every_certificate_and_key_file() {
    let mut pems = vec![
        "ca-bundle.pem".to_string(),
        "ca/root.pem".into(),
        "ca/inter.pem".into(),
    ];
    for leaf in LEAVES {
        pems.push(format!("{leaf}.pem"));
        pems.push(format!("{leaf}.chain.pem"));
    }
    for pem in &pems {
        let (ok, text) = openssl(&["x509", "-noout", "-text", "-in", &file(pem)]);
        assert!(
            ok && text.contains("Certificate:"),
            "openssl x509 rejects {pem}: {text}"
        );
    }
    let (ok, text) = openssl(&["storeutl", "-noout", "-certs", &file("chained.chain.pem")]);
    assert!(
        ok && text.contains("Total found: 2"),
        "the chain file holds leaf and intermediate: {text}"
    );
    let (_, text) = openssl(&["x509", "-noout", "-text", "-in", &file("rsa.pem")]);
    assert!(
        text.contains("Public-Key: (2048 bit)") && text.contains("rsaEncryption"),
        "{text}"
    );
    let (_, text) = openssl(&["x509", "-noout", "-text", "-in", &file("ca/inter.pem")]);
    assert!(
        text.contains("CA:TRUE") && text.contains("Certificate Sign, CRL Sign"),
        "{text}"
    );
    for key in LEAVES
        .iter()
        .map(|l| format!("{l}.key"))
        .chain(["ca/root.key".into(), "ca/inter.key".into()])
    {
        let (ok, text) = openssl(&["pkey", "-noout", "-in", &file(&key)]);
        assert!(ok, "openssl pkey rejects {key}: {text}");
    }
}

#[test]
fn private_keys_are_0600_in_0700_folders() {
    let g = generated();
    let mode = |p: &Path| std::fs::metadata(p).expect("exists").permissions().mode() & 0o777;
    for leaf in LEAVES {
        assert_eq!(
            mode(&g.out.join(format!("{leaf}.key"))),
            0o600,
            "{leaf}.key"
        );
    }
    assert_eq!(mode(&g.out.join("ca/root.key")), 0o600);
    assert_eq!(mode(&g.out), 0o700);
    assert_eq!(mode(&g.out.join("ca")), 0o700);
}

#[test]
fn openssl_accepts_the_good_chains() {
    for (leaf, extra) in [
        ("good", &[][..]),
        (
            "good",
            &[
                "-purpose",
                "sslserver",
                "-verify_hostname",
                "good.lab.example",
            ][..],
        ),
        (
            "good",
            &["-purpose", "sslclient", "-verify_ip", "10.1.2.3"][..],
        ),
        (
            "chained",
            &[
                "-purpose",
                "sslserver",
                "-verify_hostname",
                "chained.lab.example",
            ][..],
        ),
        ("rsa", &["-purpose", "sslserver"][..]),
        ("client-only", &["-purpose", "sslclient"][..]),
        ("server-only", &["-purpose", "sslserver"][..]),
    ] {
        let (ok, text) = verify(leaf, extra);
        assert!(
            ok && text.contains(": OK"),
            "{leaf} {extra:?} should verify: {text}"
        );
    }
    // The chain left out of what is sent is still whole on disk: with the intermediate given
    // by hand the leaf verifies.
    let (bundle, inter, cert) = (
        file("ca-bundle.pem"),
        file("ca/inter.pem"),
        file("unsent.pem"),
    );
    let (ok, text) = openssl(&[
        "verify",
        "-attime",
        CLOCK_UNIX,
        "-CAfile",
        &bundle,
        "-untrusted",
        &inter,
        &cert,
    ]);
    assert!(ok, "unsent with its intermediate: {text}");
}

#[test]
fn openssl_rejects_each_fault_for_its_reason() {
    for (leaf, extra, reason) in [
        ("expired", &[][..], "certificate has expired"),
        ("early", &[][..], "certificate is not yet valid"),
        (
            "stranger",
            &[][..],
            "unable to get local issuer certificate",
        ),
        ("unsent", &[][..], "unable to get local issuer certificate"),
        ("selfie", &[][..], "self-signed certificate"),
        (
            "client-only",
            &["-purpose", "sslserver"][..],
            "unsuitable certificate purpose",
        ),
        (
            "server-only",
            &["-purpose", "sslclient"][..],
            "unsuitable certificate purpose",
        ),
        (
            "wrong",
            &["-verify_hostname", "wrong.lab.example"][..],
            "hostname mismatch",
        ),
    ] {
        let (ok, text) = verify(leaf, extra);
        // OpenSSL before 3.0 wrote "self signed"; accept either spelling.
        let said =
            text.contains(reason) || text.contains(&reason.replace("self-signed", "self signed"));
        assert!(
            !ok && said,
            "{leaf} {extra:?} should fail with `{reason}`: {text}"
        );
    }
}

#[test]
fn a_second_run_reuses_the_files() {
    let g = generated();
    let before = std::fs::read(g.out.join("good.key")).expect("key");
    let topology = g.out.parent().expect("scratch").join("faults.toml");
    let run = hapair(&["certs", "gen", &s(&topology), "--out", &s(&g.out)]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0));
    assert!(stdout.contains("reused"), "{stdout}");
    assert_eq!(std::fs::read(g.out.join("good.key")).expect("key"), before);
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let topology = dir.path().join("lab.toml");
    std::fs::write(&topology, "[pki.cert.x]\npem = \"missing.pem\"\n").expect("written");
    let out = dir.path().join("out");
    let run = hapair(&["certs", "gen", &s(&topology), "--out", &s(&out)]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("missing.pem") && stderr.contains("cannot read"),
        "{stderr}"
    );

    std::fs::write(
        &topology,
        "[pki.cert.x]\nissuer = \"nope\"\nhosts = [\"x\"]\n",
    )
    .expect("written");
    let run = hapair(&["certs", "gen", &s(&topology)]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("dangling-reference") && stdout.contains("lab.toml"),
        "{stdout}"
    );

    let run = hapair(&["certs", "gen", &s(&topology), "--clock", "yesterday"]);
    assert_eq!(run.status.code(), Some(2), "a bad --clock is a usage error");
}
