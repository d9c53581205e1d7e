//! Judging the expectations of a scenario: one file per kind of `[[expect]]`, each a function
//! from the typed expectation and the trace (and, for `rejected` and `finding`, the static
//! findings) to a [`Judgement`]; [`expectation`] adds what was checked, the window judged and
//! the line into a [`Verdict`]. A new kind of expectation is a variant of
//! [`Check`](crate::scenario::Check) with its decoding (`scenario/expect.rs`), a file here,
//! and its arm below.

mod acked;
mod connected;
mod finding;
mod ha_synced;
mod idb_complete;
mod idb_parity;
mod idb_roles;
mod link;
mod logged;
mod never;
mod reconnected;
mod refused;
mod rejected;
mod role;
mod served;
mod two_primaries;

use super::evidence::window;
use super::session::Want;
use super::verdict::{Judged, Judgement, Verdict, VerdictKind};
use crate::idb::Idbs;
use crate::rules::Finding;
use crate::scenario::{Check, Expect, IdbCheck, Scenario, Timing};
use crate::trace::Trace;
use connected::Wanted;

/// What a checker reads: the scenario (its topology names pairs and hosts), the trace, the
/// topology's static findings, and the databases the run left.
pub struct Context<'a> {
    /// The scenario run.
    pub scenario: &'a Scenario,
    /// Its trace.
    pub trace: &'a Trace,
    /// `hapair check`'s findings on its topology at its clock.
    pub findings: &'a [Finding],
    /// When the last event happened (ms).
    pub end: u64,
    /// Each `[database.KEY]`'s contents after the run (or why it could not be read).
    pub idbs: &'a Idbs,
}

impl<'a> Context<'a> {
    /// The context of one run.
    pub fn new(
        scenario: &'a Scenario,
        trace: &'a Trace,
        findings: &'a [Finding],
        idbs: &'a Idbs,
    ) -> Self {
        Self {
            scenario,
            trace,
            findings,
            end: trace.events.last().map_or(0, |x| x.at_ms),
            idbs,
        }
    }
}

/// Judges every expectation of `s` against `trace`, the static `findings` and the run's
/// databases `idbs`, in file order.
pub fn expectations(
    s: &Scenario,
    trace: &Trace,
    findings: &[Finding],
    idbs: &Idbs,
) -> Vec<Verdict> {
    let cx = Context::new(s, trace, findings, idbs);
    s.expects.iter().map(|e| expectation(&cx, e)).collect()
}

/// Judges one expectation.
pub fn expectation(cx: &Context<'_>, e: &Expect) -> Verdict {
    let w = window(&e.timing, cx.end);
    let j: Judgement = match &e.check {
        Check::Role { app, is } => role::judge(cx, app, *is, &e.timing, w),
        Check::Connected {
            from,
            to,
            port,
            tls,
            peer,
        } => {
            let want = Want::new(port, tls, peer.as_deref());
            connected::judge(cx, Wanted::Up, from, to, &want, w)
        }
        Check::Established {
            from,
            to,
            port,
            tls,
            peer,
        } => {
            let want = Want::new(port, tls, peer.as_deref());
            connected::judge(cx, Wanted::Opened, from, to, &want, w)
        }
        Check::Reconnected {
            client,
            to,
            port,
            tls,
        } => reconnected::judge(cx, client, to, port, tls, w),
        Check::HaSynced {
            primary,
            backup,
            port,
            tls,
        } => ha_synced::judge(cx, primary, backup, port, tls, w),
        Check::Served { client, by } => served::judge(cx, client, by, w),
        Check::Refused {
            from,
            to,
            port,
            class,
        } => refused::judge(cx, from, to, port, *class, w),
        Check::Never(n) => never::judge(cx, n, w),
        Check::Rejected(rule) => rejected::judge(cx, rule),
        Check::Finding {
            rule,
            severity,
            present,
        } => finding::judge(cx, rule, *severity, *present),
        Check::NoAckedEventLost(none) => match acked::as_of(cx, &e.timing, w) {
            Some(upto) => acked::judge(
                &Context::new(cx.scenario, &upto, cx.findings, cx.idbs),
                *none,
            ),
            None => acked::judge(cx, *none),
        },
        Check::TwoPrimaries { pair, longer_than } => {
            let clip = (e.timing != Timing::Anytime).then_some(w);
            two_primaries::judge(cx, pair, *longer_than, clip)
        }
        Check::Link(l) => link::judge(cx, l, w),
        Check::Logged(l) => logged::judge(cx, l, w),
        Check::Idb(IdbCheck::Parity { set, differ }) => {
            let clip = (e.timing != Timing::Anytime).then_some(w);
            idb_parity::judge(cx, set, differ, clip)
        }
        Check::Idb(IdbCheck::Complete(set)) => idb_complete::judge(cx, set, w),
        Check::Idb(IdbCheck::Roles { set, missing }) => idb_roles::judge(cx, set, missing, w),
    };
    let judged = match (&e.check, &e.timing) {
        (Check::Finding { .. }, _) => Judged::Topology,
        (_, Timing::At(_)) => Judged::Instant(w.0),
        _ => Judged::Window(w.0, w.1),
    };
    Verdict {
        kind: VerdictKind::Expect,
        what: e.describe(),
        held: j.held,
        judged,
        evidence: j.evidence,
        miss: j.miss,
        detail: j.detail,
        line: Some(cx.scenario.source.locate(e.span.start).line),
        excerpt: j.excerpt,
    }
}

#[cfg(test)]
mod idb_tests;
#[cfg(test)]
mod tests;
