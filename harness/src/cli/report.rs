//! `hapair report DIR`: the HTML or Markdown report of a run rendered again from its `--out`
//! folder (each scenario's `report.json`, traces and `tls-table.json`), so that a folder
//! attached to a ticket can be read by anyone later. Exit 0 when rendered, 2 when the folder
//! is not one `hapair run --out` wrote.

use std::path::PathBuf;

use super::{Outcome, out};
use crate::report::model::Model;

/// Formats `hapair report` renders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// One self-contained HTML file (what `--out` writes as `report.html`).
    Html,
    /// A Markdown summary for a pull-request comment.
    Md,
}

/// `hapair report`'s arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder `hapair run --out DIR` wrote.
    pub dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
    pub format: ReportFormat,
}

/// Runs the command.
pub(super) fn execute(args: &Args) -> Outcome {
    let model = match Model::read(&args.dir) {
        Ok(model) => model,
        Err(e) => {
            out::eprint(&format!("hapair report: {e}\n"));
            return Outcome::BadInput;
        }
    };
    let text = match args.format {
        ReportFormat::Html => crate::report::html::render(&model),
        ReportFormat::Md => crate::report::md::render(&model),
    };
    out::print_then(&text, Outcome::Held)
}
