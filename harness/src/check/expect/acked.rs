//! `no-acked-event-lost = true`: every event a client was told is safe is held by the pair's
//! primary at the end (`false`: a loss must be shown, as a rehearsal of a known hole). A run
//! where nothing was acknowledged never exercised it, and fails.

use super::Context;
use crate::check::loss::lost_acknowledged;
use crate::check::verdict::{Judgement, bounded, thousands};
use crate::trace::Kind;

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
    Judgement::plain((total == 0) == none, detail)
}
