//! Judging a candidate three ways from one run: as the sweep judged its seed (the scenario's
//! own expectations on the events of its own run, a drawn step that hits nothing not a
//! failure: `sweep::run_one`), as `hapair run` will judge the written file with the same
//! leniency for drawn steps, and strictly (every verdict, as the file is judged when
//! `faults-take-effect` stays on).

use std::collections::BTreeSet;
use std::time::Duration;

use super::case::Case;
use crate::check::VerdictKind;
use crate::check::invariant::step_words;
use crate::execute::execute_limited;
use crate::scenario::Scenario;
use crate::sweep::{Signature, signature};

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
        Ok(Err(e)) => return failed(Signature::error(crate::sweep::error_words(&e.to_string()))),
        Err(panic) => return failed(Signature::error(format!("internal error: {panic}"))),
    };
    let strict = signature(&outcome);
    let words = drawn_words(case);
    outcome
        .verdicts
        .retain(|v| !(v.kind == VerdictKind::Invariant && words.contains(&v.what)));
    let written = signature(&outcome);
    crate::sweep::judge_own(s, case.own_end, &mut outcome);
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
