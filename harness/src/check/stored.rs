//! What the IDBs of an ICON HA set hold, as the IDB expectations read it: each IDB's own
//! session control (`G_DSS_*_PROVIDER`: when its ICON was connected, and the first and last
//! event it stored on each session), the sequence numbers its data rows carry, and the call
//! events the data sources distributed (the trace's `call-event`s). A downstream ETL reads the
//! same session control to know which stretches of an IDB it may trust; so do the judges.
//!
//! An IDB holds an event when a data row carries its sequence number. Attached data and
//! virtual-queue events leave a row only as the ICON's options select (`node/icon/rows.rs`):
//! for those, a session of the event's role that took it (`FEVENT..LEVENT`) accounts for it.

use std::collections::{BTreeMap, BTreeSet};

use crate::cti::CtiEvent;
use crate::idb::{Contents, Idbs, TableDef, Value, schema};
use crate::scenario::Member;
use crate::trace::{Kind, Trace};

/// The roles whose events reach an IDB's data tables.
pub const DATA_ROLES: [&str; 3] = ["gcc", "gud", "gls"];

/// One data-source session of an ICON, as its `G_DSS_<role>_PROVIDER` row records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dss {
    /// The role (provider) it serves.
    pub role: &'static str,
    /// `DSS_ID`.
    pub id: i64,
    /// `DS`: the data-source instance connected to.
    pub ds: String,
    /// `DSCONN_TYPE` (1 first connect … 5 switchover).
    pub kind: i64,
    /// `DSCONN_STIME` (ms).
    pub start: u64,
    /// `DSCONN_ETIME` (ms); `None`: still open when the run ended.
    pub end: Option<u64>,
    /// `FEVENT_DSSEQ`: first event stored on it.
    pub first: Option<u64>,
    /// `LEVENT_DSSEQ`: last event stored on it.
    pub last: Option<u64>,
}

impl Dss {
    /// The sequence numbers it stored, both ends included, when it stored any.
    pub fn range(&self) -> Option<(u64, u64)> {
        Some((self.first?, self.last?))
    }

    /// Its connection type in words.
    pub fn kind_words(&self) -> &'static str {
        match self.kind {
            1 => "first connect",
            2 => "reconnect",
            3 => "data-source restart",
            4 => "switch reconnection",
            5 => "switchover",
            _ => "unknown connection type",
        }
    }
}

/// The index of column `name` of `t`.
pub fn column(t: &TableDef, name: &str) -> Option<usize> {
    t.columns.iter().position(|c| c.name == name)
}

fn int(row: &[Value], at: Option<usize>) -> Option<i64> {
    match row.get(at?)? {
        Value::Int(i) => Some(*i),
        _ => None,
    }
}

fn uint(row: &[Value], at: Option<usize>) -> Option<u64> {
    int(row, at).and_then(|i| u64::try_from(i).ok())
}

/// Every data-source session `c` records, of every data role, by start.
pub fn sessions(c: &Contents) -> Vec<Dss> {
    let mut out = Vec::new();
    for role in DATA_ROLES {
        let Some(t) = schema::dss_table(role) else {
            continue;
        };
        let col = |n| column(t, n);
        for row in c.rows(t.name) {
            let ds = match col("DS").and_then(|i| row.get(i)) {
                Some(Value::Text(s)) => s.clone(),
                _ => String::new(),
            };
            out.push(Dss {
                role,
                id: int(row, col("DSS_ID")).unwrap_or_default(),
                ds,
                kind: int(row, col("DSCONN_TYPE")).unwrap_or_default(),
                start: uint(row, col("DSCONN_STIME")).unwrap_or_default(),
                end: uint(row, col("DSCONN_ETIME")),
                first: uint(row, col("FEVENT_DSSEQ")),
                last: uint(row, col("LEVENT_DSSEQ")),
            });
        }
    }
    out.sort_by_key(|d| (d.start, d.role, d.id));
    out
}

/// The sequence number a data row carries (`SEQ`).
pub fn seq_of(t: &TableDef, row: &[Value]) -> Option<u64> {
    uint(row, column(t, "SEQ"))
}

/// The sequence numbers the data rows of `c` carry, by role.
pub fn stored_seqs(c: &Contents) -> BTreeMap<&'static str, BTreeSet<u64>> {
    let mut out: BTreeMap<&'static str, BTreeSet<u64>> = BTreeMap::new();
    for t in schema::TABLES.iter().filter(|t| t.compared) {
        let seqs = out.entry(t.role).or_default();
        seqs.extend(c.rows(t.name).iter().filter_map(|r| seq_of(t, r)));
    }
    out
}

/// Whether an ICON that stores the event's role writes a row for it whatever its options:
/// party changes and agent events do; virtual-queue events depend on virtual-queue monitoring
/// and attached data on `adata-userdata-history` (its default `none` stores none).
pub fn always_rowed(cti: &CtiEvent) -> bool {
    !matches!(
        cti,
        CtiEvent::Queued { .. } | CtiEvent::Diverted { .. } | CtiEvent::DataChanged { .. }
    )
}

/// Whether an IDB accounts for an event: a data row carries its sequence number, or, for an
/// event its ICON's options may leave without a row, a session of its role took it (its
/// `FEVENT..LEVENT`).
pub fn accounts(
    seqs: &BTreeMap<&'static str, BTreeSet<u64>>,
    control: &[Dss],
    role: &str,
    seq: u64,
    cti: &CtiEvent,
) -> bool {
    seqs.get(role).is_some_and(|s| s.contains(&seq))
        || (!always_rowed(cti)
            && control
                .iter()
                .any(|d| d.role == role && d.range().is_some_and(|(a, b)| a <= seq && seq <= b)))
}

/// One call event a data source distributed.
#[derive(Clone, Copy, Debug)]
pub struct Distributed<'t> {
    /// Its index in the trace.
    pub index: usize,
    /// When (ms).
    pub at_ms: u64,
    /// The instance that distributed it.
    pub node: &'t str,
    /// Its sequence number.
    pub seq: u64,
    /// The event.
    pub cti: &'t CtiEvent,
}

impl Distributed<'_> {
    /// `seq 12 (ringing c1)`: the event in words, for details.
    pub fn words(&self) -> String {
        match self.cti.call() {
            Some(call) => format!("seq {} ({} {call})", self.seq, self.cti.word()),
            None => format!("seq {} ({})", self.seq, self.cti.word()),
        }
    }
}

/// The call events distributed in `[a, b]`, once per sequence number, in trace order.
pub fn distributed(trace: &Trace, (a, b): (u64, u64)) -> Vec<Distributed<'_>> {
    let mut seen = BTreeSet::new();
    trace
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.at_ms >= a && e.at_ms <= b)
        .filter_map(|(index, e)| match &e.kind {
            Kind::CallEvent { seq, cti } if seen.insert(*seq) => Some(Distributed {
                index,
                at_ms: e.at_ms,
                node: &e.node,
                seq: *seq,
                cti,
            }),
            _ => None,
        })
        .collect()
}

/// The contents of each member's IDB, in member order, or why one could not be judged (a
/// database that could not be read, or was never read).
pub fn contents<'a>(idbs: &'a Idbs, members: &[Member]) -> Result<Vec<&'a Contents>, String> {
    let mut out = Vec::new();
    let mut unread = Vec::new();
    for m in members {
        match idbs.get(&m.db) {
            Some(Ok(c)) => out.push(c),
            Some(Err(e)) => unread.push(format!("{e} (the IDB of {})", m.icon)),
            None => unread.push(format!(
                "IDB {} of {} was not read after the run (no database folder)",
                m.db, m.icon
            )),
        }
    }
    if unread.is_empty() {
        Ok(out)
    } else {
        Err(format!("cannot judge: {}", unread.join("; ")))
    }
}

/// The trace indices of the last `idb-written` of each member's ICON: what shows an IDB held
/// what it holds.
pub fn last_writes(trace: &Trace, members: &[Member]) -> Vec<usize> {
    members
        .iter()
        .filter_map(|m| {
            trace.events.iter().rposition(|e| {
                e.node == m.icon && matches!(&e.kind, Kind::IdbWritten { db, .. } if *db == m.db)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_control_is_read_back_and_accounts_for_option_shaped_events_only() {
        let dss = |end: Value, first: Value, last: Value| {
            vec![
                Value::Int(3),
                "icon_a".into(),
                "ts_backup".into(),
                "ts_primary".into(),
                Value::Int(5),
                Value::Int(6_000),
                end,
                first,
                last,
            ]
        };
        let c = Contents(
            [
                (
                    "G_DSS_GCC_PROVIDER",
                    vec![dss(Value::Null, Value::Int(10), Value::Int(20))],
                ),
                (
                    "G_DSS_GUD_PROVIDER",
                    vec![dss(Value::Int(9_000), Value::Null, Value::Null)],
                ),
            ]
            .into(),
        );
        let ss = sessions(&c);
        assert_eq!(ss.len(), 2);
        let gcc = ss.iter().find(|d| d.role == "gcc").expect("a gcc session");
        assert_eq!(
            (
                gcc.id,
                gcc.ds.as_str(),
                gcc.kind_words(),
                gcc.start,
                gcc.end
            ),
            (3, "ts_backup", "switchover", 6_000, None)
        );
        assert_eq!(gcc.range(), Some((10, 20)));
        let gud = ss.iter().find(|d| d.role == "gud").expect("a gud session");
        assert_eq!((gud.end, gud.range()), (Some(9_000), None));
        let queued = CtiEvent::Queued {
            call: "c1".into(),
            vq: "vq".into(),
        };
        let released = CtiEvent::Released {
            call: "c1".into(),
            dn: "5001".into(),
        };
        let none = BTreeMap::new();
        // A virtual-queue event the session took needs no row; a party change does.
        assert!(accounts(&none, &ss, "gcc", 15, &queued));
        assert!(!accounts(&none, &ss, "gcc", 21, &queued));
        assert!(!accounts(&none, &ss, "gcc", 15, &released));
        let rows = BTreeMap::from([("gcc", BTreeSet::from([15]))]);
        assert!(accounts(&rows, &ss, "gcc", 15, &released));
    }
}
