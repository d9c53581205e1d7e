//! Shrinking (Step 10): a failing seed of a sweep reduced to the smallest scenario that still
//! fails with the same [`Signature`], written as a standalone scenario file (every fault an
//! explicit step, no seed-drawn fault left, the seed pinned) with its replay command.
//!
//! The reduction ([`reduce`]) removes whole drawn faults first (each with its lifting step, by
//! delta debugging), then single steps (the scenario's own, and liftings the liveness phase
//! can do instead; an expectation timed after a removed step's label goes with it), then the
//! expectations the signature does not name, and last simplifies what is left: traffic
//! slower, faults earlier and shorter, latency, loss and skew smaller, the run shorter. Every
//! candidate is run on the same seed and kept only while its signature is the one wanted.
//! Runs are bounded; the same input gives the same output.
//!
//! This module only decides and writes; drawing the schedule and the command line belong to
//! `crate::sweep` and `crate::cli`.

mod case;
mod file;
mod judge;
mod reduce;
mod swept;
#[cfg(test)]
mod tests;

use std::time::Duration;

pub use case::{Case, Unit};
pub use file::{Written, summary, write};
pub use reduce::{Pass, Progress};
pub use swept::shrink_sweep;

use crate::sweep::error_words;
use judge::judge;

use crate::execute::execute_limited;
use crate::scenario::{Scenario, WriteError};
use crate::sweep::{Schedule, Signature, signature};

/// How far shrinking may go.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Most runs, the first (the reproduction) included (`--max-runs`).
    pub max_runs: usize,
    /// Wall-clock limit of one run.
    pub wall_limit: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_runs: MAX_RUNS,
            wall_limit: crate::sim::WALL_LIMIT,
        }
    }
}

/// Runs a shrink may take when not told (`--max-runs`).
pub const MAX_RUNS: usize = 200;

/// A shrunk reproduction.
pub struct Shrunk {
    /// The reduced scenario, standalone: the drawn faults that remain are steps of its own,
    /// its seed is the failing one, its run long enough for them, the liveness phase on.
    pub scenario: Scenario,
    /// The failure it keeps.
    pub signature: Signature,
    /// The seed.
    pub seed: u64,
    /// Runs it took, the reproduction included.
    pub runs: usize,
    /// Steps before shrinking: the scenario's own and the drawn ones.
    pub steps_before: usize,
    /// Whether the run budget ran out before every pass was done.
    pub exhausted: bool,
}

/// Why a shrink could not be done.
#[derive(Debug, thiserror::Error)]
pub enum ShrinkError {
    /// The seed does not fail the way the sweep saw (or no longer fails at all).
    #[error("seed {seed} does not reproduce `{want}`: the run {got}")]
    NotReproduced {
        /// The seed.
        seed: u64,
        /// The signature the shrink was asked to keep.
        want: Signature,
        /// What the run gave instead, in words.
        got: String,
    },
    /// The reduced scenario has no file form.
    #[error("cannot write the reduced scenario: {0}")]
    Write(#[from] WriteError),
    /// The file or its folder could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The path.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Shrinks seed `seed` of `s` under the drawn `schedule`, keeping the failure `want` (as the
/// sweep judged it); `progress` hears after every run. A candidate is kept only when it fails
/// with `want` both as the sweep judges a seed and as `hapair run` judges the written file.
///
/// # Errors
/// [`ShrinkError::NotReproduced`] when the seed, run as the sweep ran it, does not fail with
/// `want`.
pub fn shrink(
    s: &Scenario,
    seed: u64,
    schedule: &Schedule,
    want: &Signature,
    options: &Options,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Shrunk, ShrinkError> {
    let case = Case::new(s, schedule);
    let steps_before = case.step_count();
    let first = loadable(&case, s, seed).map(|l| judge(&case, &l, seed, options.wall_limit));
    let first = match first {
        Ok(j) if j.swept.as_ref() == Some(want) => j,
        other => {
            return Err(ShrinkError::NotReproduced {
                seed,
                want: want.clone(),
                got: match other {
                    Err(e) => format!("cannot be written as a scenario that loads: {e}"),
                    Ok(j) => j
                        .swept
                        .map_or_else(|| "passed".to_string(), |g| format!("failed with `{g}`")),
                },
            });
        }
    };
    let probe = Rerun {
        base: s,
        seed,
        want,
        wall_limit: options.wall_limit,
    };
    let mut reducer = reduce::Reducer::new(probe, want, options.max_runs, progress);
    // The reproduction above is the first run.
    reducer.count_run();
    // The file judges the scenario's own expectations over the whole run, the sweep over its
    // own run only: when that makes them differ, the expectations the signature does not name
    // go first.
    let case = reducer.reduce(case, first.written.as_ref() != Some(want));
    let mut runs = reducer.runs();
    let exhausted = reducer.exhausted();
    let mut scenario = case.scenario(s, seed);
    // A sweep does not fail a drawn step that hits nothing; `hapair run` fails every step that
    // does, unless `faults-take-effect` is off. When a drawn step left in hits nothing, and
    // the signature is not about steps taking effect, the file turns that check off.
    let strict = loadable(&case, s, seed)
        .ok()
        .and_then(|l| judge(&case, &l, seed, options.wall_limit).strict);
    runs = runs.saturating_add(1);
    let about_effects = want.0.iter().any(|f| f.what.ends_with(" took effect"));
    if strict.as_ref() != Some(want) && !about_effects {
        scenario.invariants.faults_effective = false;
    }
    Ok(Shrunk {
        scenario,
        signature: want.clone(),
        seed,
        runs,
        steps_before,
        exhausted,
    })
}

/// The signature of seed `seed` of `s` under `schedule`, exactly as a sweep judges it
/// ([`crate::sweep::run_one`], drawn steps that hit nothing left out): `None` when the seed
/// passes.
pub fn swept_signature(
    s: &Scenario,
    seed: u64,
    schedule: &Schedule,
    wall_limit: Duration,
) -> Option<Signature> {
    let run = crate::runner::isolated(&s.source.path, || {
        crate::sweep::run_one(s, seed, schedule, wall_limit)
    });
    match run {
        Ok(Ok(mut outcome)) => {
            crate::sweep::coverage::take_drawn_effects(&mut outcome.verdicts, schedule);
            signature(&outcome)
        }
        Ok(Err(e)) => Some(Signature::error(error_words(&e.to_string()))),
        Err(panic) => Some(Signature::error(format!("internal error: {panic}"))),
    }
}

/// The signature of the scenario `s` run on `seed` as `hapair run` judges it (every verdict):
/// `None` when it passes.
pub fn signature_of(s: &Scenario, seed: u64, wall_limit: Duration) -> Option<Signature> {
    let run = crate::runner::isolated(&s.source.path, || {
        execute_limited(s, seed, true, wall_limit)
    });
    match run {
        Ok(Ok(outcome)) => signature(&outcome),
        Ok(Err(e)) => Some(Signature::error(error_words(&e.to_string()))),
        Err(panic) => Some(Signature::error(format!("internal error: {panic}"))),
    }
}

/// `case` on `base` as the file it would be written as, loaded back: the scenario a shrink
/// runs, so that what it keeps is what the written file does. The liveness phase stays on
/// (as in a sweep) when the file form does not carry it.
///
/// # Errors
/// Why the loader refuses it (a step removed that an expectation needs, a run too short).
fn loadable(case: &Case, base: &Scenario, seed: u64) -> Result<Scenario, String> {
    let s = case.scenario(base, seed);
    let text = crate::scenario::to_toml(&s).map_err(|e| e.to_string())?;
    let source = crate::diag::Source::new(base.source.path.clone(), text);
    let mut back =
        crate::scenario::parse(source, &crate::topology::load).map_err(|e| e.to_string())?;
    if back.liveness.is_none() {
        back.liveness = s.liveness;
    }
    Ok(back)
}

/// The probe of a real shrink: the candidate run on the failing seed.
struct Rerun<'a> {
    base: &'a Scenario,
    seed: u64,
    want: &'a Signature,
    wall_limit: Duration,
}

impl reduce::Probe for Rerun<'_> {
    fn holds(&mut self, case: &Case) -> Option<bool> {
        let s = loadable(case, self.base, self.seed).ok()?;
        let j = judge(case, &s, self.seed, self.wall_limit);
        Some(j.swept.as_ref() == Some(self.want) && j.written.as_ref() == Some(self.want))
    }
}
