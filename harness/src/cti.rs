//! The call events a data source (a T-Server, SIP Server or Interaction Server pair) distributes
//! to its clients, as Interaction Concentrator receives them: interactions and their parties,
//! attached data, virtual queues, agent logins and states.
//!
//! Each event carries its sequence number (`seq`), given by the SWITCH, not by a T-Server:
//! one counter per data-source pair, in the order events happen at the switch
//! (`node/switch.rs`). The instance of the pair that is primary distributes each event with
//! that number; a promoted backup goes on with the switch's next events. No number is ever
//! reused, and an event no instance could distribute leaves a visible gap in the numbering
//! (and a `call-event-lost` trace event saying so). An ICON stores what its `role` option
//! selects; [`CtiEvent::role`] says which role an event belongs to.

use serde::{Deserialize, Serialize};

/// An agent's state, as T-Server reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AgentState {
    /// `EventAgentReady`.
    Ready,
    /// `EventAgentNotReady`.
    NotReady,
    /// `EventAgentNotReady` with the after-call-work work mode.
    AfterCallWork,
}

impl AgentState {
    /// The word in files and in the IDB.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentState::Ready => "ready",
            AgentState::NotReady => "not-ready",
            AgentState::AfterCallWork => "after-call-work",
        }
    }
}

/// One event of the data source, without its sequence number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum CtiEvent {
    /// `EventAgentLogin`: an agent logs in at a place.
    AgentLogin {
        /// Agent (login) ID.
        agent: String,
        /// The place (DN) logged in at.
        place: String,
    },
    /// `EventAgentReady` / `EventAgentNotReady`.
    AgentStateChanged {
        /// Agent ID.
        agent: String,
        /// The new state.
        state: AgentState,
    },
    /// `EventAgentLogout`.
    AgentLogout {
        /// Agent ID.
        agent: String,
    },
    /// `EventRinging` on the first party: a new interaction.
    Ringing {
        /// Call (connection) ID.
        call: String,
        /// The DN it rings on.
        dn: String,
        /// Calling number.
        ani: String,
        /// Dialled number.
        dnis: String,
    },
    /// `EventQueued` on a virtual queue.
    Queued {
        /// Call ID.
        call: String,
        /// The virtual queue.
        vq: String,
    },
    /// `EventDiverted` from a virtual queue (the call left it).
    Diverted {
        /// Call ID.
        call: String,
        /// The virtual queue.
        vq: String,
    },
    /// `EventEstablished`: an agent answered.
    Established {
        /// Call ID.
        call: String,
        /// The agent's DN.
        dn: String,
        /// The agent.
        agent: String,
    },
    /// `EventAttachedDataChanged`: a key of the call's user data set or changed.
    DataChanged {
        /// Call ID.
        call: String,
        /// The key.
        key: String,
        /// Its new value.
        value: String,
    },
    /// `EventReleased`: a party left; the last one ends the interaction.
    Released {
        /// Call ID.
        call: String,
        /// The DN released.
        dn: String,
    },
}

impl CtiEvent {
    /// The ICON role whose tables store this event: `gcc` (interactions, parties, virtual
    /// queues), `gud` (attached data) or `gls` (logins and agent states).
    pub fn role(&self) -> &'static str {
        match self {
            CtiEvent::AgentLogin { .. }
            | CtiEvent::AgentStateChanged { .. }
            | CtiEvent::AgentLogout { .. } => "gls",
            CtiEvent::DataChanged { .. } => "gud",
            CtiEvent::Ringing { .. }
            | CtiEvent::Queued { .. }
            | CtiEvent::Diverted { .. }
            | CtiEvent::Established { .. }
            | CtiEvent::Released { .. } => "gcc",
        }
    }

    /// The event's word (`ringing`, `data-changed`, …), as serde writes its `type`.
    pub fn word(&self) -> &'static str {
        match self {
            CtiEvent::AgentLogin { .. } => "agent-login",
            CtiEvent::AgentStateChanged { .. } => "agent-state-changed",
            CtiEvent::AgentLogout { .. } => "agent-logout",
            CtiEvent::Ringing { .. } => "ringing",
            CtiEvent::Queued { .. } => "queued",
            CtiEvent::Diverted { .. } => "diverted",
            CtiEvent::Established { .. } => "established",
            CtiEvent::DataChanged { .. } => "data-changed",
            CtiEvent::Released { .. } => "released",
        }
    }

    /// The call the event is about, if any.
    pub fn call(&self) -> Option<&str> {
        match self {
            CtiEvent::Ringing { call, .. }
            | CtiEvent::Queued { call, .. }
            | CtiEvent::Diverted { call, .. }
            | CtiEvent::Established { call, .. }
            | CtiEvent::DataChanged { call, .. }
            | CtiEvent::Released { call, .. } => Some(call),
            CtiEvent::AgentLogin { .. }
            | CtiEvent::AgentStateChanged { .. }
            | CtiEvent::AgentLogout { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_is_what_serde_writes_and_role_is_the_documented_one() {
        let events = [
            CtiEvent::AgentLogin {
                agent: "a1".into(),
                place: "p1".into(),
            },
            CtiEvent::AgentStateChanged {
                agent: "a1".into(),
                state: AgentState::AfterCallWork,
            },
            CtiEvent::AgentLogout { agent: "a1".into() },
            CtiEvent::Ringing {
                call: "c1".into(),
                dn: "5000".into(),
                ani: "555".into(),
                dnis: "800".into(),
            },
            CtiEvent::Queued {
                call: "c1".into(),
                vq: "vq_sales".into(),
            },
            CtiEvent::Diverted {
                call: "c1".into(),
                vq: "vq_sales".into(),
            },
            CtiEvent::Established {
                call: "c1".into(),
                dn: "7001".into(),
                agent: "a1".into(),
            },
            CtiEvent::DataChanged {
                call: "c1".into(),
                key: "Segment".into(),
                value: "gold".into(),
            },
            CtiEvent::Released {
                call: "c1".into(),
                dn: "7001".into(),
            },
        ];
        for e in &events {
            let json = serde_json::to_value(e).expect("serialises");
            assert_eq!(json["type"], e.word(), "{e:?}");
            let back: CtiEvent = serde_json::from_value(json).expect("round trip");
            assert_eq!(&back, e);
        }
        let roles: Vec<&str> = events.iter().map(CtiEvent::role).collect();
        assert_eq!(
            roles,
            [
                "gls", "gls", "gls", "gcc", "gcc", "gcc", "gcc", "gud", "gcc"
            ]
        );
        assert_eq!(events[3].call(), Some("c1"));
        assert_eq!(events[0].call(), None);
        assert_eq!(AgentState::NotReady.as_str(), "not-ready");
    }
}
