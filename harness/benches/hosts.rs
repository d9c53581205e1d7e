//! Cost of the simulation as hosts are added: the reference T-Server pair
//! (`scenarios/topologies/tserver-pair.toml`) with N desktops, each on a host of its own with one
//! client application and one connection to the pair, no traffic, through one failover (crash of
//! `ts_primary` at 10 s, run to 30 s of virtual time). Sites have hundreds of desktops; the
//! simulated network's cost must grow with N, not with the N² host pairs.
//!
//! The topology is generated (`desktops(n)`), its material made once per N, outside the timing.
//! Each run is one `hapair::sim::run_counted`, verified: the pair synchronised, `ts_backup`
//! promoted after the crash, and every desktop holding a TLS session to `ts_backup` at the end,
//! with no failed handshake. The table gives the median wall time over the runs of each N, steps, and
//! the ratio of each row's time to the previous one against the ratio of N.
//!
//! `cargo bench --bench hosts` (or `ci/bench`): N = 50, 100, 200, 500, 1000, 3 runs each
//! (`HOSTS_N=50,100`, `HOSTS_RUNS=5` to vary). Under `cargo test` (no `--bench`) one run of
//! N = 5 and 20, as a smoke test.

use std::fmt::Write as _;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use hapair::diag::Source;
use hapair::pki::paths::for_topology;
use hapair::sim::{Action, Plan, Step};
use hapair::topology;
use hapair::trace::{Kind, Trace};
use hapair::wire::Role;
use time::OffsetDateTime;
use time::macros::datetime;

/// The virtual instant certificates are generated and judged at.
const CLOCK: OffsetDateTime = datetime!(2026-06-01 08:00:00 UTC);
/// The primary's process dies.
const CRASH_AT: Duration = Duration::from_secs(10);
/// End of the run, in virtual time.
const END: Duration = Duration::from_secs(30);

/// The reference pair with its one desktop replaced by `n` desktops `desk_1`…, each on its own
/// host `desk-i.lab.example` with its own certificate, each with one connection to the pair.
fn desktops(n: usize) -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/topologies/tserver-pair.toml");
    let reference =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // Everything but the reference desktop: its certificate, host, application and connection.
    let servers = reference
        .split("[app.desk]")
        .next()
        .unwrap_or_default()
        .replace(
            "[pki.cert.desk-1]\nissuer = \"lab-ca\"\nhosts = [\"desk-1.lab.example\"]\n",
            "",
        )
        .replace("[host.desk-1]\nname = \"desk-1.lab.example\"\n", "");
    let mut text = servers;
    for i in 1..=n {
        let _ = write!(
            text,
            r#"
[pki.cert.desk-{i}]
issuer = "lab-ca"
hosts = ["desk-{i}.lab.example"]

[host.desk-{i}]
name = "desk-{i}.lab.example"

[app.desk_{i}]
type = "client"
host = "desk-{i}"
security = {{ certificate = "desk-{i}", trusted-ca = "lab-ca" }}

[[connection]]
from = "desk_{i}"
to = "ts_primary"
port = "secure"
addp = {{ local = "10s", remote = "10s" }}
security = {{ tls-target-name-check = "host" }}
"#
        );
    }
    text
}

/// Checks that the run failed over and every desktop followed.
fn verify(n: usize, trace: &Trace) -> Result<(), String> {
    let crash = u64::try_from(CRASH_AT.as_millis()).unwrap_or(u64::MAX);
    if let Some(e) = trace
        .events
        .iter()
        .find(|e| matches!(e.kind, Kind::HandshakeFailed { .. }))
    {
        return Err(format!(
            "a handshake failed at {} ms on {}",
            e.at_ms, e.node
        ));
    }
    let synced = trace.events.iter().any(|e| {
        e.at_ms < crash
            && matches!(&e.kind, Kind::HaSynced { primary, .. } if primary == "ts_primary")
    });
    if !synced {
        return Err("the pair never synchronised before the crash".into());
    }
    let promoted = trace.events.iter().any(|e| {
        e.at_ms >= crash
            && e.node == "ts_backup"
            && matches!(
                e.kind,
                Kind::RoleChanged {
                    to: Role::Primary,
                    ..
                }
            )
    });
    if !promoted {
        return Err("ts_backup was not promoted after the crash".into());
    }
    // Desktops hold a session to both instances; after the crash each must still hold one to
    // `ts_backup`, the new primary (its last session event with it is `Connected`).
    let mut served = vec![false; n];
    for e in &trace.events {
        let Some(f) = e
            .node
            .strip_prefix("desk_")
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| served.get_mut(i.wrapping_sub(1)))
        else {
            continue;
        };
        match &e.kind {
            Kind::Connected {
                peer, tls: true, ..
            } if peer == "ts_backup" => *f = true,
            Kind::Disconnected { peer, .. } if peer == "ts_backup" => *f = false,
            _ => {}
        }
    }
    let missing = served.iter().filter(|f| !**f).count();
    if missing > 0 {
        return Err(format!(
            "{missing} of {n} desktops hold no TLS session to ts_backup (the new primary) at the end"
        ));
    }
    Ok(())
}

fn counts(benching: bool) -> Vec<usize> {
    std::env::var("HOSTS_N").ok().map_or_else(
        || {
            if benching {
                vec![50, 100, 200, 500, 1000]
            } else {
                vec![5, 20]
            }
        },
        |s| {
            s.split(',')
                .map(|x| {
                    x.trim()
                        .parse()
                        .unwrap_or_else(|e| panic!("HOSTS_N: `{x}`: {e}"))
                })
                .collect()
        },
    )
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let runs: usize = std::env::var("HOSTS_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benching { 3 } else { 1 });
    println!(
        "reference pair with N desktops on their own hosts, one connection each, no traffic; crash of ts_primary at {}s, end {}s; {runs} run(s) per N (release build: {})",
        CRASH_AT.as_secs(),
        END.as_secs(),
        !cfg!(debug_assertions)
    );
    println!(
        "{:>6} {:>6} {:>8} {:>11} {:>11} {:>11} {:>9} {:>9}",
        "N", "hosts", "steps", "median", "min", "max", "x time", "x N"
    );
    let mut previous: Option<(usize, Duration)> = None;
    for n in counts(benching) {
        let text = desktops(n);
        let t = Rc::new(
            topology::parse(Source::new("hosts.toml", &text))
                .unwrap_or_else(|e| panic!("N = {n}: {:?}", e.problems)),
        );
        let material = for_topology(&t, CLOCK).expect("the PKI generates");
        let plan = |seed: u64| {
            let mut p = Plan::new(Rc::clone(&t), material.clone(), CLOCK, seed, END);
            p.steps = vec![Step {
                at: CRASH_AT,
                action: Action::Crash("ts_primary".into()),
            }];
            p
        };
        let mut walls = Vec::with_capacity(runs);
        let mut steps = 0;
        for seed in 1..=runs as u64 {
            let p = plan(seed);
            let start = Instant::now();
            let (trace, stats) =
                hapair::sim::run_counted(p).unwrap_or_else(|e| panic!("N = {n}, seed {seed}: {e}"));
            walls.push(start.elapsed());
            steps = stats.steps;
            if let Err(why) = verify(n, &trace) {
                panic!("N = {n}, seed {seed}: {why}");
            }
        }
        walls.sort();
        let median = walls[walls.len() / 2];
        let (xt, xn) = previous.map_or((String::new(), String::new()), |(pn, pw)| {
            (
                format!("{:.2}x", median.as_secs_f64() / pw.as_secs_f64()),
                format!("{:.2}x", n as f64 / pn as f64),
            )
        });
        println!(
            "{:>6} {:>6} {:>8} {:>9.3} s {:>9.3} s {:>9.3} s {:>9} {:>9}",
            n,
            t.hosts.len() + 1,
            steps,
            median.as_secs_f64(),
            walls[0].as_secs_f64(),
            walls[walls.len() - 1].as_secs_f64(),
            xt,
            xn
        );
        previous = Some((n, median));
    }
    if !benching {
        println!("smoke run (cargo test): not a measurement");
    }
}
