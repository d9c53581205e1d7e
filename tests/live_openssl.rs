//! A client no one here wrote: the real `openssl s_client` against a live node's secured port
//! (`hapair run --live`, a T-Server pair whose `secure` port demands mutual TLS). The PKI is
//! made by `hapair certs gen` (the binary) and the live run is pointed at those very files
//! (`pem`/`key` in `[pki]`), so that `-CAfile` is the run's trust store. s_client verifies the
//! chain (`-verify_return_error`) and the host name (`-verify_hostname`) at the scenario's
//! clock (`-attime`), and shows the protocol version and the chain as sent (`-showcerts`);
//! with `-cert/-key` the mutual handshake is accepted, without them the server refuses with
//! `certificate required`, and a wrong host name fails verification. `openssl` is at
//! /usr/bin/openssl (ci/test installs it).

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The scenario's clock, 2026-06-01T08:00:00Z, as s_client's `-attime` takes it.
const CLOCK_UNIX: &str = "1780300800";

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// Kills the live run when the test ends, passed or not.
struct Run(Child);

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The mutual-TLS pair of the shipped scenario, without its steps, running 10 minutes, its
/// PKI the files `hapair certs gen` wrote under `dir/pki`.
fn scenario(dir: &Path) -> PathBuf {
    let shipped = std::fs::read_to_string(repo("scenarios/mutual-tls-no-client-cert.toml"))
        .expect("shipped scenario");
    let head = shipped
        .split("[[step]]")
        .next()
        .expect("head")
        .replace("seed = 1\n", "seed = 1\nduration = \"600s\"\n");
    let text = format!(
        "{head}\n[[expect]]\nrole = {{ app = \"ts_primary\", is = \"primary\" }}\nat = \"500s\"\n"
    );
    let gen_file = dir.join("gen.toml");
    std::fs::write(&gen_file, &text).expect("written");
    let o = Command::new(env!("CARGO_BIN_EXE_hapair"))
        .args(["certs", "gen"])
        .arg(&gen_file)
        .arg("--out")
        .arg(dir.join("pki"))
        .output()
        .expect("hapair certs gen runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut live = text.replace(
        "[topology.pki.ca.lab-ca]\n",
        "[topology.pki.ca.lab-ca]\npem = \"pki/ca/lab-ca.pem\"\nkey = \"pki/ca/lab-ca.key\"\n",
    );
    for name in ["ts-a", "ts-b", "sup-1"] {
        live = live.replace(
            &format!("[topology.pki.cert.{name}]\n"),
            &format!(
                "[topology.pki.cert.{name}]\npem = \"pki/{name}.pem\"\nkey = \"pki/{name}.key\"\n"
            ),
        );
    }
    let path = dir.join("live.toml");
    std::fs::write(&path, live).expect("written");
    path
}

/// Starts the live run and waits for the address `HOST:PORT` is mapped to.
fn start(file: &Path, host_port: &str) -> (Run, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hapair"))
        .args(["run", "--live"])
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hapair starts");
    let mut stderr = child.stderr.take().expect("stderr");
    let run = Run(child);
    let needle = format!("{host_port} listens on ");
    let started = Instant::now();
    let mut text = String::new();
    let mut byte = [0_u8; 1];
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no listener for {host_port}: {text}"
        );
        match stderr.read(&mut byte) {
            Ok(1) => text.push(char::from(byte[0])),
            _ => panic!("the live run ended: {text}"),
        }
        if let Some(line) = text
            .lines()
            .find(|l| l.contains(&needle) && text.ends_with('\n'))
        {
            let addr = line.rsplit(' ').next().expect("address").to_string();
            // Keep draining stderr so that the run never blocks on a full pipe.
            std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
            return (run, addr);
        }
    }
}

/// `openssl s_client` against `addr` with `args`, stdin closed, bounded in time.
fn s_client(addr: &str, dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            addr,
            "-servername",
            "ts-a.lab.example",
        ])
        .arg("-CAfile")
        .arg(dir.join("pki/ca-bundle.pem"))
        .args(["-verify_return_error", "-attime", CLOCK_UNIX])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl runs");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn openssl_s_client_sees_the_topologys_chain_host_and_version_with_mutual_tls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = scenario(dir.path());
    let (_run, addr) = start(&file, "ts-a.lab.example:3001");
    assert!(addr.starts_with("127.0.1.1:"), "{addr}");

    // Mutual TLS with the supervisor's certificate: accepted, TLS 1.3, the host name verified.
    let with_cert = &[
        "-brief",
        "-verify_hostname",
        "ts-a.lab.example",
        "-cert",
        "pki/sup-1.pem",
        "-key",
        "pki/sup-1.key",
    ];
    let o = s_client(&addr, dir.path(), with_cert);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("Protocol version: TLSv1.3"), "{t}");
    assert!(t.contains("Peer certificate: CN = ts-a.lab.example"), "{t}");
    assert!(t.contains("Verification: OK"), "{t}");
    assert!(t.contains("Verified peername: ts-a.lab.example"), "{t}");

    // The chain as sent: the leaf, issued by the topology's CA, and nothing else.
    let o = s_client(
        &addr,
        dir.path(),
        &[
            "-showcerts",
            "-cert",
            "pki/sup-1.pem",
            "-key",
            "pki/sup-1.key",
        ],
    );
    let t = text(&o);
    assert!(t.contains(" 0 s:CN = ts-a.lab.example"), "{t}");
    assert!(t.contains("i:CN = Lab CA, O = hapair lab"), "{t}");
    assert!(!t.contains(" 1 s:"), "only the leaf is sent: {t}");
    assert!(t.contains("Verify return code: 0 (ok)"), "{t}");

    // Without a client certificate the server refuses (TLS 1.3: after the handshake, with the
    // `certificate required` alert, which s_client reads as it waits for data).
    let o = s_client(&addr, dir.path(), &["-brief", "-ign_eof"]);
    let t = text(&o);
    assert_ne!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("certificate required"), "{t}");

    // Another host name than the certificate's fails verification.
    let o = s_client(
        &addr,
        dir.path(),
        &[
            "-brief",
            "-verify_hostname",
            "ts-b.lab.example",
            "-cert",
            "pki/sup-1.pem",
            "-key",
            "pki/sup-1.key",
        ],
    );
    let t = text(&o);
    assert_ne!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("hostname mismatch"), "{t}");
}
