//! Acknowledged events that the pair no longer holds: an event a client was told is safe,
//! absent from the store of the instance that is primary at the end.

use std::collections::{BTreeMap, BTreeSet};

use super::roles::Timeline;
use crate::topology::Role;
use crate::topology::Topology;
use crate::trace::{Kind, Trace};

/// For each pair whose final primary is known: the acknowledged event IDs it does not hold.
/// Pairs with no primary at the end are reported with every acknowledged event.
pub fn lost_acknowledged(topology: &Topology, trace: &Trace) -> BTreeMap<String, Vec<String>> {
    lost_by(topology, &trace.events)
}

/// [`lost_acknowledged`] as of `at_ms`: the events acknowledged by then that the primary of
/// that instant does not hold (the liveness phase's baseline).
pub fn lost_acknowledged_at(
    topology: &Topology,
    trace: &Trace,
    at_ms: u64,
) -> BTreeMap<String, Vec<String>> {
    let upto = trace.events.partition_point(|e| e.at_ms <= at_ms);
    lost_by(topology, trace.events.get(..upto).unwrap_or_default())
}

fn lost_by(topology: &Topology, events: &[crate::trace::Event]) -> BTreeMap<String, Vec<String>> {
    let mut stores: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut acked: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in events {
        match &e.kind {
            Kind::StoreCleared => {
                stores.insert(&e.node, BTreeSet::new());
            }
            Kind::Stored { ids } => {
                stores
                    .entry(&e.node)
                    .or_default()
                    .extend(ids.iter().map(String::as_str));
            }
            Kind::Acknowledged { id, by } => acked.entry(by.as_str()).or_default().push(id),
            _ => {}
        }
    }
    let roles = Timeline::of_events(events);
    let end = events.last().map_or(0, |e| e.at_ms);
    let mut out = BTreeMap::new();
    for pair in topology.pairs() {
        let members = [
            pair.primary.name.value.as_str(),
            pair.backup.name.value.as_str(),
        ];
        let ids: Vec<&str> = members
            .iter()
            .flat_map(|m| acked.get(m).cloned().unwrap_or_default())
            .collect();
        let holder = members
            .iter()
            .find(|m| roles.at(m, end) == Some(Role::Primary));
        let held = holder.and_then(|h| stores.get(h));
        let lost: Vec<String> = ids
            .into_iter()
            .filter(|id| !held.is_some_and(|s| s.contains(id)))
            .map(str::to_string)
            .collect();
        out.insert(pair.primary.name.value.clone(), lost);
    }
    out
}
