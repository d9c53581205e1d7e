//! Interaction Concentrator (ICON): a client of its data source pair (its dialler keeps
//! hot-standby sessions to both instances) that stores the call events the primary
//! distributes into its IDB, as its `[callconcentrator] role` and storage options select.
//!
//! Its IDB is the `database` of the DAP its `[[connection]]` to a `dap` application names (or,
//! after a `dap-database` fault, the one the DAP was pointed at: DAP settings are read at the
//! ICON's start). Without an IDB (none configured, or it cannot be opened) the ICON traces
//! `idb-failed` and runs on, storing nothing.
//!
//! Rows are batched ([`concentrator`]): a batch is written in one transaction when
//! [`BATCH_ROWS`] rows wait, or [`FLUSH_INTERVAL`] after the first row of a batch; each
//! committed batch is traced `idb-written`. A refused batch (`idb-failed`, in the database's own
//! words) waits in the bounded persistent queue ([`QUEUE_ROWS`]) and is offered again every
//! [`RETRY_INTERVAL`]. Session control ([`dss`]) goes in the same transactions.
//!
//! An `idb-refuse` fault makes the database itself refuse: the ICON's connection is set
//! read-only (SQLite's `query_only`, whose refusal is SQLite's own error) before its next
//! write, and writable again after `idb-accept`.

mod concentrator;
mod dss;
mod rows;

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use self::concentrator::Concentrator;
use self::rows::{Adata, Shape};
use super::World;
use super::dialer::Feed;
use crate::idb::{Idb, schema};
use crate::net::Net;
use crate::topology::{AppType, effective_roles};
use crate::trace::Kind;

/// A batch is written as soon as this many data rows wait.
pub const BATCH_ROWS: usize = 1_000;

/// A batch is written at most this long (virtual time) after its first row.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// After a refusal, the queue is offered again this much later.
pub const RETRY_INTERVAL: Duration = Duration::from_secs(1);

/// The persistent queue holds at most this many data rows; past it, events are not taken.
pub const QUEUE_ROWS: usize = 200_000;

/// IDB faults in force, which the ICONs read: IDBs refusing writes, DAPs pointed elsewhere.
#[derive(Debug, Default)]
pub struct IdbFaults {
    /// `[database.KEY]`s that refuse writes (`idb-refuse`, until `idb-accept`).
    pub refusing: BTreeSet<String>,
    /// DAP → the database it now points to (`dap-database`), read at an ICON's start.
    pub dap_database: BTreeMap<String, String>,
}

/// The IDB of ICON `name`: its DAP's database, as configured or as a fault changed it.
fn idb_name<N: Net>(w: &World<N>, name: &str) -> Result<String, String> {
    let t = &w.topology;
    let dap = t
        .connections_from(name)
        .filter_map(|c| t.app(&c.to.value))
        .find(|a| a.kind.value == AppType::Dap)
        .ok_or_else(|| format!("ICON {name} has no connection to a DAP"))?;
    let dap_name = &dap.name.value;
    w.board
        .idb
        .borrow()
        .dap_database
        .get(dap_name)
        .cloned()
        .or_else(|| dap.database.as_ref().map(|d| d.value.clone()))
        .ok_or_else(|| format!("DAP {dap_name} names no database"))
}

/// Opens the ICON's IDB and reads the next data-source session ID (after every one of this
/// ICON's sessions the IDB holds, so that a restarted ICON does not overwrite its own).
fn open<N: Net>(w: &World<N>, name: &str) -> Result<(Box<dyn Idb>, u64), (String, String)> {
    let db = idb_name(w, name).map_err(|e| ("none".to_string(), e))?;
    let place = w
        .idb
        .as_deref()
        .ok_or_else(|| (db.clone(), "the run has no IDB folder".to_string()))?;
    let fail = |e: crate::idb::IdbError| (db.clone(), e.to_string());
    let mut idb = crate::idb::open(&db, place).map_err(fail)?;
    let contents = idb.contents().map_err(fail)?;
    let last = schema::TABLES
        .iter()
        .filter(|t| t.name.starts_with("G_DSS_"))
        .flat_map(|t| contents.rows(t.name))
        .filter(|r| r.get(1) == Some(&crate::idb::Value::from(name)))
        .filter_map(|r| match r.first() {
            Some(crate::idb::Value::Int(i)) => u64::try_from(*i).ok(),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    Ok((idb, last.saturating_add(1)))
}

/// What ICON `name` stores, as its options say now (they take effect at start).
fn shape<N: Net>(w: &World<N>, name: &str) -> Shape {
    let adata = crate::topology::options::spec("callconcentrator", "adata-userdata-history")
        .map(|s| {
            let v = w.option(name, "callconcentrator", "adata-userdata-history");
            Adata::parse(s.text(v.as_deref()))
        })
        .unwrap_or(Adata::None);
    Shape {
        roles: effective_roles(w.option(name, "callconcentrator", "role").as_deref()),
        vq: w.option_flag(name, "hapair", "icon-vq-monitoring"),
        adata,
    }
}

/// Virtual milliseconds now.
fn now_ms<N: Net>(w: &World<N>) -> u64 {
    u64::try_from(w.net.now().as_millis()).unwrap_or(u64::MAX)
}

/// Runs ICON `name`'s storage until its process ends: `feed` is what its data-source sessions
/// hear.
pub(super) async fn run<N: Net>(
    w: Rc<World<N>>,
    name: String,
    mut feed: mpsc::UnboundedReceiver<Feed>,
) {
    let (mut idb, first_id) = match open(&w, &name) {
        Ok(x) => x,
        Err((db, detail)) => {
            w.emit(&name, Kind::IdbFailed { db, detail });
            // Storing nothing: the sessions go on.
            while feed.recv().await.is_some() {}
            return;
        }
    };
    let db = idb.name().to_string();
    let mut icon = Concentrator::new(&name, shape(&w, &name), QUEUE_ROWS, first_id);
    let pair_of = |target: &str| {
        w.topology
            .pair_of(target)
            .map_or_else(|| target.to_string(), |p| p.primary.name.value.clone())
    };
    let mut writer = Writer {
        read_only: false,
        retrying: false,
    };
    let mut due: Option<Instant> = None;
    loop {
        let tick = async {
            match due {
                Some(at) => w.timers.sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            f = feed.recv() => {
                let Some(f) = f else { return };
                let now = now_ms(&w);
                match f {
                    Feed::Up { target, role } | Feed::Role { target, role } => {
                        icon.role(&pair_of(&target), &target, role, now);
                    }
                    Feed::Down { target, reason } => icon.down(&pair_of(&target), &target, reason, now),
                    Feed::Event { target, seq, cti } => {
                        if let Err(rows) = icon.event(&pair_of(&target), &target, seq, &cti, now) {
                            let rows = u64::try_from(rows).unwrap_or(u64::MAX);
                            w.emit(&name, Kind::IdbQueueFull { db: db.clone(), rows, seq });
                        }
                    }
                }
                if icon.pending() >= BATCH_ROWS && !writer.retrying {
                    due = writer.flush(&w, &name, &mut *idb, &mut icon);
                } else if due.is_none() && icon.changed() {
                    due = crate::node::clock::instant().checked_add(FLUSH_INTERVAL);
                }
            },
            () = tick => due = writer.flush(&w, &name, &mut *idb, &mut icon),
        }
    }
}

/// The ICON's side of its IDB connection.
struct Writer {
    /// The connection is set read-only (an `idb-refuse` fault in force).
    read_only: bool,
    /// The last batch was refused: the next is offered at the retry time, not earlier.
    retrying: bool,
}

impl Writer {
    /// Offers everything waiting as one batch; says when to offer again (`None`: nothing
    /// waits).
    fn flush<N: Net>(
        &mut self,
        w: &World<N>,
        name: &str,
        idb: &mut dyn Idb,
        icon: &mut Concentrator,
    ) -> Option<Instant> {
        let db = idb.name().to_string();
        let refuse = w.board.idb.borrow().refusing.contains(&db);
        if refuse != self.read_only {
            match idb.set_read_only(refuse) {
                Ok(()) => self.read_only = refuse,
                Err(e) => w.emit(
                    name,
                    Kind::IdbFailed {
                        db: db.clone(),
                        detail: e.to_string(),
                    },
                ),
            }
        }
        if !icon.changed() {
            self.retrying = false;
            return None;
        }
        let batch = icon.batch();
        match idb.write(&batch.rows) {
            Ok(()) => {
                w.emit(
                    name,
                    Kind::IdbWritten {
                        db,
                        rows: u64::try_from(batch.rows.len()).unwrap_or(u64::MAX),
                        first_seq: batch.seqs.map(|s| s.0),
                        last_seq: batch.seqs.map(|s| s.1),
                    },
                );
                icon.committed();
                self.retrying = false;
                None
            }
            Err(e) => {
                w.emit(
                    name,
                    Kind::IdbFailed {
                        db,
                        detail: e.to_string(),
                    },
                );
                icon.refused(batch);
                self.retrying = true;
                crate::node::clock::instant().checked_add(RETRY_INTERVAL)
            }
        }
    }
}
