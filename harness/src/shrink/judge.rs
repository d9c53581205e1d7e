//! Judging a candidate three ways from one run: as the sweep judged its seed (the scenario's
//! own expectations on the events of its own run, a drawn step that hits nothing not a
//! failure: `sweep::run_one`), as `hapair run` will judge the written file with the same
//! leniency for drawn steps, and strictly (every verdict, as the file is judged when
//! `faults-take-effect` stays on).

use std::collections::BTreeSet;
use std::time::Duration;

use super::case::Case;
use crate::check::invariant::step_words;
use crate::check::{VerdictKind, expectations};
use crate::execute::{Outcome, execute_limited};
use crate::scenario::Scenario;
use crate::sweep::{Signature, signature};
use crate::trace::Trace;

/// One run's signatures (`None`: passed).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Judged {
    /// As the sweep judged the seed.
    pub swept: Option<Signature>,
    /// As `hapair run` judges the file, drawn steps that hit nothing left out.
    pub written: Option<Signature>,
    /// Every verdict.
    pub strict: Option<Signature>,
}

/// Runs `s` (`case` loaded back) on `seed` and judges it. A run that gives no outcome fails
/// with [`Signature::error`] in the sweep's words, all three ways.
pub(super) fn judge(case: &Case, s: &Scenario, seed: u64, wall_limit: Duration) -> Judged {
    let run = crate::runner::isolated(&s.source.path, || {
        execute_limited(s, seed, true, wall_limit)
    });
    let mut outcome = match run {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) => return failed(Signature::error(error_words(&e.to_string()))),
        Err(panic) => return failed(Signature::error(format!("internal error: {panic}"))),
    };
    let strict = signature(&outcome);
    let words = drawn_words(case);
    outcome
        .verdicts
        .retain(|v| !(v.kind == VerdictKind::Invariant && words.contains(&v.what)));
    let written = signature(&outcome);
    judge_own(s, case.own_end, &mut outcome);
    Judged {
        swept: signature(&outcome),
        written,
        strict,
    }
}

fn failed(sig: Signature) -> Judged {
    Judged {
        swept: Some(sig.clone()),
        written: Some(sig.clone()),
        strict: Some(sig),
    }
}

/// `s`'s expectations judged again on the events up to `own_end` (the scenario's own run),
/// as `sweep::run_one` judges them; the other verdicts kept.
fn judge_own(s: &Scenario, own_end: Duration, outcome: &mut Outcome) {
    let end = u64::try_from(own_end.as_millis()).unwrap_or(u64::MAX);
    let own = Trace {
        events: outcome
            .trace
            .events
            .iter()
            .take_while(|e| e.at_ms <= end)
            .cloned()
            .collect(),
    };
    let mut verdicts = expectations(s, &own, &outcome.findings, &outcome.idbs);
    verdicts.extend(
        std::mem::take(&mut outcome.verdicts)
            .into_iter()
            .filter(|v| v.kind != VerdictKind::Expect),
    );
    outcome.verdicts = verdicts;
}

/// The words of the verdicts on the drawn steps of `case` taking effect (a step of the
/// scenario's own at the same instant keeps its verdict).
fn drawn_words(case: &Case) -> BTreeSet<String> {
    let words = |drawn: bool| -> BTreeSet<String> {
        case.units
            .iter()
            .filter(|u| u.drawn == drawn)
            .flat_map(|u| u.steps.iter().map(|st| step_words(st.at)))
            .collect()
    };
    let own = words(false);
    words(true).difference(&own).cloned().collect()
}

/// A run error's words as a sweep's signature has them: without the wall time a stopped run
/// took (the rule of `sweep::batch`), so that the signature is the sweep's.
pub(super) fn error_words(e: &str) -> String {
    if e.starts_with("stopped after") {
        "stopped by the wall-clock limit".to_string()
    } else {
        e.to_string()
    }
}
