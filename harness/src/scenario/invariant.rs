//! The always-on invariants of every run: at most one primary outside a bounded switchover
//! window, no plaintext session on a secured port, and every injected fault took effect (a
//! partition that dropped nothing is a broken scenario, not a pass). Only reads the trace.

use super::verdict::Verdict;
use super::{Check, Scenario, StepAction};
use crate::check::primaries_windows;
use crate::trace::{Event, FaultName, Kind, StopReason, Trace};

/// Windows as `19002–35007, …`, bounded like every list of a detail.
fn spans(windows: &[&(u64, u64)]) -> String {
    let shown: Vec<String> = windows.iter().map(|(a, b)| format!("{a}–{b}")).collect();
    super::verdict::bounded(&shown)
}

/// The always-on invariants.
pub fn check(s: &Scenario, trace: &Trace) -> Vec<Verdict> {
    let mut out = Vec::new();
    let inv = &s.invariants;
    let bound = u64::try_from(inv.switchover_window.as_millis()).unwrap_or(u64::MAX);
    let expected_split = s
        .expects
        .iter()
        .any(|e| matches!(e.check, Check::TwoPrimaries { .. }));
    for pair in s.topology.pairs() {
        let windows = primaries_windows(trace, &pair.primary.name.value, &pair.backup.name.value);
        let long: Vec<_> = windows.iter().filter(|(a, b)| b - a > bound).collect();
        let held = long.is_empty() || expected_split;
        out.push(Verdict {
            kind: "invariant",
            what: format!(
                "at most one primary in {}/{} outside a {} ms switchover window",
                pair.primary.name.value, pair.backup.name.value, bound
            ),
            held,
            detail: if long.is_empty() {
                "no longer window".into()
            } else if expected_split {
                format!(
                    "windows (ms) {} are the split this scenario rehearses",
                    spans(&long)
                )
            } else {
                format!("two primaries during (ms): {}", spans(&long))
            },
            line: None,
            excerpt: Vec::new(),
        });
    }
    if inv.ha_resyncs_per_minute > 0 {
        for pair in s.topology.pairs() {
            out.push(ha_link_steady(
                trace,
                &pair.primary.name.value,
                &pair.backup.name.value,
                inv.ha_resyncs_per_minute,
            ));
        }
    }
    if inv.no_plaintext {
        let bad: Vec<&Event> = trace
            .events
            .iter()
            .filter(|e| {
                matches!(
                    &e.kind,
                    Kind::PlainSession {
                        mode: crate::topology::ListenMode::Secured,
                        ..
                    }
                )
            })
            .collect();
        out.push(Verdict {
            kind: "invariant",
            what: "no plaintext session on a secured port".into(),
            held: bad.is_empty(),
            detail: format!("{} plain session(s) on secured ports", bad.len()),
            line: None,
            excerpt: bad.into_iter().cloned().collect(),
        });
    }
    if inv.faults_effective {
        for step in &s.steps {
            if let Some((held, detail)) = took_effect(s, trace, step) {
                out.push(Verdict {
                    kind: "invariant",
                    what: format!("the step at {}s took effect", step.at.as_secs_f64()),
                    held,
                    detail,
                    line: Some(s.source.locate(step.span.start).line),
                    excerpt: Vec::new(),
                });
            }
        }
    }
    out
}

/// The HA link of a pair does not flap: no more than `limit` full resynchronisations within
/// any minute. A link that drops right after every resync (a state transfer the peer
/// refuses, say) otherwise looks "connected" most of the time while nothing is replicated.
fn ha_link_steady(trace: &Trace, a: &str, b: &str, limit: u32) -> Verdict {
    // Each resync counted once, by the instance that was backup for it.
    let syncs: Vec<&Event> = trace
        .events
        .iter()
        .filter(|e| {
            matches!(&e.kind, Kind::HaSynced { backup, primary, .. }
                if e.node == *backup && (backup == a && primary == b || backup == b && primary == a))
        })
        .collect();
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let burst = syncs.windows(limit.saturating_add(1)).find(|w| {
        let (first, last) = (w[0].at_ms, w[w.len() - 1].at_ms);
        last - first < 60_000
    });
    Verdict {
        kind: "invariant",
        what: format!("the HA link of {a}/{b} does not flap (at most {limit} resyncs a minute)"),
        held: burst.is_none(),
        detail: match burst {
            None => format!("{} resync(s) in the run", syncs.len()),
            Some(w) => format!(
                "{} resyncs between {} ms and {} ms: the link keeps dropping after it syncs",
                w.len(),
                w[0].at_ms,
                w[w.len() - 1].at_ms
            ),
        },
        line: None,
        excerpt: burst
            .map(|w| w.iter().take(3).map(|e| (*e).clone()).collect())
            .unwrap_or_default(),
    }
}

/// Whether an injected fault did something observable (a partition that dropped nothing is a
/// broken scenario, not a pass). `None` for steps whose effect is not observable as such.
fn took_effect(s: &Scenario, trace: &Trace, step: &super::Step) -> Option<(bool, String)> {
    let from = u64::try_from(step.at.as_millis()).unwrap_or(u64::MAX);
    let after = |f: &dyn Fn(&Event) -> bool| trace.events.iter().any(|e| e.at_ms >= from && f(e));
    let apps_on = |host: &str| -> Vec<String> {
        s.topology
            .apps
            .iter()
            .filter(|a| a.host.value == host)
            .map(|a| a.name.value.clone())
            .collect()
    };
    let touched = |hosts: &[&String]| {
        let apps: Vec<String> = hosts.iter().flat_map(|h| apps_on(h)).collect();
        let names: Vec<String> = hosts
            .iter()
            .filter_map(|h| s.topology.host(h).map(|x| x.name.value.clone()))
            .collect();
        after(&|e: &Event| match &e.kind {
            Kind::Disconnected { .. } | Kind::ConnectFailed { .. } | Kind::RoleChanged { .. } => {
                apps.contains(&e.node)
            }
            Kind::HandshakeFailed {
                class: crate::tls::FailureClass::Timeout,
                ..
            } => apps.contains(&e.node),
            Kind::Fault { fault, target } => {
                *fault == FaultName::HostLost && (hosts.contains(&target) || names.contains(target))
            }
            Kind::Switchover { .. } => true,
            _ => false,
        })
    };
    let (held, what) = match &step.action {
        StepAction::Crash(a) => (
            after(&|e| {
                e.node == *a
                    && matches!(
                        &e.kind,
                        Kind::Stopped {
                            reason: StopReason::Crashed
                        }
                    )
            }),
            format!("{a} stopped"),
        ),
        StepAction::Restart(a) => (
            after(&|e| e.node == *a && matches!(e.kind, Kind::Started { .. })),
            format!("{a} started again"),
        ),
        StepAction::PowerOff(h) => (touched(&[h]), format!("peers of {h} noticed")),
        StepAction::Partition(a, b) | StepAction::Hold(a, b) => (
            touched(&[a, b]),
            format!("traffic between {a} and {b} was affected"),
        ),
        StepAction::Switchover(order) => {
            // The SCS answers an order at once: the first switchover or refusal after the step
            // is its answer.
            let answer = trace.events.iter().find(|e| {
                e.at_ms >= from
                    && (matches!(&e.kind,
                        Kind::Switchover { reason, .. } if reason.is_manual())
                        || matches!(&e.kind,
                            Kind::SwitchoverRefused { app, .. } if app == order.app()))
            });
            let what = match order {
                crate::node::Order::Pair(a) => format!("the SCS switched the pair of {a} over"),
                crate::node::Order::To(a) => format!("the SCS made {a} primary"),
            };
            return Some(match answer.map(|e| &e.kind) {
                Some(Kind::Switchover { promote, .. }) => (true, format!("{what} ({promote})")),
                Some(Kind::SwitchoverRefused { app, reason }) => (
                    false,
                    format!(
                        "the SCS refused the switchover of {app} at {} ms: {reason}",
                        answer.map_or(0, |e| e.at_ms)
                    ),
                ),
                _ => (false, format!("no sign that {what}")),
            });
        }
        StepAction::Traffic(c, r) if *r > 0.0 => (
            after(&|e| e.node == *c && matches!(e.kind, Kind::Acknowledged { .. })),
            format!("{c}'s requests were acknowledged"),
        ),
        _ => return None,
    };
    Some((
        held,
        if held {
            what
        } else {
            format!("no sign that {what}")
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synced(at_ms: u64, node: &str) -> Event {
        Event {
            at_ms,
            node: node.into(),
            kind: Kind::HaSynced {
                primary: "p".into(),
                backup: "b".into(),
                port: "ha".into(),
                tls: true,
            },
        }
    }

    #[test]
    fn an_ha_link_that_resyncs_every_second_is_flapping() {
        // What a refused state transfer looked like: synced, dropped 1 ms later, every second.
        // Both ends report each resync; only the backup's report counts.
        let events = (0..10)
            .flat_map(|i| [synced(1_000 * i, "b"), synced(1_000 * i, "p")])
            .collect();
        let v = ha_link_steady(&Trace { events }, "p", "b", 5);
        assert!(!v.held, "{}", v.detail);
        assert!(
            v.detail.contains("6 resyncs between 0 ms and 5000 ms"),
            "{}",
            v.detail
        );
    }

    #[test]
    fn resyncs_spread_over_minutes_are_no_flapping() {
        let events = (0..10).map(|i| synced(20_000 * i, "b")).collect();
        let v = ha_link_steady(&Trace { events }, "p", "b", 5);
        assert!(v.held, "{}", v.detail);
        assert_eq!(v.detail, "10 resync(s) in the run");
        let v = ha_link_steady(&Trace { events: Vec::new() }, "b", "p", 5);
        assert!(v.held);
    }
}
