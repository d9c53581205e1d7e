//! Cost of the simulation as hosts are added: the reference T-Server pair
//! (`scenarios/topologies/tserver-pair.toml`) with N desktops, each on a host of its own with one
//! client application and one connection to the pair, no traffic, through one failover (crash of
//! `ts_primary` at 10 s, run to 30 s of virtual time). Sites have hundreds of desktops; the
//! simulated network's cost must grow with N, not with the N² host pairs.
//!
//! The topology is generated (`desktops(n)`), its material made once per N, outside the timing.
//! Each run is one `hapair::sim::run_counted`, verified: the pair synchronised, `ts_backup`
//! promoted after the crash, and every desktop holding a TLS session to `ts_backup` at the end,
//! with no failed handshake. The table gives the median wall time over the runs of each N, steps, and
//! the ratio of each row's time to the previous one against the ratio of N.
//!
//! `cargo bench --bench hosts` (or `ci/bench`): N = 50, 100, 200, 500, 1000, 3 runs each
//! (`HOSTS_N=50,100`, `HOSTS_RUNS=5` to vary). Under `cargo test` (no `--bench`) one run of
//! N = 5 and 20, as a smoke test.

#[path = "common/desktops.rs"]
mod desktops;

use std::time::{Duration, Instant};

use desktops::{CRASH_AT, END, plan, verify, world};

fn counts(benching: bool) -> Vec<usize> {
    std::env::var("HOSTS_N").ok().map_or_else(
        || {
            if benching {
                vec![50, 100, 200, 500, 1000]
            } else {
                vec![5, 20]
            }
        },
        |s| {
            s.split(',')
                .map(|x| {
                    x.trim()
                        .parse()
                        .unwrap_or_else(|e| panic!("HOSTS_N: `{x}`: {e}"))
                })
                .collect()
        },
    )
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let runs: usize = std::env::var("HOSTS_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benching { 3 } else { 1 });
    println!(
        "reference pair with N desktops on their own hosts, one connection each, no traffic; crash of ts_primary at {}s, end {}s; {runs} run(s) per N (release build: {})",
        CRASH_AT.as_secs(),
        END.as_secs(),
        !cfg!(debug_assertions)
    );
    println!(
        "{:>6} {:>6} {:>8} {:>11} {:>11} {:>11} {:>9} {:>9}",
        "N", "hosts", "steps", "median", "min", "max", "x time", "x N"
    );
    let mut previous: Option<(usize, Duration)> = None;
    for n in counts(benching) {
        let (t, material) = world(n);
        let mut walls = Vec::with_capacity(runs);
        let mut steps = 0;
        for seed in 1..=runs as u64 {
            let p = plan(&t, &material, seed);
            let start = Instant::now();
            let (trace, stats) =
                hapair::sim::run_counted(p).unwrap_or_else(|e| panic!("N = {n}, seed {seed}: {e}"));
            walls.push(start.elapsed());
            steps = stats.steps;
            if let Err(why) = verify(n, &trace) {
                panic!("N = {n}, seed {seed}: {why}");
            }
        }
        walls.sort();
        let median = walls[walls.len() / 2];
        let (xt, xn) = previous.map_or((String::new(), String::new()), |(pn, pw)| {
            (
                format!("{:.2}x", median.as_secs_f64() / pw.as_secs_f64()),
                format!("{:.2}x", n as f64 / pn as f64),
            )
        });
        println!(
            "{:>6} {:>6} {:>8} {:>9.3} s {:>9.3} s {:>9.3} s {:>9} {:>9}",
            n,
            t.hosts.len() + 1,
            steps,
            median.as_secs_f64(),
            walls[0].as_secs_f64(),
            walls[walls.len() - 1].as_secs_f64(),
            xt,
            xn
        );
        previous = Some((n, median));
    }
    if !benching {
        println!("smoke run (cargo test): not a measurement");
    }
}
