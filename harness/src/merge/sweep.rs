//! Merging `hapair.sweep/1` reports (docs/json.md, "Merging shards"): every shard must come
//! from the same sweep (format, version, fault set, intensity, range, shard count); the runs
//! are joined and sorted by scenario, then seed, each (scenario, seed) once; coverage counts
//! are summed, determinism checks joined; of the reproductions `--shrink` wrote, only the
//! first failing run's of each (scenario, signature) is kept, as one unsharded sweep shrinks
//! only that one (the other shards' files stay in their folders); of the timing, `wall_secs`
//! is the slowest shard's (shards run side by side), `seeds_per_sec` and `jobs` are summed
//! (the fleet's).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{GAP_LIST, Gap, MergeError, Mismatch, scenario_key, shard_gaps};
use crate::sweep::Shard;
use crate::sweep::report::{Coverage, SeedRun, SweepReport, Timing};

/// Merges the reports of the shards of one sweep, each with the file it came from.
///
/// # Errors
/// [`MergeError::Mismatch`] for two reports of different sweeps, [`MergeError::Overlap`] for
/// a seed (or a shard) given twice, [`MergeError::Incomplete`] when the shards given leave
/// seeds of the range unrun, [`MergeError::Empty`] for no reports.
pub fn merge(parts: &[(&Path, &SweepReport)]) -> Result<SweepReport, MergeError> {
    let Some(&(first_path, first)) = parts.first() else {
        return Err(MergeError::Empty);
    };
    for &(path, report) in parts.iter().skip(1) {
        same_sweep((first_path, first), (path, report))?;
    }
    let mut gaps = match first.shard {
        Some(Shard { of, .. }) => {
            let shards: Vec<(Shard, &Path)> = parts
                .iter()
                .filter_map(|&(path, r)| r.shard.map(|s| (s, path)))
                .collect();
            shard_gaps(of, &shards)?
        }
        None => Vec::new(),
    };
    let runs = join_runs(parts)?;
    if gaps.is_empty() {
        gaps = run_gaps(first, parts, &runs);
    }
    if !gaps.is_empty() {
        return Err(MergeError::Incomplete(gaps));
    }
    let mut coverage = Coverage::default();
    let mut determinism = Vec::new();
    for (_, r) in parts {
        coverage.add(&r.coverage);
        determinism.extend(r.determinism.iter().cloned());
    }
    determinism.sort_by(|a, b| {
        (scenario_key(&a.scenario), a.seed).cmp(&(scenario_key(&b.scenario), b.seed))
    });
    let mut runs: Vec<SeedRun> = runs.into_values().map(|(run, _)| run).collect();
    first_shrunk_only(&mut runs);
    Ok(SweepReport {
        format: first.format.clone(),
        version: first.version.clone(),
        faults: first.faults.clone(),
        intensity: first.intensity,
        start: first.start,
        seeds: first.seeds,
        shard: None,
        runs,
        coverage,
        determinism,
        timing: timing(parts.iter().map(|(_, r)| &r.timing)),
    })
}

/// Keeps `shrunk` only on the first run (in the report's order) of each (scenario, signature)
/// that `--shrink` would take: a failure with an outcome. Each shard shrank the first such run
/// it saw; one unsharded sweep shrinks only the first of the whole range.
fn first_shrunk_only(runs: &mut [SeedRun]) {
    let mut seen = BTreeSet::new();
    for run in runs {
        let first = match &run.signature {
            Some(sig) if run.error.is_none() => seen.insert((run.scenario.clone(), sig.clone())),
            _ => false,
        };
        if !first {
            run.shrunk = None;
        }
    }
}

/// Refuses two reports that cannot be shards of one sweep, naming what differs.
fn same_sweep(a: (&Path, &SweepReport), b: (&Path, &SweepReport)) -> Result<(), MergeError> {
    let (ra, rb) = (a.1, b.1);
    let faults = |r: &SweepReport| {
        let set: BTreeSet<_> = r.faults.iter().map(|f| f.name()).collect();
        set.into_iter().collect::<Vec<_>>().join(",")
    };
    let shard_count = |r: &SweepReport| match r.shard {
        Some(s) => format!("{} shards", s.of),
        None => "the whole range".to_string(),
    };
    let checks: [(&'static str, String, String); 7] = [
        ("format", ra.format.clone(), rb.format.clone()),
        ("version", ra.version.clone(), rb.version.clone()),
        ("faults", faults(ra), faults(rb)),
        (
            "intensity",
            ra.intensity.name().to_string(),
            rb.intensity.name().to_string(),
        ),
        ("start", ra.start.to_string(), rb.start.to_string()),
        ("seeds", ra.seeds.to_string(), rb.seeds.to_string()),
        ("shard count", shard_count(ra), shard_count(rb)),
    ];
    for (what, first, second) in checks {
        if first != second {
            return Err(MergeError::Mismatch(Box::new(Mismatch {
                kind: "sweep",
                what,
                first_path: a.0.to_path_buf(),
                first,
                second_path: b.0.to_path_buf(),
                second,
            })));
        }
    }
    Ok(())
}

/// Every run of every part, keyed (and so sorted) by scenario path, then seed.
type Runs<'p> = BTreeMap<(&'p Path, u64), (SeedRun, &'p Path)>;

/// The runs of all parts, refusing a (scenario, seed) two parts both hold.
fn join_runs<'p>(parts: &[(&'p Path, &'p SweepReport)]) -> Result<Runs<'p>, MergeError> {
    let mut runs: Runs<'p> = BTreeMap::new();
    for &(path, report) in parts {
        for run in &report.runs {
            let key = (scenario_key(&run.scenario), run.seed);
            if let Some((_, first)) = runs.get(&key) {
                return Err(MergeError::Overlap {
                    what: format!("scenario {}, seed {}", run.scenario, run.seed),
                    first_path: first.to_path_buf(),
                    second_path: path.to_path_buf(),
                });
            }
            runs.insert(key, (run.clone(), path));
        }
    }
    Ok(runs)
}

/// The seeds of the range that no part ran, per scenario (every scenario any part ran), with
/// the shard that deals them.
fn run_gaps(range: &SweepReport, parts: &[(&Path, &SweepReport)], runs: &Runs<'_>) -> Vec<Gap> {
    let scenarios: BTreeSet<&Path> = runs.keys().map(|(s, _)| *s).collect();
    let of = range.shard.map(|s| s.of);
    let mut gaps = Vec::new();
    for scenario in scenarios {
        // Missing seeds per shard index (0 when unsharded).
        let mut missing: BTreeMap<u64, (u64, Vec<u64>)> = BTreeMap::new();
        for offset in 0..range.seeds {
            let Some(seed) = range.start.checked_add(offset) else {
                break;
            };
            if runs.contains_key(&(scenario, seed)) {
                continue;
            }
            let index = of.and_then(|of| offset.checked_rem(of)).unwrap_or(0);
            let entry = missing.entry(index).or_default();
            entry.0 = entry.0.saturating_add(1);
            if entry.1.len() < GAP_LIST {
                entry.1.push(seed);
            }
        }
        for (index, (count, first)) in missing {
            let shard = of.map(|of| Shard {
                index: index.saturating_add(1),
                of,
            });
            let file = shard.and_then(|s| {
                parts
                    .iter()
                    .find(|(_, r)| r.shard == Some(s))
                    .map(|(p, _)| p.to_path_buf())
            });
            gaps.push(Gap::Runs {
                scenario: scenario.display().to_string(),
                shard,
                file,
                missing: count,
                first,
            });
        }
    }
    gaps
}

/// The shards' timing as one sweep's: the slowest shard's wall time, the summed rates and jobs.
fn timing<'t>(all: impl Iterator<Item = &'t Timing>) -> Timing {
    all.fold(Timing::default(), |acc, t| Timing {
        wall_secs: acc.wall_secs.max(t.wall_secs),
        seeds_per_sec: acc.seeds_per_sec + t.seeds_per_sec,
        jobs: acc.jobs.saturating_add(t.jobs),
    })
}
