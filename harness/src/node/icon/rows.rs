//! From one call event to the IDB rows an ICON's roles and options select ([`Shape`]), with
//! what the ICON must remember of each interaction while it lasts ([`Calls`]): which parties it
//! wrote, which attached-data keys it stored first, which last values it holds.
//!
//! The mapping, per role (see `idb/schema.rs` for the tables):
//! - `gcc`: `ringing` → `G_CALL` + `G_PARTY` + `G_PARTY_HISTORY`; `established` → `G_PARTY`
//!   (when the DN is not yet a party) + `G_PARTY_HISTORY`; `released` → `G_PARTY_HISTORY`;
//!   `queued` / `diverted` → `G_VIRTUAL_QUEUE` when virtual-queue monitoring is on.
//! - `gud`: `data-changed` → `G_USERDATA_HISTORY` as `adata-userdata-history` says: `none`
//!   nothing, `first` the first value of each key of an interaction, `all` every change, `last`
//!   the last value of each key, written when the interaction ends (its last party released),
//!   with the sequence number of the event that set it.
//! - `gls`: `agent-login` / `agent-logout` → `G_LOGIN_SESSION`; `agent-state-changed` →
//!   `G_AGENT_STATE_HISTORY`.
//!
//! hapair models no attached-data specification file (`adata-spec-name`): every key is a key
//! "not included in the XML specification file", so `adata-userdata-history` alone decides
//! what `gud` stores, and its default `none` stores no attached data, as ICON does with no
//! specification file.
//!
//! An interaction is forgotten when its last party is released, so memory stays flat in the
//! number of calls. An ICON that starts in the middle of an interaction (a restart) writes no
//! `G_PARTY` row for it: it cannot know which parties it stored before.

use std::collections::{BTreeMap, BTreeSet};

use crate::cti::CtiEvent;
use crate::idb::schema::table;
use crate::idb::{Row, Value};

/// `[callconcentrator] adata-userdata-history`: which values of a key ICON records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Adata {
    /// No value.
    None,
    /// Only the first value of each key.
    First,
    /// Only the last value of each key.
    Last,
    /// Every change.
    All,
}

impl Adata {
    /// The option's value, read as ICON does (case-insensitive; unknown: the default `none`).
    pub(super) fn parse(text: &str) -> Self {
        match text.trim().to_ascii_lowercase().as_str() {
            "first" => Adata::First,
            "last" => Adata::Last,
            "all" => Adata::All,
            _ => Adata::None,
        }
    }
}

/// What an ICON stores, as read at its start.
#[derive(Clone, Debug)]
pub(super) struct Shape {
    /// The effective data roles (`topology::effective_roles`).
    pub(super) roles: BTreeSet<&'static str>,
    /// Virtual-queue monitoring.
    pub(super) vq: bool,
    /// Attached-data storage.
    pub(super) adata: Adata,
}

impl Shape {
    /// Whether the role's tables are written.
    pub(super) fn has(&self, role: &str) -> bool {
        self.roles.contains(role)
    }
}

/// One interaction while it lasts.
#[derive(Debug, Default)]
struct Call {
    /// Seen from its `ringing`: its parties are known.
    whole: bool,
    /// DNs with a `G_PARTY` row.
    parties: BTreeSet<String>,
    /// DNs on the call now.
    active: BTreeSet<String>,
    /// Keys whose first value is stored (`first`).
    first: BTreeSet<String>,
    /// The last value of each key and the event that set it (`last`).
    last: BTreeMap<String, (u64, String)>,
}

/// The interactions an ICON follows.
#[derive(Debug, Default)]
pub(super) struct Calls {
    calls: BTreeMap<String, Call>,
}

fn row(name: &str, values: Vec<Value>) -> Option<Row> {
    Some(Row {
        table: table(name)?,
        values,
    })
}

impl Calls {
    /// How many interactions are followed now.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.calls.len()
    }

    /// Appends to `out` the rows event `seq` gives under `shape`.
    pub(super) fn rows(&mut self, shape: &Shape, seq: u64, cti: &CtiEvent, out: &mut Vec<Row>) {
        let gcc = shape.has("gcc");
        let s = Value::from(seq);
        let mut push = |r: Option<Row>| out.extend(r);
        match cti {
            CtiEvent::Ringing {
                call,
                dn,
                ani,
                dnis,
            } => {
                let c = self.calls.entry(call.clone()).or_default();
                c.whole = true;
                c.active.insert(dn.clone());
                let new_party = c.parties.insert(dn.clone());
                if gcc {
                    push(row(
                        "G_CALL",
                        vec![
                            call.as_str().into(),
                            s.clone(),
                            ani.as_str().into(),
                            dnis.as_str().into(),
                        ],
                    ));
                    if new_party {
                        push(party(call, dn, None, &s));
                    }
                    push(history(&s, call, dn, "ringing"));
                }
            }
            CtiEvent::Established { call, dn, agent } => {
                let c = self.calls.entry(call.clone()).or_default();
                c.active.insert(dn.clone());
                let new_party = c.whole && c.parties.insert(dn.clone());
                if gcc {
                    if new_party {
                        push(party(call, dn, Some(agent), &s));
                    }
                    push(history(&s, call, dn, "established"));
                }
            }
            CtiEvent::Released { call, dn } => {
                if gcc {
                    push(history(&s, call, dn, "released"));
                }
                let ended = self.calls.get_mut(call).is_some_and(|c| {
                    c.active.remove(dn);
                    c.active.is_empty()
                });
                if ended && let Some(c) = self.calls.remove(call) {
                    if shape.has("gud") && shape.adata == Adata::Last {
                        for (key, (at, value)) in c.last {
                            push(userdata(at.into(), call, &key, value.into()));
                        }
                    }
                }
            }
            CtiEvent::Queued { call, vq } | CtiEvent::Diverted { call, vq } => {
                if gcc && shape.vq {
                    push(row(
                        "G_VIRTUAL_QUEUE",
                        vec![
                            s,
                            call.as_str().into(),
                            vq.as_str().into(),
                            cti.word().into(),
                        ],
                    ));
                }
            }
            CtiEvent::DataChanged { call, key, value } => {
                if !shape.has("gud") {
                    return;
                }
                let write = match shape.adata {
                    Adata::None => false,
                    Adata::All => true,
                    Adata::First => self
                        .calls
                        .entry(call.clone())
                        .or_default()
                        .first
                        .insert(key.clone()),
                    Adata::Last => {
                        let c = self.calls.entry(call.clone()).or_default();
                        c.last.insert(key.clone(), (seq, value.clone()));
                        false
                    }
                };
                if write {
                    push(userdata(s, call, key, value.as_str().into()));
                }
            }
            CtiEvent::AgentLogin { agent, place } => {
                if shape.has("gls") {
                    let place = Value::from(place.as_str());
                    push(login(s, agent, place, "login"));
                }
            }
            CtiEvent::AgentLogout { agent } => {
                if shape.has("gls") {
                    push(login(s, agent, Value::Null, "logout"));
                }
            }
            CtiEvent::AgentStateChanged { agent, state } => {
                if shape.has("gls") {
                    push(row(
                        "G_AGENT_STATE_HISTORY",
                        vec![s, agent.as_str().into(), state.as_str().into()],
                    ));
                }
            }
        }
    }
}

fn party(call: &str, dn: &str, agent: Option<&String>, seq: &Value) -> Option<Row> {
    row(
        "G_PARTY",
        vec![
            call.into(),
            dn.into(),
            agent.map(String::as_str).into(),
            seq.clone(),
        ],
    )
}

fn history(seq: &Value, call: &str, dn: &str, state: &str) -> Option<Row> {
    row(
        "G_PARTY_HISTORY",
        vec![seq.clone(), call.into(), dn.into(), state.into()],
    )
}

fn userdata(seq: Value, call: &str, key: &str, value: Value) -> Option<Row> {
    row(
        "G_USERDATA_HISTORY",
        vec![seq, call.into(), key.into(), value],
    )
}

fn login(seq: Value, agent: &str, place: Value, action: &str) -> Option<Row> {
    row(
        "G_LOGIN_SESSION",
        vec![seq, agent.into(), place, action.into()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cti::AgentState;

    fn shape(roles: &str, vq: bool, adata: Adata) -> Shape {
        Shape {
            roles: crate::topology::effective_roles(Some(roles)),
            vq,
            adata,
        }
    }

    /// One call with a virtual queue, two keys (one set twice) and an agent.
    fn call() -> Vec<CtiEvent> {
        let c = || "c1".to_string();
        let data = |k: &str, v: &str| CtiEvent::DataChanged {
            call: c(),
            key: k.into(),
            value: v.into(),
        };
        vec![
            CtiEvent::AgentLogin {
                agent: "a1".into(),
                place: "p1".into(),
            },
            CtiEvent::Ringing {
                call: c(),
                dn: "5000".into(),
                ani: "555".into(),
                dnis: "800".into(),
            },
            CtiEvent::Queued {
                call: c(),
                vq: "vq1".into(),
            },
            data("Segment", "silver"),
            data("Segment", "gold"),
            data("Lang", "en"),
            CtiEvent::Diverted {
                call: c(),
                vq: "vq1".into(),
            },
            CtiEvent::Established {
                call: c(),
                dn: "7001".into(),
                agent: "a1".into(),
            },
            CtiEvent::AgentStateChanged {
                agent: "a1".into(),
                state: AgentState::AfterCallWork,
            },
            CtiEvent::Released {
                call: c(),
                dn: "5000".into(),
            },
            CtiEvent::Released {
                call: c(),
                dn: "7001".into(),
            },
            CtiEvent::AgentLogout { agent: "a1".into() },
        ]
    }

    /// Per table, the rows' SEQ (or first value) in order.
    fn run(shape: &Shape) -> (BTreeMap<&'static str, Vec<Vec<Value>>>, usize) {
        let mut calls = Calls::default();
        let mut out = Vec::new();
        for (i, e) in call().iter().enumerate() {
            calls.rows(shape, u64::try_from(i).unwrap_or(0) + 1, e, &mut out);
        }
        let mut by: BTreeMap<&'static str, Vec<Vec<Value>>> = BTreeMap::new();
        for r in out {
            assert_eq!(r.values.len(), r.table.columns.len(), "{}", r.table.name);
            by.entry(r.table.name).or_default().push(r.values);
        }
        (by, calls.len())
    }

    fn tables(by: &BTreeMap<&'static str, Vec<Vec<Value>>>) -> Vec<(&'static str, usize)> {
        by.iter().map(|(t, r)| (*t, r.len())).collect()
    }

    #[test]
    fn roles_select_the_tables() {
        let (by, open) = run(&shape("gcc,gud,gls", true, Adata::All));
        assert_eq!(open, 0, "the call ended: nothing is remembered");
        assert_eq!(
            tables(&by),
            [
                ("G_AGENT_STATE_HISTORY", 1),
                ("G_CALL", 1),
                ("G_LOGIN_SESSION", 2),
                ("G_PARTY", 2),
                ("G_PARTY_HISTORY", 4),
                ("G_USERDATA_HISTORY", 3),
                ("G_VIRTUAL_QUEUE", 2),
            ]
        );
        assert_eq!(
            by["G_PARTY"][1],
            vec!["c1".into(), "7001".into(), "a1".into(), Value::Int(8)]
        );
        assert_eq!(
            by["G_LOGIN_SESSION"][1][2],
            Value::Null,
            "a logout has no place"
        );
        let (by, _) = run(&shape("gls", true, Adata::All));
        assert_eq!(
            tables(&by),
            [("G_AGENT_STATE_HISTORY", 1), ("G_LOGIN_SESSION", 2)]
        );
        let (by, _) = run(&shape("~gcc,~gls", true, Adata::All));
        assert_eq!(tables(&by), [("G_USERDATA_HISTORY", 3)]);
        let (by, _) = run(&shape("cfg", true, Adata::All));
        assert!(by.is_empty(), "no data role of a call: nothing");
    }

    #[test]
    fn virtual_queue_monitoring_and_adata_shape_what_is_stored() {
        let (by, _) = run(&shape("gcc", false, Adata::All));
        assert!(!by.contains_key("G_VIRTUAL_QUEUE"));
        let seqs = |a: Adata| {
            let (by, _) = run(&shape("gud", true, a));
            by.get("G_USERDATA_HISTORY")
                .map(|rows| {
                    rows.iter()
                        .map(|r| (r[0].clone(), r[3].clone()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        };
        assert_eq!(seqs(Adata::None), []);
        assert_eq!(
            seqs(Adata::All),
            [
                (Value::Int(4), "silver".into()),
                (Value::Int(5), "gold".into()),
                (Value::Int(6), "en".into())
            ]
        );
        assert_eq!(
            seqs(Adata::First),
            [
                (Value::Int(4), "silver".into()),
                (Value::Int(6), "en".into())
            ]
        );
        // Written at the call's end, key order, each with the event that set it.
        assert_eq!(
            seqs(Adata::Last),
            [(Value::Int(6), "en".into()), (Value::Int(5), "gold".into())]
        );
        assert_eq!(Adata::parse(" LAST "), Adata::Last);
        assert_eq!(Adata::parse("bogus"), Adata::None);
    }

    #[test]
    fn a_call_met_mid_way_gets_no_party_row() {
        let mut calls = Calls::default();
        let mut out = Vec::new();
        let s = shape("gcc", true, Adata::None);
        let est = CtiEvent::Established {
            call: "c9".into(),
            dn: "7001".into(),
            agent: "a1".into(),
        };
        calls.rows(&s, 40, &est, &mut out);
        let names: Vec<&str> = out.iter().map(|r| r.table.name).collect();
        assert_eq!(names, ["G_PARTY_HISTORY"]);
        let rel = CtiEvent::Released {
            call: "c9".into(),
            dn: "7001".into(),
        };
        calls.rows(&s, 41, &rel, &mut out);
        assert_eq!(calls.len(), 0);
    }
}
