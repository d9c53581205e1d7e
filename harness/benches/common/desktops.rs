//! The reference T-Server pair (`scenarios/topologies/tserver-pair.toml`) with N desktops, each
//! on a host of its own with one client application and one connection to the pair, through
//! one failover (crash of `ts_primary`): the topology generator, the plan and the check that
//! every desktop followed. Shared by `benches/hosts.rs` and `tests/hosts.rs` (`#[path]`).

use std::fmt::Write as _;
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use hapair::diag::Source;
use hapair::fault::Fault;
use hapair::pki::paths::for_topology;
use hapair::sim::{Plan, Step};
use hapair::topology::Role;
use hapair::topology::{self, Topology};
use hapair::trace::{Kind, Trace};
use time::OffsetDateTime;
use time::macros::datetime;

/// The virtual instant certificates are generated and judged at.
pub const CLOCK: OffsetDateTime = datetime!(2026-06-01 08:00:00 UTC);
/// The primary's process dies.
pub const CRASH_AT: Duration = Duration::from_secs(10);
/// End of the run, in virtual time.
pub const END: Duration = Duration::from_secs(30);

/// The reference pair with its one desktop replaced by `n` desktops `desk_1`…, each on its own
/// host `desk-i.lab.example` with its own certificate, each with one connection to the pair.
pub fn desktops(n: usize) -> String {
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
pub fn verify(n: usize, trace: &Trace) -> Result<(), String> {
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

/// The generated topology of `n` desktops, parsed, and its material.
pub fn world(n: usize) -> (Rc<Topology>, hapair::pki::Material) {
    let text = desktops(n);
    let t = Rc::new(
        topology::parse(Source::new("hosts.toml", &text))
            .unwrap_or_else(|e| panic!("N = {n}: {:?}", e.problems)),
    );
    let material = for_topology(&t, CLOCK).expect("the PKI generates");
    (t, material)
}

/// The failover plan: crash of `ts_primary` at `CRASH_AT`, run to `END`.
pub fn plan(t: &Rc<Topology>, material: &hapair::pki::Material, seed: u64) -> Plan {
    let mut p = Plan::new(Rc::clone(t), material.clone(), CLOCK, seed, END);
    p.steps = vec![Step::new(
        CRASH_AT,
        Fault::Crash {
            app: "ts_primary".into(),
        },
    )];
    p
}
