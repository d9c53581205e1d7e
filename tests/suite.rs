//! The scenario suite: every scenario file under `scenarios/` (outside `topologies/` folders)
//! loads, runs under its own seed, and every expectation and always-on invariant holds. A
//! scenario that rehearses a failure states that failure as its expectation, so a pass means
//! hapair detected it. Files named `*.toml.pending` are left out: they state the correct
//! expectation for a behaviour the simulator does not have yet.

use std::path::{Path, PathBuf};

/// The suite must cover at least the field situations listed in the issue.
const AT_LEAST: usize = 17;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.toml` under `dir`, skipping folders named `topologies`.
fn scenario_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "topologies") {
                scenario_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

/// A scenario's name and how many verdicts held, or what went wrong.
type Ran = Result<(String, usize), String>;

/// Loads and runs one scenario; `Err` lists what went wrong.
fn run_one(path: &Path) -> Ran {
    let s = hapair::scenario::load(path).map_err(|e| format!("does not load: {e}"))?;
    let outcome =
        hapair::scenario::run::execute(&s, s.seed).map_err(|e| format!("does not run: {e}"))?;
    let failed: Vec<String> = outcome
        .verdicts
        .iter()
        .filter(|v| !v.held)
        .map(|v| format!("  ✗ {} {}\n    trace shows: {}", v.kind, v.what, v.detail))
        .collect();
    if s.rehearses.is_empty() {
        return Err("has no `rehearses`".into());
    }
    if failed.is_empty() {
        Ok((s.name.clone(), outcome.verdicts.len()))
    } else {
        Err(format!(
            "{} (seed {}):\n{}\n  replay: hapair run {} --seed {}",
            s.name,
            s.seed,
            failed.join("\n"),
            path.strip_prefix(repo()).unwrap_or(path).display(),
            s.seed
        ))
    }
}

#[test]
fn every_scenario_of_the_suite_holds() {
    let root = repo().join("scenarios");
    let mut files = Vec::new();
    scenario_files(&root, &mut files);
    files.sort();
    assert!(
        files.len() >= AT_LEAST,
        "the suite has {} scenario files, at least {AT_LEAST} expected: {files:#?}",
        files.len()
    );

    // Each scenario runs its own simulation: share them out over the available cores.
    let jobs = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .min(files.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<(PathBuf, Ran)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        mine.push((path.clone(), run_one(path)));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a scenario worker panicked"))
            .collect()
    });

    let mut failures = Vec::new();
    for (path, result) in &results {
        let shown = path.strip_prefix(repo()).unwrap_or(path).display();
        match result {
            Ok((name, checked)) => println!("PASS {shown}: {name} ({checked} held)"),
            Err(why) => failures.push(format!("FAIL {shown}: {why}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        results.len(),
        failures.join("\n")
    );
}
