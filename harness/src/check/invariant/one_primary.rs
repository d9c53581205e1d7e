//! At most one primary per pair outside a bounded switchover window
//! (`[invariants] switchover-window`, 1 s by default). A scenario that expects a split
//! (`two-primaries`) rehearses it: its windows are named, not failed.
//!
//! With `[invariants] split-brain-under-network-fault` (a sweep turns it on), two primaries
//! while a network fault (partition, hold, loss, latency) separates the pair's hosts from each
//! other or one of them from the SCS's host is the documented split brain (both instances
//! may be primary while the SCS cannot reach one, [S-SCS-RN] log event 20622): allowed while
//! the fault lasts and for the liveness bound after it is lifted (the time a correct pair takes
//! to converge; the liveness phase then proves it did). Without the fault it still fails.

use crate::check::roles::{primaries_windows, promotions};
use crate::check::verdict::{Judged, Verdict, VerdictKind, spans};
use crate::fault::Fault;
use crate::scenario::{Check, Scenario};
use crate::topology::{AppType, Pair};
use crate::trace::Trace;

/// Two-primary windows (ms).
type Windows<'w> = Vec<&'w (u64, u64)>;

/// A verdict per pair of the topology.
pub fn judge(s: &Scenario, trace: &Trace, end: u64) -> Vec<Verdict> {
    let bound = u64::try_from(s.invariants.switchover_window.as_millis()).unwrap_or(u64::MAX);
    let expected_split = s
        .expects
        .iter()
        .any(|e| matches!(e.check, Check::TwoPrimaries { .. }));
    s.topology
        .pairs()
        .map(|pair| {
            let windows =
                primaries_windows(trace, &pair.primary.name.value, &pair.backup.name.value);
            let allowed = if s.invariants.split_brain_under_network_fault {
                separated(s, pair, end)
            } else {
                Vec::new()
            };
            let excused = |(a, b): &(u64, u64)| allowed.iter().any(|(x, y)| a >= x && b <= y);
            let (long, split): (Windows<'_>, Windows<'_>) = windows
                .iter()
                .filter(|(a, b)| b.saturating_sub(*a) > bound)
                .partition(|w| !excused(w));
            Verdict {
                kind: VerdictKind::Invariant,
                what: format!(
                    "at most one primary in {}/{} outside a {} ms switchover window",
                    pair.primary.name.value, pair.backup.name.value, bound
                ),
                held: long.is_empty() || expected_split,
                judged: Judged::Window(0, end),
                evidence: if long.is_empty() {
                    promotions(
                        trace,
                        &pair.primary.name.value,
                        &pair.backup.name.value,
                        (0, end),
                    )
                } else {
                    Vec::new()
                },
                miss: None,
                detail: if long.is_empty() && !split.is_empty() {
                    format!(
                        "windows (ms) {} fall while a network fault separated the pair (split \
                         brain, documented)",
                        spans(split)
                    )
                } else if long.is_empty() {
                    "no longer window".into()
                } else if expected_split {
                    format!(
                        "windows (ms) {} are the split this scenario rehearses",
                        spans(long)
                    )
                } else {
                    format!("two primaries during (ms): {}", spans(long))
                },
                line: None,
                excerpt: Vec::new(),
            }
        })
        .collect()
}

/// The stretches (ms) during which a network fault separated the pair's hosts from each other
/// or one of them from the SCS's host, each extended by the liveness bound after its lifting.
fn separated(s: &Scenario, pair: Pair<'_>, end: u64) -> Vec<(u64, u64)> {
    let host = |a: &crate::topology::App| a.host.value.clone();
    let (hp, hb) = (host(pair.primary), host(pair.backup));
    let scs: Vec<String> = s
        .topology
        .apps
        .iter()
        .filter(|a| a.kind.value == AppType::Scs)
        .map(host)
        .collect();
    let watched = |a: &str, b: &str| {
        let is = |x: &str, y: &str| (a == x && b == y) || (a == y && b == x);
        is(&hp, &hb) || scs.iter().any(|c| is(&hp, c) || is(&hb, c))
    };
    let after = crate::check::liveness::derive(&s.topology, &s.steps).total;
    let after = u64::try_from(after.as_millis()).unwrap_or(u64::MAX);
    let mut steps: Vec<&crate::scenario::Step> = s.steps.iter().collect();
    steps.sort_by_key(|st| st.at);
    let mut open: Vec<((String, String), u64)> = Vec::new();
    let mut out = Vec::new();
    for st in steps {
        let at = u64::try_from(st.at.as_millis()).unwrap_or(u64::MAX);
        let (a, b, on) = match &st.fault {
            Fault::Partition { a, b } | Fault::Hold { a, b } => (a, b, true),
            Fault::Heal { a, b } | Fault::Release { a, b } => (a, b, false),
            Fault::Latency { a, b, delay } => (a, b, !delay.is_zero()),
            Fault::Loss { a, b, rate } => (a, b, *rate > 0.0),
            _ => continue,
        };
        if !watched(a.as_str(), b.as_str()) {
            continue;
        }
        let key = if a.as_str() <= b.as_str() {
            (a.to_string(), b.to_string())
        } else {
            (b.to_string(), a.to_string())
        };
        match open.iter().position(|(k, _)| *k == key) {
            Some(i) if !on => {
                let (_, from) = open.swap_remove(i);
                out.push((from, at.saturating_add(after)));
            }
            None if on => open.push((key, at)),
            _ => {}
        }
    }
    out.extend(
        open.into_iter()
            .map(|(_, from)| (from, end.saturating_add(1))),
    );
    out
}
