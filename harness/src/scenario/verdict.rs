//! Judging a run: each expectation and each always-on invariant against the trace (and the
//! static findings), with what the trace shows instead when it fails. Only reads.

use std::time::Duration;

use serde::Serialize;

use super::load::{app, class, role, tls};
use super::{Check, Expect, Scenario, Timing, TlsExpect};
use crate::check::{Timeline, lost_acknowledged, primaries_windows};
use crate::diag::Problem;
use crate::rules::{Finding, Severity};
use crate::topology::Topology;
use crate::topology::reader::{Reader, Table};
use crate::trace::{Event, Kind, Trace};

/// Decodes the check of an expectation table (`kind` is its one check key).
pub(super) fn decode_check(
    r: &mut Reader,
    et: &Table<'_>,
    t: &Topology,
    kind: &str,
) -> Option<Check> {
    let v = et.get(kind)?;
    let sub = |r: &mut Reader, keys: &[&str]| {
        let inner = r.table(v, kind)?;
        r.keys(inner, keys, &format!("`{kind}`"));
        Some(inner)
    };
    Some(match kind {
        "role" => {
            let i = sub(r, &["app", "is"])?;
            Check::Role {
                app: app(r, i, "app", t)?,
                is: role(r, i, "is")?,
            }
        }
        "connected" => {
            let i = sub(r, &["from", "to", "port", "tls", "peer"])?;
            Check::Connected {
                from: app(r, i, "from", t)?,
                to: app(r, i, "to", t)?,
                port: r.string(i, "port").map(|p| p.value),
                tls: tls(r, i),
                peer: r.string(i, "peer").map(|p| p.value),
            }
        }
        "reconnected" => {
            let i = sub(r, &["client", "to", "port", "tls"])?;
            Check::Reconnected {
                client: app(r, i, "client", t)?,
                to: app(r, i, "to", t)?,
                port: r.string(i, "port").map(|p| p.value),
                tls: tls(r, i),
            }
        }
        "refused" => {
            let i = sub(r, &["from", "to", "port", "class"])?;
            Check::Refused {
                from: app(r, i, "from", t)?,
                to: app(r, i, "to", t)?,
                port: r.string(i, "port").map(|p| p.value),
                class: class(r, i, "class")?,
            }
        }
        "rejected" => {
            let rule = r.string_value(v, kind)?;
            known_rule(r, &rule)?;
            Check::Rejected(rule.value)
        }
        "finding" => {
            let i = sub(r, &["rule", "severity", "present"])?;
            let rule = r.string(i, "rule")?;
            known_rule(r, &rule)?;
            let severity = r
                .choice(
                    i,
                    "severity",
                    &[(Severity::Error, "error"), (Severity::Warning, "warning")],
                )
                .map(|s| s.value);
            Check::Finding {
                rule: rule.value,
                severity,
                present: r.boolish(i, "present").is_none_or(|b| b.value),
            }
        }
        "no-acked-event-lost" => Check::NoAckedEventLost(r.boolish_value(v, kind)?.value),
        "two-primaries" => {
            let i = sub(r, &["pair", "longer-than"])?;
            let pair = app(r, i, "pair", t)?;
            if t.pairs().all(|p| p.primary.name.value != pair) {
                r.push(Problem::new(
                    "bad-value",
                    v.span(),
                    format!("`{pair}` is not the primary of a pair"),
                ));
                return None;
            }
            Check::TwoPrimaries {
                pair,
                longer_than: r
                    .duration(i, "longer-than")
                    .map_or(Duration::ZERO, |d| d.value),
            }
        }
        _ => return None,
    })
}

fn known_rule(r: &mut Reader, rule: &crate::diag::Sp<String>) -> Option<()> {
    if crate::rules::rule(&rule.value).is_some() {
        return Some(());
    }
    let p = Problem::new(
        "unknown-rule",
        rule.span,
        format!("no rule `{}`", rule.value),
    );
    r.push(
        match crate::diag::closest(&rule.value, crate::rules::RULES.iter().map(|x| x.id)) {
            Some(c) => p.help(format!("did you mean `{c}`?")),
            None => p.help("`hapair rules` lists them"),
        },
    );
    None
}

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

fn window(timing: &Timing, end: u64) -> (u64, u64) {
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    match timing {
        Timing::Anytime => (0, end),
        Timing::At(t) => (ms(*t), ms(*t)),
        Timing::Within { after, within, .. } => (ms(*after), ms(*after + *within)),
    }
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
        Check::Role { app, is } => format!("{app} is {is:?}").to_lowercase(),
        Check::Connected { from, to, port, .. } => format!(
            "{from} connected to {to}{}",
            port.as_ref().map_or(String::new(), |p| format!("/{p}"))
        ),
        Check::Reconnected { client, to, .. } => format!("{client} reconnected to {to}"),
        Check::Refused {
            from, to, class, ..
        } => format!("{from} -> {to} refused as {class}"),
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

fn in_window(e: &Event, (a, b): (u64, u64)) -> bool {
    e.at_ms >= a && e.at_ms <= b
}

fn tls_ok(want: &Option<TlsExpect>, tls: bool, version: Option<&str>) -> bool {
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

fn expectation(s: &Scenario, e: &Expect, trace: &Trace, findings: &[Finding]) -> Verdict {
    let end = trace.events.last().map_or(0, |x| x.at_ms);
    let w = window(&e.timing, end);
    let (held, detail, excerpt): (bool, String, Vec<Event>) = match &e.check {
        Check::Role { app, is } => {
            let roles = Timeline::of(trace);
            match &e.timing {
                Timing::At(_) => {
                    let got = roles.at(app, w.0);
                    (
                        got == Some(*is),
                        format!("{app} was {got:?} at {} ms", w.0),
                        near(trace, app, w.0),
                    )
                }
                _ => match roles.first(app, *is, w.0) {
                    Some(at) if at <= w.1 => {
                        (true, format!("{app} became {is:?} at {at} ms"), Vec::new())
                    }
                    Some(at) => (
                        false,
                        format!(
                            "{app} became {is:?} only at {at} ms, after the deadline {} ms",
                            w.1
                        ),
                        near(trace, app, at),
                    ),
                    None => (
                        false,
                        format!(
                            "{app} never became {is:?} after {} ms; its role at the end: {:?}",
                            w.0,
                            roles.at(app, end)
                        ),
                        near(trace, app, w.1),
                    ),
                },
            }
        }
        Check::Connected {
            from,
            to,
            port,
            tls,
            peer,
        } => {
            let hs = trace.events.iter().find(|x| {
                x.node == *from && in_window(x, w) && matches!(&x.kind, Kind::HandshakeOk { peer: p, port: q, version, peer_subject, .. }
                    if p == to && port.as_ref().is_none_or(|port| port == q) && tls_ok(tls, true, Some(version)) && peer.as_ref().is_none_or(|want| peer_subject.as_deref() == Some(want)))
            });
            let plain = trace.events.iter().find(|x| {
                x.node == *from && in_window(x, w) && matches!(&x.kind, Kind::Connected { peer: p, port: q, tls: false, .. } if p == to && port.as_ref().is_none_or(|port| port == q))
            });
            let wants_tls =
                !matches!(tls, Some(TlsExpect::On(false))) && (tls.is_some() || peer.is_some());
            // A handshake counts once the session is established on it: in TLS 1.3 the
            // dialler finishes before the server has judged its certificate.
            let established = hs.and_then(|h| {
                trace.events.iter().find(|x| {
                    x.node == *from && x.at_ms >= h.at_ms && x.at_ms <= w.1.max(h.at_ms)
                        && matches!(&x.kind, Kind::Connected { peer: p, port: q, tls: true, .. } if p == to && port.as_ref().is_none_or(|port| port == q))
                })
            });
            match (established, plain) {
                (Some(x), _) if wants_tls || tls.is_none() => (
                    true,
                    format!("TLS session with {to} at {} ms", x.at_ms),
                    Vec::new(),
                ),
                (_, Some(x)) if !wants_tls => (
                    true,
                    format!("plain session with {to} at {} ms", x.at_ms),
                    Vec::new(),
                ),
                _ => (
                    false,
                    last_words(trace, from, to, w),
                    related(trace, from, to, w),
                ),
            }
        }
        Check::Reconnected {
            client,
            to,
            port,
            tls,
        } => {
            let session = trace.events.iter().rev().find(|x| {
                x.node == *client
                    && x.at_ms <= w.1
                    && matches!(&x.kind, Kind::Connected { peer, port: q, .. } if peer == to && port.as_ref().is_none_or(|p| p == q))
            });
            let served = trace.events.iter().find(|x| {
                x.node == *client
                    && in_window(x, w)
                    && matches!(&x.kind, Kind::Acknowledged { by, .. } if by == to)
            });
            let fresh = session.filter(|x| in_window(x, w));
            let tls_of = |x: &Event| matches!(&x.kind, Kind::Connected { tls: true, .. });
            let version = trace
                .events
                .iter()
                .rev()
                .filter(|x| x.node == *client && x.at_ms <= w.1)
                .find_map(|x| match &x.kind {
                    Kind::HandshakeOk { peer, version, .. } if peer == to => Some(version.as_str()),
                    _ => None,
                });
            match (session, fresh.or(served)) {
                (Some(s_ev), Some(ev)) if tls_ok(tls, tls_of(s_ev), version) => (
                    true,
                    format!("{client} with {to} at {} ms", ev.at_ms),
                    Vec::new(),
                ),
                (Some(s_ev), Some(_)) => (
                    false,
                    format!(
                        "{client} reached {to} but its session is tls={} (version {version:?})",
                        tls_of(s_ev)
                    ),
                    related(trace, client, to, w),
                ),
                _ => (
                    false,
                    last_words(trace, client, to, w),
                    related(trace, client, to, w),
                ),
            }
        }
        Check::Refused {
            from,
            to,
            port,
            class,
        } => {
            let host = s
                .topology
                .app(from)
                .and_then(|a| s.topology.host_of(a))
                .map(|h| h.name.value.clone())
                .unwrap_or_default();
            let hit = trace.events.iter().find(|x| in_window(x, w) && matches!(&x.kind, Kind::HandshakeFailed { peer, port: q, class: c, .. }
                if c == class && port.as_ref().is_none_or(|p| p == q) && ((x.node == *from && peer == to) || (x.node == *to && (peer == from || *peer == host)))));
            match hit {
                Some(x) => (
                    true,
                    format!("{} recorded {class} at {} ms", x.node, x.at_ms),
                    Vec::new(),
                ),
                None => (
                    false,
                    last_words(trace, from, to, w),
                    related(trace, from, to, w),
                ),
            }
        }
        Check::Rejected(rule) => {
            let static_hit = findings
                .iter()
                .any(|f| f.rule == rule && f.severity == Severity::Error);
            let node_hit = trace
                .events
                .iter()
                .find(|x| matches!(&x.kind, Kind::ConfigRejected { rule: r, .. } if r == rule));
            let held = static_hit || node_hit.is_some();
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
            (held, detail, Vec::new())
        }
        Check::Finding {
            rule,
            severity,
            present,
        } => {
            let hits: Vec<&Finding> = findings
                .iter()
                .filter(|f| f.rule == rule && severity.is_none_or(|s| f.severity == s))
                .collect();
            let detail = if hits.is_empty() {
                format!("no {rule} finding")
            } else {
                hits.iter()
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            (hits.is_empty() != *present, detail, Vec::new())
        }
        Check::NoAckedEventLost(none) => {
            let lost = lost_acknowledged(&s.topology, trace);
            let total: usize = lost.values().map(Vec::len).sum();
            let list = lost
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| format!("{k}: {}", v.join(", ")))
                .collect::<Vec<_>>()
                .join("; ");
            let acked = trace
                .events
                .iter()
                .filter(|x| matches!(x.kind, Kind::Acknowledged { .. }))
                .count();
            if acked == 0 {
                (
                    false,
                    "no event was acknowledged at all: the expectation was never exercised".into(),
                    Vec::new(),
                )
            } else if *none {
                (
                    total == 0,
                    if total == 0 {
                        format!("{acked} acknowledged, none lost")
                    } else {
                        format!("{total} acknowledged event(s) lost: {list}")
                    },
                    Vec::new(),
                )
            } else {
                (
                    total > 0,
                    if total > 0 {
                        format!("{total} acknowledged event(s) lost, as rehearsed: {list}")
                    } else {
                        format!("{acked} acknowledged, none lost")
                    },
                    Vec::new(),
                )
            }
        }
        Check::TwoPrimaries { pair, longer_than } => {
            let partner = s
                .topology
                .pair_of(pair)
                .map(|p| p.backup.name.value.clone())
                .unwrap_or_default();
            let windows = primaries_windows(trace, pair, &partner);
            let ms = u64::try_from(longer_than.as_millis()).unwrap_or(u64::MAX);
            let hit = windows.iter().find(|(a, b)| b - a >= ms);
            (
                hit.is_some(),
                format!("two-primary windows (ms): {windows:?}"),
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

/// The dialler's last events towards `to` in the window, in words.
fn last_words(trace: &Trace, from: &str, to: &str, w: (u64, u64)) -> String {
    let ev = related(trace, from, to, w);
    match ev.last() {
        Some(x) => format!(
            "last seen at {} ms: {} {}",
            x.at_ms,
            x.node,
            serde_json::to_string(&x.kind).unwrap_or_default()
        ),
        None => format!("no event between {from} and {to} in {}..{} ms", w.0, w.1),
    }
}

fn related(trace: &Trace, a: &str, b: &str, w: (u64, u64)) -> Vec<Event> {
    let mut v: Vec<Event> = trace
        .events
        .iter()
        .filter(|x| x.at_ms <= w.1 + 1_000 && (x.node == a || x.node == b))
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
