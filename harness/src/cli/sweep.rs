//! `hapair sweep SCENARIO... --seeds N`: per seed, the scenario's own steps, a fault schedule
//! drawn from the seed, and the liveness phase; a progress bar with seeds/s and failures so
//! far; a summary grouping failing seeds by signature; coverage.

use std::path::PathBuf;

use super::Outcome;
use crate::sweep::{FaultKind, Intensity, Shard};

/// Output formats of `hapair sweep`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SweepFormat {
    /// The summary for people.
    Human,
    /// `hapair.sweep/1` JSON.
    Json,
    /// JUnit XML (a test case per scenario and seed).
    Junit,
}

/// `hapair sweep`'s arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files or folders (folders: every .toml outside `topologies/`).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// How many seeds, from `--start` (1 to 100000).
    #[arg(long, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(u64).range(1..=crate::limits::MAX_SEEDS))]
    pub seeds: u64,
    /// The first seed.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub start: u64,
    /// Run only shard I of N (`--shard 2/4`): N machines cover the seeds exactly once.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// The fault kinds seeds draw from (comma-separated; default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub faults: Vec<FaultKind>,
    /// How many faults a seed draws, and how long they last.
    #[arg(long, value_enum, default_value_t = Intensity::Medium)]
    pub intensity: Intensity,
    /// Only scenarios whose path contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SweepFormat::Human)]
    pub format: SweepFormat,
    /// Write sweep.json, junit.xml and, per failing seed, its schedule and trace here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Runs done at once (default: the number of cores).
    #[arg(long, short = 'j', value_parser = super::parse_jobs)]
    pub jobs: Option<usize>,
    /// Wall-clock seconds one run may take before it is stopped and reported. 1 to 86400.
    #[arg(long, value_name = "SECS", default_value_t = 600,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
    /// Run a sample of seeds twice and fail on any trace difference, naming the first.
    #[arg(long)]
    pub check_determinism: bool,
    /// Shrink the first failing seed of each signature to the smallest scenario file that
    /// still fails the same way (written under `--out`, or beside the sweep's temp folder).
    #[arg(long)]
    pub shrink: bool,
}

/// Runs the command.
pub(super) fn execute(_args: &Args) -> Outcome {
    super::out::eprint("hapair sweep: being built (Step 10)\n");
    Outcome::Internal
}
