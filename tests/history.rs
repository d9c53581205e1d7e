//! Client histories in three values (Step 10, item 3), read off the runs of shipped scenarios:
//! requests ok, failed or unknown; losses by class; the latency across a switchover.

use std::path::Path;

use hapair::check::history::{LossClass, classify, history};

fn run(name: &str) -> hapair::execute::Outcome {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(name);
    let s = hapair::scenario::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    hapair::execute::execute(&s, s.seed).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_request_is_ok_failed_or_unknown() {
    let o = run("manual-switchover.toml");
    let c = &o.history.total;
    assert!(c.requests > 0);
    assert_eq!(c.ok + c.failed + c.unknown, c.requests, "{c:?}");
    assert_eq!(c.lost(), 0, "{c:?}");
    assert_eq!(c.duplicated, 0, "{c:?}");
    let desk = o
        .history
        .clients
        .iter()
        .find(|h| h.client == "desk")
        .expect("desk");
    let s = desk.switchovers.first().expect("the switchover measured");
    assert_eq!(s.promote, "ts_backup");
    assert!(
        s.count >= 1 && s.p50_ms <= s.p99_ms && s.p99_ms <= s.max_ms,
        "{s:?}"
    );
    // The same, recomputed from the trace alone.
    let topology = hapair::scenario::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/manual-switchover.toml"),
    )
    .expect("loads")
    .topology;
    assert_eq!(history(&topology, &o.trace), o.history);
}

#[test]
fn a_switchover_while_the_ha_link_is_down_loses_unreplicated_events() {
    let o = run("switchover-while-ha-link-down.toml");
    let c = &o.history.total;
    assert!(c.lost_unreplicated > 0, "{c:?}");
    assert_eq!(c.lost_other, 0, "{c:?}");
    assert_eq!(c.lost_double_failure, 0, "{c:?}");
}

#[test]
fn losses_are_classified_by_what_happened_to_their_holders() {
    use hapair::trace::{Event, Kind, StopReason, Trace};
    let s = hapair::scenario::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/manual-switchover.toml"),
    )
    .expect("loads");
    let ev = |at_ms: u64, node: &str, kind: Kind| Event {
        at_ms,
        node: node.into(),
        kind,
    };
    let role = |to| Kind::RoleChanged { from: None, to };
    let stored = |id: &str| Kind::Stored {
        ids: vec![id.into()],
    };
    let acked = |id: &str| Kind::Acknowledged {
        id: id.into(),
        by: "ts_primary".into(),
    };
    let base = vec![
        ev(0, "ts_primary", role(hapair::topology::Role::Primary)),
        ev(0, "ts_backup", role(hapair::topology::Role::Backup)),
        ev(10, "ts_primary", stored("desk-1")),
        ev(11, "desk", acked("desk-1")),
    ];
    // Both holders went down (the backup never had it; the primary crashed, came back
    // empty as backup, and its partner is primary): a double failure.
    let mut down = base.clone();
    down.extend([
        ev(
            20,
            "ts_primary",
            Kind::Stopped {
                reason: StopReason::Crashed,
            },
        ),
        ev(20, "ts_backup", role(hapair::topology::Role::Primary)),
        ev(30, "ts_primary", Kind::Started { role: None }),
        ev(30, "ts_primary", Kind::StoreCleared),
        ev(31, "ts_primary", role(hapair::topology::Role::Backup)),
    ]);
    let c = classify(&s.topology, &Trace { events: down });
    assert_eq!(c.get("desk-1"), Some(&LossClass::DoubleFailure), "{c:?}");
    // The holder stayed up and dropped it on a resync; no HA link was synced when it was
    // acknowledged: unreplicated.
    let mut resync = base.clone();
    resync.extend([
        ev(20, "ts_primary", role(hapair::topology::Role::Backup)),
        ev(20, "ts_backup", role(hapair::topology::Role::Primary)),
        ev(21, "ts_primary", Kind::StoreCleared),
    ]);
    let c = classify(
        &s.topology,
        &Trace {
            events: resync.clone(),
        },
    );
    assert_eq!(c.get("desk-1"), Some(&LossClass::Unreplicated), "{c:?}");
    // The same with the HA link up and synced when it was acknowledged: a bug candidate.
    let link = |node: &str, kind: Kind| ev(5, node, kind);
    let mut synced = vec![
        link(
            "ts_backup",
            Kind::ConnectAttempt {
                to: "ts_primary".into(),
                port: "ha".into(),
                tls: true,
            },
        ),
        link(
            "ts_backup",
            Kind::Connected {
                peer: "ts_primary".into(),
                port: "ha".into(),
                tls: true,
                purpose: hapair::topology::Purpose::HaLink,
            },
        ),
        link(
            "ts_backup",
            Kind::HaSynced {
                primary: "ts_primary".into(),
                backup: "ts_backup".into(),
                port: "ha".into(),
                tls: true,
            },
        ),
    ];
    synced.extend(resync);
    synced.sort_by_key(|e| e.at_ms);
    let c = classify(&s.topology, &Trace { events: synced });
    assert_eq!(c.get("desk-1"), Some(&LossClass::Other), "{c:?}");
}
