//! The file form of faults: exact durations, round trips, and what it refuses.

use std::time::Duration;

use super::*;

#[test]
fn durations_are_written_to_the_nanosecond() {
    assert_eq!(duration_text(Duration::from_secs(30)), "30s");
    assert_eq!(duration_text(Duration::from_millis(1_500)), "1.5s");
    assert_eq!(duration_text(Duration::from_nanos(250_001)), "0.000250001s");
    // Past about 104 days an f64 of seconds is coarser than a nanosecond, so not every
    // duration has a text; every duration read from a file does, and it is written back.
    let far = parse_duration("31622400.3s").expect("366 days and 0.3 s");
    for d in [
        Duration::from_millis(1_500),
        Duration::from_nanos(250_001),
        far,
    ] {
        assert_eq!(parse_duration(&duration_text(d)), Ok(d));
    }
}

#[test]
fn a_fault_reads_back_from_the_form_it_writes() {
    let faults = [
        Fault::Crash {
            app: "ts_primary".into(),
        },
        Fault::Skew {
            host: "ts-a".into(),
            seconds: -3_600,
        },
        Fault::Latency {
            a: "ts-a".into(),
            b: "ts-b".into(),
            delay: Duration::from_millis(200),
        },
        Fault::Switchover {
            order: Order::To("ts_backup".into()),
        },
        Fault::Traffic {
            from: "desk".into(),
            rate: 0.1,
        },
        Fault::Calls(Calls {
            source: "ts_primary".into(),
            count: 1_000,
            rate: 50.0,
            agents: 20,
            keys: 0,
        }),
    ];
    for f in faults {
        let text = toml::to_string(&f).expect("a fault serialises");
        let back: Fault = toml::from_str(&text).expect("and reads back");
        assert_eq!(back, f, "{text}");
    }
    let text = toml::to_string(&Fault::Crash {
        app: "ts_primary".into(),
    })
    .expect("toml");
    assert_eq!(text.trim(), "crash = \"ts_primary\"");
}

#[test]
fn the_form_refuses_what_the_loader_refuses() {
    let bad = [
        "partition = [\"ts-a\", \"ts-a\"]",
        "loss = { between = [\"a\", \"b\"], rate = 1.5 }",
        "skew = { host = \"ts-a\", by = \"400y\" }",
        "skew = { host = \"ts-a\", by = \"367d\" }",
        "traffic = { from = \"desk\", rate = \"20000/s\" }",
        "trust = { trusted-ca = [\"lab-ca\"] }",
        "option = { app = \"a\", section = \"\", key = \"k\", value = 1 }",
        "crash = \"a\"\nrestart = \"a\"",
        "calls = { source = \"ts\", count = 0, rate = \"50/s\" }",
        "calls = { source = \"ts\", count = 100001, rate = \"50/s\" }",
        "calls = { source = \"ts\", count = 10, rate = \"0/s\" }",
        "calls = { source = \"ts\", count = 10, rate = \"50/s\", agents = 0 }",
        "calls = { source = \"ts\", count = 10, rate = \"50/s\", keys = 51 }",
    ];
    for text in bad {
        assert!(toml::from_str::<Fault>(text).is_err(), "{text}");
    }
}

#[test]
fn a_calls_step_takes_its_defaults_and_writes_them() {
    let f: Fault = toml::from_str("calls = { source = \"ts\", count = 5, rate = \"2/s\" }")
        .expect("a calls step");
    let Fault::Calls(c) = &f else { panic!("{f:?}") };
    assert_eq!((c.agents, c.keys), (Calls::AGENTS, Calls::KEYS));
    let text = toml::to_string(&f).expect("toml");
    assert!(
        text.contains("agents = 10") && text.contains("keys = 2"),
        "{text}"
    );
}
