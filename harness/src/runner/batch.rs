//! A batch: a list of jobs (scenario file, seed) run over a number of workers, each job
//! isolated, the reports streamed back in job order; and the grouping of those reports per
//! scenario file that `hapair run` reports.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::artefacts;
use super::job::{self, Job, JobReport, JobResult, Loaded, Seed};
use super::pool;
use super::progress::Progress;
use crate::report::FileOutcome;
use crate::report::run::FileResult;
use crate::shard::Shard;

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
    /// `--out DIR`: each run keeps its IDBs under it ([`artefacts::idb_dir`]); without it
    /// they go in a temporary folder.
    pub out: Option<PathBuf>,
    /// `--live`: run on real sockets and timers ([`crate::live`]) instead of the simulator;
    /// a scenario marked simulation-only is skipped.
    pub live: Option<crate::live::Options>,
}

impl Batch {
    /// Every file under every seed of `seeds`, file by file; one worker per core, the
    /// simulator's own wall-clock limit, no progress bar.
    pub fn of_files(files: &[PathBuf], seeds: &Seeds) -> Batch {
        Batch::of_shard(files, seeds, None)
    }

    /// [`Batch::of_files`] keeping only `shard`'s seeds (all with `None`): seeds are dealt by
    /// their offset in `seeds` (the own seed + k, or the k-th seed given), as `hapair sweep`
    /// deals them, so that the shards cover every file's seeds once whatever `--filter` kept.
    pub fn of_shard(files: &[PathBuf], seeds: &Seeds, shard: Option<Shard>) -> Batch {
        let all: Vec<Seed> = match seeds {
            Seeds::Own { count } => (0..(*count).max(1)).map(Seed::Own).collect(),
            Seeds::Given(list) => list.iter().copied().map(Seed::Given).collect(),
        };
        let each: Vec<Seed> = (0_u64..)
            .zip(all)
            .filter(|(offset, _)| shard.is_none_or(|s| s.takes(*offset)))
            .map(|(_, seed)| seed)
            .collect();
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
            out: None,
            live: None,
        }
    }
}

/// Runs every job of `batch`, each isolated (a panic or an error ends only that job), and
/// hands each report to `done` on the calling thread in job order, as soon as it and every
/// job before it are done. A job is not run ([`JobResult::Skipped`]) once an earlier job of
/// the same file has failed: it would fail alike, and a run stopped by the wall-clock limit
/// should not cost that limit once per seed.
///
/// With one worker the jobs run one after the other, in order. With more, a job after a
/// failure may have run before the failure came; [`run_files`] drops its report, so that
/// its results do not depend on `batch.workers`.
pub fn run(batch: &Batch, mut done: impl FnMut(&Job, JobReport)) {
    let files = of_jobs(&batch.jobs, batch.out.as_deref());
    let progress = Progress::new(
        batch.progress,
        files.iter().filter(|(_, f)| f.first).count(),
    );
    pool::stream_with(
        &files,
        batch.workers,
        || -> Loaded { None },
        |loaded, i, (job, file)| {
            let report = if file.shared.first_failure.load(Ordering::Relaxed) < i {
                JobReport::skipped(job)
            } else {
                job::execute(
                    loaded,
                    job,
                    batch.wall_limit,
                    batch.live,
                    file.folder.as_deref(),
                )
            };
            if matches!(report.result, JobResult::Failed(_)) {
                file.shared.first_failure.fetch_min(i, Ordering::Relaxed);
            }
            if file.shared.left.fetch_sub(1, Ordering::Relaxed) == 1 {
                progress.finished(&job.path);
            }
            report
        },
        |(job, _), report| done(job, report),
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

/// What the workers share about the jobs of one file.
struct Shared {
    /// The first job of the file that failed (`usize::MAX`: none yet).
    first_failure: AtomicUsize,
    /// The file's jobs not yet done.
    left: AtomicUsize,
}

/// A job's file as the workers see it.
struct FileOfJob {
    /// Whether this is the file's first job.
    first: bool,
    /// Shared with the file's other jobs.
    shared: Arc<Shared>,
    /// Its folder under `--out`, when there is one.
    folder: Option<PathBuf>,
}

/// Each job with its file's shared state and its folder under `out`.
fn of_jobs<'j>(jobs: &'j [Job], out: Option<&Path>) -> Vec<(&'j Job, FileOfJob)> {
    let mut files: HashMap<&Path, Arc<Shared>> = HashMap::new();
    let folders = out.map(|out| {
        let mut paths: Vec<&Path> = Vec::new();
        for job in jobs {
            if !paths.contains(&job.path.as_path()) {
                paths.push(&job.path);
            }
        }
        let names = artefacts::folders(&paths);
        paths
            .into_iter()
            .zip(names)
            .map(|(p, name)| (p, out.join(name)))
            .collect::<HashMap<&Path, PathBuf>>()
    });
    jobs.iter()
        .map(|job| {
            let mut first = false;
            let shared = files.entry(job.path.as_path()).or_insert_with(|| {
                first = true;
                Arc::new(Shared {
                    first_failure: AtomicUsize::new(usize::MAX),
                    left: AtomicUsize::new(0),
                })
            });
            shared.left.fetch_add(1, Ordering::Relaxed);
            let shared = Arc::clone(shared);
            let folder = folders
                .as_ref()
                .and_then(|f| f.get(job.path.as_path()).cloned());
            (
                job,
                FileOfJob {
                    first,
                    shared,
                    folder,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scenario of the shipped T-Server pair: traffic, a crash of the primary at 5 s.
    fn scenario(dir: &Path, name: &str) -> PathBuf {
        let topology =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/topologies/tserver-pair.toml");
        let path = dir.join(format!("{name}.toml"));
        let text = format!(
            "name = \"{name}\"\ntopology = \"{}\"\nclock = 2026-06-01T08:00:00Z\nseed = 3\n\
             duration = \"20s\"\n\
             [[step]]\nat = \"0s\"\ntraffic = {{ from = \"desk\", rate = \"10/s\" }}\n\
             [[step]]\nat = \"5s\"\ncrash = \"ts_primary\"\nlabel = \"crash\"\n\
             [[expect]]\nrole = {{ app = \"ts_backup\", is = \"primary\" }}\nafter = \"crash\"\n\
             within = \"2s\"\n",
            topology.display()
        );
        std::fs::write(&path, text).expect("scenario written");
        path
    }

    /// What a file's result says, comparable across runs.
    fn summary(results: &[FileResult]) -> Vec<String> {
        results
            .iter()
            .map(|f| {
                let runs: Vec<String> = f
                    .runs
                    .iter()
                    .map(|r| format!("{}:{}:{}", r.seed, r.passed(), r.trace.digest()))
                    .collect();
                format!("{} {} {runs:?} {:?}", f.path.display(), f.name, f.error)
            })
            .collect()
    }

    #[test]
    fn results_are_per_file_in_order_and_the_same_on_any_number_of_workers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let good = scenario(dir.path(), "good");
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "name = 1\n").expect("written");
        let files = [good.clone(), bad.clone()];
        let mut batch = Batch::of_files(&files, &Seeds::Own { count: 3 });
        let mut runs = Vec::new();
        for workers in [1, 4] {
            batch.workers = workers;
            let mut invalid = Vec::new();
            let results = run_files(&batch, |i| invalid.push(format!("{i:?}")));
            assert_eq!(
                invalid.len(),
                1,
                "the bad file's problems are handed on once"
            );
            runs.push(summary(&results));
            let [g, b] = &results[..] else {
                panic!("two files: {:?}", summary(&results))
            };
            assert_eq!((g.name.as_str(), g.error.as_ref()), ("good", None));
            let seeds: Vec<u64> = g.runs.iter().map(|r| r.seed).collect();
            assert_eq!(seeds, [3, 4, 5], "its own seed and the two after it");
            assert!(g.passed());
            assert_eq!((b.name.as_str(), b.runs.len()), ("bad", 0));
            let (message, bad_input) = b.error.as_ref().expect("an error");
            assert!(
                message.starts_with("invalid scenario (") && *bad_input,
                "{message}"
            );
        }
        assert_eq!(runs[0], runs[1]);
    }

    #[test]
    fn shards_deal_seeds_by_offset_and_cover_them_once() {
        let files = [PathBuf::from("a.toml"), PathBuf::from("b.toml")];
        let jobs = |seeds: &Seeds, shard: Option<Shard>| -> Vec<(PathBuf, Seed)> {
            Batch::of_shard(&files, seeds, shard)
                .jobs
                .into_iter()
                .map(|j| (j.path, j.seed))
                .collect()
        };
        let own = Seeds::Own { count: 7 };
        let second = jobs(&own, Some(Shard { index: 2, of: 3 }));
        let want: Vec<(PathBuf, Seed)> = files
            .iter()
            .flat_map(|f| [1, 4].map(|k| (f.clone(), Seed::Own(k))))
            .collect();
        assert_eq!(second, want);
        let given = Seeds::Given(vec![40, 41, 42, 43, 44]);
        for seeds in [own, given] {
            let mut all: Vec<(PathBuf, Seed)> = (1..=3)
                .flat_map(|index| jobs(&seeds, Some(Shard { index, of: 3 })))
                .collect();
            all.sort_by_key(|(p, s)| (p.clone(), format!("{s:?}")));
            let mut whole = jobs(&seeds, None);
            whole.sort_by_key(|(p, s)| (p.clone(), format!("{s:?}")));
            assert_eq!(all, whole);
        }
        // More shards than seeds: the last ones run nothing.
        assert!(jobs(&Seeds::Given(vec![9]), Some(Shard { index: 2, of: 2 })).is_empty());
    }

    #[test]
    fn a_failed_run_stops_its_file_and_the_rest_goes_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = [scenario(dir.path(), "slow"), scenario(dir.path(), "fine")];
        let mut batch = Batch::of_files(&files, &Seeds::Given(vec![1, 2, 3]));
        batch.workers = 1;
        // No run ends within no time: every first run of a file is stopped.
        batch.wall_limit = Duration::ZERO;
        let mut seen = Vec::new();
        run(&batch, |job, report| {
            let what = match &report.result {
                JobResult::Ran(_) => "ran".to_string(),
                JobResult::Failed(f) => format!("failed {} {}", f.bad_input, f.message),
                JobResult::Skipped => "skipped".to_string(),
            };
            seen.push((job.path.clone(), report.seed, what));
        });
        assert_eq!(seen.len(), 6);
        for (i, (path, seed, what)) in seen.iter().enumerate() {
            assert_eq!((path, *seed), (&files[i / 3], Some(i as u64 % 3 + 1)));
            if i % 3 == 0 {
                assert!(what.starts_with("failed false stopped after 0s"), "{what}");
            } else {
                assert_eq!(what, "skipped");
            }
        }
        // With the limit lifted, the other file runs all its seeds.
        batch.wall_limit = crate::sim::WALL_LIMIT;
        batch.jobs.truncate(3);
        let results = run_files(&batch, |_| {});
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].runs.len(), 3);
    }
}
