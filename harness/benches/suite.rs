//! The scenario suite's cost: every scenario under `scenarios/` against the TLS work it
//! contains, and the whole suite as users run it.
//!
//! Per scenario, `rounds` runs of `hapair::execute::execute` under the scenario's own seed
//! (material generation, static judgement, simulation and verdicts, as `hapair run` does minus
//! the report), each checked to pass. The floor of a scenario is its TLS handshakes (successful
//! ones, counted on the dialling side) times the median in-memory handshake (ECDSA P-256,
//! server auth, TLS 1.3, `hapair::tls::memory::handshake` between configurations built once from
//! the reference T-Server pair's desktop connection), sampled after every run so that the floor
//! shares the row's noise. Target: median wall at most 2x the floor plus 20 ms.
//!
//! The whole suite is then timed as users run it: the release binary, `hapair run scenarios/
//! --format json` (default `--jobs`: every core), `rounds` times. Target: under 15 s.
//!
//! Run with `cargo bench --bench suite` (or `ci/bench`): 9 rounds (`SUITE_ROUNDS=N`). Under
//! `cargo test` (no `--bench` argument) one round, as a smoke test.

#[path = "common/floor.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Floor, floor};
use hapair::pki::paths::for_topology;
use time::macros::datetime;

/// In-memory handshakes timed after each run.
const FLOOR_SAMPLES_PER_RUN: usize = 8;
/// What the target allows beyond twice the floor.
const ALLOWANCE: Duration = Duration::from_millis(20);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The floor's configurations: the reference T-Server pair's desktop connection.
fn reference_floor() -> Floor {
    let clock = datetime!(2026-06-01 12:00 UTC);
    let path = repo().join("scenarios/topologies/tserver-pair.toml");
    let t = hapair::topology::load(&path).expect("the reference topology loads");
    let m = for_topology(&t, clock).expect("its material");
    floor(&t, &m, clock)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn msf(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let rounds: usize = match std::env::var("SUITE_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(n) if n > 0 => n,
        _ if benching => 9,
        _ => 1,
    };
    let files =
        hapair::runner::discover(&[repo().join("scenarios")]).expect("scenarios/ is readable");
    let floor = reference_floor();

    println!(
        "scenario suite, {rounds} rounds per scenario (release build: {})",
        !cfg!(debug_assertions)
    );
    println!(
        "{:<34} {:>7} {:>6} {:>10} {:>10} {:>3} {:>9} {:>8} {:>10} {:>7}  target",
        "scenario",
        "virtual",
        "steps",
        "median",
        "p90",
        "hs",
        "hs in-mem",
        "floor",
        "2x+20ms",
        "ratio"
    );
    let mut over = 0;
    for path in &files {
        let s = hapair::scenario::load(path)
            .unwrap_or_else(|e| panic!("{}: does not load: {e}", path.display()));
        let mut walls = Vec::with_capacity(rounds);
        let mut samples = Vec::with_capacity(rounds * FLOOR_SAMPLES_PER_RUN);
        let mut last = None;
        for _ in 0..rounds {
            let start = Instant::now();
            let outcome = hapair::execute::execute(&s, s.seed)
                .unwrap_or_else(|e| panic!("{}: does not run: {e}", path.display()));
            walls.push(start.elapsed());
            assert!(
                outcome.passed(),
                "{}: a verdict failed; `hapair run {} --seed {}` shows which",
                path.display(),
                path.display(),
                s.seed
            );
            samples.extend((0..FLOOR_SAMPLES_PER_RUN).map(|_| floor.sample()));
            last = Some(outcome);
        }
        let outcome = last.expect("at least one round");
        walls.sort();
        let wall = walls[walls.len() / 2];
        let p90 = walls[(walls.len() * 9 / 10).min(walls.len() - 1)];
        let in_memory = median(samples);
        let hs = u32::try_from(outcome.handshakes).unwrap_or(u32::MAX);
        let floor_total = in_memory * hs;
        let target = floor_total * 2 + ALLOWANCE;
        let met = wall <= target;
        over += usize::from(!met);
        let name = path.file_name().map_or_else(String::new, |n| {
            n.to_string_lossy().trim_end_matches(".toml").to_string()
        });
        println!(
            "{:<34} {:>6}s {:>6} {:>10} {:>10} {:>3} {:>7.1}µs {:>8} {:>10} {:>6.1}x  {}",
            name,
            s.duration.as_secs(),
            outcome.stats.steps,
            msf(wall),
            msf(p90),
            hs,
            in_memory.as_secs_f64() * 1e6,
            msf(floor_total),
            msf(target),
            wall.as_secs_f64() / target.as_secs_f64(),
            if met { "met" } else { "over" }
        );
    }
    println!(
        "{} of {} scenarios within 2x their handshake floor plus 20 ms",
        files.len() - over,
        files.len()
    );

    // The whole suite, as users run it.
    let bin = env!("CARGO_BIN_EXE_hapair");
    let mut suite = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        let out = Command::new(bin)
            .args(["run", "scenarios/", "--format", "json"])
            .current_dir(repo())
            .output()
            .expect("hapair runs");
        suite.push(start.elapsed());
        assert!(
            out.status.success(),
            "`hapair run scenarios/` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let whole = median(suite.clone());
    println!(
        "whole suite, `hapair run scenarios/` ({} files, {cores} cores): median {} of {rounds} (min {}, max {}); target under 15 s: {}",
        files.len(),
        msf(whole),
        msf(*suite.iter().min().expect("a round")),
        msf(*suite.iter().max().expect("a round")),
        if whole < Duration::from_secs(15) {
            "met"
        } else {
            "over"
        }
    );
}
