//! The ICON HA expectations (Step 9, item 5) on real runs of the reference set
//! (`scenarios/topologies/icon-ha.toml`): two ICONs storing a T-Server pair's call events into
//! two real SQLite IDBs, judged on what the databases hold at the end. A healthy set keeps
//! parity and completeness through a T-Server failover; an ICON crashing mid-traffic leaves a
//! gap its session control records and the other IDB covers (parity then differs at most in
//! the parties of calls under way at its restart, as ICON writes them); ICONs with different storage
//! options fail parity naming the tables, and pass with `differ` naming them; a set whose
//! roles lack `gud` fails role coverage. Each case runs under several seeds.

use std::path::{Path, PathBuf};

use hapair::check::Verdict;
use hapair::execute::execute;
use hapair::scenario::load;

const SEEDS: [u64; 3] = [1, 2, 7];

/// The reference topology with each `(from, to)` edit applied, written under `dir`.
fn topology(dir: &Path, edits: &[(&str, &str)]) -> PathBuf {
    let reference =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/topologies/icon-ha.toml");
    let mut text = std::fs::read_to_string(&reference)
        .unwrap_or_else(|e| panic!("{}: {e}", reference.display()));
    for (from, to) in edits {
        assert!(text.contains(from), "the reference has no `{from}`");
        text = text.replace(from, to);
    }
    let path = dir.join("icon-ha.toml");
    std::fs::write(&path, text).expect("written");
    path
}

/// The verdicts of the expectations (no invariants) of a run of 200 calls from 2 s, with
/// `steps` and `expects`, on the reference set edited by `edits`.
fn run(seed: u64, edits: &[(&str, &str)], steps: &str, expects: &str) -> Vec<Verdict> {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let topology = topology(dir.path(), edits);
    let path = dir.path().join("s.toml");
    let text = format!(
        "name = \"icon-ha\"\ntopology = \"{}\"\nduration = \"40s\"\n\
         [[step]]\nat = \"2s\"\ncalls = {{ source = \"ts_primary\", count = 200, rate = \"20/s\" }}\n\
         {steps}\n{expects}",
        topology.display().to_string().replace('\\', "/")
    );
    std::fs::write(&path, text).expect("written");
    let s = load(&path).unwrap_or_else(|e| panic!("{e}"));
    let outcome = execute(&s, seed).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    let expects = s.expects.len();
    outcome.verdicts.into_iter().take(expects).collect()
}

const ALL: &str = "[[expect]]\nidb-parity = { set = \"voice\" }\n\
                   [[expect]]\nidb-complete = { set = \"voice\" }\n\
                   [[expect]]\nidb-roles = { set = \"voice\" }\n";

fn held(seed: u64, v: &Verdict) {
    assert!(v.held, "seed {seed}: {} failed: {}", v.what, v.detail);
}

#[test]
fn a_healthy_set_keeps_parity_and_completeness_through_a_tserver_failover() {
    let failover = "[[step]]\nat = \"6s\"\ncrash = \"ts_primary\"\n";
    for seed in SEEDS {
        let verdicts = run(seed, &[], failover, ALL);
        for v in &verdicts {
            held(seed, v);
        }
        let parity = &verdicts[0].detail;
        assert!(parity.contains(" rows of 7 tables over seq "), "{parity}");
        let complete = &verdicts[1].detail;
        assert!(
            complete
                .contains("idb_a misses none in recorded gaps; idb_b misses none in recorded gaps"),
            "seed {seed}: {complete}"
        );
        // Evidence: the last committed batch of each ICON.
        assert_eq!(verdicts[1].evidence.len(), 2, "{:?}", verdicts[1].evidence);
    }
}

#[test]
fn an_icon_crashing_mid_traffic_leaves_a_recorded_gap_the_other_idb_covers() {
    let crash =
        "[[step]]\nat = \"5s\"\ncrash = \"icon_a\"\n[[step]]\nat = \"9s\"\nrestart = \"icon_a\"\n";
    for seed in SEEDS {
        let verdicts = run(seed, &[], crash, ALL);
        held(seed, &verdicts[1]);
        held(seed, &verdicts[2]);
        let complete = &verdicts[1].detail;
        assert!(
            complete.contains("idb_a misses ")
                && complete.contains(" in gaps its session control records (seq ")
                && complete.contains("held by the other IDB; idb_b misses none in recorded gaps"),
            "seed {seed}: {complete}"
        );
        // Parity compares only where both stored: two windows around the gap. A restarted
        // ICON writes no G_PARTY row for a call already under way (it cannot know which
        // parties it stored before), so that table alone may differ, idb_b holding more.
        let parity = &verdicts[0];
        assert!(parity.detail.contains(" over seq "), "{}", parity.detail);
        assert!(
            parity.held
                || (parity
                    .detail
                    .starts_with("idb_a and idb_b differ in G_PARTY over seq ")
                    && !parity.detail.contains("only in idb_a")
                    && !parity.detail.contains(" changed")),
            "seed {seed}: {}",
            parity.detail
        );
    }
}

/// icon_b stores no attached data and monitors no virtual queue.
const DIFFERENT: [(&str, &str); 2] = [
    (
        "use-dss-monitor = \"true\"\nadata-userdata-history = \"all\"\n\n[app.dap_a]",
        "use-dss-monitor = \"true\"\nadata-userdata-history = \"none\"\n\n[app.dap_a]",
    ),
    (
        "[app.dap_a]",
        "[app.icon_b.options.hapair]\nicon-vq-monitoring = \"false\"\n\n[app.dap_a]",
    ),
];

#[test]
fn icons_with_different_options_fail_parity_naming_the_tables() {
    for seed in SEEDS {
        let v = run(seed, &DIFFERENT, "", ALL);
        assert!(!v[0].held, "seed {seed}: {}", v[0].detail);
        assert!(
            v[0].detail.starts_with(
                "idb_a and idb_b differ in G_USERDATA_HISTORY, G_VIRTUAL_QUEUE over seq "
            ),
            "seed {seed}: {}",
            v[0].detail
        );
        assert!(v[0].detail.contains(" only in idb_a: "), "{}", v[0].detail);
        assert!(v[0].detail.contains("and "), "bounded: {}", v[0].detail);
        assert_eq!(v[0].evidence.len(), 20, "{:?}", v[0].evidence);
        // Nothing is lost for all that: idb_a holds what idb_b's options leave out.
        held(seed, &v[1]);
        held(seed, &v[2]);
        let differ = "[[expect]]\nidb-parity = { set = \"voice\", differ = [\"G_USERDATA_HISTORY\", \
                      \"G_VIRTUAL_QUEUE\"] }\n";
        let v = run(seed, &DIFFERENT, "", differ);
        held(seed, &v[0]);
    }
}

#[test]
fn a_set_whose_roles_lack_gud_fails_role_coverage() {
    let gcc = [("role = \"gcc,gud\"", "role = \"gcc\"")];
    let v = run(1, &gcc, "", ALL);
    assert!(!v[2].held);
    assert_eq!(
        v[2].detail,
        "set voice promises gcc, gud but no ICON of it stores gud (icon_a: gcc; icon_b: gcc)"
    );
    // What the ICONs do store is complete and the same in both.
    held(1, &v[0]);
    assert!(
        v[1].detail.contains("call events of gcc all stored"),
        "{}",
        v[1].detail
    );
}
