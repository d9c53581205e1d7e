//! A batch: a list of jobs (scenario file, seed) run over a number of workers, each job
//! isolated, the reports streamed back in job order; and the grouping of those reports per
//! scenario file that `hapair run` reports.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::job::{self, Job, JobReport, JobResult, Loaded, Seed};
use super::pool;
use super::progress::Progress;
use crate::report::FileOutcome;
use crate::report::run::FileResult;

/// The seeds every scenario of a batch runs under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seeds {
    /// The scenario's own seed and the `count - 1` after it (`--seeds`; at least one).
    Own {
        /// How many.
        count: u64,
    },
    /// These seeds, whatever the scenario's own (`--seed`, or a test's range).
    Given(Vec<u64>),
}

/// Jobs to run, in the order their reports are wanted, and how to run them.
#[derive(Clone, Debug)]
pub struct Batch {
    /// The jobs. The jobs of one file need not follow each other, but [`run_files`] groups
    /// only those that do.
    pub jobs: Vec<Job>,
    /// Runs done at once (at least one is).
    pub workers: usize,
    /// Wall-clock time one run may take before it is stopped and reported as failed.
    pub wall_limit: Duration,
    /// Whether to show a progress bar on stderr (for a batch watched on a terminal).
    pub progress: bool,
}

impl Batch {
    /// Every file under every seed of `seeds`, file by file; one worker per core, the
    /// simulator's own wall-clock limit, no progress bar.
    pub fn of_files(files: &[PathBuf], seeds: &Seeds) -> Batch {
        let each: Vec<Seed> = match seeds {
            Seeds::Own { count } => (0..(*count).max(1)).map(Seed::Own).collect(),
            Seeds::Given(list) => list.iter().copied().map(Seed::Given).collect(),
        };
        let jobs = files
            .iter()
            .flat_map(|path| {
                each.iter().map(|&seed| Job {
                    path: path.clone(),
                    seed,
                })
            })
            .collect();
        Batch {
            jobs,
            workers: pool::default_workers(),
            wall_limit: crate::sim::WALL_LIMIT,
            progress: false,
        }
    }
}

/// Runs every job of `batch`, each isolated (a panic or an error ends only that job), and
/// hands each report to `done` on the calling thread in job order, as soon as it and every
/// job before it are done. A job is not run ([`JobResult::Skipped`]) once an earlier job of
/// the same file has failed: it would fail alike, and a run stopped by the wall-clock limit
/// should not cost that limit once per seed.
///
/// Reports do not depend on `batch.workers`: with one worker the jobs run one after the
/// other in order, and a job skipped then is skipped, or its report dropped by
/// [`run_files`], with more.
pub fn run(batch: &Batch, mut done: impl FnMut(&Job, JobReport)) {
    let files = Files::of(&batch.jobs);
    let progress = Progress::new(batch.progress, files.paths.len());
    pool::stream_with(
        &batch.jobs,
        batch.workers,
        || -> Loaded { None },
        |loaded, i, job| {
            let file = files.of_job[i];
            let report = if files.failed_before(file, i) {
                JobReport::skipped(job)
            } else {
                job::execute(loaded, job, batch.wall_limit)
            };
            if matches!(report.result, JobResult::Failed(_)) {
                files.first_failure[file].fetch_min(i, Ordering::Relaxed);
            }
            if files.left[file].fetch_sub(1, Ordering::Relaxed) == 1 {
                progress.finished(files.paths[file]);
            }
            report
        },
        |i, report| done(&batch.jobs[i], report),
    );
    progress.clear();
}

/// Runs `batch` ([`run`]) and gathers the reports per scenario file: the runs of each, up to
/// its first failure, which becomes the file's error. `invalid` sees, in file order, the
/// located problems of every file that is not a valid scenario (or whose topology is not
/// valid), for a renderer to show.
pub fn run_files(batch: &Batch, mut invalid: impl FnMut(&FileOutcome)) -> Vec<FileResult> {
    let mut results: Vec<FileResult> = Vec::new();
    run(batch, |job, report| {
        if results.last().is_none_or(|f| f.path != job.path) {
            results.push(FileResult {
                path: job.path.clone(),
                name: report.name,
                runs: Vec::new(),
                error: None,
            });
        }
        let Some(file) = results.last_mut() else {
            return;
        };
        if file.error.is_some() {
            return;
        }
        match report.result {
            JobResult::Ran(outcome) => file.runs.push(*outcome),
            JobResult::Failed(failure) => {
                if let Some(problems) = &failure.invalid {
                    invalid(problems);
                }
                file.error = Some((failure.message, failure.bad_input));
            }
            JobResult::Skipped => {}
        }
    });
    results
}

/// The files of a batch and what the workers share about them.
struct Files<'a> {
    /// Each distinct file, in the order of its first job.
    paths: Vec<&'a Path>,
    /// The file of each job (an index into `paths`).
    of_job: Vec<usize>,
    /// Per file, the first job that failed (`usize::MAX`: none yet).
    first_failure: Vec<AtomicUsize>,
    /// Per file, the jobs not yet done.
    left: Vec<AtomicUsize>,
}

impl<'a> Files<'a> {
    fn of(jobs: &'a [Job]) -> Self {
        let mut index: HashMap<&Path, usize> = HashMap::new();
        let mut paths = Vec::new();
        let mut counts: Vec<usize> = Vec::new();
        let of_job = jobs
            .iter()
            .map(|job| {
                let file = *index.entry(job.path.as_path()).or_insert_with(|| {
                    paths.push(job.path.as_path());
                    counts.push(0);
                    paths.len() - 1
                });
                counts[file] += 1;
                file
            })
            .collect();
        Files {
            first_failure: paths.iter().map(|_| AtomicUsize::new(usize::MAX)).collect(),
            left: counts.into_iter().map(AtomicUsize::new).collect(),
            paths,
            of_job,
        }
    }

    /// Whether a job of `file` before job `i` has failed.
    fn failed_before(&self, file: usize, i: usize) -> bool {
        self.first_failure[file].load(Ordering::Relaxed) < i
    }
}
