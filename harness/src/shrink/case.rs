//! A candidate reproduction: the parts of a scenario the shrinker changes (its steps, grouped
//! in units removed together, its expectations and its length), and how a candidate becomes a
//! scenario to run.

use std::time::Duration;

use crate::scenario::{Expect, Liveness, Scenario, Step, Timing};
use crate::sweep::Schedule;

/// Steps removed together: one step of the scenario's own, or a drawn fault with the step
/// that lifts it.
#[derive(Clone, Debug)]
pub struct Unit {
    /// The steps.
    pub steps: Vec<Step>,
    /// Whether the sweep drew it (else the scenario wrote it).
    pub drawn: bool,
}

/// A candidate: steps, expectations and the run's length.
#[derive(Clone, Debug)]
pub struct Case {
    /// The steps, in units.
    pub units: Vec<Unit>,
    /// The expectations, in file order.
    pub expects: Vec<Expect>,
    /// How long the run lasts (the liveness phase follows).
    pub duration: Duration,
    /// Where the scenario's own run ends: the sweep judges its expectations up to here.
    pub own_end: Duration,
    /// The liveness phase's baseline when the scenario has no `[liveness]` of its own: the
    /// sweep's (where its drawn faults started).
    pub baseline: Option<Duration>,
}

impl Case {
    /// The case a sweep ran: `s`'s own steps (one unit each), then each drawn fault with its
    /// lifting, labelled as [`Schedule::steps`] labels them; the run as long as
    /// [`crate::sweep::with_schedule`] makes it.
    /// The scenario's expectations are written as [`crate::sweep::written`] writes them
    /// (bounded to its own run where their check reads a window), as the sweep judges them.
    pub fn new(s: &Scenario, schedule: &Schedule) -> Self {
        let expects = crate::sweep::written(s, schedule, s.seed).expects;
        Self::of(&s.steps, &expects, s.duration, schedule)
    }

    /// [`Case::new`] from a scenario's parts: its steps, expectations and length.
    pub fn of(own: &[Step], expects: &[Expect], duration: Duration, schedule: &Schedule) -> Self {
        let mut units: Vec<Unit> = own
            .iter()
            .map(|st| Unit {
                steps: vec![st.clone()],
                drawn: false,
            })
            .collect();
        for (i, d) in schedule.faults.iter().enumerate() {
            let n = i.saturating_add(1);
            let mut steps = vec![drawn_step(d.at, format!("sweep-{n}"), &d.fault)];
            if let Some((at, fault)) = &d.lifted {
                steps.push(drawn_step(*at, format!("sweep-{n}-lifted"), fault));
            }
            units.push(Unit { steps, drawn: true });
        }
        Case {
            units,
            expects: expects.to_vec(),
            duration: duration.max(schedule.until),
            own_end: duration,
            baseline: Some(schedule.from),
        }
    }

    /// Every step, in time order; steps at the same instant in unit order (the scenario's own
    /// first), as [`crate::sweep::with_schedule`] orders them.
    pub fn steps(&self) -> Vec<Step> {
        self.ordered().into_iter().map(|(st, _)| st).collect()
    }

    /// Every step with whether it was drawn, in [`Case::steps`] order.
    fn ordered(&self) -> Vec<(Step, bool)> {
        let mut out: Vec<(Step, bool)> = self
            .units
            .iter()
            .flat_map(|u| u.steps.iter().map(|st| (st.clone(), u.drawn)))
            .collect();
        out.sort_by_key(|(st, _)| st.at);
        out
    }

    /// How many steps it has.
    pub fn step_count(&self) -> usize {
        self.units.iter().map(|u| u.steps.len()).sum()
    }

    /// The same case with every step a unit of its own, in time order.
    pub fn split(&self) -> Self {
        Case {
            units: self
                .ordered()
                .into_iter()
                .map(|(st, drawn)| Unit {
                    steps: vec![st],
                    drawn,
                })
                .collect(),
            expects: self.expects.clone(),
            duration: self.duration,
            own_end: self.own_end,
            baseline: self.baseline,
        }
    }

    /// `base` with this case's steps, expectations and length, run on `seed`, the liveness
    /// phase on (as [`crate::sweep::with_schedule`] turns it on): a standalone scenario.
    pub fn scenario(&self, base: &Scenario, seed: u64) -> Scenario {
        let mut s = base.clone();
        s.steps = self.steps();
        s.expects = self.expects.clone();
        s.duration = self.duration;
        s.seed = seed;
        if s.liveness.is_none() {
            s.liveness = Some(Liveness {
                within: None,
                span: None,
                baseline: self.baseline,
            });
        }
        s
    }

    /// The case without the units at `gone` (indices into `units`), and without the
    /// expectations timed after a removed step's label: `None` when one of those is named by
    /// `keep` (the candidate could not fail the same way).
    pub fn without(&self, gone: &[usize], keep: &dyn Fn(&Expect) -> bool) -> Option<Self> {
        let labels: Vec<&str> = gone
            .iter()
            .filter_map(|i| self.units.get(*i))
            .flat_map(|u| u.steps.iter().filter_map(|st| st.label.as_deref()))
            .collect();
        let after_gone = |e: &Expect| matches!(&e.timing, Timing::Within { mark, .. } if labels.contains(&mark.as_str()));
        if self.expects.iter().any(|e| after_gone(e) && keep(e)) {
            return None;
        }
        Some(Case {
            units: self
                .units
                .iter()
                .enumerate()
                .filter(|(i, _)| !gone.contains(i))
                .map(|(_, u)| u.clone())
                .collect(),
            expects: self
                .expects
                .iter()
                .filter(|e| !after_gone(e))
                .cloned()
                .collect(),
            duration: self.duration,
            own_end: self.own_end,
            baseline: self.baseline,
        })
    }

    /// Moves step `step` of unit `unit` to `at`; an expectation timed after its label moves
    /// with it.
    pub fn move_step(&mut self, unit: usize, step: usize, at: Duration) {
        let Some(st) = self.units.get_mut(unit).and_then(|u| u.steps.get_mut(step)) else {
            return;
        };
        st.at = at;
        let Some(label) = st.label.clone() else {
            return;
        };
        for e in &mut self.expects {
            if let Timing::Within { after, mark, .. } = &mut e.timing
                && *mark == label
            {
                *after = at;
            }
        }
    }
}

fn drawn_step(at: Duration, label: String, fault: &crate::fault::Fault) -> Step {
    Step {
        at,
        label: Some(label),
        fault: fault.clone(),
        span: crate::diag::Span::default(),
    }
}
