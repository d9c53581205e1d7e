//! `hapair node` as separate OS processes: the SCS, a warm-standby T-Server pair and a
//! desktop, each a process of its own finding the others through one folder. The primary's
//! process is killed (SIGKILL); the merged traces show the backup promoted and the desktop
//! connected to it over TLS again; the survivors end cleanly on SIGTERM (exit 0).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A warm-standby pair over TLS: the desktop talks to the primary only, so that it has to
/// reconnect after the failover.
const TOPOLOGY: &str = r#"
name = "node-procs"

[pki.ca.lab-ca]
subject = "CN=Lab CA,O=hapair lab"

[pki.cert.ts-a]
issuer = "lab-ca"
hosts = ["ts-a.lab.example"]

[pki.cert.ts-b]
issuer = "lab-ca"
hosts = ["ts-b.lab.example"]

[pki.cert.desk-1]
issuer = "lab-ca"
hosts = ["desk-1.lab.example"]

[host.ts-a]
name = "ts-a.lab.example"

[host.ts-b]
name = "ts-b.lab.example"

[host.desk-1]
name = "desk-1.lab.example"

[app.ts_primary]
type = "tserver"
host = "ts-a"
backup = "ts_backup"
redundancy = "warm-standby"
reconnect-timeout = "10s"
security = { certificate = "ts-a", trusted-ca = "lab-ca" }

[app.ts_primary.port.secure]
number = 3001
mode = "secured"

[app.ts_backup]
type = "tserver"
host = "ts-b"
redundancy = "warm-standby"
security = { certificate = "ts-b", trusted-ca = "lab-ca" }

[app.ts_backup.port.secure]
number = 3001
mode = "secured"

[app.desk]
type = "client"
host = "desk-1"
security = { certificate = "desk-1", trusted-ca = "lab-ca" }

[[connection]]
from = "desk"
to = "ts_primary"
port = "secure"
security = { tls-target-name-check = "host" }
"#;

const TIMEOUT: Duration = Duration::from_secs(300);

/// The node processes, every one killed when the test ends, however it ends.
struct Nodes(Vec<(String, Child)>);

impl Drop for Nodes {
    fn drop(&mut self) {
        for (_, child) in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Nodes {
    /// Starts a node on the folder `root/nodes`, its stderr in `root/NAME.log`.
    fn start(&mut self, root: &Path, topology: &Path, part: &[&str], name: &str) {
        let log = std::fs::File::create(root.join(format!("{name}.log"))).expect("log");
        let child = Command::new(env!("CARGO_BIN_EXE_hapair"))
            .arg("node")
            .arg("--topology")
            .arg(topology)
            .args(part)
            .arg("--dir")
            .arg(root.join("nodes"))
            .args(["--time-scale", "20"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("hapair node starts");
        self.0.push((name.to_string(), child));
    }

    fn child(&mut self, name: &str) -> &mut Child {
        &mut self.0.iter_mut().find(|(n, _)| n == name).expect("node").1
    }
}

/// The merged trace of `root/nodes`, read through `hapair merge-traces`.
fn merged(root: &Path) -> Vec<serde_json::Value> {
    let o = Command::new(env!("CARGO_BIN_EXE_hapair"))
        .arg("merge-traces")
        .arg(root.join("nodes"))
        .output()
        .expect("merge-traces runs");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("an event a line"))
        .collect()
}

fn is(e: &serde_json::Value, node: &str, event: &str) -> bool {
    e["node"] == node && e["event"] == event
}

fn logs(root: &Path) -> String {
    let mut text = String::new();
    for name in ["scs", "ts_primary", "ts_backup", "desk"] {
        let log = std::fs::read_to_string(root.join(format!("{name}.log"))).unwrap_or_default();
        text.push_str(&format!("--- {name}\n{log}"));
    }
    text
}

/// Polls `done` on the merged trace until it holds.
fn wait_for(root: &Path, what: &str, done: impl Fn(&[serde_json::Value]) -> bool) {
    let started = Instant::now();
    loop {
        if done(&merged(root)) {
            return;
        }
        assert!(
            started.elapsed() < TIMEOUT,
            "{what}: not seen in {}s\n{}",
            TIMEOUT.as_secs(),
            logs(root)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_pair_across_processes_fails_over_when_the_primary_process_is_killed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let topology = tmp.path().join("topology.toml");
    std::fs::write(&topology, TOPOLOGY).expect("topology");
    let mut nodes = Nodes(Vec::new());
    // Started in an order that makes the early ones dial peers not yet there.
    nodes.start(tmp.path(), &topology, &["--app", "desk"], "desk");
    nodes.start(tmp.path(), &topology, &["--scs"], "scs");
    nodes.start(tmp.path(), &topology, &["--app", "ts_backup"], "ts_backup");
    nodes.start(
        tmp.path(),
        &topology,
        &["--app", "ts_primary"],
        "ts_primary",
    );

    let tls_to = |peer: &'static str| {
        move |e: &serde_json::Value| {
            is(e, "desk", "connected") && e["peer"] == peer && e["tls"] == true
        }
    };
    wait_for(dir, "the desktop connected to the primary over TLS", |t| {
        t.iter().any(tls_to("ts_primary"))
    });
    // Every process published where it listens.
    for host in ["ts-a.lab.example", "ts-b.lab.example", "desk-1.lab.example"] {
        let text = std::fs::read_to_string(dir.join("nodes").join(format!("{host}.addr")))
            .expect("addr file");
        assert!(text.starts_with("ip 127.0.1."), "{host}: {text}");
    }

    let primary = nodes.child("ts_primary");
    primary.kill().expect("SIGKILL");
    primary.wait().expect("reaped");

    wait_for(
        dir,
        "the backup promoted and the desktop on it over TLS",
        |t| {
            let Some(lost) = t
                .iter()
                .position(|e| is(e, "desk", "disconnected") && e["peer"] == "ts_primary")
            else {
                return false;
            };
            let promoted = t
                .iter()
                .any(|e| is(e, "ts_backup", "role-changed") && e["to"] == "primary");
            promoted && t.iter().skip(lost).any(tls_to("ts_backup"))
        },
    );
    let trace = merged(dir);
    // One time axis: the merged trace is in order, and the desktop's session to the backup
    // came after the primary's last event.
    assert!(
        trace
            .windows(2)
            .all(|w| w[0]["at_ms"].as_u64() <= w[1]["at_ms"].as_u64())
    );
    let last_primary = trace
        .iter()
        .filter(|e| e["node"] == "ts_primary")
        .filter_map(|e| e["at_ms"].as_u64())
        .max()
        .expect("the primary's events");
    assert!(
        trace
            .iter()
            .filter(|e| tls_to("ts_backup")(e))
            .any(|e| e["at_ms"].as_u64() >= Some(last_primary)),
        "{}",
        logs(dir)
    );

    // The survivors end cleanly on SIGTERM.
    for name in ["desk", "scs", "ts_backup"] {
        let child = nodes.child(name);
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let code = child.wait().expect("exits").code();
        assert_eq!(code, Some(0), "{name}\n{}", logs(dir));
    }
}
