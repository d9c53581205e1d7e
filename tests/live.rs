//! `hapair run --live` as a process: a shipped switchover scenario (a T-Server pair over TLS,
//! the primary's process crashed, the client following it to the backup) passes on real
//! loopback sockets and real timers, and every socket the run listens on is bound to a
//! 127.0.1.x address (read from the kernel: the process's socket inodes in `/proc`, matched
//! against the listening sockets of `/proc/net/tcp`). A scenario marked `simulation-only` is
//! skipped with its reason; `--seeds` is refused with `--live`.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// The socket inodes the process `pid` holds.
fn socket_inodes(pid: u32) -> BTreeSet<u64> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return BTreeSet::new();
    };
    fds.flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|target| {
            let t = target.to_string_lossy().into_owned();
            t.strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse::<u64>()
                .ok()
        })
        .collect()
}

/// The listening IPv4 sockets of the network namespace: (address, port, inode).
fn listening() -> Vec<(Ipv4Addr, u16, u64)> {
    let text = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            // local_address, st (0A: listen), inode.
            let (local, state, inode) = (f.get(1)?, f.get(3)?, f.get(9)?);
            if *state != "0A" {
                return None;
            }
            let (ip, port) = local.split_once(':')?;
            // The address is written in the host's byte order (little-endian here).
            let ip = Ipv4Addr::from(u32::from_str_radix(ip, 16).ok()?.swap_bytes());
            let port = u16::from_str_radix(port, 16).ok()?;
            Some((ip, port, inode.parse().ok()?))
        })
        .collect()
}

#[test]
fn a_tls_switchover_passes_live_and_listens_on_loopback_127_0_1_only() {
    let out = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hapair"))
        .args([
            "run",
            "--live",
            "--time-scale",
            "20",
            "--format",
            "json",
            "--out",
        ])
        .arg(out.path())
        .arg(repo("scenarios/switchover-secured-default.toml"))
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hapair starts");
    let pid = child.id();
    // What the process listens on, sampled while it runs (the run lasts seconds).
    let mut seen: BTreeSet<(Ipv4Addr, u16)> = BTreeSet::new();
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        let mine = socket_inodes(pid);
        for (ip, port, inode) in listening() {
            if mine.contains(&inode) {
                seen.insert((ip, port));
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the live run did not end in 10 minutes"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    let verdicts = report.to_string();
    assert!(verdicts.contains("\"held\":true"), "{verdicts}");
    assert!(!verdicts.contains("\"held\":false"), "{verdicts}");
    // The artefacts of a simulated run are written for a live one too.
    assert!(out.path().join("junit.xml").is_file());
    // Both servers' hosts listen (on port 3000 when it was free on their address).
    for host in ["127.0.1.1", "127.0.1.2"] {
        let ip: Ipv4Addr = host.parse().expect("ip");
        assert!(seen.iter().any(|(i, _)| *i == ip), "{host}: {seen:?}");
    }
    for (ip, port) in &seen {
        let [a, b, c, _] = ip.octets();
        assert_eq!((a, b, c), (127, 0, 1), "listened on {ip}:{port}: {seen:?}");
    }
    // The mapping is printed.
    assert!(
        stderr.contains("ts-a.lab.example:3000 listens on 127.0.1.1:"),
        "{stderr}"
    );
}

/// The fault proxy: how a link dies live is how it dies in the simulation (the shipped
/// link-death scenarios: a crashed process's sessions are reset and a dial to it refused, a
/// partition and a powered-off host time dials out and end sessions by ADDP).
#[test]
fn links_die_live_as_in_the_simulation() {
    for file in [
        "scenarios/genesys/link-death-process-crash.toml",
        "scenarios/genesys/link-death-partition.toml",
        "scenarios/genesys/link-death-power-off.toml",
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_hapair"))
            .args(["run", "--live", "--time-scale", "10"])
            .arg(repo(file))
            .env("NO_COLOR", "1")
            .output()
            .expect("hapair runs");
        assert_eq!(
            o.status.code(),
            Some(0),
            "{file}\n{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn a_simulation_only_scenario_is_skipped_live_with_its_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(repo("scenarios/switchover-secured-default.toml"))
        .expect("shipped scenario")
        .replace(
            "seed = 1\n",
            "seed = 1\nsimulation-only = \"needs a clock skew of 400 days\"\n",
        );
    let path = dir.path().join("sim-only.toml");
    std::fs::write(&path, text).expect("written");
    let o = Command::new(env!("CARGO_BIN_EXE_hapair"))
        .args(["run", "--live", "--time-scale", "20"])
        .arg(&path)
        .output()
        .expect("hapair runs");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("skipped") && stderr.contains("needs a clock skew of 400 days"),
        "{stderr}"
    );
    // The simulator runs it as any other.
    let o = Command::new(env!("CARGO_BIN_EXE_hapair"))
        .args(["run"])
        .arg(&path)
        .output()
        .expect("hapair runs");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn seeds_and_time_scale_are_checked() {
    let file = repo("scenarios/switchover-secured-default.toml");
    for args in [
        vec!["run", "--live", "--seeds", "3"],
        vec!["run", "--time-scale", "10"],
        vec!["run", "--live", "--time-scale", "0"],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_hapair"))
            .args(&args)
            .arg(&file)
            .output()
            .expect("hapair runs");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}
