//! Bounds on a scenario's virtual time: no step, deadline or `duration` past
//! [`MAX_SCENARIO`](crate::limits::MAX_SCENARIO), located at what asks for it, so that a typo
//! (`999999999s`) is bad input instead of decades of simulation.

use std::time::Duration;

use super::{Expect, Step, Timing};
use crate::diag::{Problem, Sp};
use crate::limits::MAX_SCENARIO;

fn too_long(span: crate::diag::Span, what: &str, d: Duration) -> Problem {
    Problem::new(
        "too-long",
        span,
        format!(
            "{what} is at {}s of virtual time, past hapair's limit of 7 days ({}s) per scenario",
            d.as_secs(),
            MAX_SCENARIO.as_secs()
        ),
    )
    .help("a scenario rehearses at most a week; split a longer soak into several scenarios")
}

/// Every step, deadline and explicit duration past the limit, as located problems.
pub(super) fn check(
    steps: &[Step],
    expects: &[Expect],
    explicit: Option<&Sp<Duration>>,
) -> Vec<Problem> {
    let mut out: Vec<Problem> = steps
        .iter()
        .filter(|s| s.at > MAX_SCENARIO)
        .map(|s| too_long(s.span, "a step", s.at))
        .collect();
    for e in expects {
        let end = match &e.timing {
            Timing::Anytime => Duration::ZERO,
            Timing::At(t) => *t,
            Timing::Within { after, within, .. } => after.saturating_add(*within),
        };
        if end > MAX_SCENARIO {
            out.push(too_long(e.span, "an expectation's deadline", end));
        }
    }
    if let Some(d) = explicit.filter(|d| d.value > MAX_SCENARIO) {
        out.push(too_long(d.span, "`duration`", d.value));
    }
    out
}
