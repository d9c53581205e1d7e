//! load → write → load gives the same scenario: for every shipped scenario, and for generated
//! steps (every fault) and expectations on the reference T-Server pair.

use std::path::{Path, PathBuf};
use std::time::Duration;

use proptest::prelude::*;

use super::{expect, step, to_toml};
use crate::diag::{Source, Span};
use crate::fault::{AppRef, Fault, HostRef, Order, Scope};
use crate::scenario::{Check, Expect, Never, Scenario, Step, Timing, TlsExpect, parse};
use crate::tls::FailureClass;
use crate::topology::pki::Profile;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// What a scenario means, without where it is written.
fn meaning(s: &Scenario) -> impl PartialEq + std::fmt::Debug + use<> {
    let steps: Vec<_> = s
        .steps
        .iter()
        .map(|st| (st.at, st.label.clone(), st.fault.clone()))
        .collect();
    let expects: Vec<_> = s
        .expects
        .iter()
        .map(|e| (e.check.clone(), e.timing.clone()))
        .collect();
    (
        (s.name.clone(), s.rehearses.clone(), s.clock, s.seed),
        s.duration,
        steps,
        expects,
        s.invariants.clone(),
        s.topology_path.clone(),
        s.simulation_only.clone(),
    )
}

/// Writes `s` and loads the text from where `s` was loaded.
fn reloaded(s: &Scenario) -> Scenario {
    let text = to_toml(s).expect("writes");
    parse(
        Source::new(s.source.path.clone(), text.clone()),
        &crate::topology::load,
    )
    .unwrap_or_else(|e| {
        panic!(
            "{}: the written scenario does not load: {e}\n{text}",
            s.name
        )
    })
}

fn scenario_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("scenarios directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            // Topologies, and rehearsal examples (a from.toml and a to.toml), are no scenarios:
            // `runner::discover` leaves both alone too.
            let rehearsal = path.join("from.toml").is_file() && path.join("to.toml").is_file();
            if path.file_name().is_some_and(|n| n != "topologies") && !rehearsal {
                scenario_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

#[test]
fn every_shipped_scenario_reads_back_as_written() {
    let mut files = Vec::new();
    scenario_files(&repo().join("scenarios"), &mut files);
    assert!(files.len() > 20, "the scenarios are found");
    for path in files {
        let s = crate::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let again = reloaded(&s);
        assert_eq!(meaning(&again), meaning(&s), "{}", path.display());
        // And writing is stable: the second text is the first.
        assert_eq!(to_toml(&again).ok(), to_toml(&s).ok(), "{}", path.display());
    }
}

const APPS: [&str; 3] = ["ts_primary", "ts_backup", "desk"];
const HOSTS: [&str; 3] = ["ts-a", "ts-b", "desk-1"];
const CERTS: [&str; 3] = ["ts-a", "ts-b", "desk-1"];

fn app() -> impl Strategy<Value = AppRef> {
    prop::sample::select(&APPS[..]).prop_map(AppRef::from)
}

fn host() -> impl Strategy<Value = HostRef> {
    prop::sample::select(&HOSTS[..]).prop_map(HostRef::from)
}

fn two_hosts() -> impl Strategy<Value = (HostRef, HostRef)> {
    prop::sample::subsequence(&HOSTS[..], 2)
        .prop_shuffle()
        .prop_map(|h| (h[0].into(), h[1].into()))
}

fn millis(max: u64) -> impl Strategy<Value = Duration> {
    (0..=max).prop_map(Duration::from_millis)
}

fn rotate() -> impl Strategy<Value = Fault> {
    let profile = prop::option::of(prop::sample::select(
        Profile::ALL.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
    ));
    let issuer = prop::option::of(prop::sample::select(vec!["lab-ca", "new-ca"]));
    (prop::sample::select(&CERTS[..]), issuer, profile).prop_map(|(cert, issuer, profile)| {
        // A profile that chooses its own signer takes no issuer.
        let own = matches!(profile, Some(Profile::SelfSigned | Profile::OtherCa));
        Fault::Rotate {
            cert: cert.into(),
            issuer: issuer.filter(|_| !own).map(str::to_string),
            profile,
        }
    })
}

fn option() -> impl Strategy<Value = Fault> {
    let read = (1..=60u32).prop_map(|n| ("backup-sync", "addp-timeout", n.to_string()));
    let free = (
        prop::sample::select(vec!["confserv", "log"]),
        prop::sample::select(vec!["verbose", "buffering"]),
        "[a-z0-9 ]{0,8}",
    )
        .prop_map(|(s, k, v)| (s, k, v));
    (app(), prop_oneof![read, free]).prop_map(|(app, (section, key, value))| Fault::Option {
        app,
        section: section.into(),
        key: key.into(),
        value,
    })
}

fn fault() -> impl Strategy<Value = Fault> {
    let scope = prop_oneof![app().prop_map(Scope::App), host().prop_map(Scope::Host)];
    let cas = prop::sample::subsequence(vec!["lab-ca", "new-ca"], 0..=2)
        .prop_shuffle()
        .prop_map(|c| c.into_iter().map(str::to_string).collect());
    let pair_member = prop::sample::select(vec!["ts_primary", "ts_backup"]);
    prop_oneof![
        app().prop_map(|app| Fault::Crash { app }),
        app().prop_map(|app| Fault::Restart { app }),
        host().prop_map(|host| Fault::PowerOff { host }),
        host().prop_map(|host| Fault::PowerOn { host }),
        two_hosts().prop_map(|(a, b)| Fault::Partition { a, b }),
        two_hosts().prop_map(|(a, b)| Fault::Heal { a, b }),
        two_hosts().prop_map(|(a, b)| Fault::Hold { a, b }),
        two_hosts().prop_map(|(a, b)| Fault::Release { a, b }),
        (two_hosts(), millis(60_000)).prop_map(|((a, b), delay)| Fault::Latency { a, b, delay }),
        (two_hosts(), 0.0..=1.0f64).prop_map(|((a, b), rate)| Fault::Loss { a, b, rate }),
        (host(), -31_622_400..=31_622_400i64)
            .prop_map(|(host, seconds)| Fault::Skew { host, seconds }),
        rotate(),
        (scope, cas).prop_map(|(scope, cas)| Fault::Trust { scope, cas }),
        pair_member.prop_map(|a| Fault::Switchover {
            order: Order::Pair(a.into())
        }),
        prop_oneof![Just(0.0), 0.001..=10_000.0f64].prop_map(|rate| Fault::Traffic {
            from: "desk".into(),
            rate,
        }),
        option(),
        (
            1..=100_000u64,
            0.001..=10_000.0f64,
            1..=10_000u64,
            0..=50u64
        )
            .prop_map(
                |(count, rate, agents, keys)| Fault::Calls(crate::fault::Calls {
                    source: "ts_primary".into(),
                    count,
                    rate,
                    agents,
                    keys,
                })
            ),
    ]
}

fn check() -> impl Strategy<Value = Check> {
    use crate::topology::Role;
    use crate::trace::State;
    let state = prop::sample::select(vec![
        State::In(Role::Primary),
        State::In(Role::Backup),
        State::NoRole,
        State::Stopped,
    ]);
    let port = prop::option::of(prop::sample::select(vec![
        "default".to_string(),
        "secure".into(),
    ]));
    let tls = prop::option::of(prop_oneof![
        any::<bool>().prop_map(TlsExpect::On),
        prop::sample::select(vec!["1.2", "1.3"]).prop_map(|v| TlsExpect::Version(v.into())),
    ]);
    let class = prop::sample::select(
        FailureClass::ALL
            .iter()
            .map(|(c, _)| *c)
            .collect::<Vec<_>>(),
    );
    let server = prop::sample::select(vec!["ts_primary".to_string(), "ts_backup".into()]);
    prop_oneof![
        (app(), state).prop_map(|(app, is)| Check::Role {
            app: app.to_string(),
            is
        }),
        (
            server.clone(),
            port.clone(),
            tls.clone(),
            prop::option::of("CN=[a-z]{1,6}"),
            any::<bool>()
        )
            .prop_map(|(to, port, tls, peer, new)| {
                let from = "desk".to_string();
                if new {
                    Check::Established {
                        from,
                        to,
                        port,
                        tls,
                        peer,
                    }
                } else {
                    Check::Connected {
                        from,
                        to,
                        port,
                        tls,
                        peer,
                    }
                }
            }),
        (server.clone(), class.clone()).prop_map(|(to, class)| Check::Refused {
            from: "desk".into(),
            to,
            port: None,
            class,
        }),
        (server.clone(), prop::option::of(class)).prop_map(|(to, class)| Check::Never(
            Never::Refused {
                from: "desk".into(),
                to,
                port: Some("secure".into()),
                class
            }
        )),
        (server, port).prop_map(|(app, port)| Check::Never(Never::Plaintext { app, port })),
        (
            prop::sample::select(vec!["scs", "desk", "ts_backup", "sim"]),
            prop::sample::select(crate::trace::EVENT_WORDS.to_vec()),
            prop::collection::vec(("[a-z]{1,6}(-[a-z]{1,4})?", "[ -~]{0,8}"), 0..3),
            any::<bool>()
        )
            .prop_map(|(node, event, fields, never)| {
                let mut seen = Vec::new();
                let fields = fields
                    .into_iter()
                    .filter(|(k, _)| k != "node" && k != "event")
                    .filter(|(k, _)| {
                        let fresh = !seen.contains(k);
                        seen.push(k.clone());
                        fresh
                    })
                    .collect();
                let l = crate::scenario::Logged {
                    node: node.into(),
                    event: event.into(),
                    fields,
                };
                if never {
                    Check::Never(Never::Logged(l))
                } else {
                    Check::Logged(l)
                }
            }),
        millis(10_000).prop_map(|longer_than| Check::TwoPrimaries {
            pair: "ts_primary".into(),
            longer_than,
        }),
    ]
}

/// Steps with unique labels, and expectations timed at an instant or after a step or a time.
fn scenario() -> impl Strategy<Value = (Vec<Step>, Vec<Expect>)> {
    let steps = prop::collection::vec((millis(600_000), any::<bool>(), fault()), 0..12);
    let expects = prop::collection::vec(
        (
            check(),
            millis(600_000),
            millis(60_000),
            any::<prop::sample::Index>(),
            0..3u8,
        ),
        0..8,
    );
    (steps, expects).prop_map(|(steps, expects)| {
        let steps: Vec<Step> = steps
            .into_iter()
            .enumerate()
            .map(|(i, (at, labelled, fault))| Step {
                at,
                label: labelled.then(|| format!("step-{i}")),
                fault,
                span: Span::default(),
            })
            .collect();
        let labelled: Vec<&Step> = steps.iter().filter(|s| s.label.is_some()).collect();
        let expects = expects
            .into_iter()
            .map(|(check, at, within, pick, how)| {
                // Two primaries last a while: an instant is refused for them.
                let instant = !matches!(check, Check::TwoPrimaries { .. });
                let timing = match (how, labelled.is_empty()) {
                    (0, _) if instant => Timing::At(at),
                    (1, false) => {
                        let s = labelled[pick.index(labelled.len())];
                        let mark = s.label.clone().unwrap_or_default();
                        Timing::Within {
                            after: s.at,
                            mark,
                            within,
                        }
                    }
                    _ => Timing::Within {
                        after: at,
                        mark: crate::fault::duration_text(at),
                        within,
                    },
                };
                Expect {
                    check,
                    timing,
                    span: Span::default(),
                }
            })
            .collect();
        (steps, expects)
    })
}

/// The scenario file of generated steps and expectations on the reference pair (with a second
/// CA to rotate to and trust).
fn text(steps: &[Step], expects: &[Expect]) -> String {
    let mut doc = toml::Table::new();
    doc.insert("topology".into(), "topologies/tserver-pair.toml".into());
    let pki: toml::Table =
        toml::from_str("[ca.new-ca]\nsubject = \"CN=New Lab CA\"\n").expect("a CA table");
    doc.insert("pki".into(), pki.into());
    let steps = steps.iter().map(|s| step(s).expect("a step")).collect();
    doc.insert("step".into(), toml::Value::Array(steps));
    doc.insert(
        "expect".into(),
        expects.iter().map(expect).collect::<Vec<_>>().into(),
    );
    toml::to_string(&doc).expect("a scenario")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn generated_scenarios_read_back_as_written((steps, expects) in scenario()) {
        let path = repo().join("scenarios/generated.toml");
        let first = text(&steps, &expects);
        let s = parse(Source::new(path, first.clone()), &crate::topology::load)
            .unwrap_or_else(|e| panic!("the generated scenario does not load: {e}\n{first}"));
        // The loader read the faults the generator made.
        let faults: Vec<&Fault> = s.steps.iter().map(|st| &st.fault).collect();
        prop_assert_eq!(faults, steps.iter().map(|st| &st.fault).collect::<Vec<_>>());
        let again = reloaded(&s);
        prop_assert_eq!(meaning(&again), meaning(&s));
    }
}
