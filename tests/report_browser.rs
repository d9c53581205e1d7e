//! `report.html` in a real browser: headless Chromium (Debian `chromium`; `ci/test` installs
//! it) loads a failing run's page from disk with the network off (every request sent to a
//! closed proxy port), and the DOM it built holds the lanes, role bands, the failed-handshake
//! marker, a fault window and the red expectation. A screenshot and the page printed to PDF are
//! kept as CI artefacts: `target/ci-artefacts/report.png`, `report.pdf`.
//!
//! Chromium is required, not optional: a machine without it fails this test, naming it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn hapair(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hapair"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the hapair binary runs")
}

fn chromium() -> PathBuf {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(o) = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
        {
            let path = String::from_utf8_lossy(&o.stdout).trim().to_string();
            if o.status.success() && !path.is_empty() {
                return PathBuf::from(path);
            }
        }
    }
    panic!("headless Chromium is required: apt-get install chromium (ci/test installs it)");
}

/// Chromium, headless, sandbox off (containers run it as root), no network, a profile of its
/// own.
fn browse(profile: &Path, args: &[&str]) -> Output {
    Command::new(chromium())
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--proxy-server=127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            &format!("--user-data-dir={}", profile.display()),
        ])
        .args(args)
        .output()
        .expect("chromium runs")
}

/// A failing run's `--out` folder: the shipped rotation scenario with an expectation that
/// fails.
fn failing_run(dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let shipped = std::fs::read_to_string(root.join("unknown-ca-after-rotation.toml"))
        .expect("the shipped scenario");
    let topology = root.join("topologies/tserver-pair.toml");
    let body = shipped.replace(
        "topology = \"topologies/tserver-pair.toml\"",
        &format!("topology = \"{}\"", topology.display()),
    ) + "\n[[expect]]\nrole = { app = \"ts_primary\", is = \"primary\" }\nafter = \"crash\"\nwithin = \"2s\"\n";
    let file = dir.join("rotation.toml");
    std::fs::write(&file, body).expect("written");
    let out = dir.join("out");
    let o = hapair(&[
        "run",
        &file.display().to_string(),
        "--out",
        &out.display().to_string(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

fn count(dom: &str, needle: &str) -> usize {
    dom.matches(needle).count()
}

#[test]
fn chromium_shows_a_failing_runs_timeline_offline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = failing_run(dir.path());
    let page = out.join("report.html");
    let url = format!("file://{}", page.display());
    let profile = dir.path().join("profile");

    let o = browse(&profile, &["--dump-dom", &url]);
    let dom = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success() && dom.contains("</html>"),
        "chromium did not load the page: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The DOM Chromium built, not the file's text: the SVG parsed into elements.
    assert!(count(&dom, "data-kind=\"lane\"") >= 3, "lanes");
    for kind in [
        "role-primary",
        "role-backup",
        "role-down",
        "fault-window",
        "expect-fail",
    ] {
        assert!(
            count(&dom, &format!("data-kind=\"{kind}\"")) >= 1,
            "no {kind}"
        );
    }
    assert!(
        dom.contains("data-kind=\"handshake-failed\" data-class=\"unknown-ca\""),
        "no failed-handshake marker"
    );
    assert!(
        dom.contains("<h2><span class=\"fail\">FAIL</span>"),
        "no failing run"
    );

    let artefacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/ci-artefacts");
    std::fs::create_dir_all(&artefacts).expect("artefact folder");
    let shot = artefacts.join("report.png");
    let _ = std::fs::remove_file(&shot);
    let o = browse(
        &profile,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1400,2000",
            "--hide-scrollbars",
            &url,
        ],
    );
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 10_000,
        "no screenshot ({size} bytes): {}",
        String::from_utf8_lossy(&o.stderr)
    );

    // Printed (the print style sheet: a page per run), kept beside the screenshot.
    let pdf = artefacts.join("report.pdf");
    let _ = std::fs::remove_file(&pdf);
    let o = browse(
        &profile,
        &[
            &format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer",
            &url,
        ],
    );
    let printed = std::fs::read(&pdf).unwrap_or_default();
    assert!(
        printed.starts_with(b"%PDF") && printed.len() > 10_000,
        "not printed ({} bytes): {}",
        printed.len(),
        String::from_utf8_lossy(&o.stderr)
    );
}
