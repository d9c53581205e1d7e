//! The rule table: every topology in `scenarios/topologies/bad/` breaks exactly the rule its
//! file is named after, every rule of the catalogue has such a file, and every reference
//! topology in `scenarios/topologies/` is clean.

use std::path::{Path, PathBuf};

use hapair::rules::{self, RULES};
use hapair::topology;
use time::OffsetDateTime;

/// The instant every table case is judged at (generated certificates are relative to it).
const CLOCK: OffsetDateTime = time::macros::datetime!(2026-06-01 08:00 UTC);

fn topologies(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// The rule a bad topology is written for: its file stem, upper-cased, less any
/// `--variant` suffix (`tls-strict-proto--backup.toml` is a second case of TLS-STRICT-PROTO).
fn rule_of(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_uppercase())
        .unwrap_or_default();
    stem.split("--").next().unwrap_or_default().to_string()
}

fn findings(path: &Path) -> Vec<rules::Finding> {
    let t = topology::load(path).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    let material = hapair::pki::paths::for_topology(&t, CLOCK)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    rules::judge(&t, &material, CLOCK).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn each_bad_topology_breaks_exactly_its_rule() {
    let mut failures = Vec::new();
    for path in topologies("scenarios/topologies/bad") {
        let stem = rule_of(&path);
        let got: Vec<&str> = findings(&path)
            .iter()
            .map(|f| f.rule.as_str())
            .collect::<Vec<_>>();
        if got.is_empty() || got.iter().any(|r| *r != stem) {
            failures.push(format!(
                "{}: expected only {stem}, got {got:?}",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_bad_topology() {
    let files: Vec<String> = topologies("scenarios/topologies/bad")
        .iter()
        .map(|p| rule_of(p))
        .collect();
    let missing: Vec<&str> = RULES
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !files.iter().any(|f| f == id))
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a bad topology: {missing:?}"
    );
}

#[test]
fn reference_topologies_are_clean() {
    let files = topologies("scenarios/topologies");
    assert!(files.len() >= 3, "{files:?}");
    for path in files {
        let got = findings(&path);
        assert!(got.is_empty(), "{}: {got:#?}", path.display());
    }
}

/// `hapair explain` of an ICON rule says what a run shows when it is broken (Step 9): each
/// ICON rule has its run-time consequence, naming what the run's checks or trace show.
#[test]
fn every_icon_rule_says_what_a_run_shows_when_it_is_broken() {
    let icon: Vec<_> = RULES
        .iter()
        .filter(|r| r.id.as_str().starts_with("ICON-"))
        .collect();
    assert_eq!(icon.len(), 8);
    for r in icon {
        let text = r
            .at_run_time
            .unwrap_or_else(|| panic!("{} has no run-time consequence", r.id));
        assert!(text.starts_with("at run time "), "{}: {text}", r.id);
        assert!(
            ["idb-parity", "idb-complete", "idb-failed", "idb-roles"]
                .iter()
                .any(|what| text.contains(what)),
            "{} names nothing a run shows: {text}",
            r.id
        );
    }
}
