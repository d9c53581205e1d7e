//! Running a sweep ([`sweep`]): every scenario file under every seed of the range that the
//! shard takes, over a number of workers ([`crate::runner::pool::stream_with`]), each run
//! isolated and stopped at the wall-clock limit. Each run is reduced at once to its
//! [`SeedRun`] and [`Coverage`] on the worker that ran it (its trace and verdicts are dropped
//! there, or written under `--out` first when it failed): memory stays flat over 100,000
//! seeds.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::artefacts;
use super::coverage;
use super::determinism;
use super::draw;
use super::report::{Coverage, Determinism, FORMAT, SeedRun, SweepReport, Timing};
use super::{FaultKind, Intensity, Schedule, Shard, Signature, run_one, signature};
use crate::runner::{isolated, pool};
use crate::scenario::{self, Scenario};

/// What a sweep runs, and how.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The scenario files, sorted.
    pub files: Vec<PathBuf>,
    /// The first seed (`--start`).
    pub start: u64,
    /// How many seeds (`--seeds`).
    pub seeds: u64,
    /// The shard this machine runs (`--shard`).
    pub shard: Option<Shard>,
    /// The fault kinds seeds draw from (empty: all).
    pub kinds: Vec<FaultKind>,
    /// `--intensity`.
    pub intensity: Intensity,
    /// How long the fault phase lasts.
    pub phase: Duration,
    /// Runs done at once.
    pub workers: usize,
    /// Wall-clock limit of one run.
    pub wall_limit: Duration,
    /// Whether to show a progress bar on stderr.
    pub progress: bool,
    /// `--out DIR`: failing seeds' artefacts go under it.
    pub out: Option<PathBuf>,
    /// `--check-determinism`.
    pub check_determinism: bool,
}

impl Plan {
    /// A plan for `files` over seeds `start..start + seeds`, all fault kinds, medium
    /// intensity, the default phase, one worker per core, no progress bar, no artefacts.
    pub fn new(files: Vec<PathBuf>, start: u64, seeds: u64) -> Plan {
        Plan {
            files,
            start,
            seeds,
            shard: None,
            kinds: Vec::new(),
            intensity: Intensity::Medium,
            phase: draw::PHASE,
            workers: pool::default_workers(),
            wall_limit: crate::sim::WALL_LIMIT,
            progress: false,
            out: None,
            check_determinism: false,
        }
    }

    /// The command that replays seed `seed` of the scenario at `path`: the same schedule, the
    /// same run.
    pub fn replay(&self, path: &Path, seed: u64) -> String {
        let mut out = format!("hapair sweep {} --start {seed} --seeds 1", path.display());
        let all: Vec<FaultKind> = FaultKind::ALL.to_vec();
        let mut kinds = self.kinds.clone();
        kinds.sort();
        kinds.dedup();
        if !kinds.is_empty() && kinds != all {
            let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
            out.push_str(&format!(" --faults {}", names.join(",")));
        }
        if self.intensity != Intensity::Medium {
            out.push_str(&format!(" --intensity {}", self.intensity.name()));
        }
        if self.phase != draw::PHASE {
            out.push_str(&format!(" --phase {}", self.phase.as_secs()));
        }
        out
    }
}

/// A sweep's report, and the artefacts that could not be written.
pub struct Swept {
    /// The `hapair.sweep/1` report.
    pub report: SweepReport,
    /// Each artefact of a failing seed that could not be written, in words.
    pub unwritten: Vec<String>,
}

/// One scenario file as the workers see it.
struct File {
    path: PathBuf,
    /// Its folder under `--out`.
    folder: Option<PathBuf>,
}

/// What a worker hands back for one run.
struct Reduced {
    run: SeedRun,
    coverage: Coverage,
    determinism: Option<Determinism>,
    unwritten: Option<String>,
}

/// Runs the sweep `plan` describes.
pub fn sweep(plan: &Plan) -> Swept {
    let started = Instant::now();
    let paths: Vec<&Path> = plan.files.iter().map(PathBuf::as_path).collect();
    let folders = crate::runner::artefacts::folders(&paths);
    let files: Vec<File> = plan
        .files
        .iter()
        .zip(folders)
        .map(|(path, name)| File {
            path: path.clone(),
            folder: plan.out.as_ref().map(|o| o.join(name)),
        })
        .collect();
    let items: Vec<(usize, u64)> = (0..files.len())
        .flat_map(|f| {
            (0..plan.seeds)
                .filter(|offset| plan.shard.is_none_or(|s| s.takes(*offset)))
                .map(move |offset| (f, offset))
        })
        .collect();
    let bar = progress_bar(plan.progress, items.len());
    let mut runs = Vec::with_capacity(items.len());
    let mut total = Coverage::default();
    let mut checked = Vec::new();
    let mut unwritten = Vec::new();
    let mut failures = 0_u64;
    pool::stream_with(
        &items,
        plan.workers,
        Vec::<Option<Result<Scenario, String>>>::new,
        |loaded, _, &(f, offset)| {
            let file = files.get(f)?;
            if loaded.len() <= f {
                loaded.resize_with(f.saturating_add(1), || None);
            }
            let s = loaded.get_mut(f)?.get_or_insert_with(|| {
                scenario::load(&file.path).map_err(|e| format!("{}: {e}", file.path.display()))
            });
            Some(one(plan, file, s.as_ref(), offset))
        },
        |_, reduced| {
            let Some(r) = reduced else { return };
            total.add(&r.coverage);
            if !r.run.passed {
                failures = failures.saturating_add(1);
            }
            checked.extend(r.determinism);
            unwritten.extend(r.unwritten);
            runs.push(r.run);
            if let Some(bar) = &bar {
                if started.elapsed() >= Duration::from_secs(1) && bar.is_hidden() {
                    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                }
                let rate = runs.len() as f64 / started.elapsed().as_secs_f64().max(1e-9);
                bar.set_message(format!("{rate:.1} seeds/s, {failures} failed"));
                bar.inc(1);
            }
        },
    );
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let wall = started.elapsed().as_secs_f64();
    let mut kinds = plan.kinds.clone();
    kinds.sort();
    kinds.dedup();
    let report = SweepReport {
        format: FORMAT.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        faults: if kinds.is_empty() {
            FaultKind::ALL.to_vec()
        } else {
            kinds
        },
        intensity: plan.intensity,
        start: plan.start,
        seeds: plan.seeds,
        shard: plan.shard,
        timing: Timing {
            wall_secs: wall,
            seeds_per_sec: runs.len() as f64 / wall.max(1e-9),
            jobs: plan.workers,
        },
        runs,
        coverage: total,
        determinism: checked,
    };
    Swept { report, unwritten }
}

/// A progress bar over `len` runs, hidden until the sweep has taken a second.
fn progress_bar(wanted: bool, len: usize) -> Option<indicatif::ProgressBar> {
    (wanted && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(len as u64),
            indicatif::ProgressDrawTarget::hidden(),
        );
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {pos}/{len} {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    })
}

/// Runs one seed of one file and reduces it.
fn one(plan: &Plan, file: &File, s: Result<&Scenario, &String>, offset: u64) -> Reduced {
    let seed = plan.start.wrapping_add(offset);
    let mut run = SeedRun {
        scenario: file.path.display().to_string(),
        name: String::new(),
        seed,
        passed: false,
        signature: None,
        digest: None,
        schedule: Vec::new(),
        error: None,
        replay: plan.replay(&file.path, seed),
        shrunk: None,
    };
    let s = match s {
        Ok(s) => s,
        Err(e) => {
            run.signature = Some(Signature::error(format!("the scenario did not load: {e}")));
            run.error = Some(e.clone());
            return Reduced {
                run,
                coverage: Coverage::default(),
                determinism: None,
                unwritten: None,
            };
        }
    };
    run.name = s.name.clone();
    let schedule = draw::draw_for(s, seed, &plan.kinds, plan.intensity, plan.phase);
    let mut outcome = match attempt(plan, file, s, seed, &schedule) {
        Ok(outcome) => outcome,
        Err(e) => {
            run.signature = Some(Signature::error(error_words(&e)));
            run.error = Some(e);
            run.schedule = schedule.lines();
            return Reduced {
                run,
                coverage: Coverage {
                    runs: 1,
                    ..Coverage::default()
                },
                determinism: None,
                unwritten: None,
            };
        }
    };
    let (effects, drawn_missed) = coverage::take_drawn_effects(&mut outcome.verdicts, &schedule);
    let coverage = coverage::of_run(&outcome, &schedule, &effects);
    run.signature = signature(&outcome);
    run.passed = run.signature.is_none();
    run.digest = Some(outcome.trace.digest());
    let mut unwritten = None;
    if !run.passed {
        run.schedule = schedule.lines();
        if let Some(folder) = &file.folder {
            let dir = folder.join(format!("seed-{seed}"));
            if let Err(e) = artefacts::write_seed(&dir, s, seed, &schedule, &outcome, drawn_missed)
            {
                unwritten = Some(format!("{}: {e}", dir.display()));
            }
        }
    }
    let determinism =
        (plan.check_determinism && determinism::sampled(offset, plan.seeds)).then(|| {
            // Fresh keys for the second run, so that the check also shows the trace does not
            // depend on key bytes (the runs of a thread otherwise share one material).
            crate::execute::forget_material();
            let again = attempt(plan, file, s, seed, &schedule);
            let first_difference = match &again {
                Ok(b) => determinism::first_difference(&outcome.trace, &b.trace),
                Err(e) => Some(format!("the second run gave no trace: {e}")),
            };
            Determinism {
                scenario: run.scenario.clone(),
                seed,
                same: first_difference.is_none(),
                first_difference,
            }
        });
    Reduced {
        run,
        coverage,
        determinism,
        unwritten,
    }
}

/// One isolated run of `s` with `schedule` under `seed`: its outcome, or why there is none.
fn attempt(
    plan: &Plan,
    file: &File,
    s: &Scenario,
    seed: u64,
    schedule: &Schedule,
) -> Result<crate::execute::Outcome, String> {
    match isolated(&file.path, || run_one(s, seed, schedule, plan.wall_limit)) {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(e)) => Err(e.to_string()),
        Err(panic) => Err(format!("internal error: {panic}")),
    }
}

/// An error's words without what differs from seed to seed (the wall time a stopped run
/// took), so that seeds that fail alike share a signature.
pub(crate) fn error_words(e: &str) -> String {
    if e.starts_with("stopped after") {
        "stopped by the wall-clock limit".to_string()
    } else {
        e.to_string()
    }
}
