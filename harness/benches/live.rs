//! A live pair through a failover: the reference T-Server pair with N desktops
//! (`benches/common/desktops.rs`, each on a loopback address of its own) on the live engine
//! (`hapair::live`, real sockets and timers, time scale 1), each desktop sending 10 requests/s,
//! the primary's process crashed at 10 s. Per desktop: the time from the crash to its first
//! request acknowledged by `ts_backup`, the new primary. Every desktop must get there (else the
//! run panics); the table gives, per run, the time until the last desktop got there, and the
//! overhead: that time minus the configured delays on the way. This topology configures none
//! on it (the LCA reports the dead process at once, hot-standby desktops hold a session to
//! both servers, no reconnect timeout is waited), but a desktop sends only every 100 ms
//! (its traffic rate), so up to 100 ms of the time is the wait for its next request: that is
//! subtracted. Target: under 100 ms of overhead with N = 200 (BENCHMARKS.md).
//!
//! `cargo bench --bench live` (or `ci/bench`): N = 200, 5 runs (`LIVE_N`, `LIVE_RUNS` to
//! vary). Under `cargo test` (no `--bench`) one run of N = 5 at time scale 10, as a smoke test.

#[path = "common/desktops.rs"]
mod desktops;

use std::time::Duration;

use desktops::{CRASH_AT, plan, verify, world};
use hapair::fault::Fault;
use hapair::sim::Step;
use hapair::trace::Kind;

/// Requests per second per desktop.
const RATE: f64 = 10.0;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let n = env("LIVE_N", if benching { 200 } else { 5 });
    let runs = env("LIVE_RUNS", if benching { 5 } else { 1 });
    let scale: u32 = if benching { 1 } else { 10 };
    let interval = Duration::from_secs_f64(1.0 / RATE);
    println!(
        "live pair, {n} desktops at {RATE}/s each, crash of ts_primary at {}s, time scale {scale}; {runs} run(s) (release build: {})",
        CRASH_AT.as_secs(),
        !cfg!(debug_assertions)
    );
    println!(
        "{:>4} {:>12} {:>12} {:>12} {:>12}",
        "run", "p50 ms", "last ms", "delays ms", "overhead ms"
    );
    let (t, material) = world(n);
    let mut overheads = Vec::new();
    for run in 1..=runs {
        let mut p = plan(&t, &material, run as u64);
        for i in 1..=n {
            p.steps.push(Step::new(
                Duration::ZERO,
                Fault::Traffic {
                    from: format!("desk_{i}").as_str().into(),
                    rate: RATE,
                },
            ));
        }
        let options = hapair::live::Options {
            time_scale: scale,
            announce: false,
            ..hapair::live::Options::default()
        };
        let (trace, _) = hapair::live::run(p, options).unwrap_or_else(|e| panic!("run {run}: {e}"));
        if let Err(why) = verify(n, &trace) {
            panic!("run {run}: {why}");
        }
        let crash = u64::try_from(CRASH_AT.as_millis()).expect("ms");
        let mut first: Vec<Option<u64>> = vec![None; n];
        for e in &trace.events {
            let Kind::Acknowledged { by, .. } = &e.kind else {
                continue;
            };
            if by != "ts_backup" || e.at_ms < crash {
                continue;
            }
            if let Some(slot) = e
                .node
                .strip_prefix("desk_")
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| first.get_mut(i - 1))
            {
                slot.get_or_insert(e.at_ms - crash);
            }
        }
        let mut times: Vec<u64> = first
            .iter()
            .enumerate()
            .map(|(i, t)| {
                t.unwrap_or_else(|| panic!("run {run}: desk_{} never served by ts_backup", i + 1))
            })
            .collect();
        times.sort_unstable();
        let last = *times.last().expect("desktops");
        let p50 = times[times.len() / 2];
        // Virtual ms; at time scale K the real time is 1/K of it.
        let delays = interval.as_millis() as u64;
        let overhead = last.saturating_sub(delays);
        overheads.push(overhead);
        println!("{run:>4} {p50:>12} {last:>12} {delays:>12} {overhead:>12}");
    }
    overheads.sort_unstable();
    println!(
        "median overhead over {runs} run(s): {} ms (target: under 100 ms)",
        overheads[overheads.len() / 2]
    );
}
