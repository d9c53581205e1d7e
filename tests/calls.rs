//! Call traffic through a data-source pair (Step 9, source): the switch's `calls` step, its
//! events distributed by the pair's primary (`call-event`) with one sequence number per pair,
//! through a failover (events of the window without a primary traced `call-event-lost`, no
//! number reused), deterministic per seed, and bad `calls` steps refused with their location.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::rc::Rc;
use std::time::Duration;

use hapair::cti::CtiEvent;
use hapair::diag::Source;
use hapair::fault::{Calls, Fault};
use hapair::sim::{Plan, Step};
use hapair::topology::{self, Role};
use hapair::trace::{Kind, Trace, Undistributed};
use time::OffsetDateTime;

const CLOCK: OffsetDateTime = time::macros::datetime!(2026-06-01 08:00 UTC);

fn run(seed: u64, duration: u64, steps: Vec<(u64, Fault)>) -> Trace {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/topologies/tserver-pair.toml");
    let text = std::fs::read_to_string(&path).expect("the reference topology");
    let t = topology::parse(Source::new("tserver-pair.toml", text)).expect("valid");
    let m = hapair::pki::paths::for_topology(&t, CLOCK).expect("material");
    let mut plan = Plan::new(Rc::new(t), m, CLOCK, seed, Duration::from_secs(duration));
    plan.steps = steps
        .into_iter()
        .map(|(at, f)| Step::new(Duration::from_secs(at), f))
        .collect();
    hapair::sim::run(plan).expect("the simulation runs")
}

fn calls(count: u64, rate: f64, agents: u64, keys: u64) -> Fault {
    Fault::Calls(Calls {
        source: "ts_primary".into(),
        count,
        rate,
        agents,
        keys,
    })
}

/// Every numbered event of the switch: seq → (node, instant, event, lost reason).
struct Numbered {
    by_seq: BTreeMap<u64, (String, u64, CtiEvent, Option<Undistributed>)>,
}

fn numbered(trace: &Trace) -> Numbered {
    let mut by_seq = BTreeMap::new();
    let mut last = 0;
    for e in &trace.events {
        let (seq, cti, lost) = match &e.kind {
            Kind::CallEvent { seq, cti } => (*seq, cti, None),
            Kind::CallEventLost {
                seq,
                cti,
                reason,
                pair,
            } => {
                assert_eq!(pair, "ts_primary");
                assert_eq!(e.node, "switch");
                (*seq, cti, Some(*reason))
            }
            _ => continue,
        };
        assert!(seq > last, "seq {seq} after {last}: numbers only grow");
        last = seq;
        let old = by_seq.insert(seq, (e.node.clone(), e.at_ms, cti.clone(), lost));
        assert!(old.is_none(), "seq {seq} used twice");
    }
    Numbered { by_seq }
}

/// Per call, its events' words in numbering order.
fn scripts(n: &Numbered) -> BTreeMap<String, Vec<&'static str>> {
    let mut out: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
    for (_, _, cti, _) in n.by_seq.values() {
        if let Some(call) = cti.call() {
            out.entry(call.to_string()).or_default().push(cti.word());
        }
    }
    out
}

fn whole_script(keys: usize) -> Vec<&'static str> {
    let mut w = vec!["ringing"];
    w.extend(std::iter::repeat_n("data-changed", keys));
    w.extend([
        "queued",
        "diverted",
        "established",
        "data-changed",
        "released",
    ]);
    w
}

#[test]
fn every_call_is_distributed_by_the_primary_numbered_from_one_without_a_gap() {
    let (count, agents, keys) = (300, 12, 3);
    let trace = run(5, 25, vec![(2, calls(count, 40.0, agents, keys))]);
    let n = numbered(&trace);
    let per_call = 8 + keys;
    let expected = count * per_call + agents * 4;
    assert_eq!(n.by_seq.len() as u64, expected);
    assert_eq!(
        n.by_seq.keys().copied().collect::<Vec<_>>(),
        (1..=expected).collect::<Vec<_>>()
    );
    for (seq, (node, at, _, lost)) in &n.by_seq {
        assert_eq!((node.as_str(), *lost), ("ts_primary", None), "seq {seq}");
        assert!(*at >= 2_000, "seq {seq} at {at} ms, before the step");
    }
    let s = scripts(&n);
    assert_eq!(s.len() as u64, count);
    let keys = usize::try_from(keys).expect("small");
    for (call, words) in &s {
        assert_eq!(words, &whole_script(keys), "call {call}");
    }
    // Agents log in first and out last.
    let words: Vec<&str> = n.by_seq.values().map(|v| v.2.word()).collect();
    assert_eq!(words.first(), Some(&"agent-login"));
    assert_eq!(words.last(), Some(&"agent-logout"));
    let logins = words.iter().filter(|w| **w == "agent-login").count();
    let logouts = words.iter().filter(|w| **w == "agent-logout").count();
    assert_eq!((logins, logouts), (12, 12));
}

#[test]
fn a_failover_under_call_load_loses_only_the_window_without_a_primary_and_reuses_no_number() {
    let (count, keys) = (1_000, 2);
    let trace = run(
        7,
        40,
        vec![
            (2, calls(count, 50.0, 20, keys)),
            (
                10,
                Fault::Crash {
                    app: "ts_primary".into(),
                },
            ),
        ],
    );
    let n = numbered(&trace);
    let expected = count * (8 + keys) + 20 * 4;
    assert_eq!(
        n.by_seq.keys().copied().collect::<Vec<_>>(),
        (1..=expected).collect::<Vec<_>>(),
        "every number given once, none skipped"
    );
    // The window without a primary, in trace order: from the crash step to the backup's
    // promotion (both can fall on one millisecond with the switch's events between them).
    let (mut phase, mut lost, mut promoted) = (0, 0, None);
    for e in &trace.events {
        match &e.kind {
            Kind::Fault { target, .. } if target == "ts_primary" => phase = 1,
            Kind::RoleChanged {
                to: Role::Primary, ..
            } if e.node == "ts_backup" => {
                phase = 2;
                promoted = Some(e.at_ms);
            }
            Kind::CallEvent { seq, .. } => match phase {
                0 => assert_eq!(e.node, "ts_primary", "seq {seq}"),
                1 => panic!("seq {seq} distributed by {} with no primary", e.node),
                _ => assert_eq!(e.node, "ts_backup", "seq {seq}"),
            },
            Kind::CallEventLost { seq, reason, .. } => {
                assert_eq!((phase, *reason), (1, Undistributed::NoPrimary), "seq {seq}");
                lost += 1;
            }
            _ => {}
        }
    }
    let promoted = promoted.expect("the backup is promoted");
    assert!(promoted >= 10_000, "{promoted}");
    let traced_lost = trace
        .events
        .iter()
        .filter(|e| matches!(e.kind, Kind::CallEventLost { .. }))
        .count();
    assert_eq!(lost, traced_lost);
    // This seed's window (a few ms at 500 events a second) holds events: they are lost, and
    // the new primary goes on with the next number.
    assert!(
        lost > 0,
        "window of {} ms, nothing lost",
        promoted.saturating_sub(10_000)
    );
    assert!(n.by_seq.values().any(|v| v.0 == "ts_backup"));
}

#[test]
fn with_both_instances_down_events_are_lost_as_none_running_then_the_restarted_pair_goes_on() {
    let trace = run(
        3,
        40,
        vec![
            (2, calls(600, 20.0, 10, 1)),
            (
                8,
                Fault::Crash {
                    app: "ts_primary".into(),
                },
            ),
            (
                9,
                Fault::Crash {
                    app: "ts_backup".into(),
                },
            ),
            (
                15,
                Fault::Restart {
                    app: "ts_primary".into(),
                },
            ),
            (
                15,
                Fault::Restart {
                    app: "ts_backup".into(),
                },
            ),
        ],
    );
    let n = numbered(&trace);
    let between = |from: u64, to: u64| n.by_seq.values().filter(move |v| v.1 >= from && v.1 < to);
    assert!(between(9_000, 15_000).count() > 100);
    assert!(
        between(9_000, 15_000).all(|v| v.3 == Some(Undistributed::NoneRunning)),
        "both down: none running"
    );
    assert!(
        between(20_000, 40_000).any(|v| v.3.is_none()),
        "distributed again after the restart"
    );
}

#[test]
fn the_same_seed_gives_the_same_trace_and_another_seed_other_calls() {
    let steps = || vec![(1, calls(150, 30.0, 8, 2))];
    let a = run(11, 12, steps());
    let b = run(11, 12, steps());
    assert_eq!(a.events, b.events);
    let c = run(12, 12, steps());
    let ctis =
        |t: &Trace| -> Vec<CtiEvent> { numbered(t).by_seq.into_values().map(|v| v.2).collect() };
    assert_eq!(ctis(&a).len(), ctis(&c).len());
    assert_ne!(ctis(&a), ctis(&c), "another seed, other calls");
}

#[test]
fn bad_calls_steps_exit_2_with_their_location() {
    let dir = tempfile::tempdir().expect("tempdir");
    let topology =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/topologies/tserver-pair.toml");
    let cases = [
        (
            "not-a-source",
            r#"calls = { source = "desk", count = 10, rate = "5/s" }"#,
            "`desk` is not a data source",
        ),
        (
            "unknown-source",
            r#"calls = { source = "ts_primray", count = 10, rate = "5/s" }"#,
            "did you mean `ts_primary`?",
        ),
        (
            "count-zero",
            r#"calls = { source = "ts_primary", count = 0, rate = "5/s" }"#,
            "`count` is how many calls, 1 to 100000, not 0",
        ),
        (
            "count-absurd",
            r#"calls = { source = "ts_primary", count = 10000000000, rate = "5/s" }"#,
            "not 10000000000",
        ),
        (
            "no-count",
            r#"calls = { source = "ts_primary", rate = "5/s" }"#,
            "`calls` has no `count`",
        ),
        (
            "bad-rate",
            r#"calls = { source = "ts_primary", count = 10, rate = "fast" }"#,
            "`rate` is new calls per second",
        ),
        (
            "zero-rate",
            r#"calls = { source = "ts_primary", count = 10, rate = "0/s" }"#,
            "`rate` is new calls per second",
        ),
        (
            "agents",
            r#"calls = { source = "ts_primary", count = 10, rate = "5/s", agents = 0 }"#,
            "`agents` is how many agents, 1 to 10000",
        ),
        (
            "keys",
            r#"calls = { source = "ts_primary", count = 10, rate = "5/s", keys = 99 }"#,
            "0 to 50, not 99",
        ),
        (
            "unknown-key",
            r#"calls = { source = "ts_primary", count = 10, rate = "5/s", agent = 3 }"#,
            "did you mean `agents`?",
        ),
    ];
    for (name, step, says) in cases {
        let path = dir.path().join(format!("{name}.toml"));
        let text = format!(
            "name = \"{name}\"\ntopology = \"{}\"\nclock = 2026-06-01T08:00:00Z\nseed = 3\n\n[[step]]\nat = \"1s\"\n{step}\n",
            topology.display()
        );
        std::fs::write(&path, text).expect("written");
        let o = Command::new(env!("CARGO_BIN_EXE_hapair"))
            .args(["run", &path.display().to_string()])
            .env("NO_COLOR", "1")
            .output()
            .expect("the hapair binary runs");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(o.status.code(), Some(2), "{name}: {all}");
        assert!(all.contains(says), "{name}: expected `{says}` in {all}");
        // file:line — the step's line is the 8th.
        assert!(
            all.contains(&format!("{name}.toml:8")),
            "{name}: no file:line in {all}"
        );
    }
}
