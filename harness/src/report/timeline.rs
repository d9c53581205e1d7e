//! A run's trace read as a timeline: a lane per application, its role bands, its connections,
//! failed handshakes, fault windows and the clients' request latency. Derived from the trace
//! only, for the HTML and Markdown reports; it judges nothing.

use std::collections::{BTreeMap, HashMap};

use crate::trace::{Event, Kind};

/// At most this many connection bars (and handshake marks) per lane: a client reconnecting all
/// run long must not make a report of megabytes.
pub const MARK_BOUND: usize = 200;

/// At most this many latency points per run.
pub const LATENCY_POINTS: usize = 300;

/// A state of an application over a span of time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Band {
    /// Primary.
    Primary,
    /// Backup.
    Backup,
    /// Running with no role (a client, or a server before the SCS gives one).
    Running,
    /// Not running.
    Down,
}

impl Band {
    /// The class a report gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Primary => "role-primary",
            Band::Backup => "role-backup",
            Band::Running => "role-running",
            Band::Down => "role-down",
        }
    }
}

/// A session from `Connected` to `Disconnected` (or the end of the run).
#[derive(Clone, Debug)]
pub struct Bar {
    /// Start (ms).
    pub from: u64,
    /// End (ms).
    pub to: u64,
    /// The other application.
    pub peer: String,
    /// Port ID.
    pub port: String,
    /// The TLS version (`1.3`), `tls` when unknown, or none for plain text.
    pub tls: Option<String>,
    /// Why it ended, when it did.
    pub ended: Option<String>,
}

/// A failed handshake.
#[derive(Clone, Debug)]
pub struct Failed {
    /// When (ms).
    pub at: u64,
    /// The other application.
    pub peer: String,
    /// Port ID.
    pub port: String,
    /// The failure class.
    pub class: String,
    /// The error in words.
    pub detail: String,
}

/// One application's lane.
#[derive(Clone, Debug, Default)]
pub struct Lane {
    /// The application.
    pub app: String,
    /// Role bands in time order.
    pub bands: Vec<(u64, u64, Band)>,
    /// Sessions it saw.
    pub bars: Vec<Bar>,
    /// Handshakes it saw fail.
    pub failed: Vec<Failed>,
}

/// A fault from its start to what lifts it (a partition to its heal, a crash to the restart),
/// or an instant step (`to == from`).
#[derive(Clone, Debug)]
pub struct FaultWindow {
    /// The fault's name.
    pub name: String,
    /// Its target.
    pub target: String,
    /// Start (ms).
    pub from: u64,
    /// End (ms): its lift, or the end of the run when nothing lifted it.
    pub to: u64,
    /// What lifted it, if anything.
    pub lifted_by: Option<String>,
}

/// Everything a timeline shows of one run.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    /// The last event's instant (ms).
    pub end: u64,
    /// Applications, in order of first appearance.
    pub lanes: Vec<Lane>,
    /// Faults.
    pub faults: Vec<FaultWindow>,
    /// Switchovers the SCS decided: instant, promoted application, reason.
    pub switchovers: Vec<(u64, String, String)>,
    /// Client request latency: sent at (ms), waited (ms); at most [`LATENCY_POINTS`].
    pub latency: Vec<(u64, u64)>,
}

/// The fault that lifts `name`, when it is a window rather than an instant.
fn lift(name: &str) -> Option<&'static str> {
    Some(match name {
        "crash" => "restart",
        "power-off" => "power-on",
        "partition" => "heal",
        "hold" => "release",
        "idb-refuse" => "idb-accept",
        "latency" => "latency",
        "loss" => "loss",
        "skew" => "skew",
        _ => return None,
    })
}

/// Whether `node` is an application (not the SCS, an LCA or the simulator).
fn is_app(node: &str) -> bool {
    !(node == "sim" || node == "scs" || node.starts_with("lca@"))
}

/// The timeline of a trace.
pub fn timeline(events: &[Event]) -> Timeline {
    let end = events.iter().map(|e| e.at_ms).max().unwrap_or(0);
    let mut lanes: Vec<Lane> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut state: HashMap<usize, (u64, Band)> = HashMap::new();
    let mut open: HashMap<(usize, String, String), usize> = HashMap::new();
    let mut version: HashMap<Link, String> = HashMap::new();
    let mut t = Timeline {
        end,
        ..Timeline::default()
    };
    let mut sent: HashMap<&str, u64> = HashMap::new();
    let mut waits: Vec<(u64, u64)> = Vec::new();
    for e in events {
        if let Kind::Fault { fault, target } = &e.kind {
            fault_event(&mut t.faults, fault.as_str(), target, e.at_ms);
            continue;
        }
        if let Kind::Switchover { promote, reason } = &e.kind {
            t.switchovers
                .push((e.at_ms, promote.clone(), reason.to_string()));
        }
        match &e.kind {
            Kind::Requested { id, .. } => {
                sent.insert(id, e.at_ms);
            }
            Kind::Acknowledged { id, .. } => {
                if let Some(at) = sent.remove(id.as_str()) {
                    waits.push((at, e.at_ms.saturating_sub(at)));
                }
            }
            _ => {}
        }
        if !is_app(&e.node) {
            continue;
        }
        let i = *index.entry(e.node.clone()).or_insert_with(|| {
            lanes.push(Lane {
                app: e.node.clone(),
                ..Lane::default()
            });
            lanes.len().saturating_sub(1)
        });
        let Some(lane) = lanes.get_mut(i) else {
            continue;
        };
        let band = match &e.kind {
            Kind::Started { role } => Some(band_of(*role)),
            Kind::RoleChanged { to, .. } => Some(band_of(Some(*to))),
            Kind::Stopped { .. } => Some(Band::Down),
            _ => None,
        };
        if let Some(b) = band {
            if let Some((from, was)) = state.insert(i, (e.at_ms, b)) {
                lane.bands.push((from, e.at_ms, was));
            }
        }
        session(lane, i, e, &mut open, &mut version);
    }
    for (i, (from, b)) in state {
        if let Some(lane) = lanes.get_mut(i) {
            lane.bands.push((from, end, b));
            lane.bands.sort_by_key(|x| x.0);
        }
    }
    for lane in &mut lanes {
        for bar in &mut lane.bars {
            if bar.ended.is_none() {
                bar.to = end;
            }
        }
    }
    t.lanes = lanes;
    t.latency = thin(waits);
    t
}

fn band_of(role: Option<crate::topology::Role>) -> Band {
    match role {
        Some(crate::topology::Role::Primary) => Band::Primary,
        Some(crate::topology::Role::Backup) => Band::Backup,
        None => Band::Running,
    }
}

type Key = (usize, String, String);

/// A session seen from either end: the two applications in name order, and the port.
type Link = (String, String, String);

fn link(a: &str, b: &str, port: &str) -> Link {
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    (x.to_string(), y.to_string(), port.to_string())
}

/// Connection bars and failed handshakes of one lane's event.
fn session(
    lane: &mut Lane,
    i: usize,
    e: &Event,
    open: &mut HashMap<Key, usize>,
    version: &mut HashMap<Link, String>,
) {
    match &e.kind {
        Kind::HandshakeOk {
            peer,
            port,
            version: v,
            ..
        } => {
            version.insert(link(&lane.app, peer, port), v.clone());
        }
        Kind::HandshakeFailed {
            peer,
            port,
            class,
            detail,
        } if lane.failed.len() < MARK_BOUND => lane.failed.push(Failed {
            at: e.at_ms,
            peer: peer.clone(),
            port: port.clone(),
            class: serde_json::to_value(class)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            detail: detail.clone(),
        }),
        Kind::Connected {
            peer, port, tls, ..
        } if lane.bars.len() < MARK_BOUND => {
            let key = (i, peer.clone(), port.clone());
            let tls = tls.then(|| {
                version
                    .get(&link(&lane.app, peer, port))
                    .cloned()
                    .unwrap_or_else(|| "tls".to_string())
            });
            open.insert(key, lane.bars.len());
            lane.bars.push(Bar {
                from: e.at_ms,
                to: e.at_ms,
                peer: peer.clone(),
                port: port.clone(),
                tls,
                ended: None,
            });
        }
        Kind::Disconnected { peer, port, reason } => {
            if let Some(b) = open
                .remove(&(i, peer.clone(), port.clone()))
                .and_then(|n| lane.bars.get_mut(n))
            {
                b.to = e.at_ms;
                b.ended = Some(reason.to_string());
            }
        }
        Kind::Stopped { .. } => {
            open.retain(|(l, _, _), n| {
                if *l == i {
                    if let Some(b) = lane.bars.get_mut(*n) {
                        b.to = e.at_ms;
                        b.ended = Some("process stopped".to_string());
                    }
                }
                *l != i
            });
        }
        _ => {}
    }
}

/// Opens a fault's window, or closes the one it lifts (the latest on the same target, else the
/// latest of any target: a heal need not name the partition's). A latency, loss or skew set again is taken
/// as its lift (set back to zero).
fn fault_event(faults: &mut Vec<FaultWindow>, name: &str, target: &str, at: u64) {
    let lifts = |w: &FaultWindow| w.to == u64::MAX && lift(&w.name) == Some(name);
    let exact = faults.iter().rposition(|w| lifts(w) && w.target == target);
    let any = || faults.iter().rposition(|w| lifts(w) && w.name != name);
    if let Some(w) = exact.or_else(any).and_then(|n| faults.get_mut(n)) {
        w.to = at;
        w.lifted_by = Some(name.to_string());
        return;
    }
    faults.push(FaultWindow {
        name: name.to_string(),
        target: target.to_string(),
        from: at,
        to: if lift(name).is_some() { u64::MAX } else { at },
        lifted_by: None,
    });
}

/// Closes the windows nothing lifted at `end`.
pub fn close(faults: &mut [FaultWindow], end: u64) {
    for w in faults.iter_mut().filter(|w| w.to == u64::MAX) {
        w.to = end.max(w.from);
    }
}

/// At most [`LATENCY_POINTS`] points: the worst wait of each of as many equal time slices.
fn thin(mut waits: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    waits.sort_unstable();
    if waits.len() <= LATENCY_POINTS {
        return waits;
    }
    let first = waits.first().map_or(0, |w| w.0);
    let last = waits.last().map_or(0, |w| w.0);
    let slice = (last.saturating_sub(first))
        .checked_div(LATENCY_POINTS as u64)
        .unwrap_or(0)
        .max(1);
    let mut worst: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for (at, wait) in waits {
        let k = at.saturating_sub(first).checked_div(slice).unwrap_or(0);
        let e = worst.entry(k).or_insert((at, wait));
        if wait > e.1 {
            *e = (at, wait);
        }
    }
    worst.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::FaultName;

    fn ev(at_ms: u64, node: &str, kind: Kind) -> Event {
        Event {
            at_ms,
            node: node.into(),
            kind,
        }
    }

    fn fault(at: u64, name: &str, target: &str) -> Event {
        ev(
            at,
            "sim",
            Kind::Fault {
                fault: FaultName::Step(name.into()),
                target: target.into(),
            },
        )
    }

    #[test]
    fn faults_become_windows_lifted_by_their_counterpart() {
        let events = [
            fault(1_000, "partition", "a|b"),
            fault(2_000, "crash", "ts_primary"),
            fault(3_000, "rotate", "ts-a"),
            fault(4_000, "heal", "a|b"),
            fault(5_000, "restart", "ts_primary"),
            fault(6_000, "hold", "x"),
        ];
        let mut t = timeline(&events);
        close(&mut t.faults, t.end);
        let spans: Vec<(&str, u64, u64)> = t
            .faults
            .iter()
            .map(|w| (w.name.as_str(), w.from, w.to))
            .collect();
        assert_eq!(
            spans,
            [
                ("partition", 1_000, 4_000),
                ("crash", 2_000, 5_000),
                ("rotate", 3_000, 3_000),
                ("hold", 6_000, 6_000),
            ]
        );
    }

    #[test]
    fn roles_and_sessions_become_bands_and_bars() {
        use crate::topology::{Purpose, Role};
        let events = [
            ev(0, "ts_a", Kind::Started { role: None }),
            ev(
                10,
                "ts_a",
                Kind::RoleChanged {
                    from: None,
                    to: Role::Primary,
                },
            ),
            ev(
                20,
                "ts_a",
                Kind::HandshakeOk {
                    peer: "desk".into(),
                    port: "secure".into(),
                    version: "1.3".into(),
                    cipher: "x".into(),
                    peer_subject: None,
                },
            ),
            ev(
                21,
                "ts_a",
                Kind::Connected {
                    peer: "desk".into(),
                    port: "secure".into(),
                    tls: true,
                    purpose: Purpose::Client,
                },
            ),
            ev(
                50,
                "ts_a",
                Kind::Stopped {
                    reason: crate::trace::StopReason::Crashed,
                },
            ),
            ev(90, "scs", Kind::StoreCleared),
        ];
        let t = timeline(&events);
        assert_eq!(t.end, 90);
        let lane = t.lanes.first().expect("a lane");
        assert_eq!(
            lane.bands,
            [
                (0, 10, Band::Running),
                (10, 50, Band::Primary),
                (50, 90, Band::Down)
            ]
        );
        let bar = lane.bars.first().expect("a bar");
        assert_eq!(
            (bar.from, bar.to, bar.tls.as_deref()),
            (21, 50, Some("1.3"))
        );
    }
}
