//! Reports of `hapair run`: one human line per scenario with the detail of failures and the
//! command that replays them, versioned JSON, and JUnit XML (a testsuite per scenario file, a
//! testcase per expectation and invariant).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde::Serialize;

use crate::scenario::run::Outcome;

/// Schema identifier of `hapair run --format json` and of per-scenario `report.json`.
pub const SCHEMA: &str = "hapair.run/1";

/// One scenario file's result: its runs (one per seed), or why it could not run.
pub struct FileResult {
    /// The scenario file.
    pub path: PathBuf,
    /// The scenario's name (the file stem when it did not load).
    pub name: String,
    /// Runs, one per seed.
    pub runs: Vec<Outcome>,
    /// Why it did not run: bad input (exit 2), or the harness failed (exit 3).
    pub error: Option<(String, bool)>,
}

impl FileResult {
    /// Whether every run passed.
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.runs.iter().all(Outcome::passed)
    }
}

/// The command that replays a run.
pub fn replay(path: &Path, seed: u64) -> String {
    format!("hapair run {} --seed {seed}", path.display())
}

/// Human text: a line per scenario and seed; failures in detail.
pub fn human(results: &[FileResult], colour: bool) -> String {
    let (red, green, off) = if colour {
        ("\u{1b}[31m", "\u{1b}[32m", "\u{1b}[0m")
    } else {
        ("", "", "")
    };
    let mut out = String::new();
    for f in results {
        if let Some((error, _)) = &f.error {
            let _ = writeln!(
                out,
                "{red}ERROR{off} {} ({}): {error}",
                f.name,
                f.path.display()
            );
            continue;
        }
        for run in &f.runs {
            let (word, c) = if run.passed() {
                ("PASS", green)
            } else {
                ("FAIL", red)
            };
            let held = run.verdicts.iter().filter(|v| v.held).count();
            let _ = writeln!(
                out,
                "{c}{word}{off} {} ({}, seed {}, {}/{} held, {} handshakes, {} ms)",
                f.name,
                f.path.display(),
                run.seed,
                held,
                run.verdicts.len(),
                run.handshakes,
                run.wall.as_millis()
            );
            for v in run.verdicts.iter().filter(|v| !v.held) {
                let at = v.line.map_or(String::new(), |l| format!(" (line {l})"));
                let _ = writeln!(
                    out,
                    "  {red}✗{off} {} {}{at}\n    trace shows: {}",
                    v.kind, v.what, v.detail
                );
                for e in &v.excerpt {
                    let _ = writeln!(
                        out,
                        "      {:>7} ms {:<14} {}",
                        e.at_ms,
                        e.node,
                        serde_json::to_string(&e.kind).unwrap_or_default()
                    );
                }
            }
            if !run.passed() {
                let _ = writeln!(out, "  replay: {}", replay(&f.path, run.seed));
            }
        }
    }
    let runs: usize = results.iter().map(|f| f.runs.len()).sum();
    let failed: usize = results
        .iter()
        .map(|f| f.runs.iter().filter(|r| !r.passed()).count())
        .sum();
    let errors = results.iter().filter(|f| f.error.is_some()).count();
    let _ = writeln!(
        out,
        "{} passed, {failed} failed{}",
        runs - failed,
        if errors > 0 {
            format!(", {errors} could not run")
        } else {
            String::new()
        }
    );
    out
}

#[derive(Serialize)]
struct JsonRun<'a> {
    seed: u64,
    passed: bool,
    wall_ms: u128,
    handshakes: usize,
    events: usize,
    trace_digest: String,
    replay: String,
    verdicts: &'a [crate::scenario::verdict::Verdict],
    findings: &'a [crate::rules::Finding],
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: String,
    name: &'a str,
    passed: bool,
    error: Option<&'a str>,
    runs: Vec<JsonRun<'a>>,
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    schema: &'static str,
    version: &'static str,
    passed: bool,
    scenarios: Vec<JsonFile<'a>>,
}

fn json_file(f: &FileResult) -> JsonFile<'_> {
    JsonFile {
        path: f.path.display().to_string(),
        name: &f.name,
        passed: f.passed(),
        error: f.error.as_ref().map(|(e, _)| e.as_str()),
        runs: f
            .runs
            .iter()
            .map(|r| JsonRun {
                seed: r.seed,
                passed: r.passed(),
                wall_ms: r.wall.as_millis(),
                handshakes: r.handshakes,
                events: r.trace.events.len(),
                trace_digest: r.trace.digest(),
                replay: replay(&f.path, r.seed),
                verdicts: &r.verdicts,
                findings: &r.findings,
            })
            .collect(),
    }
}

/// The JSON document of a whole run.
pub fn json(results: &[FileResult]) -> String {
    super::json::to_string(&JsonDoc {
        schema: SCHEMA,
        version: env!("CARGO_PKG_VERSION"),
        passed: results.iter().all(FileResult::passed),
        scenarios: results.iter().map(json_file).collect(),
    })
}

/// The JSON report of one scenario file (`--out DIR/NAME/report.json`).
pub fn json_one(f: &FileResult) -> String {
    json(std::slice::from_ref(f))
}

/// JUnit XML: a testsuite per scenario file, a testcase per expectation and invariant (per
/// seed when several run).
pub fn junit(results: &[FileResult]) -> String {
    let mut report = Report::new("hapair");
    for f in results {
        let mut suite = TestSuite::new(f.path.display().to_string());
        if let Some((error, _)) = &f.error {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(error.clone());
            suite.add_test_case(TestCase::new(format!("{}: load", f.name), status));
        }
        for run in &f.runs {
            for v in &run.verdicts {
                let name = if f.runs.len() > 1 {
                    format!("{} [seed {}]", v.what, run.seed)
                } else {
                    v.what.clone()
                };
                let status = if v.held {
                    TestCaseStatus::success()
                } else {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(v.detail.clone());
                    s.set_description(format!(
                        "{}\nreplay: {}",
                        v.detail,
                        replay(&f.path, run.seed)
                    ));
                    s
                };
                let mut case = TestCase::new(name, status);
                case.set_classname(format!("{}.{}", f.name, v.kind));
                suite.add_test_case(case);
            }
        }
        report.add_test_suite(suite);
    }
    report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- junit serialisation failed: {e} -->"))
}
