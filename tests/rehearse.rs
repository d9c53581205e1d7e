//! `hapair rehearse` as a process: each example under `scenarios/rehearse/` gives its verdict
//! (which step of the default order breaks which connection, by which failure class, and the
//! suggested order, proven by its runs), the files `--out` writes load and pass with
//! `hapair run`, bad input is refused with file and line (exit 2), and the same inputs and
//! seed give the same report.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

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

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn example(name: &str) -> (String, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/rehearse")
        .join(name);
    (
        dir.join("from.toml").display().to_string(),
        dir.join("to.toml").display().to_string(),
    )
}

/// Rehearses an example as JSON, writing `--out` into `out`.
fn rehearse(name: &str, out: &Path) -> (i32, Value) {
    let (from, to) = example(name);
    let o = hapair(&[
        "rehearse",
        &from,
        &to,
        "--format",
        "json",
        "--out",
        &out.display().to_string(),
    ]);
    let json = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {}", text(&o)));
    (code(&o), json)
}

/// The steps of a plan as (words, safe, broken links as `from->to:class,…`).
fn steps(plan: &Value) -> Vec<(String, bool, Vec<String>)> {
    plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            let broken = s["links"]
                .as_array()
                .expect("links")
                .iter()
                .filter(|l| l["held"] == false)
                .map(|l| {
                    let classes: Vec<&str> = l["classes"]
                        .as_array()
                        .expect("classes")
                        .iter()
                        .filter_map(Value::as_str)
                        .collect();
                    format!(
                        "{}->{}:{}",
                        l["from"].as_str().unwrap_or(""),
                        l["to"].as_str().unwrap_or(""),
                        classes.join(",")
                    )
                })
                .collect();
            (
                s["words"].as_str().expect("words").to_string(),
                s["safe"] == true,
                broken,
            )
        })
        .collect()
}

/// The written scenario files of `out` pass with `hapair run` (the breaking steps expect
/// what the rehearsal predicted).
fn written_files_pass(out: &Path) {
    let o = hapair(&["run", &out.display().to_string()]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains(" passed, 0 failed"), "{}", text(&o));
}

#[test]
fn ca_rollover_breaks_at_the_first_step_and_trusting_the_new_ca_first_is_safe() {
    let dir = tempfile::tempdir().expect("temp");
    let (c, r) = rehearse("ca-rollover", dir.path());
    assert_eq!(c, 0, "a safe order was found");
    assert_eq!(r["default"]["safe"], false);
    let d = steps(&r["default"]);
    assert_eq!(
        d[0].0,
        "change ts_backup to the new configuration and restart it"
    );
    assert!(!d[0].1);
    assert!(
        d[0].2
            .contains(&"ts_backup->ts_primary:unknown-ca".to_string()),
        "{:?}",
        d[0].2
    );
    assert_eq!(d[1].0, "switch over to ts_backup");
    assert!(
        d[1].2.contains(&"desk->ts_backup:unknown-ca".to_string()),
        "{:?}",
        d[1].2
    );
    let tried = r["tried"].as_array().expect("tried");
    let suggested = tried.last().expect("a suggestion");
    assert_eq!(suggested["safe"], true);
    assert_eq!(suggested["plan"]["trust_first"], true);
    let s = steps(suggested);
    assert!(s.iter().all(|(_, safe, broken)| *safe && broken.is_empty()));
    assert_eq!(s.len(), 14, "three passes of four or five steps: {s:?}");
    assert!(
        dir.path()
            .join("suggested/01-change-ts_backup.toml")
            .is_file()
    );
    assert!(dir.path().join("report.md").is_file());
    written_files_pass(dir.path());
}

#[test]
fn tls_mutual_breaks_the_desk_at_the_switchover_and_clients_first_is_safe() {
    let dir = tempfile::tempdir().expect("temp");
    let (c, r) = rehearse("tls-mutual", dir.path());
    assert_eq!(c, 0);
    let d = steps(&r["default"]);
    assert!(d[0].1, "changing the backup alone breaks nothing: {d:?}");
    assert_eq!(d[1].0, "switch over to ts_backup");
    assert_eq!(d[1].2, ["desk->ts_backup:no-client-cert"]);
    let suggested = r["tried"]
        .as_array()
        .and_then(|t| t.last())
        .expect("suggestion");
    assert_eq!(suggested["safe"], true);
    assert_eq!(suggested["plan"]["order"][0], "desk");
    written_files_pass(dir.path());
    // The same files rehearse the rollout in the lab: on real sockets and timers.
    let live = dir.path().join("suggested");
    let o = hapair(&[
        "run",
        "--live",
        "--time-scale",
        "20",
        &live.display().to_string(),
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("4 passed, 0 failed"), "{}", text(&o));
}

#[test]
fn plain_to_secured_ha_and_tls13_roll_safely_in_the_default_order() {
    for name in ["plain-to-secured-ha", "sec-protocol-tls13"] {
        let dir = tempfile::tempdir().expect("temp");
        let (c, r) = rehearse(name, dir.path());
        assert_eq!(c, 0, "{name}");
        assert_eq!(r["default"]["safe"], true, "{name}");
        assert_eq!(r["tried"].as_array().map(Vec::len), Some(0), "{name}");
        let d = steps(&r["default"]);
        assert_eq!(d[1].0, "switch over to ts_backup", "{name}");
        assert!(!dir.path().join("suggested").exists());
        written_files_pass(dir.path());
    }
}

#[test]
fn a_plan_file_overrides_the_order() {
    // The primary named first, the desk last: the plan's order is the default one.
    let dir = tempfile::tempdir().expect("temp");
    let (from, to) = example("tls-mutual");
    let plan = dir.path().join("plan.toml");
    std::fs::write(&plan, "order = [\"ts_primary\", \"ts_backup\", \"desk\"]\n").expect("plan");
    let o = hapair(&[
        "rehearse",
        &from,
        &to,
        "--plan",
        &plan.display().to_string(),
    ]);
    let out = text(&o);
    assert_eq!(code(&o), 0, "{out}");
    assert!(
        out.contains("Default order: ts_primary, ts_backup, desk"),
        "{out}"
    );
    assert!(out.contains("(the plan file's order)"), "{out}");
    // The primary first: it is switched away from before it changes.
    assert!(out.contains("step 1: switch over to ts_backup"), "{out}");
}

#[test]
fn a_strict_protocol_change_of_a_pair_goes_through_an_empty_sec_protocol() {
    // Both T-Servers from `TLSv12` to `TLSv13`: half-changed, the pair has no version in
    // common on its HA link, whatever the order of applications.
    let dir = tempfile::tempdir().expect("temp");
    let (c, r) = rehearse("sec-protocol-tls12-to-tls13", dir.path());
    assert_eq!(c, 0);
    let d = steps(&r["default"]);
    assert_eq!(d[0].2, ["ts_backup->ts_primary:protocol-version"]);
    let suggested = r["tried"]
        .as_array()
        .and_then(|t| t.last())
        .expect("suggestion");
    assert_eq!(suggested["safe"], true);
    assert_eq!(suggested["plan"]["relax_first"], true);
    written_files_pass(dir.path());
}

#[test]
fn a_ca_rollover_and_a_strict_protocol_change_at_once_have_no_safe_order() {
    // Each fix alone (trust first, or sec-protocol empty first) leaves the other change
    // breaking the half-changed pair; hapair does not combine them: no order tried is safe.
    let dir = tempfile::tempdir().expect("temp");
    let (from, to) = example("ca-rollover");
    let strict = |path: &str, v: &str| {
        let mut t = std::fs::read_to_string(path).expect("example");
        for cert in ["ts-a", "ts-b"] {
            for ca in ["lab-ca", "new-ca"] {
                t = t.replace(
                    &format!("security = {{ certificate = \"{cert}\", trusted-ca = \"{ca}\" }}"),
                    &format!("security = {{ certificate = \"{cert}\", trusted-ca = \"{ca}\", sec-protocol = \"{v}\" }}"),
                );
            }
        }
        t
    };
    let f = dir.path().join("from.toml");
    let t = dir.path().join("to.toml");
    std::fs::write(&f, strict(&from, "TLSv12")).expect("from");
    std::fs::write(&t, strict(&to, "TLSv13")).expect("to");
    let o = hapair(&[
        "rehearse",
        &f.display().to_string(),
        &t.display().to_string(),
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    let r: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(r["default"]["safe"], false);
    let tried = r["tried"].as_array().expect("tried");
    assert!(tried.len() >= 2, "trust first and relax first were tried");
    assert!(tried.iter().all(|p| p["safe"] == false));
}

#[test]
fn bad_input_is_refused_with_file_and_line() {
    let dir = tempfile::tempdir().expect("temp");
    let (from, to) = example("ca-rollover");
    // Unreadable.
    let o = hapair(&["rehearse", &from, "/nonexistent/to.toml"]);
    assert_eq!(code(&o), 2);
    assert!(text(&o).contains("/nonexistent/to.toml"), "{}", text(&o));
    // Another set of hosts.
    let other = std::fs::read_to_string(&to)
        .expect("to")
        .replace("[host.desk-1]", "[host.desk-2]")
        .replace("host = \"desk-1\"", "host = \"desk-2\"");
    let p = dir.path().join("other-hosts.toml");
    std::fs::write(&p, other).expect("write");
    let o = hapair(&["rehearse", &from, &p.display().to_string()]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("host `desk-2` is not in"), "{t}");
    assert!(t.contains("other-hosts.toml:"), "{t}");
    // A TO that breaks a rule: the HA-sync port of the backup unsecured, the primary's
    // secured.
    let bad = std::fs::read_to_string(&to).expect("to").replacen(
        "[app.ts_backup.port.ha]\nnumber = 3002\nmode = \"secured\"",
        "[app.ts_backup.port.ha]\nnumber = 3002\nmode = \"unsecured\"",
        1,
    );
    let p = dir.path().join("breaks-rules.toml");
    std::fs::write(&p, bad).expect("write");
    let o = hapair(&["rehearse", &from, &p.display().to_string()]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("breaks rules at error level"), "{t}");
    assert!(t.contains("breaks-rules.toml:"), "{t}");
    // A plan naming an application that does not exist.
    let plan = dir.path().join("plan.toml");
    std::fs::write(
        &plan,
        "trust-first = true\norder = [\"desk\", \"nobody\"]\n",
    )
    .expect("plan");
    let o = hapair(&[
        "rehearse",
        &from,
        &to,
        "--plan",
        &plan.display().to_string(),
    ]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("`nobody` is not an application of FROM"), "{t}");
    assert!(t.contains("plan.toml:2"), "{t}");
    // A scenario instead of a topology.
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/ca-rollover.toml");
    let o = hapair(&["rehearse", &from, &scenario.display().to_string()]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(
        text(&o).contains("compares two topology files"),
        "{}",
        text(&o)
    );
}

#[test]
fn same_inputs_and_seed_give_the_same_report() {
    let (from, to) = example("ca-rollover");
    let run = |seed: &str| {
        let o = hapair(&["rehearse", &from, &to, "--format", "json", "--seed", seed]);
        assert_eq!(code(&o), 0, "{}", text(&o));
        o.stdout
    };
    let a = run("7");
    assert_eq!(a, run("7"));
    let md = |_: ()| {
        let o = hapair(&["rehearse", &from, &to, "--format", "md"]);
        o.stdout
    };
    assert_eq!(md(()), md(()));
}

#[test]
fn the_suite_leaves_the_rehearsal_examples_alone() {
    let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/rehearse");
    let o = hapair(&["run", &root.display().to_string()]);
    assert_eq!(code(&o), 2, "no scenario in it: {}", text(&o));
    assert!(
        text(&o).contains("no scenario files to run"),
        "{}",
        text(&o)
    );
}
