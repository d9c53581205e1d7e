//! Writing a scenario back to TOML: its steps (each fault in its file form), expectations,
//! invariants, clock, seed and duration from the loaded scenario; the topology and `[pki]`
//! entries as the original file wrote them. Loading what is written gives the same scenario
//! (a property test holds it to that), so a sweep or a shrinker can change a scenario in code
//! and hand the user a file.
//!
//! Relative paths (the topology, PEM files) stay as the original wrote them: the text loads
//! from the original's directory ([`super::parse`] with the original's path).

use std::time::Duration;

use toml::{Table, Value};

use super::{
    Check, Expect, IdbCheck, Invariants, LinkDeath, Never, Scenario, Step, Timing, TlsExpect,
};
use crate::fault::duration_text;
use crate::tls::FailureClass;
use crate::topology::Role;
use crate::trace::State;

/// Why a scenario could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The original file no longer parses as TOML (it did when it was loaded).
    #[error("{0}")]
    Original(#[from] toml::de::Error),
    /// A value has no TOML form.
    #[error("{0}")]
    Value(#[from] toml::ser::Error),
}

/// The scenario as a scenario file.
///
/// # Errors
/// [`WriteError`] when the original text cannot be re-read or a value cannot be written.
pub fn to_toml(s: &Scenario) -> Result<String, WriteError> {
    let original: Table = toml::from_str(&s.source.text)?;
    let mut doc = Table::new();
    doc.insert("name".into(), s.name.clone().into());
    if !s.rehearses.is_empty() {
        doc.insert("rehearses".into(), s.rehearses.clone().into());
    }
    if let Some(reason) = &s.simulation_only {
        doc.insert("simulation-only".into(), reason.clone().into());
    }
    for key in ["topology", "pki"] {
        if let Some(v) = original.get(key) {
            doc.insert(key.into(), v.clone());
        }
    }
    doc.insert(
        "clock".into(),
        crate::topology::value::format_instant(s.clock).into(),
    );
    // Seeds above i64::MAX cannot be written in TOML (nor loaded); they wrap as the CLI would.
    doc.insert("seed".into(), Value::Integer(s.seed as i64));
    doc.insert("duration".into(), duration(s.duration));
    doc.insert("invariants".into(), Value::Table(invariants(&s.invariants)));
    if let Some(l) = &s.liveness {
        let mut t = Table::new();
        if let Some(w) = l.within {
            t.insert("within".into(), duration(w));
        }
        if let Some(b) = l.baseline {
            t.insert("baseline".into(), duration(b));
        }
        doc.insert("liveness".into(), Value::Table(t));
    }
    let steps = s.steps.iter().map(step).collect::<Result<Vec<_>, _>>()?;
    if !steps.is_empty() {
        doc.insert("step".into(), Value::Array(steps));
    }
    let expects: Vec<Value> = s.expects.iter().map(expect).collect();
    if !expects.is_empty() {
        doc.insert("expect".into(), Value::Array(expects));
    }
    Ok(toml::to_string(&doc)?)
}

fn duration(d: Duration) -> Value {
    duration_text(d).into()
}

fn step(s: &Step) -> Result<Value, toml::ser::Error> {
    let mut t = Table::new();
    t.insert("at".into(), duration(s.at));
    if let Some(label) = &s.label {
        t.insert("label".into(), label.clone().into());
    }
    if let Value::Table(fault) = Value::try_from(&s.fault)? {
        t.extend(fault);
    }
    Ok(Value::Table(t))
}

fn invariants(i: &Invariants) -> Table {
    let mut t = Table::new();
    t.insert("switchover-window".into(), duration(i.switchover_window));
    t.insert("no-plaintext-on-secured".into(), i.no_plaintext.into());
    t.insert("faults-take-effect".into(), i.faults_effective.into());
    t.insert(
        "ha-resyncs-per-minute".into(),
        Value::Integer(i64::from(i.ha_resyncs_per_minute)),
    );
    if i.split_brain_under_network_fault {
        t.insert("split-brain-under-network-fault".into(), true.into());
    }
    t
}

fn expect(e: &Expect) -> Value {
    let mut t = Table::new();
    match &e.timing {
        Timing::Anytime => {}
        Timing::At(at) => {
            t.insert("at".into(), duration(*at));
        }
        Timing::Within { mark, within, .. } => {
            t.insert("after".into(), mark.clone().into());
            t.insert("within".into(), duration(*within));
        }
    }
    let (key, value) = check(&e.check);
    t.insert(key.into(), value);
    Value::Table(t)
}

/// A table of the entries that are present.
fn table<const N: usize>(entries: [(&str, Option<Value>); N]) -> Value {
    Value::Table(
        entries
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
            .collect(),
    )
}

fn text(s: &str) -> Option<Value> {
    Some(s.into())
}

fn opt(s: Option<&String>) -> Option<Value> {
    s.map(|s| s.clone().into())
}

fn tls(t: Option<&TlsExpect>) -> Option<Value> {
    t.map(|t| match t {
        TlsExpect::On(on) => Value::Boolean(*on),
        TlsExpect::Version(v) => v.clone().into(),
    })
}

fn class(c: FailureClass) -> Option<Value> {
    FailureClass::ALL
        .iter()
        .find(|(x, _)| *x == c)
        .map(|(_, name)| (*name).into())
}

fn state(s: State) -> &'static str {
    match s {
        State::In(Role::Primary) => "primary",
        State::In(Role::Backup) => "backup",
        State::NoRole => "none",
        State::Stopped => "stopped",
    }
}

/// The check's key and value, as `expect::decode_check` reads them.
fn check(c: &Check) -> (&'static str, Value) {
    match c {
        Check::Role { app, is } => (
            "role",
            table([("app", text(app)), ("is", text(state(*is)))]),
        ),
        Check::Connected {
            from,
            to,
            port,
            tls: t,
            peer,
        }
        | Check::Established {
            from,
            to,
            port,
            tls: t,
            peer,
        } => (
            if matches!(c, Check::Connected { .. }) {
                "connected"
            } else {
                "established"
            },
            table([
                ("from", text(from)),
                ("to", text(to)),
                ("port", opt(port.as_ref())),
                ("tls", tls(t.as_ref())),
                ("peer", opt(peer.as_ref())),
            ]),
        ),
        Check::Reconnected {
            client,
            to,
            port,
            tls: t,
        } => (
            "reconnected",
            table([
                ("client", text(client)),
                ("to", text(to)),
                ("port", opt(port.as_ref())),
                ("tls", tls(t.as_ref())),
            ]),
        ),
        Check::HaSynced {
            primary,
            backup,
            port,
            tls: t,
        } => (
            "ha-synced",
            table([
                ("primary", text(primary)),
                ("backup", text(backup)),
                ("port", opt(port.as_ref())),
                ("tls", tls(t.as_ref())),
            ]),
        ),
        Check::Served { client, by } => (
            "served",
            table([("client", text(client)), ("by", text(by))]),
        ),
        Check::Refused {
            from,
            to,
            port,
            class: c,
        } => (
            "refused",
            table([
                ("from", text(from)),
                ("to", text(to)),
                ("port", opt(port.as_ref())),
                ("class", class(*c)),
            ]),
        ),
        Check::Never(n) => ("never", never(n)),
        Check::Rejected(rule) => ("rejected", rule.clone().into()),
        Check::Finding {
            rule,
            severity,
            present,
        } => (
            "finding",
            table([
                ("rule", text(rule)),
                ("severity", severity.map(|s| s.as_str().into())),
                ("present", Some(Value::Boolean(*present))),
            ]),
        ),
        Check::NoAckedEventLost(b) => ("no-acked-event-lost", Value::Boolean(*b)),
        Check::Logged(l) => ("logged", logged(l)),
        Check::TwoPrimaries { pair, longer_than } => (
            "two-primaries",
            table([
                ("pair", text(pair)),
                ("longer-than", Some(duration(*longer_than))),
            ]),
        ),
        Check::Link(l) => (l.key(), link(l)),
        Check::Idb(i) => (i.key(), idb(i)),
    }
}

fn idb(i: &IdbCheck) -> Value {
    let set = ("set", text(&i.set().name));
    match i {
        IdbCheck::Parity { differ, .. } if !differ.is_empty() => {
            table([set, ("differ", Some(differ.clone().into()))])
        }
        IdbCheck::Roles { missing, .. } if !missing.is_empty() => {
            table([set, ("missing", Some(missing.clone().into()))])
        }
        _ => table([set]),
    }
}

fn link(l: &LinkDeath) -> Value {
    let reason = l.reason().map(Value::from);
    match l {
        LinkDeath::ConnectFailed { from, to, port, .. } => table([
            ("from", text(from)),
            ("to", text(to)),
            ("port", opt(port.as_ref())),
            ("reason", reason),
        ]),
        LinkDeath::Disconnected {
            app, peer, port, ..
        } => table([
            ("app", text(app)),
            ("peer", text(peer)),
            ("port", opt(port.as_ref())),
            ("reason", reason),
        ]),
    }
}

fn never(n: &Never) -> Value {
    let (key, value) = match n {
        Never::Plaintext { app, port } => (
            "plaintext",
            table([("app", text(app)), ("port", opt(port.as_ref()))]),
        ),
        Never::Refused {
            from,
            to,
            port,
            class: c,
        } => (
            "refused",
            table([
                ("from", text(from)),
                ("to", text(to)),
                ("port", opt(port.as_ref())),
                ("class", c.and_then(class)),
            ]),
        ),
        Never::TwoPrimaries { pair } => ("two-primaries", pair.clone().into()),
        Never::Logged(l) => ("logged", logged(l)),
    };
    table([(key, Some(value))])
}

/// A `logged` table: node, event, then the fields in their order (values as text, which the
/// loader reads back as text).
fn logged(l: &super::Logged) -> Value {
    let mut t = toml::Table::new();
    t.insert("node".into(), Value::String(l.node.clone()));
    t.insert("event".into(), Value::String(l.event.clone()));
    for (k, v) in &l.fields {
        t.insert(k.clone(), Value::String(v.clone()));
    }
    Value::Table(t)
}

#[cfg(test)]
mod tests;
