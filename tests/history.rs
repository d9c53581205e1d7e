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

/// Warm standby replicates no events (by design): what only the primary held when it went is
/// unreplicated, not a bug candidate (`hapair run` reported 19 "other" losses for this
/// scenario on every seed while its verdicts all held).
#[test]
fn warm_standby_losses_are_unreplicated() {
    let o = run("warm-standby-event-loss.toml");
    let c = &o.history.total;
    assert!(c.lost_unreplicated > 0, "{c:?}");
    assert_eq!(c.lost_other, 0, "{c:?}");
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
    let crashed = |at_ms: u64, node: &str| {
        ev(
            at_ms,
            node,
            Kind::Stopped {
                reason: StopReason::Crashed,
            },
        )
    };
    // Both copies went: the backup held it too, then both crashed: a double failure.
    let mut down = base.clone();
    down.extend([
        ev(12, "ts_backup", stored("desk-1")),
        crashed(20, "ts_backup"),
        crashed(25, "ts_primary"),
        ev(30, "ts_primary", Kind::Started { role: None }),
        ev(30, "ts_primary", Kind::StoreCleared),
        ev(31, "ts_primary", role(hapair::topology::Role::Primary)),
    ]);
    let c = classify(&s.topology, &Trace { events: down });
    assert_eq!(c.get("desk-1"), Some(&LossClass::DoubleFailure), "{c:?}");
    // One copy only, no HA link ever synced, and its holder crashed: unreplicated (it was
    // a double failure before the copies were counted; one crash is one failure).
    let mut single = base.clone();
    single.extend([
        crashed(20, "ts_primary"),
        ev(20, "ts_backup", role(hapair::topology::Role::Primary)),
        ev(30, "ts_primary", Kind::Started { role: None }),
        ev(30, "ts_primary", Kind::StoreCleared),
        ev(31, "ts_primary", role(hapair::topology::Role::Backup)),
    ]);
    let c = classify(&s.topology, &Trace { events: single });
    assert_eq!(c.get("desk-1"), Some(&LossClass::Unreplicated), "{c:?}");
    // Two copies; the primary crashed; a switchover promoted the other instance, which had
    // restarted and never synchronised; the survivor took its empty state: the documented
    // "switchover while readiness is 0" double failure (cert-expires-mid-run.toml seed 4 of a
    // sweep showed it as a bug candidate).
    // A synchronisation as the backup's end reports it ("Full Sync Done" received), which is
    // what the loss classes read (the primary's end reports it when sent).
    let sync = |at_ms: u64, node: &str, primary: &str, backup: &str| {
        ev(
            at_ms,
            node,
            Kind::HaSynced {
                primary: primary.into(),
                backup: backup.into(),
                port: "ha".into(),
                tls: true,
            },
        )
    };
    let mut unready = base.clone();
    unready.extend([
        ev(12, "ts_backup", stored("desk-1")),
        crashed(20, "ts_primary"),
        ev(
            21,
            "ts_backup",
            Kind::RoleChanged {
                from: Some(hapair::topology::Role::Backup),
                to: hapair::topology::Role::Primary,
            },
        ),
        ev(30, "ts_primary", Kind::Started { role: None }),
        ev(30, "ts_primary", Kind::StoreCleared),
        ev(31, "ts_primary", role(hapair::topology::Role::Backup)),
        ev(
            40,
            "ts_backup",
            Kind::RoleChanged {
                from: Some(hapair::topology::Role::Primary),
                to: hapair::topology::Role::Backup,
            },
        ),
        ev(
            40,
            "ts_primary",
            Kind::RoleChanged {
                from: Some(hapair::topology::Role::Backup),
                to: hapair::topology::Role::Primary,
            },
        ),
        sync(47, "ts_backup", "ts_primary", "ts_backup"),
        ev(46, "ts_backup", Kind::StoreCleared),
    ]);
    let c = classify(
        &s.topology,
        &Trace {
            events: unready.clone(),
        },
    );
    assert_eq!(c.get("desk-1"), Some(&LossClass::DoubleFailure), "{c:?}");
    // The same without the final resync: the survivor still holds its copy as backup, the
    // primary promoted unready lacks it: stranded by the same documented double failure
    // (ca-rollover-old-ca-removed-first.toml seed 3 of a sweep: a drawn switchover to an
    // instance whose HA link the configuration refuses showed 867 such events as bug
    // candidates).
    let stranded: Vec<_> = unready.iter().filter(|e| e.at_ms < 45).cloned().collect();
    let c = classify(
        &s.topology,
        &Trace {
            events: stranded.clone(),
        },
    );
    assert_eq!(c.get("desk-1"), Some(&LossClass::DoubleFailure), "{c:?}");
    // Stranded after a promotion of a ready instance: a bug candidate.
    let mut stranded_ready = stranded;
    stranded_ready.push(sync(32, "ts_primary", "ts_backup", "ts_primary"));
    stranded_ready.sort_by_key(|e| e.at_ms);
    let c = classify(
        &s.topology,
        &Trace {
            events: stranded_ready,
        },
    );
    assert_eq!(c.get("desk-1"), Some(&LossClass::Other), "{c:?}");
    // The same, but the promoted instance had synchronised after its restart: it was ready
    // and still lacked the event, so the survivor's copy was overwritten by a bug candidate.
    let mut ready = unready.clone();
    ready.push(sync(32, "ts_primary", "ts_backup", "ts_primary"));
    ready.sort_by_key(|e| e.at_ms);
    let c = classify(&s.topology, &Trace { events: ready });
    assert_eq!(c.get("desk-1"), Some(&LossClass::Other), "{c:?}");
    // One copy, though a synchronisation ran while the primary held it (the planted
    // `resync-drops-last` defect): replication failed, a bug candidate.
    let mut dropped = base.clone();
    dropped.extend([
        sync(15, "ts_backup", "ts_primary", "ts_backup"),
        crashed(20, "ts_primary"),
        ev(20, "ts_backup", role(hapair::topology::Role::Primary)),
    ]);
    let c = classify(&s.topology, &Trace { events: dropped });
    assert_eq!(c.get("desk-1"), Some(&LossClass::Other), "{c:?}");
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
    synced.extend(resync.clone());
    synced.sort_by_key(|e| e.at_ms);
    let c = classify(
        &s.topology,
        &Trace {
            events: synced.clone(),
        },
    );
    assert_eq!(c.get("desk-1"), Some(&LossClass::Other), "{c:?}");
    // Split brain: the backup is promoted while the old primary runs on; the promoted
    // instance's dialler is aborted at its role change (no `disconnected` of its own), the
    // old primary acknowledges an event alone, and is then demoted and resynchronised:
    // acknowledged while the HA link was down, unreplicated (split-brain-partition.toml seed
    // 2 of a sweep counted the link as still synced, a bug candidate).
    let mut split: Vec<_> = synced.iter().filter(|e| e.at_ms < 10).cloned().collect();
    split.extend([
        ev(
            8,
            "ts_backup",
            Kind::RoleChanged {
                from: Some(hapair::topology::Role::Backup),
                to: hapair::topology::Role::Primary,
            },
        ),
        ev(10, "ts_primary", stored("desk-1")),
        ev(11, "desk", acked("desk-1")),
        ev(20, "ts_primary", role(hapair::topology::Role::Backup)),
        ev(21, "ts_primary", Kind::StoreCleared),
    ]);
    let c = classify(&s.topology, &Trace { events: split });
    assert_eq!(c.get("desk-1"), Some(&LossClass::Unreplicated), "{c:?}");
    // The primary noticed the link down first (its ADDP across a partition the backup's end
    // had not noticed), then acknowledged alone, and crashed: unreplicated, though the
    // backup's end of the session was still open (backup-host-power-off.toml seeds 15 and 39
    // of a 60-seed sweep counted the link as synced, bug candidates).
    let mut noticed: Vec<_> = synced.iter().filter(|e| e.at_ms < 10).cloned().collect();
    noticed.extend([
        ev(
            8,
            "ts_primary",
            Kind::Disconnected {
                peer: "ts_backup".into(),
                port: "ha".into(),
                reason: hapair::trace::DisconnectReason::AddpTimeout,
            },
        ),
        ev(10, "ts_primary", stored("desk-1")),
        ev(11, "desk", acked("desk-1")),
        crashed(20, "ts_primary"),
        ev(
            21,
            "ts_backup",
            Kind::RoleChanged {
                from: Some(hapair::topology::Role::Backup),
                to: hapair::topology::Role::Primary,
            },
        ),
    ]);
    let c = classify(&s.topology, &Trace { events: noticed });
    assert_eq!(c.get("desk-1"), Some(&LossClass::Unreplicated), "{c:?}");
    // The HA link went down and the backup was promoted in the middle of its resync (its copy
    // cleared, the new one not complete): not ready, although it had been synchronised before
    // the link went down; its synchronisation then overwrote the last copy: the documented
    // double failure (the SIP node logs `double-failure` there; sip-backup-init-check.toml
    // seed 71 of a sweep counted it a bug candidate).
    let mut midsync = base.clone();
    midsync.extend([
        sync(5, "ts_backup", "ts_primary", "ts_backup"),
        ev(12, "ts_backup", stored("desk-1")),
        ev(
            20,
            "ts_backup",
            Kind::Disconnected {
                peer: "ts_primary".into(),
                port: "ha".into(),
                reason: hapair::trace::DisconnectReason::AddpTimeout,
            },
        ),
        ev(25, "ts_backup", Kind::StoreCleared),
        ev(
            30,
            "ts_primary",
            Kind::RoleChanged {
                from: Some(hapair::topology::Role::Primary),
                to: hapair::topology::Role::Backup,
            },
        ),
        ev(
            30,
            "ts_backup",
            Kind::RoleChanged {
                from: Some(hapair::topology::Role::Backup),
                to: hapair::topology::Role::Primary,
            },
        ),
        sync(33, "ts_primary", "ts_backup", "ts_primary"),
        ev(32, "ts_primary", Kind::StoreCleared),
    ]);
    midsync.sort_by_key(|e| e.at_ms);
    let c = classify(&s.topology, &Trace { events: midsync });
    assert_eq!(c.get("desk-1"), Some(&LossClass::DoubleFailure), "{c:?}");
    // Split brain, then the SCS's primary crashed and was restarted straight into the primary
    // role with an empty store (its partner out of the SCS's reach); at the heal the partner,
    // holding every copy left, was demoted and overwritten: two failures (the partition and
    // the crash), not a bug (split-brain-left-to-liveness.toml, 5 of 40 seeds of a sweep).
    let rc = |at_ms: u64, node: &str, from, to| ev(at_ms, node, Kind::RoleChanged { from, to });
    use hapair::topology::Role::{Backup, Primary};
    let mut restarted = base.clone();
    restarted.extend([
        sync(5, "ts_backup", "ts_primary", "ts_backup"),
        ev(12, "ts_backup", stored("desk-1")),
        rc(20, "ts_backup", Some(Backup), Primary),
        crashed(30, "ts_backup"),
        ev(40, "ts_backup", Kind::Started { role: None }),
        ev(40, "ts_backup", Kind::StoreCleared),
        rc(41, "ts_backup", None, Primary),
        rc(50, "ts_primary", Some(Primary), Backup),
        sync(53, "ts_primary", "ts_backup", "ts_primary"),
        ev(52, "ts_primary", Kind::StoreCleared),
    ]);
    restarted.sort_by_key(|e| e.at_ms);
    let c = classify(&s.topology, &Trace { events: restarted });
    assert_eq!(c.get("desk-1"), Some(&LossClass::DoubleFailure), "{c:?}");
}
