//! The IDB backends behave alike: every behaviour test runs over SQLite (a file) and over a
//! real PostgreSQL server. The PostgreSQL ones need `HAPAIR_PG_URL` (`ci/postgres` starts a
//! throw-away server and sets it); without it they say on the terminal that they were skipped
//! and why, and under CI they fail instead. Then `sqlite3`, the real command, reads an IDB file
//! that `hapair run --out` left behind.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use hapair::idb::schema::table;
use hapair::idb::{self, DbUrl, Idb, IdbError, Place, Row, Value};

/// Says on the terminal itself (not the captured output) that a test did not run, and why.
fn skipped(test: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// The PostgreSQL server to test against, or `None` (said on the terminal) when there is none.
fn server(test: &str) -> Option<DbUrl> {
    let Ok(text) = std::env::var("HAPAIR_PG_URL") else {
        assert!(
            std::env::var("CI").is_err(),
            "{test}: HAPAIR_PG_URL is not set under CI: ci/test runs the tests under ci/postgres"
        );
        skipped(
            test,
            "HAPAIR_PG_URL is not set (run `ci/postgres cargo test --test idb` for a server)",
        );
        return None;
    };
    Some(DbUrl::parse(&text).expect("HAPAIR_PG_URL is a PostgreSQL URL"))
}

/// Where a backend's IDBs go in one run: a folder of SQLite files, or PostgreSQL schemas.
enum Backend {
    Sqlite,
    Postgres(DbUrl),
}

impl Backend {
    /// A fresh run's place (its folder lives as long as the returned guard).
    fn place(&self) -> (Place, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut place = Place::new(dir.path().to_path_buf());
        if let Backend::Postgres(url) = self {
            place.postgres.insert("idb_a".into(), url.clone());
            place.postgres.insert("idb_b".into(), url.clone());
        }
        (place, dir)
    }

    /// The words the backend refuses a write to a read-only IDB with.
    fn read_only_words(&self) -> &'static str {
        match self {
            Backend::Sqlite => "attempt to write a readonly database",
            Backend::Postgres(_) => "cannot execute INSERT in a read-only transaction",
        }
    }
}

/// A test over both backends: `NAME::sqlite` and `NAME::postgres`.
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[test]
            fn sqlite() -> Result<(), hapair::idb::IdbError> {
                super::$name(&super::Backend::Sqlite)
            }

            #[test]
            fn postgres() -> Result<(), hapair::idb::IdbError> {
                match super::server(concat!(stringify!($name), "::postgres")) {
                    Some(url) => super::$name(&super::Backend::Postgres(url)),
                    None => Ok(()),
                }
            }
        }
    };
}

/// Opens `db` of a run, reset: the empty IDB a run starts with.
fn fresh(db: &str, place: &Place) -> Result<Box<dyn Idb>, IdbError> {
    let mut i = idb::open(db, place)?;
    i.reset()?;
    Ok(i)
}

/// Reads a run's IDB back, as `execute` does once a run is over (PostgreSQL: the schema goes).
fn finish(db: &str, place: &Place) -> Result<idb::Contents, IdbError> {
    idb::read_back(db, place)
}

fn call(id: &str, seq: u64) -> Row {
    Row {
        table: table("G_CALL").expect("G_CALL"),
        values: vec![id.into(), seq.into(), "555".into(), "800".into()],
    }
}

fn party_history(seq: u64, call: &str) -> Row {
    Row {
        table: table("G_PARTY_HISTORY").expect("G_PARTY_HISTORY"),
        values: vec![seq.into(), call.into(), "7001".into(), "ringing".into()],
    }
}

fn party(call: &str, dn: &str, agent: Option<&str>, seq: u64) -> Row {
    Row {
        table: table("G_PARTY").expect("G_PARTY"),
        values: vec![call.into(), dn.into(), agent.into(), seq.into()],
    }
}

both!(a_batch_is_stored_whole_or_not_at_all);
fn a_batch_is_stored_whole_or_not_at_all(b: &Backend) -> Result<(), IdbError> {
    let (place, _dir) = b.place();
    let mut db = fresh("idb_a", &place)?;
    db.write(&[call("c1", 1), party_history(2, "c1")])?;
    // The second batch breaks G_CALL's key on its last row: its first rows are not kept.
    let e = db.write(&[party_history(3, "c2"), call("c2", 3), call("c1", 4)]);
    assert!(matches!(e, Err(IdbError::Refused { .. })), "{e:?}");
    let c = db.contents()?;
    assert_eq!(c.rows("G_CALL").len(), 1);
    assert_eq!(c.rows("G_PARTY_HISTORY").len(), 1);
    // The refusal left the IDB usable.
    db.write(&[call("c2", 5)])?;
    drop(db);
    assert_eq!(finish("idb_a", &place)?.rows("G_CALL").len(), 2);
    Ok(())
}

both!(rows_come_back_in_key_order_with_their_nulls);
fn rows_come_back_in_key_order_with_their_nulls(b: &Backend) -> Result<(), IdbError> {
    let (place, _dir) = b.place();
    let mut db = fresh("idb_a", &place)?;
    db.write(&[
        party_history(33, "c1"),
        party_history(2, "c1"),
        party_history(10, "c1"),
    ])?;
    db.write(&[
        party("c2", "7001", Some("agent1"), 40),
        party("c1", "8000", None, 41),
        party("c1", "7001", Some("agent1"), 42),
    ])?;
    drop(db);
    let c = finish("idb_a", &place)?;
    let seqs: Vec<&Value> = c.rows("G_PARTY_HISTORY").iter().map(|r| &r[0]).collect();
    // Numeric order, not text order (2, 10, 33).
    assert_eq!(seqs, [&Value::Int(2), &Value::Int(10), &Value::Int(33)]);
    let parties: Vec<(String, String, Value)> = c
        .rows("G_PARTY")
        .iter()
        .map(|r| (r[0].to_string(), r[1].to_string(), r[2].clone()))
        .collect();
    assert_eq!(
        parties,
        [
            ("'c1'".into(), "'7001'".into(), Value::from("agent1")),
            ("'c1'".into(), "'8000'".into(), Value::Null),
            ("'c2'".into(), "'7001'".into(), Value::from("agent1")),
        ]
    );
    Ok(())
}

both!(control_rows_are_updated_in_place);
fn control_rows_are_updated_in_place(b: &Backend) -> Result<(), IdbError> {
    let (place, _dir) = b.place();
    let mut db = fresh("idb_a", &place)?;
    let dss = table("G_DSS_GCC_PROVIDER").expect("G_DSS_GCC_PROVIDER");
    let session = |end: Option<u64>, last: Option<u64>| Row {
        table: dss,
        values: vec![
            1_u64.into(),
            "icon_a".into(),
            "ts_primary".into(),
            "ts_primary".into(),
            1_u64.into(),
            0_u64.into(),
            end.into(),
            Some(1_u64).into(),
            last.into(),
        ],
    };
    db.write(&[session(None, None)])?;
    db.write(&[session(Some(9_000), Some(57))])?;
    let c = db.contents()?;
    let rows = c.rows("G_DSS_GCC_PROVIDER");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (&rows[0][6], &rows[0][8]),
        (&Value::Int(9_000), &Value::Int(57))
    );
    let short = Row {
        table: dss,
        values: vec![1_u64.into()],
    };
    assert!(matches!(db.write(&[short]), Err(IdbError::Shape { .. })));
    drop(db);
    finish("idb_a", &place)?;
    Ok(())
}

both!(a_read_only_idb_refuses_in_its_own_words_and_recovers);
fn a_read_only_idb_refuses_in_its_own_words_and_recovers(b: &Backend) -> Result<(), IdbError> {
    let (place, _dir) = b.place();
    let mut db = fresh("idb_a", &place)?;
    db.write(&[call("c1", 1)])?;
    db.set_read_only(true)?;
    let e = db
        .write(&[call("c2", 2)])
        .expect_err("a read-only IDB refuses");
    assert!(e.to_string().contains(b.read_only_words()), "{e}");
    // Reading still works while writes are refused.
    assert_eq!(db.contents()?.rows("G_CALL").len(), 1);
    db.set_read_only(false)?;
    db.write(&[call("c2", 2)])?;
    drop(db);
    assert_eq!(finish("idb_a", &place)?.rows("G_CALL").len(), 2);
    Ok(())
}

both!(a_reset_empties_every_table);
fn a_reset_empties_every_table(b: &Backend) -> Result<(), IdbError> {
    let (place, _dir) = b.place();
    let mut db = fresh("idb_a", &place)?;
    db.write(&[call("c1", 1), party_history(2, "c1")])?;
    db.reset()?;
    assert!(db.contents()?.is_empty());
    // The statements prepared before the reset do not outlive its tables.
    db.write(&[call("c1", 3)])?;
    drop(db);
    // A second connection (the ICON's, after the run's reset) sees the same IDB.
    assert_eq!(finish("idb_a", &place)?.len(), 1);
    Ok(())
}

both!(two_runs_and_two_idbs_are_isolated);
fn two_runs_and_two_idbs_are_isolated(b: &Backend) -> Result<(), IdbError> {
    let (one, _d1) = b.place();
    let (two, _d2) = b.place();
    assert_ne!(one.schema("idb_a"), two.schema("idb_a"));
    let mut a1 = fresh("idb_a", &one)?;
    let mut b1 = fresh("idb_b", &one)?;
    let mut a2 = fresh("idb_a", &two)?;
    a1.write(&[call("c1", 1)])?;
    b1.write(&[call("c1", 1), call("c2", 2)])?;
    a2.write(&[call("c9", 9)])?;
    // The other run's reset does not touch this one's rows.
    a2.reset()?;
    drop((a1, b1, a2));
    assert_eq!(finish("idb_a", &one)?.rows("G_CALL").len(), 1);
    assert_eq!(finish("idb_b", &one)?.rows("G_CALL").len(), 2);
    assert!(finish("idb_a", &two)?.is_empty());
    Ok(())
}

/// Whether the server has `schema`.
fn has_schema(url: &DbUrl, schema: &str) -> bool {
    let mut c = postgres::Client::connect(url.secret(), postgres::NoTls).expect("connects");
    let row = c
        .query_one(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1",
            &[&schema],
        )
        .expect("queried");
    row.get::<_, i64>(0) == 1
}

#[test]
fn a_run_drops_its_schema_once_read_back_unless_kept() -> Result<(), IdbError> {
    let Some(url) = server("a_run_drops_its_schema_once_read_back_unless_kept") else {
        return Ok(());
    };
    let (mut place, _dir) = Backend::Postgres(url.clone()).place();
    fresh("idb_a", &place)?.write(&[call("c1", 1)])?;
    assert!(has_schema(&url, &place.schema("idb_a")));
    assert_eq!(idb::read_back("idb_a", &place)?.len(), 1);
    assert!(!has_schema(&url, &place.schema("idb_a")));
    // Kept (`--out`): the schema stays, and a note beside the SQLite files says where.
    place.keep = true;
    fresh("idb_a", &place)?.write(&[call("c1", 1)])?;
    assert_eq!(idb::read_back("idb_a", &place)?.len(), 1);
    assert!(has_schema(&url, &place.schema("idb_a")));
    let note = std::fs::read_to_string(place.dir.join("idb_a.postgresql")).expect("a note");
    assert!(note.contains(&place.schema("idb_a")), "{note}");
    place.keep = false;
    idb::read_back("idb_a", &place)?;
    Ok(())
}

#[test]
fn a_postgres_idb_works_inside_a_tokio_runtime() -> Result<(), IdbError> {
    let Some(url) = server("a_postgres_idb_works_inside_a_tokio_runtime") else {
        return Ok(());
    };
    let (place, _dir) = Backend::Postgres(url).place();
    // The simulator's hosts run inside a runtime: the client must not start its own there.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let mut db = fresh("idb_a", &place)?;
        db.write(&[call("c1", 1)])?;
        db.contents()
    })?;
    assert_eq!(idb::read_back("idb_a", &place)?.len(), 1);
    Ok(())
}

#[test]
fn an_unreachable_server_is_unavailable_in_the_clients_words() {
    // Nothing listens on port 1 of the loopback address.
    let url = DbUrl::parse("postgresql://icon:pw@127.0.0.1:1/idb").expect("a url");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut place = Place::new(dir.path().to_path_buf());
    place.postgres.insert("idb_a".into(), url);
    let e = idb::open("idb_a", &place)
        .map(|_| ())
        .expect_err("unreachable");
    let said = e.to_string();
    assert!(matches!(e, IdbError::Unavailable { .. }), "{said}");
    assert!(
        said.contains("postgresql://icon:***@127.0.0.1:1/idb"),
        "{said}"
    );
    assert!(!said.contains(":pw@"), "{said}");
}

/// `hapair run --out OUT` of a scenario over the reference ICON HA topology, its IDBs on
/// `url` when one is given (`idb_a`).
fn run_out(dir: &Path, url: Option<&DbUrl>) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut topology =
        std::fs::read_to_string(root.join("scenarios/topologies/icon-ha.toml")).expect("read");
    if let Some(url) = url {
        topology = topology.replace(
            "host = \"db-a\"\n",
            &format!("host = \"db-a\"\nurl = \"{}\"\n", url.secret()),
        );
    }
    std::fs::write(dir.join("icon-ha.toml"), topology).expect("written");
    let scenario = dir.join("idb-run.toml");
    std::fs::write(
        &scenario,
        "name = \"idb-run\"\ntopology = \"icon-ha.toml\"\nclock = 2026-06-01T08:00:00Z\n\
         seed = 3\nduration = \"12s\"\n",
    )
    .expect("written");
    let out = dir.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_hapair"))
        .arg("run")
        .arg("--out")
        .arg(&out)
        .arg(&scenario)
        .output()
        .expect("hapair runs");
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    out.join("idb-run/seed-3/idb")
}

#[test]
fn sqlite3_opens_the_idb_files_a_run_leaves_behind() {
    if Command::new("sqlite3").arg("-version").output().is_err() {
        skipped(
            "sqlite3_opens_the_idb_files_a_run_leaves_behind",
            "the sqlite3 command is not installed (ci/test installs it)",
        );
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    let idbs = run_out(dir.path(), None);
    for db in ["idb_a", "idb_b"] {
        let file = idbs.join(format!("{db}.sqlite"));
        let o = Command::new("sqlite3")
            .arg("-readonly")
            .arg(&file)
            .arg("PRAGMA integrity_check; SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name;")
            .output()
            .expect("sqlite3 runs");
        let said = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{said}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let mut want: Vec<&str> = idb::TABLES.iter().map(|t| t.name).collect();
        want.sort_unstable();
        let got: Vec<&str> = said.lines().collect();
        assert_eq!(got.first(), Some(&"ok"), "{said}");
        assert_eq!(got.get(1..), Some(&want[..]), "{said}");
    }
}

/// Every file under `dir`, read as text.
fn texts(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("a folder").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(texts(&p));
        } else {
            let bytes = std::fs::read(&p).expect("readable");
            out.push((p, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    out
}

#[test]
fn a_run_on_postgres_keeps_its_schema_under_out_and_shows_no_password() {
    let Some(url) = server("a_run_on_postgres_keeps_its_schema_under_out_and_shows_no_password")
    else {
        return;
    };
    // A password in the URL (the test server trusts loopback and ignores it).
    let with_password = url.secret().replacen("://hapair@", "://hapair:hunter2@", 1);
    let url = DbUrl::parse(&with_password).expect("a url");
    assert!(
        url.secret().contains("hunter2"),
        "HAPAIR_PG_URL names the user hapair"
    );
    let dir = tempfile::tempdir().expect("a temporary folder");
    let idbs = run_out(dir.path(), Some(&url));
    for (path, text) in texts(&dir.path().join("out")) {
        assert!(
            !text.contains("hunter2"),
            "{} shows the password",
            path.display()
        );
    }
    // `--out` keeps the schema: the note says which, and the password is nowhere.
    let note = std::fs::read_to_string(idbs.join("idb_a.postgresql")).expect("a note");
    let schema = note
        .lines()
        .find_map(|l| l.strip_prefix("schema = \""))
        .and_then(|s| s.strip_suffix('"'))
        .expect("a schema line");
    assert!(has_schema(&url, schema), "{note}");
    assert!(
        idbs.join("idb_b.sqlite").exists(),
        "idb_b has no url: a SQLite file"
    );
    let mut c = postgres::Client::connect(url.secret(), postgres::NoTls).expect("connects");
    c.batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .expect("dropped");
}
