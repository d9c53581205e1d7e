//! Reading evidence off a trace for details: the window an expectation judges, the events
//! between two applications around it, the last thing they did, an event in words.

use std::time::Duration;

use crate::scenario::Timing;
use crate::trace::{Event, Kind, Trace};

/// The window `timing` judges, in ms, in a run whose last event is at `end`.
pub fn window(timing: &Timing, end: u64) -> (u64, u64) {
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    match timing {
        Timing::Anytime => (0, end),
        Timing::At(t) => (ms(*t), ms(*t)),
        Timing::Within { after, within, .. } => (ms(*after), ms(after.saturating_add(*within))),
    }
}

/// Whether `e` happened in `[a, b]`.
pub fn in_window(e: &Event, (a, b): (u64, u64)) -> bool {
    e.at_ms >= a && e.at_ms <= b
}

/// Events with their index in the trace.
pub fn indexed(trace: &Trace) -> impl Iterator<Item = (usize, &Event)> {
    trace.events.iter().enumerate()
}

/// An event in words, for details (the JSON of its kind, without the Rust names).
pub fn describe_event(e: &Event) -> String {
    serde_json::to_string(&e.kind).unwrap_or_default()
}

/// The dialler's last events towards `to` in the window, in words.
pub fn last_words(trace: &Trace, from: &str, to: &str, w: (u64, u64)) -> String {
    let ev = related(trace, from, to, w);
    match ev.last() {
        Some(x) => format!(
            "last seen at {} ms: {} {}",
            x.at_ms,
            x.node,
            describe_event(x)
        ),
        None => format!("no event between {from} and {to} in {}..{} ms", w.0, w.1),
    }
}

/// The last few events of `a` and `b` up to a second after the window (the traffic of
/// requests and acknowledgements left out): the excerpt under a failure.
pub fn related(trace: &Trace, a: &str, b: &str, w: (u64, u64)) -> Vec<Event> {
    let mut v: Vec<Event> = trace
        .events
        .iter()
        .filter(|x| x.at_ms <= w.1.saturating_add(1_000) && (x.node == a || x.node == b))
        .filter(|x| {
            !matches!(
                x.kind,
                Kind::Stored { .. } | Kind::Accepted { .. } | Kind::Acknowledged { .. }
            )
        })
        .cloned()
        .collect();
    let keep = v.len().saturating_sub(6);
    v.drain(..keep);
    v
}

/// The last few events of `node` and the SCS up to a second after `at`.
pub fn near(trace: &Trace, node: &str, at: u64) -> Vec<Event> {
    related(trace, node, "scs", (0, at))
}
