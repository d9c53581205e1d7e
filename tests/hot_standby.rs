//! T-Server and SIP Server hot standby end to end (Step 8, item 5): the HA link's handshake in
//! T-Server's words (S-TS-HASYNC), SIP Server's readiness, its double failures, its batched
//! push of missing calls (S-SIPS-UPG) and `[TServer] backup-init-check` (S-SIPS-HAOPT), read off
//! the trace of the reference pairs under several seeds.

use std::rc::Rc;
use std::time::Duration;

use hapair::diag::Source;
use hapair::fault::Fault;
use hapair::sim::{Plan, Step};
use hapair::topology::{self, Role, Topology};
use hapair::trace::{Event, Kind, NotReady, Trace};
use time::OffsetDateTime;

const CLOCK: OffsetDateTime = time::macros::datetime!(2026-06-01 08:00 UTC);
const SEEDS: [u64; 3] = [1, 2, 17];

fn reference(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/topologies")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse(text: &str) -> Topology {
    topology::parse(Source::new("case.toml", text)).unwrap_or_else(|e| panic!("{:?}", e.problems))
}

fn run(topology: &str, seed: u64, duration: u64, steps: Vec<(u64, Fault)>) -> Trace {
    let text = reference(topology);
    let t = parse(&text);
    let m = hapair::pki::paths::for_topology(&t, CLOCK).expect("material");
    let mut plan = Plan::new(Rc::new(t), m, CLOCK, seed, Duration::from_secs(duration));
    plan.steps = steps
        .into_iter()
        .map(|(at, action)| Step::new(Duration::from_secs(at), action))
        .collect();
    hapair::sim::run(plan).expect("the simulation runs")
}

fn traffic(rate: f64) -> Fault {
    Fault::Traffic {
        from: "desk".into(),
        rate,
    }
}

fn crash(app: &str) -> Fault {
    Fault::Crash { app: app.into() }
}

fn restart(app: &str) -> Fault {
    Fault::Restart { app: app.into() }
}

fn option(app: &str, section: &str, key: &str, value: &str) -> Fault {
    Fault::Option {
        app: app.into(),
        section: section.into(),
        key: key.into(),
        value: value.into(),
    }
}

fn partition(on: bool) -> Fault {
    let (a, b) = ("sip-a".into(), "sip-b".into());
    if on {
        Fault::Partition { a, b }
    } else {
        Fault::Heal { a, b }
    }
}

fn find(trace: &Trace, after_ms: u64, f: impl Fn(&Event) -> bool) -> Option<&Event> {
    trace.events.iter().find(|e| e.at_ms >= after_ms && f(e))
}

fn double_failures<'a>(trace: &'a Trace, node: &'a str) -> Vec<&'a [NotReady]> {
    trace
        .of(node)
        .filter_map(|e| match &e.kind {
            Kind::DoubleFailure { not_ready, .. } => Some(not_ready.as_slice()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_t_server_backup_says_ready_the_primary_says_full_sync_done_then_the_link_is_connected() {
    for seed in SEEDS {
        let trace = run("tserver-pair.toml", seed, 10, vec![(0, traffic(20.0))]);
        let ready = find(&trace, 0, |e| {
            e.node == "ts_backup"
                && matches!(&e.kind, Kind::BackupReady { primary, .. } if primary == "ts_primary")
        })
        .expect("backup-ready");
        let done = find(&trace, ready.at_ms, |e| {
            e.node == "ts_primary"
                && matches!(&e.kind, Kind::FullSyncDone { backup, .. } if backup == "ts_backup")
        })
        .expect("full-sync-done after backup-ready");
        let linked = find(&trace, done.at_ms, |e| {
            e.node == "ts_backup"
                && matches!(&e.kind, Kind::LinkConnected { primary } if primary == "ts_primary")
        })
        .expect("link-connected after full-sync-done");
        assert!(
            linked.at_ms < 1_000,
            "seed {seed}: linked at {}",
            linked.at_ms
        );
        // A T-Server has no readiness of SIP Server's kind.
        assert!(find(&trace, 0, |e| matches!(e.kind, Kind::Readiness { .. })).is_none());
    }
}

#[test]
fn a_quiet_ha_link_under_addp_stays_up() {
    // The primary's end polls a backup it has not heard from for `addp-timeout` (10 s here);
    // the backup once never answered, and every quiet HA link dropped 20 s after its last
    // event (large-resync.toml's did at 35 s).
    for seed in SEEDS {
        let trace = run("tserver-pair.toml", seed, 60, vec![]);
        let dropped = find(
            &trace,
            0,
            |e| matches!(&e.kind, Kind::Disconnected { port, .. } if port == "ha"),
        );
        assert!(dropped.is_none(), "seed {seed}: {dropped:?}");
    }
}

#[test]
fn a_sip_failover_before_the_readiness_delay_is_a_double_failure() {
    for seed in SEEDS {
        let trace = run(
            "sip-server-pair.toml",
            seed,
            30,
            vec![(0, traffic(20.0)), (20, crash("sip_primary"))],
        );
        assert_eq!(
            double_failures(&trace, "sip_backup"),
            [[NotReady::DelayNotPassed].as_slice()],
            "seed {seed}"
        );
        let promoted = find(&trace, 20_000, |e| {
            e.node == "sip_backup"
                && matches!(
                    e.kind,
                    Kind::RoleChanged {
                        to: Role::Primary,
                        ..
                    }
                )
        })
        .expect("promoted");
        let failure = find(&trace, 0, |e| matches!(e.kind, Kind::DoubleFailure { .. }))
            .expect("double failure");
        assert_eq!(failure.at_ms, promoted.at_ms, "seed {seed}");
    }
}

#[test]
fn a_sip_failover_once_ready_is_no_double_failure_whether_crash_or_power_off() {
    for seed in SEEDS {
        let crashed = run(
            "sip-server-pair.toml",
            seed,
            75,
            vec![(0, traffic(20.0)), (65, crash("sip_primary"))],
        );
        let ready = find(&crashed, 0, |e| {
            e.node == "sip_primary"
                && matches!(
                    e.kind,
                    Kind::Readiness {
                        value: 1,
                        role: Role::Primary,
                        ..
                    }
                )
        })
        .expect("the primary becomes ready");
        assert!(
            (60_000..61_000).contains(&ready.at_ms),
            "seed {seed}: ready at {} ms, the delay after the link came up",
            ready.at_ms
        );
        assert!(
            double_failures(&crashed, "sip_backup").is_empty(),
            "seed {seed}"
        );
        assert!(
            find(&crashed, 65_000, |e| e.node == "sip_backup"
                && matches!(
                    e.kind,
                    Kind::RoleChanged {
                        to: Role::Primary,
                        ..
                    }
                ))
            .is_some()
        );
        let powered_off = run(
            "sip-server-pair.toml",
            seed,
            100,
            vec![
                (0, traffic(20.0)),
                (
                    65,
                    Fault::PowerOff {
                        host: "sip-a".into(),
                    },
                ),
            ],
        );
        assert!(
            find(&powered_off, 65_000, |e| e.node == "sip_backup"
                && matches!(
                    e.kind,
                    Kind::RoleChanged {
                        to: Role::Primary,
                        ..
                    }
                ))
            .is_some(),
            "seed {seed}: promoted after ADDP"
        );
        assert!(
            double_failures(&powered_off, "sip_backup").is_empty(),
            "seed {seed}"
        );
    }
}

#[test]
fn a_sip_switchover_long_after_the_ha_link_dropped_is_a_double_failure_naming_the_link() {
    for seed in SEEDS {
        let trace = run(
            "sip-server-pair.toml",
            seed,
            130,
            vec![
                (0, traffic(20.0)),
                (70, partition(true)),
                (
                    120,
                    Fault::Switchover {
                        order: hapair::fault::Order::Pair("sip_primary".into()),
                    },
                ),
            ],
        );
        assert_eq!(
            double_failures(&trace, "sip_backup"),
            [[NotReady::LinkDown].as_slice()],
            "seed {seed}"
        );
    }
}

/// Events stored by the first full synchronisation after `after_ms`, and how long it took from
/// the backup's `backup-ready` to the primary's `full-sync-done`.
fn resync(trace: &Trace, after_ms: u64) -> (usize, u64) {
    let ready = find(trace, after_ms, |e| {
        e.node == "sip_backup" && matches!(e.kind, Kind::BackupReady { .. })
    })
    .expect("backup-ready");
    let done = find(trace, ready.at_ms, |e| {
        e.node == "sip_primary" && matches!(e.kind, Kind::FullSyncDone { .. })
    })
    .expect("full-sync-done");
    let Kind::FullSyncDone { calls, .. } = done.kind else {
        unreachable!()
    };
    (calls, done.at_ms.saturating_sub(ready.at_ms))
}

#[test]
fn a_sip_backup_that_rejoins_gets_its_missing_calls_in_batches_at_the_call_sync_rate() {
    let plan = |rate: Option<&str>| {
        let mut steps = vec![
            (0, traffic(500.0)),
            (5, crash("sip_backup")),
            (6, traffic(0.0)),
        ];
        if let Some(r) = rate {
            steps.push((6, option("sip_primary", "hapair", "sip-call-sync-rate", r)));
        }
        steps.push((8, restart("sip_backup")));
        steps
    };
    for seed in SEEDS {
        let trace = run("sip-server-pair.toml", seed, 30, plan(None));
        let (calls, took) = resync(&trace, 8_000);
        assert!(calls >= 2_500, "seed {seed}: {calls} calls");
        // 500 a second: the last batch leaves (calls - 1) / 500 seconds after the first.
        let secs = u64::try_from((calls - 1) / 500).expect("small");
        assert!(
            (secs * 1_000..secs * 1_000 + 100).contains(&took),
            "seed {seed}: {calls} calls took {took} ms"
        );
        let faster = run("sip-server-pair.toml", seed, 30, plan(Some("1000")));
        let (calls, took) = resync(&faster, 8_000);
        let secs = u64::try_from((calls - 1) / 1_000).expect("small");
        assert!(
            (secs * 1_000..secs * 1_000 + 100).contains(&took),
            "seed {seed}: {calls} calls took {took} ms at 1000/s"
        );
        // A backup still missing calls is not ready.
        let backup_ready = find(&trace, 8_000, |e| {
            e.node == "sip_backup" && matches!(e.kind, Kind::Readiness { value: 1, .. })
        })
        .expect("ready once synchronised");
        assert!(backup_ready.at_ms >= 8_000 + took, "seed {seed}");
    }
}

#[test]
fn a_sip_switchover_while_calls_are_still_being_pushed_is_a_double_failure() {
    for seed in SEEDS {
        let trace = run(
            "sip-server-pair.toml",
            seed,
            30,
            vec![
                (0, traffic(500.0)),
                (5, crash("sip_backup")),
                (8, restart("sip_backup")),
                (
                    9,
                    Fault::Switchover {
                        order: hapair::fault::Order::Pair("sip_primary".into()),
                    },
                ),
            ],
        );
        assert_eq!(
            double_failures(&trace, "sip_backup"),
            [[NotReady::NotSynced, NotReady::DelayNotPassed].as_slice()],
            "seed {seed}"
        );
    }
}

#[test]
fn backup_init_check_reports_service_unavailable_while_the_backup_cannot_reach_its_primary() {
    let plan = |check: bool| {
        let mut steps = vec![(0, traffic(10.0)), (5, crash("sip_backup"))];
        if check {
            steps.push((
                6,
                option("sip_backup", "TServer", "backup-init-check", "true"),
            ));
            steps.push((
                6,
                option("sip_backup", "TServer", "backup-init-check-timeout", "15"),
            ));
        }
        steps.extend([
            (7, partition(true)),
            (10, restart("sip_backup")),
            (40, partition(false)),
        ]);
        steps
    };
    for seed in SEEDS {
        let trace = run("sip-server-pair.toml", seed, 50, plan(true));
        let down = find(&trace, 0, |e| {
            matches!(e.kind, Kind::ServiceUnavailable { .. })
        })
        .expect("service-unavailable");
        assert_eq!(down.node, "sip_backup");
        assert!(
            (25_000..25_100).contains(&down.at_ms),
            "seed {seed}: 15 s after the restart, not {} ms",
            down.at_ms
        );
        let up = find(&trace, 0, |e| matches!(e.kind, Kind::ServiceRunning))
            .expect("service-running once the checks pass");
        assert!((40_000..46_000).contains(&up.at_ms), "seed {seed}");
        let unchecked = run("sip-server-pair.toml", seed, 50, plan(false));
        assert!(
            find(&unchecked, 0, |e| matches!(
                e.kind,
                Kind::ServiceUnavailable { .. } | Kind::ServiceRunning
            ))
            .is_none(),
            "seed {seed}: backup-init-check is false by default"
        );
    }
}
