//! Interaction Concentrator writing its IDB (Step 9, part icon), run through the simulator on
//! the reference topology `scenarios/topologies/icon-ha.toml` with a `calls` step: both IDBs
//! get the rows the ICONs' roles select (read back from the real SQLite files); a crashed ICON
//! leaves a recorded gap in its session control that the other IDB covers; an IDB that refuses
//! writes for a while loses nothing; a T-Server failover shows as a switchover session; a DAP
//! pointed at the other ICON's database makes that database refuse the duplicate rows; a run
//! is the same for the same seed.

use std::collections::BTreeSet;
use std::path::Path;

use hapair::diag::Source;
use hapair::execute::{Outcome, execute};
use hapair::idb::{Contents, Value};
use hapair::scenario;
use hapair::topology;
use hapair::trace::Kind;

const SEEDS: [u64; 3] = [1, 2, 7];

/// The data tables an ICON with roles `gcc,gud` writes.
const DATA: [&str; 4] = ["G_CALL", "G_PARTY", "G_PARTY_HISTORY", "G_USERDATA_HISTORY"];

fn reference() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/topologies/icon-ha.toml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `steps` (TOML `[[step]]` tables) for `secs` on the reference topology, changed by
/// `edit`, with 30 calls from 5 s on.
fn run_with(seed: u64, secs: u64, steps: &str, edit: &dyn Fn(String) -> String) -> Outcome {
    let text = format!(
        "name = \"icon\"\nrehearses = \"an ICON HA set storing calls\"\n\
         topology = \"icon-ha.toml\"\nclock = \"2026-06-01T08:00:00Z\"\nseed = {seed}\n\
         duration = \"{secs}s\"\n\n[[step]]\nat = \"5s\"\n\
         calls = {{ source = \"ts_primary\", count = 30, rate = \"2/s\", agents = 4, keys = 2 }}\n\
         {steps}"
    );
    let topo = edit(reference());
    let s = scenario::parse(Source::new("icon.toml", text), &|_| {
        topology::parse(Source::new("icon-ha.toml", topo.clone())).map_err(Into::into)
    })
    .unwrap_or_else(|e| panic!("{e:?}"));
    execute(&s, seed).expect("the run completes")
}

fn run(seed: u64, secs: u64, steps: &str) -> Outcome {
    run_with(seed, secs, steps, &|t| t)
}

fn idb<'o>(o: &'o Outcome, db: &str) -> &'o Contents {
    match o.idbs.get(db) {
        Some(Ok(c)) => c,
        other => panic!("IDB {db}: {other:?}"),
    }
}

/// The `SEQ` of every data row of `c`'s data tables.
fn seqs(c: &Contents) -> BTreeSet<i64> {
    let mut out = BTreeSet::new();
    for table in DATA {
        let t = hapair::idb::schema::table(table).expect("a table");
        let at = t.columns.iter().position(|c| c.name == "SEQ").expect("SEQ");
        out.extend(c.rows(table).iter().filter_map(|r| match r.get(at) {
            Some(Value::Int(i)) => Some(*i),
            _ => None,
        }));
    }
    out
}

/// The sequence numbers of the call events of `roles` the data sources distributed.
fn distributed(o: &Outcome, roles: &[&str]) -> BTreeSet<i64> {
    o.trace
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            Kind::CallEvent { seq, cti } if roles.contains(&cti.role()) => i64::try_from(*seq).ok(),
            _ => None,
        })
        .collect()
}

/// One `G_DSS_GCC_PROVIDER` row: DS, DSCONN_TYPE, whether DSCONN_ETIME is set, FEVENT, LEVENT.
type Session = (String, i64, bool, Option<i64>, Option<i64>);

/// The `G_DSS_GCC_PROVIDER` rows of `c`.
fn sessions(c: &Contents) -> Vec<Session> {
    let int = |v: &Value| match v {
        Value::Int(i) => Some(*i),
        _ => None,
    };
    c.rows("G_DSS_GCC_PROVIDER")
        .iter()
        .map(|r| {
            let ds = match &r[2] {
                Value::Text(t) => t.clone(),
                v => panic!("DS is text, not {v:?}"),
            };
            (
                ds,
                int(&r[4]).unwrap_or(0),
                r[6] != Value::Null,
                int(&r[7]),
                int(&r[8]),
            )
        })
        .collect()
}

fn logged(o: &Outcome, node: &str, f: &dyn Fn(&Kind) -> bool) -> usize {
    o.trace
        .events
        .iter()
        .filter(|e| e.node == node && f(&e.kind))
        .count()
}

#[test]
fn both_idbs_get_the_rows_the_roles_select() {
    for seed in SEEDS {
        let o = run(seed, 40, "");
        let (a, b) = (idb(&o, "idb_a"), idb(&o, "idb_b"));
        for table in DATA {
            assert!(
                !a.rows(table).is_empty(),
                "seed {seed}: idb_a has no {table}"
            );
            assert_eq!(a.rows(table), b.rows(table), "seed {seed}: {table} differs");
        }
        assert_eq!(a.rows("G_CALL").len(), 30, "seed {seed}: every call");
        // gls is not a role of theirs; virtual queues are monitored by default.
        for table in [
            "G_LOGIN_SESSION",
            "G_AGENT_STATE_HISTORY",
            "G_DSS_GLS_PROVIDER",
        ] {
            assert!(a.rows(table).is_empty(), "seed {seed}: {table} is gls's");
        }
        // Every gcc and gud event is stored (virtual-queue events in G_VIRTUAL_QUEUE).
        let mut stored = seqs(a);
        let vq = hapair::idb::schema::table("G_VIRTUAL_QUEUE").expect("a table");
        stored.extend(a.rows(vq.name).iter().filter_map(|r| match r[0] {
            Value::Int(i) => Some(i),
            _ => None,
        }));
        assert_eq!(stored, distributed(&o, &["gcc", "gud"]), "seed {seed}");
        // One session each, a first connection to the primary, still open, covering them.
        let s = sessions(a);
        assert_eq!(s.len(), 1, "seed {seed}: {s:?}");
        assert_eq!((s[0].0.as_str(), s[0].1, s[0].2), ("ts_primary", 1, false));
        assert_eq!(s[0].4, stored.iter().next_back().copied());
        assert!(logged(&o, "icon_a", &|k| matches!(k, Kind::IdbWritten { .. })) > 1);
        assert_eq!(a.rows("G_SYNC_CONTROL").len(), 2, "gcc and gud");
    }
}

#[test]
fn roles_and_options_shape_each_idb() {
    // icon_b: gcc alone, no virtual queues; icon_a: attached data last values only.
    let edit = |t: String| {
        let b = t.rfind("role = \"gcc,gud\"").expect("icon_b's role");
        let mut t = t;
        t.replace_range(b..b + 16, "role = \"gcc\"");
        let a = "use-dss-monitor = \"true\"\nadata-userdata-history = \"all\"";
        t = t.replacen(
            a,
            "use-dss-monitor = \"true\"\nadata-userdata-history = \"last\"",
            1,
        );
        t + "\n[app.icon_b.options.hapair]\nicon-vq-monitoring = \"false\"\n"
    };
    // 18 s: the last calls are still up at the end.
    let o = run_with(1, 18, "", &edit);
    let (a, b) = (idb(&o, "idb_a"), idb(&o, "idb_b"));
    assert!(b.rows("G_USERDATA_HISTORY").is_empty());
    assert!(b.rows("G_DSS_GUD_PROVIDER").is_empty());
    assert!(b.rows("G_VIRTUAL_QUEUE").is_empty());
    assert!(!a.rows("G_VIRTUAL_QUEUE").is_empty());
    assert_eq!(a.rows("G_CALL"), b.rows("G_CALL"));
    // `last`: one row per key of each call that ended, none for the calls still up.
    let rows = a.rows("G_USERDATA_HISTORY");
    let keys: BTreeSet<(&Value, &Value)> = rows.iter().map(|r| (&r[1], &r[2])).collect();
    assert_eq!(keys.len(), rows.len(), "one value per key and call");
    let changes = distributed(&o, &["gud"]).len();
    assert!(
        !rows.is_empty() && rows.len() < changes,
        "{} of {changes}",
        rows.len()
    );
}

#[test]
fn a_crashed_icon_leaves_a_recorded_gap_the_other_idb_covers() {
    let steps = "[[step]]\nat = \"9s\"\ncrash = \"icon_a\"\n\n[[step]]\nat = \"13s\"\nrestart = \"icon_a\"\n";
    for seed in SEEDS {
        let o = run(seed, 40, steps);
        let (a, b) = (idb(&o, "idb_a"), idb(&o, "idb_b"));
        let s = sessions(a);
        assert_eq!(s.len(), 2, "seed {seed}: {s:?}");
        // The crashed session never closed; the restarted ICON's is a first connection.
        assert_eq!((s[0].1, s[0].2), (1, false), "seed {seed}");
        assert_eq!((s[1].1, s[1].2), (1, false), "seed {seed}");
        let (last, next) = (
            s[0].4.expect("events before"),
            s[1].3.expect("events after"),
        );
        assert!(next > last + 1, "seed {seed}: a gap from {last} to {next}");
        let (sa, sb) = (seqs(a), seqs(b));
        let missing: Vec<i64> = sb.difference(&sa).copied().collect();
        assert!(
            !missing.is_empty(),
            "seed {seed}: idb_a misses the crash's events"
        );
        assert!(
            missing.iter().all(|m| *m > last && *m < next),
            "seed {seed}: every miss is in the recorded gap {last}..{next}: {missing:?}"
        );
        assert!(sa.is_subset(&sb), "seed {seed}: idb_b covers all");
        let ids: BTreeSet<&Value> = a.rows("G_DSS_GCC_PROVIDER").iter().map(|r| &r[0]).collect();
        assert_eq!(ids.len(), 2, "seed {seed}: the restarted ICON numbers on");
    }
}

#[test]
fn an_idb_that_refuses_for_a_while_loses_nothing() {
    let steps = "[[step]]\nat = \"8s\"\nidb-refuse = \"idb_a\"\n\n[[step]]\nat = \"14s\"\nidb-accept = \"idb_a\"\n";
    for seed in SEEDS {
        let o = run(seed, 40, steps);
        let (a, b) = (idb(&o, "idb_a"), idb(&o, "idb_b"));
        for table in DATA {
            assert_eq!(a.rows(table), b.rows(table), "seed {seed}: {table}");
        }
        assert_eq!(sessions(a).len(), 1, "seed {seed}: no gap");
        let failed = logged(
            &o,
            "icon_a",
            &|k| matches!(k, Kind::IdbFailed { db, detail } if db == "idb_a" && detail.contains("readonly")),
        );
        // Refused at 8 s and retried every second until 14 s.
        assert!((5..=7).contains(&failed), "seed {seed}: {failed} refusals");
        assert_eq!(
            logged(&o, "icon_b", &|k| matches!(k, Kind::IdbFailed { .. })),
            0
        );
    }
}

#[test]
fn a_tserver_failover_is_a_switchover_session() {
    let o = run(3, 40, "[[step]]\nat = \"10s\"\ncrash = \"ts_primary\"\n");
    for db in ["idb_a", "idb_b"] {
        let s = sessions(idb(&o, db));
        let kinds: Vec<(&str, i64, bool)> = s.iter().map(|x| (x.0.as_str(), x.1, x.2)).collect();
        assert_eq!(
            kinds,
            [("ts_primary", 1, true), ("ts_backup", 5, false)],
            "{db}"
        );
    }
    assert_eq!(
        idb(&o, "idb_a").rows("G_CALL"),
        idb(&o, "idb_b").rows("G_CALL")
    );
}

#[test]
fn a_dap_pointed_at_the_other_idb_takes_effect_at_the_next_start() {
    let steps = "[[step]]\nat = \"6s\"\ndap-database = { dap = \"dap_b\", database = \"idb_a\" }\n\n\
                 [[step]]\nat = \"8s\"\ncrash = \"icon_b\"\n\n[[step]]\nat = \"9s\"\nrestart = \"icon_b\"\n";
    let o = run(1, 30, steps);
    // icon_b now writes idb_a too: whichever ICON writes an event's rows second is refused.
    let dup = |icon: &str| {
        logged(
            &o,
            icon,
            &|k| matches!(k, Kind::IdbFailed { db, detail } if db == "idb_a" && detail.contains("UNIQUE")),
        )
    };
    assert!(
        dup("icon_a") + dup("icon_b") > 0,
        "idb_a refuses the duplicates"
    );
    let wrote_a = o.trace.events.iter().any(|e| {
        e.node == "icon_b" && matches!(&e.kind, Kind::IdbWritten { db, .. } if db == "idb_a")
    });
    assert!(wrote_a, "after its restart icon_b writes idb_a");
    let late = o
        .trace
        .events
        .iter()
        .filter(|e| e.node == "icon_b" && e.at_ms > 9_000)
        .any(|e| matches!(&e.kind, Kind::IdbWritten { db, .. } if db == "idb_b"));
    assert!(!late, "after its restart icon_b no longer writes idb_b");
    assert!(
        !idb(&o, "idb_b").rows("G_CALL").is_empty(),
        "what it wrote before stays"
    );
}

#[test]
fn the_trace_is_the_same_for_the_same_seed() {
    let steps = "[[step]]\nat = \"8s\"\nidb-refuse = \"idb_b\"\n\n[[step]]\nat = \"10s\"\nidb-accept = \"idb_b\"\n\n\
                 [[step]]\nat = \"12s\"\ncrash = \"ts_primary\"\n";
    let one = run(5, 30, steps);
    let two = run(5, 30, steps);
    assert_eq!(one.trace.digest(), two.trace.digest());
    assert_eq!(one.idbs, two.idbs);
}
