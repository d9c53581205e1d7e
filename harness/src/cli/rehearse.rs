//! `hapair rehearse FROM TO [--out DIR] [--plan PLAN] [--format F] [--seed S]`: every
//! intermediate state of a rolling change, rehearsed in the simulator. Exit 0 when the
//! default order (or the suggested one, when the default breaks) is safe, 1 when no safe
//! order was found, 2 on bad input, 3 when the harness failed.

use std::path::PathBuf;

use clap::ValueEnum;

use super::{Outcome, colour, out};
use crate::rehearse::{self, RehearseError};
use crate::report::{self, FileOutcome};

/// The arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Today's topology.
    pub from: PathBuf,
    /// The topology after the change.
    pub to: PathBuf,
    /// Write one scenario file per step (in `default/` and `suggested/`, runnable by
    /// `hapair run DIR`), with `report.json` and `report.md`, here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// A plan file overriding the order: `order = ["APP", …]`, `trust-first = true`.
    #[arg(long, value_name = "PLAN.toml")]
    pub plan: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RehearseFormat::Human)]
    pub format: RehearseFormat,
    /// The seed every step runs with.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Output formats of a rehearsal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RehearseFormat {
    /// Text for people.
    Human,
    /// `hapair.rehearse/1` JSON.
    Json,
    /// Markdown.
    Md,
}

/// Runs the command.
pub(super) fn execute(args: &Args) -> Outcome {
    let req = rehearse::Request {
        from: &args.from,
        to: &args.to,
        plan: args.plan.as_deref(),
        seed: args.seed,
        out: args.out.as_deref(),
    };
    match rehearse::rehearse(&req) {
        Ok(r) => {
            let text = match args.format {
                RehearseFormat::Human => rehearse::report::text(&r, false),
                RehearseFormat::Md => rehearse::report::text(&r, true),
                RehearseFormat::Json => match rehearse::report::json(&r) {
                    Ok(t) => t,
                    Err(e) => {
                        out::eprint(&format!("hapair rehearse: {e}\n"));
                        return Outcome::Internal;
                    }
                },
            };
            let outcome = if r.safe() {
                Outcome::Held
            } else {
                Outcome::Failed
            };
            out::print_then(&text, outcome)
        }
        Err(e) => refuse(e),
    }
}

/// Bad input rendered as `hapair check` renders it (file, line, excerpt); harness failures
/// in one line.
fn refuse(e: RehearseError) -> Outcome {
    let outcome = if e.is_bad_input() {
        Outcome::BadInput
    } else {
        Outcome::Internal
    };
    let rendered = match e {
        RehearseError::Invalid(i) => vec![FileOutcome::Invalid {
            source: i.source_file,
            problems: i.problems,
        }],
        RehearseError::Unreadable { path, error } => vec![FileOutcome::Unreadable { path, error }],
        RehearseError::Rules {
            source_file,
            topology,
            findings,
        } => {
            out::eprint(&format!(
                "hapair rehearse: {} breaks rules at error level; fix the target first:\n",
                source_file.path.display()
            ));
            vec![FileOutcome::Checked {
                source: source_file,
                topology,
                findings,
            }]
        }
        other => {
            out::eprint(&format!("hapair rehearse: {other}\n"));
            return outcome;
        }
    };
    out::eprint(&report::human::check(&rendered, colour()));
    outcome
}
