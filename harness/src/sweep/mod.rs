//! Sweeps (Step 10): finding failures nobody wrote down. Per seed, a scenario's own steps, then
//! a fault schedule drawn from the seed (swarm style: the seed also picks which fault kinds are
//! on and how often), then the liveness phase; every expectation and invariant judged, the
//! failures grouped by [`Signature`], shrunk to the smallest scenario that still shows them
//! (`crate::shrink`), spread over machines by [`Shard`], and merged again (`hapair merge`).
//!
//! Groundwork (types every part shares): the fault kinds a sweep draws ([`FaultKind`]), the
//! intensity, a drawn [`Schedule`] and how it joins a scenario ([`with_schedule`]), one seed's
//! run ([`run_one`]), a failure's [`Signature`], and the `hapair.sweep/1` report
//! ([`report`]) that `hapair merge` reads back.
//!
//! Built on it: [`draw`] (a seed's schedule for a scenario: `draw(&scenario, seed, &kinds,
//! intensity)`, or [`draw_for`] with another phase length; the shrinker and `hapair sweep`
//! call it alike, and the same arguments always draw the same), [`sweep`] (a whole sweep as a
//! [`Plan`] describes it, reduced run by run into a [`report::SweepReport`]), [`coverage`],
//! the `--check-determinism` sample, the `--out` artefacts of a failing seed
//! ([`write_seed`], [`scenario_text`]) and the renderers ([`summary`]).

mod artefacts;
mod batch;
pub mod coverage;
mod determinism;
pub mod draw;
pub mod report;

mod signature;
pub mod summary;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use crate::shard::Shard;
pub use artefacts::{scenario_text, write_seed};
pub(crate) use batch::error_words;
pub use batch::{Plan, Swept, sweep};
pub use determinism::first_difference;
pub use draw::{PHASE, draw, draw_for};
pub use signature::{Failed, Signature, signature};

use crate::check::VerdictKind;
use crate::execute::{Outcome, RunError};
use crate::fault::Fault;
use crate::scenario::{Check, Liveness, Scenario, Step, Timing};

/// The kinds of fault a sweep draws (`--faults`).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// A server's process crashes, and is restarted later.
    Crash,
    /// A host powers off, and on again later.
    PowerOff,
    /// Two hosts are partitioned, and healed later.
    Partition,
    /// Messages between two hosts are held, and released later.
    Hold,
    /// A link gets latency, and loses it later.
    Latency,
    /// A link loses messages, and stops later.
    Loss,
    /// A host's clock is skewed, and set right later.
    ClockSkew,
    /// The operator orders a manual switchover.
    Switchover,
    /// A certificate is renewed by its own CA.
    Rotate,
}

impl FaultKind {
    /// Every kind, in the order `--faults` lists them.
    pub const ALL: [FaultKind; 9] = [
        FaultKind::Crash,
        FaultKind::PowerOff,
        FaultKind::Partition,
        FaultKind::Hold,
        FaultKind::Latency,
        FaultKind::Loss,
        FaultKind::ClockSkew,
        FaultKind::Switchover,
        FaultKind::Rotate,
    ];

    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Crash => "crash",
            FaultKind::PowerOff => "power-off",
            FaultKind::Partition => "partition",
            FaultKind::Hold => "hold",
            FaultKind::Latency => "latency",
            FaultKind::Loss => "loss",
            FaultKind::ClockSkew => "clock-skew",
            FaultKind::Switchover => "switchover",
            FaultKind::Rotate => "rotate",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How hard a sweep pushes (`--intensity`): how many faults a seed draws and how long they
/// last.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Intensity {
    /// A few faults, far apart.
    Low,
    /// The default.
    #[default]
    Medium,
    /// Many faults, overlapping.
    High,
}

impl Intensity {
    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Intensity::Low => "low",
            Intensity::Medium => "medium",
            Intensity::High => "high",
        }
    }
}

/// One drawn fault: when it starts, and the step that lifts it (a restart after a crash, a
/// heal after a partition), if it is lifted within the fault phase. A fault left active is
/// lifted by the liveness phase.
#[derive(Clone, Debug, PartialEq)]
pub struct Drawn {
    /// When it starts (from the run's t = 0).
    pub at: Duration,
    /// The fault.
    pub fault: Fault,
    /// When, and by which step, it is lifted.
    pub lifted: Option<(Duration, Fault)>,
}

/// The faults a seed draws for one scenario: which kinds the swarm turned on, and the faults
/// themselves in time order, all inside `[from, until)`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schedule {
    /// The fault kinds this seed turned on (a subset of `--faults`).
    pub kinds: Vec<FaultKind>,
    /// Where the fault phase starts: after the scenario's own run.
    pub from: Duration,
    /// Where it ends: the liveness phase lifts what is still active here.
    pub until: Duration,
    /// The faults.
    pub faults: Vec<Drawn>,
}

impl Schedule {
    /// The steps the schedule adds to a scenario, in time order (a fault, and later its
    /// lifting), labelled `sweep-N` and `sweep-N-lifted`.
    pub fn steps(&self) -> Vec<Step> {
        let mut out = Vec::new();
        for (i, d) in self.faults.iter().enumerate() {
            let n = i.saturating_add(1);
            out.push(Step {
                at: d.at,
                label: Some(format!("sweep-{n}")),
                fault: d.fault.clone(),
                span: crate::diag::Span::default(),
            });
            if let Some((at, fault)) = &d.lifted {
                out.push(Step {
                    at: *at,
                    label: Some(format!("sweep-{n}-lifted")),
                    fault: fault.clone(),
                    span: crate::diag::Span::default(),
                });
            }
        }
        out.sort_by_key(|s| s.at);
        out
    }
}

/// `s` with the schedule's faults after its own steps, its run long enough for them, and the
/// liveness phase on (`s`'s own `[liveness]` bound if it has one, else the derived one).
pub fn with_schedule(s: &Scenario, schedule: &Schedule) -> Scenario {
    let mut out = s.clone();
    out.steps.extend(schedule.steps());
    out.steps.sort_by_key(|st| st.at);
    out.duration = out.duration.max(schedule.until);
    // Drawn partitions split the pair as documented (check::invariant::one_primary).
    out.invariants.split_brain_under_network_fault = true;
    if out.liveness.is_none() {
        out.liveness = Some(Liveness {
            within: None,
            span: None,
            baseline: Some(schedule.from),
        });
    }
    out
}

/// Runs one seed of a sweep: `s` with `schedule` ([`with_schedule`]) under `seed`, stopped
/// after `wall_limit` of real time. `s`'s own expectations are judged on the part of the
/// trace its own run covers (up to `s.duration`, before the first drawn fault), so that they
/// keep their meaning; the invariants (and the liveness phase) on the whole run.
///
/// # Errors
/// [`RunError`] when the material or the simulation cannot be made, or the run is stopped.
pub fn run_one(
    s: &Scenario,
    seed: u64,
    schedule: &Schedule,
    wall_limit: Duration,
) -> Result<Outcome, RunError> {
    let mut outcome =
        crate::execute::execute_limited(&with_schedule(s, schedule), seed, true, wall_limit)?;
    judge_own(s, s.duration, &mut outcome);
    Ok(outcome)
}

/// Judges `s`'s expectations again on the events of its own run (up to `own_end`: its
/// duration, or a shrunk candidate's), keeping the other verdicts as they are, expectations
/// first. The sweep and the shrinker judge a seed with this one function.
pub(crate) fn judge_own(s: &Scenario, own_end: Duration, outcome: &mut Outcome) {
    let end = u64::try_from(own_end.as_millis()).unwrap_or(u64::MAX);
    // The events up to `own_end` are judged in place: the rest is set aside and put back
    // (moved, not cloned: a run with traffic has tens of thousands of events).
    let events = &mut outcome.trace.events;
    let cut = events
        .iter()
        .position(|e| e.at_ms > end)
        .unwrap_or(events.len());
    let rest = events.split_off(cut);
    let mut verdicts =
        crate::check::expectations(s, &outcome.trace, &outcome.findings, &outcome.idbs);
    outcome.trace.events.extend(rest);
    verdicts.extend(
        std::mem::take(&mut outcome.verdicts)
            .into_iter()
            .filter(|v| v.kind != VerdictKind::Expect),
    );
    outcome.verdicts = verdicts;
}

/// The seed's whole scenario as a file would hold it: [`with_schedule`], and `s`'s
/// expectations that are judged over the whole run (`Anytime`) bounded to `s`'s own run
/// (`after = "0s"`, `within = duration`) where their check reads a time (all but the static
/// ones), as [`run_one`] judges them. What `--out` writes and `hapair run` replays: the
/// replay's verdicts are the sweep's.
pub fn written(s: &Scenario, schedule: &Schedule, seed: u64) -> Scenario {
    let mut out = with_schedule(s, schedule);
    out.seed = seed;
    for e in &mut out.expects {
        let windowed = !matches!(e.check, Check::Rejected(_) | Check::Finding { .. });
        if e.timing == Timing::Anytime && windowed {
            e.timing = Timing::Within {
                after: Duration::ZERO,
                mark: "0s".to_string(),
                within: s.duration,
            };
        }
    }
    out
}
