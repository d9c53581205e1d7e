//! Every injected fault took effect (`[invariants] faults-effective`): a crash stopped the
//! process, a restart started it, a power-off or a partition was noticed by someone, a
//! switchover was carried out (or the SCS said why not), traffic was acknowledged. A fault
//! that did nothing is a broken scenario, not a pass. Steps whose effect is not observable as
//! such (a heal, a latency) are not judged.

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
        Fault::Partition { a, b } | Fault::Hold { a, b } => (
            touched(&[a.as_str(), b.as_str()]),
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
