//! Decoding the `calls` step (Step 9, source): `calls = { source = "ts_primary", count = 1000,
//! rate = "50/s", agents = 20, keys = 2 }`. The source must be an application of a data-source
//! type (T-Server, SIP Server, Interaction Server); every number is checked against its bound
//! in `limits.rs`, each with its own location.

use super::super::names::app_ref;
use crate::diag::{Problem, Sp, Span};
use crate::fault::{AppRef, CALL_RATE, Calls, Fault, call_rate};
use crate::limits::{MAX_CALL_AGENTS, MAX_CALL_KEYS, MAX_CALLS};
use crate::topology::Topology;
use crate::topology::reader::{Reader, Value};

/// `calls = { source, count, rate, agents, keys }`.
pub(super) fn calls(r: &mut Reader, v: &Value<'_>, t: &Topology) -> Option<Fault> {
    let inner = r.table(v, "calls")?;
    r.keys(
        inner,
        &["source", "count", "rate", "agents", "keys"],
        "`calls`",
    );
    let at: Span = v.span().into();
    let source = r.required_string(inner, "source", at, "`calls`");
    let source = source.and_then(|s| data_source(r, t, s));
    let count = match r.integer(inner, "count") {
        Some(n) => bounded(r, n, 1, MAX_CALLS, "`count` is how many calls"),
        None => {
            if inner.get("count").is_none() {
                r.push(
                    Problem::new("missing-key", at, "`calls` has no `count`")
                        .help("e.g. count = 1000"),
                );
            }
            None
        }
    };
    let agents = match r.integer(inner, "agents") {
        Some(n) => bounded(r, n, 1, MAX_CALL_AGENTS, "`agents` is how many agents"),
        None if inner.get("agents").is_none() => Some(Calls::AGENTS),
        None => None,
    };
    let keys = match r.integer(inner, "keys") {
        Some(n) => bounded(
            r,
            n,
            0,
            MAX_CALL_KEYS,
            "`keys` is how many attached-data keys per call",
        ),
        None if inner.get("keys").is_none() => Some(Calls::KEYS),
        None => None,
    };
    let rate = r
        .required_string(inner, "rate", at, "`calls`")
        .and_then(|rate| match call_rate(&rate.value) {
            Some(x) => Some(x),
            None => {
                r.push(Problem::new("bad-value", rate.span, CALL_RATE));
                None
            }
        });
    Some(Fault::Calls(Calls {
        source: source?,
        count: count?,
        rate: rate?,
        agents: agents?,
        keys: keys?,
    }))
}

/// An application of a data-source type, named by the step.
fn data_source(r: &mut Reader, t: &Topology, name: Sp<String>) -> Option<AppRef> {
    let span = name.span;
    let app = app_ref(r, t, name)?;
    let kind = t.app(&app).map(|a| a.kind.value)?;
    if kind.is_icon_source() {
        return Some(AppRef::new(app));
    }
    r.push(
        Problem::new(
            "bad-value",
            span,
            format!("`{app}` is not a data source: calls come through a T-Server, SIP Server or Interaction Server"),
        )
        .help("name an application of the pair whose events the ICONs store"),
    );
    None
}

/// `n` within `min..=max`, else a located problem.
fn bounded(r: &mut Reader, n: Sp<i64>, min: u64, max: u64, what: &str) -> Option<u64> {
    match u64::try_from(n.value) {
        Ok(x) if (min..=max).contains(&x) => Some(x),
        _ => {
            r.push(Problem::new(
                "bad-value",
                n.span,
                format!("{what}, {min} to {max}, not {}", n.value),
            ));
            None
        }
    }
}
