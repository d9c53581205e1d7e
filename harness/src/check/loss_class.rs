//! Why each acknowledged event a pair lost was lost (Step 10, item 3): the trace is replayed
//! copy by copy. A copy of an event is an instance that stored it and is running; it goes when
//! that instance stops (crash, power-off, stop) or clears its store to take a primary's state
//! on a resync. An event is lost when its last copy goes.
//!
//! - **Double failure**: two copies existed, and the last one went with a second failure: its
//!   instance stopped, or it was overwritten by a peer promoted before that peer was ready (no
//!   HA synchronisation since it started). Genesys documents the second case for SIP Server:
//!   "a switchover while readiness is 0 is a double failure" (../shared/notes/genesys-options.md,
//!   [S-SIPS-UPG]); hapair reads it the same way for every hot-standby pair. So are copies
//!   still running on the backup at the end, stranded there because the pair's primary was
//!   promoted before it was ready and has not been synchronised since (a manual switchover
//!   to a backup whose HA link a configuration refuses, say). A process restarted straight
//!   into the primary role (in a split brain, its partner out of the SCS's reach) counts as
//!   promoted before it was ready.
//! - **Unreplicated**: only one copy ever existed, the event was acknowledged while the HA link
//!   was not synced, and no synchronisation ran while it was held: the documented risk of a
//!   pair whose link is down (`scenarios/switchover-while-ha-link-down.toml`); and every
//!   single-copy loss of a warm-standby pair, which copies no event to its backup by design
//!   (`scenarios/warm-standby-event-loss.toml`).
//! - **Other**: anything else, a bug candidate. Among them: one copy although the link was
//!   synced when the event was acknowledged, or although a synchronisation ran while the
//!   primary held it (replication failed); the last copy overwritten by a ready primary that
//!   lacked it; copies still running but not on the final primary.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::loss::lost_acknowledged;
use super::session::{Session, sessions};
use crate::tls::FailureClass;
use crate::topology::{Redundancy, Role, Topology};
use crate::trace::{DisconnectReason, Kind, Trace};

/// Why an acknowledged event was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LossClass {
    /// Two copies existed and both went with failures (an instance stopped, or a peer
    /// promoted before it was ready overwrote the last): two failures, not a bug.
    DoubleFailure,
    /// Acknowledged while the HA link was not synced, and never synchronised while held: only
    /// one copy ever existed, and it went. Documented.
    Unreplicated,
    /// Anything else: a bug candidate.
    Other,
}

/// How the last copy of an event went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gone {
    /// Its instance stopped.
    Stopped,
    /// Its instance took the state of a primary promoted before it was ready.
    Unready,
    /// Its instance took the state of a ready primary that lacked it.
    Resync,
}

/// What the replay knows of one lost event.
#[derive(Default)]
struct Copies {
    /// Instances holding it now (running, stored, not cleared since).
    holders: HashSet<String>,
    /// Most copies it ever had at once.
    most: usize,
    /// A synchronisation completed while its primary held it.
    synced_while_held: bool,
    /// How its last copy went, when it went.
    gone: Option<Gone>,
}

/// Each acknowledged event lost by its pair, with why.
pub fn classify(t: &Topology, trace: &Trace) -> BTreeMap<String, LossClass> {
    let lost: HashSet<String> = lost_acknowledged(t, trace)
        .into_values()
        .flatten()
        .collect();
    if lost.is_empty() {
        return BTreeMap::new();
    }
    let mut copies: HashMap<&str, Copies> = lost
        .iter()
        .map(|id| (id.as_str(), Copies::default()))
        .collect();
    // Per instance: the lost events it holds; whether it has been synchronised as a backup
    // since it started; whether it is a primary promoted before it was.
    let mut held: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut ready: HashMap<&str, bool> = HashMap::new();
    let mut unready: HashMap<&str, bool> = HashMap::new();
    let mut acks: HashMap<&str, (&str, u64)> = HashMap::new();
    // When each lost event was accepted, and when each instance stopped (an instance that
    // stopped once and starts again is restarted).
    let mut accepted: HashMap<&str, u64> = HashMap::new();
    let mut stops: HashMap<&str, Vec<u64>> = HashMap::new();
    let partner = |node: &str| {
        t.pair_of(node).map(|p| {
            if p.primary.name.value == node {
                p.backup.name.value.clone()
            } else {
                p.primary.name.value.clone()
            }
        })
    };
    for e in &trace.events {
        let node = e.node.as_str();
        match &e.kind {
            Kind::Stored { ids } => {
                for id in ids {
                    let Some(key) = lost.get(id.as_str()) else {
                        continue;
                    };
                    if let Some(c) = copies.get_mut(key.as_str()) {
                        c.holders.insert(node.to_string());
                        c.most = c.most.max(c.holders.len());
                        c.gone = None;
                        held.entry(node).or_default().insert(key.as_str());
                    }
                }
            }
            Kind::Accepted { id } if lost.contains(id) => {
                accepted.entry(id).or_insert(e.at_ms);
            }
            // Judged when the server sent it: no later than the end of the instance that
            // accepted the event (an acknowledgement can reach its client long after, over a
            // slow or lossy link, when that instance is gone and the pair resynchronised).
            Kind::Acknowledged { id, by } if lost.contains(id) => {
                let since = accepted.get(id.as_str()).copied().unwrap_or(0);
                let sent = stops
                    .get(by.as_str())
                    .and_then(|s| s.iter().find(|t| **t >= since))
                    .map_or(e.at_ms, |t| e.at_ms.min(*t));
                acks.entry(id).or_insert((by, sent));
            }
            Kind::Stopped { .. } => {
                stops.entry(node).or_default().push(e.at_ms);
                drop_all(node, Gone::Stopped, &mut held, &mut copies);
                ready.remove(node);
                unready.remove(node);
            }
            Kind::Started { .. } => {
                ready.remove(node);
                unready.remove(node);
            }
            Kind::StoreCleared => {
                let peer = partner(node);
                let how = if peer.is_some_and(|p| unready.get(p.as_str()) == Some(&true)) {
                    Gone::Unready
                } else {
                    Gone::Resync
                };
                drop_all(node, how, &mut held, &mut copies);
            }
            Kind::RoleChanged { from, to } => match (from, to) {
                (Some(Role::Backup), Role::Primary) => {
                    unready.insert(node, !ready.get(node).copied().unwrap_or(false));
                }
                // Restarted straight into the primary role (its partner out of the SCS's
                // reach, in a split brain): its state is what it rebuilt since, unsynchronised.
                (None, Role::Primary) if stops.contains_key(node) => {
                    unready.insert(node, !ready.get(node).copied().unwrap_or(false));
                }
                (_, Role::Backup) => {
                    ready.remove(node);
                    unready.remove(node);
                }
                _ => {}
            },
            // The HA link lost at either end: the backup needs a new synchronisation to be
            // ready again (a SIP Server's readiness drops to 0 until its resync is done).
            // Lost by a failure (ADDP, a broken stream), not left on a switchover's orders
            // (`demoted`, and the `peer-closed` the other end then sees).
            Kind::Disconnected { peer, reason, .. }
                if partner(node).as_deref() == Some(peer)
                    && match reason {
                        DisconnectReason::AddpTimeout => true,
                        DisconnectReason::Failed(c) => *c != FailureClass::PeerClosed,
                        _ => false,
                    } =>
            {
                ready.remove(node);
                ready.remove(peer.as_str());
            }
            // Judged at the backup's end: a synchronisation the primary sent counts once the
            // backup has it all ("Full Sync Done" received). One sent just before the
            // primary's host went down, still in flight, copied nothing.
            Kind::HaSynced {
                primary, backup, ..
            } if node == backup.as_str() => {
                ready.insert(backup.as_str(), true);
                for id in held.get(primary.as_str()).into_iter().flatten() {
                    if let Some(c) = copies.get_mut(id) {
                        c.synced_while_held = true;
                    }
                }
            }
            _ => {}
        }
    }
    let all = sessions(trace);
    // The listener's end of each link going down: (listener, dialler, port, when).
    let downs: Vec<(&str, &str, &str, u64)> = trace
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            Kind::Disconnected { peer, port, .. } => {
                Some((e.node.as_str(), peer.as_str(), port.as_str(), e.at_ms))
            }
            _ => None,
        })
        .collect();
    let mut out = BTreeMap::new();
    for id in &lost {
        let Some(c) = copies.get(id.as_str()) else {
            continue;
        };
        let acked_synced = acks
            .get(id.as_str())
            .is_some_and(|(by, at)| synced_at(t, &all, &downs, by, *at));
        let stranded = c.gone.is_none()
            && !c.holders.is_empty()
            && acks
                .get(id.as_str())
                .and_then(|(by, _)| t.pair_of(by))
                .is_some_and(|p| {
                    [&p.primary.name.value, &p.backup.name.value]
                        .iter()
                        .any(|m| unready.get(m.as_str()) == Some(&true))
                });
        // Warm standby copies no event to the backup (by design): one copy is all there is.
        let warm = acks
            .get(id.as_str())
            .and_then(|(by, _)| t.pair_of(by))
            .is_some_and(|p| p.redundancy() == Redundancy::WarmStandby);
        let class = match c.gone {
            _ if warm && c.most == 1 => LossClass::Unreplicated,
            Some(Gone::Stopped | Gone::Unready) if c.most >= 2 => LossClass::DoubleFailure,
            None if stranded => LossClass::DoubleFailure,
            Some(_) if c.most == 1 && !acked_synced && !c.synced_while_held => {
                LossClass::Unreplicated
            }
            _ => LossClass::Other,
        };
        out.insert(id.clone(), class);
    }
    out
}

/// `node`'s copies go, `how`.
fn drop_all<'a>(
    node: &str,
    how: Gone,
    held: &mut HashMap<&'a str, HashSet<&'a str>>,
    copies: &mut HashMap<&'a str, Copies>,
) {
    for id in held.remove(node).unwrap_or_default() {
        if let Some(c) = copies.get_mut(id) {
            c.holders.remove(node);
            if c.holders.is_empty() {
                c.gone = Some(how);
            }
        }
    }
}

/// Whether the HA link of `primary`'s pair was up and synced at `at`: a session from the
/// partner, synced by then, that neither end had seen go down (`downs`: the primary's own
/// `disconnected`, when it notices first, say by ADDP across a partition the backup's end
/// has not noticed yet).
fn synced_at(
    t: &Topology,
    all: &[Session],
    downs: &[(&str, &str, &str, u64)],
    primary: &str,
    at: u64,
) -> bool {
    let Some(pair) = t.pair_of(primary) else {
        return false;
    };
    let other = if pair.primary.name.value == primary {
        &pair.backup.name.value
    } else {
        &pair.primary.name.value
    };
    all.iter().any(|s| {
        s.from == *other
            && s.to == primary
            && s.synced.is_some_and(|x| x <= at)
            && s.closed.is_none_or(|c| c > at)
            && !downs.iter().any(|(node, peer, port, when)| {
                *node == primary
                    && peer == other
                    && *port == s.port
                    && *when >= s.opened
                    && *when <= at
            })
    })
}
