//! The pair simulated end to end: topologies come alive in turmoil, every connection a real
//! rustls handshake with the certificates step 2 resolved, faults applied at virtual times,
//! and what must hold read off the trace. Each behaviour is run under several seeds.

use std::rc::Rc;
use std::time::Duration;

use hapair::check::{Timeline, lost_acknowledged, primaries_windows};
use hapair::diag::Source;
use hapair::fault::Fault;
use hapair::sim::{Plan, Step};
use hapair::tls::FailureClass;
use hapair::topology::{self, Topology};
use hapair::topology::{Purpose, Role};
use hapair::trace::{Event, Kind, SwitchoverReason, Trace};
use time::OffsetDateTime;

const CLOCK: OffsetDateTime = time::macros::datetime!(2026-06-01 08:00 UTC);
const SEEDS: [u64; 4] = [1, 2, 3, 17];

fn reference(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/topologies")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse(text: &str) -> Topology {
    topology::parse(Source::new("case.toml", text)).unwrap_or_else(|e| panic!("{:?}", e.problems))
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn run(text: &str, seed: u64, duration: u64, steps: Vec<(u64, Fault)>) -> (Topology, Trace) {
    let t = parse(text);
    let m = hapair::pki::paths::for_topology(&t, CLOCK).expect("material");
    let mut plan = Plan::new(Rc::new(parse(text)), m, CLOCK, seed, secs(duration));
    plan.steps = steps
        .into_iter()
        .map(|(at, action)| Step::new(secs(at), action))
        .collect();
    (t, hapair::sim::run(plan).expect("the simulation runs"))
}

fn find(trace: &Trace, after_ms: u64, f: impl Fn(&Event) -> bool) -> Option<&Event> {
    trace.events.iter().find(|e| e.at_ms >= after_ms && f(e))
}

fn crash_restart(seed: u64, text: &str) -> (Topology, Trace) {
    run(
        text,
        seed,
        40,
        vec![
            (
                0,
                Fault::Traffic {
                    from: "desk".into(),
                    rate: 20.0,
                },
            ),
            (
                10,
                Fault::Crash {
                    app: "ts_primary".into(),
                },
            ),
            (
                25,
                Fault::Restart {
                    app: "ts_primary".into(),
                },
            ),
        ],
    )
}

#[test]
fn tserver_failover_over_the_secured_ha_sync_port() {
    for seed in SEEDS {
        let (t, trace) = crash_restart(seed, &reference("tserver-pair.toml"));
        let roles = Timeline::of(&trace);
        assert_eq!(
            roles.at("ts_primary", 9_000),
            Some(Role::Primary),
            "seed {seed}"
        );
        // The LCA sees the process die at once: promotion well inside a second.
        let promoted = roles
            .first("ts_backup", Role::Primary, 10_000)
            .expect("backup promoted");
        assert!(promoted < 11_000, "seed {seed}: promoted at {promoted} ms");
        // The desktop holds a session to the backup too, checked against the backup's name.
        assert!(find(&trace, 0, |e| e.node == "desk" && matches!(&e.kind, Kind::HandshakeOk { peer, peer_subject, .. } if peer == "ts_backup" && peer_subject.as_deref() == Some("CN=ts-b.lab.example"))).is_some());
        let served = find(
            &trace,
            10_000,
            |e| matches!(&e.kind, Kind::Acknowledged { by, .. } if by == "ts_backup"),
        )
        .expect("the backup serves the desktop");
        assert!(
            served.at_ms < 12_000,
            "seed {seed}: first ack from the backup at {}",
            served.at_ms
        );
        // The former primary comes back as backup and dials the new primary's HA-sync port over TLS.
        assert_eq!(
            roles.at("ts_primary", 39_000),
            Some(Role::Backup),
            "seed {seed}"
        );
        let dial = find(&trace, 25_000, |e| {
            e.node == "ts_primary" && matches!(e.kind, Kind::ConnectAttempt { .. })
        })
        .expect("dials");
        assert!(
            matches!(&dial.kind, Kind::ConnectAttempt { to, port, tls: true } if to == "ts_backup" && port == "ha"),
            "{dial:?}"
        );
        let synced = find(&trace, 25_000, |e| e.node == "ts_primary" && matches!(&e.kind, Kind::HaSynced { primary, port, tls: true, .. } if primary == "ts_backup" && port == "ha")).expect("rejoins over TLS");
        assert!(
            synced.at_ms < 30_000,
            "seed {seed}: rejoined at {}",
            synced.at_ms
        );
        assert!(find(&trace, 25_000, |e| e.node == "ts_primary" && matches!(&e.kind, Kind::HandshakeOk { peer, version, .. } if peer == "ts_backup" && version == "1.3")).is_some());
        // Hot standby: nothing acknowledged is lost, and traffic really flowed.
        let acks = trace
            .events
            .iter()
            .filter(|e| matches!(e.kind, Kind::Acknowledged { .. }))
            .count();
        assert!(acks > 700, "seed {seed}: only {acks} acknowledgements");
        assert_eq!(
            lost_acknowledged(&t, &trace)
                .get("ts_primary")
                .map(Vec::len),
            Some(0),
            "seed {seed}"
        );
        assert!(
            primaries_windows(&trace, "ts_primary", "ts_backup").is_empty(),
            "seed {seed}"
        );
    }
}

#[test]
fn without_an_ha_sync_port_the_former_primary_reaches_default() {
    let text = reference("tserver-pair.toml").replace("ha-sync = true\n", "");
    for seed in SEEDS {
        let (_, trace) = crash_restart(seed, &text);
        let synced = find(&trace, 25_000, |e| {
            e.node == "ts_primary" && matches!(e.kind, Kind::HaSynced { .. })
        })
        .expect("rejoins");
        assert!(
            matches!(&synced.kind, Kind::HaSynced { port, tls: false, .. } if port == "default"),
            "seed {seed}: {synced:?}"
        );
    }
}

#[test]
fn power_off_is_detected_through_addp() {
    for seed in SEEDS {
        let (t, trace) = run(
            &reference("tserver-pair.toml"),
            seed,
            60,
            vec![
                (
                    0,
                    Fault::Traffic {
                        from: "desk".into(),
                        rate: 10.0,
                    },
                ),
                (
                    10,
                    Fault::PowerOff {
                        host: "ts-a".into(),
                    },
                ),
                (
                    35,
                    Fault::PowerOn {
                        host: "ts-a".into(),
                    },
                ),
            ],
        );
        let switch = find(
            &trace,
            10_000,
            |e| matches!(&e.kind, Kind::Switchover { promote, .. } if promote == "ts_backup"),
        )
        .expect("switchover");
        assert!(
            matches!(
                &switch.kind,
                Kind::Switchover {
                    reason: SwitchoverReason::PrimaryHostSilent,
                    ..
                }
            ),
            "{switch:?}"
        );
        // The host is silent: the SCS polls its LCA after 9 s without a message and gives up
        // when the poll goes unanswered for 9 s more: 9 to 18 s after the power-off.
        assert!(
            (19_000..28_500).contains(&switch.at_ms),
            "seed {seed}: switchover at {}",
            switch.at_ms
        );
        let roles = Timeline::of(&trace);
        assert_eq!(
            roles.at("ts_primary", 59_000),
            Some(Role::Backup),
            "seed {seed}"
        );
        assert!(
            find(&trace, 35_000, |e| e.node == "ts_primary"
                && matches!(e.kind, Kind::HaSynced { tls: true, .. }))
            .is_some()
        );
        assert_eq!(
            lost_acknowledged(&t, &trace)
                .get("ts_primary")
                .map(Vec::len),
            Some(0),
            "seed {seed}"
        );
    }
}

#[test]
fn a_port_level_certificate_on_the_ha_sync_port_is_refused_by_the_node() {
    let text = reference("tserver-pair.toml").replace(
        "[app.ts_primary.port.ha]\nnumber = 3002\nmode = \"secured\"\nha-sync = true",
        "[app.ts_primary.port.ha]\nnumber = 3002\nmode = \"secured\"\nha-sync = true\nsecurity = { certificate = \"ts-a\" }",
    );
    let (_, trace) = run(&text, 1, 10, vec![]);
    let rejected = find(&trace, 0, |e| {
        e.node == "ts_primary" && matches!(e.kind, Kind::ConfigRejected { .. })
    })
    .expect("rejected");
    assert!(
        matches!(&rejected.kind, Kind::ConfigRejected { rule, .. } if rule == "HA-SYNC-PORT-CERT")
    );
    assert!(find(&trace, 0, |e| matches!(e.kind, Kind::HaSynced { .. })).is_none());
}

#[test]
fn a_backup_carrying_the_primary_copied_certificate_fails_the_name_check() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios/topologies/bad/ha-cert-backup-diffhost.toml"),
    )
    .expect("bad topology");
    for seed in SEEDS {
        let (_, trace) = crash_restart(seed, &text);
        let failed = find(&trace, 0, |e| {
            e.node == "desk"
                && matches!(&e.kind, Kind::HandshakeFailed { peer, .. } if peer == "ts_backup")
        })
        .expect("the desktop is refused by the backup");
        assert!(
            matches!(
                &failed.kind,
                Kind::HandshakeFailed {
                    class: FailureClass::NameMismatch,
                    ..
                }
            ),
            "{failed:?}"
        );
        assert!(
            find(
                &trace,
                10_000,
                |e| matches!(&e.kind, Kind::Acknowledged { by, .. } if by == "ts_backup")
            )
            .is_none(),
            "seed {seed}"
        );
    }
}

#[test]
fn configuration_server_pair_gets_a_secure_link_only_in_upgrade_mode() {
    let (_, trace) = run(&reference("cs-pair.toml"), 1, 10, vec![]);
    let synced = find(&trace, 0, |e| {
        e.node == "cs_backup" && matches!(e.kind, Kind::HaSynced { .. })
    })
    .expect("the CS pair syncs");
    assert!(
        matches!(&synced.kind, Kind::HaSynced { port, tls: true, .. } if port == "default"),
        "{synced:?}"
    );
    assert!(
        find(&trace, 0, |e| e.node == "gax"
            && matches!(
                &e.kind,
                Kind::Connected {
                    tls: true,
                    purpose: Purpose::Client,
                    ..
                }
            ))
        .is_some()
    );

    let secured = reference("cs-pair.toml").replace("mode = \"upgrade\"", "mode = \"secured\"");
    let (_, trace) = run(&secured, 1, 10, vec![]);
    let refused = find(&trace, 0, |e| {
        e.node == "cs_primary" && matches!(e.kind, Kind::HandshakeFailed { .. })
    })
    .expect("the HA link is refused");
    assert!(
        matches!(&refused.kind, Kind::HandshakeFailed { class: FailureClass::PlaintextOnSecured, peer, .. } if peer == "cs-b.lab.example"),
        "{refused:?}"
    );
    assert!(find(&trace, 0, |e| matches!(e.kind, Kind::HaSynced { .. })).is_none());
}

#[test]
fn a_certificate_expiring_at_a_virtual_instant_fails_handshakes_after_it() {
    let text = reference("tserver-pair.toml").replace(
        "[pki.cert.ts-b]\nissuer = \"lab-ca\"\nhosts = [\"ts-b.lab.example\"]",
        "[pki.cert.ts-b]\nissuer = \"lab-ca\"\nhosts = [\"ts-b.lab.example\"]\nexpires-at = \"+45s\"",
    );
    for seed in SEEDS {
        let (_, trace) = run(
            &text,
            seed,
            70,
            vec![
                (
                    50,
                    Fault::Crash {
                        app: "ts_primary".into(),
                    },
                ),
                (
                    55,
                    Fault::Restart {
                        app: "ts_primary".into(),
                    },
                ),
            ],
        );
        // Before expiry the backup's certificate is accepted (the desktop's session at start) …
        assert!(
            find(&trace, 0, |e| e.at_ms < 45_000
                && e.node == "desk"
                && matches!(&e.kind, Kind::HandshakeOk { peer, .. } if peer == "ts_backup"))
            .is_some()
        );
        // … after it, the restarted primary's dial to the new primary fails as expired.
        let failed = find(&trace, 55_000, |e| {
            e.node == "ts_primary" && matches!(e.kind, Kind::HandshakeFailed { .. })
        })
        .expect("refused after expiry");
        assert!(
            matches!(
                &failed.kind,
                Kind::HandshakeFailed {
                    class: FailureClass::Expired,
                    ..
                }
            ),
            "seed {seed}: {failed:?}"
        );
    }
}

#[test]
fn same_seed_same_trace_over_200_seeds() {
    let text = reference("tserver-pair.toml");
    let short = |seed| {
        run(
            &text,
            seed,
            8,
            vec![
                (
                    0,
                    Fault::Traffic {
                        from: "desk".into(),
                        rate: 20.0,
                    },
                ),
                (
                    3,
                    Fault::Crash {
                        app: "ts_primary".into(),
                    },
                ),
                (
                    5,
                    Fault::Restart {
                        app: "ts_primary".into(),
                    },
                ),
            ],
        )
        .1
    };
    let mut digests = std::collections::BTreeSet::new();
    for seed in 0..200 {
        let (a, b) = (short(seed), short(seed));
        assert_eq!(a.digest(), b.digest(), "seed {seed} is not deterministic");
        assert!(
            a.events.len() > 100,
            "seed {seed}: {} events",
            a.events.len()
        );
        digests.insert(a.digest());
    }
    assert!(
        digests.len() > 1,
        "the seed changes nothing: latency draws should differ"
    );
}

#[test]
fn a_partition_from_the_scs_leaves_two_primaries_until_it_heals() {
    let mgmt = "scs";
    let text = format!(
        "{}\n[host.{mgmt}]\nname = \"scs.lab.example\"\n\n[app.scs]\ntype = \"scs\"\nhost = \"{mgmt}\"\n",
        reference("tserver-pair.toml")
    );
    for seed in SEEDS {
        let (_, trace) = run(
            &text,
            seed,
            45,
            vec![
                (
                    0,
                    Fault::Traffic {
                        from: "desk".into(),
                        rate: 10.0,
                    },
                ),
                (
                    5,
                    Fault::Partition {
                        a: "ts-a".into(),
                        b: mgmt.into(),
                    },
                ),
                (
                    30,
                    Fault::Heal {
                        a: "ts-a".into(),
                        b: mgmt.into(),
                    },
                ),
            ],
        );
        let windows = primaries_windows(&trace, "ts_primary", "ts_backup");
        assert_eq!(windows.len(), 1, "seed {seed}: {windows:?}");
        let (start, end) = windows[0];
        // The SCS gives up on ts-a after its ADDP timeout and promotes the backup, while the
        // partitioned primary keeps serving; the heal lets the SCS demote it.
        // ADDP: a poll after 9 s of silence, 9 s more for its answer.
        assert!(
            (14_000..23_500).contains(&start),
            "seed {seed}: window opens at {start}"
        );
        assert!(
            (30_000..33_000).contains(&end),
            "seed {seed}: window closes at {end}"
        );
        assert_eq!(
            Timeline::of(&trace).at("ts_primary", 44_000),
            Some(Role::Backup),
            "seed {seed}"
        );
    }
}

#[test]
fn clock_skew_makes_a_host_judge_certificates_expired() {
    for seed in SEEDS {
        let (_, trace) = run(
            &reference("tserver-pair.toml"),
            seed,
            40,
            vec![
                (
                    5,
                    Fault::Skew {
                        host: "desk-1".into(),
                        seconds: 400 * 86_400,
                    },
                ),
                (
                    10,
                    Fault::Crash {
                        app: "ts_primary".into(),
                    },
                ),
                (
                    20,
                    Fault::Restart {
                        app: "ts_primary".into(),
                    },
                ),
            ],
        );
        // The desktop redials the restarted primary with its clock 400 days ahead.
        let failed = find(&trace, 20_000, |e| {
            e.node == "desk"
                && matches!(&e.kind, Kind::HandshakeFailed { peer, .. } if peer == "ts_primary")
        })
        .expect("refused");
        assert!(
            matches!(
                &failed.kind,
                Kind::HandshakeFailed {
                    class: FailureClass::Expired,
                    ..
                }
            ),
            "seed {seed}: {failed:?}"
        );
        // The servers' own clocks are right: their HA link is fine.
        assert!(
            find(&trace, 20_000, |e| e.node == "ts_primary"
                && matches!(e.kind, Kind::HaSynced { tls: true, .. }))
            .is_some()
        );
    }
}

#[test]
fn warm_standby_may_lose_unreplicated_events_and_the_trace_shows_which() {
    let warm = reference("tserver-pair.toml").replace(
        "redundancy = \"hot-standby\"",
        "redundancy = \"warm-standby\"",
    );
    let hot = reference("tserver-pair.toml");
    // A slow link between the servers: replication lags 400 ms behind the acknowledgements.
    let steps = || {
        vec![
            (
                0,
                Fault::Traffic {
                    from: "desk".into(),
                    rate: 50.0,
                },
            ),
            (
                1,
                Fault::Latency {
                    a: "ts-a".into(),
                    b: "ts-b".into(),
                    delay: Duration::from_millis(400),
                },
            ),
            (
                10,
                Fault::Crash {
                    app: "ts_primary".into(),
                },
            ),
        ]
    };
    for seed in SEEDS {
        let (t, trace) = run(&warm, seed, 15, steps());
        let lost = lost_acknowledged(&t, &trace)
            .remove("ts_primary")
            .unwrap_or_default();
        assert!(
            !lost.is_empty(),
            "seed {seed}: warm standby lost nothing despite the lag"
        );
        for id in &lost {
            let acked = find(&trace, 0, |e| matches!(&e.kind, Kind::Acknowledged { id: i, by } if i == id && by == "ts_primary")).expect("acknowledged");
            assert!(
                (9_000..10_001).contains(&acked.at_ms),
                "seed {seed}: lost {id} was acknowledged at {}",
                acked.at_ms
            );
        }
        let (t, trace) = run(&hot, seed, 15, steps());
        assert_eq!(
            lost_acknowledged(&t, &trace).remove("ts_primary"),
            Some(vec![]),
            "seed {seed}: hot standby lost events"
        );
    }
}

#[test]
fn held_messages_are_delivered_on_release_and_lossy_links_still_fail_over() {
    for seed in SEEDS {
        let (t, trace) = run(
            &reference("tserver-pair.toml"),
            seed,
            30,
            vec![
                (
                    0,
                    Fault::Traffic {
                        from: "desk".into(),
                        rate: 10.0,
                    },
                ),
                (
                    5,
                    Fault::Hold {
                        a: "desk-1".into(),
                        b: "ts-a".into(),
                    },
                ),
                (
                    7,
                    Fault::Release {
                        a: "desk-1".into(),
                        b: "ts-a".into(),
                    },
                ),
                (
                    12,
                    Fault::Crash {
                        app: "ts_primary".into(),
                    },
                ),
            ],
        );
        // Held, not dropped: every request sent during the hold is acknowledged after it.
        let during: Vec<_> = trace
            .events
            .iter()
            .filter(|e| {
                (5_000..7_000).contains(&e.at_ms)
                    && matches!(&e.kind, Kind::Acknowledged { by, .. } if by == "ts_primary")
            })
            .collect();
        assert!(
            during.is_empty(),
            "seed {seed}: acknowledgements crossed a held link"
        );
        assert!(
            find(&trace, 7_000, |e| e.at_ms < 7_200
                && matches!(&e.kind, Kind::Acknowledged { by, .. } if by == "ts_primary"))
            .is_some(),
            "seed {seed}"
        );
        assert_eq!(
            lost_acknowledged(&t, &trace).remove("ts_primary"),
            Some(vec![]),
            "seed {seed}"
        );
        assert!(
            find(
                &trace,
                12_000,
                |e| matches!(&e.kind, Kind::Switchover { promote, .. } if promote == "ts_backup")
            )
            .is_some()
        );
    }
}
