//! `never = { … }`: something that must not happen in the window: a plain session on a
//! server's port, a refused handshake (of a class), two primaries in a pair even for a
//! millisecond, an event (`logged`). A failure counts the occurrences and shows the first.

use super::Context;
use super::refused::refusals;
use crate::check::evidence::{describe_event, in_window, indexed};
use crate::check::roles::{primaries_windows, promotions};
use crate::check::verdict::{Judgement, LIST_BOUND, spans, thousands};
use crate::scenario::Never;
use crate::trace::{Event, Kind};

/// Judges `never …` over `w`.
pub fn judge(cx: &Context<'_>, n: &Never, w: (u64, u64)) -> Judgement {
    let hits: Vec<(usize, &Event)> = match n {
        Never::Plaintext { app, port } => indexed(cx.trace)
            .filter(|(_, x)| {
                x.node == *app
                    && in_window(x, w)
                    && matches!(&x.kind, Kind::PlainSession { port: q, .. }
                        if port.as_ref().is_none_or(|p| p == q))
            })
            .collect(),
        Never::Refused {
            from,
            to,
            port,
            class,
        } => refusals(cx, from, to, port, *class, w)
            .into_iter()
            .map(|(i, x, _)| (i, x))
            .collect(),
        Never::TwoPrimaries { pair } => return two_primaries(cx, pair, w),
        Never::Logged(l) => super::logged::candidates(cx, l)
            .filter(|(_, x)| in_window(x, w) && super::logged::mismatch(l, x).is_none())
            .collect(),
    };
    match hits.first() {
        None => Judgement::plain(true, "never happened".into()),
        Some((_, first)) => Judgement::failed(
            format!(
                "happened {} time(s), first at {} ms: {} {}",
                thousands(hits.len()),
                first.at_ms,
                first.node,
                describe_event(first)
            ),
            hits.iter().take(3).map(|(_, e)| (*e).clone()).collect(),
        )
        .with_evidence(hits.iter().take(LIST_BOUND).map(|(i, _)| *i).collect()),
    }
}

/// No instant of the window with both instances of the pair of `pair` primary.
fn two_primaries(cx: &Context<'_>, pair: &str, w: (u64, u64)) -> Judgement {
    let Some(p) = cx.scenario.topology.pair_of(pair) else {
        return Judgement::plain(false, format!("`{pair}` has no pair"));
    };
    let windows = primaries_windows(cx.trace, &p.primary.name.value, &p.backup.name.value);
    let inside: Vec<&(u64, u64)> = windows
        .iter()
        .filter(|(a, b)| *a <= w.1 && *b >= w.0)
        .collect();
    if inside.is_empty() {
        let promoted = promotions(cx.trace, &p.primary.name.value, &p.backup.name.value, w);
        Judgement::plain(true, "never two primaries".into()).with_evidence(promoted)
    } else {
        Judgement::plain(
            false,
            format!("two primaries during (ms): {}", spans(inside)),
        )
    }
}
