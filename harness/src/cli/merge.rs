//! `hapair merge FILE...`: the JSON and JUnit files of a sharded sweep (or run) as one.

use std::path::PathBuf;

use super::Outcome;

/// `hapair merge`'s arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shards' files (`sweep.json`, `junit.xml`, or folders holding them).
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
pub(super) fn execute(_args: &Args) -> Outcome {
    super::out::eprint("hapair merge: being built (Step 10)\n");
    Outcome::Internal
}
