//! `hapair run [PATH...]`: the flags turned into a [`runner::Batch`], the batch run, its
//! results rendered, the artefacts of `--out` written, and the exit code chosen.

use std::io::IsTerminal;
use std::path::PathBuf;

use super::{Outcome, colour, out};
use crate::report::model::Model;
use crate::report::run::{self, FileResult};
use crate::runner::{self, Batch, Seeds, artefacts};
use crate::shard::Shard;

/// Output formats of `hapair run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RunFormat {
    /// A line per scenario, detail on failure.
    Human,
    /// Versioned JSON (`hapair.run/1`).
    Json,
    /// JUnit XML.
    Junit,
    /// One self-contained HTML file: per scenario a timeline, the TLS table, the findings.
    Html,
    /// A Markdown summary with a sequence diagram of each failing run, for a pull request.
    Md,
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
    /// Run only this shard's seeds (`--shard I/N`).
    pub shard: Option<Shard>,
    /// Where to write artefacts.
    pub out: Option<PathBuf>,
    /// Scenario runs done at once.
    pub jobs: usize,
    /// Wall-clock limit of one scenario run.
    pub timeout: std::time::Duration,
    /// `--live`: real sockets and timers instead of the simulator.
    pub live: Option<crate::live::Options>,
}

/// Runs the command.
pub(super) fn execute(o: &Options) -> Outcome {
    let files = match runner::discover(&o.paths) {
        Ok(files) => runner::matching(files, o.filter.as_deref()),
        Err(e) => {
            out::eprint(&format!("hapair: {e}\n"));
            return Outcome::BadInput;
        }
    };
    if files.is_empty() {
        out::eprint("hapair: no scenario files to run\n");
        return Outcome::BadInput;
    }
    let files = if o.live.is_some() {
        let live = live_files(files);
        if live.is_empty() {
            out::eprint("hapair: every scenario is simulation-only: nothing to run live\n");
            return Outcome::Held;
        }
        live
    } else {
        files
    };
    if let Some(dir) = &o.out {
        if let Err(e) = artefacts::prepare(dir) {
            out::eprint(&format!("hapair: --out {}: {e}\n", dir.display()));
            return Outcome::BadInput;
        }
    }
    let (seeds, count) = match o.seed {
        Some(seed) => (Seeds::Given(vec![seed]), 1),
        None => (Seeds::Own { count: o.seeds }, o.seeds),
    };
    let range = run::Range {
        seeds: Some(count),
        shard: o.shard,
    };
    let batch = Batch {
        workers: o.jobs,
        wall_limit: o.timeout,
        progress: std::io::stdout().is_terminal() && std::io::stderr().is_terminal(),
        out: o.out.clone(),
        live: o.live,
        ..Batch::of_shard(&files, &seeds, o.shard)
    };
    let results = runner::run_files(&batch, |invalid| {
        out::eprint(&crate::report::human::check(
            std::slice::from_ref(invalid),
            colour(),
        ));
    });
    // One PKI for every view of the run: the page and the folder show the same certificates.
    let tables = if o.out.is_some() || o.format == RunFormat::Html {
        crate::report::model::tls_tables(&results)
    } else {
        Vec::new()
    };
    let text = match o.format {
        RunFormat::Human => run::human(&results, colour()),
        RunFormat::Json => run::json_in(&results, range),
        RunFormat::Junit => crate::report::junit::junit_in(&results, count > 1),
        RunFormat::Html => {
            crate::report::html::render(&Model::of_results(&results, range, &tables))
        }
        RunFormat::Md => crate::report::md::render(&Model::of_results(&results, range, &tables)),
    };
    let printed = out::print(&text);
    if let Some(dir) = &o.out {
        if let Err(e) = artefacts::write(dir, &results, range, &tables) {
            out::eprint(&format!("hapair: cannot write to {}: {e}\n", dir.display()));
            return Outcome::Internal;
        }
    }
    if let Err(outcome) = printed {
        return outcome;
    }
    outcome(&results)
}

/// The files a live run runs: a scenario marked `simulation-only` is left out, its reason
/// printed (not a failure); a file that does not load stays, for the run to report.
fn live_files(files: Vec<PathBuf>) -> Vec<PathBuf> {
    out::eprint(
        "hapair: live run on real sockets and timers: one run per scenario, not deterministic \
         (a failure may not repeat; its seed replays only in the simulator)\n",
    );
    files
        .into_iter()
        .filter(|path| match crate::scenario::load(path) {
            Ok(s) => match &s.simulation_only {
                Some(reason) => {
                    out::eprint(&format!(
                        "hapair: skipped {} (simulation-only: {reason})\n",
                        path.display()
                    ));
                    false
                }
                None => true,
            },
            Err(_) => true,
        })
        .collect()
}

/// Exit 3 when hapair failed on a scenario, else 2 when one could not run for its input,
/// else 1 when one did not hold.
fn outcome(results: &[FileResult]) -> Outcome {
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
