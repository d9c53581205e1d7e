//! One job of a batch: a scenario file under one seed, loaded, run in isolation under the
//! batch's wall-clock limit, and reported as an outcome or as the reason there is none.

use std::path::{Path, PathBuf};

use super::isolate::isolated;
use crate::execute::Outcome;
use crate::report::FileOutcome;
use crate::report::run::replay;
use crate::scenario::{self, LoadError, Scenario};

/// Which seed a job runs under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seed {
    /// The scenario's own seed plus this offset (`--seeds N` runs offsets 0 to N-1).
    Own(u64),
    /// This seed, whatever the scenario's own (`--seed`).
    Given(u64),
}

impl Seed {
    /// The seed itself, for a scenario whose own seed is `own`.
    pub fn resolve(self, own: u64) -> u64 {
        match self {
            Seed::Own(offset) => own.wrapping_add(offset),
            Seed::Given(seed) => seed,
        }
    }

    /// The seed, when it does not depend on the scenario.
    pub fn given(self) -> Option<u64> {
        match self {
            Seed::Own(_) => None,
            Seed::Given(seed) => Some(seed),
        }
    }
}

/// One run to do: a scenario file under a seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The scenario file.
    pub path: PathBuf,
    /// The seed.
    pub seed: Seed,
}

/// What one job gave.
pub struct JobReport {
    /// The scenario's name (its file stem when it did not load).
    pub name: String,
    /// The seed the job ran under (none when its scenario did not load and the job asked
    /// for the scenario's own).
    pub seed: Option<u64>,
    /// How the job ended.
    pub result: JobResult,
}

impl JobReport {
    /// The report of a job that was not run.
    pub(super) fn skipped(job: &Job) -> Self {
        JobReport {
            name: stem(&job.path),
            seed: job.seed.given(),
            result: JobResult::Skipped,
        }
    }
}

/// How one job ended.
pub enum JobResult {
    /// The run went to its end; its verdicts say whether the pair held.
    Ran(Box<Outcome>),
    /// The run could not be done: the scenario did not load, the run failed, panicked or hit
    /// the wall-clock limit.
    Failed(Failure),
    /// Not run: an earlier job of the same scenario file failed.
    Skipped,
}

/// Why a job gave no outcome.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong, in words for a report line.
    pub message: String,
    /// Whether the input is at fault (exit 2) rather than hapair (exit 3).
    pub bad_input: bool,
    /// The located problems of a scenario or topology that is not valid, for a renderer to
    /// show as `hapair check` does.
    pub invalid: Option<FileOutcome>,
}

/// The scenario a worker loaded last: the jobs of one file mostly follow each other, and a
/// loaded scenario cannot move between threads (its topology is shared through an `Rc`).
pub(super) type Loaded = Option<(PathBuf, Scenario)>;

/// Runs `job`, loading its scenario unless `loaded` holds it already; with `folder` (its
/// file's folder under `--out`), the run keeps its IDBs there; with `live`, it runs on the live engine.
pub(super) fn execute(
    loaded: &mut Loaded,
    job: &Job,
    wall_limit: std::time::Duration,
    live: Option<crate::live::Options>,
    folder: Option<&Path>,
) -> JobReport {
    let s: &Scenario = match loaded.take() {
        Some((path, s)) if path == job.path => &loaded.insert((path, s)).1,
        _ => match scenario::load(&job.path) {
            Ok(s) => &loaded.insert((job.path.clone(), s)).1,
            Err(e) => {
                return JobReport {
                    name: stem(&job.path),
                    seed: job.seed.given(),
                    result: JobResult::Failed(load_failure(e)),
                };
            }
        },
    };
    let seed = job.seed.resolve(s.seed);
    let idb_dir = folder.map(|f| super::artefacts::idb_dir(f, seed));
    let result = match isolated(&job.path, || {
        crate::execute::execute_on(s, seed, true, wall_limit, idb_dir.as_deref(), live)
    }) {
        Ok(Ok(outcome)) => JobResult::Ran(Box::new(outcome)),
        Ok(Err(e)) => JobResult::Failed(Failure {
            message: e.to_string(),
            bad_input: e.is_bad_input(),
            invalid: None,
        }),
        Err(panic) => JobResult::Failed(Failure {
            message: format!(
                "internal error (seed {seed}): {panic}; the other scenarios ran on (please \
                 report it with: {})",
                replay(&job.path, seed)
            ),
            bad_input: false,
            invalid: None,
        }),
    };
    JobReport {
        name: s.name.clone(),
        seed: Some(seed),
        result,
    }
}

/// The file stem, the name of a scenario that did not load.
fn stem(path: &Path) -> String {
    path.file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
}

/// A load error in words; a scenario or topology that is not valid also gives its located
/// problems.
fn load_failure(e: LoadError) -> Failure {
    let (message, invalid) = match e {
        LoadError::Invalid(invalid) => (
            format!("invalid scenario {}", first_problem(&invalid)),
            invalid,
        ),
        LoadError::Topology {
            source: crate::topology::LoadError::Invalid(invalid),
            ..
        } => (
            format!("invalid topology {}", first_problem(&invalid)),
            invalid,
        ),
        other => {
            return Failure {
                message: other.to_string(),
                bad_input: true,
                invalid: None,
            };
        }
    };
    Failure {
        message,
        bad_input: true,
        invalid: Some(FileOutcome::Invalid {
            source: invalid.source_file,
            problems: invalid.problems,
        }),
    }
}

/// `(N problem(s)); first: FILE:LINE:COL: MESSAGE`.
fn first_problem(invalid: &crate::diag::Invalid) -> String {
    let first = invalid.problems.first().map(|p| {
        let l = invalid.source_file.locate(p.span.start);
        format!(
            "{}:{}:{}: {}",
            invalid.source_file.path.display(),
            l.line,
            l.column,
            p.message
        )
    });
    format!(
        "({} problem(s)); first: {}",
        invalid.problems.len(),
        first.unwrap_or_default()
    )
}
