//! Client histories in three values (Step 10, item 3): every request a client sent is ok
//! (acknowledged), failed (`request-failed`: the client knew at once) or unknown (requested,
//! never answered). Over them: acknowledged events lost (absent from the pair's final primary),
//! split into double failures, unreplicated and others (a bug candidate), as `loss_class`
//! tells them apart; duplicates (an
//! ID acknowledged or stored twice by one instance); and the latency across each switchover.
//!
//! Switchover latency: for each request sent from a switchover (the SCS's `switchover`) until
//! the client is first served by the new primary, the time from the request to the client's
//! next acknowledgement (whoever sent it): how long a desk waited to be served again.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

pub use super::loss_class::{LossClass, classify};
use crate::topology::Topology;
use crate::trace::{Kind, Trace};

/// Request latency across one switchover.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latency {
    /// When the switchover started (ms).
    pub at_ms: u64,
    /// The instance promoted.
    pub promote: String,
    /// Requests sent from the switchover until the client was served by the new primary.
    pub count: usize,
    /// Median wait to be served again (ms).
    pub p50_ms: u64,
    /// 99th percentile (ms).
    pub p99_ms: u64,
    /// Longest (ms).
    pub max_ms: u64,
}

/// Counts over requests, per client or summed: the small type a sweep reuses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Requests sent or failed.
    pub requests: usize,
    /// Acknowledged.
    pub ok: usize,
    /// Failed at once (no primary).
    pub failed: usize,
    /// Sent and never answered.
    pub unknown: usize,
    /// Acknowledged, then absent from the final primary: double failures.
    pub lost_double_failure: usize,
    /// Lost: acknowledged while the HA link was not synced.
    pub lost_unreplicated: usize,
    /// Lost otherwise (a bug candidate).
    pub lost_other: usize,
    /// IDs acknowledged, or stored by one instance, more than once.
    pub duplicated: usize,
}

impl Counts {
    /// Adds `other` to these counts.
    pub fn add(&mut self, other: &Counts) {
        self.requests = self.requests.saturating_add(other.requests);
        self.ok = self.ok.saturating_add(other.ok);
        self.failed = self.failed.saturating_add(other.failed);
        self.unknown = self.unknown.saturating_add(other.unknown);
        self.lost_double_failure = self
            .lost_double_failure
            .saturating_add(other.lost_double_failure);
        self.lost_unreplicated = self
            .lost_unreplicated
            .saturating_add(other.lost_unreplicated);
        self.lost_other = self.lost_other.saturating_add(other.lost_other);
        self.duplicated = self.duplicated.saturating_add(other.duplicated);
    }

    /// Every lost event, whatever its class.
    pub fn lost(&self) -> usize {
        self.lost_double_failure
            .saturating_add(self.lost_unreplicated)
            .saturating_add(self.lost_other)
    }
}

/// One client's history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientHistory {
    /// The client application.
    pub client: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: Counts,
    /// The first few IDs lost otherwise (bug candidates).
    pub lost_other_ids: Vec<String>,
    /// Latency across each switchover in which it sent requests.
    pub switchovers: Vec<Latency>,
}

/// Every client's history in a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// Per client with traffic, by name.
    pub clients: Vec<ClientHistory>,
    /// The sums.
    pub total: Counts,
}

/// The histories of `trace`.
pub fn history(t: &Topology, trace: &Trace) -> History {
    let lost = classify(t, trace);
    let mut per: BTreeMap<&str, ClientHistory> = BTreeMap::new();
    // Request → (client, sent at); answers by ID.
    let mut sent: HashMap<&str, (&str, u64)> = HashMap::new();
    let mut acked: HashMap<&str, usize> = HashMap::new();
    let mut stored: HashSet<(&str, &str)> = HashSet::new();
    let mut duplicated: HashMap<&str, usize> = HashMap::new();
    for e in &trace.events {
        match &e.kind {
            Kind::Requested { id, .. } => {
                sent.insert(id, (&e.node, e.at_ms));
            }
            Kind::RequestFailed { .. } => {
                let c = &mut entry(&mut per, &e.node).counts;
                c.requests = c.requests.saturating_add(1);
                c.failed = c.failed.saturating_add(1);
            }
            Kind::Acknowledged { id, .. } => {
                let n = acked.entry(id).or_default();
                *n = n.saturating_add(1);
                if *n == 2 {
                    bump(duplicated.entry(&e.node).or_default());
                }
            }
            Kind::StoreCleared => stored.retain(|(node, _)| *node != e.node),
            Kind::Stored { ids } => {
                for id in ids {
                    if !stored.insert((&e.node, id)) {
                        if let Some((client, _)) = sent.get(id.as_str()) {
                            bump(duplicated.entry(client).or_default());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for (id, (client, _)) in &sent {
        let c = &mut entry(&mut per, client).counts;
        c.requests = c.requests.saturating_add(1);
        if acked.contains_key(id) {
            c.ok = c.ok.saturating_add(1);
        } else {
            c.unknown = c.unknown.saturating_add(1);
        }
    }
    for (id, class) in &lost {
        let Some((client, _)) = sent.get(id.as_str()) else {
            continue;
        };
        let h = entry(&mut per, client);
        match class {
            LossClass::DoubleFailure => bump(&mut h.counts.lost_double_failure),
            LossClass::Unreplicated => bump(&mut h.counts.lost_unreplicated),
            LossClass::Other => {
                bump(&mut h.counts.lost_other);
                if h.lost_other_ids.len() < super::LIST_BOUND {
                    h.lost_other_ids.push(id.clone());
                }
            }
        }
    }
    for (client, n) in duplicated {
        entry(&mut per, client).counts.duplicated = n;
    }
    for h in per.values_mut() {
        h.lost_other_ids.sort_by_key(|id| natural(id));
        h.switchovers = latencies(trace, &h.client);
    }
    let clients: Vec<ClientHistory> = per
        .into_values()
        .filter(|h| h.counts.requests > 0)
        .collect();
    let mut total = Counts::default();
    clients.iter().for_each(|h| total.add(&h.counts));
    History { clients, total }
}

fn entry<'a, 'm>(
    per: &'m mut BTreeMap<&'a str, ClientHistory>,
    client: &'a str,
) -> &'m mut ClientHistory {
    per.entry(client).or_insert_with(|| ClientHistory {
        client: client.to_string(),
        ..ClientHistory::default()
    })
}

fn bump(n: &mut usize) {
    *n = n.saturating_add(1);
}

/// `desk-12` sorts after `desk-9`.
fn natural(id: &str) -> (String, u64) {
    let (head, tail) = id.rsplit_once('-').unwrap_or((id, ""));
    (head.to_string(), tail.parse().unwrap_or(0))
}

/// The latency of `client`'s requests across each switchover.
fn latencies(trace: &Trace, client: &str) -> Vec<Latency> {
    let mine: Vec<(u64, Option<&str>)> = trace
        .events
        .iter()
        .filter(|e| e.node == client)
        .filter_map(|e| match &e.kind {
            Kind::Requested { .. } | Kind::RequestFailed { .. } => Some((e.at_ms, None)),
            Kind::Acknowledged { by, .. } => Some((e.at_ms, Some(by.as_str()))),
            _ => None,
        })
        .collect();
    let acks: Vec<(u64, &str)> = mine
        .iter()
        .filter_map(|(at, by)| by.map(|b| (*at, b)))
        .collect();
    let mut out = Vec::new();
    for e in &trace.events {
        let Kind::Switchover { promote, .. } = &e.kind else {
            continue;
        };
        let served = acks
            .iter()
            .find(|(at, by)| *at >= e.at_ms && *by == promote)
            .map_or(u64::MAX, |(at, _)| *at);
        let mut waits: Vec<u64> = mine
            .iter()
            .filter(|(at, by)| by.is_none() && *at >= e.at_ms && *at <= served)
            .filter_map(|(at, _)| {
                let next = acks.iter().find(|(a, _)| a >= at)?;
                Some(next.0.saturating_sub(*at))
            })
            .collect();
        let count = mine
            .iter()
            .filter(|(at, by)| by.is_none() && *at >= e.at_ms && *at <= served)
            .count();
        if count == 0 {
            continue;
        }
        waits.sort_unstable();
        let pick = |q: usize| -> u64 {
            let i = waits
                .len()
                .saturating_mul(q)
                .div_ceil(100)
                .saturating_sub(1);
            waits.get(i).copied().unwrap_or(0)
        };
        out.push(Latency {
            at_ms: e.at_ms,
            promote: promote.clone(),
            count,
            p50_ms: pick(50),
            p99_ms: pick(99),
            max_ms: waits.last().copied().unwrap_or(0),
        });
    }
    out
}
