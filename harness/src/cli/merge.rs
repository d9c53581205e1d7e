//! `hapair merge FILE...`: the JSON and JUnit files of a sharded sweep (or run) as one. The
//! merged files are written where `--json` and `--junit` say; the summary of the merged result
//! is printed. Exit 0 when everything merged held, 1 when a run failed or a shard is missing,
//! 2 when the files are not shards of one sweep (or overlap).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{Outcome, out};
use crate::merge::{self, Json, Merged};

/// `hapair merge`'s arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shards' files (`sweep.json`, `junit.xml`, a `hapair run` `report.json`, or the
    /// `--out` folders holding them).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write the merged JSON here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the merged JUnit XML here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

/// Runs the command.
pub(super) fn execute(args: &Args) -> Outcome {
    let merged = match merge::read(&args.files).and_then(|inputs| merge::merge(&inputs)) {
        Ok(merged) => merged,
        Err(e) => {
            out::eprint(&format!("hapair merge: {e}\n"));
            return if e.is_incomplete() {
                Outcome::Failed
            } else {
                Outcome::BadInput
            };
        }
    };
    if let Err(outcome) = write(args, &merged) {
        return outcome;
    }
    out::print_then(&summary(&merged), outcome(&merged))
}

/// Writes the merged files asked for; asking for a kind no file given holds is bad input.
fn write(args: &Args, merged: &Merged) -> Result<(), Outcome> {
    let json = merged.json.as_ref().map(Json::render);
    let junit = merged.junit.as_ref().map(|r| {
        r.to_string()
            .unwrap_or_else(|e| format!("<!-- junit serialisation failed: {e} -->"))
    });
    for (flag, path, text) in [
        ("--json", &args.json, json),
        ("--junit", &args.junit, junit),
    ] {
        let Some(path) = path else { continue };
        let Some(text) = text else {
            out::eprint(&format!(
                "hapair merge: {flag} {}: none of the files given is of that kind\n",
                path.display()
            ));
            return Err(Outcome::BadInput);
        };
        if let Err(e) = std::fs::write(path, text) {
            out::eprint(&format!(
                "hapair merge: cannot write {}: {e}\n",
                path.display()
            ));
            return Err(Outcome::Internal);
        }
    }
    Ok(())
}

/// Exit 1 when a merged run failed, else 0.
fn outcome(merged: &Merged) -> Outcome {
    let json_failed = match &merged.json {
        Some(Json::Sweep(r)) => !crate::sweep::summary::held(r),
        Some(Json::Run(v)) => v.get("passed") != Some(&serde_json::Value::Bool(true)),
        None => false,
    };
    let junit_failed = merged
        .junit
        .as_ref()
        .is_some_and(|r| r.failures > 0 || r.errors > 0);
    if json_failed || junit_failed {
        Outcome::Failed
    } else {
        Outcome::Held
    }
}

/// The summary of the merged result.
fn summary(merged: &Merged) -> String {
    let mut text = match &merged.json {
        Some(Json::Sweep(r)) => crate::sweep::summary::human(r, super::colour()),
        Some(Json::Run(v)) => run_summary(v),
        None => String::new(),
    };
    if let Some(r) = &merged.junit {
        let _ = writeln!(
            text,
            "JUnit: {} test suite(s), {} test case(s): {} failed, {} errors, {} skipped",
            r.test_suites.len(),
            r.tests,
            r.failures,
            r.errors,
            r.skipped
        );
    }
    text
}

/// The summary of a merged `hapair.run/1` document: a line per scenario that failed, then the
/// counts.
fn run_summary(doc: &serde_json::Value) -> String {
    let mut text = String::new();
    let (mut passed, mut failed) = (0_u64, 0_u64);
    let files = doc.get("scenarios").and_then(|s| s.as_array());
    for f in files.into_iter().flatten() {
        let path = f.get("path").and_then(|p| p.as_str()).unwrap_or_default();
        if let Some(error) = f.get("error").and_then(|e| e.as_str()) {
            let _ = writeln!(text, "ERROR {path}: {}", crate::report::clip(error));
        }
        for run in f
            .get("runs")
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten()
        {
            if run.get("passed") == Some(&serde_json::Value::Bool(true)) {
                passed = passed.saturating_add(1);
            } else {
                failed = failed.saturating_add(1);
                let seed = run.get("seed").and_then(|s| s.as_u64()).unwrap_or_default();
                let _ = writeln!(
                    text,
                    "FAIL {path} seed {seed}\n  replay: {}",
                    crate::report::run::replay(Path::new(path), seed)
                );
            }
        }
    }
    let _ = writeln!(text, "{passed} passed, {failed} failed");
    text
}
