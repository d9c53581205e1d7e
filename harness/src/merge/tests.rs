//! Merging hand-made shards: the merge of every shard equals the whole range's report (timing
//! aside); mismatched, overlapping and incomplete sets are refused with the files named.

use std::path::{Path, PathBuf};

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::*;
use crate::sweep::report::{Coverage, Determinism, SeedRun, Timing};
use crate::sweep::{FaultKind, Intensity, Signature};

/// As strings `s/a-b.toml` sorts first; as paths (discovery's order) `s/a/x.toml` does.
const SCENARIOS: [&str; 2] = ["s/a-b.toml", "s/a/x.toml"];

fn run(scenario: &str, seed: u64) -> SeedRun {
    let passed = seed % 3 != 0;
    SeedRun {
        scenario: scenario.to_string(),
        name: scenario.to_string(),
        seed,
        passed,
        signature: (!passed).then(|| Signature::error(format!("boom {seed}"))),
        digest: Some(format!("d{seed}")),
        schedule: Vec::new(),
        error: None,
        replay: format!("hapair sweep {scenario} --start {seed} --seeds 1"),
        shrunk: None,
    }
}

fn coverage(runs: &[SeedRun]) -> Coverage {
    let mut c = Coverage {
        runs: runs.len() as u64,
        ..Coverage::default()
    };
    for r in runs {
        *c.fired.entry("crash".into()).or_insert(0) += r.seed;
        *c.judged.entry(r.scenario.clone()).or_insert(0) += 1;
    }
    c
}

/// The report of shard `shard` (all seeds with `None`) of 10 seeds from 5.
fn report(shard: Option<Shard>) -> SweepReport {
    let mut runs: Vec<SeedRun> = Vec::new();
    for seed in 5..15 {
        if shard.is_none_or(|s| s.takes(seed - 5)) {
            for s in SCENARIOS {
                runs.push(run(s, seed));
            }
        }
    }
    runs.sort_by(|a, b| (Path::new(&a.scenario), a.seed).cmp(&(Path::new(&b.scenario), b.seed)));
    let determinism = runs
        .iter()
        .filter(|r| r.seed % 4 == 0)
        .map(|r| Determinism {
            scenario: r.scenario.clone(),
            seed: r.seed,
            same: true,
            first_difference: None,
        })
        .collect();
    SweepReport {
        format: crate::sweep::report::FORMAT.into(),
        version: "0.1.0".into(),
        faults: vec![FaultKind::Crash, FaultKind::Partition],
        intensity: Intensity::Medium,
        start: 5,
        seeds: 10,
        shard,
        coverage: coverage(&runs),
        runs,
        determinism,
        timing: Timing {
            wall_secs: 2.0,
            seeds_per_sec: 10.0,
            jobs: 2,
        },
    }
}

fn shards(of: u64) -> Vec<(PathBuf, SweepReport)> {
    (1..=of)
        .map(|index| {
            (
                PathBuf::from(format!("shard-{index}/sweep.json")),
                report(Some(Shard { index, of })),
            )
        })
        .collect()
}

fn refs(parts: &[(PathBuf, SweepReport)]) -> Vec<(&Path, &SweepReport)> {
    parts.iter().map(|(p, r)| (p.as_path(), r)).collect()
}

#[test]
fn merged_shards_equal_the_whole_range() {
    let whole = report(None);
    for of in [1, 3, 4, 10, 13] {
        let mut parts = shards(of);
        // The order the files are given in does not matter.
        parts.reverse();
        let merged = sweep::merge(&refs(&parts)).expect("merged");
        assert_eq!(
            SweepReport {
                timing: whole.timing.clone(),
                ..merged.clone()
            },
            whole,
            "{of} shards"
        );
        assert_eq!(merged.timing.wall_secs, 2.0);
        assert_eq!(merged.timing.jobs, 2 * of as usize);
    }
    assert_eq!(whole.runs[0].scenario, "s/a/x.toml");
}

#[test]
fn of_the_shards_reproductions_only_the_first_of_each_signature_is_kept() {
    // Every failing run fails the same way; each shard shrank the first it saw, the whole
    // range only its first (seed 6 of each scenario).
    let same = |r: &mut SweepReport| {
        let mut seen = std::collections::BTreeSet::new();
        for run in &mut r.runs {
            if !run.passed {
                run.signature = Some(Signature::error("boom"));
                if seen.insert(run.scenario.clone()) {
                    run.shrunk = Some(format!("{}/seed-{}/shrunk.toml", run.scenario, run.seed));
                }
            }
        }
    };
    let mut whole = report(None);
    same(&mut whole);
    let mut parts = shards(10);
    for (_, r) in &mut parts {
        same(r);
    }
    assert!(
        parts
            .iter()
            .filter(|(_, r)| r.runs.iter().any(|x| x.shrunk.is_some()))
            .count()
            > 1,
        "more than one shard shrank"
    );
    let mut merged = sweep::merge(&refs(&parts)).expect("merged");
    merged.timing = whole.timing.clone();
    assert_eq!(merged, whole);
    let kept: Vec<u64> = merged
        .runs
        .iter()
        .filter(|r| r.shrunk.is_some())
        .map(|r| r.seed)
        .collect();
    assert_eq!(kept, [6, 6]);
}

#[test]
fn different_sweeps_are_refused_naming_both_files() {
    type Change = (&'static str, fn(&mut SweepReport));
    let changes: [Change; 6] = [
        ("version", |r| r.version = "0.2.0".into()),
        ("faults", |r| r.faults = vec![FaultKind::Crash]),
        ("intensity", |r| r.intensity = Intensity::High),
        ("start", |r| r.start = 6),
        ("seeds", |r| r.seeds = 11),
        ("shard count", |r| r.shard = Some(Shard { index: 2, of: 3 })),
    ];
    for (what, change) in changes {
        let mut parts = shards(2);
        change(&mut parts[1].1);
        let e = sweep::merge(&refs(&parts)).expect_err(what);
        let text = e.to_string();
        assert!(
            matches!(&e, MergeError::Mismatch(m) if m.what == what),
            "{what}: {text}"
        );
        assert!(
            text.contains("shard-1/sweep.json") && text.contains("shard-2/sweep.json"),
            "{text}"
        );
        assert!(!e.is_incomplete());
    }
    // The same fault set in another order is the same sweep.
    let mut parts = shards(2);
    parts[1].1.faults.reverse();
    assert!(sweep::merge(&refs(&parts)).is_ok());
}

#[test]
fn overlapping_shards_are_refused() {
    let mut parts = shards(2);
    parts.push((PathBuf::from("again/sweep.json"), parts[0].1.clone()));
    let e = sweep::merge(&refs(&parts)).expect_err("shard 1 twice");
    assert!(
        e.to_string().contains("both hold shard 1/2") && e.to_string().contains("again/"),
        "{e}"
    );
    // A shard and the whole range: the same seeds twice.
    let whole = [
        (PathBuf::from("all.json"), report(None)),
        (PathBuf::from("all-again.json"), report(None)),
    ];
    let e = sweep::merge(&refs(&whole)).expect_err("whole twice");
    assert!(e.to_string().contains("scenario s/a/x.toml, seed 5"), "{e}");
    // One seed run by two shards (a shard that dealt seeds wrongly).
    let mut parts = shards(2);
    let extra = run("s/a-b.toml", 6);
    parts[0].1.runs.push(extra);
    let e = sweep::merge(&refs(&parts)).expect_err("seed 6 twice");
    assert!(e.to_string().contains("seed 6"), "{e}");
}

#[test]
fn a_missing_shard_is_named_and_nothing_merged() {
    let mut parts = shards(4);
    parts.remove(2);
    let e = sweep::merge(&refs(&parts)).expect_err("shard 3 missing");
    assert!(e.is_incomplete());
    assert_eq!(
        e.to_string(),
        "the shards given do not cover the range (nothing was merged):\n  \
         shard 3/4 is missing: no file of it was given"
    );
    // A shard that ran fewer scenarios (another --filter): its seeds of the scenario.
    let mut parts = shards(4);
    parts[1].1.runs.retain(|r| r.scenario != "s/a-b.toml");
    let e = sweep::merge(&refs(&parts)).expect_err("runs missing");
    assert!(e.is_incomplete());
    assert!(
        e.to_string().contains(
            "s/a-b.toml: 3 seed(s) not run (6, 10, 14); shard 2/4 (shard-2/sweep.json) lacks them"
        ),
        "{e}"
    );
}

fn case(name: &str, failed: bool) -> TestCase {
    let status = if failed {
        TestCaseStatus::non_success(NonSuccessKind::Failure)
    } else {
        TestCaseStatus::success()
    };
    let mut c = TestCase::new(name, status);
    c.set_time(std::time::Duration::from_millis(10));
    c
}

/// A JUnit report of seeds `seeds`: a suite per scenario (in discovery order), cases
/// `check [seed N]`.
fn junit_of(seeds: impl Iterator<Item = u64> + Clone) -> Report {
    let mut report = Report::new("hapair");
    for s in SCENARIOS.iter().rev() {
        let mut suite = TestSuite::new(*s);
        suite.add_test_case(case("load", true));
        for seed in seeds.clone() {
            suite.add_test_case(case(&format!("first [seed {seed}]"), seed % 3 == 0));
            suite.add_test_case(case(&format!("second [seed {seed}]"), false));
        }
        suite.set_time(std::time::Duration::from_millis(10));
        report.add_test_suite(suite);
    }
    report
}

fn roundtrip(r: &Report) -> Report {
    Report::deserialize_from_str(&r.to_string().expect("xml")).expect("read back")
}

#[test]
fn junit_shards_merge_into_the_whole_range() {
    let whole = roundtrip(&junit_of(5..15));
    let parts: Vec<(PathBuf, Report)> = (0..4)
        .map(|k| {
            (
                PathBuf::from(format!("{k}/junit.xml")),
                roundtrip(&junit_of((5..15).filter(move |s| (s - 5) % 4 == k))),
            )
        })
        .collect();
    let refs: Vec<(&Path, &Report)> = parts.iter().map(|(p, r)| (p.as_path(), r)).collect();
    let merged = junit::merge(&refs).expect("merged");
    let mut expected = Report::new("hapair");
    for mut suite in whole.test_suites {
        // Times are summed: each shard's suite took 10 ms.
        suite.set_time(std::time::Duration::from_millis(40));
        expected.add_test_suite(suite);
    }
    assert_eq!(merged, expected);
    assert_eq!((merged.tests, merged.failures), (42, 8));

    let twice = [refs[0], refs[0]];
    let e = junit::merge(&twice).expect_err("overlap");
    assert!(e.to_string().contains("first [seed 5]"), "{e}");
    assert_eq!(junit::seed_of("x [seed 12]"), Some(12));
    assert_eq!(junit::seed_of("seed 3: pair"), Some(3));
    assert_eq!(junit::seed_of("load"), None);
}

#[test]
fn run_shards_merge_and_a_missing_one_is_named() {
    let doc = |index: u64, seeds: &[u64]| {
        serde_json::json!({
            "schema": "hapair.run/1", "version": "0.1.0", "passed": true, "seeds": 4,
            "shard": { "index": index, "of": 2 },
            "scenarios": [{ "path": "s/b.toml", "name": "b", "passed": true, "error": null,
                "runs": seeds.iter().map(|s| serde_json::json!({ "seed": s, "passed": *s != 4 }))
                    .collect::<Vec<_>>() }]
        })
    };
    let (one, two) = (doc(1, &[3, 5]), doc(2, &[4, 6]));
    let (p1, p2) = (
        PathBuf::from("1/report.json"),
        PathBuf::from("2/report.json"),
    );
    let merged = run::merge(&[(&p2, &two), (&p1, &one)]).expect("merged");
    let seeds: Vec<u64> = merged["scenarios"][0]["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .filter_map(|r| r["seed"].as_u64())
        .collect();
    assert_eq!(seeds, [3, 4, 5, 6]);
    assert_eq!(merged["passed"], false);
    assert_eq!(merged["scenarios"][0]["passed"], false);
    assert!(merged["shard"].is_null());

    let e = run::merge(&[(&p1, &one)]).expect_err("shard 2 missing");
    assert!(e.to_string().contains("shard 2/2 is missing"), "{e}");
    let e = run::merge(&[(&p1, &one), (&p2, &doc(2, &[4]))]).expect_err("short");
    assert!(e.to_string().contains("s/b.toml: 1 seed(s) not run"), "{e}");
    let e = run::merge(&[(&p1, &one), (&p2, &doc(2, &[3]))]).expect_err("overlap");
    assert!(e.to_string().contains("seed 3"), "{e}");
    let mut other = two.clone();
    other["seeds"] = 5.into();
    let e = run::merge(&[(&p1, &one), (&p2, &other)]).expect_err("mismatch");
    assert!(e.to_string().contains("seeds differs (4 against 5)"), "{e}");
}

#[test]
fn files_are_told_apart_by_content_and_folders_opened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shard = dir.path().join("shard-1");
    std::fs::create_dir_all(shard.join("x")).expect("dir");
    let r = report(Some(Shard { index: 1, of: 1 }));
    std::fs::write(shard.join("sweep.json"), crate::report::json::to_string(&r)).expect("w");
    std::fs::write(
        shard.join("junit.xml"),
        junit_of(5..6).to_string().expect("xml"),
    )
    .expect("w");
    let inputs = read(std::slice::from_ref(&shard)).expect("read");
    assert_eq!(inputs.len(), 2);
    let merged = merge(&inputs).expect("merged");
    assert!(matches!(merged.json, Some(Json::Sweep(_))));
    assert!(merged.junit.is_some());

    let other = dir.path().join("other.json");
    std::fs::write(&other, "{\"schema\": \"hapair.check/1\"}").expect("w");
    let e = read(&[other]).expect_err("not mergeable");
    assert!(e.to_string().contains("JSON of `hapair.check/1`"), "{e}");
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).expect("dir");
    let e = read(&[empty]).expect_err("empty folder");
    assert!(e.to_string().contains("holds no sweep.json"), "{e}");
}
