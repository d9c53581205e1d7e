//! Every table the scenario loader reads rejects a key it does not know, located at the key
//! in the scenario file, with a suggestion: top level, `[pki]` overrides, an inline
//! `[topology]`, steps and their action tables, expectations and their check tables,
//! `[invariants]`.

use std::path::Path;

use super::{LoadError, load};

/// A valid scenario touching every kind of table; each case below edits one line.
fn base() -> String {
    let topology = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/topologies/tserver-pair.toml")
        .display()
        .to_string()
        .replace('\\', "/");
    format!(
        r#"name = "keys"
topology = "{topology}"
clock = 2026-06-01T08:00:00Z
[pki.cert.ts-a]
issuer = "lab-ca"
hosts = ["ts-a.lab.example"]
[invariants]
switchover-window = "1s"
[[step]]
at = "1s"
traffic = {{ from = "desk", rate = "5/s" }}
[[step]]
at = "2s"
latency = {{ between = ["ts-a", "ts-b"], delay = "10ms" }}
[[step]]
at = "3s"
skew = {{ host = "ts-b", by = "1s" }}
[[step]]
at = "4s"
rotate = {{ cert = "ts-a" }}
[[step]]
at = "5s"
option = {{ app = "ts_backup", section = "backup-sync", key = "addp-timeout", value = 4 }}
[[step]]
at = "6s"
crash = "ts_primary"
label = "crash"
[[expect]]
role = {{ app = "ts_backup", is = "primary" }}
after = "crash"
within = "5s"
[[expect]]
connected = {{ from = "desk", to = "ts_primary", port = "secure" }}
[[expect]]
finding = {{ rule = "HA-SEPARATE-HOSTS", present = false }}
[[expect]]
two-primaries = {{ pair = "ts_primary", longer-than = "1m" }}
"#
    )
}

/// The unknown-key problems of a scenario text: (line, column, help).
fn unknown_keys(dir: &Path, text: &str) -> Vec<(usize, usize, String)> {
    let path = dir.join("keys.toml");
    std::fs::write(&path, text).expect("written");
    match load(&path) {
        Ok(_) => Vec::new(),
        Err(LoadError::Invalid(e)) => e
            .problems
            .iter()
            .filter(|p| p.code == "unknown-key")
            .map(|p| {
                let l = e.source_file.locate(p.span.start);
                (l.line, l.column, p.help.clone().unwrap_or_default())
            })
            .collect(),
        Err(e) => panic!("not a scenario problem: {e}"),
    }
}

#[test]
fn the_base_is_valid() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(unknown_keys(dir.path(), &base()), Vec::new());
    let path = dir.path().join("keys.toml");
    assert!(load(&path).is_ok());
}

#[test]
fn an_unknown_key_in_every_kind_of_table_is_located_with_a_suggestion() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = base();
    // (table, text to replace, replacement, line, column, a word of the help)
    let cases = [
        ("top level", "clock = ", "clok = ", 3, 1, "`clock`"),
        ("[pki] override", "hosts = [", "host = [", 6, 1, "`hosts`"),
        (
            "[invariants]",
            "switchover-window",
            "switchover-windw",
            8,
            1,
            "`switchover-window`",
        ),
        ("step", "at = \"1s\"", "att = \"1s\"", 10, 1, "`at`"),
        (
            "traffic",
            "rate = \"5/s\"",
            "rat = \"5/s\"",
            11,
            28,
            "`rate`",
        ),
        ("latency", "delay = ", "dealy = ", 14, 41, "`delay`"),
        ("skew", "by = \"1s\"", "bye = \"1s\"", 17, 25, "`by`"),
        (
            "rotate",
            "cert = \"ts-a\"",
            "crt = \"ts-a\"",
            20,
            12,
            "`cert`",
        ),
        ("option", "value = 4", "valu = 4", 23, 78, "`value`"),
        ("step label", "label = ", "lable = ", 27, 1, "`label`"),
        ("expectation", "within = ", "withn = ", 31, 1, "`within`"),
        (
            "role",
            "is = \"primary\"",
            "iz = \"primary\"",
            29,
            29,
            "`is`",
        ),
        (
            "connected",
            "port = \"secure\"",
            "prt = \"secure\"",
            33,
            49,
            "`port`",
        ),
        (
            "finding",
            "present = false",
            "presnt = false",
            35,
            41,
            "`present`",
        ),
        (
            "two-primaries",
            "longer-than",
            "longer-then",
            37,
            40,
            "`longer-than`",
        ),
    ];
    let mut failures = Vec::new();
    for (table, from, to, l, c, help) in cases {
        assert!(base.contains(from), "{table}: no {from:?}");
        let got = unknown_keys(dir.path(), &base.replacen(from, to, 1));
        if !got
            .iter()
            .any(|(gl, gc, h)| (*gl, *gc) == (l, c) && h.contains(help))
        {
            failures.push(format!(
                "{table}: expected unknown-key at {l}:{c} with help {help:?}, got {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_inline_topology_reports_unknown_keys_in_the_scenario_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "name = \"inline\"\n[topology]\nname = \"t\"\n[topology.host.a]\nname = \"a\"\naddress = \"10.0.0.1\"\n[topology.app.s]\ntype = \"dap\"\nhost = \"a\"\nbakup = \"x\"\n";
    let got = unknown_keys(dir.path(), text);
    assert!(
        got.iter()
            .any(|(l, c, h)| (*l, *c) == (6, 1) && h.contains("`name`")),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|(l, c, h)| (*l, *c) == (10, 1) && h.contains("`backup`")),
        "{got:?}"
    );
}

#[test]
fn a_pki_clock_in_the_scenario_is_not_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = base()
        .replace("clock = 2026-06-01T08:00:00Z\n", "")
        .replace(
            "[pki.cert.ts-a]",
            "[pki]\nclock = 2027-01-01T00:00:00Z\n[pki.cert.ts-a]",
        );
    let path = dir.path().join("clock.toml");
    std::fs::write(&path, text).expect("written");
    let s = load(&path).expect("valid");
    assert_eq!(s.clock, time::macros::datetime!(2027-01-01 00:00 UTC));
}

#[test]
fn simulation_only_needs_a_reason_and_reads_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sim-only.toml");
    let text = base().replace(
        "clock = 2026-06-01T08:00:00Z\n",
        "clock = 2026-06-01T08:00:00Z\nsimulation-only = \"needs clock skew of 400 days\"\n",
    );
    std::fs::write(&path, &text).expect("written");
    let s = load(&path).expect("valid");
    assert_eq!(
        s.simulation_only.as_deref(),
        Some("needs clock skew of 400 days")
    );
    let written = crate::scenario::to_toml(&s).expect("writes");
    assert!(written.contains("simulation-only = \"needs clock skew of 400 days\""));
    // An empty reason is refused where it is written; a number is the wrong type.
    for (value, code) in [("\"  \"", "bad-value"), ("3", "wrong-type")] {
        let text = base().replace(
            "clock = 2026-06-01T08:00:00Z\n",
            &format!("clock = 2026-06-01T08:00:00Z\nsimulation-only = {value}\n"),
        );
        std::fs::write(&path, &text).expect("written");
        match load(&path) {
            Err(LoadError::Invalid(invalid)) => {
                let p = invalid
                    .problems
                    .iter()
                    .find(|p| p.code == code)
                    .unwrap_or_else(|| panic!("{code} for {value}: {:?}", invalid.problems));
                assert_eq!(invalid.source_file.locate(p.span.start).line, 4, "{value}");
            }
            other => panic!("{value}: expected invalid, got ok={}", other.is_ok()),
        }
    }
}
