//! The always-on invariants of every run, one file each: at most one primary outside a
//! bounded switchover window, an HA link that does not flap, no plaintext session on a
//! secured port, and every injected fault took effect (a partition that dropped nothing is a
//! broken scenario, not a pass). `[invariants]` tunes or turns them off.

mod fault_effect;
mod ha_link;
mod one_primary;
mod plaintext;

pub use fault_effect::step_words;

use super::verdict::Verdict;
use crate::scenario::Scenario;
use crate::trace::Trace;

/// Judges the invariants `s` keeps on `trace`.
pub fn invariants(s: &Scenario, trace: &Trace) -> Vec<Verdict> {
    let inv = &s.invariants;
    let end = trace.events.last().map_or(0, |x| x.at_ms);
    let mut out = one_primary::judge(s, trace, end);
    if inv.ha_resyncs_per_minute > 0 {
        for pair in s.topology.pairs() {
            out.push(ha_link::judge(
                trace,
                &pair.primary.name.value,
                &pair.backup.name.value,
                inv.ha_resyncs_per_minute,
                end,
            ));
        }
    }
    if inv.no_plaintext {
        out.push(plaintext::judge(trace, end));
    }
    if inv.faults_effective {
        out.extend(fault_effect::judge(s, trace, end));
    }
    out
}
