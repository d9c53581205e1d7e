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
mod reduce;
#[cfg(test)]
mod tests;

use std::time::Duration;

pub use case::{Case, Unit};
pub use file::{Written, write};
pub use reduce::{Pass, Progress};

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

/// Shrinks seed `seed` of `s` under the drawn `schedule`, keeping the failure `want`;
/// `progress` hears after every run.
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
    let got = signature_of(&case.scenario(s, seed), seed, options.wall_limit);
    if got.as_ref() != Some(want) {
        return Err(ShrinkError::NotReproduced {
            seed,
            want: want.clone(),
            got: got.map_or_else(|| "passed".to_string(), |g| format!("failed with `{g}`")),
        });
    }
    let probe = Rerun {
        base: s,
        seed,
        want,
        wall_limit: options.wall_limit,
    };
    let mut reducer = reduce::Reducer::new(probe, want, options.max_runs, progress);
    // The reproduction above is the first run.
    reducer.count_run();
    let case = reducer.reduce(case);
    Ok(Shrunk {
        scenario: case.scenario(s, seed),
        signature: want.clone(),
        seed,
        runs: reducer.runs(),
        steps_before,
        exhausted: reducer.exhausted(),
    })
}

/// The signature of `s` run on `seed`: `None` when it passes; a run that gives no outcome
/// fails with [`Signature::error`], as in a sweep.
pub fn signature_of(s: &Scenario, seed: u64, wall_limit: Duration) -> Option<Signature> {
    match execute_limited(s, seed, true, wall_limit) {
        Ok(outcome) => signature(&outcome),
        Err(e) => Some(Signature::error(e.to_string())),
    }
}

/// The probe of a real shrink: the candidate run on the failing seed.
struct Rerun<'a> {
    base: &'a Scenario,
    seed: u64,
    want: &'a Signature,
    wall_limit: Duration,
}

impl reduce::Probe for Rerun<'_> {
    fn holds(&mut self, case: &Case) -> bool {
        let s = case.scenario(self.base, self.seed);
        signature_of(&s, self.seed, self.wall_limit).as_ref() == Some(self.want)
    }
}
