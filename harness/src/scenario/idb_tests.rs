//! Decoding the IDB expectations on the reference ICON HA set: what each resolves (the IDBs
//! through the DAPs, the roles), located errors for what names nothing, and writing back.

use std::path::Path;

use super::{IdbCheck, IdbSet, Member};
use crate::scenario::{Check, LoadError, Scenario, load, parse, to_toml};

/// The scenario of `expects` on the reference set, its topology text edited by `edit`; or its
/// problems as (code, line, message, help).
fn scenario(
    expects: &str,
    edit: (&str, &str),
) -> Result<Scenario, Vec<(String, usize, String, String)>> {
    let dir = tempfile::tempdir().expect("a temporary folder");
    scenario_in(dir.path(), expects, edit)
}

/// [`scenario`], its files in `dir`.
fn scenario_in(
    dir: &Path,
    expects: &str,
    edit: (&str, &str),
) -> Result<Scenario, Vec<(String, usize, String, String)>> {
    let reference =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/topologies/icon-ha.toml");
    let text = std::fs::read_to_string(reference).expect("the reference topology");
    let topology = dir.join("icon-ha.toml");
    std::fs::write(&topology, text.replace(edit.0, edit.1)).expect("written");
    let path = dir.join("s.toml");
    let text = format!(
        "name = \"t\"\ntopology = \"{}\"\nduration = \"60s\"\n[[expect]]\n{expects}\n",
        topology.display().to_string().replace('\\', "/")
    );
    std::fs::write(&path, text).expect("written");
    match load(&path) {
        Ok(s) => Ok(s),
        Err(LoadError::Invalid(e)) => Err(e
            .problems
            .iter()
            .map(|p| {
                let line = e.source_file.locate(p.span.start).line;
                let help = p.help.clone().unwrap_or_default();
                (p.code.to_string(), line, p.message.clone(), help)
            })
            .collect()),
        Err(e) => panic!("not a scenario problem: {e}"),
    }
}

fn check(expects: &str) -> Check {
    let s = scenario(expects, ("", "")).expect("the scenario loads");
    s.expects.first().expect("one expectation").check.clone()
}

fn voice() -> IdbSet {
    let member = |icon: &str, db: &str| Member {
        icon: icon.into(),
        db: db.into(),
        roles: vec!["gcc", "gud"],
    };
    IdbSet {
        name: "voice".into(),
        members: vec![member("icon_a", "idb_a"), member("icon_b", "idb_b")],
        promised: vec!["gcc", "gud"],
    }
}

#[test]
fn each_check_resolves_the_set_through_its_daps() {
    assert_eq!(
        check("idb-parity = { set = \"voice\", differ = [\"G_VIRTUAL_QUEUE\"] }"),
        Check::Idb(IdbCheck::Parity {
            set: voice(),
            differ: vec!["G_VIRTUAL_QUEUE".into()],
        })
    );
    assert_eq!(
        check("idb-complete = { set = \"voice\" }"),
        Check::Idb(IdbCheck::Complete(voice()))
    );
    let roles = check("idb-roles = { set = \"voice\" }");
    assert_eq!(
        roles,
        Check::Idb(IdbCheck::Roles {
            set: voice(),
            missing: Vec::new()
        })
    );
    assert_eq!(
        roles.to_string(),
        "ICON set voice stores what it promises (gcc, gud)"
    );
}

#[test]
fn what_names_nothing_is_a_located_error() {
    let problems = |expects: &str| scenario(expects, ("", "")).err().unwrap_or_default();
    let p = problems("idb-parity = { set = \"voise\" }");
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(
        (p[0].0.as_str(), p[0].1, p[0].2.as_str(), p[0].3.as_str()),
        (
            "unknown-set",
            5,
            "no [icon-ha.voise] set in the topology",
            "did you mean `voice`?"
        )
    );
    let p = problems("idb-parity = { set = \"voice\", differ = [\"G_USERDATA_HISTROY\"] }");
    assert_eq!(
        (p[0].0.as_str(), p[0].3.as_str()),
        ("unknown-table", "did you mean `G_USERDATA_HISTORY`?"),
        "{p:?}"
    );
    let p = problems("idb-parity = { set = \"voice\", differ = [\"G_SYNC_CONTROL\"] }");
    assert!(
        p[0].2
            .starts_with("`G_SYNC_CONTROL` is session control of one ICON"),
        "{p:?}"
    );
    let p = problems("idb-complete = { sets = \"voice\" }");
    let codes: Vec<&str> = p.iter().map(|x| x.0.as_str()).collect();
    assert_eq!(codes, ["missing-key", "unknown-key"], "{p:?}");
    let p = problems("idb-complete = { set = \"voice\", differ = [\"G_CALL\"] }");
    assert_eq!(p[0].0, "unknown-key", "{p:?}");
    let p = problems("at = \"10s\"\nidb-complete = { set = \"voice\" }");
    assert_eq!(p[0].0, "never-evaluated", "{p:?}");
}

#[test]
fn a_set_that_cannot_be_judged_is_refused_at_loading() {
    let p = scenario(
        "idb-roles = { set = \"voice\" }",
        ("stores = [\"gcc\", \"gud\"]", ""),
    )
    .err()
    .unwrap_or_default();
    assert!(p[0].2.contains("promises no roles"), "{p:?}");
    let p = scenario(
        "idb-parity = { set = \"voice\" }",
        ("database = \"idb_b\"", "database = \"idb_a\""),
    )
    .err()
    .unwrap_or_default();
    assert!(
        p[0].2
            .starts_with("both ICONs of set `voice` write IDB `idb_a`"),
        "{p:?}"
    );
    let p = scenario(
        "idb-complete = { set = \"voice\" }",
        (
            "from = \"icon_b\"\nto = \"dap_b\"",
            "from = \"icon_b\"\nto = \"ts_primary\"",
        ),
    )
    .err()
    .unwrap_or_default();
    assert!(
        p[0].2
            .starts_with("ICON `icon_b` of set `voice` writes through no DAP with a database"),
        "{p:?}"
    );
}

#[test]
fn written_back_each_check_reads_the_same() {
    for expects in [
        "idb-parity = { set = \"voice\", differ = [\"G_CALL\", \"G_PARTY\"] }",
        "idb-parity = { set = \"voice\" }",
        "after = \"1s\"\nwithin = \"30s\"\nidb-complete = { set = \"voice\" }",
        "idb-roles = { set = \"voice\" }",
        "idb-roles = { set = \"voice\", missing = [\"gud\"] }",
    ] {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let s = scenario_in(dir.path(), expects, ("", "")).expect("the scenario loads");
        let text = to_toml(&s).expect("written");
        let again = parse(
            crate::diag::Source::new(s.source.path.clone(), text.clone()),
            &|p| crate::topology::Topology::load(p),
        )
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
        let checks = |s: &Scenario| -> Vec<(Check, String)> {
            s.expects
                .iter()
                .map(|e| (e.check.clone(), e.describe()))
                .collect()
        };
        assert_eq!(checks(&s), checks(&again), "{text}");
    }
}

#[test]
fn missing_names_promised_roles_only() {
    let roles = check("idb-roles = { set = \"voice\", missing = [\"gud\"] }");
    assert_eq!(
        roles,
        Check::Idb(IdbCheck::Roles {
            set: voice(),
            missing: vec!["gud".into()],
        })
    );
    assert_eq!(roles.to_string(), "no ICON of set voice stores exactly gud");
    let p = scenario(
        "idb-roles = { set = \"voice\", missing = [\"gls\"] }",
        ("", ""),
    )
    .err()
    .unwrap_or_default();
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].1, 5, "located on the role: {p:?}");
    assert_eq!(
        p[0].2,
        "set `voice` does not promise `gls`: it promises gcc, gud"
    );
    let p = scenario(
        "idb-complete = { set = \"voice\", missing = [\"gud\"] }",
        ("", ""),
    )
    .err()
    .unwrap_or_default();
    assert!(
        p.iter().any(|(code, ..)| code == "unknown-key"),
        "missing belongs to idb-roles only: {p:?}"
    );
}
