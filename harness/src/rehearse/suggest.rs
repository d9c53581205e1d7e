//! When the default order breaks something: other orders tried in turn, each run whole, the
//! first whose every step is safe is the suggestion (and its runs are the proof). Tried: the
//! new CAs trusted everywhere before any certificate from them is served (and the old ones
//! dropped last), the clients changed before their servers, and both.

use super::diff::Diff;
use super::order::{Plan, default_order, trust_changes};

/// The orders to try after `base` broke, most conservative change first, without `base`
/// itself and without repeats.
pub fn candidates(diff: &Diff, base: &Plan) -> Vec<(Plan, &'static str)> {
    let t = &diff.from.topology;
    let mut out: Vec<(Plan, &'static str)> = Vec::new();
    let trust = trust_changes(diff);
    let clients_first = default_order(t, true);
    if trust {
        out.push((
            Plan {
                order: base.order.clone(),
                trust_first: true,
            },
            "trust the new CAs everywhere before any certificate from them is served, and drop the old CAs last",
        ));
    }
    out.push((
        Plan {
            order: clients_first.clone(),
            trust_first: base.trust_first,
        },
        "change the clients before their servers",
    ));
    if trust {
        out.push((
            Plan {
                order: clients_first,
                trust_first: true,
            },
            "trust the new CAs everywhere first, then change the clients before their servers",
        ));
    }
    let mut seen = vec![base.clone()];
    out.retain(|(p, _)| {
        if seen.contains(p) {
            false
        } else {
            seen.push(p.clone());
            true
        }
    });
    out
}
