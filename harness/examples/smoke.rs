//! Smoke run: the reference T-Server pair under one fault, its trace printed (Stored, Accepted
//! and Acknowledged events left out). `cargo run --example smoke -- [crash|power-off] [seed]`.
use std::rc::Rc;
use std::time::Duration;

use hapair::fault::Fault;
use hapair::sim::{Plan, Step};
use hapair::trace::Kind;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let fault = args.get(1).map_or("crash", String::as_str);
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/topologies/tserver-pair.toml");
    let mut text = std::fs::read_to_string(&path).expect("reads");
    if fault == "partition" {
        text.push_str(
            "\n[host.scs]\nname = \"scs.lab.example\"\n[app.scs]\ntype = \"scs\"\nhost = \"scs\"\n",
        );
    }
    let t = hapair::topology::parse(hapair::diag::Source::new(path.clone(), text)).expect("loads");
    let clock = time::macros::datetime!(2026-06-01 08:00 UTC);
    let m = hapair::pki::paths::for_topology(&t, clock).expect("pki");
    let mut plan = Plan::new(Rc::new(t), m, clock, seed, Duration::from_secs(60));
    let (down, up) = match fault {
        "power-off" => (
            Fault::PowerOff {
                host: "ts-a".into(),
            },
            Fault::PowerOn {
                host: "ts-a".into(),
            },
        ),
        "partition" => (
            Fault::Partition {
                a: "ts-a".into(),
                b: "scs".into(),
            },
            Fault::Heal {
                a: "ts-a".into(),
                b: "scs".into(),
            },
        ),
        _ => (
            Fault::Crash {
                app: "ts_primary".into(),
            },
            Fault::Restart {
                app: "ts_primary".into(),
            },
        ),
    };
    let traffic = Fault::Traffic {
        from: "desk".into(),
        rate: 20.0,
    };
    plan.steps = vec![
        Step::new(Duration::ZERO, traffic),
        Step::new(Duration::from_secs(10), down),
        Step::new(Duration::from_secs(35), up),
    ];
    let start = std::time::Instant::now();
    let trace = hapair::sim::run(plan).expect("runs");
    let wall = start.elapsed();
    for e in &trace.events {
        if !matches!(
            e.kind,
            Kind::Stored { .. } | Kind::Accepted { .. } | Kind::Acknowledged { .. }
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
        .filter(|e| matches!(e.kind, Kind::Acknowledged { .. }))
        .count();
    println!(
        "events {} acks {acks} wall {wall:?} digest {}",
        trace.events.len(),
        trace.digest()
    );
}
