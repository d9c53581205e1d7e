//! Smoke run: the reference T-Server pair, crash and restart of the primary.
use std::rc::Rc;
use std::time::Duration;

use hapair::sim::{Action, Plan, Step};

fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/topologies/tserver-pair.toml");
    let t = hapair::topology::load(&path).expect("loads");
    let clock = time::macros::datetime!(2026-06-01 08:00 UTC);
    let m = hapair::pki::paths::for_topology(&t, clock).expect("pki");
    let mut plan = Plan::new(Rc::new(t), m, clock, 1, Duration::from_secs(80));
    plan.steps = vec![
        Step {
            at: Duration::ZERO,
            action: Action::Traffic("desk".into(), 20.0),
        },
        Step {
            at: Duration::from_secs(30),
            action: Action::Crash("ts_primary".into()),
        },
        Step {
            at: Duration::from_secs(60),
            action: Action::Restart("ts_primary".into()),
        },
    ];
    let start = std::time::Instant::now();
    let trace = hapair::sim::run(plan).expect("runs");
    let wall = start.elapsed();
    for e in &trace.events {
        if !matches!(
            e.kind,
            hapair::trace::Kind::Stored { .. }
                | hapair::trace::Kind::Accepted { .. }
                | hapair::trace::Kind::Acknowledged { .. }
        ) {
            println!(
                "{:>7} {:<14} {}",
                e.at_ms,
                e.node,
                serde_json::to_string(&e.kind).unwrap_or_default()
            );
        }
    }
    let acks = trace
        .events
        .iter()
        .filter(|e| matches!(e.kind, hapair::trace::Kind::Acknowledged { .. }))
        .count();
    println!(
        "events {} acks {acks} wall {wall:?} digest {}",
        trace.events.len(),
        trace.digest()
    );
}
