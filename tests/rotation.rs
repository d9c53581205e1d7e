//! The certificate life cycle in the simulated pair, with real rustls handshakes: a renewal by
//! the same CA is accepted at the next handshake, a certificate of a CA nobody trusts is not
//! (sessions made before live on), and a trust store changed at run time decides which CAs
//! verify from then on (a CA rollover in the right and the wrong order).

use std::rc::Rc;
use std::time::Duration;

use hapair::diag::Source;
use hapair::fault::{Fault, Scope};
use hapair::pki::{LeafMaterial, Material, Reissue};
use hapair::sim::{Plan, Step};
use hapair::tls::FailureClass;
use hapair::topology::pki::Profile;
use hapair::topology::{self, Topology};
use hapair::trace::{Event, Kind, Trace};
use time::OffsetDateTime;

const CLOCK: OffsetDateTime = time::macros::datetime!(2026-06-01 08:00 UTC);
const SEEDS: [u64; 4] = [1, 2, 3, 17];

/// The reference pair, plus a second CA that no trust store holds.
fn text() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/topologies/tserver-pair.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    format!("{text}\n[pki.ca.new-ca]\nsubject = \"CN=New Lab CA\"\n")
}

fn parse(text: &str) -> Topology {
    topology::parse(Source::new("case.toml", text)).unwrap_or_else(|e| panic!("{:?}", e.problems))
}

fn material(t: &Topology) -> Material {
    hapair::pki::paths::for_topology(t, CLOCK).expect("material")
}

fn reissued(
    t: &Topology,
    m: &Material,
    issuer: Option<&str>,
    profile: Option<Profile>,
) -> Box<LeafMaterial> {
    let what = Reissue {
        cert: "ts-b".into(),
        issuer: issuer.map(str::to_string),
        profile,
    };
    Box::new(hapair::pki::reissue(&t.pki, m, &what, CLOCK).expect("re-issues"))
}

fn step(at: u64, fault: Fault) -> Step {
    Step::new(Duration::from_secs(at), fault)
}

/// ts-b is replaced by `leaf` at `at` s.
fn rotation(at: u64, leaf: &LeafMaterial) -> Step {
    let fault = Fault::Rotate {
        cert: "ts-b".into(),
        issuer: None,
        profile: None,
    };
    Step {
        reissued: Some(Box::new(leaf.clone())),
        ..step(at, fault)
    }
}

/// Runs the reference pair for 40 s: the `before` steps, then ts_primary crashes at 10 s and
/// restarts at 20 s, so that it dials the new primary (ts_backup, certificate ts-b) afresh.
fn failover(seed: u64, m: Material, before: Vec<Step>) -> Trace {
    let text = text();
    let mut plan = Plan::new(
        Rc::new(parse(&text)),
        m,
        CLOCK,
        seed,
        Duration::from_secs(40),
    );
    plan.steps = before;
    plan.steps.push(step(
        10,
        Fault::Crash {
            app: "ts_primary".into(),
        },
    ));
    plan.steps.push(step(
        20,
        Fault::Restart {
            app: "ts_primary".into(),
        },
    ));
    hapair::sim::run(plan).expect("the simulation runs")
}

fn find(trace: &Trace, after_ms: u64, f: impl Fn(&Event) -> bool) -> Option<&Event> {
    trace.events.iter().find(|e| e.at_ms >= after_ms && f(e))
}

/// What ts_primary's first handshake to ts_backup after the restart gave: `Ok` or the class.
fn rejoin(trace: &Trace) -> Result<(), FailureClass> {
    let e = find(trace, 20_000, |e| {
        e.node == "ts_primary"
            && matches!(&e.kind, Kind::HandshakeOk { peer, .. } | Kind::HandshakeFailed { peer, .. } if peer == "ts_backup")
    })
    .expect("ts_primary dials ts_backup after its restart");
    match &e.kind {
        Kind::HandshakeFailed { class, .. } => Err(*class),
        _ => Ok(()),
    }
}

#[test]
fn a_renewal_by_the_same_ca_is_accepted_at_the_next_handshake() {
    let t = parse(&text());
    let m = material(&t);
    let renewed = reissued(&t, &m, None, None);
    assert_ne!(renewed.cert, m.certs["ts-b"].cert, "a new certificate");
    for seed in SEEDS {
        let trace = failover(seed, m.clone(), vec![rotation(5, &renewed)]);
        assert_eq!(rejoin(&trace), Ok(()), "seed {seed}");
        let refused = find(&trace, 0, |e| {
            matches!(e.kind, Kind::HandshakeFailed { .. })
        });
        assert!(refused.is_none(), "seed {seed}: {refused:?}");
    }
}

#[test]
fn rotating_to_a_certificate_of_an_unknown_ca_breaks_new_handshakes_only() {
    let t = parse(&text());
    let m = material(&t);
    for (issuer, profile) in [(Some("new-ca"), None), (None, Some(Profile::OtherCa))] {
        let rotated = reissued(&t, &m, issuer, profile);
        for seed in SEEDS {
            let trace = failover(seed, m.clone(), vec![rotation(5, &rotated)]);
            // Sessions made before the rotation live on: the desktop's session to the backup.
            assert!(
                find(&trace, 10_000, |e| e.node == "desk"
                    && matches!(&e.kind, Kind::Disconnected { peer, .. } if peer == "ts_backup"))
                .is_none(),
                "seed {seed}"
            );
            assert_eq!(
                rejoin(&trace),
                Err(FailureClass::UnknownCa),
                "seed {seed} {issuer:?}"
            );
        }
    }
}

#[test]
fn a_trust_store_changed_at_run_time_decides_which_ca_verifies() {
    let t = parse(&text());
    let m = material(&t);
    let by_new = reissued(&t, &m, Some("new-ca"), None);
    let trust = |at: u64, cas: &[&str]| {
        let scope = Scope::App("ts_primary".into());
        let cas = cas.iter().map(|c| (*c).to_string()).collect();
        step(at, Fault::Trust { scope, cas })
    };
    let rotate = || rotation(5, &by_new);
    // (name, steps before the failover, what the rejoin gives)
    let case = |i: usize| -> (&str, Vec<Step>, Result<(), FailureClass>) {
        match i {
            0 => (
                "both CAs trusted, the certificate moved to the new CA",
                vec![trust(2, &["lab-ca", "new-ca"]), rotate()],
                Ok(()),
            ),
            1 => (
                "then the old CA removed",
                vec![
                    trust(2, &["lab-ca", "new-ca"]),
                    rotate(),
                    trust(8, &["new-ca"]),
                ],
                Ok(()),
            ),
            2 => (
                "the old CA removed before the certificate moved",
                vec![trust(2, &["new-ca"])],
                Err(FailureClass::UnknownCa),
            ),
            _ => (
                "the certificate moved, the new CA never trusted",
                vec![rotate()],
                Err(FailureClass::UnknownCa),
            ),
        }
    };
    for i in 0..4 {
        for seed in SEEDS {
            let (name, steps, want) = case(i);
            let trace = failover(seed, m.clone(), steps);
            assert_eq!(rejoin(&trace), want, "{name}, seed {seed}");
            let change = find(
                &trace,
                0,
                |e| matches!(&e.kind, Kind::Fault { fault, .. } if fault.as_str() == "trust"),
            );
            assert_eq!(
                change.is_some(),
                i != 3,
                "{name}: the change is in the trace"
            );
        }
    }
}
