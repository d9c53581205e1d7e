//! `hapair probe` against real TLS servers: the binary as a process, the real `openssl
//! s_server` serving certificates `hapair certs gen` wrote, on free loopback ports. Each test
//! asserts the findings (id and severity) the `hapair.probe/1` JSON gives, and the exit code.
//! Refused, silent and plaintext ports are served by the test itself; every probe is bounded
//! by `--timeout`, so a test that hangs is a bug.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

const PKI: &str = r#"
name = "probe-lab"

[pki.ca.root]
subject = "CN=Probe Root,O=hapair"

[pki.ca.inter]
subject = "CN=Probe Intermediate,O=hapair"
issuer = "root"

[pki.cert.good]
issuer = "inter"
hosts = ["localhost", "127.0.0.1"]

[pki.cert.ts-a]
issuer = "root"
hosts = ["ts-a.lab.example"]

[pki.cert.ts-b]
issuer = "root"
hosts = ["ts-b.lab.example"]

[pki.cert.ts-a-port]
issuer = "root"
hosts = ["ts-a.lab.example"]

[pki.cert.soon]
issuer = "root"
hosts = ["localhost"]
expires-at = "+20d"

[pki.cert.later]
issuer = "root"
hosts = ["localhost"]
expires-at = "+45d"

[pki.cert.expired]
issuer = "root"
hosts = ["localhost"]
profile = "expired"

[pki.cert.wrong]
issuer = "root"
hosts = ["localhost"]
profile = "wrong-host"

[pki.cert.stranger]
issuer = "root"
hosts = ["localhost"]
profile = "other-ca"

[pki.cert.client]
issuer = "root"
hosts = ["client.lab.example"]
"#;

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn hapair(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hapair"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the hapair binary runs")
}

/// The certificate folder, generated once for every test of this binary.
fn certs() -> &'static Path {
    static ONCE: OnceLock<PathBuf> = OnceLock::new();
    ONCE.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("probe");
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("scratch folder");
        let topology = root.join("pki.toml");
        std::fs::write(&topology, PKI).expect("topology written");
        let out = root.join("certs");
        let run = hapair(&["certs", "gen", &s(&topology), "--out", &s(&out)]);
        assert_eq!(run.status.code(), Some(0), "{run:?}");
        // Chains as openssl's -cert_chain takes them: the certificates after the leaf.
        let inter = std::fs::read_to_string(out.join("ca/inter.pem")).expect("inter");
        let root_pem = std::fs::read_to_string(out.join("ca/root.pem")).expect("root");
        std::fs::write(out.join("inter-only.pem"), &inter).expect("written");
        std::fs::write(
            out.join("root-then-inter.pem"),
            format!("{root_pem}{inter}"),
        )
        .expect("written");
        out
    })
}

fn file(name: &str) -> String {
    s(&certs().join(name))
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// An `openssl s_server` for the test's life.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `openssl s_server` on a free loopback port serving `cert` (and `chain`, the certificates
/// after the leaf), with `extra` options; returns once it accepts connections.
fn s_server(cert: &str, chain: Option<&str>, extra: &[&str]) -> Server {
    for _ in 0..5 {
        let port = free_port();
        let accept = format!("127.0.0.1:{port}");
        let (cert_file, key_file) = (file(&format!("{cert}.pem")), file(&format!("{cert}.key")));
        let mut args = vec![
            "s_server", "-accept", &accept, "-cert", &cert_file, "-key", &key_file, "-www",
            "-quiet",
        ];
        let chain_file = chain.map(file);
        if let Some(c) = &chain_file {
            args.extend(["-cert_chain", c]);
        }
        args.extend_from_slice(extra);
        let child = Command::new("openssl")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the openssl CLI is installed (ci/test installs it)");
        let mut server = Server { child, port };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            if server.child.try_wait().ok().flatten().is_some() {
                break; // the port was taken meanwhile: try another
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = server.child.kill();
    }
    panic!("openssl s_server did not start");
}

/// `hapair probe --format json ARGS`: the exit code and the document.
fn probe(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["probe", "--format", "json", "--timeout", "10"];
    all.extend_from_slice(args);
    let out = hapair(&all);
    let text = String::from_utf8_lossy(&out.stdout);
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {text}{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(doc["schema"], "hapair.probe/1");
    (out.status.code().expect("exit code"), doc)
}

/// The severity of finding `id` of endpoint `i`, if it is there.
fn severity(doc: &Value, i: usize, id: &str) -> Option<String> {
    doc["endpoints"][i]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["id"] == id)
        .map(|f| f["severity"].as_str().expect("severity").to_string())
}

fn pair_severity(doc: &Value, id: &str) -> Option<String> {
    doc["pair"]
        .as_array()
        .expect("pair findings")
        .iter()
        .find(|f| f["id"] == id)
        .map(|f| f["severity"].as_str().expect("severity").to_string())
}

fn has(doc: &Value, id: &str, sev: &str) {
    assert_eq!(
        severity(doc, 0, id).as_deref(),
        Some(sev),
        "{id} should be {sev}: {doc:#}"
    );
}

fn lacks(doc: &Value, id: &str) {
    assert_eq!(severity(doc, 0, id), None, "{id} unexpected: {doc:#}");
}

fn at(port: u16) -> String {
    format!("127.0.0.1:{port}")
}

#[test]
fn a_good_chain_is_trusted_named_and_exits_0() {
    let srv = s_server("good", Some("inter-only.pem"), &[]);
    let bundle = file("ca-bundle.pem");
    let (code, doc) = probe(&[&at(srv.port), "--ca", &bundle, "--sni", "localhost"]);
    for id in [
        "tls13-offered",
        "tls12-offered",
        "chain-order",
        "chain-trusted",
        "cert-validity",
        "san-match",
        "eku-server-auth",
        "key-size",
        "sig-algorithm",
    ] {
        has(&doc, id, "ok");
    }
    let e = &doc["endpoints"][0];
    assert_eq!(
        e["chain"].as_array().map(Vec::len),
        Some(2),
        "leaf and intermediate"
    );
    assert_eq!(e["chain"][0]["subject"], "CN=localhost");
    assert_eq!(e["chain"][0]["key_bits"], 256);
    assert_eq!(e["chain"][0]["signature"], "ecdsa-with-SHA256");
    assert_eq!(e["trusted_by"], "CN=Probe Root, O=hapair");
    assert_eq!(e["negotiated"]["version"], "TLSv1.3");
    assert!(
        e["negotiated"]["cipher"]
            .as_str()
            .is_some_and(|c| c.starts_with("TLS_")),
        "{e:#}"
    );
    assert_eq!(code, 0, "{doc:#}");
}

#[test]
fn a_chain_in_the_wrong_order_is_medium() {
    let srv = s_server("good", Some("root-then-inter.pem"), &[]);
    let (code, doc) = probe(&[&at(srv.port), "--ca", &file("ca-bundle.pem")]);
    has(&doc, "chain-order", "medium");
    assert_eq!(code, 1);
}

#[test]
fn a_missing_intermediate_is_named_when_the_ca_files_hold_it() {
    let srv = s_server("good", None, &[]);
    let (code, doc) = probe(&[
        &at(srv.port),
        "--ca",
        &file("ca-bundle.pem"),
        "--ca",
        &file("ca/inter.pem"),
    ]);
    has(&doc, "chain-incomplete", "high");
    let msg = doc["endpoints"][0]["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["id"] == "chain-incomplete"))
        .map(|f| f["message"].to_string())
        .unwrap_or_default();
    assert!(msg.contains("Probe Intermediate"), "{msg}");
    assert_eq!(code, 1);
}

#[test]
fn a_wrong_host_name_is_a_san_mismatch() {
    let srv = s_server("wrong", None, &[]);
    let (code, doc) = probe(&[
        &at(srv.port),
        "--ca",
        &file("ca-bundle.pem"),
        "--sni",
        "localhost",
    ]);
    has(&doc, "san-mismatch", "high");
    has(&doc, "chain-trusted", "ok");
    assert_eq!(code, 1);
}

#[test]
fn expiry_is_critical_and_near_expiry_warns_at_30_and_60_days() {
    let bundle = file("ca-bundle.pem");
    for (cert, id, sev) in [
        ("expired", "cert-expired", "critical"),
        ("soon", "cert-expires-30d", "high"),
        ("later", "cert-expires-60d", "medium"),
    ] {
        let srv = s_server(cert, None, &[]);
        let (code, doc) = probe(&[&at(srv.port), "--ca", &bundle, "--sni", "localhost"]);
        has(&doc, id, sev);
        lacks(&doc, "cert-validity");
        assert_eq!(code, 1, "{cert}");
    }
}

#[test]
fn an_untrusted_ca_is_high_and_no_ca_given_is_only_info() {
    let srv = s_server("stranger", None, &[]);
    let (code, doc) = probe(&[&at(srv.port), "--ca", &file("ca-bundle.pem")]);
    has(&doc, "chain-untrusted", "high");
    assert_eq!(code, 1);
    let (code, doc) = probe(&[&at(srv.port), "--sni", "localhost"]);
    has(&doc, "trust-not-judged", "info");
    assert_eq!(code, 0, "{doc:#}");
}

#[test]
fn a_refused_port_is_reported_not_an_error() {
    let port = free_port();
    let (code, doc) = probe(&[&at(port)]);
    has(&doc, "connect-refused", "high");
    assert_eq!(code, 1);
}

#[test]
fn a_silent_port_times_out_within_the_bound() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // Accepts and never answers, for the probe's life.
    let hold = std::thread::spawn(move || {
        let kept: Vec<TcpStream> = listener.incoming().take(1).filter_map(Result::ok).collect();
        std::thread::sleep(Duration::from_secs(4));
        drop(kept);
    });
    let start = Instant::now();
    let out = hapair(&["probe", "--format", "json", "--timeout", "1", &at(port)]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    has(&doc, "handshake-timeout", "high");
    assert_eq!(out.status.code(), Some(1));
    // Bounded: one timeout, not a hang (the generous margin is for a loaded machine).
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
    let _ = hold.join();
}

#[test]
fn a_plaintext_peer_is_not_tls() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let serve = std::thread::spawn(move || {
        if let Some(Ok(mut c)) = listener.incoming().next() {
            let mut buf = [0u8; 1024];
            let _ = c.read(&mut buf);
            let _ = c.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        }
    });
    let (code, doc) = probe(&[&at(port)]);
    has(&doc, "not-tls", "high");
    let msg = doc["endpoints"][0]["findings"][0]["message"].to_string();
    assert!(msg.contains("HTTP/1.1 400"), "{msg}");
    assert_eq!(code, 1);
    let _ = serve.join();
}

#[test]
fn a_tls12_only_server_is_seen_as_such() {
    let srv = s_server("good", Some("inter-only.pem"), &["-tls1_2"]);
    let (code, doc) = probe(&[&at(srv.port), "--ca", &file("ca-bundle.pem")]);
    has(&doc, "tls13-not-offered", "low");
    has(&doc, "tls12-offered", "ok");
    assert_eq!(doc["endpoints"][0]["negotiated"]["version"], "TLSv1.2");
    has(&doc, "chain-trusted", "ok");
    assert_eq!(code, 0, "{doc:#}");
}

#[test]
fn mutual_tls_is_completed_with_a_client_certificate_and_named_without() {
    let root = file("ca/root.pem");
    let srv = s_server(
        "good",
        Some("inter-only.pem"),
        &["-Verify", "1", "-verify_return_error", "-CAfile", &root],
    );
    let bundle = file("ca-bundle.pem");
    let (_, doc) = probe(&[&at(srv.port), "--ca", &bundle]);
    has(&doc, "client-cert-required", "info");
    let (code, doc) = probe(&[
        &at(srv.port),
        "--ca",
        &bundle,
        "--cert",
        &file("client.pem"),
        "--key",
        &file("client.key"),
    ]);
    has(&doc, "client-auth-accepted", "ok");
    has(&doc, "chain-trusted", "ok");
    assert_eq!(code, 0, "{doc:#}");
    // A certificate the server does not trust is refused.
    let (code, doc) = probe(&[
        &at(srv.port),
        "--cert",
        &file("stranger.pem"),
        "--key",
        &file("stranger.key"),
    ]);
    has(&doc, "client-cert-rejected", "high");
    assert_eq!(code, 1);
}

#[test]
fn bad_input_exits_2() {
    for args in [
        vec!["probe"],
        vec!["probe", "no-port"],
        vec!["probe", "127.0.0.1:1", "--resolve", "x"],
        vec!["probe", "127.0.0.1:1", "--ca", "/nonexistent/ca.pem"],
    ] {
        let out = hapair(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
    }
}

const PAIR: &str = r#"
name = "probe-pair"

[host.ts-a]
name = "ts-a.lab.example"
security = { certificate = "ts-a.pem", certificate-key = "ts-a.key", trusted-ca = "ca-bundle.pem" }

[host.ts-b]
name = "ts-b.lab.example"
security = { certificate = "ts-b.pem", certificate-key = "ts-b.key", trusted-ca = "ca-bundle.pem" }

[app.ts_primary]
type = "tserver"
host = "ts-a"
backup = "ts_backup"

[app.ts_primary.port.secure]
number = P1
mode = "secured"

[app.ts_primary.port.ha]
number = P2
mode = "secured"
ha-sync = true

[app.ts_backup]
type = "tserver"
host = "ts-b"

[app.ts_backup.port.secure]
number = P3
mode = "secured"

[app.ts_backup.port.ha]
number = P4
mode = "secured"
ha-sync = true
"#;

#[test]
fn the_pair_checks_find_a_port_level_certificate_on_the_ha_sync_port() {
    // The lab: every port serves its host's certificate, except the primary's HA-sync port,
    // which serves a port-level one.
    let servers = [
        s_server("ts-a", None, &[]),
        s_server("ts-a-port", None, &[]),
        s_server("ts-b", None, &[]),
        s_server("ts-b", None, &[]),
    ];
    let mut text = PAIR.to_string();
    for (i, srv) in servers.iter().enumerate() {
        text = text.replace(&format!("P{}", i + 1), &srv.port.to_string());
    }
    let topology = certs().join("pair.toml");
    std::fs::write(&topology, text).expect("written");
    let (code, doc) = probe(&[
        "--topology",
        &s(&topology),
        "--app",
        "ts_primary",
        "--resolve",
        "ts-a=127.0.0.1",
        "--resolve",
        "ts-b.lab.example=127.0.0.1",
        "--certs",
        &s(certs()),
    ]);
    assert_eq!(
        doc["endpoints"].as_array().map(Vec::len),
        Some(4),
        "{doc:#}"
    );
    assert_eq!(
        pair_severity(&doc, "ha-sync-port-cert-differs").as_deref(),
        Some("high"),
        "{doc:#}"
    );
    // The backup's HA-sync port serves its host's certificate.
    let ok = doc["pair"].as_array().expect("pair").iter().any(|f| {
        f["id"] == "ha-sync-port-cert" && f["message"].to_string().contains("ts_backup/ha")
    });
    assert!(ok, "{doc:#}");
    assert_eq!(
        pair_severity(&doc, "pair-port-secured").as_deref(),
        Some("ok")
    );
    assert_eq!(pair_severity(&doc, "pair-same-ca").as_deref(), Some("ok"));
    assert_eq!(
        pair_severity(&doc, "pair-cert-own-host").as_deref(),
        Some("ok")
    );
    for i in 0..4 {
        assert_eq!(
            severity(&doc, i, "san-match").as_deref(),
            Some("ok"),
            "{doc:#}"
        );
        assert_eq!(
            severity(&doc, i, "chain-trusted").as_deref(),
            Some("ok"),
            "{doc:#}"
        );
    }
    assert_eq!(code, 1);
}

#[test]
fn a_server_that_still_speaks_tls11_is_found_by_the_raw_client_hello() {
    // Debian's openssl refuses TLS 1.1 at its default security level; level 0 allows it.
    let srv = s_server("good", None, &["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"]);
    let (code, doc) = probe(&[&at(srv.port)]);
    has(&doc, "tls11-offered", "medium");
    has(&doc, "tls10-not-offered", "ok");
    has(&doc, "no-tls-version", "high");
    assert_eq!(code, 1);
}

#[test]
fn a_port_that_closes_at_once_is_connection_closed() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let serve = std::thread::spawn(move || {
        // Every connection the probe opens is closed unanswered (two attempts and the two
        // legacy ClientHellos at most).
        listener.set_nonblocking(false).expect("blocking");
        for c in listener.incoming().take(2) {
            drop(c);
        }
    });
    let (code, doc) = probe(&[&at(port)]);
    has(&doc, "connection-closed", "high");
    assert_eq!(code, 1);
    let _ = serve.join();
}
