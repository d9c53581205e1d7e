//! Seeds per second of a sweep of the reference T-Server failover (`scenarios/topologies/
//! tserver-pair.toml`, as `benches/failover.rs` runs it: crash of `ts_primary` at 10 s,
//! restart at 20 s, 30 s of run) with random faults: per seed, a schedule drawn from all nine
//! kinds at medium intensity over the default 60 s fault phase, then the liveness phase, every
//! expectation and invariant judged, the run reduced to its report line and coverage, as
//! `hapair sweep` does (`hapair::sweep::sweep`).
//!
//! Two workloads: the reference failover as Step 3 defines it (crash, promotion, client
//! reconnection, rejoin: the desktop connects, sends no requests), and the same with 20
//! requests per second from the desktop (what a sweep judging lost acknowledgements runs).
//! Rows: per workload, `--jobs 1` and `--jobs 2`, each `SWEEP_ROUNDS` rounds (3 by default) of
//! `SWEEP_SEEDS` seeds (200 by default; the same seeds every round); the median seeds/s per
//! row, per job, and the ratio of two jobs to one. The target is 100 seeds/s per core, linear
//! in jobs.
//! Every round must give the same report (digests included): a sweep's results do not depend
//! on its jobs.
//!
//! Run with `cargo bench --bench sweep` (or `ci/bench`). Under `cargo test` (no `--bench`
//! argument) it runs 4 seeds, one round, as a smoke test.

use std::path::{Path, PathBuf};
use std::time::Instant;

use hapair::sweep::{Plan, sweep};

/// The reference failover as a scenario file in `dir`, with the desktop's requests or not.
fn reference(dir: &Path, traffic: bool) -> PathBuf {
    let topology =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/topologies/tserver-pair.toml");
    let requests = if traffic {
        "[[step]]\nat = \"0s\"\ntraffic = { from = \"desk\", rate = \"20/s\" }\n"
    } else {
        ""
    };
    let text = format!(
        "name = \"reference-failover\"\ntopology = \"{}\"\nclock = 2026-06-01T08:00:00Z\n\
         seed = 1\nduration = \"30s\"\n{requests}\
         [[step]]\nat = \"10s\"\ncrash = \"ts_primary\"\nlabel = \"crash\"\n\
         [[step]]\nat = \"20s\"\nrestart = \"ts_primary\"\n\
         [[expect]]\nrole = {{ app = \"ts_backup\", is = \"primary\" }}\nafter = \"crash\"\n\
         within = \"2s\"\n",
        topology.display()
    );
    let path = dir.join(if traffic {
        "reference-failover-traffic.toml"
    } else {
        "reference-failover.toml"
    });
    std::fs::write(&path, text).expect("the scenario is written");
    path
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(0.0)
}

/// One workload's rows: per job count, the median seeds/s; and how many seeds failed.
fn workload(file: &Path, seeds: u64, rounds: u64) -> (Vec<(usize, f64)>, usize) {
    let mut first: Option<Vec<hapair::sweep::report::SeedRun>> = None;
    let mut rows = Vec::new();
    for jobs in [1_usize, 2] {
        let mut rates = Vec::new();
        for _ in 0..rounds {
            let plan = Plan {
                workers: jobs,
                ..Plan::new(vec![file.to_path_buf()], 1, seeds)
            };
            let started = Instant::now();
            let swept = sweep(&plan);
            let wall = started.elapsed().as_secs_f64();
            let runs = swept.report.runs;
            assert_eq!(runs.len() as u64, seeds);
            match &first {
                None => first = Some(runs),
                Some(f) => assert_eq!(f, &runs, "the same report whatever the jobs"),
            }
            rates.push(seeds as f64 / wall);
        }
        rows.push((jobs, median(rates)));
    }
    let failed = first
        .as_ref()
        .map_or(0, |r| r.iter().filter(|r| !r.passed).count());
    (rows, failed)
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let (seeds, rounds) = if benching {
        (env_or("SWEEP_SEEDS", 200), env_or("SWEEP_ROUNDS", 3))
    } else {
        (4, 1)
    };
    let dir = tempfile::tempdir().expect("tempdir");
    println!(
        "sweep of the reference failover, {seeds} seeds x {rounds} round(s), 60 s of faults each"
    );
    println!(
        "{:<34} {:>6} {:>12} {:>16}",
        "workload", "jobs", "seeds/s", "seeds/s per job"
    );
    for (traffic, name) in [
        (false, "failover (no requests)"),
        (true, "failover + 20 requests/s"),
    ] {
        let file = reference(dir.path(), traffic);
        let (rows, failed) = workload(&file, seeds, rounds);
        let one = rows.first().map_or(0.0, |r| r.1);
        for (jobs, rate) in &rows {
            println!(
                "{name:<34} {jobs:>6} {rate:>12.1} {:>16.1}",
                rate / *jobs as f64
            );
        }
        if let Some((_, two)) = rows.get(1) {
            println!(
                "{name:<34} ratio 2 jobs / 1 job: {:.2} (linear: 2.00); {failed} seed(s) failed",
                two / one.max(1e-9)
            );
        }
    }
}
