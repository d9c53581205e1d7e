//! `hapair shrink SCENARIO --seed N`: one failing seed of a sweep reduced to the smallest
//! standalone scenario file that still fails with the same signature.

use std::path::PathBuf;

use super::Outcome;
use crate::sweep::{FaultKind, Intensity};

/// `hapair shrink`'s arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The scenario file the sweep ran.
    pub scenario: PathBuf,
    /// The failing seed.
    #[arg(long)]
    pub seed: u64,
    /// The fault kinds the sweep drew from (as given to `hapair sweep`).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub faults: Vec<FaultKind>,
    /// The sweep's intensity.
    #[arg(long, value_enum, default_value_t = Intensity::Medium)]
    pub intensity: Intensity,
    /// Where to write the reproduction (default: `<scenario>-seed-<N>-shrunk.toml` in the
    /// current folder).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Runs the command.
pub(super) fn execute(_args: &Args) -> Outcome {
    super::out::eprint("hapair shrink: being built (Step 10)\n");
    Outcome::Internal
}
