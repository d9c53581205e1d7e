//! The calls of one `calls` step, as the switch places them: a script of CTI events at
//! virtual instants, drawn from the run's seed and the step's place among the run's `calls`
//! steps, never from the wall clock or a global random source.
//!
//! The step's agents log in and go ready when the switch takes the order. Call `n` rings
//! about `n / rate` later (a seeded jitter of up to half a gap), has its attached data set,
//! waits on a virtual queue, leaves it for the agent free soonest (ties: the lowest), is
//! answered, has one more key set halfway through the talk, and is released; the agent goes
//! to after-call work, then ready. The mean handling time keeps the agents about 80 % busy
//! (0.8 × agents / rate, within 20 ms and 5 min). Once the last call is placed, every agent
//! goes not-ready and logs out when the last of them is free.
//!
//! A call is generated when it rings: only the calls in progress are held, whatever `count`.

use crate::cti::{AgentState, CtiEvent};
use crate::fault::Calls;
use crate::splitmix::SplitMix;

/// The virtual queues calls wait on.
const QUEUES: [&str; 3] = ["vq_sales", "vq_support", "vq_billing"];
/// The numbers calls are dialled to.
const DNIS: [&str; 3] = ["8005550100", "8005550101", "8005550102"];
/// Attached-data keys, in the order a call gets them (`Key7`, … after these).
const KEYS: [&str; 6] = [
    "CustomerID",
    "Segment",
    "Language",
    "Product",
    "Region",
    "Priority",
];
/// Values of `Segment`.
const SEGMENTS: [&str; 3] = ["gold", "silver", "bronze"];
/// The routing point calls ring on first.
const ROUTING_POINT: &str = "5000";
/// How long a call waits on its virtual queue at least (ms).
const QUEUE_MS: u64 = 50;

/// One event of a script, at its instant.
pub(super) type Timed = (u64, CtiEvent);

/// One agent of a step.
#[derive(Debug)]
struct Agent {
    id: String,
    dn: String,
    /// When the agent is ready for the next call (ms).
    free_ms: u64,
}

/// The calls of one step still to be placed.
#[derive(Debug)]
pub(super) struct Script {
    rng: SplitMix,
    /// The step's place among the run's `calls` steps (call and agent IDs carry it).
    ordinal: u64,
    start_ms: u64,
    count: u64,
    /// Calls placed so far.
    placed: u64,
    /// Mean time between calls (ms).
    gap_ms: f64,
    /// Mean handling time (ms).
    handle_ms: f64,
    keys: u64,
    agents: Vec<Agent>,
    /// When call `placed` rings.
    next_ms: u64,
}

/// Milliseconds as a whole number (saturating; times here stay far below the bound).
fn whole(ms: f64) -> u64 {
    ms.round().max(0.0) as u64
}

impl Script {
    /// The script of `calls`, ordered at `start_ms`, with its agents' logins.
    pub(super) fn new(calls: &Calls, seed: u64, ordinal: u64, start_ms: u64) -> (Self, Vec<Timed>) {
        let gap_ms = 1000.0 / calls.rate;
        let handle_ms = (0.8 * calls.agents as f64 * gap_ms).clamp(20.0, 300_000.0);
        let agents: Vec<Agent> = (1..=calls.agents)
            .map(|i| Agent {
                id: format!("agent{ordinal}-{i:03}"),
                dn: format!("7{ordinal}{i:04}"),
                free_ms: start_ms,
            })
            .collect();
        let mut logins = Vec::new();
        for a in &agents {
            logins.push((
                start_ms,
                CtiEvent::AgentLogin {
                    agent: a.id.clone(),
                    place: format!("place-{}", a.dn),
                },
            ));
            logins.push((
                start_ms,
                CtiEvent::AgentStateChanged {
                    agent: a.id.clone(),
                    state: AgentState::Ready,
                },
            ));
        }
        let mut script = Self {
            rng: SplitMix::new(seed, ordinal),
            ordinal,
            start_ms,
            count: calls.count,
            placed: 0,
            gap_ms,
            handle_ms,
            keys: calls.keys,
            agents,
            next_ms: start_ms,
        };
        script.next_ms = script.arrival();
        (script, logins)
    }

    /// When the next call rings; `None` once every call is placed.
    pub(super) fn next_ms(&self) -> Option<u64> {
        (self.placed < self.count).then_some(self.next_ms)
    }

    /// When call `placed` rings: its slot plus a seeded jitter of up to half a gap.
    fn arrival(&mut self) -> u64 {
        let slot = self.placed as f64 + 1.0 + 0.5 * self.rng.unit();
        self.start_ms.saturating_add(whole(slot * self.gap_ms))
    }

    /// The next call's events (and, after the last call, the agents' logouts).
    pub(super) fn place(&mut self) -> Vec<Timed> {
        let at = self.next_ms;
        let n = self.placed;
        self.placed = self.placed.saturating_add(1);
        let mut out = self.call(n, at);
        if self.placed < self.count {
            self.next_ms = self.arrival();
        } else {
            out.extend(self.logouts());
        }
        out
    }

    fn call(&mut self, n: u64, at: u64) -> Vec<Timed> {
        let call = format!("{:04X}{:012X}", self.ordinal & 0xFFFF, n.saturating_add(1));
        let ani = format!("555{:07}", self.rng.next() % 10_000_000);
        let dnis = self
            .rng
            .pick(&DNIS)
            .copied()
            .unwrap_or_default()
            .to_string();
        let vq = self
            .rng
            .pick(&QUEUES)
            .copied()
            .unwrap_or_default()
            .to_string();
        let mut out = vec![(
            at,
            CtiEvent::Ringing {
                call: call.clone(),
                dn: ROUTING_POINT.into(),
                ani,
                dnis,
            },
        )];
        for j in 0..self.keys {
            let key = usize::try_from(j)
                .ok()
                .and_then(|j| KEYS.get(j))
                .map_or_else(|| format!("Key{}", j.saturating_add(1)), |k| k.to_string());
            let value = self.value(&key);
            out.push((
                at,
                CtiEvent::DataChanged {
                    call: call.clone(),
                    key,
                    value,
                },
            ));
        }
        let queued = at.saturating_add(2);
        out.push((
            queued,
            CtiEvent::Queued {
                call: call.clone(),
                vq: vq.clone(),
            },
        ));
        // The agent free soonest (the lowest on a tie) takes it.
        let Some(agent) = self.agents.iter_mut().min_by_key(|a| a.free_ms) else {
            return out;
        };
        let answered = agent.free_ms.max(at.saturating_add(QUEUE_MS));
        let talk = whole(self.handle_ms * 0.75 * (0.5 + self.rng.unit())).max(2);
        let wrap = whole(self.handle_ms * 0.25 * (0.5 + self.rng.unit())).max(1);
        let released = answered.saturating_add(talk);
        let ready = released.saturating_add(wrap);
        agent.free_ms = ready.saturating_add(1);
        let (id, dn) = (agent.id.clone(), agent.dn.clone());
        let disposition = format!("d{:04x}", self.rng.next() & 0xFFFF);
        out.extend([
            (
                answered,
                CtiEvent::Diverted {
                    call: call.clone(),
                    vq,
                },
            ),
            (
                answered,
                CtiEvent::Established {
                    call: call.clone(),
                    dn: dn.clone(),
                    agent: id.clone(),
                },
            ),
            (
                answered.saturating_add(talk / 2),
                CtiEvent::DataChanged {
                    call: call.clone(),
                    key: "Disposition".into(),
                    value: disposition,
                },
            ),
            (released, CtiEvent::Released { call, dn }),
            (
                released,
                CtiEvent::AgentStateChanged {
                    agent: id.clone(),
                    state: AgentState::AfterCallWork,
                },
            ),
            (
                ready,
                CtiEvent::AgentStateChanged {
                    agent: id,
                    state: AgentState::Ready,
                },
            ),
        ]);
        out
    }

    /// A value for attached-data key `key`.
    fn value(&mut self, key: &str) -> String {
        match key {
            "Segment" => self
                .rng
                .pick(&SEGMENTS)
                .copied()
                .unwrap_or_default()
                .to_string(),
            "CustomerID" => format!("{:08}", self.rng.next() % 100_000_000),
            _ => format!("v{:06x}", self.rng.next() & 0xFF_FFFF),
        }
    }

    /// Every agent goes not-ready, then logs out, once the last of them is free.
    fn logouts(&self) -> Vec<Timed> {
        let end = self
            .agents
            .iter()
            .map(|a| a.free_ms)
            .max()
            .unwrap_or(self.start_ms);
        let mut out = Vec::new();
        for a in &self.agents {
            out.push((
                end,
                CtiEvent::AgentStateChanged {
                    agent: a.id.clone(),
                    state: AgentState::NotReady,
                },
            ));
            out.push((
                end.saturating_add(1),
                CtiEvent::AgentLogout {
                    agent: a.id.clone(),
                },
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(count: u64, agents: u64, keys: u64) -> Calls {
        Calls {
            source: "ts_primary".into(),
            count,
            rate: 50.0,
            agents,
            keys,
        }
    }

    fn all(c: &Calls, seed: u64) -> Vec<Timed> {
        let (mut s, mut out) = Script::new(c, seed, 1, 1000);
        while s.next_ms().is_some() {
            out.extend(s.place());
        }
        out
    }

    #[test]
    fn every_call_has_its_whole_script_and_agents_end_logged_out() {
        let c = calls(40, 3, 2);
        let events = all(&c, 7);
        // Per call: ringing, 2 keys, queued, diverted, established, disposition, released,
        // after-call work, ready; per agent: login, ready, not-ready, logout.
        assert_eq!(events.len(), 40 * 10 + 3 * 4);
        let rung = events.iter().filter(|(_, e)| e.word() == "ringing").count();
        let released = events
            .iter()
            .filter(|(_, e)| e.word() == "released")
            .count();
        assert_eq!((rung, released), (40, 40));
        let logouts = events
            .iter()
            .filter(|(_, e)| e.word() == "agent-logout")
            .count();
        assert_eq!(logouts, 3);
        let last_logout = events
            .iter()
            .filter(|(_, e)| e.word() == "agent-logout")
            .map(|(t, _)| *t)
            .min();
        let last_ready = events
            .iter()
            .filter(|(_, e)| {
                matches!(
                    e,
                    CtiEvent::AgentStateChanged {
                        state: AgentState::Ready,
                        ..
                    }
                )
            })
            .map(|(t, _)| *t)
            .max();
        assert!(last_logout > last_ready, "{last_logout:?} {last_ready:?}");
    }

    #[test]
    fn an_agent_answers_one_call_at_a_time() {
        let events = all(&calls(200, 4, 0), 3);
        let mut busy: std::collections::BTreeMap<String, bool> = Default::default();
        let mut ordered = events.clone();
        ordered.sort_by_key(|(t, _)| *t);
        for (_, e) in &ordered {
            match e {
                CtiEvent::Established { agent, .. } => {
                    assert!(
                        !busy.insert(agent.clone(), true).unwrap_or(false),
                        "{agent} twice"
                    );
                }
                CtiEvent::AgentStateChanged {
                    agent,
                    state: AgentState::Ready,
                } => {
                    busy.insert(agent.clone(), false);
                }
                _ => {}
            }
        }
    }

    #[test]
    fn same_seed_same_calls_other_seed_other_calls() {
        let c = calls(30, 5, 3);
        assert_eq!(all(&c, 11), all(&c, 11));
        assert_ne!(all(&c, 11), all(&c, 12));
    }
}
