//! Judging typed expectations over hand-written traces: the verdict's window, evidence and
//! nearest miss, and the sentence rendered from them.

use std::path::Path;

use super::expectations;
use crate::check::verdict::{Differs, Judged, Miss, Verdict};
use crate::scenario::load;
use crate::topology::{Purpose, Role};
use crate::trace::{Event, Kind, Trace};

/// The verdicts of `expects` (TOML `[[expect]]` tables) on the T-Server pair over `events`.
fn judge(expects: &str, events: Vec<Event>) -> Vec<Verdict> {
    let topology = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/topologies/tserver-pair.toml")
        .display()
        .to_string()
        .replace('\\', "/");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("s.toml");
    let text = format!(
        "name = \"t\"\ntopology = \"{topology}\"\nduration = \"60s\"\n\
         [[step]]\nat = \"10s\"\nlabel = \"crash\"\ncrash = \"ts_primary\"\n{expects}"
    );
    std::fs::write(&path, text).expect("the scenario is written");
    let s = load(&path).expect("the scenario loads");
    expectations(&s, &Trace { events }, &[], &Default::default())
}

fn at(at_ms: u64, node: &str, kind: Kind) -> Event {
    Event {
        at_ms,
        node: node.into(),
        kind,
    }
}

fn session(at_ms: u64, port: &str) -> [Event; 2] {
    [
        at(
            at_ms,
            "desk",
            Kind::ConnectAttempt {
                to: "ts_backup".into(),
                port: port.into(),
                tls: true,
            },
        ),
        at(
            at_ms,
            "desk",
            Kind::Connected {
                peer: "ts_backup".into(),
                port: port.into(),
                tls: true,
                purpose: Purpose::Client,
            },
        ),
    ]
}

#[test]
fn a_session_on_another_port_is_the_nearest_miss() {
    let events = session(12_000, "default").into_iter().collect();
    let v = judge(
        "[[expect]]\nafter = \"crash\"\nwithin = \"5s\"\n\
         connected = { from = \"desk\", to = \"ts_backup\", port = \"secure\" }\n",
        events,
    );
    let [v] = &v[..] else {
        panic!("one verdict: {v:?}")
    };
    assert!(!v.held);
    assert_eq!(v.judged, Judged::Window(10_000, 15_000));
    assert_eq!(
        v.detail,
        "connected at 12000 ms, but on port `default`, not `secure`"
    );
    assert_eq!(
        v.miss,
        Some(Miss {
            at_ms: 12_000,
            differs: Differs::Port {
                got: "default".into(),
                want: "secure".into(),
            },
            events: vec![1],
        })
    );
    let json = serde_json::to_string(&v.miss).unwrap_or_default();
    assert_eq!(
        json,
        r#"{"at_ms":12000,"by":"port","got":"default","want":"secure","events":[1]}"#
    );
}

#[test]
fn a_verdict_that_held_names_its_evidence() {
    let mut events: Vec<Event> = session(12_000, "secure").into_iter().collect();
    events.insert(
        0,
        at(
            11_000,
            "ts_backup",
            Kind::RoleChanged {
                from: Some(Role::Backup),
                to: Role::Primary,
            },
        ),
    );
    let v = judge(
        "[[expect]]\nafter = \"crash\"\nwithin = \"5s\"\n\
         connected = { from = \"desk\", to = \"ts_backup\", port = \"secure\" }\n\
         [[expect]]\nat = \"12s\"\nrole = { app = \"ts_backup\", is = \"primary\" }\n\
         [[expect]]\nafter = \"crash\"\nwithin = \"500ms\"\n\
         role = { app = \"ts_backup\", is = \"primary\" }\n",
        events,
    );
    let [connected, at_12, late] = &v[..] else {
        panic!("three verdicts: {v:?}")
    };
    assert!(connected.held, "{}", connected.detail);
    assert_eq!(connected.evidence, vec![2]);
    assert!(connected.miss.is_none());
    assert!(at_12.held, "{}", at_12.detail);
    assert_eq!(at_12.judged, Judged::Instant(12_000));
    assert_eq!(at_12.evidence, vec![0]);
    assert!(!late.held);
    assert_eq!(
        late.detail,
        "ts_backup was primary only at 11000 ms, after the deadline 10500 ms"
    );
    assert_eq!(
        late.miss.as_ref().map(|m| (m.at_ms, &m.differs, &m.events)),
        Some((11_000, &Differs::Outside, &vec![0]))
    );
}

fn switchover(at_ms: u64) -> Event {
    at(
        at_ms,
        "scs",
        Kind::Switchover {
            promote: "ts_backup".into(),
            reason: crate::trace::SwitchoverReason::PrimaryStopped,
        },
    )
}

#[test]
fn logged_matches_node_event_and_fields_as_text_and_names_the_nearest_miss() {
    let events = vec![switchover(11_000)];
    let v = judge(
        "[[expect]]\nafter = \"crash\"\nwithin = \"5s\"\n\
         logged = { node = \"scs\", event = \"switchover\", promote = \"ts_backup\" }\n\
         [[expect]]\nafter = \"crash\"\nwithin = \"5s\"\n\
         logged = { node = \"scs\", event = \"switchover\", promote = \"ts_primary\" }\n\
         [[expect]]\nat = \"5s\"\n\
         logged = { node = \"scs\", event = \"switchover\" }\n\
         [[expect]]\n\
         never = { logged = { node = \"scs\", event = \"switchover\", promote = \"ts_backup\" } }\n\
         [[expect]]\n\
         never = { logged = { node = \"scs\", event = \"switchover-refused\" } }\n",
        events,
    );
    let held: Vec<bool> = v.iter().map(|v| v.held).collect();
    assert_eq!(held, [true, false, false, false, true], "{v:#?}");
    assert_eq!(v[0].evidence, [0]);
    assert_eq!(
        v[1].detail,
        "scs logged switchover at 11000 ms, but with promote = ts_backup"
    );
    assert_eq!(
        v[2].detail,
        "scs logged it at 11000 ms, outside 5000..5000 ms"
    );
    assert_eq!(v[3].what, "never scs logged switchover promote=ts_backup");
}

#[test]
fn logged_names_must_be_known_nodes_and_events() {
    let topology = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/topologies/tserver-pair.toml")
        .display()
        .to_string()
        .replace('\\', "/");
    let text = format!(
        "name = \"t\"\ntopology = \"{topology}\"\nduration = \"60s\"\n\
         [[expect]]\nlogged = {{ node = \"scss\", event = \"switchovr\" }}\n"
    );
    let problems = match crate::scenario::parse(
        crate::diag::Source::new("s.toml", text),
        &crate::topology::load,
    ) {
        Err(crate::scenario::LoadError::Invalid(i)) => i.problems,
        Err(other) => panic!("refused otherwise: {other}"),
        Ok(_) => panic!("the unknown names were accepted"),
    };
    let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
    assert!(
        messages.iter().any(|m| m.contains("did you mean `scs`")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("did you mean `switchover`")),
        "{messages:?}"
    );
}
