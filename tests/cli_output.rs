//! How `hapair` writes: a closed or full stdout never panics, JUnit is well-formed XML
//! whatever a scenario is called, `--out` gives every scenario file a folder of its own, and
//! `run` lists the topology's static findings and bounds its failures.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hapair"));
    c.env("NO_COLOR", "1").current_dir(repo(""));
    c
}

fn repo(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// A scenario on the reference T-Server pair.
fn scenario(dir: &Path, rel: &str, name: &str, body: &str) -> String {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("folder");
    }
    let text = format!(
        "name = \"{name}\"\ntopology = \"{}\"\nclock = 2026-06-01T08:00:00Z\nseed = 3\n{body}",
        repo("scenarios/topologies/tserver-pair.toml").display()
    );
    std::fs::write(&path, text).expect("written");
    path.display().to_string()
}

const TRAFFIC: &str = "[[step]]\nat = \"0s\"\ntraffic = { from = \"desk\", rate = \"10/s\" }\n";

const COMMANDS: &[&[&str]] = &[
    &["rules"],
    &["rules", "--format", "json"],
    &["explain", "HA-SYNC-PORT-CERT"],
    &["check", "scenarios/topologies/tserver-pair.toml"],
    &["check", "scenarios/topologies/bad/ha-sync-port-cert.toml"],
    &["certs", "show", "scenarios/topologies/tserver-pair.toml"],
    &["run", "scenarios/switch-back.toml"],
];

/// The reader went away before a byte was written (`| head -1` after its line): the command
/// ends quietly with its own exit code.
#[test]
fn a_closed_stdout_never_panics() {
    for args in COMMANDS {
        let mut child = bin()
            .args(*args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawns");
        drop(child.stdout.take());
        let o = child.wait_with_output().expect("waits");
        let err = text(&o.stderr);
        assert!(
            matches!(code(&o), 0 | 1),
            "{args:?} exited {}: {err}",
            code(&o)
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// A stdout that cannot take the output (`> /dev/full`): one line on stderr, exit 3.
#[test]
fn a_full_stdout_is_one_line_and_exit_3() {
    for args in COMMANDS {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full opens");
        let o = bin().args(*args).stdout(full).output().expect("runs");
        let err = text(&o.stderr);
        assert_eq!(code(&o), 3, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(
            err.lines()
                .filter(|l| l.starts_with("hapair: cannot write the output"))
                .count(),
            1,
            "{args:?}: {err}"
        );
    }
}

/// Whether `xml` carries a character XML 1.0 cannot, raw or as a character reference.
fn ill_formed(xml: &str) -> Option<String> {
    let bad = |c: u32| {
        !(c == 0x9
            || c == 0xA
            || c == 0xD
            || (0x20..=0xD7FF).contains(&c)
            || (0xE000..=0xFFFD).contains(&c)
            || c >= 0x10000)
    };
    if let Some(c) = xml.chars().find(|c| bad(u32::from(*c))) {
        return Some(format!("raw U+{:04X}", u32::from(c)));
    }
    for (i, _) in xml.match_indices("&#") {
        let rest = &xml[i + 2..];
        let end = rest.find(';')?;
        let n = match rest[..end].strip_prefix('x') {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => rest[..end].parse().ok()?,
        };
        if bad(n) {
            return Some(format!("reference &#{};", &rest[..end]));
        }
    }
    None
}

#[test]
fn junit_is_well_formed_whatever_the_scenario_is_called() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = format!(
        "{TRAFFIC}\n[[expect]]\nrole = {{ app = \"ts_backup\", is = \"primary\" }}\nat = \"1s\"\n"
    );
    let file = scenario(
        dir.path(),
        "ctl.toml",
        "bell\\u0007 escape\\u001b[31m nul-ish\\u0001 \\uFFFE <&>",
        &body,
    );
    let out = dir.path().join("out");
    let o = bin()
        .args(["run", "--format", "junit", "--out"])
        .arg(&out)
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(code(&o), 1, "{}", text(&o.stderr));
    for xml in [
        text(&o.stdout),
        std::fs::read_to_string(out.join("junit.xml")).expect("junit.xml"),
    ] {
        assert_eq!(ill_formed(&xml), None, "{xml}");
        let report = quick_junit::Report::deserialize_from_str(&xml).expect("parses back");
        let case = &report.test_suites[0].test_cases[0];
        let class = case.classname.as_ref().map(|c| c.as_str().to_string());
        assert!(
            class.is_some_and(|c| c == "bell escape nul-ish  <&>.expect"),
            "{xml}"
        );
    }
}

#[test]
fn two_files_with_one_stem_get_folders_of_their_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pass = format!(
        "{TRAFFIC}\n[[expect]]\nrole = {{ app = \"ts_primary\", is = \"primary\" }}\nat = \"1s\"\n"
    );
    let a = scenario(dir.path(), "s/a/x.toml", "from a", &pass);
    let b = scenario(dir.path(), "s/b/x.toml", "from b", &pass);
    let out = dir.path().join("out");
    let o = bin()
        .args(["run", "--out"])
        .arg(&out)
        .arg(dir.path().join("s"))
        .output()
        .expect("runs");
    assert_eq!(code(&o), 0, "{}{}", text(&o.stdout), text(&o.stderr));
    for (folder, file) in [("a__x", &a), ("b__x", &b)] {
        let report = std::fs::read_to_string(out.join(folder).join("report.json"))
            .unwrap_or_else(|e| panic!("{folder}: {e}"));
        let doc: serde_json::Value = serde_json::from_str(&report).expect("JSON");
        assert_eq!(doc["scenarios"][0]["path"], file.as_str(), "{folder}");
        assert!(out.join(folder).join("trace.jsonl").is_file(), "{folder}");
    }
    assert!(!out.join("x").exists(), "a shared folder was written");
}

#[test]
fn run_lists_static_findings_and_bounds_failures() {
    let o = bin()
        .args(["run", "scenarios/ha-sync-port-cert-rejected.toml"])
        .output()
        .expect("runs");
    let out = text(&o.stdout);
    assert_eq!(code(&o), 0, "{out}");
    let mut lines = out.lines();
    assert!(
        lines.next().is_some_and(|l| l.starts_with("PASS ")),
        "{out}"
    );
    assert_eq!(
        lines.next(),
        Some(
            "  error HA-SYNC-PORT-CERT: HA-sync port `ha` of `ts_primary` sets certificate, \
             trusted-ca at port level, which is not supported \
             (scenarios/topologies/bad/ha-sync-port-cert.toml:54)"
        ),
        "{out}"
    );
    let o = bin()
        .args([
            "run",
            "--format",
            "json",
            "scenarios/ha-sync-port-cert-rejected.toml",
        ])
        .output()
        .expect("runs");
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let f = &doc["scenarios"][0]["runs"][0]["findings"][0];
    assert_eq!(f["rule"], "HA-SYNC-PORT-CERT");
    assert_eq!(f["file"], "scenarios/topologies/bad/ha-sync-port-cert.toml");
    assert_eq!(f["location"]["line"], 54);

    let dir = tempfile::tempdir().expect("tempdir");
    let failing: String = (0..12)
        .map(|i| {
            format!(
                "\n[[expect]]\nrole = {{ app = \"ts_backup\", is = \"primary\" }}\nat = \"{}s\"\n",
                i + 1
            )
        })
        .collect();
    let file = scenario(
        dir.path(),
        "many.toml",
        "many",
        &format!("{TRAFFIC}{failing}"),
    );
    let o = bin().args(["run", &file]).output().expect("runs");
    let out = text(&o.stdout);
    assert_eq!(code(&o), 1, "{out}");
    assert_eq!(out.matches("  ✗ expect ").count(), 10, "{out}");
    assert!(
        out.contains("  and 2 more failure(s) (--format json lists them all)"),
        "{out}"
    );
}
