//! Judging a run: each expectation against the trace (and the static findings), with what
//! the trace shows instead when it fails, naming the nearest miss. Only reads. Session-based
//! expectations (connected, established, reconnected, ha-synced, served) are judged in
//! `connection`; lists in details are bounded so that a run with 25,000 losses still prints
//! a readable line.

use std::time::Duration;

use serde::Serialize;

use super::{Check, Expect, Never, Scenario, Timing, TlsExpect};
use crate::check::{State, Timeline, lost_acknowledged, primaries_windows};
use crate::rules::{Finding, Severity};
use crate::trace::{Event, Kind, Trace};

/// How many items of a list a detail names before "and N more".
pub const LIST_BOUND: usize = 10;

/// The verdict on one expectation or invariant.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    /// `expect` or `invariant`.
    pub kind: &'static str,
    /// What was checked, in words.
    pub what: String,
    /// Held or not.
    pub held: bool,
    /// What the trace shows instead (failures), or the evidence (held).
    pub detail: String,
    /// Line of the expectation in the scenario file (invariants: none).
    pub line: Option<usize>,
    /// A few events around the failure.
    pub excerpt: Vec<Event>,
}

/// The first [`LIST_BOUND`] items, then how many more there are.
pub fn bounded<T: AsRef<str>>(items: &[T]) -> String {
    let shown: Vec<&str> = items.iter().take(LIST_BOUND).map(AsRef::as_ref).collect();
    let more = items.len().saturating_sub(LIST_BOUND);
    if more == 0 {
        shown.join(", ")
    } else {
        format!("{}, and {} more", shown.join(", "), thousands(more))
    }
}

/// A count with thousands separators (`24,899`).
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && digits.len().saturating_sub(i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(super) fn window(timing: &Timing, end: u64) -> (u64, u64) {
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    match timing {
        Timing::Anytime => (0, end),
        Timing::At(t) => (ms(*t), ms(*t)),
        Timing::Within { after, within, .. } => (ms(*after), ms(after.saturating_add(*within))),
    }
}

fn port_suffix(port: &Option<String>) -> String {
    port.as_ref().map_or(String::new(), |p| format!("/{p}"))
}

fn describe(check: &Check, timing: &Timing) -> String {
    let when = match timing {
        Timing::Anytime => String::new(),
        Timing::At(t) => format!(" at {}s", t.as_secs_f64()),
        Timing::Within { mark, within, .. } => {
            format!(" within {}s after {mark}", within.as_secs_f64())
        }
    };
    let what = match check {
        Check::Role { app, is } => format!("{app} is {is}"),
        Check::Connected { from, to, port, .. } => {
            format!("{from} connected to {to}{}", port_suffix(port))
        }
        Check::Established { from, to, port, .. } => {
            format!(
                "{from} established a new session with {to}{}",
                port_suffix(port)
            )
        }
        Check::Reconnected { client, to, .. } => format!("{client} reconnected to {to}"),
        Check::HaSynced {
            primary, backup, ..
        } => format!("{backup} resynchronised from {primary}"),
        Check::Served { client, by } => format!("{client} served by {by}"),
        Check::Refused {
            from, to, class, ..
        } => format!("{from} -> {to} refused as {class}"),
        Check::Never(Never::Plaintext { app, port }) => {
            format!("never a plain session on {app}{}", port_suffix(port))
        }
        Check::Never(Never::Refused {
            from, to, class, ..
        }) => match class {
            Some(c) => format!("never {from} -> {to} refused as {c}"),
            None => format!("never {from} -> {to} refused"),
        },
        Check::Never(Never::TwoPrimaries { pair }) => {
            format!("never two primaries in the pair of {pair}")
        }
        Check::Rejected(rule) => format!("topology rejected with {rule}"),
        Check::Finding { rule, present, .. } => format!(
            "finding {rule} {}",
            if *present { "present" } else { "absent" }
        ),
        Check::NoAckedEventLost(true) => "no acknowledged event lost".into(),
        Check::NoAckedEventLost(false) => "acknowledged events are lost (and shown)".into(),
        Check::TwoPrimaries { pair, longer_than } => format!(
            "two primaries in pair {pair} for over {}s",
            longer_than.as_secs_f64()
        ),
    };
    format!("{what}{when}")
}

pub(super) fn in_window(e: &Event, (a, b): (u64, u64)) -> bool {
    e.at_ms >= a && e.at_ms <= b
}

pub(super) fn tls_ok(want: &Option<TlsExpect>, tls: bool, version: Option<&str>) -> bool {
    match want {
        None => true,
        Some(TlsExpect::On(on)) => *on == tls,
        Some(TlsExpect::Version(v)) => tls && version == Some(v.as_str()),
    }
}

/// Judges every expectation of `s` against `trace` and the static `findings`.
pub fn expectations(s: &Scenario, trace: &Trace, findings: &[Finding]) -> Vec<Verdict> {
    s.expects
        .iter()
        .map(|e| expectation(s, e, trace, findings))
        .collect()
}

/// What one check concluded: held, the evidence or what the trace shows instead, a few
/// events around it.
pub(super) type Judged = (bool, String, Vec<Event>);

fn expectation(s: &Scenario, e: &Expect, trace: &Trace, findings: &[Finding]) -> Verdict {
    let end = trace.events.last().map_or(0, |x| x.at_ms);
    let w = window(&e.timing, end);
    let (held, detail, excerpt): Judged = match &e.check {
        Check::Role { app, is } => role(trace, app, *is, &e.timing, w, end),
        Check::Connected { .. }
        | Check::Established { .. }
        | Check::Reconnected { .. }
        | Check::HaSynced { .. }
        | Check::Served { .. } => super::connection::judge(s, &e.check, trace, w),
        Check::Refused {
            from,
            to,
            port,
            class,
        } => match refusals(s, trace, from, to, port, Some(*class), w).first() {
            Some(x) => (
                true,
                format!("{} recorded {class} at {} ms", x.node, x.at_ms),
                Vec::new(),
            ),
            None => {
                let other = refusals(s, trace, from, to, port, None, w);
                match other.first() {
                    Some(x) => (
                        false,
                        format!(
                            "refused at {} ms, but as {} (recorded by {})",
                            x.at_ms,
                            class_of(x),
                            x.node
                        ),
                        related(trace, from, to, w),
                    ),
                    None => (
                        false,
                        last_words(trace, from, to, w),
                        related(trace, from, to, w),
                    ),
                }
            }
        },
        Check::Never(n) => never(s, trace, n, w),
        Check::Rejected(rule) => rejected(trace, findings, rule),
        Check::Finding {
            rule,
            severity,
            present,
        } => {
            let hits: Vec<String> = findings
                .iter()
                .filter(|f| f.rule == rule && severity.is_none_or(|s| f.severity == s))
                .map(|f| f.message.clone())
                .collect();
            let detail = if hits.is_empty() {
                format!("no {rule} finding")
            } else {
                bounded(&hits)
            };
            (hits.is_empty() != *present, detail, Vec::new())
        }
        Check::NoAckedEventLost(none) => lost(s, trace, *none),
        Check::TwoPrimaries { pair, longer_than } => {
            let partner = s
                .topology
                .pair_of(pair)
                .map(|p| p.backup.name.value.clone())
                .unwrap_or_default();
            let windows = primaries_windows(trace, pair, &partner);
            let ms = u64::try_from(longer_than.as_millis()).unwrap_or(u64::MAX);
            let hit = windows.iter().find(|(a, b)| b.saturating_sub(*a) >= ms);
            let shown: Vec<String> = windows.iter().map(|(a, b)| format!("{a}–{b}")).collect();
            (
                hit.is_some(),
                if windows.is_empty() {
                    "no two-primary window".into()
                } else {
                    format!("two-primary windows (ms): {}", bounded(&shown))
                },
                Vec::new(),
            )
        }
    };
    Verdict {
        kind: "expect",
        what: describe(&e.check, &e.timing),
        held,
        detail,
        line: Some(s.source.locate(e.span.start).line),
        excerpt,
    }
}

fn role(trace: &Trace, app: &str, is: State, timing: &Timing, w: (u64, u64), end: u64) -> Judged {
    let roles = Timeline::of(trace);
    if let Timing::At(_) = timing {
        let got = roles.state_at(app, w.0);
        return (
            got == is,
            format!("{app} was {got} at {} ms", w.0),
            near(trace, app, w.0),
        );
    }
    match roles.first_state(app, is, w.0) {
        Some(at) if at <= w.1 => (true, format!("{app} was {is} at {at} ms"), Vec::new()),
        Some(at) => (
            false,
            format!(
                "{app} was {is} only at {at} ms, after the deadline {} ms",
                w.1
            ),
            near(trace, app, at),
        ),
        None => (
            false,
            format!(
                "{app} was never {is} after {} ms; at the end it was {}",
                w.0,
                roles.state_at(app, end)
            ),
            near(trace, app, w.1),
        ),
    }
}

/// Refused handshakes between `from` and `to` in the window, of `class` when given, seen by
/// either side (the listener names the dialler by application or host).
fn refusals<'t>(
    s: &Scenario,
    trace: &'t Trace,
    from: &str,
    to: &str,
    port: &Option<String>,
    class: Option<crate::tls::FailureClass>,
    w: (u64, u64),
) -> Vec<&'t Event> {
    let host = s
        .topology
        .app(from)
        .and_then(|a| s.topology.host_of(a))
        .map(|h| h.name.value.clone())
        .unwrap_or_default();
    trace
        .events
        .iter()
        .filter(|x| {
            in_window(x, w)
                && matches!(&x.kind, Kind::HandshakeFailed { peer, port: q, class: c, .. }
                    if class.is_none_or(|k| k == *c)
                        && port.as_ref().is_none_or(|p| p == q)
                        && ((x.node == from && peer == to)
                            || (x.node == to && (peer == from || *peer == host))))
        })
        .collect()
}

fn class_of(e: &Event) -> String {
    match &e.kind {
        Kind::HandshakeFailed { class, .. } => class.to_string(),
        _ => String::new(),
    }
}

fn never(s: &Scenario, trace: &Trace, n: &Never, w: (u64, u64)) -> Judged {
    let hits: Vec<&Event> = match n {
        Never::Plaintext { app, port } => trace
            .events
            .iter()
            .filter(|x| {
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
        } => refusals(s, trace, from, to, port, *class, w),
        Never::TwoPrimaries { pair } => {
            let Some(p) = s.topology.pair_of(pair) else {
                return (false, format!("`{pair}` has no pair"), Vec::new());
            };
            let windows = primaries_windows(trace, &p.primary.name.value, &p.backup.name.value);
            let inside: Vec<String> = windows
                .iter()
                .filter(|(a, b)| *a <= w.1 && *b >= w.0)
                .map(|(a, b)| format!("{a}–{b}"))
                .collect();
            return (
                inside.is_empty(),
                if inside.is_empty() {
                    "never two primaries".into()
                } else {
                    format!("two primaries during (ms): {}", bounded(&inside))
                },
                Vec::new(),
            );
        }
    };
    match hits.first() {
        None => (true, "never happened".into(), Vec::new()),
        Some(first) => (
            false,
            format!(
                "happened {} time(s), first at {} ms: {} {}",
                thousands(hits.len()),
                first.at_ms,
                first.node,
                describe_event(first)
            ),
            hits.iter().take(3).map(|e| (*e).clone()).collect(),
        ),
    }
}

fn rejected(trace: &Trace, findings: &[Finding], rule: &str) -> Judged {
    let static_hit = findings
        .iter()
        .any(|f| f.rule == rule && f.severity == Severity::Error);
    let node_hit = trace
        .events
        .iter()
        .find(|x| matches!(&x.kind, Kind::ConfigRejected { rule: r, .. } if r == rule));
    let detail = match (static_hit, node_hit) {
        (_, Some(x)) => format!(
            "{} refused its configuration ({rule}) at {} ms",
            x.node, x.at_ms
        ),
        (true, None) => format!("hapair check reports {rule} as an error"),
        (false, None) => {
            format!("neither hapair check nor any node refused the topology with {rule}")
        }
    };
    (static_hit || node_hit.is_some(), detail, Vec::new())
}

fn lost(s: &Scenario, trace: &Trace, none: bool) -> Judged {
    let lost = lost_acknowledged(&s.topology, trace);
    let total: usize = lost.values().map(Vec::len).sum();
    let list = lost
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}: {}", bounded(v)))
        .collect::<Vec<_>>()
        .join("; ");
    let acked = trace
        .events
        .iter()
        .filter(|x| matches!(x.kind, Kind::Acknowledged { .. }))
        .count();
    let (total_s, acked_s) = (thousands(total), thousands(acked));
    if acked == 0 {
        return (
            false,
            "no event was acknowledged at all: the expectation was never exercised".into(),
            Vec::new(),
        );
    }
    let detail = match (total, none) {
        (0, _) => format!("{acked_s} acknowledged, none lost"),
        (_, true) => format!("{total_s} acknowledged event(s) lost: {list}"),
        (_, false) => format!("{total_s} acknowledged event(s) lost, as rehearsed: {list}"),
    };
    ((total == 0) == none, detail, Vec::new())
}

/// An event in words, for details (the JSON of its kind, without the Rust names).
pub(super) fn describe_event(e: &Event) -> String {
    serde_json::to_string(&e.kind).unwrap_or_default()
}

/// The dialler's last events towards `to` in the window, in words.
pub(super) fn last_words(trace: &Trace, from: &str, to: &str, w: (u64, u64)) -> String {
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

pub(super) fn related(trace: &Trace, a: &str, b: &str, w: (u64, u64)) -> Vec<Event> {
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

fn near(trace: &Trace, node: &str, at: u64) -> Vec<Event> {
    related(trace, node, "scs", (0, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_bounded() {
        let ids: Vec<String> = (1..=24_909).map(|i| format!("desk-{i}")).collect();
        let text = bounded(&ids);
        assert!(text.starts_with("desk-1, desk-2,"), "{text}");
        assert!(text.ends_with("desk-10, and 24,899 more"), "{text}");
        assert_eq!(bounded(&["a", "b"]), "a, b");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }
}
