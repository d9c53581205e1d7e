//! Planning the liveness phase of a run: when the faults are lifted (the end of the
//! scenario's own run), by which steps, until when the pair has to converge, and how long the
//! run goes on after that so that "stays converged" can be seen.

use std::time::Duration;

use crate::fault::Fault;
use crate::fault::lift::Active;
use crate::scenario::bound_liveness::{Bound, derive};
use crate::scenario::{Liveness, Scenario, Step};

/// How long the run goes on after the bound: a converged pair must stay so.
pub const SETTLE: Duration = Duration::from_secs(10);

/// The liveness phase of one run.
#[derive(Clone, Debug)]
pub struct Phase {
    /// When the faults are lifted (ms): the end of the scenario's own run.
    pub lift_ms: u64,
    /// The instant (ms) whose state the pair must get back to: the last ms before the
    /// baseline ([`Liveness::baseline`], else the first step that is not traffic, calls or
    /// an option).
    pub baseline_ms: u64,
    /// The bound: `within`, or the derived one.
    pub within: Duration,
    /// The derived bound, with its parts (for the words of a failure).
    pub derived: Bound,
    /// By when the pair must have converged (ms): the lift plus the bound.
    pub deadline_ms: u64,
    /// The steps that lift what was still active, labelled `lift-N`.
    pub lifting: Vec<Step>,
    /// Line of `[liveness]` in the scenario file (none for a sweep's phase).
    pub line: Option<usize>,
}

impl Phase {
    /// The phase `l` of `s`.
    pub fn plan(s: &Scenario, l: &Liveness) -> Self {
        let derived = derive(&s.topology, &s.steps);
        let within = l.within.unwrap_or(derived.total);
        let lift = s
            .steps
            .iter()
            .map(|st| st.at)
            .max()
            .unwrap_or_default()
            .max(s.duration);
        let active = Active::after(s.steps.iter().map(|st| &st.fault));
        let lifting = active
            .lifting(&s.topology)
            .into_iter()
            .enumerate()
            .map(|(i, fault)| Step {
                at: lift,
                label: Some(format!("lift-{}", i.saturating_add(1))),
                fault,
                span: l.span.unwrap_or_default(),
            })
            .collect();
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        // Traffic, calls and options set the scene; the first other step is the first fault.
        let first = s
            .steps
            .iter()
            .filter(|st| {
                !matches!(
                    st.fault,
                    Fault::Traffic { .. } | Fault::Calls(_) | Fault::Option { .. }
                )
            })
            .map(|st| st.at)
            .min()
            .unwrap_or(lift);
        let baseline = l.baseline.unwrap_or(first).min(lift);
        Self {
            lift_ms: ms(lift),
            baseline_ms: ms(baseline).saturating_sub(1),
            within,
            derived,
            deadline_ms: ms(lift.saturating_add(within)),
            lifting,
            line: l.span.map(|sp| s.source.locate(sp.start).line),
        }
    }

    /// `s` with the lifting steps after its own and its run long enough for the bound and
    /// [`SETTLE`].
    pub fn apply(&self, s: &Scenario) -> Scenario {
        let mut out = s.clone();
        out.steps.extend(self.lifting.iter().cloned());
        out.duration = Duration::from_millis(self.deadline_ms).saturating_add(SETTLE);
        out
    }

    /// When the run ends (ms).
    pub fn end_ms(&self) -> u64 {
        self.deadline_ms
            .saturating_add(u64::try_from(SETTLE.as_millis()).unwrap_or(u64::MAX))
    }
}
