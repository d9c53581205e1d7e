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

/// A switchover to the instance that is primary by then (the file alone cannot tell: a crash
/// came first) is refused by the SCS and reported against its step, with its line.
#[test]
fn a_switchover_to_the_primary_at_run_time_fails_its_step() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = format!(
        "{CRASH}\n[[step]]\nat = \"8s\"\nrestart = \"ts_primary\"\n\n\
         [[step]]\nat = \"20s\"\nswitchover = {{ to = \"ts_backup\" }}\n"
    );
    let file = scenario(dir.path(), "refused", &body);
    let o = hapair(&["run", &file]);
    let out = text(&o.stdout);
    assert_eq!(code(&o), 1, "{out}");
    assert!(
        out.contains("refused the switchover of ts_backup") && out.contains("primary already"),
        "{out}"
    );
    assert!(out.contains("(line 27)"), "{out}");
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
            "switch-to-primary",
            "[[step]]\nat = \"1s\"\nswitchover = { to = \"ts_primary\" }\n",
            "`ts_primary` is primary already at 1s",
        ),
        (
            "switch-no-pair",
            "[[step]]\nat = \"1s\"\nswitchover = \"desk\"\n",
            "not a member of a primary/backup pair",
        ),
        (
            "rotate-cert",
            "[[step]]\nat = \"1s\"\nrotate = { cert = \"ts-c\" }\n",
            "did you mean `ts-a`?",
        ),
        (
            "rotate-issuer",
            "[[step]]\nat = \"1s\"\nrotate = { cert = \"ts-b\", issuer = \"lab-cs\" }\n",
            "did you mean `lab-ca`?",
        ),
        (
            "rotate-conflict",
            "[[step]]\nat = \"1s\"\nrotate = { cert = \"ts-b\", issuer = \"lab-ca\", profile = \"other-ca\" }\n",
            "leave `issuer` out",
        ),
        (
            "trust-ca",
            "[[step]]\nat = \"1s\"\ntrust = { app = \"ts_backup\", trusted-ca = [\"lab-ca\", \"new-cx\"] }\n[pki.ca.new-ca]\nsubject = \"CN=New\"\n",
            "did you mean `new-ca`?",
        ),
        (
            "trust-scope",
            "[[step]]\nat = \"1s\"\ntrust = { trusted-ca = [\"lab-ca\"] }\n",
            "names no `app` or `host`",
        ),
        (
            "trust-host",
            "[[step]]\nat = \"1s\"\ntrust = { host = \"ts-c\", trusted-ca = \"lab-ca\" }\n",
            "did you mean `ts-a`?",
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

/// Expectations mean what their names say: `connected` holds for an old session still up,
/// `reconnected` needs a drop first, a peer subject matches on the attributes written, and a
/// failure names the nearest miss.
#[test]
fn expectations_mean_what_their_names_say() {
    let dir = tempfile::tempdir().expect("tempdir");
    let expect = |check: &str, timing: &str| format!("\n[[expect]]\n{check}\n{timing}\n");
    let cases = [
        // The desk's session to the hot-standby backup opened at a few ms and stays up.
        (
            expect(
                "connected = { from = \"desk\", to = \"ts_backup\", port = \"secure\", tls = \"1.3\", peer = \"CN=ts-b.lab.example\" }",
                "after = \"10s\"\nwithin = \"5s\"",
            ),
            0,
            "",
        ),
        (
            expect(
                "reconnected = { client = \"desk\", to = \"ts_backup\" }",
                "after = \"crash\"\nwithin = \"5s\"",
            ),
            1,
            "it never dropped, so it did not reconnect",
        ),
        (
            expect(
                "established = { from = \"desk\", to = \"ts_backup\" }",
                "after = \"crash\"\nwithin = \"5s\"",
            ),
            1,
            "it opened at 10 ms, before 5000 ms",
        ),
        (
            expect(
                "connected = { from = \"desk\", to = \"ts_backup\", peer = \"CN=ts-a.lab.example\" }",
                "at = \"4s\"",
            ),
            1,
            "but peer subject was `CN=ts-b.lab.example`, not `CN=ts-a.lab.example`",
        ),
        (
            expect(
                "served = { client = \"desk\", by = \"ts_backup\" }",
                "after = \"crash\"\nwithin = \"5s\"",
            ),
            0,
            "",
        ),
        (
            expect(
                "role = { app = \"ts_primary\", is = \"stopped\" }",
                "at = \"6s\"",
            ),
            0,
            "",
        ),
        (
            expect("never = { two-primaries = \"ts_backup\" }", ""),
            0,
            "",
        ),
        (
            expect(
                "never = { refused = { from = \"desk\", to = \"ts_backup\" } }",
                "",
            ),
            0,
            "",
        ),
        (
            expect(
                "ha-synced = { primary = \"ts_primary\", backup = \"ts_backup\", port = \"ha\", tls = true }",
                "at = \"4s\"",
            ),
            0,
            "",
        ),
    ];
    for (i, (extra, want, says)) in cases.iter().enumerate() {
        let file = scenario(
            dir.path(),
            &format!("meaning{i}"),
            &format!("{CRASH}{extra}"),
        );
        let o = hapair(&["run", &file]);
        let out = text(&o.stdout);
        assert_eq!(code(&o), *want, "case {i}: {extra}\n{out}");
        assert!(out.contains(says), "case {i}: expected `{says}` in\n{out}");
    }
}

/// A defect of hapair's in one scenario (a panic) is that scenario's internal error: the
/// other scenarios still run and report, the JUnit file is written, and the run exits 3.
#[test]
fn a_panic_in_one_scenario_leaves_the_others_and_exits_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = scenario(dir.path(), "good", CRASH);
    let bad = scenario(dir.path(), "boom", CRASH);
    let out = dir.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_hapair"))
        .args(["run", &good, &bad, "--out"])
        .arg(&out)
        .env("NO_COLOR", "1")
        .env("HAPAIR_TEST_PANIC", "boom.toml")
        .output()
        .expect("runs");
    let all = format!("{}{}", text(&o.stdout), text(&o.stderr));
    assert_eq!(code(&o), 3, "{all}");
    assert!(all.contains("PASS good"), "{all}");
    assert!(all.contains("internal error (seed 3): panic at "), "{all}");
    assert!(
        !all.contains("RUST_BACKTRACE"),
        "the default panic hook printed: {all}"
    );
    let junit = std::fs::read_to_string(out.join("junit.xml")).expect("junit written");
    assert!(junit.contains("good") && junit.contains("boom"), "{junit}");
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

/// No artefact of a run, at the most verbose log level, carries private-key material: not the
/// PEM marker, not a base64 run as long as a PEM line. Output folders are 0700.
#[test]
fn no_artefact_carries_key_material_even_at_trace_level() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let files: Vec<String> = [
        "scenarios/ca-rollover.toml",
        "scenarios/cert-reissue-with-faults.toml",
        "scenarios/mutual-tls-no-client-cert.toml",
    ]
    .iter()
    .map(|f| repo.join(f).display().to_string())
    .collect();
    let mut args = vec!["run", "-vv", "--out"];
    let out_s = out.display().to_string();
    args.push(&out_s);
    args.extend(files.iter().map(String::as_str));
    let o = Command::new(env!("CARGO_BIN_EXE_hapair"))
        .args(&args)
        .env("RUST_LOG", "trace")
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    assert_eq!(code(&o), 0, "{}", text(&o.stdout));
    let mut texts = vec![
        ("stdout".to_string(), text(&o.stdout)),
        ("stderr".to_string(), text(&o.stderr)),
    ];
    let mut dirs = vec![out.clone()];
    while let Some(d) = dirs.pop() {
        let mode = std::fs::metadata(&d).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{} is not 0700", d.display());
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let body = std::fs::read(&path).expect("read");
                texts.push((path.display().to_string(), text(&body)));
            }
        }
    }
    assert!(texts.len() > 8, "too few artefacts: {}", texts.len());
    assert!(
        texts[1].1.contains("at_ms"),
        "trace-level logs were not written"
    );
    for (name, body) in &texts {
        assert!(
            !body.contains("PRIVATE KEY"),
            "{name} carries a private key"
        );
        let longest = body
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='))
            .filter(|run| !run.chars().all(|c| c.is_ascii_hexdigit()))
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(
            longest < 60,
            "{name} has a base64 run of {longest} characters"
        );
    }
}

/// A run that would take too long is stopped at its wall-clock limit and reported as such;
/// the other scenarios of the batch still run and report.
#[test]
fn a_run_over_its_wall_clock_limit_is_stopped_and_the_rest_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = scenario(dir.path(), "quick", CRASH);
    let day = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/soak/backup-cut-off-24h.toml")
        .display()
        .to_string();
    let o = hapair(&["run", &good, &day, "--timeout", "1"]);
    let all = format!("{}{}", text(&o.stdout), text(&o.stderr));
    assert_eq!(code(&o), 3, "{all}");
    assert!(all.contains("PASS quick"), "{all}");
    assert!(all.contains("stopped after 1s of wall-clock time"), "{all}");
}

/// A rule ID is known whatever its case, so a `finding` expectation written in lower case
/// matches the finding (it loaded, then never held: the comparison was exact).
#[test]
fn a_finding_expectation_matches_its_rule_in_any_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    let topology = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/topologies/bad/ha-sync-fallback.toml");
    for rule in ["HA-SYNC-FALLBACK", "ha-sync-fallback", "Ha-Sync-Fallback"] {
        let path = dir.path().join(format!("{rule}.toml"));
        let body = format!(
            "name = \"{rule}\"\ntopology = \"{}\"\nduration = \"10s\"\n\n[[expect]]\n\
             finding = {{ rule = \"{rule}\" }}\n",
            topology.display()
        );
        std::fs::write(&path, body).expect("written");
        let o = hapair(&["run", &path.display().to_string()]);
        assert_eq!(
            code(&o),
            0,
            "{rule}: {}{}",
            text(&o.stdout),
            text(&o.stderr)
        );
    }
}
