//! The switch: where calls happen, outside the data-source pair. It places the calls of each
//! `calls` step (`switch/script.rs`), numbers every event with one sequence counter per pair
//! (`seq`, in the order events happen at the switch) and hands each to the instance of the
//! pair that is primary and running, which distributes it to every client session it holds
//! ([`Message::CallEvent`]) and is traced once (`call-event`, logged by that instance). An
//! event no instance can take (no primary yet, or both down) is traced `call-event-lost`
//! (logged by `switch`): its `seq` is used up, so the numbering shows the gap. A backup
//! distributes nothing; a promoted backup goes on with the switch's next event.
//!
//! Where it runs, and why there: the driver (`engine/drive.rs`) runs it between the engine's
//! moves of time, at each instant an event is due, through the control board, as it applies
//! steps. No fault reaches it: it is no process on any host, so no crash or power-off of a
//! T-Server (or of any host) stops it, and no engine's scheduling shapes its order. It reads
//! the run's seed, never the wall clock.
//!
//! The pair's instances hold no call state in hapair: the switch's script carries it, so a
//! switchover needs no replication of calls over the HA link and a promoted backup's events
//! follow on from the old primary's. What a failover costs is exactly the events of its
//! window without a primary, each traced as lost.
//!
//! An instance is attached while its serving side runs ([`Board::attach`]); a crash or a
//! power-off detaches it at once (the step's instant), before its tasks are even dropped.

mod script;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::rc::{Rc, Weak};
use std::time::Duration;

use super::{Board, Run};
use crate::cti::CtiEvent;
use crate::fault::Calls;
use crate::topology::{Role, Topology};
use crate::trace::{Kind, Recorder, Undistributed};
use script::Script;

/// An instance of a data-source pair as the switch reaches it: its CTI link.
pub(super) trait Distributor {
    /// The role it has announced (and traced).
    fn role(&self) -> Option<Role>;
    /// Sends the event with its number on every client session it holds.
    fn distribute(&self, seq: u64, cti: &CtiEvent);
}

/// An instance attached to the switch, until its guard ([`Attached`]) drops.
pub(super) struct Attachment {
    id: u64,
    to: Weak<dyn Distributor>,
}

/// Keeps an instance attached; dropped when its serving side ends (or is aborted).
pub(super) struct Attached {
    board: Rc<Board>,
    app: String,
    id: u64,
}

impl Drop for Attached {
    fn drop(&mut self) {
        // A later attachment of the same application (a restart) is not this one's to end.
        if let Ok(mut sources) = self.board.sources.try_borrow_mut()
            && sources.get(&self.app).is_some_and(|a| a.id == self.id)
        {
            sources.remove(&self.app);
        }
    }
}

/// One event waiting at the switch for its instant; ordered by instant, then by when the
/// switch scheduled it.
#[derive(Debug)]
struct Due {
    at_ms: u64,
    order: u64,
    cti: CtiEvent,
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        (self.at_ms, self.order) == (other.at_ms, other.order)
    }
}

impl Eq for Due {}

impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Due {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at_ms, self.order).cmp(&(other.at_ms, other.order))
    }
}

/// The switch's side of one pair.
#[derive(Debug, Default)]
struct Line {
    /// The pair's instances, configured primary first.
    members: Vec<String>,
    /// The last sequence number given (0: none yet).
    seq: u64,
    /// Events scheduled so far (the tie-break of one instant).
    scheduled: u64,
    due: BinaryHeap<Reverse<Due>>,
    /// Orders taken by the board, started at the driver's next run.
    ordered: Vec<(u64, Calls)>,
    scripts: Vec<Script>,
}

impl Line {
    fn schedule(&mut self, events: Vec<script::Timed>) {
        for (at_ms, cti) in events {
            self.scheduled = self.scheduled.saturating_add(1);
            self.due.push(Reverse(Due {
                at_ms,
                order: self.scheduled,
                cti,
            }));
        }
    }

    /// The next instant this line has something to do.
    fn next_ms(&self) -> Option<u64> {
        if !self.ordered.is_empty() {
            return Some(0);
        }
        let due = self.due.peek().map(|Reverse(d)| d.at_ms);
        let calls = self.scripts.iter().filter_map(Script::next_ms).min();
        due.into_iter().chain(calls).min()
    }

    /// The events due by `now_ms`, numbered, in the order they happen at the switch.
    fn take(&mut self, seed: u64, now_ms: u64) -> Vec<(u64, CtiEvent)> {
        for (ordinal, calls) in std::mem::take(&mut self.ordered) {
            let (s, logins) = Script::new(&calls, seed, ordinal, now_ms);
            self.schedule(logins);
            self.scripts.push(s);
        }
        // Calls ring in order; a call's later events wait in `due`.
        loop {
            let ringing = self
                .scripts
                .iter_mut()
                .filter(|s| s.next_ms().is_some_and(|t| t <= now_ms))
                .min_by_key(|s| s.next_ms());
            let Some(s) = ringing else { break };
            let events = s.place();
            self.schedule(events);
        }
        self.scripts.retain(|s| s.next_ms().is_some());
        let mut out = Vec::new();
        while self.due.peek().is_some_and(|Reverse(d)| d.at_ms <= now_ms) {
            let Some(Reverse(d)) = self.due.pop() else {
                break;
            };
            self.seq = self.seq.saturating_add(1);
            out.push((self.seq, d.cti));
        }
        out
    }
}

/// One pair's events due at an instant: the pair (by its configured primary), its instances,
/// and the numbered events.
type Batch = (String, Vec<String>, Vec<(u64, CtiEvent)>);

/// The switch: one line per data-source pair that has calls.
#[derive(Debug, Default)]
pub struct Switch {
    seed: u64,
    /// `calls` steps taken so far (the next one's ordinal is this plus one).
    orders: u64,
    /// Per pair, by its configured primary.
    lines: BTreeMap<String, Line>,
}

impl Switch {
    /// A switch whose calls are drawn from the run's `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            ..Self::default()
        }
    }

    /// Takes a `calls` step: its calls start at the driver's next run (the step's instant).
    pub(super) fn order(&mut self, t: &Topology, calls: &Calls) {
        let members: Vec<String> = match t.pair_of(calls.source.as_str()) {
            Some(p) => vec![p.primary.name.value.clone(), p.backup.name.value.clone()],
            None => vec![calls.source.to_string()],
        };
        self.orders = self.orders.saturating_add(1);
        let key = members.first().cloned().unwrap_or_default();
        let line = self.lines.entry(key).or_default();
        line.members = members;
        line.ordered.push((self.orders, calls.clone()));
    }

    /// The next instant the switch has something to do, if any.
    pub fn next_at(&self) -> Option<Duration> {
        self.lines
            .values()
            .filter_map(Line::next_ms)
            .min()
            .map(Duration::from_millis)
    }
}

impl Board {
    /// Attaches a data-source instance to the switch while the returned guard lives.
    pub(super) fn attach(self: &Rc<Self>, app: &str, to: Weak<dyn Distributor>) -> Attached {
        let id = self.attachments.get().saturating_add(1);
        self.attachments.set(id);
        self.sources
            .borrow_mut()
            .insert(app.to_string(), Attachment { id, to });
        Attached {
            board: Rc::clone(self),
            app: app.to_string(),
            id,
        }
    }

    /// The instance's process died (a crash, its host's power-off): detached now.
    pub fn detach(&self, app: &str) {
        self.sources.borrow_mut().remove(app);
    }

    /// Runs the switch at `now`: every event due is distributed by its pair's primary or
    /// traced as lost. Whether any event was due (nodes have messages to handle).
    pub fn switch_calls(&self, trace: &Recorder, now: Duration) -> bool {
        let now_ms = u64::try_from(now.as_millis()).unwrap_or(u64::MAX);
        let due: Vec<Batch> = {
            let mut switch = self.switch.borrow_mut();
            let seed = switch.seed;
            switch
                .lines
                .iter_mut()
                .map(|(pair, line)| (pair.clone(), line.members.clone(), line.take(seed, now_ms)))
                .filter(|(_, _, events)| !events.is_empty())
                .collect()
        };
        let acted = !due.is_empty();
        for (pair, members, events) in due {
            for (seq, cti) in events {
                match self.distributor(&members) {
                    Ok((name, d)) => {
                        d.distribute(seq, &cti);
                        trace.emit(now, &name, Kind::CallEvent { seq, cti });
                    }
                    Err(reason) => trace.emit(
                        now,
                        "switch",
                        Kind::CallEventLost {
                            pair: pair.clone(),
                            seq,
                            cti,
                            reason,
                        },
                    ),
                }
            }
        }
        acted
    }

    /// The instance of `members` that is running and primary (the first, in a split brain).
    fn distributor(
        &self,
        members: &[String],
    ) -> Result<(String, Rc<dyn Distributor>), Undistributed> {
        let sources = self.sources.borrow();
        let mut running = false;
        for m in members {
            let up = self.run.get(m).is_some_and(|r| *r.borrow() == Run::Up);
            let Some(d) = sources.get(m).and_then(|a| a.to.upgrade()) else {
                continue;
            };
            if !up {
                continue;
            }
            running = true;
            if d.role() == Some(Role::Primary) {
                return Ok((m.clone(), d));
            }
        }
        Err(if running {
            Undistributed::NoPrimary
        } else {
            Undistributed::NoneRunning
        })
    }
}
