//! Applications by role: an application is its listeners, its outbound connections (servers
//! dial their own `[[connection]]`s too) and, in a pair, its HA link; a process crash ends all
//! of it. Each behaviour is read off the trace of a scenario file, under several seeds.

use std::path::{Path, PathBuf};

use hapair::topology::Purpose;
use hapair::trace::{Event, Kind, Trace};

const SEEDS: [u64; 4] = [1, 2, 3, 17];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs the scenario at `path` (from the repository root) with `seed`; every expectation and
/// invariant must hold.
fn run(path: &str, seed: u64) -> Trace {
    let file = repo().join(path);
    let s = hapair::scenario::load(&file).unwrap_or_else(|e| panic!("{path}: {e}"));
    let o = hapair::execute::execute(&s, seed).unwrap_or_else(|e| panic!("{path}: {e}"));
    let failed: Vec<_> = o.verdicts.iter().filter(|v| !v.held).collect();
    assert!(failed.is_empty(), "{path} seed {seed}: {failed:?}");
    o.trace
}

fn connected(e: &Event, from: &str, to: &str, port: &str, tls: bool) -> bool {
    e.node == from
        && matches!(&e.kind, Kind::Connected { peer, port: p, tls: t, purpose: Purpose::Client }
            if peer == to && p == port && *t == tls)
}

fn dials(e: &Event, from: &str, to: &str) -> bool {
    e.node == from && matches!(&e.kind, Kind::ConnectAttempt { to: t, .. } if t == to)
}

#[test]
fn a_tserver_dials_its_configuration_server_connection() {
    for seed in SEEDS {
        let trace = run("scenarios/propagated-cert-diffhost.toml", seed);
        let before_crash = |e: &&Event| e.at_ms < 20_000;
        // The primary's `[[connection]]` to confserv, secured with its connection-level
        // certificate: dialled, handshaken, up on both sides.
        assert!(
            trace.events.iter().filter(before_crash).any(|e| connected(
                e,
                "ts_primary",
                "confserv",
                "secure",
                true
            )),
            "seed {seed}: ts_primary never connected to confserv"
        );
        assert!(
            trace.events.iter().filter(before_crash).any(|e| {
                e.node == "ts_primary"
                    && matches!(&e.kind, Kind::HandshakeOk { peer, peer_subject, .. }
                        if peer == "confserv" && peer_subject.as_deref() == Some("CN=cs.lab.example"))
            }),
            "seed {seed}: no handshake with confserv's certificate"
        );
        assert!(
            trace.events.iter().filter(before_crash).any(|e| connected(
                e,
                "confserv",
                "ts_primary",
                "secure",
                true
            )),
            "seed {seed}: confserv never saw ts_primary"
        );
        // Only the application the connection is `from` dials it: not its backup.
        assert!(
            !trace
                .events
                .iter()
                .any(|e| dials(e, "ts_backup", "confserv")),
            "seed {seed}: ts_backup has no connection to confserv"
        );
    }
}

#[test]
fn icons_dial_the_tserver_pair_and_no_dap() {
    for seed in SEEDS {
        let trace = run("tests/node/icon-ha-dials.toml", seed);
        for icon in ["icon_a", "icon_b"] {
            for ts in ["ts_primary", "ts_backup"] {
                assert!(
                    trace
                        .events
                        .iter()
                        .any(|e| connected(e, icon, ts, "default", false)),
                    "seed {seed}: {icon} never connected to {ts}"
                );
            }
            // A DAP listens on no port: the connection to it is no TCP session.
            assert!(
                !trace
                    .events
                    .iter()
                    .any(|e| dials(e, icon, "dap_a") || dials(e, icon, "dap_b")),
                "seed {seed}: {icon} dialled a DAP"
            );
        }
    }
}

#[test]
fn a_crashed_backup_ends_its_ha_link_and_stores_nothing_more() {
    for seed in SEEDS {
        let trace = run("tests/node/backup-crash.toml", seed);
        let crash = 10_000;
        // The process is gone: nothing it ran speaks for it any more.
        let after: Vec<_> = trace
            .events
            .iter()
            .filter(|e| e.node == "ts_backup" && e.at_ms >= crash)
            .filter(|e| !matches!(e.kind, Kind::Stopped { .. }))
            .collect();
        assert!(
            after.is_empty(),
            "seed {seed}: the crashed ts_backup still acts: {:?}",
            after.first()
        );
        // Its sockets closed with it: the primary sees its HA link end at once.
        let ended = trace
            .events
            .iter()
            .find(|e| {
                e.at_ms >= crash
                    && e.node == "ts_primary"
                    && matches!(&e.kind, Kind::Disconnected { peer, port, .. }
                        if peer == "ts_backup" && port == "ha")
            })
            .unwrap_or_else(|| panic!("seed {seed}: the primary kept its HA link"));
        assert!(
            ended.at_ms < crash + 1_000,
            "seed {seed}: HA link ended at {} ms",
            ended.at_ms
        );
    }
}
