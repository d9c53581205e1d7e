//! When the default order breaks something: other orders tried in turn, each run whole, the
//! first whose every step is safe is the suggestion (and its runs are the proof). Tried: the
//! new CAs trusted everywhere before any certificate from them is served (and the old ones
//! dropped last), every `sec-protocol` that changes left empty first (the highest common
//! version), the clients changed before their servers, and the first two with the clients
//! first.

use super::diff::Diff;
use super::order::{Plan, default_order, relaxes, trust_changes};

/// The orders to try after `base` broke, most conservative change first, without `base`
/// itself and without repeats.
pub fn candidates(diff: &Diff, base: &Plan) -> Vec<(Plan, &'static str)> {
    let t = &diff.from.topology;
    let mut out: Vec<(Plan, &'static str)> = Vec::new();
    let trust = trust_changes(diff);
    let relax = t.apps.iter().any(|a| relaxes(diff, &a.name.value));
    let clients_first = default_order(t, true);
    let plan = |order: &Vec<String>, trust_first, relax_first| Plan {
        order: order.clone(),
        trust_first,
        relax_first,
    };
    if trust {
        out.push((
            plan(&base.order, true, false),
            "trust the new CAs everywhere before any certificate from them is served, and drop the old CAs last",
        ));
    }
    if relax {
        out.push((
            plan(&base.order, false, true),
            "leave sec-protocol empty first wherever it changes (the highest common version), then set the new value",
        ));
    }
    out.push((
        plan(&clients_first, base.trust_first, base.relax_first),
        "change the clients before their servers",
    ));
    if trust {
        out.push((
            plan(&clients_first, true, false),
            "trust the new CAs everywhere first, then change the clients before their servers",
        ));
    }
    if relax {
        out.push((
            plan(&clients_first, false, true),
            "leave sec-protocol empty first, then change the clients before their servers",
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
