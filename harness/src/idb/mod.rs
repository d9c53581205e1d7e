//! The Interaction Database (IDB) an ICON writes through its DAP: a real database, SQLite by
//! default (one file per `[database.KEY]` in the run's folder) behind the [`Idb`] trait, so that
//! other backends fit beside it.
//!
//! The schema is a documented subset of Genesys's ([`schema::TABLES`]). Rows are written in
//! batches, one transaction each: a batch is stored whole or not at all. Reading back
//! ([`Idb::contents`]) gives every table's rows in key order, which is what the HA checks
//! (`idb-parity`, `idb-complete`) compare after a run.
//!
//! An IDB that stops accepting writes is real too: [`Idb::set_read_only`] makes the database
//! itself refuse (SQLite's `query_only`, PostgreSQL's `default_transaction_read_only`), and the
//! ICON sees the database's own error.
//!
//! A `[database.KEY]` with a `url` is a real PostgreSQL server instead ([`Place::postgres`]):
//! each run keeps its IDB in a schema of its own there ([`Place::schema`]), so that the runs of
//! a batch share one server.

mod postgres;
pub mod schema;
mod sqlite;
mod url;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

pub use schema::{TABLES, TableDef};
pub use url::{DbUrl, UrlError};

/// A column's value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Text(t) => write!(f, "'{t}'"),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}

impl From<u64> for Value {
    fn from(i: u64) -> Self {
        Value::Int(i64::try_from(i).unwrap_or(i64::MAX))
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// One row to write: its table and its values in the table's column order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The table.
    pub table: &'static TableDef,
    /// Values, one per column of `table`, in order.
    pub values: Vec<Value>,
}

/// Every table's rows, by table name, each table's rows in key order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Contents(pub BTreeMap<&'static str, Vec<Vec<Value>>>);

impl Contents {
    /// The rows of one table (none when it is empty or unknown).
    pub fn rows(&self, table: &str) -> &[Vec<Value>] {
        self.0.get(table).map_or(&[], Vec::as_slice)
    }

    /// How many rows all tables hold together.
    pub fn len(&self) -> usize {
        self.0.values().map(Vec::len).sum()
    }

    /// Whether no table holds a row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Each `[database.KEY]`'s contents after a run, read back from the real database (or why it
/// could not be read), by key: what the IDB expectations judge.
pub type Idbs = BTreeMap<String, Result<Contents, IdbError>>;

/// Why a database could not do what was asked: the backend's own words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdbError {
    /// The database cannot be opened or reached.
    #[error("IDB {db} is unavailable: {detail}")]
    Unavailable {
        /// The `[database.KEY]`.
        db: String,
        /// What the backend said.
        detail: String,
    },
    /// The database refused an operation (read-only, a constraint, a full disk).
    #[error("IDB {db} refused to {operation}: {detail}")]
    Refused {
        /// The `[database.KEY]`.
        db: String,
        /// What was asked (`write`, `read`, `reset`, …).
        operation: &'static str,
        /// What the backend said.
        detail: String,
    },
    /// A row does not fit its table (a wrong number of values): a bug in the writer.
    #[error("IDB {db}: a row of {table} has {got} values, the table has {want} columns")]
    Shape {
        /// The `[database.KEY]`.
        db: String,
        /// The table.
        table: &'static str,
        /// Values given.
        got: usize,
        /// Columns of the table.
        want: usize,
    },
}

/// One IDB, open.
///
/// Every method takes `&mut self`: a database connection serves one user at a time, and the
/// ICON owns its connection alone. Calls block briefly; in the simulator they take no virtual
/// time.
pub trait Idb {
    /// The `[database.KEY]` it is.
    fn name(&self) -> &str;

    /// Writes `rows` in order in one transaction: all of them, or none (and an error).
    ///
    /// # Errors
    /// [`IdbError`] when the database refuses or cannot be reached.
    fn write(&mut self, rows: &[Row]) -> Result<(), IdbError>;

    /// Every table's rows in key order.
    ///
    /// # Errors
    /// [`IdbError`] when the database cannot be read.
    fn contents(&mut self) -> Result<Contents, IdbError>;

    /// Makes the database refuse writes (`true`) or accept them again (`false`), as an IDB
    /// whose disk filled or whose DBA set it read-only would.
    ///
    /// # Errors
    /// [`IdbError`] when the setting cannot be changed.
    fn set_read_only(&mut self, on: bool) -> Result<(), IdbError>;

    /// Drops and re-creates every table: the empty IDB a run starts with.
    ///
    /// # Errors
    /// [`IdbError`] when the database refuses.
    fn reset(&mut self) -> Result<(), IdbError>;
}

/// Where a run's IDBs are: SQLite files in a folder, PostgreSQL ones in the run's schemas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// The folder of the SQLite files (`<dir>/<database key>.sqlite`).
    pub dir: PathBuf,
    /// The run, unique among the runs that share a server: its PostgreSQL schemas are named
    /// after it.
    pub run: String,
    /// The IDBs on a PostgreSQL server, by database key: the server's URL.
    pub postgres: BTreeMap<String, DbUrl>,
    /// Whether the IDBs outlive the run (`hapair run --out`): PostgreSQL schemas are then kept
    /// after the run is read back, not dropped.
    pub keep: bool,
}

impl Place {
    /// A place for a new run: SQLite files in `dir`, a run name of its own, no PostgreSQL
    /// server, nothing kept.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            run: new_run(),
            postgres: BTreeMap::new(),
            keep: false,
        }
    }

    /// The SQLite file of `[database.KEY]`.
    pub fn sqlite_file(&self, db: &str) -> PathBuf {
        self.dir.join(format!("{db}.sqlite"))
    }

    /// The PostgreSQL schema of `[database.KEY]` in this run: `hapair_<run>_<key>`, or the
    /// key's hash in place of the key where the name would pass PostgreSQL's 63 bytes.
    pub fn schema(&self, db: &str) -> String {
        let name = format!("hapair_{}_{db}", self.run);
        if name.len() <= 63 {
            return name;
        }
        format!("hapair_{}_{:016x}", self.run, fnv(db))
    }
}

/// A run name no other run on this machine has at the same time: the process, a counter, and
/// a few digits of the wall clock (a crashed run's leftovers are not mistaken for a new run's).
/// It names storage only, never reaches a trace.
fn new_run() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_micros());
    format!("{}_{n}_{now:x}", std::process::id())
}

/// FNV-1a: a short stable name for a key too long for a schema name.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Opens `[database.KEY]` of a run, creating its tables when they are missing: its SQLite
/// file, or its schema on its PostgreSQL server.
///
/// # Errors
/// [`IdbError::Unavailable`] when it cannot be opened.
pub fn open(db: &str, place: &Place) -> Result<Box<dyn Idb>, IdbError> {
    if let Some(url) = place.postgres.get(db) {
        return Ok(Box::new(postgres::Postgres::open(
            db,
            url,
            &place.schema(db),
        )?));
    }
    Ok(Box::new(sqlite::Sqlite::open(db, &place.sqlite_file(db))?))
}

/// Reads `[database.KEY]` of a run once the run is over; a PostgreSQL schema is dropped after
/// it, unless the place keeps its IDBs. (A SQLite file goes with its folder.)
///
/// # Errors
/// [`IdbError`] when it cannot be opened or read (or its schema dropped).
pub fn read_back(db: &str, place: &Place) -> Result<Contents, IdbError> {
    if let Some(url) = place.postgres.get(db) {
        let mut pg = postgres::Postgres::open(db, url, &place.schema(db))?;
        let contents = pg.contents();
        if place.keep {
            return keep_note(db, place, url).and(contents);
        }
        let dropped = pg.discard();
        return contents.and_then(|c| dropped.map(|()| c));
    }
    open(db, place)?.contents()
}

/// Notes, beside the run's SQLite files, where a kept PostgreSQL IDB is: `<key>.postgresql`
/// with its server (password hidden) and schema, for `psql`.
fn keep_note(db: &str, place: &Place, url: &DbUrl) -> Result<(), IdbError> {
    let text = format!(
        "# IDB `{db}` of this run is on a PostgreSQL server, in a schema of its own:\n\
         url = \"{url}\"\nschema = \"{}\"\n",
        place.schema(db)
    );
    std::fs::write(place.dir.join(format!("{db}.postgresql")), text).map_err(|e| {
        IdbError::Refused {
            db: db.to_string(),
            operation: "note where it is kept",
            detail: e.to_string(),
        }
    })
}

/// Opens a SQLite IDB file directly (tests, `hapair` reading a run's folder).
///
/// # Errors
/// [`IdbError::Unavailable`] when it cannot be opened.
pub fn open_sqlite(db: &str, file: &Path) -> Result<Box<dyn Idb>, IdbError> {
    Ok(Box::new(sqlite::Sqlite::open(db, file)?))
}

/// Checks that `row` fits its table.
fn check_shape(db: &str, row: &Row) -> Result<(), IdbError> {
    if row.values.len() == row.table.columns.len() {
        return Ok(());
    }
    Err(IdbError::Shape {
        db: db.to_string(),
        table: row.table.name,
        got: row.values.len(),
        want: row.table.columns.len(),
    })
}
