//! Run-time resource bounds, end to end in the simulator: a listener holds at most
//! `Plan::sessions_per_listener` sessions and says so in the trace when it closes one more.

use std::collections::BTreeSet;
use std::rc::Rc;
use std::time::Duration;

use hapair::diag::Source;
use hapair::sim::Plan;
use hapair::topology::{self, Topology};
use hapair::trace::{Event, Kind};
use time::OffsetDateTime;

const CLOCK: OffsetDateTime = time::macros::datetime!(2026-06-01 08:00 UTC);

fn parse(text: &str) -> Topology {
    topology::parse(Source::new("case.toml", text)).unwrap_or_else(|e| panic!("{:?}", e.problems))
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// One server port and three desktops dialling it, each from its own host.
const CROWD: &str = r#"
name = "crowd"

[host.srv]
name = "srv.lab.example"

[app.ts]
type = "tserver"
host = "srv"

[app.ts.port.default]
number = 3000

[host.d1]
name = "d1.lab.example"

[host.d2]
name = "d2.lab.example"

[host.d3]
name = "d3.lab.example"

[app.desk1]
type = "client"
host = "d1"

[app.desk2]
type = "client"
host = "d2"

[app.desk3]
type = "client"
host = "d3"

[[connection]]
from = "desk1"
to = "ts"
port = "default"

[[connection]]
from = "desk2"
to = "ts"
port = "default"

[[connection]]
from = "desk3"
to = "ts"
port = "default"
"#;

/// The crowd run for 20 s with at most `limit` sessions per listener: the client sessions the
/// server held at most at once, the clients it ever held, and its `session-limit` events.
fn crowd(seed: u64, limit: Option<usize>) -> (usize, BTreeSet<String>, Vec<Event>) {
    let t = parse(CROWD);
    let m = hapair::pki::paths::for_topology(&t, CLOCK).expect("material");
    let mut plan = Plan::new(Rc::new(t), m, CLOCK, seed, secs(20));
    if let Some(limit) = limit {
        plan.sessions_per_listener = limit;
    }
    let trace = hapair::sim::run(plan).expect("the simulation runs");
    let (mut open, mut most, mut peers) = (0_usize, 0_usize, BTreeSet::new());
    for e in trace.events.iter().filter(|e| e.node == "ts") {
        match &e.kind {
            Kind::Connected { peer, .. } => {
                open += 1;
                most = most.max(open);
                peers.insert(peer.clone());
            }
            Kind::Disconnected { .. } => open -= 1,
            _ => {}
        }
    }
    let refused = trace
        .events
        .into_iter()
        .filter(|e| matches!(e.kind, Kind::SessionLimit { .. }))
        .collect();
    (most, peers, refused)
}

#[test]
fn a_listener_closes_connections_past_its_session_limit_and_says_so() {
    for seed in [1, 2] {
        let (most, peers, refused) = crowd(seed, None);
        assert_eq!(
            (most, peers.len()),
            (3, 3),
            "seed {seed}: all three connect"
        );
        assert!(refused.is_empty(), "seed {seed}: {refused:?}");

        let (most, peers, refused) = crowd(seed, Some(2));
        assert_eq!(
            (most, peers.len()),
            (2, 2),
            "seed {seed}: two of three connect"
        );
        let Some(first) = refused.first() else {
            panic!("seed {seed}: no session-limit event");
        };
        assert_eq!(first.node, "ts");
        let Kind::SessionLimit {
            port,
            limit,
            reason,
            ..
        } = &first.kind
        else {
            unreachable!()
        };
        assert_eq!((port.as_str(), *limit), ("default", 2));
        assert!(
            reason.contains("already holds 2 open sessions") && reason.contains("closed at once"),
            "{reason}"
        );
    }
}
