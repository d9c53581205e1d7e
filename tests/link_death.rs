//! How links die (issue 12, item 6), read off the trace of the reference T-Server pair: a
//! partition makes a connect time out and an established session stall; a powered-off host
//! neither answers nor resets; a crashed process's host (alive) answers a connect with a
//! reset (`refused`) and resets the process's established sessions (`reset`). Each case runs
//! under several seeds; each failed before hapair modelled it (dials refused at once, a
//! crash's sessions `peer-closed`, `timed out` written with a space).

use std::rc::Rc;
use std::time::Duration;

use hapair::diag::Source;
use hapair::fault::Fault;
use hapair::sim::{Plan, Step};
use hapair::tls::FailureClass;
use hapair::topology;
use hapair::trace::{ConnectFailure, DialError, DisconnectReason, Event, Kind, Trace};
use time::OffsetDateTime;

const CLOCK: OffsetDateTime = time::macros::datetime!(2026-06-01 08:00 UTC);
const SEEDS: [u64; 4] = [1, 2, 3, 17];

fn reference() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/topologies/tserver-pair.toml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn run(seed: u64, duration: u64, steps: Vec<(u64, Fault)>) -> Trace {
    let parse = || {
        topology::parse(Source::new("tserver-pair.toml", reference()))
            .unwrap_or_else(|e| panic!("{:?}", e.problems))
    };
    let t = parse();
    let m = hapair::pki::paths::for_topology(&t, CLOCK).expect("material");
    let mut plan = Plan::new(
        Rc::new(parse()),
        m,
        CLOCK,
        seed,
        Duration::from_secs(duration),
    );
    plan.steps = std::iter::once((
        0,
        Fault::Traffic {
            from: "desk".into(),
            rate: 10.0,
        },
    ))
    .chain(steps)
    .map(|(at, fault)| Step::new(Duration::from_secs(at), fault))
    .collect();
    hapair::sim::run(plan).expect("the simulation runs")
}

/// The reasons of `from`'s failed dials to `to` in `[after, before)` ms.
fn dial_failures(
    trace: &Trace,
    from: &str,
    to: &str,
    after: u64,
    before: u64,
) -> Vec<(u64, ConnectFailure)> {
    trace
        .events
        .iter()
        .filter(|e| e.node == from && (after..before).contains(&e.at_ms))
        .filter_map(|e| match &e.kind {
            Kind::ConnectFailed { to: t, reason, .. } if t == to => Some((e.at_ms, reason.clone())),
            _ => None,
        })
        .collect()
}

/// The first session of `node` with `peer` that ended at or after `after` ms.
fn ended(trace: &Trace, node: &str, peer: &str, after: u64) -> Option<(u64, DisconnectReason)> {
    trace.events.iter().find_map(|e: &Event| match &e.kind {
        Kind::Disconnected {
            peer: p, reason, ..
        } if e.node == node && p == peer && e.at_ms >= after => Some((e.at_ms, *reason)),
        _ => None,
    })
}

const TIMED_OUT: ConnectFailure = ConnectFailure::Dial(DialError::TimedOut);
const REFUSED: ConnectFailure = ConnectFailure::Dial(DialError::Refused);

#[test]
fn a_partition_stalls_the_session_and_makes_a_connect_time_out() {
    for seed in SEEDS {
        let trace = run(
            seed,
            40,
            vec![(
                10,
                Fault::Partition {
                    a: "ts-a".into(),
                    b: "ts-b".into(),
                },
            )],
        );
        // The HA link (backup-sync ADDP, 10 s) stalls: nothing ends it before ADDP does.
        let (at, why) = ended(&trace, "ts_backup", "ts_primary", 10_000).expect("the HA link ends");
        assert_eq!(why, DisconnectReason::AddpTimeout, "seed {seed} at {at}");
        assert!(
            at >= 20_000,
            "seed {seed}: ended at {at}, before ADDP could"
        );
        // The backup redials: no answer, so each dial times out after the dial timeout.
        let fails = dial_failures(&trace, "ts_backup", "ts_primary", at, 40_000);
        assert!(!fails.is_empty(), "seed {seed}: no redial failed");
        for (at, why) in fails {
            assert_eq!(why, TIMED_OUT, "seed {seed}: dial failed at {at}");
        }
    }
}

#[test]
fn a_powered_off_host_neither_answers_nor_resets() {
    for seed in SEEDS {
        let trace = run(
            seed,
            40,
            vec![(
                10,
                Fault::PowerOff {
                    host: "ts-b".into(),
                },
            )],
        );
        // The primary's HA link to the silent host stalls until ADDP ends it.
        let (at, why) = ended(&trace, "ts_primary", "ts_backup", 10_000).expect("the HA link ends");
        assert_eq!(why, DisconnectReason::AddpTimeout, "seed {seed} at {at}");
        // The desktop's session to the backup ends the same way, and its redials to the
        // dark host time out.
        let fails = dial_failures(&trace, "desk", "ts_backup", 10_000, 40_000);
        assert!(
            !fails.is_empty(),
            "seed {seed}: the desktop never redialled the backup"
        );
        for (at, why) in &fails {
            assert_eq!(*why, TIMED_OUT, "seed {seed}: dial failed at {at}");
        }
        for e in trace.events.iter().filter(|e| e.at_ms >= 10_000) {
            assert!(
                !matches!(
                    &e.kind,
                    Kind::Disconnected {
                        reason: DisconnectReason::Failed(
                            FailureClass::PeerClosed | FailureClass::Reset
                        ),
                        ..
                    }
                ),
                "seed {seed}: a dark host closed or reset a session: {e:?}"
            );
        }
    }
}

#[test]
fn a_crashed_process_host_resets_its_sessions_and_refuses_connects() {
    for seed in SEEDS {
        let trace = run(
            seed,
            30,
            vec![(
                10,
                Fault::Crash {
                    app: "ts_backup".into(),
                },
            )],
        );
        // The primary's HA link and the desktop's hot-standby session to the backup.
        for peer in ["ts_primary", "desk"] {
            let (at, why) = ended(&trace, peer, "ts_backup", 10_000).expect("the session ends");
            assert_eq!(
                why,
                DisconnectReason::Failed(FailureClass::Reset),
                "seed {seed}: {peer}'s session ended at {at}"
            );
            assert!(
                at < 10_100,
                "seed {seed}: {peer} heard of the crash only at {at}"
            );
        }
        // The host is up: a connect to the dead process's port is answered with a reset.
        let fails = dial_failures(&trace, "desk", "ts_backup", 10_000, 30_000);
        assert!(
            !fails.is_empty(),
            "seed {seed}: the desktop never redialled"
        );
        for (at, why) in fails {
            assert_eq!(why, REFUSED, "seed {seed}: dial failed at {at}");
        }
    }
}

#[test]
fn link_deaths_are_named_in_the_trace_as_operators_say_them() {
    let words = |e: DialError| serde_json::to_string(&ConnectFailure::Dial(e)).ok();
    assert_eq!(words(DialError::TimedOut).as_deref(), Some("\"timed-out\""));
    assert_eq!(words(DialError::Refused).as_deref(), Some("\"refused\""));
    assert_eq!(
        serde_json::to_string(&DisconnectReason::Failed(FailureClass::Reset))
            .ok()
            .as_deref(),
        Some("\"reset\"")
    );
}

/// Runs a scenario of `scenarios/genesys/` under seed 1, with `edit` applied to its text.
fn genesys(file: &str, edit: impl Fn(String) -> String) -> hapair::execute::Outcome {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/genesys")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    let source = Source::new(&path, edit(text));
    let s =
        hapair::scenario::parse(source, &topology::load).unwrap_or_else(|e| panic!("{file}: {e}"));
    hapair::execute::execute(&s, 1).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn a_link_death_expectation_names_the_way_it_died_when_it_fails() {
    let o = genesys("link-death-process-crash.toml", |t| {
        t.replace("reason = \"refused\" }", "reason = \"timed-out\" }")
    });
    let failed: Vec<_> = o.verdicts.iter().filter(|v| !v.held).collect();
    let [v] = failed[..] else {
        panic!("one verdict should fail: {failed:?}");
    };
    assert!(v.what.contains("desk -> ts_backup connect failed"), "{v:?}");
    let miss = v.miss.as_ref().expect("a nearest miss");
    assert_eq!(miss.differs.to_string(), "refused, not timed-out");
    // Unedited, every expectation holds.
    let o = genesys("link-death-process-crash.toml", |t| t);
    assert!(o.verdicts.iter().all(|v| v.held), "{:?}", o.verdicts);
}
