//! Intermediate topologies: FROM with each application's tables (its `[app.X]`, its
//! `[[connection]]`s, its host's table) taken from FROM or TO as its level says, and a `[pki]`
//! holding both sides' certificates and CAs. The text is an ordinary topology file; loading
//! it back checks it.
//!
//! A level that trusts both the old and the new CAs cannot be written in a topology
//! (`trusted-ca` names one CA): the state's scenario trusts both with a `trust` step at 0 s
//! ([`overlays`]), as an operator would by adding the new CA to the trust store's bundle.
//! A relaxed level is FROM's tables without their `sec-protocol` keys.

use std::collections::BTreeSet;

use toml::{Table, Value};

use super::diff::{Diff, app_table, connections_of, host_table};
use super::order::{Level, State, trust};

/// The topology text of a state, named `name`.
///
/// # Errors
/// A message when the document cannot be written as TOML.
pub fn topology_text(diff: &Diff, state: &State, name: &str) -> Result<String, String> {
    let (from, to) = (&diff.from.doc, &diff.to.doc);
    let mut doc = from.clone();
    doc.insert("name".into(), Value::String(name.to_string()));
    doc.insert("pki".into(), Value::Table(pki_union(from, to)));
    let t = &diff.from.topology;
    let side = |app: &str| {
        if state.level(app).is_to() { to } else { from }
    };
    let mut apps = Table::new();
    let mut conns = Vec::new();
    for a in &t.apps {
        let name = &a.name.value;
        let relaxed = state.level(name) == Level::Relaxed;
        let fix = |v: &Value| {
            let mut v = v.clone();
            if relaxed {
                strip_sec_protocol(&mut v);
            }
            v
        };
        if let Some(v) = app_table(side(name), name) {
            apps.insert(name.clone(), fix(v));
        }
        conns.extend(connections_of(side(name), name).map(fix));
    }
    let mut hosts = Table::new();
    for h in &t.hosts {
        let key = &h.key.value;
        let changed = t
            .apps
            .iter()
            .any(|a| a.host.value == *key && state.level(&a.name.value).is_to());
        let doc_of = if changed { to } else { from };
        if let Some(v) = host_table(doc_of, key) {
            hosts.insert(key.clone(), v.clone());
        }
    }
    doc.insert("host".into(), Value::Table(hosts));
    doc.insert("app".into(), Value::Table(apps));
    if conns.is_empty() {
        doc.remove("connection");
    } else {
        doc.insert("connection".into(), Value::Array(conns));
    }
    toml::to_string(&doc).map_err(|e| e.to_string())
}

/// Removes every `sec-protocol` key below `v` (the transport-string form is left as it is).
fn strip_sec_protocol(v: &mut Value) {
    match v {
        Value::Table(t) => {
            t.remove("sec-protocol");
            t.iter_mut().for_each(|(_, x)| strip_sec_protocol(x));
        }
        Value::Array(a) => a.iter_mut().for_each(strip_sec_protocol),
        _ => {}
    }
}

/// FROM's `[pki]` with TO's CAs and certificates added (renamed ones included).
fn pki_union(from: &Table, to: &Table) -> Table {
    let mut pki = from
        .get("pki")
        .and_then(Value::as_table)
        .cloned()
        .unwrap_or_default();
    for kind in ["ca", "cert"] {
        let theirs = to
            .get("pki")
            .and_then(|p| p.get(kind))
            .and_then(Value::as_table);
        let Some(theirs) = theirs else { continue };
        let entry = pki
            .entry(kind)
            .or_insert_with(|| Value::Table(Table::new()));
        if let Value::Table(ours) = entry {
            for (k, v) in theirs {
                ours.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    pki
}

/// Each application whose level trusts more CAs than its topology tables name, with the CAs
/// it trusts: the state's scenario gives them with a `trust` step.
pub fn overlays(diff: &Diff, state: &State) -> Vec<(String, BTreeSet<String>)> {
    diff.apps
        .iter()
        .filter_map(|d| {
            let level = state.level(&d.app);
            let written = if level.is_to() {
                &d.trust_to
            } else {
                &d.trust_from
            };
            let cas = trust(diff, &d.app, level);
            (matches!(level, Level::TrustBoth | Level::ToTrustBoth) && cas != *written)
                .then(|| (d.app.clone(), cas))
        })
        .collect()
}
