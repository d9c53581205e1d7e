//! The SQLite IDB: one real database file per `[database.KEY]`, through rusqlite (the SQLite
//! library is built into hapair, so a fresh machine needs nothing installed; `sqlite3` opens
//! the file a run leaves behind).

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, params_from_iter, types::ValueRef};

use super::schema::{self, ColType, TABLES};
use super::{Contents, Idb, IdbError, Row, Value, check_shape};

/// An open SQLite IDB.
pub(super) struct Sqlite {
    name: String,
    conn: Connection,
    /// Each table's INSERT text, made once: a batch writes thousands of rows.
    inserts: BTreeMap<&'static str, String>,
}

impl Sqlite {
    /// Opens (or creates) `file`, with its tables.
    pub(super) fn open(name: &str, file: &Path) -> Result<Self, IdbError> {
        let unavailable = |e: rusqlite::Error| IdbError::Unavailable {
            db: name.to_string(),
            detail: format!("{}: {e}", file.display()),
        };
        let conn = Connection::open(file).map_err(unavailable)?;
        // WAL with NORMAL sync: a committed batch survives the ICON (the simulated process),
        // and thousands of runs do not wait on fsync for each.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(unavailable)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(unavailable)?;
        let mut s = Self {
            name: name.to_string(),
            conn,
            inserts: TABLES
                .iter()
                .map(|t| (t.name, schema::insert_sql(t)))
                .collect(),
        };
        s.create()?;
        Ok(s)
    }

    fn refused(&self, operation: &'static str) -> impl Fn(rusqlite::Error) -> IdbError + '_ {
        move |e| IdbError::Refused {
            db: self.name.clone(),
            operation,
            detail: e.to_string(),
        }
    }

    fn create(&mut self) -> Result<(), IdbError> {
        let sql: Vec<String> = TABLES.iter().map(schema::create_sql).collect();
        self.conn
            .execute_batch(&sql.join(";\n"))
            .map_err(self.refused("create tables"))
    }
}

fn to_sql(v: &Value) -> rusqlite::types::Value {
    match v {
        Value::Null => rusqlite::types::Value::Null,
        Value::Int(i) => rusqlite::types::Value::Integer(*i),
        Value::Text(t) => rusqlite::types::Value::Text(t.clone()),
    }
}

fn from_sql(v: ValueRef<'_>, ty: ColType) -> Value {
    match (v, ty) {
        (ValueRef::Null, _) => Value::Null,
        (ValueRef::Integer(i), _) => Value::Int(i),
        (ValueRef::Text(t), _) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        (ValueRef::Real(r), ColType::Int) => Value::Text(r.to_string()),
        (ValueRef::Real(r), ColType::Text) => Value::Text(r.to_string()),
        (ValueRef::Blob(b), _) => Value::Text(String::from_utf8_lossy(b).into_owned()),
    }
}

impl Idb for Sqlite {
    fn name(&self) -> &str {
        &self.name
    }

    fn write(&mut self, rows: &[Row]) -> Result<(), IdbError> {
        for r in rows {
            check_shape(&self.name, r)?;
        }
        let name = self.name.clone();
        let refused = |e: rusqlite::Error| IdbError::Refused {
            db: name.clone(),
            operation: "write",
            detail: e.to_string(),
        };
        let inserts = &self.inserts;
        let tx = self.conn.transaction().map_err(refused)?;
        for r in rows {
            let sql: std::borrow::Cow<'_, str> = match inserts.get(r.table.name) {
                Some(sql) => sql.into(),
                None => schema::insert_sql(r.table).into(),
            };
            let mut st = tx.prepare_cached(&sql).map_err(refused)?;
            st.execute(params_from_iter(r.values.iter().map(to_sql)))
                .map_err(refused)?;
        }
        tx.commit().map_err(refused)
    }

    fn contents(&mut self) -> Result<Contents, IdbError> {
        let mut out = Contents::default();
        for t in TABLES {
            let mut st = self
                .conn
                .prepare(&schema::select_sql(t))
                .map_err(self.refused("read"))?;
            let rows = st
                .query_map([], |row| {
                    t.columns
                        .iter()
                        .enumerate()
                        .map(|(i, c)| Ok(from_sql(row.get_ref(i)?, c.ty)))
                        .collect::<Result<Vec<Value>, rusqlite::Error>>()
                })
                .map_err(self.refused("read"))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(self.refused("read"))?;
            out.0.insert(t.name, rows);
        }
        Ok(out)
    }

    fn set_read_only(&mut self, on: bool) -> Result<(), IdbError> {
        self.conn
            .pragma_update(None, "query_only", on)
            .map_err(self.refused("change query_only"))
    }

    fn reset(&mut self) -> Result<(), IdbError> {
        let drop: Vec<String> = TABLES
            .iter()
            .map(|t| format!("DROP TABLE IF EXISTS {}", t.name))
            .collect();
        self.conn
            .execute_batch(&drop.join(";\n"))
            .map_err(self.refused("reset"))?;
        self.create()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idb::schema::table;

    fn call(id: &str, seq: u64) -> Row {
        Row {
            table: table("G_CALL").expect("G_CALL"),
            values: vec![id.into(), seq.into(), "555".into(), "800".into()],
        }
    }

    #[test]
    fn a_batch_is_stored_whole_and_read_back_in_key_order() -> Result<(), IdbError> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut db = Sqlite::open("idb_a", &dir.path().join("idb_a.sqlite"))?;
        db.write(&[call("c2", 2), call("c1", 1)])?;
        let c = db.contents()?;
        assert_eq!(c.rows("G_CALL").len(), 2);
        assert_eq!(c.rows("G_CALL")[0][0], Value::from("c1"));
        // A batch with a duplicate key fails whole: c3 is not stored either.
        let e = db.write(&[call("c3", 3), call("c1", 4)]);
        assert!(matches!(e, Err(IdbError::Refused { .. })), "{e:?}");
        assert_eq!(db.contents()?.rows("G_CALL").len(), 2);
        Ok(())
    }

    #[test]
    fn a_read_only_idb_refuses_with_sqlites_own_words_and_recovers() -> Result<(), IdbError> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut db = Sqlite::open("idb_a", &dir.path().join("idb_a.sqlite"))?;
        db.set_read_only(true)?;
        let e = db.write(&[call("c1", 1)]).expect_err("read-only refuses");
        assert!(e.to_string().contains("readonly"), "{e}");
        db.set_read_only(false)?;
        db.write(&[call("c1", 1)])?;
        assert_eq!(db.contents()?.len(), 1);
        db.reset()?;
        assert!(db.contents()?.is_empty());
        Ok(())
    }

    #[test]
    fn control_rows_are_updated_in_place() -> Result<(), IdbError> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut db = Sqlite::open("idb_a", &dir.path().join("idb_a.sqlite"))?;
        let sync = table("G_SYNC_CONTROL").expect("G_SYNC_CONTROL");
        let row = |seq: u64| Row {
            table: sync,
            values: vec![
                "gcc".into(),
                "icon_a".into(),
                "ts_primary".into(),
                "ts_primary".into(),
                seq.into(),
            ],
        };
        db.write(&[row(5)])?;
        db.write(&[row(9)])?;
        let c = db.contents()?;
        assert_eq!(c.rows("G_SYNC_CONTROL").len(), 1);
        assert_eq!(c.rows("G_SYNC_CONTROL")[0][4], Value::Int(9));
        let bad = Row {
            table: sync,
            values: vec!["gcc".into()],
        };
        assert!(matches!(db.write(&[bad]), Err(IdbError::Shape { .. })));
        Ok(())
    }
}
