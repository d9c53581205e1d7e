//! Cost of simulating the reference T-Server failover (`scenarios/topologies/tserver-pair.toml`)
//! against the TLS work it contains: crash of `ts_primary` at 10 s, promotion of `ts_backup`,
//! the desktop's reconnection and the old primary's rejoin (restart at 20 s, HA sync over the
//! secured `ha` port), run to 30 s of virtual time. A second variant adds 20 requests per second
//! of desktop traffic from t = 0 and is reported on its own rows.
//!
//! Per seed, one `hapair::sim::run_counted` is timed (the plan is built, material cloned,
//! before the clock starts); `steps` is the median of the turmoil steps it took. The
//! simulator skips idle time by default; the `every tick` rows step through it, as before
//! that existed, for comparison. The floor of a run is the number of TLS handshakes it performed times the
//! median in-memory handshake (`hapair::tls::memory::handshake`, configurations built once from
//! the desktop's connection to the primary, as `benches/handshake.rs` does), sampled between the
//! runs of the same row so both share the machine's noise. The target is a median wall time of
//! at most 2x that floor; the tick is the lever this bench varies (`FAILOVER_TICKS_MS=1,5,10` by
//! default; latency stays 1–5 ms one way, so at a 5 or 10 ms tick delivery rounds up to the
//! next step).
//!
//! Counting handshakes: every completed handshake is traced twice, once by each side, as
//! `HandshakeOk`. The dialling side names its peer by application (the link's target, e.g.
//! `ts_primary`); the accepting side names the dialling host (e.g. `desk-1.lab.example`). A
//! run's handshakes are its `HandshakeOk` events whose `peer` is an application of the topology;
//! the accepting side's count must be the same, or the run is reported as broken.
//!
//! A last line prices what a run costs beyond its handshakes whatever the tick: a run with no
//! step (turmoil's world and one runtime per host, built and dropped), and per handshake the
//! client and server configurations the simulator builds and the peer certificate it parses
//! for the trace.
//!
//! Every run is checked to have really failed over (backup promoted before the restart, the old
//! primary back as backup with `HaSynced`, the desktop reconnected to it, and with traffic the
//! new primary acknowledging requests, no failed handshake): broken runs are left out of the
//! numbers, listed with their seed and trace, and fail the bench.
//!
//! Run with `cargo bench --bench failover` (or `ci/bench`): 200 seeds per row
//! (`FAILOVER_SEEDS=N` for another count). Under `cargo test` (no `--bench` argument) it runs 2
//! seeds per row, as a smoke test.

#[path = "common/floor.rs"]
mod common;

use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use common::{Floor, floor};
use hapair::fault::Fault;
use hapair::pki::Material;
use hapair::pki::paths::for_topology;
use hapair::sim::{Plan, Step};
use hapair::topology::Role;
use hapair::topology::{self, Topology};
use hapair::trace::{Kind, Trace};
use time::OffsetDateTime;
use time::macros::datetime;

/// The virtual instant certificates are generated and judged at.
const CLOCK: OffsetDateTime = datetime!(2026-06-01 08:00:00 UTC);
/// The primary's process dies.
const CRASH_AT: Duration = Duration::from_secs(10);
/// It starts again.
const RESTART_AT: Duration = Duration::from_secs(20);
/// End of the run, in virtual time.
const END: Duration = Duration::from_secs(30);
/// One-way latency range on every link.
const LATENCY: (Duration, Duration) = (Duration::from_millis(1), Duration::from_millis(5));
/// Requests per second of the traffic variant.
const TRAFFIC: f64 = 20.0;
/// In-memory handshakes timed after each run (the floor's samples).
const FLOOR_SAMPLES_PER_RUN: usize = 8;
/// Broken runs whose trace (from a second before the crash) is printed; the others get a line.
const SHOWN_TRACES: usize = 3;

/// Costs of a run beyond its handshakes that do not depend on the tick, medians of `rounds`:
/// a run with no step (turmoil's world, one runtime per host, tear-down), and per handshake
/// the configurations and certificate parse the simulator adds to the in-memory handshake.
fn overheads(t: &Rc<Topology>, m: &Material, floor: &Floor, rounds: usize) {
    let mut setup: Vec<Duration> = (0..rounds)
        .map(|_| {
            let mut plan = plan(t, m, 1, Duration::from_millis(1), false);
            plan.duration = Duration::ZERO;
            plan.steps.clear();
            let start = Instant::now();
            let trace = hapair::sim::run(plan).expect("an empty run");
            let elapsed = start.elapsed();
            std::hint::black_box(trace);
            elapsed
        })
        .collect();
    let mut configs: Vec<Duration> = (0..rounds).map(|_| floor.configs()).collect();
    let mut parses: Vec<Duration> = (0..rounds).map(|_| floor.parse()).collect();
    setup.sort();
    configs.sort();
    parses.sort();
    println!(
        "beyond the floor (medians of {rounds}): a run with no step (set-up, tear-down) {}; per handshake, client + server config {:.1} µs, peer-certificate parse {:.1} µs",
        msf(percentile(&setup, 50)),
        percentile(&configs, 50).as_secs_f64() * 1e6,
        percentile(&parses, 50).as_secs_f64() * 1e6,
    );
}

/// What one verified run did.
struct Outcome {
    handshakes: usize,
}

/// A run that did not fail over.
struct Broken {
    variant: &'static str,
    tick: Duration,
    seed: u64,
    why: String,
    trace: Trace,
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let seeds: u64 = std::env::var("FAILOVER_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benching { 200 } else { 2 });
    let ticks = ticks();
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/topologies/tserver-pair.toml");
    let t = Rc::new(topology::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    let material = for_topology(&t, CLOCK).expect("reference PKI generates");
    let floor = floor(&t, &material, CLOCK);
    for _ in 0..if benching { 200 } else { 1 } {
        floor.sample();
    }
    println!(
        "reference T-Server failover (crash {}s, restart {}s, end {}s, latency {:?}-{:?}), {seeds} seeds per row (release build: {})",
        CRASH_AT.as_secs(),
        RESTART_AT.as_secs(),
        END.as_secs(),
        LATENCY.0,
        LATENCY.1,
        !cfg!(debug_assertions)
    );
    println!(
        "{:<20} {:>5} {:>6} {:>10} {:>10} {:>7} {:>10} {:>10} {:>7} {:>9}",
        "variant",
        "tick",
        "steps",
        "median",
        "p90",
        "hs/run",
        "hs in-mem",
        "floor",
        "ratio",
        "per step"
    );
    let mut broken: Vec<Broken> = Vec::new();
    let variants = [
        ("failover", false, true),
        ("failover+traffic", true, true),
        ("failover, every tick", false, false),
    ];
    for (variant, traffic, skip_idle) in variants {
        for &tick in &ticks {
            let plan = |seed| {
                let mut p = plan(&t, &material, seed, tick, traffic);
                p.skip_idle = skip_idle;
                p
            };
            if benching {
                // One untimed run per row: caches, allocator, lazy statics.
                let _ = hapair::sim::run(plan(0));
            }
            let mut walls = Vec::with_capacity(seeds as usize);
            let mut steps = Vec::with_capacity(seeds as usize);
            let mut counts = Vec::with_capacity(seeds as usize);
            let mut samples = Vec::with_capacity(seeds as usize * FLOOR_SAMPLES_PER_RUN);
            for seed in 1..=seeds {
                let plan = plan(seed);
                let start = Instant::now();
                let ran = hapair::sim::run_counted(plan);
                let wall = start.elapsed();
                match ran {
                    Ok((trace, stats)) => match verify(&t, &trace, traffic) {
                        Ok(o) => {
                            walls.push(wall);
                            steps.push(stats.steps);
                            counts.push(o.handshakes);
                        }
                        Err(why) => broken.push(Broken {
                            variant,
                            tick,
                            seed,
                            why,
                            trace,
                        }),
                    },
                    Err(e) => broken.push(Broken {
                        variant,
                        tick,
                        seed,
                        why: format!("the simulation failed: {e}"),
                        trace: Trace::default(),
                    }),
                }
                samples.extend((0..FLOOR_SAMPLES_PER_RUN).map(|_| floor.sample()));
            }
            row(
                variant,
                tick,
                &mut walls,
                &mut steps,
                &mut counts,
                &mut samples,
            );
        }
    }
    overheads(&t, &material, &floor, if benching { 200 } else { 2 });
    if !benching {
        println!("smoke run (cargo test): 2 seeds per row of a debug build, not a measurement");
    }
    if !broken.is_empty() {
        for (i, b) in broken.iter().enumerate() {
            eprintln!(
                "BROKEN {} tick {:?} seed {}: {}",
                b.variant, b.tick, b.seed, b.why
            );
            if i >= SHOWN_TRACES {
                continue;
            }
            for e in b.trace.events.iter().filter(|e| {
                e.at_ms + 1_000 >= ms(CRASH_AT)
                    && !matches!(
                        e.kind,
                        Kind::Stored { .. } | Kind::Accepted { .. } | Kind::Acknowledged { .. }
                    )
            }) {
                eprintln!(
                    "  {:>7} {:<14} {}",
                    e.at_ms,
                    e.node,
                    serde_json::to_string(&e.kind).unwrap_or_default()
                );
            }
        }
        panic!("{} run(s) did not fail over (listed above)", broken.len());
    }
}

/// The ticks to measure: `FAILOVER_TICKS_MS` (comma-separated milliseconds) or 1, 5 and 10 ms.
fn ticks() -> Vec<Duration> {
    let given = std::env::var("FAILOVER_TICKS_MS").ok().map(|s| {
        s.split(',')
            .map(|ms| {
                Duration::from_millis(
                    ms.trim()
                        .parse()
                        .unwrap_or_else(|e| panic!("FAILOVER_TICKS_MS: `{ms}`: {e}")),
                )
            })
            .collect::<Vec<_>>()
    });
    given.unwrap_or_else(|| [1, 5, 10].map(Duration::from_millis).to_vec())
}

/// The failover plan of one seed: crash, restart, and traffic from t = 0 when asked.
fn plan(t: &Rc<Topology>, m: &Material, seed: u64, tick: Duration, traffic: bool) -> Plan {
    let mut plan = Plan::new(Rc::clone(t), m.clone(), CLOCK, seed, END);
    plan.tick = tick;
    plan.latency = LATENCY;
    if traffic {
        let traffic = Fault::Traffic {
            from: "desk".into(),
            rate: TRAFFIC,
        };
        plan.steps.push(Step::new(Duration::ZERO, traffic));
    }
    plan.steps.push(Step::new(
        CRASH_AT,
        Fault::Crash {
            app: "ts_primary".into(),
        },
    ));
    plan.steps.push(Step::new(
        RESTART_AT,
        Fault::Restart {
            app: "ts_primary".into(),
        },
    ));
    plan
}

/// Checks that the run failed over and rejoined; counts its handshakes.
fn verify(t: &Topology, trace: &Trace, traffic: bool) -> Result<Outcome, String> {
    let crash = ms(CRASH_AT);
    let restart = ms(RESTART_AT);
    let has = |from: u64, until: u64, f: &dyn Fn(&str, &Kind) -> bool| {
        trace
            .events
            .iter()
            .any(|e| e.at_ms >= from && e.at_ms < until && f(&e.node, &e.kind))
    };
    if let Some(e) = trace
        .events
        .iter()
        .find(|e| matches!(e.kind, Kind::HandshakeFailed { .. }))
    {
        return Err(format!(
            "a handshake failed at {} ms on {}: {}",
            e.at_ms,
            e.node,
            serde_json::to_string(&e.kind).unwrap_or_default()
        ));
    }
    if !has(0, crash, &|n, k| {
        n == "ts_primary" && matches!(k, Kind::HaSynced { primary, .. } if primary == "ts_primary")
    }) {
        return Err("the pair never synchronised before the crash".into());
    }
    if !has(crash, restart, &|n, k| {
        n == "ts_primary" && matches!(k, Kind::Stopped { .. })
    }) {
        return Err("ts_primary did not stop at the crash".into());
    }
    if !has(crash, restart, &|n, k| {
        n == "ts_backup"
            && matches!(
                k,
                Kind::RoleChanged {
                    to: Role::Primary,
                    ..
                }
            )
    }) {
        return Err("ts_backup was not promoted before the restart".into());
    }
    if !has(restart, u64::MAX, &|n, k| {
        n == "ts_primary"
            && matches!(
                k,
                Kind::RoleChanged {
                    to: Role::Backup,
                    ..
                }
            )
    }) {
        return Err("ts_primary did not come back as backup".into());
    }
    if !has(restart, u64::MAX, &|n, k| {
        n == "ts_primary"
            && matches!(k, Kind::HaSynced { primary, backup, .. }
                if primary == "ts_backup" && backup == "ts_primary")
    }) {
        return Err("ts_primary did not rejoin (no HaSynced under ts_backup)".into());
    }
    if !has(restart, u64::MAX, &|n, k| {
        n == "desk" && matches!(k, Kind::Connected { peer, .. } if peer == "ts_primary")
    }) {
        return Err("the desktop did not reconnect to ts_primary".into());
    }
    if traffic
        && !has(crash, u64::MAX, &|n, k| {
            n == "desk" && matches!(k, Kind::Acknowledged { by, .. } if by == "ts_backup")
        })
    {
        return Err("no request acknowledged by ts_backup after the crash".into());
    }
    let mut dialled = 0;
    let mut accepted = 0;
    for e in &trace.events {
        if let Kind::HandshakeOk { peer, .. } = &e.kind {
            if t.app(peer).is_some() {
                dialled += 1;
            } else {
                accepted += 1;
            }
        }
    }
    if dialled != accepted {
        return Err(format!(
            "{dialled} handshakes completed on the dialling side, {accepted} on the accepting side"
        ));
    }
    Ok(Outcome {
        handshakes: dialled,
    })
}

/// Prints one row: wall time per seed against handshakes times the in-memory median.
fn row(
    variant: &str,
    tick: Duration,
    walls: &mut [Duration],
    steps: &mut [u64],
    counts: &mut [usize],
    samples: &mut [Duration],
) {
    if walls.is_empty() {
        println!(
            "{variant:<20} {:>5}  no run completed its failover",
            format!("{}ms", tick.as_millis())
        );
        return;
    }
    steps.sort_unstable();
    let steps = steps[(steps.len() - 1) / 2];
    walls.sort();
    counts.sort_unstable();
    samples.sort();
    let median = percentile(walls, 50);
    let hs = counts[(counts.len() - 1) / 2];
    let hs_text = if counts[0] == counts[counts.len() - 1] {
        hs.to_string()
    } else {
        format!("{}-{}", counts[0], counts[counts.len() - 1])
    };
    let in_memory = percentile(samples, 50);
    let floor = in_memory * u32::try_from(hs).unwrap_or(u32::MAX);
    println!(
        "{variant:<20} {:>5} {steps:>6} {:>10} {:>10} {hs_text:>7} {:>10} {:>10} {:>6.1}x {:>9}",
        format!("{}ms", tick.as_millis()),
        msf(median),
        msf(percentile(walls, 90)),
        format!("{:.1} µs", in_memory.as_secs_f64() * 1e6),
        msf(floor),
        median.as_secs_f64() / floor.as_secs_f64().max(f64::MIN_POSITIVE),
        format!(
            "{:.2} µs",
            median.as_secs_f64() * 1e6 / (steps.max(1) as f64)
        ),
    );
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The `p`th percentile of sorted samples (nearest rank).
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (sorted.len() * p).div_ceil(100).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn msf(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}
