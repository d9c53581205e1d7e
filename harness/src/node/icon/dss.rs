//! Session control: the `G_DSS_<role>_PROVIDER` rows an ICON writes for each data-source
//! session, and its `G_SYNC_CONTROL` rows.
//!
//! A data-source session is the time the ICON takes events from one instance of its data
//! source pair as that pair's primary: it starts when a session to an instance that says it
//! is primary comes up (or the instance is promoted, or the first event comes from it), and
//! ends when that session is lost, the instance is demoted, another instance becomes primary,
//! or the ICON stops taking events (its persistent queue is full). Each writes one row per
//! active data role (`gcc`, `gud`, `gls`), with its connection type (`DSCONN_TYPE`):
//!
//! 1. first connection: the first session since this ICON process started;
//! 2. reconnect: to the instance of the previous session, which was lost by silence (ADDP),
//!    ended by the ICON (a full queue) or ended by a demotion;
//! 3. data-source restart: to the instance of the previous session, which its host reset or
//!    closed (the data source's process ended: hapair's reading, as T-Server tells nothing
//!    more on its connection);
//! 5. switchover: to the other instance of the pair (its primary changed).
//!
//! Type 4 (switch reconnection) is not modelled: hapair has no switch link.
//!
//! `DSCONN_STIME` / `DSCONN_ETIME` are virtual milliseconds; `FEVENT_DSSEQ` / `LEVENT_DSSEQ`
//! the first and last event of the role taken on the session. The rows are rewritten (upsert)
//! with every batch, in the same transaction as the data rows they describe, so what the IDB
//! holds always matches: a session the ICON could not close (a crash) keeps no end time and
//! the last event committed, and the next session's first event shows the gap.

use std::collections::BTreeMap;

use crate::idb::schema::{dss_table, table};
use crate::idb::{Row, Value};
use crate::tls::FailureClass;
use crate::trace::DisconnectReason;

/// The data roles with session control.
pub(super) const DATA_ROLES: [&str; 3] = ["gcc", "gud", "gls"];

/// One data-source session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Session {
    /// `DSS_ID`.
    pub(super) id: u64,
    /// The instance (`DS`).
    pub(super) ds: String,
    /// `DSCONN_TYPE`.
    pub(super) kind: u8,
    /// `DSCONN_STIME`, virtual ms.
    pub(super) start: u64,
    /// `DSCONN_ETIME`, virtual ms.
    pub(super) end: Option<u64>,
    /// Per role, the first and last event taken.
    pub(super) seqs: BTreeMap<&'static str, (u64, u64)>,
}

/// How the previous session ended.
#[derive(Clone, Debug)]
struct Previous {
    ds: String,
    /// Its process ended (the host reset or closed the connection).
    restarted: bool,
}

/// The session control of one data source pair.
#[derive(Debug)]
pub(super) struct Control {
    /// The pair's configured primary (`DS_PRIM`, `CLUSTER_ID`).
    prim: String,
    current: Option<Session>,
    /// The current session changed since the last commit.
    dirty: bool,
    /// Sessions ended since the last commit.
    ended: Vec<Session>,
    previous: Option<Previous>,
    /// Per role: the instance and the last event taken, for `G_SYNC_CONTROL`.
    sync: BTreeMap<&'static str, (String, u64)>,
}

impl Control {
    /// The control of the pair whose configured primary is `prim`.
    pub(super) fn new(prim: &str) -> Self {
        Self {
            prim: prim.to_string(),
            current: None,
            dirty: false,
            ended: Vec::new(),
            previous: None,
            sync: BTreeMap::new(),
        }
    }

    /// The instance of the current session, if any.
    pub(super) fn current(&self) -> Option<&str> {
        self.current.as_ref().map(|s| s.ds.as_str())
    }

    /// A session with instance `ds` (primary now) starts at `now`, ending another one; the
    /// ID comes from `next_id`. Nothing changes when the current session is with `ds`.
    pub(super) fn begin(&mut self, ds: &str, now: u64, next_id: &mut u64) {
        if self.current() == Some(ds) {
            return;
        }
        self.end(now, None);
        let kind = match &self.previous {
            None => 1,
            Some(p) if p.ds != ds => 5,
            Some(p) if p.restarted => 3,
            Some(_) => 2,
        };
        let id = *next_id;
        *next_id = next_id.saturating_add(1);
        self.current = Some(Session {
            id,
            ds: ds.to_string(),
            kind,
            start: now,
            end: None,
            seqs: BTreeMap::new(),
        });
        self.dirty = true;
    }

    /// The current session ends at `now`; `lost`: its connection ended for this reason.
    pub(super) fn end(&mut self, now: u64, lost: Option<DisconnectReason>) {
        let Some(mut s) = self.current.take() else {
            return;
        };
        s.end = Some(now);
        let restarted = matches!(
            lost,
            Some(
                DisconnectReason::Failed(FailureClass::Reset | FailureClass::PeerClosed)
                    | DisconnectReason::Closed
            )
        );
        self.previous = Some(Previous {
            ds: s.ds.clone(),
            restarted,
        });
        self.ended.push(s);
        self.dirty = false;
    }

    /// The current session took event `seq` of `role`.
    pub(super) fn took(&mut self, role: &'static str, seq: u64) {
        let Some(s) = self.current.as_mut() else {
            return;
        };
        let e = s.seqs.entry(role).or_insert((seq, seq));
        e.1 = seq;
        self.sync.insert(role, (s.ds.clone(), seq));
        self.dirty = true;
    }

    /// Whether a session started, ended or took an event since the last commit.
    pub(super) fn changed(&self) -> bool {
        self.dirty || !self.ended.is_empty()
    }

    /// The control rows of what changed since the last commit, for the active `roles`.
    pub(super) fn rows(&self, icon: &str, roles: &[&'static str], out: &mut Vec<Row>) {
        if !self.changed() {
            return;
        }
        let live = self.current.iter().filter(|_| self.dirty);
        for s in self.ended.iter().chain(live) {
            for role in roles {
                let Some(t) = dss_table(role) else { continue };
                let (first, last) = s
                    .seqs
                    .get(role)
                    .map_or((None, None), |(f, l)| (Some(*f), Some(*l)));
                out.push(Row {
                    table: t,
                    values: vec![
                        s.id.into(),
                        icon.into(),
                        s.ds.as_str().into(),
                        self.prim.as_str().into(),
                        u64::from(s.kind).into(),
                        s.start.into(),
                        s.end.into(),
                        first.into(),
                        last.into(),
                    ],
                });
            }
        }
        let Some(sync) = table("G_SYNC_CONTROL") else {
            return;
        };
        for (role, (ds, seq)) in &self.sync {
            if roles.contains(role) {
                out.push(Row {
                    table: sync,
                    values: vec![
                        Value::from(*role),
                        icon.into(),
                        self.prim.as_str().into(),
                        ds.as_str().into(),
                        (*seq).into(),
                    ],
                });
            }
        }
    }

    /// The rows of [`Control::rows`] are committed.
    pub(super) fn committed(&mut self) {
        self.ended.clear();
        self.dirty = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(c: &Control, icon: &str) -> Vec<(Value, Value, Value, Value, Value)> {
        let mut out = Vec::new();
        c.rows(icon, &["gcc"], &mut out);
        out.iter()
            .filter(|r| r.table.name == "G_DSS_GCC_PROVIDER")
            .map(|r| {
                (
                    r.values[0].clone(),
                    r.values[2].clone(),
                    r.values[4].clone(),
                    r.values[7].clone(),
                    r.values[8].clone(),
                )
            })
            .collect()
    }

    #[test]
    fn connection_types_follow_the_documented_rules() {
        let mut c = Control::new("ts_primary");
        let mut id = 1;
        c.begin("ts_primary", 10, &mut id);
        c.took("gcc", 1);
        c.took("gcc", 2);
        c.begin("ts_primary", 20, &mut id); // the same session
        c.end(30, Some(DisconnectReason::AddpTimeout));
        c.begin("ts_primary", 40, &mut id); // back after silence: reconnect
        c.took("gcc", 3);
        c.end(50, Some(DisconnectReason::Failed(FailureClass::Reset)));
        c.begin("ts_primary", 60, &mut id); // its process ended: restart
        c.begin("ts_backup", 70, &mut id); // promoted: switchover
        c.took("gud", 9);
        let int = |i: u64| Value::from(i);
        assert_eq!(
            kinds(&c, "icon_a"),
            [
                (int(1), "ts_primary".into(), int(1), int(1), int(2)),
                (int(2), "ts_primary".into(), int(2), int(3), int(3)),
                (
                    int(3),
                    "ts_primary".into(),
                    int(3),
                    Value::Null,
                    Value::Null
                ),
                (int(4), "ts_backup".into(), int(5), Value::Null, Value::Null),
            ]
        );
        let mut all = Vec::new();
        c.rows("icon_a", &["gcc", "gud"], &mut all);
        let sync: Vec<_> = all
            .iter()
            .filter(|r| r.table.name == "G_SYNC_CONTROL")
            .map(|r| {
                (
                    r.values[0].clone(),
                    r.values[3].clone(),
                    r.values[4].clone(),
                )
            })
            .collect();
        assert_eq!(
            sync,
            [
                ("gcc".into(), "ts_primary".into(), int(3)),
                ("gud".into(), "ts_backup".into(), int(9))
            ]
        );
        c.committed();
        assert_eq!(kinds(&c, "icon_a"), [], "nothing changed since the commit");
        c.took("gcc", 10);
        assert_eq!(
            kinds(&c, "icon_a"),
            [(int(4), "ts_backup".into(), int(5), int(10), int(10))]
        );
    }
}
