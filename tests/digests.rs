//! Refactoring guard: the trace digest of every shipped scenario under seeds 1 to 20 is kept in
//! `tests/digests/baseline.txt` and must not change. Same scenario + seed + version → the same
//! trace; a change of architecture must not change a trace either. Where a commit changes
//! traces on purpose, it says why and re-records the file with
//! `HAPAIR_BLESS=1 cargo test --test digests`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hapair::runner::{self, Batch, JobResult, Seeds};

const SEEDS: std::ops::RangeInclusive<u64> = 1..=20;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `scenario-path seed digest` for every shipped scenario and seed, sorted; the scenarios
/// found and run by the runner, as `hapair run scenarios` finds and runs them.
fn digests() -> BTreeMap<(String, u64), String> {
    let files = runner::discover(&[repo().join("scenarios")]).expect("scenarios/ is readable");
    let mut out = BTreeMap::new();
    runner::run(
        &Batch::of_files(&files, &Seeds::Given(SEEDS.collect())),
        |job, report| {
            let rel = job
                .path
                .strip_prefix(repo())
                .unwrap_or(&job.path)
                .display()
                .to_string();
            let seed = report.seed.expect("a given seed");
            match report.result {
                JobResult::Ran(o) => {
                    out.insert((rel, seed), o.trace.digest());
                }
                JobResult::Failed(f) => panic!("{rel} seed {seed}: {}", f.message),
                JobResult::Skipped => panic!("{rel} seed {seed}: not run"),
            }
        },
    );
    out
}

fn render(d: &BTreeMap<(String, u64), String>) -> String {
    let mut text = String::from(
        "# Trace digests of the shipped scenarios, seeds 1-20 (tests/digests.rs).\n\
         # Re-record on purpose only: HAPAIR_BLESS=1 cargo test --test digests\n",
    );
    for ((path, seed), digest) in d {
        let _ = writeln!(text, "{path} {seed} {digest}");
    }
    text
}

#[test]
fn every_shipped_trace_is_as_recorded() {
    let file = repo().join("tests/digests/baseline.txt");
    let now = digests();
    if std::env::var_os("HAPAIR_BLESS").is_some() {
        std::fs::write(&file, render(&now)).expect("baseline written");
        return;
    }
    let recorded = std::fs::read_to_string(&file).expect("tests/digests/baseline.txt");
    let mut was = BTreeMap::new();
    for line in recorded
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let mut parts = line.split(' ');
        let (Some(path), Some(seed), Some(digest)) = (parts.next(), parts.next(), parts.next())
        else {
            panic!("baseline line {line:?} is not `path seed digest`");
        };
        let seed: u64 = seed.parse().expect("seed");
        was.insert((path.to_string(), seed), digest.to_string());
    }
    let mut diffs = Vec::new();
    for (key, digest) in &now {
        match was.get(key) {
            Some(d) if d == digest => {}
            Some(_) => diffs.push(format!("{} seed {}: trace changed", key.0, key.1)),
            None => diffs.push(format!("{} seed {}: not recorded", key.0, key.1)),
        }
    }
    for key in was.keys().filter(|k| !now.contains_key(*k)) {
        diffs.push(format!(
            "{} seed {}: recorded but no longer shipped",
            key.0, key.1
        ));
    }
    assert!(
        diffs.is_empty(),
        "{} trace digest(s) differ from tests/digests/baseline.txt:\n{}\n(re-record on purpose \
         only, saying why in the commit: HAPAIR_BLESS=1 cargo test --test digests)",
        diffs.len(),
        diffs.join("\n")
    );
}
