//! `hapair check FILE...`: load each topology, run the rule catalogue, report.

use std::path::PathBuf;

use time::OffsetDateTime;

use super::{Format, Outcome, colour};
use crate::report::{self, FileOutcome};
use crate::rules::{self, Severity};
use crate::topology::{self, LoadError};

/// Checks every file; all are reported even when one is bad.
pub(super) fn run(
    files: &[PathBuf],
    format: Format,
    deny_warnings: bool,
    clock: Option<OffsetDateTime>,
) -> Outcome {
    let outcomes: Vec<FileOutcome> = files.iter().map(|f| judge(f, clock)).collect();
    let text = match format {
        Format::Human => report::human::check(&outcomes, colour()),
        Format::Json => report::json::check(&outcomes),
    };
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
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

fn judge(path: &std::path::Path, clock: Option<OffsetDateTime>) -> FileOutcome {
    match topology::load(path) {
        Ok(t) => {
            let clock = clock
                .or(t.pki.clock)
                .unwrap_or_else(OffsetDateTime::now_utc);
            match rules::judge(&t, clock) {
                Ok(findings) => FileOutcome::Checked {
                    findings,
                    topology: t.name.clone(),
                    source: t.source,
                },
                Err(e) => FileOutcome::Material {
                    internal: !e.is_bad_input(),
                    error: e.to_string(),
                    source: t.source,
                },
            }
        }
        Err(LoadError::Invalid(invalid)) => FileOutcome::Invalid {
            source: invalid.source_file,
            problems: invalid.problems,
        },
        Err(e @ LoadError::Read { .. }) => FileOutcome::Unreadable {
            path: path.to_path_buf(),
            error: e.to_string(),
        },
    }
}
