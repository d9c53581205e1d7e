//! `hapair check FILE...`: load each topology (or scenario's topology), make its material
//! once, run the rule catalogue on both, report.

use std::path::PathBuf;

use time::OffsetDateTime;

use super::{Format, Outcome, colour, input, out};
use crate::pki;
use crate::report::{self, FileOutcome};
use crate::rules::{self, Severity};

/// Checks every file; all are reported even when one is bad.
pub(super) fn run(
    files: &[PathBuf],
    format: Format,
    deny_warnings: bool,
    clock: Option<OffsetDateTime>,
) -> Outcome {
    let outcomes: Vec<FileOutcome> = files.iter().flat_map(|f| judge(f, clock)).collect();
    let mut text = match format {
        Format::Human => report::human::check(&outcomes, colour()),
        Format::Json => report::json::check(&outcomes),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    out::print_then(&text, verdict(&outcomes, deny_warnings))
}

/// The exit of a check: harness failure, bad input, failed rules, or all held.
fn verdict(outcomes: &[FileOutcome], deny_warnings: bool) -> Outcome {
    if outcomes
        .iter()
        .any(|o| matches!(o, FileOutcome::Material { internal: true, .. }))
    {
        Outcome::Internal
    } else if outcomes.iter().any(FileOutcome::is_bad_input) {
        Outcome::BadInput
    } else if outcomes
        .iter()
        .any(|o| o.count(Severity::Error) > 0 || (deny_warnings && o.count(Severity::Warning) > 0))
    {
        Outcome::Failed
    } else {
        Outcome::Held
    }
}

fn judge(path: &std::path::Path, clock: Option<OffsetDateTime>) -> Vec<FileOutcome> {
    let input = match input::load(path) {
        Ok(input) => input,
        Err(outcome) => return vec![outcome],
    };
    let clock = clock
        .or(input.clock())
        .unwrap_or_else(OffsetDateTime::now_utc);
    let judged = pki::paths::for_topology(input.topology(), clock)
        .and_then(|material| rules::judge(input.topology(), &material, clock));
    match judged {
        Ok(findings) => input.outcomes(findings),
        Err(e) if input.material_problem(&e).is_some() => {
            input.material_problem(&e).into_iter().collect()
        }
        Err(e) => vec![FileOutcome::Material {
            internal: !e.is_bad_input(),
            error: e.to_string(),
            source: input.source(),
        }],
    }
}
