//! `hapair sweep SCENARIO... --seeds N`: per seed, the scenario's own steps, a fault schedule
//! drawn from the seed, and the liveness phase; a progress bar with seeds/s and failures so
//! far; a summary grouping failing seeds by signature; coverage.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::Duration;

use super::{Outcome, out};
use crate::runner;
use crate::scenario;
use crate::sweep::{self, FaultKind, Intensity, Plan, Shard, summary};

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
    /// Virtual seconds of the fault phase each seed adds after the scenario's own run
    /// (20 to 3600; no fault starts or is lifted in its last 10 s).
    #[arg(long, value_name = "SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(20..=3_600))]
    pub phase: u64,
    /// Run a sample of seeds twice and fail on any trace difference, naming the first.
    #[arg(long)]
    pub check_determinism: bool,
    /// Shrink the first failing seed of each signature to the smallest scenario file that
    /// still fails the same way (written under `--out`, or beside the sweep's temp folder).
    #[arg(long)]
    pub shrink: bool,
}

/// Runs the command.
pub(super) fn execute(args: &Args) -> Outcome {
    let plan = match plan(args) {
        Ok(plan) => plan,
        Err(message) => {
            out::eprint(&message);
            return Outcome::BadInput;
        }
    };
    let swept = sweep::sweep(&plan);
    let report = &swept.report;
    let json = || {
        serde_json::to_string_pretty(report).map(|mut t| {
            t.push('\n');
            t
        })
    };
    let text = match args.format {
        SweepFormat::Human => summary::human(report, super::colour()),
        SweepFormat::Json => match json() {
            Ok(t) => t,
            Err(e) => {
                out::eprint(&format!("hapair: cannot write the report: {e}\n"));
                return Outcome::Internal;
            }
        },
        SweepFormat::Junit => summary::junit(report),
    };
    let printed = out::print(&text);
    let mut unwritten = swept.unwritten.clone();
    if let Some(dir) = &args.out {
        let written = json()
            .map_err(std::io::Error::other)
            .and_then(|j| std::fs::write(dir.join("sweep.json"), j))
            .and_then(|()| std::fs::write(dir.join("junit.xml"), summary::junit(report)));
        if let Err(e) = written {
            unwritten.push(format!("{}: {e}", dir.display()));
        }
    }
    if let Some(first) = unwritten.first() {
        out::eprint(&format!("hapair: cannot write the artefacts: {first}\n"));
        return Outcome::Internal;
    }
    if let Err(outcome) = printed {
        return outcome;
    }
    if report.runs.iter().any(|r| {
        r.error
            .as_deref()
            .is_some_and(|e| e.starts_with("internal error"))
    }) {
        Outcome::Internal
    } else if summary::held(report) {
        Outcome::Held
    } else {
        Outcome::Failed
    }
}

/// The sweep the arguments ask for, every scenario file loaded once to check it.
///
/// # Errors
/// What is wrong with the input, in words for stderr (exit 2).
fn plan(args: &Args) -> Result<Plan, String> {
    let files = runner::discover(&args.paths)
        .map(|f| runner::matching(f, args.filter.as_deref()))
        .map_err(|e| format!("hapair: {e}\n"))?;
    if files.is_empty() {
        return Err("hapair: no scenario files to sweep\n".into());
    }
    for path in &files {
        if let Err(e) = scenario::load(path) {
            let mut message = format!("hapair: cannot sweep {}: {e}\n", path.display());
            let invalid = match e {
                scenario::LoadError::Invalid(i)
                | scenario::LoadError::Topology {
                    source: crate::topology::LoadError::Invalid(i),
                    ..
                } => Some(i),
                _ => None,
            };
            if let Some(i) = invalid {
                message.push_str(&crate::report::human::check(
                    &[crate::report::FileOutcome::Invalid {
                        source: i.source_file,
                        problems: i.problems,
                    }],
                    super::colour(),
                ));
            }
            return Err(message);
        }
    }
    if let Some(dir) = &args.out {
        runner::artefacts::prepare(dir)
            .map_err(|e| format!("hapair: --out {}: {e}\n", dir.display()))?;
    }
    Ok(Plan {
        shard: args.shard,
        kinds: args.faults.clone(),
        intensity: args.intensity,
        phase: Duration::from_secs(args.phase),
        workers: args.jobs.unwrap_or_else(runner::pool::default_workers),
        wall_limit: Duration::from_secs(args.timeout),
        progress: std::io::stderr().is_terminal(),
        out: args.out.clone(),
        check_determinism: args.check_determinism,
        ..Plan::new(files, args.start, args.seeds)
    })
}
