//! The rehearsal's pure parts on the shipped examples: the difference, the documented order,
//! the trust-first passes, and intermediate topologies that load back.

use std::path::PathBuf;

use super::diff::diff;
use super::order::{Action, Level, Plan, State, default_order, steps};
use super::state::{overlays, topology_text};
use crate::diag::Source;

fn example(name: &str) -> (PathBuf, PathBuf) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/rehearse")
        .join(name);
    (dir.join("from.toml"), dir.join("to.toml"))
}

fn change(app: &str, level: Level) -> Action {
    Action::Change {
        app: app.into(),
        level,
    }
}

#[test]
fn a_rollover_renames_the_reissued_certificates_and_lists_trust_changes() {
    let (from, to) = example("ca-rollover");
    let d = diff(&from, &to).expect("rollable");
    let renamed: Vec<(&str, &str)> = d
        .renamed
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        renamed,
        [
            ("desk-1", "desk-1-to"),
            ("ts-a", "ts-a-to"),
            ("ts-b", "ts-b-to")
        ]
    );
    let b = d.app("ts_backup").expect("ts_backup");
    assert!(
        b.changes
            .iter()
            .any(|c| c.path == "security.certificate" && c.to.as_deref() == Some("ts-b-to"))
    );
    assert_eq!(b.trust_from.iter().collect::<Vec<_>>(), ["lab-ca"]);
    assert_eq!(b.trust_to.iter().collect::<Vec<_>>(), ["new-ca"]);
}

#[test]
fn the_default_order_is_backup_switchover_former_primary_then_clients() {
    let (from, to) = example("tls-mutual");
    let d = diff(&from, &to).expect("rollable");
    let plan = Plan {
        order: default_order(&d.from.topology, false),
        trust_first: false,
        relax_first: false,
    };
    let actions: Vec<Action> = steps(&d, &plan).into_iter().map(|(a, _)| a).collect();
    assert_eq!(
        actions,
        [
            change("ts_backup", Level::To),
            Action::Switchover {
                to: "ts_backup".into()
            },
            change("ts_primary", Level::To),
            change("desk", Level::To),
        ]
    );
}

#[test]
fn trust_first_takes_three_passes_and_every_state_loads_back() {
    let (from, to) = example("ca-rollover");
    let d = diff(&from, &to).expect("rollable");
    let plan = Plan {
        order: default_order(&d.from.topology, false),
        trust_first: true,
        relax_first: false,
    };
    let all = steps(&d, &plan);
    assert_eq!(all.len(), 14);
    let levels: Vec<Level> = all
        .iter()
        .filter_map(|(a, _)| match a {
            Action::Change { level, .. } => Some(*level),
            Action::Switchover { .. } => None,
        })
        .collect();
    assert_eq!(levels.iter().filter(|l| **l == Level::TrustBoth).count(), 3);
    assert_eq!(levels.last(), Some(&Level::To));
    let first = &all.first().expect("a step").1;
    let over = overlays(&d, first);
    assert_eq!(over.len(), 1, "only ts_backup trusts both after step 1");
    let mut start = State::start(&d.from.topology);
    for (i, (_, state)) in all.iter().enumerate() {
        let text = topology_text(&d, state, &format!("s{i}")).expect("writes");
        let t = crate::topology::load::parse(Source::new(format!("s{i}.toml"), text))
            .unwrap_or_else(|e| panic!("state {i} does not load: {e:?}"));
        assert_eq!(t.apps.len(), 3);
        start = state.clone();
    }
    assert!(start.levels.values().all(|l| *l == Level::To));
}
