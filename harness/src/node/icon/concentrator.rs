//! The ICON's accumulator and persistent queue, without I/O: what it hears of its data-source
//! sessions goes in, batches of rows for its IDB come out.
//!
//! Rows wait in a queue until a batch is committed; a refused batch goes back to the queue
//! whole and is offered again. The queue is bounded ([`Concentrator::new`]'s `limit`): once
//! it is full the ICON takes no more events (each not taken is lost to this IDB) and ends its
//! data-source session, until a commit empties the queue; the caller traces the first event
//! not taken (`idb-queue-full`), and the next session's first event shows the gap in session
//! control. A crash loses the queue: only committed batches survive.

use std::collections::BTreeMap;

use super::dss::{Control, DATA_ROLES};
use super::rows::{Calls, Shape};
use crate::cti::CtiEvent;
use crate::idb::Row;
use crate::topology::Role;
use crate::trace::DisconnectReason;

/// Rows offered to the IDB in one transaction.
#[derive(Debug)]
pub(super) struct Batch {
    /// Data rows first, then the session-control rows.
    pub(super) rows: Vec<Row>,
    /// How many of `rows` are data rows.
    data: usize,
    /// The lowest and highest event sequence number of the data rows.
    pub(super) seqs: Option<(u64, u64)>,
}

/// The ICON's state between its sessions and its IDB.
#[derive(Debug)]
pub(super) struct Concentrator {
    icon: String,
    shape: Shape,
    /// The data roles with session control among the ICON's roles.
    roles: Vec<&'static str>,
    calls: Calls,
    /// Per data source pair (by its configured primary).
    controls: BTreeMap<String, Control>,
    queue: Vec<Row>,
    /// The lowest and highest event sequence number with rows in `queue`.
    seqs: Option<(u64, u64)>,
    limit: usize,
    /// The queue filled: events are not taken until it is committed.
    full: bool,
    next_id: u64,
}

impl Concentrator {
    /// An ICON `icon` storing what `shape` selects, queueing at most `limit` rows, numbering its
    /// data-source sessions from `first_id`.
    pub(super) fn new(icon: &str, shape: Shape, limit: usize, first_id: u64) -> Self {
        let roles = DATA_ROLES
            .iter()
            .copied()
            .filter(|r| shape.has(r))
            .collect();
        Self {
            icon: icon.to_string(),
            shape,
            roles,
            calls: Calls::default(),
            controls: BTreeMap::new(),
            queue: Vec::new(),
            seqs: None,
            limit,
            full: false,
            next_id: first_id,
        }
    }

    fn control(&mut self, pair: &str) -> &mut Control {
        self.controls
            .entry(pair.to_string())
            .or_insert_with(|| Control::new(pair))
    }

    /// The session to instance `ds` of the pair `pair` is up, or its server announced a role.
    pub(super) fn role(&mut self, pair: &str, ds: &str, role: Role, now: u64) {
        let mut id = self.next_id;
        let full = self.full;
        let c = self.control(pair);
        match role {
            Role::Primary if !full => c.begin(ds, now, &mut id),
            Role::Backup if c.current() == Some(ds) => c.end(now, None),
            _ => {}
        }
        self.next_id = id;
    }

    /// The session to instance `ds` of pair `pair` ended.
    pub(super) fn down(&mut self, pair: &str, ds: &str, reason: DisconnectReason, now: u64) {
        let c = self.control(pair);
        if c.current() == Some(ds) {
            c.end(now, Some(reason));
        }
    }

    /// Event `seq` came from instance `ds` of pair `pair`. `Err(rows queued)` when the queue is
    /// full and this is the first event not taken.
    pub(super) fn event(
        &mut self,
        pair: &str,
        ds: &str,
        seq: u64,
        cti: &CtiEvent,
        now: u64,
    ) -> Result<(), usize> {
        if self.full || self.queue.len() >= self.limit {
            let first = !self.full;
            self.full = true;
            self.control(pair).end(now, None);
            return if first { Err(self.queue.len()) } else { Ok(()) };
        }
        let mut id = self.next_id;
        let c = self.control(pair);
        c.begin(ds, now, &mut id);
        c.took(cti.role(), seq);
        self.next_id = id;
        let before = self.queue.len();
        self.calls.rows(&self.shape, seq, cti, &mut self.queue);
        if self.queue.len() > before {
            self.seqs = Some(
                self.seqs
                    .map_or((seq, seq), |(f, l)| (f.min(seq), l.max(seq))),
            );
        }
        Ok(())
    }

    /// Data rows waiting.
    pub(super) fn pending(&self) -> usize {
        self.queue.len()
    }

    /// Whether anything waits to be written (data or session control).
    pub(super) fn changed(&self) -> bool {
        !self.queue.is_empty() || self.controls.values().any(Control::changed)
    }

    /// Everything waiting, as one batch.
    pub(super) fn batch(&mut self) -> Batch {
        let mut rows = std::mem::take(&mut self.queue);
        let data = rows.len();
        for c in self.controls.values() {
            c.rows(&self.icon, &self.roles, &mut rows);
        }
        Batch {
            rows,
            data,
            seqs: self.seqs,
        }
    }

    /// The last [`Concentrator::batch`] is committed (nothing was taken in between: the
    /// write does not yield).
    pub(super) fn committed(&mut self) {
        self.seqs = None;
        for c in self.controls.values_mut() {
            c.committed();
        }
        self.full = false;
    }

    /// `batch` was refused: its data rows wait again, ahead of any newer ones.
    pub(super) fn refused(&mut self, mut batch: Batch) {
        batch.rows.truncate(batch.data);
        batch.rows.append(&mut self.queue);
        self.queue = batch.rows;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idb::Value;
    use crate::topology::effective_roles;

    fn icon(limit: usize) -> Concentrator {
        let shape = Shape {
            roles: effective_roles(Some("gcc,gud")),
            vq: true,
            adata: super::super::rows::Adata::All,
        };
        Concentrator::new("icon_a", shape, limit, 7)
    }

    fn ring(n: u64) -> CtiEvent {
        CtiEvent::Ringing {
            call: format!("c{n}"),
            dn: "5000".into(),
            ani: "555".into(),
            dnis: "800".into(),
        }
    }

    fn names(b: &Batch) -> Vec<&'static str> {
        b.rows.iter().map(|r| r.table.name).collect()
    }

    #[test]
    fn a_batch_carries_its_session_control_and_a_refused_one_waits_whole() {
        let mut c = icon(100);
        c.role("ts_primary", "ts_primary", Role::Primary, 5);
        c.event("ts_primary", "ts_primary", 1, &ring(1), 6)
            .expect("taken");
        let b = c.batch();
        assert_eq!(
            names(&b),
            [
                "G_CALL",
                "G_PARTY",
                "G_PARTY_HISTORY",
                "G_DSS_GCC_PROVIDER",
                "G_DSS_GUD_PROVIDER",
                "G_SYNC_CONTROL"
            ]
        );
        assert_eq!(b.seqs, Some((1, 1)));
        // DSS_ID from the first ID given; type 1; first and last event 1 for gcc, none for gud.
        assert_eq!(b.rows[3].values[0], Value::Int(7));
        assert_eq!(b.rows[3].values[4], Value::Int(1));
        assert_eq!(b.rows[3].values[7], Value::Int(1));
        assert_eq!(b.rows[4].values[7], Value::Null);
        c.refused(b);
        c.event("ts_primary", "ts_primary", 2, &ring(2), 7)
            .expect("taken");
        assert_eq!(
            c.pending(),
            6,
            "the refused rows wait ahead of the new ones"
        );
        let b = c.batch();
        assert_eq!(b.seqs, Some((1, 2)));
        assert_eq!(b.rows[0].values[0], Value::from("c1"));
        c.committed();
        assert!(!c.changed());
        // A switchover: the session ends and a type-5 one starts.
        c.role("ts_primary", "ts_backup", Role::Primary, 9);
        let b = c.batch();
        let kinds: Vec<(Value, Value)> = b
            .rows
            .iter()
            .filter(|r| r.table.name == "G_DSS_GCC_PROVIDER")
            .map(|r| (r.values[4].clone(), r.values[6].clone()))
            .collect();
        assert_eq!(
            kinds,
            [(Value::Int(1), Value::Int(9)), (Value::Int(5), Value::Null)]
        );
    }

    #[test]
    fn a_full_queue_stops_taking_events_and_says_so_once() {
        let mut c = icon(3);
        c.role("ts_primary", "ts_primary", Role::Primary, 0);
        assert_eq!(c.event("ts_primary", "ts_primary", 1, &ring(1), 1), Ok(()));
        assert_eq!(c.event("ts_primary", "ts_primary", 2, &ring(2), 2), Err(3));
        assert_eq!(c.event("ts_primary", "ts_primary", 3, &ring(3), 3), Ok(()));
        assert_eq!(c.pending(), 3, "events 2 and 3 are not taken");
        // A promotion while full starts no session: its events would not be stored.
        c.role("ts_primary", "ts_backup", Role::Primary, 4);
        let b = c.batch();
        c.committed();
        c.event("ts_primary", "ts_primary", 4, &ring(4), 5)
            .expect("taken again");
        let b = c.batch();
        let dss: Vec<Vec<Value>> = b
            .rows
            .iter()
            .filter(|r| r.table.name == "G_DSS_GCC_PROVIDER")
            .map(|r| r.values.clone())
            .collect();
        // A new session, a reconnect to the same instance, from event 4: 2 and 3 are the gap.
        assert_eq!(dss.len(), 1);
        assert_eq!(dss[0][0], Value::Int(8));
        assert_eq!(dss[0][4], Value::Int(2));
        assert_eq!(dss[0][7], Value::Int(4));
    }
}
