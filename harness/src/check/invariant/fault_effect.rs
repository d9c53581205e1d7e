//! Every injected fault took effect (`[invariants] faults-effective`): a crash stopped the
//! process, a restart started it, a power-off or a partition was noticed by someone (or a
//! partition or hold delayed a request, or a pair's replication, across it past its
//! lifting), a switchover was carried out (or the SCS said why not), traffic was
//! acknowledged. A fault that did nothing is a broken scenario, not a pass. Steps whose effect
//! is not observable as such (a heal, a latency) are not judged.

use std::collections::HashMap;

use crate::check::evidence::indexed;
use crate::check::verdict::{Judged, Verdict, VerdictKind};
use crate::fault::Fault;
use crate::node::Order;
use crate::scenario::{Scenario, Step};
use crate::tls::FailureClass;
use crate::trace::{Event, FaultName, Kind, StopReason, Trace};

/// A verdict per step whose effect is observable.
pub fn judge(s: &Scenario, trace: &Trace, end: u64) -> Vec<Verdict> {
    s.steps
        .iter()
        .filter_map(|step| {
            let from = u64::try_from(step.at.as_millis()).unwrap_or(u64::MAX);
            let (held, detail, evidence) = took_effect(s, trace, step, from)?;
            Some(Verdict {
                kind: VerdictKind::Invariant,
                what: step_words(step.at),
                held,
                judged: Judged::Window(from, end.max(from)),
                evidence: evidence.into_iter().collect(),
                miss: None,
                detail,
                line: Some(s.source.locate(step.span.start).line),
                excerpt: Vec::new(),
            })
        })
        .collect()
}

/// What the verdict on the step at `at` checks, in its words (a sweep tells its drawn steps'
/// verdicts by them).
pub fn step_words(at: std::time::Duration) -> String {
    format!("the step at {}s took effect", at.as_secs_f64())
}

/// Whether the step did something observable from `from` on, in words, and the first event
/// that shows it. `None` for steps whose effect is not observable as such.
fn took_effect(
    s: &Scenario,
    trace: &Trace,
    step: &Step,
    from: u64,
) -> Option<(bool, String, Option<usize>)> {
    let after = |f: &dyn Fn(&Event) -> bool| {
        indexed(trace)
            .find(|(_, e)| e.at_ms >= from && f(e))
            .map(|(i, _)| i)
    };
    let apps_on = |host: &str| -> Vec<String> {
        s.topology
            .apps
            .iter()
            .filter(|a| a.host.value == host)
            .map(|a| a.name.value.clone())
            .collect()
    };
    let touched = |hosts: &[&str]| {
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
                class: FailureClass::Timeout,
                ..
            } => apps.contains(&e.node),
            Kind::Fault {
                fault: FaultName::HostLost,
                target,
            } => hosts.contains(&target.as_str()) || names.contains(target),
            Kind::Switchover { .. } => true,
            _ => false,
        })
    };
    let (shown, what) = match &step.fault {
        Fault::Crash { app: a } => (
            after(&|e| {
                *a == e.node
                    && matches!(
                        &e.kind,
                        Kind::Stopped {
                            reason: StopReason::Crashed
                        }
                    )
            }),
            format!("{a} stopped"),
        ),
        // A process that refuses its configuration at start-up took its restart too: it
        // started, read its configuration and stopped (`config-rejected`).
        Fault::Restart { app: a } => (
            after(&|e| {
                *a == e.node && matches!(e.kind, Kind::Started { .. } | Kind::ConfigRejected { .. })
            }),
            format!("{a} started again"),
        ),
        Fault::PowerOff { host: h } => (touched(&[h.as_str()]), format!("peers of {h} noticed")),
        // Noticed by someone, or something sent across the cut while it lasted (a request, a
        // pair's replication) that arrived only once it was lifted: TCP retransmits what a
        // short cut swallowed, so a session may ride it out, late but unbroken.
        Fault::Partition { a, b } | Fault::Hold { a, b } => (
            touched(&[a.as_str(), b.as_str()])
                .or_else(|| delayed_across(s, trace, step, from, a.as_str(), b.as_str())),
            format!("traffic between {a} and {b} was affected"),
        ),
        Fault::Switchover { order } => return Some(switchover(trace, order, from)),
        Fault::Traffic { from: c, rate } if *rate > 0.0 => (
            after(&|e| *c == e.node && matches!(e.kind, Kind::Acknowledged { .. })),
            format!("{c}'s requests were acknowledged"),
        ),
        Fault::Calls(c) => (
            after(&|e| match &e.kind {
                Kind::CallEvent { .. } => {
                    e.node == c.source.as_str()
                        || s.topology.pair_of(c.source.as_str()).is_some_and(|p| {
                            e.node == p.primary.name.value || e.node == p.backup.name.value
                        })
                }
                Kind::CallEventLost { .. } => true,
                _ => false,
            }),
            format!("the switch placed calls through {}'s pair", c.source),
        ),
        _ => return None,
    };
    Some(match shown {
        Some(i) => (true, what, Some(i)),
        None => (false, format!("no sign that {what}"), None),
    })
}

/// Between `from` and the step lifting the cut between hosts `a` and `b`: the first request
/// from a client on one side to a server on the other that was not acknowledged before the
/// lifting, or the first event taken by an instance of a pair on one side and stored by the
/// other instance, on the other side, only after it.
fn delayed_across(
    s: &Scenario,
    trace: &Trace,
    step: &Step,
    from: u64,
    a: &str,
    b: &str,
) -> Option<usize> {
    let same = |x: &str, y: &str| (x == a && y == b) || (x == b && y == a);
    let until = s
        .steps
        .iter()
        .filter(|l| l.at > step.at)
        .find(|l| match (&step.fault, &l.fault) {
            (Fault::Partition { .. }, Fault::Heal { a: x, b: y })
            | (Fault::Hold { .. }, Fault::Release { a: x, b: y }) => same(x.as_str(), y.as_str()),
            _ => false,
        })
        .map_or(u64::MAX, |l| {
            u64::try_from(l.at.as_millis()).unwrap_or(u64::MAX)
        });
    let host_of = |app: &str| s.topology.app(app).map(|x| x.host.value.as_str());
    let across = |c: &str, to: &str| match (host_of(c), host_of(to)) {
        (Some(x), Some(y)) => same(x, y),
        _ => false,
    };
    // The other instance of `app`'s pair.
    let partner = |app: &str| {
        s.topology.pair_of(app).map(|p| {
            if p.primary.name.value == app {
                p.backup.name.value.as_str()
            } else {
                p.primary.name.value.as_str()
            }
        })
    };
    // When each node first acknowledged (a client's view) or stored each event: looked up
    // per event below, so read once.
    let mut acked: HashMap<(&str, &str), u64> = HashMap::new();
    let mut stored: HashMap<(&str, &str), u64> = HashMap::new();
    for r in &trace.events {
        match &r.kind {
            Kind::Acknowledged { id, .. } => {
                acked
                    .entry((r.node.as_str(), id.as_str()))
                    .or_insert(r.at_ms);
            }
            Kind::Stored { ids } => {
                for id in ids {
                    stored
                        .entry((r.node.as_str(), id.as_str()))
                        .or_insert(r.at_ms);
                }
            }
            _ => {}
        }
    }
    indexed(trace).find_map(|(i, e)| {
        if !(from..until).contains(&e.at_ms) {
            return None;
        }
        match &e.kind {
            // A request across the cut, not answered before it was lifted.
            Kind::Requested { id, to } if across(&e.node, to) => {
                let answered = acked.get(&(e.node.as_str(), id.as_str()));
                answered.is_none_or(|at| *at >= until).then_some(i)
            }
            // An event one instance of a pair took, replicated to the other across the cut
            // only once it was lifted.
            Kind::Accepted { id } => {
                let other = partner(&e.node).filter(|o| across(&e.node, o))?;
                let late = stored.get(&(other, id.as_str()));
                late.is_some_and(|at| *at >= until).then_some(i)
            }
            _ => None,
        }
    })
}

/// The SCS answers an order at once: the first manual switchover or refusal naming the
/// order's application after the step is its answer.
fn switchover(trace: &Trace, order: &Order, from: u64) -> (bool, String, Option<usize>) {
    let answer = indexed(trace).find(|(_, e)| {
        e.at_ms >= from
            && (matches!(&e.kind, Kind::Switchover { reason, .. } if reason.is_manual())
                || matches!(&e.kind,
                    Kind::SwitchoverRefused { app, .. } if app == order.app()))
    });
    let what = match order {
        Order::Pair(a) => format!("the SCS switched the pair of {a} over"),
        Order::To(a) => format!("the SCS made {a} primary"),
    };
    match answer {
        Some((i, e)) => match &e.kind {
            Kind::Switchover { promote, .. } => (true, format!("{what} ({promote})"), Some(i)),
            Kind::SwitchoverRefused { app, reason } => (
                false,
                format!(
                    "the SCS refused the switchover of {app} at {} ms: {reason}",
                    e.at_ms
                ),
                Some(i),
            ),
            _ => (false, format!("no sign that {what}"), None),
        },
        None => (false, format!("no sign that {what}"), None),
    }
}
