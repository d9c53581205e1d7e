//! The liveness phase (Step 10, item 2): faults still active after the last step are lifted,
//! the pair must converge within the bound derived from its timeouts (or `[liveness] within`),
//! a bound too short fails with the nearest miss, a bad `within` is a located error, and the
//! split-brain allowance a sweep turns on excuses two primaries only while a network fault
//! separates the pair.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hapair::check::{Differs, Verdict};
use hapair::scenario::{self, LoadError, Scenario};
use hapair::trace::Kind;

fn topology() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/topologies/tserver-pair-scs.toml")
}

/// A scenario over the reference T-Server pair: traffic, then `steps`, then `tail` (tables
/// such as `[liveness]`).
fn scenario(steps: &str, tail: &str) -> Result<Scenario, LoadError> {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("case.toml");
    let text = format!(
        "name = \"case\"\ntopology = {:?}\nclock = \"2026-06-01T08:00:00Z\"\nseed = 1\n\
         duration = \"40s\"\n\n[[step]]\nat = \"0s\"\ntraffic = {{ from = \"desk\", rate = \
         \"10/s\" }}\n\n{steps}\n{tail}\n",
        topology().display().to_string()
    );
    std::fs::write(&path, text).expect("written");
    scenario::load(&path)
}

fn liveness(verdicts: &[Verdict]) -> Vec<&Verdict> {
    verdicts
        .iter()
        .filter(|v| v.what.starts_with("liveness:"))
        .collect()
}

const CRASH: &str = "[[step]]\nat = \"10s\"\ncrash = \"ts_primary\"\n";

#[test]
fn a_crash_left_active_is_lifted_and_the_pair_converges() {
    let s = scenario(CRASH, "[liveness]\n").expect("loads");
    let o = hapair::execute::execute(&s, 1).expect("runs");
    let live = liveness(&o.verdicts);
    assert!(
        live.len() >= 4,
        "{:?}",
        live.iter().map(|v| &v.what).collect::<Vec<_>>()
    );
    for v in &o.verdicts {
        assert!(v.held, "{}: {}", v.what, v.detail);
    }
    // The lift restarted the crashed primary at the end of the scenario's own run (40 s).
    let restarted = o.trace.events.iter().any(|e| {
        e.node == "ts_primary" && e.at_ms >= 40_000 && matches!(e.kind, Kind::Started { .. })
    });
    assert!(restarted, "ts_primary was not restarted by the lift");
    let synced = live
        .iter()
        .find(|v| v.what.contains("HA link"))
        .expect("the HA link judged");
    assert!(synced.detail.contains("converged at"), "{}", synced.detail);
}

#[test]
fn without_the_phase_the_crashed_primary_stays_down() {
    let s = scenario(CRASH, "").expect("loads");
    assert!(s.liveness.is_none());
    let o = hapair::execute::execute(&s, 1).expect("runs");
    assert!(liveness(&o.verdicts).is_empty());
    assert!(!o.trace.events.iter().any(|e| {
        e.node == "ts_primary" && e.at_ms >= 10_000 && matches!(e.kind, Kind::Started { .. })
    }));
}

#[test]
fn a_bound_shorter_than_the_convergence_fails_with_its_nearest_miss() {
    let mut s = scenario(CRASH, "[liveness]\n").expect("loads");
    // Below what the loader accepts: only code can ask for it.
    if let Some(l) = s.liveness.as_mut() {
        l.within = Some(Duration::from_millis(1));
    }
    let o = hapair::execute::execute(&s, 1).expect("runs");
    let late = liveness(&o.verdicts)
        .into_iter()
        .find(|v| v.what.contains("HA link"))
        .expect("the HA link judged");
    assert!(!late.held, "{}", late.detail);
    assert!(late.detail.contains("converged only at"), "{}", late.detail);
    assert!(late.detail.contains("derived bound"), "{}", late.detail);
    let miss = late.miss.as_ref().expect("a nearest miss");
    assert!(
        matches!(
            miss.differs,
            Differs::Late {
                deadline_ms: 40_001,
                ..
            }
        ),
        "{:?}",
        miss.differs
    );
}

#[test]
fn a_partition_left_active_is_healed_and_a_lost_client_comes_back() {
    let steps = "[[step]]\nat = \"10s\"\npartition = [\"desk-1\", \"ts-a\"]\n";
    let s = scenario(steps, "[liveness]\n").expect("loads");
    let o = hapair::execute::execute(&s, 2).expect("runs");
    for v in liveness(&o.verdicts) {
        assert!(v.held, "{}: {}", v.what, v.detail);
    }
    assert!(o.trace.events.iter().any(|e| matches!(&e.kind,
        Kind::Fault { fault, .. } if fault.to_string() == "heal")
        && e.at_ms == 40_000));
}

#[test]
fn within_below_the_least_the_topology_allows_is_a_located_error() {
    let Err(LoadError::Invalid(bad)) = scenario(CRASH, "[liveness]\nwithin = \"2s\"\n") else {
        panic!("a 2 s bound loaded");
    };
    let p = bad.problems.first().expect("a problem");
    assert!(
        p.message.contains("shorter than the least"),
        "{}",
        p.message
    );
    assert!(p.message.contains("10s"), "{}", p.message);
    let line = bad.source_file.locate(p.span.start).line;
    assert_eq!(
        line,
        bad.source_file
            .text
            .lines()
            .position(|l| l.starts_with("within"))
            .unwrap_or(0)
            + 1
    );
    let Err(LoadError::Invalid(bad)) = scenario(CRASH, "[liveness]\nwithin = \"soon\"\n") else {
        panic!("`soon` loaded");
    };
    assert!(!bad.problems.is_empty());
    let Err(LoadError::Invalid(bad)) = scenario(CRASH, "[liveness]\nwhen = \"90s\"\n") else {
        panic!("an unknown key loaded");
    };
    assert!(bad.problems.iter().any(|p| p.message.contains("when")));
}

#[test]
fn liveness_is_written_back_and_loads_the_same() {
    let s = scenario(CRASH, "[liveness]\nwithin = \"90s\"\nbaseline = \"5s\"\n").expect("loads");
    let l = s.liveness.clone().expect("decoded");
    assert_eq!(l.within, Some(Duration::from_secs(90)));
    assert_eq!(l.baseline, Some(Duration::from_secs(5)));
    let text = scenario::to_toml(&s).expect("written");
    assert!(text.contains("[liveness]"), "{text}");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("again.toml");
    std::fs::write(&path, &text).expect("written");
    let again = scenario::load(&path).expect("loads again");
    let back = again.liveness.expect("decoded again");
    assert_eq!((back.within, back.baseline), (l.within, l.baseline));
}

/// SCS host cut off from the primary's: the SCS promotes the backup while the primary, still
/// running, stays primary (documented split brain).
const SPLIT: &str = "[[step]]\nat = \"10s\"\npartition = [\"ts-a\", \"mgmt\"]\n\n[[step]]\n\
                     at = \"25s\"\nheal = [\"ts-a\", \"mgmt\"]\n";

fn one_primary(o: &hapair::execute::Outcome) -> &Verdict {
    o.verdicts
        .iter()
        .find(|v| v.what.starts_with("at most one primary"))
        .expect("judged")
}

#[test]
fn split_brain_under_a_partition_is_allowed_only_when_the_sweep_says_so() {
    let strict = scenario(SPLIT, "").expect("loads");
    let o = hapair::execute::execute(&strict, 1).expect("runs");
    let v = one_primary(&o);
    assert!(
        !v.held,
        "the split must fail without the allowance: {}",
        v.detail
    );
    let mut allowed = strict.clone();
    allowed.invariants.split_brain_under_network_fault = true;
    let o = hapair::execute::execute(&allowed, 1).expect("runs");
    let v = one_primary(&o);
    assert!(v.held, "{}", v.detail);
    assert!(v.detail.contains("split brain"), "{}", v.detail);
}
