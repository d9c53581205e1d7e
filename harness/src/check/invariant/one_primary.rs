//! At most one primary per pair outside a bounded switchover window
//! (`[invariants] switchover-window`, 1 s by default). A scenario that expects a split
//! (`two-primaries`) rehearses it: its windows are named, not failed.

use crate::check::roles::primaries_windows;
use crate::check::verdict::{Judged, Verdict, VerdictKind, spans};
use crate::scenario::{Check, Scenario};
use crate::trace::Trace;

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
            let long: Vec<&(u64, u64)> = windows
                .iter()
                .filter(|(a, b)| b.saturating_sub(*a) > bound)
                .collect();
            Verdict {
                kind: VerdictKind::Invariant,
                what: format!(
                    "at most one primary in {}/{} outside a {} ms switchover window",
                    pair.primary.name.value, pair.backup.name.value, bound
                ),
                held: long.is_empty() || expected_split,
                judged: Judged::Window(0, end),
                evidence: Vec::new(),
                miss: None,
                detail: if long.is_empty() {
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
