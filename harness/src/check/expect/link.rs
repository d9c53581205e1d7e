//! `connect-failed = { from, to, port, reason }` and `disconnected = { app, peer, port,
//! reason }`: a link died in the window, the way wanted. A failure names the nearest miss: the
//! same link dying another way (`refused, not timed-out`), or the last thing the two did.

use super::Context;
use crate::check::evidence::{in_window, indexed, last_words, related};
use crate::check::verdict::{Differs, Judgement, Miss};
use crate::scenario::LinkDeath;
use crate::trace::{Event, Kind};

/// The deaths of the link in the window, with their index and reason in the trace's words.
fn deaths<'t>(cx: &Context<'t>, l: &LinkDeath, w: (u64, u64)) -> Vec<(usize, &'t Event, String)> {
    indexed(cx.trace)
        .filter(|(_, x)| in_window(x, w))
        .filter_map(|(i, x)| {
            let (port, wanted, reason) = match (&x.kind, l) {
                (
                    Kind::ConnectFailed { to, port, reason },
                    LinkDeath::ConnectFailed {
                        from,
                        to: want,
                        port: p,
                        ..
                    },
                ) if x.node == *from && to == want => (port, p, reason.to_string()),
                (
                    Kind::Disconnected { peer, port, reason },
                    LinkDeath::Disconnected {
                        app,
                        peer: want,
                        port: p,
                        ..
                    },
                ) if x.node == *app && peer == want => (port, p, reason.to_string()),
                _ => return None,
            };
            wanted
                .as_ref()
                .is_none_or(|p| p == port)
                .then_some((i, x, reason))
        })
        .collect()
}

/// Judges a link death over `w`.
pub fn judge(cx: &Context<'_>, l: &LinkDeath, w: (u64, u64)) -> Judgement {
    let all = deaths(cx, l, w);
    let want = l.reason();
    if let Some((i, x, reason)) = all
        .iter()
        .find(|(_, _, r)| want.as_ref().is_none_or(|w| w == r))
    {
        return Judgement::held(
            format!("{} recorded {reason} at {} ms", x.node, x.at_ms),
            vec![*i],
        );
    }
    let (a, b) = match l {
        LinkDeath::ConnectFailed { from, to, .. } => (from, to),
        LinkDeath::Disconnected { app, peer, .. } => (app, peer),
    };
    let excerpt = related(cx.trace, a, b, w);
    match (all.first(), want) {
        (Some((i, x, got)), Some(want)) => Judgement::failed(
            format!("{} recorded {got} at {} ms, not {want}", x.node, x.at_ms),
            excerpt,
        )
        .with_miss(Some(Miss {
            at_ms: x.at_ms,
            differs: Differs::Reason {
                got: got.clone(),
                want,
            },
            events: vec![*i],
        })),
        _ => Judgement::failed(last_words(cx.trace, a, b, w), excerpt),
    }
}
