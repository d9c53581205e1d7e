//! `role = { app, is }`: the application is in that state at the instant, or at some instant
//! of the window (primary, backup, running without a role, stopped).

use super::Context;
use crate::check::evidence::near;
use crate::check::roles::Timeline;
use crate::check::verdict::{Differs, Judgement, Miss};
use crate::scenario::Timing;
use crate::trace::State;

/// Judges `app is {is}` over `w`.
pub fn judge(cx: &Context<'_>, app: &str, is: State, timing: &Timing, w: (u64, u64)) -> Judgement {
    let (trace, end) = (cx.trace, cx.end);
    let roles = Timeline::of(trace);
    let cause = |at: u64| roles.cause(app, at).into_iter().collect::<Vec<_>>();
    if let Timing::At(_) = timing {
        let got = roles.state_at(app, w.0);
        let detail = format!("{app} was {got} at {} ms", w.0);
        // The events around the instant go with the verdict either way.
        return Judgement::failed(detail, near(trace, app, w.0))
            .with_evidence(cause(w.0))
            .held_if(got == is);
    }
    match roles.first_state(app, is, w.0) {
        Some(at) if at <= w.1 => Judgement::held(format!("{app} was {is} at {at} ms"), cause(at)),
        Some(at) => Judgement::failed(
            format!(
                "{app} was {is} only at {at} ms, after the deadline {} ms",
                w.1
            ),
            near(trace, app, at),
        )
        .with_miss(Some(Miss {
            at_ms: at,
            differs: Differs::Outside,
            events: cause(at),
        })),
        None => Judgement::failed(
            format!(
                "{app} was never {is} after {} ms; at the end it was {}",
                w.0,
                roles.state_at(app, end)
            ),
            near(trace, app, w.1),
        ),
    }
}
