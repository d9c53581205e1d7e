//! The reduction: passes over a [`Case`], each candidate judged by a [`Probe`] (in a real
//! shrink: run on the failing seed, kept while the signature is the same). Removal by delta
//! debugging (complements at growing granularity, as in Zeller's ddmin), simplification by
//! bisecting each value toward its simplest form. Deterministic given a deterministic probe.

use std::collections::BTreeMap;
use std::time::Duration;

use super::case::Case;
use crate::fault::Fault;
use crate::scenario::Expect;
use crate::sweep::Signature;

/// Judges candidates.
pub(crate) trait Probe {
    /// Whether `case` still fails the way wanted; `None` when it is no scenario the loader
    /// would accept (it is not run, and costs no run).
    fn holds(&mut self, case: &Case) -> Option<bool>;
}

/// The passes, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// Whole drawn faults, each with its lifting.
    Faults,
    /// Single steps: the scenario's own, and liftings the liveness phase can do instead.
    Steps,
    /// Expectations the signature does not name.
    Expects,
    /// Traffic slower, faults earlier and shorter, latency, loss and skew smaller, the run
    /// shorter.
    Simplify,
}

impl Pass {
    /// In words, for progress lines.
    pub fn name(self) -> &'static str {
        match self {
            Pass::Faults => "drawn faults",
            Pass::Steps => "steps",
            Pass::Expects => "expectations",
            Pass::Simplify => "simplifying",
        }
    }
}

/// Where a shrink is, after each run.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Runs done.
    pub runs: usize,
    /// Most runs allowed.
    pub max_runs: usize,
    /// The pass running.
    pub pass: Pass,
    /// Steps left in the smallest case that still fails.
    pub steps: usize,
}

impl std::fmt::Display for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "run {}/{}, {}, {} steps left",
            self.runs,
            self.max_runs,
            self.pass.name(),
            self.steps
        )
    }
}

/// Bisections per value in the simplifying pass.
const BISECTIONS: u32 = 3;

/// Runs the passes within a run budget.
pub(crate) struct Reducer<'a, P> {
    probe: P,
    want: &'a Signature,
    runs: usize,
    max_runs: usize,
    exhausted: bool,
    pass: Pass,
    steps: usize,
    progress: &'a mut dyn FnMut(&Progress),
}

impl<'a, P: Probe> Reducer<'a, P> {
    /// A reducer keeping `want`, trying at most `max_runs` candidates.
    pub fn new(
        probe: P,
        want: &'a Signature,
        max_runs: usize,
        progress: &'a mut dyn FnMut(&Progress),
    ) -> Self {
        Self {
            probe,
            want,
            runs: 0,
            max_runs,
            exhausted: false,
            pass: Pass::Faults,
            steps: 0,
            progress,
        }
    }

    /// Counts a run done outside the reducer (the reproduction).
    pub fn count_run(&mut self) {
        self.runs = self.runs.saturating_add(1);
    }

    /// Runs done.
    pub fn runs(&self) -> usize {
        self.runs
    }

    /// Whether a candidate was refused for want of runs.
    pub fn exhausted(&self) -> bool {
        self.exhausted
    }

    /// Every pass over `case`; `expects_first`: the expectations the signature does not name
    /// go before anything else (`case` itself does not hold with them).
    pub fn reduce(&mut self, case: Case, expects_first: bool) -> Case {
        self.steps = case.step_count();
        let case = if expects_first {
            self.pass = Pass::Expects;
            self.drop_expects(case)
        } else {
            case
        };
        self.pass = Pass::Faults;
        let case = self.drop_units(case, true);
        self.pass = Pass::Steps;
        let case = self.drop_units(case.split(), false);
        self.pass = Pass::Expects;
        let case = self.drop_expects(case);
        self.pass = Pass::Simplify;
        self.simplify(case)
    }

    /// Whether `candidate` holds, as one run of the budget.
    fn try_case(&mut self, candidate: &Case) -> bool {
        if self.runs >= self.max_runs {
            self.exhausted = true;
            return false;
        }
        let Some(held) = self.probe.holds(candidate) else {
            return false;
        };
        self.runs = self.runs.saturating_add(1);
        if held {
            self.steps = candidate.step_count();
        }
        (self.progress)(&Progress {
            runs: self.runs,
            max_runs: self.max_runs,
            pass: self.pass,
            steps: self.steps,
        });
        held
    }

    /// Whether the signature names `e`'s verdict (it must stay).
    fn named(&self, e: &Expect) -> bool {
        let what = e.describe();
        self.want
            .0
            .iter()
            .any(|f| f.kind == "expect" && f.what == what)
    }

    /// Removes units (only drawn ones when `drawn`) by delta debugging.
    fn drop_units(&mut self, case: Case, drawn: bool) -> Case {
        let items: Vec<usize> = (0..case.units.len())
            .filter(|i| !drawn || case.units.get(*i).is_some_and(|u| u.drawn))
            .collect();
        let gone = |keep: &[usize]| -> Vec<usize> {
            items
                .iter()
                .filter(|i| !keep.contains(i))
                .copied()
                .collect()
        };
        let kept = ddmin(items.clone(), &mut |keep: &[usize]| {
            let named = |e: &Expect| self.named(e);
            match case.without(&gone(keep), &named) {
                Some(candidate) => self.try_case(&candidate),
                None => false,
            }
        });
        // The last candidate that held (the case itself when none did).
        let named = |e: &Expect| self.named(e);
        case.without(&gone(&kept), &named).unwrap_or(case)
    }

    /// Removes the expectations the signature does not name, by delta debugging.
    fn drop_expects(&mut self, case: Case) -> Case {
        let items: Vec<usize> = (0..case.expects.len())
            .filter(|i| case.expects.get(*i).is_some_and(|e| !self.named(e)))
            .collect();
        let keeping = |keep: &[usize]| -> Case {
            let mut candidate = case.clone();
            candidate.expects = case
                .expects
                .iter()
                .enumerate()
                .filter(|(i, _)| !items.contains(i) || keep.contains(i))
                .map(|(_, e)| e.clone())
                .collect();
            candidate
        };
        let kept = ddmin(items.clone(), &mut |keep: &[usize]| {
            self.try_case(&keeping(keep))
        });
        keeping(&kept)
    }

    /// Simplifies each step's values, then its time, then the run's length.
    fn simplify(&mut self, mut case: Case) -> Case {
        for unit in 0..case.units.len() {
            let steps = case.units.get(unit).map_or(0, |u| u.steps.len());
            for step in 0..steps {
                case = self.simplify_fault(case, unit, step);
                case = self.earlier(case, unit, step);
            }
        }
        self.shorter(case)
    }

    /// Traffic slower, latency, loss and skew smaller: each bisected toward its floor.
    fn simplify_fault(&mut self, case: Case, unit: usize, step: usize) -> Case {
        let Some(fault) = case
            .units
            .get(unit)
            .and_then(|u| u.steps.get(step))
            .map(|s| s.fault.clone())
        else {
            return case;
        };
        let (now, floor) = match &fault {
            Fault::Traffic { rate, .. } if *rate > 1.0 => (*rate, 1.0),
            Fault::Latency { delay, .. } => (delay.as_secs_f64(), 0.001),
            Fault::Loss { rate, .. } => (*rate, 0.01),
            Fault::Skew { seconds, .. } => (seconds.unsigned_abs() as f64, 1.0),
            _ => return case,
        };
        let with = |case: &Case, v: f64| {
            let mut c = case.clone();
            if let Some(st) = c.units.get_mut(unit).and_then(|u| u.steps.get_mut(step)) {
                st.fault = simpler(&st.fault, v);
            }
            c
        };
        self.bisect(case, now, floor, &with)
    }

    /// The step earlier: bisected toward the step before it (so the order stays).
    fn earlier(&mut self, case: Case, unit: usize, step: usize) -> Case {
        let Some(at) = case
            .units
            .get(unit)
            .and_then(|u| u.steps.get(step))
            .map(|s| s.at)
        else {
            return case;
        };
        let before = case
            .steps()
            .iter()
            .map(|s| s.at)
            .filter(|t| *t < at)
            .max()
            .unwrap_or_default();
        let with = |case: &Case, secs: f64| {
            let mut c = case.clone();
            c.move_step(unit, step, millis(secs));
            c
        };
        self.bisect(case, at.as_secs_f64(), before.as_secs_f64(), &with)
    }

    /// The run shorter: bisected toward its last step.
    fn shorter(&mut self, case: Case) -> Case {
        let last = case.steps().iter().map(|s| s.at).max().unwrap_or_default();
        let with = |case: &Case, secs: f64| {
            let mut c = case.clone();
            c.duration = millis(secs);
            c
        };
        self.bisect(
            case.clone(),
            case.duration.as_secs_f64(),
            last.as_secs_f64(),
            &with,
        )
    }

    /// The value between `floor` and `now` closest to `floor` that holds, as far as
    /// [`BISECTIONS`] halvings find it (`floor` tried first); values are rounded to the
    /// millisecond (durations) or the thousandth (rates) by `with`.
    fn bisect(
        &mut self,
        case: Case,
        now: f64,
        floor: f64,
        with: &dyn Fn(&Case, f64) -> Case,
    ) -> Case {
        if now - floor < 0.001 {
            return case;
        }
        let candidate = with(&case, floor);
        if self.try_case(&candidate) {
            return candidate;
        }
        let (mut low, mut high, mut best) = (floor, now, case);
        for _ in 0..BISECTIONS {
            let mid = round(low + (high - low) / 2.0);
            if mid <= low || mid >= high {
                break;
            }
            let candidate = with(&best, mid);
            if self.try_case(&candidate) {
                high = mid;
                best = candidate;
            } else {
                low = mid;
            }
        }
        best
    }
}

/// A value rounded to the thousandth: whole milliseconds, or a rate a file writes short.
fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Seconds as a duration of whole milliseconds.
fn millis(secs: f64) -> Duration {
    Duration::from_millis((round(secs) * 1000.0) as u64)
}

/// `f` with its value (rate, delay in seconds, loss rate, skew's size) set to `v`.
fn simpler(f: &Fault, v: f64) -> Fault {
    let mut out = f.clone();
    match &mut out {
        Fault::Traffic { rate, .. } => *rate = v.floor().max(1.0),
        Fault::Latency { delay, .. } => *delay = millis(v),
        Fault::Loss { rate, .. } => *rate = round(v),
        Fault::Skew { seconds, .. } => {
            let size = v.round() as i64;
            *seconds = if *seconds < 0 {
                size.saturating_neg()
            } else {
                size
            };
        }
        _ => {}
    }
    out
}

/// Delta debugging: a small subset of `items` for which `holds` is true (`holds(items)` is
/// assumed), removing complements at growing granularity; each subset is tried once.
pub(crate) fn ddmin(items: Vec<usize>, holds: &mut dyn FnMut(&[usize]) -> bool) -> Vec<usize> {
    let mut tried: BTreeMap<Vec<usize>, bool> = BTreeMap::new();
    let mut test = |keep: Vec<usize>| -> bool {
        if let Some(known) = tried.get(&keep) {
            return *known;
        }
        let held = holds(&keep);
        tried.insert(keep, held);
        held
    };
    let mut items = items;
    if items.is_empty() || test(Vec::new()) {
        return Vec::new();
    }
    let mut n = 2usize;
    while items.len() >= 2 {
        let chunk = items.len().div_ceil(n);
        let mut reduced = false;
        for start in (0..items.len()).step_by(chunk.max(1)) {
            let end = start.saturating_add(chunk).min(items.len());
            let rest: Vec<usize> = items
                .iter()
                .enumerate()
                .filter(|(i, _)| *i < start || *i >= end)
                .map(|(_, x)| *x)
                .collect();
            if test(rest.clone()) {
                items = rest;
                n = n.saturating_sub(1).max(2);
                reduced = true;
                break;
            }
        }
        if !reduced {
            if n >= items.len() {
                break;
            }
            n = n.saturating_mul(2).min(items.len());
        }
    }
    items
}
