//! `hapair run` as a process: exit codes, failure detail with the replay command, located
//! errors for bad scenario files, the JSON schema, JUnit that parses back, `--out` artefacts.

use std::path::Path;
use std::process::{Command, Output};

fn hapair(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hapair"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the hapair binary runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn scenario(dir: &Path, name: &str, body: &str) -> String {
    let topology =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/topologies/tserver-pair.toml");
    let text = format!(
        "name = \"{name}\"\ntopology = \"{}\"\nclock = 2026-06-01T08:00:00Z\nseed = 3\n{body}",
        topology.display()
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).expect("written");
    path.display().to_string()
}

const CRASH: &str = r#"
[[step]]
at = "0s"
traffic = { from = "desk", rate = "10/s" }

[[step]]
at = "5s"
crash = "ts_primary"
label = "crash"

[[expect]]
role = { app = "ts_backup", is = "primary" }
after = "crash"
within = "2s"

[[expect]]
no-acked-event-lost = true
"#;

#[test]
fn a_passing_scenario_exits_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = scenario(dir.path(), "pass", CRASH);
    let o = hapair(&["run", &file]);
    assert_eq!(code(&o), 0, "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(
        text(&o.stdout).contains("PASS pass") && text(&o.stdout).contains("1 passed, 0 failed")
    );
}

#[test]
fn a_failing_expectation_exits_1_with_what_the_trace_shows_and_the_replay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = CRASH.replace(
        "role = { app = \"ts_backup\", is = \"primary\" }",
        "role = { app = \"ts_primary\", is = \"primary\" }",
    );
    let file = scenario(dir.path(), "fail", &body);
    let o = hapair(&["run", &file]);
    let out = text(&o.stdout);
    assert_eq!(code(&o), 1, "{out}");
    assert!(
        out.contains("FAIL fail") && out.contains("trace shows:") && out.contains("(line 15)"),
        "{out}"
    );
    assert!(
        out.contains(&format!("replay: hapair run {file} --seed 3")),
        "{out}"
    );
}

#[test]
fn bad_scenario_files_exit_2_with_located_problems() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "unknown-step",
            "[[step]]\nat = \"1s\"\nexplode = \"ts_primary\"\n",
            "unknown key `explode`",
        ),
        (
            "bad-time",
            "[[step]]\nat = \"soon\"\ncrash = \"ts_primary\"\n",
            "unknown unit `soon`",
        ),
        (
            "unknown-app",
            "[[step]]\nat = \"1s\"\ncrash = \"ts_primray\"\n",
            "did you mean `ts_primary`?",
        ),
        (
            "unknown-port",
            "[[expect]]\nrefused = { from = \"desk\", to = \"ts_backup\", port = \"secure\", class = \"expird\" }\n",
            "did you mean `expired`?",
        ),
        (
            "never",
            "[[expect]]\nno-acked-event-lost = true\n",
            "no step sends traffic",
        ),
        (
            "option-app",
            "[[step]]\nat = \"1s\"\noption = { app = \"ts_bakup\", section = \"backup-sync\", key = \"addp-timeout\", value = 4 }\n",
            "did you mean `ts_backup`?",
        ),
        (
            "option-value",
            "[[step]]\nat = \"1s\"\noption = { app = \"ts_backup\", section = \"backup-sync\", key = \"addp-timeout\" }\n",
            "`option` needs value",
        ),
        (
            "label",
            "[[expect]]\nrole = { app = \"ts_backup\", is = \"primary\" }\nafter = \"crsh\"\nwithin = \"1s\"\n",
            "no step is labelled `crsh`",
        ),
    ];
    for (name, body, says) in cases {
        let file = scenario(dir.path(), name, body);
        let o = hapair(&["run", &file]);
        let all = format!("{}{}", text(&o.stdout), text(&o.stderr));
        assert_eq!(code(&o), 2, "{name}: {all}");
        assert!(all.contains(says), "{name}: expected `{says}` in {all}");
        assert!(
            all.contains(&format!("{name}.toml:")),
            "{name}: no location in {all}"
        );
    }
    assert_eq!(code(&hapair(&["run", "/no/such/folder"])), 2);
}

#[test]
fn json_junit_and_out_artefacts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = scenario(dir.path(), "art", CRASH);
    let o = hapair(&["run", "--format", "json", &file]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(doc["schema"], "hapair.run/1");
    let run = &doc["scenarios"][0]["runs"][0];
    assert_eq!(run["seed"], 3);
    assert_eq!(run["passed"], true);
    assert!(run["verdicts"].as_array().is_some_and(|v| v.len() >= 4));
    let digest = run["trace_digest"].as_str().expect("digest").to_string();
    // Same scenario, seed and version: the same trace.
    let again: serde_json::Value =
        serde_json::from_slice(&hapair(&["run", "--format", "json", &file]).stdout).expect("JSON");
    assert_eq!(
        again["scenarios"][0]["runs"][0]["trace_digest"],
        digest.as_str()
    );

    let o = hapair(&["run", "--format", "junit", "--seeds", "2", &file]);
    let report =
        quick_junit::Report::deserialize_from_str(&text(&o.stdout)).expect("JUnit parses back");
    assert_eq!(report.test_suites.len(), 1);
    let cases = &report.test_suites[0].test_cases;
    assert_eq!(
        cases.len(),
        2 * run["verdicts"].as_array().map_or(0, Vec::len)
    );
    assert!(
        cases
            .iter()
            .all(|c| matches!(c.status, quick_junit::TestCaseStatus::Success { .. }))
    );

    let out = dir.path().join("out");
    let o = hapair(&["run", "--out", &out.display().to_string(), &file]);
    assert_eq!(code(&o), 0);
    for f in [
        "art/trace.jsonl",
        "art/report.json",
        "art/tls-table.json",
        "junit.xml",
    ] {
        let body = std::fs::read_to_string(out.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(!body.contains("PRIVATE KEY"), "{f} carries key material");
    }
    let trace = std::fs::read_to_string(out.join("art/trace.jsonl")).expect("trace");
    let parsed = hapair::trace::Trace::from_jsonl(&trace).expect("the trace reads back");
    assert_eq!(parsed.digest(), digest);
}

#[test]
fn a_client_never_dials_an_application_that_listens_on_no_port() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = r#"name = "dap-no-port"
clock = 2026-06-01T08:00:00Z
[topology]
name = "dap-no-port"
[topology.host.a]
name = "a.lab.example"
[topology.host.b]
name = "b.lab.example"
[topology.app.ts]
type = "tserver"
host = "a"
[topology.app.ts.port.default]
number = 3000
[topology.app.dap]
type = "dap"
host = "b"
[topology.app.desk]
type = "client"
host = "b"
[[topology.connection]]
from = "desk"
to = "dap"
[[topology.connection]]
from = "desk"
to = "ts"
[[expect]]
connected = { from = "desk", to = "ts", port = "default" }
"#;
    let file = dir.path().join("dap.toml");
    std::fs::write(&file, body).expect("written");
    let out = dir.path().join("out");
    let o = hapair(&[
        "run",
        "--out",
        &out.display().to_string(),
        &file.display().to_string(),
    ]);
    assert_eq!(code(&o), 0, "{}{}", text(&o.stdout), text(&o.stderr));
    let trace = std::fs::read_to_string(out.join("dap/trace.jsonl")).expect("trace");
    assert!(trace.contains("\"to\":\"ts\""), "desk dialled ts: {trace}");
    assert!(
        !trace.contains("\"to\":\"dap\""),
        "desk dialled the DAP: {trace}"
    );
}
