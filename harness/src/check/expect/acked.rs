//! `no-acked-event-lost = true`: every event a client was told is safe is held by the pair's
//! primary at the end (`false`: a loss must be shown, as a rehearsal of a known hole). A run
//! where nothing was acknowledged never exercised it, and fails.
//!
//! With a window (`after`/`within`) it is judged on the run as it stood at the window's end:
//! the events acknowledged in the window, held by the primary of that instant; with `at`, as
//! of that instant, every event acknowledged by then. (A sweep's written seed file bounds it
//! to the scenario's own run this way, so that replaying the file judges what the sweep did.)

use super::Context;
use crate::check::loss::lost_acknowledged;
use crate::check::roles::promotions;
use crate::check::verdict::{Judgement, LIST_BOUND, bounded, thousands};
use crate::scenario::Timing;
use crate::trace::{Kind, Trace};

/// The trace the expectation is judged on when it has a time: the events up to the window's
/// end, without the acknowledgements before its start (`at`: every one up to the instant).
/// `None` without a time: the whole run.
pub fn as_of(cx: &Context<'_>, timing: &Timing, (a, b): (u64, u64)) -> Option<Trace> {
    let from = match timing {
        Timing::Anytime => return None,
        Timing::At(_) => 0,
        Timing::Within { .. } => a,
    };
    let events = cx
        .trace
        .events
        .iter()
        .take_while(|e| e.at_ms <= b)
        .filter(|e| e.at_ms >= from || !matches!(e.kind, Kind::Acknowledged { .. }))
        .cloned()
        .collect();
    Some(Trace { events })
}

/// Judges `no acknowledged event lost` (`none`) or its opposite.
pub fn judge(cx: &Context<'_>, none: bool) -> Judgement {
    let lost = lost_acknowledged(&cx.scenario.topology, cx.trace);
    let total: usize = lost.values().map(Vec::len).sum();
    let list = lost
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}: {}", bounded(v)))
        .collect::<Vec<_>>()
        .join("; ");
    let acked = cx
        .trace
        .events
        .iter()
        .filter(|x| matches!(x.kind, Kind::Acknowledged { .. }))
        .count();
    let (total_s, acked_s) = (thousands(total), thousands(acked));
    if acked == 0 {
        return Judgement::plain(
            false,
            "no event was acknowledged at all: the expectation was never exercised".into(),
        );
    }
    let detail = match (total, none) {
        (0, _) => format!("{acked_s} acknowledged, none lost"),
        (_, true) => format!("{total_s} acknowledged event(s) lost: {list}"),
        (_, false) => format!("{total_s} acknowledged event(s) lost, as rehearsed: {list}"),
    };
    // Put to the test by a promotion after the first acknowledgement: a copy had to survive
    // a change of primary.
    let first = cx
        .trace
        .events
        .iter()
        .find(|x| matches!(x.kind, Kind::Acknowledged { .. }))
        .map_or(0, |x| x.at_ms);
    let end = cx.trace.events.last().map_or(0, |x| x.at_ms);
    let promoted = cx
        .scenario
        .topology
        .pairs()
        .flat_map(|p| {
            promotions(
                cx.trace,
                &p.primary.name.value,
                &p.backup.name.value,
                (first, end),
            )
        })
        .take(LIST_BOUND)
        .collect();
    let held = (total == 0) == none;
    Judgement::plain(held, detail).with_evidence(if held { promoted } else { Vec::new() })
}
