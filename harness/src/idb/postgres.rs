//! The PostgreSQL IDB: a real server, reached through the `postgres` client.
//!
//! Each run keeps its IDB in a schema of its own on the server (`hapair_<run>_<key>`, see
//! [`Place::schema`](super::Place::schema)): the runs of a batch share the server and execute
//! at once, and none sees another's rows. [`Idb::reset`] drops and re-creates the schema;
//! [`read_back`](super::read_back) drops it once the run has been read, unless the run keeps
//! its IDBs (`hapair run --out`).
//!
//! The client runs its own small tokio runtime and blocks on it, which panics inside another
//! runtime (the simulator's hosts run inside one). So the connection lives on an OS thread of
//! its own, and the [`Idb`] methods hand it one operation at a time over a channel and wait for
//! the answer: they stay synchronous, as the trait wants.
//!
//! Read-only is the server's own: `SET default_transaction_read_only`, and the server refuses
//! the next write with its own words (`cannot execute INSERT in a read-only transaction`).

use std::collections::HashMap;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use postgres::types::ToSql;
use postgres::{Client, NoTls, Statement};

use super::schema::{self, ColType, TABLES};
use super::{Contents, DbUrl, Idb, IdbError, Row, Value, check_shape};

/// How long a connection attempt may take before the IDB is reported unavailable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One operation for the connection's thread.
enum Op {
    Write(Vec<Row>),
    Contents,
    ReadOnly(bool),
    Reset,
    Discard,
}

/// The connection thread's answer to an [`Op`] (or to connecting).
enum Reply {
    Done(Result<(), IdbError>),
    Contents(Result<Contents, IdbError>),
}

/// An open PostgreSQL IDB: the handle of its connection's thread.
pub(super) struct Postgres {
    name: String,
    ops: Option<mpsc::Sender<Op>>,
    replies: mpsc::Receiver<Reply>,
    thread: Option<JoinHandle<()>>,
}

impl Postgres {
    /// Connects to `url`, into `schema` (created, with its tables, when missing).
    pub(super) fn open(name: &str, url: &DbUrl, schema: &str) -> Result<Self, IdbError> {
        let (ops, op_rx) = mpsc::channel();
        let (reply_tx, replies) = mpsc::channel();
        let conn = Conn {
            name: name.to_string(),
            schema: quote(schema),
            client: None,
            statements: HashMap::new(),
        };
        let url = url.clone();
        let thread = std::thread::Builder::new()
            .name(format!("idb-{name}"))
            .spawn(move || serve(conn, &url, &op_rx, &reply_tx))
            .map_err(|e| unavailable(name, format!("cannot start its connection thread: {e}")))?;
        let pg = Self {
            name: name.to_string(),
            ops: Some(ops),
            replies,
            thread: Some(thread),
        };
        match pg.replies.recv() {
            Ok(Reply::Done(Ok(()))) => Ok(pg),
            Ok(Reply::Done(Err(e)) | Reply::Contents(Err(e))) => Err(e),
            Ok(Reply::Contents(Ok(_))) | Err(_) => Err(pg.gone()),
        }
    }

    fn gone(&self) -> IdbError {
        unavailable(&self.name, "its connection thread ended".to_string())
    }

    fn ask(&mut self, op: Op) -> Result<Reply, IdbError> {
        let sent = self.ops.as_ref().is_some_and(|ops| ops.send(op).is_ok());
        if !sent {
            return Err(self.gone());
        }
        self.replies.recv().map_err(|_| self.gone())
    }

    fn done(&mut self, op: Op) -> Result<(), IdbError> {
        match self.ask(op)? {
            Reply::Done(r) => r,
            Reply::Contents(_) => Err(self.gone()),
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop; it closes the connection as it ends.
        self.ops = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Idb for Postgres {
    fn name(&self) -> &str {
        &self.name
    }

    fn write(&mut self, rows: &[Row]) -> Result<(), IdbError> {
        for r in rows {
            check_shape(&self.name, r)?;
        }
        self.done(Op::Write(rows.to_vec()))
    }

    fn contents(&mut self) -> Result<Contents, IdbError> {
        match self.ask(Op::Contents)? {
            Reply::Contents(c) => c,
            Reply::Done(_) => Err(self.gone()),
        }
    }

    fn set_read_only(&mut self, on: bool) -> Result<(), IdbError> {
        self.done(Op::ReadOnly(on))
    }

    fn reset(&mut self) -> Result<(), IdbError> {
        self.done(Op::Reset)
    }
}

impl Postgres {
    /// Drops the run's schema from the server, with everything in it: the run is over and
    /// has been read back.
    pub(super) fn discard(&mut self) -> Result<(), IdbError> {
        self.done(Op::Discard)
    }
}

/// The connection, owned by its thread.
struct Conn {
    name: String,
    /// The run's schema, quoted.
    schema: String,
    client: Option<Client>,
    /// Prepared inserts, by table (a reset forgets them: their tables are gone).
    statements: HashMap<&'static str, Statement>,
}

/// The connection thread: connects, answers, then serves operations until the handle is
/// dropped.
fn serve(mut conn: Conn, url: &DbUrl, ops: &mpsc::Receiver<Op>, replies: &mpsc::Sender<Reply>) {
    let opened = conn.connect(url);
    let failed = opened.is_err();
    if replies.send(Reply::Done(opened)).is_err() || failed {
        return;
    }
    for op in ops {
        let reply = match op {
            Op::Write(rows) => Reply::Done(conn.write(&rows)),
            Op::Contents => Reply::Contents(conn.contents()),
            Op::ReadOnly(on) => Reply::Done(conn.set_read_only(on)),
            Op::Reset => Reply::Done(conn.reset()),
            Op::Discard => Reply::Done(conn.discard()),
        };
        if replies.send(reply).is_err() {
            break;
        }
    }
}

impl Conn {
    fn connect(&mut self, url: &DbUrl) -> Result<(), IdbError> {
        let mut config: postgres::Config = url
            .secret()
            .parse()
            .map_err(|e| unavailable(&self.name, format!("{url}: {}", words(&e))))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("hapair");
        let client = config
            .connect(NoTls)
            .map_err(|e| unavailable(&self.name, format!("{url}: {}", words(&e))))?;
        self.client = Some(client);
        let sql = format!(
            "CREATE SCHEMA IF NOT EXISTS {s};\nSET search_path TO {s}",
            s = self.schema
        );
        self.batch(&sql, "open its schema")?;
        self.create()
    }

    fn client(&mut self) -> Result<&mut Client, IdbError> {
        let name = &self.name;
        self.client
            .as_mut()
            .ok_or_else(|| unavailable(name, "not connected".to_string()))
    }

    fn batch(&mut self, sql: &str, operation: &'static str) -> Result<(), IdbError> {
        let name = self.name.clone();
        self.client()?
            .batch_execute(sql)
            .map_err(|e| refused(&name, operation, &e))
    }

    fn create(&mut self) -> Result<(), IdbError> {
        let sql: Vec<String> = TABLES.iter().map(schema::create_sql).collect();
        self.batch(&sql.join(";\n"), "create tables")
    }

    fn write(&mut self, rows: &[Row]) -> Result<(), IdbError> {
        let name = self.name.clone();
        let fail = |e: postgres::Error| refused(&name, "write", &e);
        for r in rows {
            if !self.statements.contains_key(r.table.name) {
                let st = self
                    .client()?
                    .prepare(&schema::insert_sql(r.table))
                    .map_err(fail)?;
                self.statements.insert(r.table.name, st);
            }
        }
        let statements = &self.statements;
        let client = self
            .client
            .as_mut()
            .ok_or_else(|| unavailable(&name, "not connected".to_string()))?;
        let mut tx = client.transaction().map_err(fail)?;
        for r in rows {
            let Some(st) = statements.get(r.table.name) else {
                continue;
            };
            let values = params(r);
            let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(AsRef::as_ref).collect();
            tx.execute(st, &refs).map_err(fail)?;
        }
        tx.commit().map_err(fail)
    }

    fn contents(&mut self) -> Result<Contents, IdbError> {
        let name = self.name.clone();
        let fail = |e: postgres::Error| refused(&name, "read", &e);
        let client = self.client()?;
        let mut out = Contents::default();
        for t in TABLES {
            let rows = client.query(&schema::select_sql(t), &[]).map_err(fail)?;
            let mut table = Vec::with_capacity(rows.len());
            for row in rows {
                let mut values = Vec::with_capacity(t.columns.len());
                for (i, c) in t.columns.iter().enumerate() {
                    let v = match c.ty {
                        ColType::Int => row.try_get::<_, Option<i64>>(i).map(Value::from_int),
                        ColType::Text => row.try_get::<_, Option<String>>(i).map(Value::from),
                    };
                    values.push(v.map_err(fail)?);
                }
                table.push(values);
            }
            out.0.insert(t.name, table);
        }
        Ok(out)
    }

    fn set_read_only(&mut self, on: bool) -> Result<(), IdbError> {
        let word = if on { "on" } else { "off" };
        self.batch(
            &format!("SET default_transaction_read_only = {word}"),
            "change default_transaction_read_only",
        )
    }

    fn reset(&mut self) -> Result<(), IdbError> {
        self.statements.clear();
        let sql = format!(
            "DROP SCHEMA IF EXISTS {s} CASCADE;\nCREATE SCHEMA {s};\nSET search_path TO {s}",
            s = self.schema
        );
        self.batch(&sql, "reset")?;
        self.create()
    }
}

impl Conn {
    fn discard(&mut self) -> Result<(), IdbError> {
        self.statements.clear();
        let sql = format!(
            "SET default_transaction_read_only = off;\nDROP SCHEMA IF EXISTS {} CASCADE",
            self.schema
        );
        self.batch(&sql, "drop its schema")
    }
}

impl Value {
    fn from_int(v: Option<i64>) -> Value {
        v.map_or(Value::Null, Value::Int)
    }
}

/// A row's values as parameters of its table's insert (a NULL typed after its column).
fn params(r: &Row) -> Vec<Box<dyn ToSql + Sync>> {
    r.values
        .iter()
        .zip(r.table.columns)
        .map(|(v, c)| -> Box<dyn ToSql + Sync> {
            match (v, c.ty) {
                (Value::Int(i), _) => Box::new(*i),
                (Value::Text(t), _) => Box::new(t.clone()),
                (Value::Null, ColType::Int) => Box::new(None::<i64>),
                (Value::Null, ColType::Text) => Box::new(None::<String>),
            }
        })
        .collect()
}

/// `ident` as a quoted SQL identifier.
fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// The server's own words for `e` (`ERROR 25006: cannot execute INSERT in a read-only
/// transaction`), or the client's when the server said nothing.
fn words(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} {}: {}", db.severity(), db.code().code(), db.message()),
        None => e.to_string(),
    }
}

fn refused(db: &str, operation: &'static str, e: &postgres::Error) -> IdbError {
    if e.is_closed() {
        return unavailable(db, words(e));
    }
    IdbError::Refused {
        db: db.to_string(),
        operation,
        detail: words(e),
    }
}

fn unavailable(db: &str, detail: String) -> IdbError {
    IdbError::Unavailable {
        db: db.to_string(),
        detail,
    }
}
