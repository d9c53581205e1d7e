//! `hapair run --format html|md`, `report.html` in `--out`, and `hapair report DIR`, as a
//! process: a failing run's page shows its lanes, role bands, a failed handshake, fault windows
//! and the red expectation; user text is escaped; nothing is fetched; the page rendered again
//! from the folder is the page the run wrote; the Markdown summary is a snapshot (wall times
//! and paths redacted). `tests/report_browser.rs` loads the page in headless Chromium.

use std::path::Path;
use std::process::{Command, Output};

fn hapair(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hapair"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the hapair binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The shipped rotation scenario, renamed with markup in its name and given an expectation
/// that fails (the crashed primary is not primary after the crash).
fn failing(dir: &Path) -> String {
    failing_at(&dir.join("rotation.toml"))
}

/// [`failing`] written at `path`.
fn failing_at(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let shipped = std::fs::read_to_string(root.join("unknown-ca-after-rotation.toml"))
        .expect("the shipped scenario");
    let topology = root.join("topologies/tserver-pair.toml");
    let body = shipped
        .replace(
            "name = \"Certificate rotated to an unknown CA breaks the rejoin after a failover\"",
            "name = \"rotation <script>alert(1)</script> & rejoin\"",
        )
        .replace(
            "topology = \"topologies/tserver-pair.toml\"",
            &format!("topology = \"{}\"", topology.display()),
        );
    // Two failures: a role never taken, and a refusal of another class (its nearest miss:
    // refused, but as unknown-ca).
    let body = format!(
        "{body}\n[[expect]]\nrole = {{ app = \"ts_primary\", is = \"primary\" }}\n\
         after = \"crash\"\nwithin = \"2s\"\n\n[[expect]]\nrefused = {{ from = \"ts_primary\", \
         to = \"ts_backup\", port = \"ha\", class = \"expired\" }}\nafter = \"restart\"\n\
         within = \"5s\"\n"
    );
    std::fs::write(path, body).expect("written");
    path.display().to_string()
}

/// Runs the failing scenario with `--out DIR/out`; returns the folder.
fn run_out(dir: &Path) -> std::path::PathBuf {
    let file = failing(dir);
    let out = dir.join("out");
    let o = hapair(&["run", &file, "--out", &out.display().to_string()]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    out
}

#[test]
fn the_html_report_of_a_failing_run_shows_its_timeline_and_escapes_user_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run_out(dir.path());
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(html.len() < 1_000_000, "{} bytes", html.len());
    for kind in [
        "data-kind=\"lane\" data-app=\"ts_primary\"",
        "data-kind=\"role-primary\"",
        "data-kind=\"role-backup\"",
        "data-kind=\"role-down\"",
        "data-kind=\"handshake-failed\" data-class=\"unknown-ca\"",
        "data-kind=\"fault-window\" data-fault=\"crash\"",
        "data-kind=\"expect-fail\"",
        "data-kind=\"expect-pass\"",
        "data-kind=\"expect-miss\"",
        "data-kind=\"conn-tls\"",
        "data-kind=\"conn-broken\"",
        ">secure: TLS 1.3, ha: TLS 1.3</text>",
        "data-kind=\"latency\"",
        "<caption>Certificates</caption>",
        "CN=ts-a.lab.example",
    ] {
        assert!(html.contains(kind), "no {kind}");
    }
    // The certificate table carries serials and SHA-256 fingerprints (32 bytes, `:`-joined).
    assert!(
        html.split("<td>")
            .any(|c| c.len() > 95 && c.as_bytes().get(2) == Some(&b':')),
        "no fingerprint"
    );
    // The name is shown, escaped; no markup of the user's reaches the page, and no script.
    assert!(html.contains("rotation &lt;script&gt;alert(1)&lt;/script&gt; &amp; rejoin"));
    assert!(!html.contains("<script"), "a script in the page");
    // Nothing to fetch: no remote source, link or style import.
    for remote in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!html.contains(remote), "{remote} in the page");
    }
    assert!(
        html.contains("hapair run ") && html.contains(" --seed 1"),
        "no replay"
    );
}

#[test]
fn hapair_report_renders_the_page_the_run_wrote_again_from_its_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Two scenarios whose folders (`alpha`, `omega`) sort unlike their paths, two seeds each.
    let scenarios = dir.path().join("s");
    for (sub, stem) in [("z", "alpha"), ("a", "omega")] {
        std::fs::create_dir_all(scenarios.join(sub)).expect("mkdir");
        failing_at(&scenarios.join(sub).join(format!("{stem}.toml")));
    }
    let out = dir.path().join("out");
    let o = hapair(&[
        "run",
        &scenarios.display().to_string(),
        "--seeds",
        "2",
        "--out",
        &out.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(out.join("alpha/trace-seed-2.jsonl").is_file());
    let written = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    let o = hapair(&["report", &out.display().to_string()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout) == written,
        "the page differs from report.html"
    );

    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let o = hapair(&["report", &empty.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("no scenario folder with a report.json"));
}

/// Markdown with what changes between machines and runs replaced: wall times and the
/// temporary folder.
fn redact(md: &str, dir: &Path) -> String {
    let md = md.replace(&dir.display().to_string(), "[dir]");
    md.split("wall ")
        .enumerate()
        .map(|(i, part)| match (i, part.find(" ms")) {
            (0, _) | (_, None) => part.to_string(),
            (_, Some(end)) => format!("[wall]{}", &part[end..]),
        })
        .collect::<Vec<_>>()
        .join("wall ")
}

#[test]
fn the_markdown_summary_names_the_failure_and_draws_its_switchover() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run_out(dir.path());
    let o = hapair(&["report", &out.display().to_string(), "--format", "md"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let md = text(&o.stdout);
    let file = failing(dir.path());
    let run = hapair(&["run", &file, "--format", "md"]);
    assert_eq!(
        redact(&text(&run.stdout), dir.path()),
        redact(&md, dir.path())
    );
    assert!(md.contains("```mermaid\nsequenceDiagram\n"), "{md}");
    insta::assert_snapshot!("markdown", redact(&md, dir.path()));
}

/// 60 s of virtual time, 100 requests a second, three crashes and a rotation to an unknown
/// CA (tens of thousands of events, handshakes failing all along): the page stays small.
const HEAVY: &str = r#"
name = "heavy"
topology = "TOPOLOGY"
clock = 2026-06-01T08:00:00Z
seed = 3
duration = "60s"

[pki.ca.vendor-ca]
subject = "CN=Vendor CA,O=a vendor"

[[step]]
at = "0s"
traffic = { from = "desk", rate = "100/s" }

[[step]]
at = "5s"
rotate = { cert = "ts-b", issuer = "vendor-ca" }

[[step]]
at = "10s"
crash = "ts_primary"

[[step]]
at = "15s"
restart = "ts_primary"

[[step]]
at = "25s"
crash = "ts_backup"

[[step]]
at = "30s"
restart = "ts_backup"

[[step]]
at = "40s"
crash = "ts_primary"

[[step]]
at = "45s"
restart = "ts_primary"
"#;

#[test]
fn the_page_of_a_60_s_run_under_traffic_stays_below_1_mb() {
    let dir = tempfile::tempdir().expect("tempdir");
    let topology =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/topologies/tserver-pair.toml");
    let file = dir.path().join("heavy.toml");
    std::fs::write(
        &file,
        HEAVY.replace("TOPOLOGY", &topology.display().to_string()),
    )
    .expect("written");
    let out = dir.path().join("out");
    hapair(&[
        "run",
        &file.display().to_string(),
        "--out",
        &out.display().to_string(),
    ]);
    let trace = std::fs::read_to_string(out.join("heavy/trace.jsonl")).expect("trace");
    assert!(trace.lines().count() > 10_000, "a light run");
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(html.len() < 1_000_000, "{} bytes", html.len());
    assert!(
        html.contains("data-kind=\"handshake-failed\"") && html.contains("data-kind=\"latency\"")
    );
}
