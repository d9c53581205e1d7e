//! The ICON HA set under call load: N calls on the reference ICON HA topology
//! (`scenarios/topologies/icon-ha.toml`: two ICONs on one T-Server pair, each into its own
//! SQLite IDB), through a T-Server failover (crash of `ts_primary` halfway through the calls).
//!
//! Each run is one `hapair::execute::execute`, in a child process of its own (this program,
//! run again with `ICON_BENCH_CHILD=N`) so that its peak memory (`VmHWM` in
//! `/proc/self/status`) is that run's alone. A run is verified: every expectation held, both
//! IDBs hold the same data rows, with every call (`G_CALL`) but those whose first event the crash
//! lost (`call-event-lost`). The table gives, per N, the medians over the runs of: the
//! wall time of the whole run (simulation, both ICONs' writes, reading the IDBs back, the
//! checks), the rows each IDB stored and those rows per second of that wall time (a floor for
//! the IDB: the simulation shares the time), the rows per second SQLite alone stores when the
//! same rows are written again in batches of 1,000 (the ICON's batch size) into a fresh IDB,
//! the events of the run's trace, and the peak memory; then the ratio of each row's N, time
//! and memory to the first row's.
//!
//! `cargo bench --bench icon` (or `ci/bench`): N = 2,500, 5,000 and 10,000, 3 runs each
//! (`ICON_N=2500,5000`, `ICON_RUNS=5` to vary). Under `cargo test` (no `--bench`) one run of
//! N = 100 and 200, as a smoke test.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use hapair::idb::{self, Row, schema};

/// Calls per second of virtual time.
const RATE: u64 = 100;
/// Rows per batch in the SQLite-only measure: the ICON's batch size.
const BATCH: usize = 1_000;

/// What one child run measured.
#[derive(Clone, Copy, Debug)]
struct Measure {
    wall: Duration,
    rows_a: usize,
    rows_b: usize,
    /// Rows per second SQLite alone stores (the same rows, batches of [`BATCH`]).
    store_rate: f64,
    /// Peak resident memory, KiB.
    hwm_kib: u64,
    /// Events in the run's trace (held in memory to the end, as the checks read it).
    events: usize,
    /// CPU time (user + system) of the child up to the end of the run.
    cpu: Duration,
    /// Bytes the two IDBs' contents take once read back (`Outcome::idbs`).
    read_back: usize,
}

fn counts(benching: bool) -> Vec<u64> {
    std::env::var("ICON_N").ok().map_or_else(
        || {
            if benching {
                vec![2_500, 5_000, 10_000]
            } else {
                vec![100, 200]
            }
        },
        |s| {
            s.split(',')
                .map(|x| {
                    x.trim()
                        .parse()
                        .unwrap_or_else(|e| panic!("ICON_N: `{x}`: {e}"))
                })
                .collect()
        },
    )
}

/// The scenario of `n` calls: from 2 s at [`RATE`], `ts_primary` crashed halfway, 20 s to
/// settle after the last call.
fn scenario(dir: &Path, n: u64) -> std::path::PathBuf {
    let topology =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/topologies/icon-ha.toml");
    let span = n.div_ceil(RATE);
    let text = format!(
        "name = \"icon-bench\"\ntopology = \"{}\"\nclock = 2026-06-01T08:00:00Z\nseed = 1\n\
         duration = \"{}s\"\n\
         [[step]]\nat = \"2s\"\ncalls = {{ source = \"ts_primary\", count = {n}, rate = \"{RATE}/s\", agents = 50, keys = 2 }}\n\
         [[step]]\nat = \"{}s\"\ncrash = \"ts_primary\"\nlabel = \"crash\"\n\
         [[expect]]\nrole = {{ app = \"ts_backup\", is = \"primary\" }}\nafter = \"crash\"\nwithin = \"3s\"\n",
        topology.display(),
        span + 22,
        2 + span / 2,
    );
    let path = dir.join(format!("icon-bench-{n}.toml"));
    std::fs::write(&path, text).expect("scenario written");
    path
}

/// Peak resident memory of this process, KiB.
fn vm_hwm() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time (user + system) of this process so far, from `/proc/self/stat` (clock ticks of
/// 10 ms).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// Bytes `c` takes in memory, roughly: each row's vector and its values, text included.
fn size_of_contents(c: &idb::Contents) -> usize {
    c.0.values()
        .flatten()
        .map(|row| {
            std::mem::size_of::<Vec<idb::Value>>()
                + row
                    .iter()
                    .map(|v| {
                        std::mem::size_of::<idb::Value>()
                            + match v {
                                idb::Value::Text(t) => t.capacity(),
                                _ => 0,
                            }
                    })
                    .sum::<usize>()
        })
        .sum()
}

/// The child: one run of `n` calls, its measures printed as one line.
fn child(n: u64) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let s = hapair::scenario::load(&scenario(dir.path(), n)).expect("the scenario loads");
    let start = Instant::now();
    let outcome = hapair::execute::execute(&s, 1).expect("the run");
    let wall = start.elapsed();
    let cpu = cpu_time();
    let hwm_kib = vm_hwm();
    let failed: Vec<String> = outcome
        .verdicts
        .iter()
        .filter(|v| !v.held)
        .map(|v| format!("{v:?}"))
        .collect();
    assert!(failed.is_empty(), "N = {n}: {failed:?}");
    let contents = |db: &str| {
        outcome.idbs[db]
            .as_ref()
            .unwrap_or_else(|e| panic!("N = {n}: {db}: {e}"))
    };
    let (a, b) = (contents("idb_a"), contents("idb_b"));
    // A call whose first event came while no T-Server could distribute it (the crash) has no
    // G_CALL row in either IDB; every other call is in both.
    let lost = outcome
        .trace
        .events
        .iter()
        .filter(|e| matches!(e.kind, hapair::trace::Kind::CallEventLost { .. }))
        .count() as u64;
    for (db, c) in [("idb_a", a), ("idb_b", b)] {
        let calls = c.rows("G_CALL").len() as u64;
        assert!(
            calls <= n && calls + lost >= n,
            "N = {n}: {db} holds {calls} calls, {lost} events were lost"
        );
    }
    for t in idb::TABLES.iter().filter(|t| t.compared) {
        assert!(
            a.rows(t.name) == b.rows(t.name),
            "N = {n}: the two IDBs differ in {}",
            t.name
        );
    }
    let store_rate = store_rate(dir.path(), a);
    println!(
        "{} {} {} {} {} {} {} {}",
        wall.as_nanos(),
        a.len(),
        b.len(),
        store_rate,
        hwm_kib,
        outcome.trace.events.len(),
        cpu.as_nanos(),
        size_of_contents(a) + size_of_contents(b)
    );
}

/// Rows per second a fresh SQLite IDB stores `contents` in batches of [`BATCH`].
fn store_rate(dir: &Path, contents: &idb::Contents) -> f64 {
    let rows: Vec<Row> = contents
        .0
        .iter()
        .flat_map(|(table, rows)| {
            let t = schema::table(table).expect("a table of the schema");
            rows.iter().map(move |values| Row {
                table: t,
                values: values.clone(),
            })
        })
        .collect();
    let mut db = idb::open_sqlite("again", &dir.join("again.sqlite")).expect("opened");
    db.reset().expect("reset");
    let start = Instant::now();
    for batch in rows.chunks(BATCH) {
        db.write(batch).expect("stored");
    }
    rows.len() as f64 / start.elapsed().as_secs_f64()
}

/// One run of `n` calls in a child process.
fn measure(n: u64) -> Measure {
    let exe = std::env::current_exe().expect("this program");
    let o = Command::new(exe)
        .env("ICON_BENCH_CHILD", n.to_string())
        .output()
        .expect("the child runs");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "N = {n}: {out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let f: Vec<&str> = out.split_whitespace().collect();
    let num = |i: usize| -> f64 { f[i].parse().unwrap_or_else(|e| panic!("`{out}`: {e}")) };
    Measure {
        wall: Duration::from_nanos(num(0) as u64),
        rows_a: num(1) as usize,
        rows_b: num(2) as usize,
        store_rate: num(3),
        hwm_kib: num(4) as u64,
        events: num(5) as usize,
        cpu: Duration::from_nanos(num(6) as u64),
        read_back: num(7) as usize,
    }
}

fn median<T: PartialOrd + Copy>(mut xs: Vec<T>) -> T {
    xs.sort_by(|a, b| a.partial_cmp(b).expect("comparable"));
    xs[xs.len() / 2]
}

fn main() {
    if let Ok(n) = std::env::var("ICON_BENCH_CHILD") {
        child(n.parse().expect("ICON_BENCH_CHILD is a number"));
        return;
    }
    let benching = std::env::args().any(|a| a == "--bench");
    let runs: usize = std::env::var("ICON_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benching { 3 } else { 1 });
    println!(
        "icon-ha: N calls at {RATE}/s, crash of ts_primary halfway, two ICONs into two SQLite IDBs; \
         {runs} run(s) per N, medians (release build: {})",
        !cfg!(debug_assertions)
    );
    println!(
        "{:>6} {:>9} {:>8} {:>8} {:>9} {:>11} {:>11} {:>8} {:>8} {:>9} {:>6} {:>6} {:>6} {:>6}",
        "N",
        "wall",
        "cpu",
        "rows/idb",
        "rows/s",
        "rows/cpu-s",
        "sqlite r/s",
        "events",
        "readback",
        "peak",
        "x N",
        "x wall",
        "x cpu",
        "x mem"
    );
    let mut first: Option<(u64, Duration, Duration, u64)> = None;
    for n in counts(benching) {
        let ms: Vec<Measure> = (0..runs).map(|_| measure(n)).collect();
        let wall = median(ms.iter().map(|m| m.wall).collect());
        let rows_a = median(ms.iter().map(|m| m.rows_a).collect());
        let rows_b = median(ms.iter().map(|m| m.rows_b).collect());
        let cpu = median(ms.iter().map(|m| m.cpu).collect());
        let store = median(ms.iter().map(|m| m.store_rate).collect());
        let hwm = median(ms.iter().map(|m| m.hwm_kib).collect());
        let events = median(ms.iter().map(|m| m.events).collect());
        let read_back = median(ms.iter().map(|m| m.read_back).collect());
        assert_eq!(rows_a, rows_b, "N = {n}: the two IDBs hold as many rows");
        let (n0, w0, c0, h0) = *first.get_or_insert((n, wall, cpu, hwm));
        println!(
            "{:>6} {:>7.3} s {:>6.2} s {:>8} {:>9.0} {:>11.0} {:>11.0} {:>8} {:>4} MiB {:>5} MiB {:>5.2}x {:>5.2}x {:>5.2}x {:>5.2}x",
            n,
            wall.as_secs_f64(),
            cpu.as_secs_f64(),
            rows_a,
            rows_a as f64 / wall.as_secs_f64(),
            rows_a as f64 / cpu.as_secs_f64(),
            store,
            events,
            read_back / (1024 * 1024),
            hwm / 1024,
            n as f64 / n0 as f64,
            wall.as_secs_f64() / w0.as_secs_f64(),
            cpu.as_secs_f64() / c0.as_secs_f64(),
            hwm as f64 / h0 as f64,
        );
    }
    if !benching {
        println!("smoke run (cargo test): not a measurement");
    }
}
