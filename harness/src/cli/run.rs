//! `hapair run [PATH...]`: load scenario files (default `scenarios/`), run each under its
//! seeds on `--jobs` threads, report, and write per-scenario artefacts under `--out`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Outcome, colour, out};
use crate::report::run::{self, FileResult};
use crate::scenario::{self, LoadError};

/// Output formats of `hapair run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RunFormat {
    /// A line per scenario, detail on failure.
    Human,
    /// Versioned JSON (`hapair.run/1`).
    Json,
    /// JUnit XML.
    Junit,
}

/// Options of `hapair run`.
pub struct Options {
    /// Files or folders.
    pub paths: Vec<PathBuf>,
    /// Run every scenario with this seed instead of its own.
    pub seed: Option<u64>,
    /// Run every scenario with this many seeds (its own, then the next ones).
    pub seeds: u64,
    /// Only scenarios whose path or name contains this.
    pub filter: Option<String>,
    /// Output format.
    pub format: RunFormat,
    /// Where to write artefacts.
    pub out: Option<PathBuf>,
    /// Scenario files run at once.
    pub jobs: usize,
    /// Wall-clock limit of one scenario run.
    pub timeout: std::time::Duration,
}

/// Every scenario file under `paths`: `.toml` files outside `topologies/` folders.
fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out).map_err(|e| format!("{}: {e}", p.display()))?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(format!("{}: no such file or folder", p.display()));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Symbolic links to folders are not followed (a link loop would never end); links to files
/// are taken.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_symlink() && path.is_dir() {
            continue;
        }
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "topologies") {
                walk(&path, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Runs the command.
pub(super) fn execute(o: &Options) -> Outcome {
    let files = match collect(&o.paths) {
        Ok(f) => f,
        Err(e) => {
            out::eprint(&format!("hapair: {e}\n"));
            return Outcome::BadInput;
        }
    };
    let files: Vec<PathBuf> = files
        .into_iter()
        .filter(|f| {
            o.filter
                .as_ref()
                .is_none_or(|x| f.display().to_string().contains(x.as_str()))
        })
        .collect();
    if files.is_empty() {
        out::eprint("hapair: no scenario files to run\n");
        return Outcome::BadInput;
    }
    if let Some(dir) = &o.out {
        if let Err(e) = usable_out(dir) {
            out::eprint(&format!("hapair: --out {}: {e}\n", dir.display()));
            return Outcome::BadInput;
        }
    }
    quiet_panics();
    let results = run_all(&files, o);
    let _ = std::panic::take_hook();
    let text = match o.format {
        RunFormat::Human => run::human(&results, colour()),
        RunFormat::Json => run::json(&results),
        RunFormat::Junit => run::junit(&results),
    };
    let printed = out::print(&text);
    if let Some(dir) = &o.out {
        if let Err(e) = super::artefacts::write(dir, &results) {
            out::eprint(&format!("hapair: cannot write to {}: {e}\n", dir.display()));
            return Outcome::Internal;
        }
    }
    if let Err(outcome) = printed {
        return outcome;
    }
    if results
        .iter()
        .any(|r| r.error.as_ref().is_some_and(|(_, bad)| !bad))
    {
        Outcome::Internal
    } else if results.iter().any(|r| r.error.is_some()) {
        Outcome::BadInput
    } else if results.iter().all(FileResult::passed) {
        Outcome::Held
    } else {
        Outcome::Failed
    }
}

/// A progress bar on stderr for long runs watched on a terminal: it appears once the run has
/// taken a second, so short runs print nothing but their results.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    shown: std::sync::atomic::AtomicBool,
    started: std::time::Instant,
}

impl Progress {
    fn new(files: usize) -> Self {
        let watched = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        let bar = (watched && files > 1).then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(files as u64),
                indicatif::ProgressDrawTarget::hidden(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{elapsed:>4} [{bar:30}] {pos}/{len} {wide_msg}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        Self {
            bar,
            shown: std::sync::atomic::AtomicBool::new(false),
            started: std::time::Instant::now(),
        }
    }

    fn finished(&self, path: &Path) {
        let Some(bar) = &self.bar else { return };
        if self.started.elapsed() >= std::time::Duration::from_secs(1)
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        bar.set_message(path.display().to_string());
        bar.inc(1);
    }

    fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn run_all(files: &[PathBuf], o: &Options) -> Vec<FileResult> {
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<FileResult>>> =
        Mutex::new((0..files.len()).map(|_| None).collect());
    let progress = Progress::new(files.len());
    std::thread::scope(|scope| {
        for _ in 0..o.jobs.max(1).min(files.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { return };
                    let result = one(path, o);
                    if let Ok(mut s) = slots.lock() {
                        if let Some(slot) = s.get_mut(i) {
                            *slot = Some(result);
                        }
                    }
                    progress.finished(path);
                }
            });
        }
    });
    progress.clear();
    slots
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

fn one(path: &Path, o: &Options) -> FileResult {
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let mut result = FileResult {
        path: path.to_path_buf(),
        name: stem,
        runs: Vec::new(),
        error: None,
    };
    let s = match scenario::load(path) {
        Ok(s) => s,
        Err(e) => {
            result.error = Some((load_error(&e), true));
            return result;
        }
    };
    result.name = s.name.clone();
    let seeds: Vec<u64> = match o.seed {
        Some(seed) => vec![seed],
        None => (0..o.seeds.max(1))
            .map(|i| s.seed.wrapping_add(i))
            .collect(),
    };
    for seed in seeds {
        match isolated(path, || {
            scenario::run::execute_limited(&s, seed, true, o.timeout)
        }) {
            Ok(Ok(outcome)) => result.runs.push(outcome),
            Ok(Err(e)) => {
                result.error = Some((e.to_string(), e.is_bad_input()));
                break;
            }
            Err(panic) => {
                result.error = Some((
                    format!(
                        "internal error (seed {seed}): {panic}; the other scenarios ran on \
                         (please report it with: {})",
                        run::replay(path, seed)
                    ),
                    false,
                ));
                break;
            }
        }
    }
    result
}

/// Runs one scenario run so that a panic inside it (a defect of hapair's) becomes that
/// scenario's internal error instead of ending the whole run: the other scenarios' results
/// and artefacts are kept, and the run exits 3. `HAPAIR_TEST_PANIC=TEXT` makes the run of
/// every file whose path contains TEXT panic, so that tests can prove the isolation.
#[allow(clippy::panic)] // the test hook's whole purpose: a panic on request
fn isolated<T>(path: &Path, f: impl FnOnce() -> T) -> Result<T, String> {
    let inject = std::env::var("HAPAIR_TEST_PANIC")
        .ok()
        .filter(|t| !t.is_empty() && path.display().to_string().contains(t.as_str()));
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if inject.is_some() {
            panic!("HAPAIR_TEST_PANIC asked for a panic");
        }
        f()
    }))
    .map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_string());
        let place = PANIC_AT.with(|p| p.borrow_mut().take());
        match place {
            Some(at) => format!("panic at {at}: {what}"),
            None => format!("panic: {what}"),
        }
    })
}

thread_local! {
    /// Where the last panic on this thread happened (the hook records it; [`isolated`] reads).
    static PANIC_AT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Panics inside a scenario run are reported with that scenario, not printed by the default
/// hook in the middle of the results: the hook only notes where it happened.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        PANIC_AT.with(|p| *p.borrow_mut() = at);
    }));
}

/// A load error in words, with located problems rendered as `hapair check` renders them.
fn load_error(e: &LoadError) -> String {
    match e {
        LoadError::Invalid(invalid) => {
            let outcome = crate::report::FileOutcome::Invalid {
                source: invalid.source_file.clone(),
                problems: invalid.problems.clone(),
            };
            out::eprint(&crate::report::human::check(&[outcome], colour()));
            format!("invalid scenario {}", first_problem(invalid))
        }
        LoadError::Topology {
            source: crate::topology::LoadError::Invalid(invalid),
            ..
        } => {
            let outcome = crate::report::FileOutcome::Invalid {
                source: invalid.source_file.clone(),
                problems: invalid.problems.clone(),
            };
            out::eprint(&crate::report::human::check(&[outcome], colour()));
            format!("invalid topology {}", first_problem(invalid))
        }
        other => other.to_string(),
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

/// Checks, before anything runs, that `--out` is a folder hapair can write into (made if
/// missing): a file, `/dev/null` or a read-only place is bad input (exit 2), not a failure
/// after the run.
fn usable_out(dir: &Path) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    if dir.exists() && !dir.is_dir() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "it exists and is not a folder",
        ));
    }
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(".hapair-write-test");
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(&probe)
}
