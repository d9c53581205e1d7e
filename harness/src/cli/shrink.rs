//! `hapair shrink SCENARIO --seed N`: one failing seed of a sweep reduced to the smallest
//! standalone scenario file that still fails with the same signature.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Outcome, out};
use crate::scenario::{self, Scenario};
use crate::shrink::{self, Options, Progress};
use crate::sweep::{FaultKind, Intensity, draw_for};

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
    /// The sweep's fault phase, in virtual seconds (as given to `hapair sweep`).
    #[arg(long, value_name = "SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub phase: u64,
    /// Where to write the reproduction (default: `<scenario>-seed-<N>-shrunk.toml` in the
    /// current folder).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Most runs the shrink may take (1 to 100000).
    #[arg(long, value_name = "N", default_value_t = shrink::MAX_RUNS as u64,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub max_runs: u64,
    /// Wall-clock seconds one run may take before it is stopped. 1 to 86400.
    #[arg(long, value_name = "SECS", default_value_t = 600,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
}

/// Runs the command: exit 1 when the seed fails and its reproduction is written (and replays
/// the failure), 0 when the seed passes (nothing to shrink), 2 for bad input, 3 when the
/// shrink could not be done or its file does not replay the failure.
pub(super) fn execute(args: &Args) -> Outcome {
    let s = match load(&args.scenario) {
        Ok(s) => s,
        Err(outcome) => return outcome,
    };
    let options = Options {
        max_runs: usize::try_from(args.max_runs).unwrap_or(usize::MAX),
        wall_limit: Duration::from_secs(args.timeout),
    };
    let phase = Duration::from_secs(args.phase);
    let schedule = draw_for(&s, args.seed, &args.faults, args.intensity, phase);
    let mut text = format!("seed {} draws:\n", args.seed);
    for line in schedule.lines() {
        text.push_str(&format!("  {line}\n"));
    }
    out::eprint(&text);
    let Some(want) = shrink::swept_signature(&s, args.seed, &schedule, options.wall_limit) else {
        return out::print_then(
            &format!(
                "{} seed {} passes: nothing to shrink\n",
                args.scenario.display(),
                args.seed
            ),
            Outcome::Held,
        );
    };
    out::eprint(&format!("it fails with: {want}\n"));
    let tty = std::io::stderr().is_terminal();
    let mut last = None;
    let mut hear = |p: &Progress| {
        if tty {
            out::eprint(&format!("\r\x1b[Kshrinking: {p}"));
        } else if last != Some((p.pass, p.steps)) {
            last = Some((p.pass, p.steps));
            out::eprint(&format!("shrinking: {p}\n"));
        }
    };
    let shrunk = shrink::shrink(&s, args.seed, &schedule, &want, &options, &mut hear);
    if tty {
        out::eprint("\r\x1b[K");
    }
    let shrunk = match shrunk {
        Ok(shrunk) => shrunk,
        Err(e) => {
            out::eprint(&format!("hapair: {e}\n"));
            return Outcome::Internal;
        }
    };
    let path = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.scenario, args.seed));
    match shrink::write(&shrunk, &args.scenario, &path, options.wall_limit) {
        Ok(written) => {
            let outcome = if written.reproduces(&want) {
                Outcome::Failed
            } else {
                Outcome::Internal
            };
            out::print_then(&shrink::summary(&shrunk, &written), outcome)
        }
        Err(e) => {
            out::eprint(&format!("hapair: {e}\n"));
            Outcome::Internal
        }
    }
}

/// `<scenario stem>-seed-<N>-shrunk.toml` in the current folder.
fn default_out(scenario: &Path, seed: u64) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
    PathBuf::from(format!("{stem}-seed-{seed}-shrunk.toml"))
}

/// The scenario, or its problems printed as `hapair check` prints them (exit 2).
fn load(path: &Path) -> Result<Scenario, Outcome> {
    scenario::load(path).map_err(|e| {
        let invalid = match e {
            scenario::LoadError::Invalid(i)
            | scenario::LoadError::Topology {
                source: crate::topology::LoadError::Invalid(i),
                ..
            } => i,
            other => {
                out::eprint(&format!("hapair: {other}\n"));
                return Outcome::BadInput;
            }
        };
        out::print_then(
            &crate::report::human::check(
                &[crate::report::FileOutcome::Invalid {
                    source: invalid.source_file,
                    problems: invalid.problems,
                }],
                super::colour(),
            ),
            Outcome::BadInput,
        )
    })
}
