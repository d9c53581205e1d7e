//! No Rust debug text reaches a user: the whole shipped suite (human, JSON, JUnit, `--out`
//! reports and TLS tables), a run crafted to fail many kinds of expectations, `check` and
//! `certs show` on every reference topology, `rules`, `explain` and a few error messages are
//! scanned for `Some(`, `None`, CamelCase enum names (`WarmStandby`, `PlaintextOnSecured`),
//! `Duration`, struct debug (`Name { `) and tuple lists (`[(`).
//!
//! Left out: `trace.jsonl`, whose `detail` fields quote the TLS library's own error text.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// stdout and stderr of a command run from the repository root.
fn hapair(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_hapair"))
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(repo(""))
        .output()
        .expect("the hapair binary runs");
    assert!(
        o.status.code().is_some_and(|c| c <= 2),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Genesys's own names, written in camel case in its documents and logs, and the attached-data
/// keys hapair's switch attaches as contact centres name them (`CustomerID`, shown in IDB
/// differences): not debug text.
const GENESYS_NAMES: [&str; 2] = ["EventLinkConnected", "CustomerID"];

/// A word written like a Rust type or variant: `PlaintextOnSecured`, `WarmStandby`.
fn camel(word: &str) -> bool {
    if GENESYS_NAMES.contains(&word) {
        return false;
    }
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let mut lower_seen = false;
    first.is_ascii_uppercase()
        && chars.any(|c| {
            if c.is_ascii_lowercase() {
                lower_seen = true;
            }
            lower_seen && c.is_ascii_uppercase()
        })
}

/// The debug-looking pieces of `text`, each with its line.
fn debug_text(text: &str) -> Vec<String> {
    let mut hits = Vec::new();
    for line in text.lines() {
        let mut found: Vec<String> = ["Some(", "None", "Ok(", "Err(", "Duration", "[("]
            .iter()
            .filter(|p| line.contains(*p))
            .map(ToString::to_string)
            .collect();
        found.extend(
            line.split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| camel(w))
                .map(str::to_string),
        );
        // `Name { field`: a struct's debug form (TOML's `key = { … }` has `=` before it).
        if line
            .match_indices(" { ")
            .any(|(i, _)| line[..i].ends_with(|c: char| c.is_ascii_alphanumeric()))
        {
            found.push("struct debug".into());
        }
        hits.extend(found.into_iter().map(|f| format!("{f}: {line}")));
    }
    hits
}

fn assert_clean(what: &str, text: &str) {
    let hits = debug_text(text);
    assert!(hits.is_empty(), "{what}:\n{}", hits.join("\n"));
}

#[test]
fn the_detector_finds_debug_text() {
    for bad in [
        "its role at the end: Some(Backup)",
        "class PlaintextOnSecured",
        "says WarmStandby",
        "windows [(29001, 45000)]",
        "Params { certificate: x }",
        "after Duration",
    ] {
        assert!(!debug_text(bad).is_empty(), "{bad}");
    }
    for good in [
        "security = { certificate = \"ts-a\" }",
        "TLSv13 TLS13_AES_256_GCM_SHA384 CN=ts-b.lab.example",
        "ts_backup was backup at 8000 ms; none lost",
    ] {
        assert_eq!(debug_text(good), Vec::<String>::new(), "{good}");
    }
}

/// The crafted failing run: every expectation below fails, each its own way.
const FAILING: &str = r#"
[[step]]
at = "0s"
traffic = { from = "desk", rate = "10/s" }

[[step]]
at = "5s"
crash = "ts_primary"
label = "crash"

[[expect]]
role = { app = "ts_primary", is = "primary" }
after = "crash"
within = "2s"

[[expect]]
role = { app = "ts_backup", is = "backup" }
at = "8s"

[[expect]]
connected = { from = "desk", to = "ts_backup", port = "secure", tls = "1.2", peer = "CN=nobody" }
after = "crash"
within = "3s"

[[expect]]
reconnected = { client = "desk", to = "ts_backup" }
after = "crash"
within = "5s"

[[expect]]
established = { from = "desk", to = "ts_primary" }
after = "crash"
within = "5s"

[[expect]]
served = { client = "desk", by = "ts_primary" }
after = "crash"
within = "5s"

[[expect]]
ha-synced = { primary = "ts_backup", backup = "ts_primary", port = "ha", tls = false }
at = "3s"

[[expect]]
refused = { from = "desk", to = "ts_backup", port = "secure", class = "plaintext-on-secured" }

[[expect]]
rejected = "HA-SYNC-PORT-CERT"

[[expect]]
finding = { rule = "HA-SEPARATE-HOSTS", severity = "warning" }

[[expect]]
no-acked-event-lost = false

[[expect]]
two-primaries = { pair = "ts_primary", longer-than = "1s" }
"#;

#[test]
fn no_debug_text_reaches_a_user() {
    let dir = tempfile::tempdir().expect("tempdir");
    let failing = dir.path().join("failing.toml");
    std::fs::write(
        &failing,
        format!(
            "name = \"failing\"\ntopology = \"{}\"\nclock = 2026-06-01T08:00:00Z\nseed = 3\n{FAILING}",
            repo("scenarios/topologies/tserver-pair.toml").display()
        ),
    )
    .expect("written");
    let failing = failing.display().to_string();
    let human = hapair(&["run", &failing]);
    assert!(
        human.contains("FAIL failing") && human.contains("and 2 more failure(s)"),
        "every expectation of the crafted run fails: {human}"
    );
    let out = dir.path().join("out");
    let out_s = out.display().to_string();
    let mut outputs = vec![
        ("failing run".to_string(), human),
        (
            "failing run, JSON".into(),
            hapair(&["run", "--format", "json", &failing]),
        ),
        (
            "failing run, JUnit".into(),
            hapair(&["run", "--format", "junit", &failing]),
        ),
        (
            "suite".into(),
            hapair(&["run", "scenarios", "--out", &out_s]),
        ),
        (
            "suite, JSON".into(),
            hapair(&["run", "scenarios", "--format", "json"]),
        ),
        (
            "suite, JUnit".into(),
            hapair(&["run", "scenarios", "--format", "junit"]),
        ),
        ("rules".into(), hapair(&["rules"])),
        ("rules, JSON".into(), hapair(&["rules", "--format", "json"])),
        (
            "unknown rule".into(),
            hapair(&["explain", "HA-SYNC-PORT-CRT"]),
        ),
        ("no such file".into(), hapair(&["check", "no/such.toml"])),
    ];
    let rules = hapair(&["rules"]);
    for id in rules.lines().filter_map(|l| l.split_whitespace().next()) {
        outputs.push((format!("explain {id}"), hapair(&["explain", id])));
    }
    let mut topologies: Vec<PathBuf> = Vec::new();
    for folder in ["scenarios/topologies", "scenarios/topologies/bad"] {
        for e in std::fs::read_dir(repo(folder)).expect("folder") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "toml") {
                topologies.push(p);
            }
        }
    }
    topologies.sort();
    for t in &topologies {
        let t = t.display().to_string();
        for args in [
            vec!["check", &t],
            vec!["check", "--format", "json", &t],
            vec!["certs", "show", &t],
            vec!["certs", "show", "--format", "json", &t],
        ] {
            outputs.push((args.join(" "), hapair(&args)));
        }
    }
    for e in std::fs::read_dir(&out).expect("--out folder") {
        let folder = e.expect("entry").path();
        for f in ["report.json", "tls-table.json"] {
            if let Ok(body) = std::fs::read_to_string(folder.join(f)) {
                outputs.push((format!("{}/{f}", folder.display()), body));
            }
        }
    }
    for (what, text) in &outputs {
        assert_clean(what, text);
    }
}
