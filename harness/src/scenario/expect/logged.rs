//! `logged = { node, event, FIELD = VALUE … }`: an event of the trace, named by who logged it,
//! its event word and any of its fields, for the events no typed expectation covers (an ADDP
//! poll, a flapping pair, a readiness change). Decoding checks the node and the event word
//! against what a run can log, with a did-you-mean; fields are compared as text.

use crate::diag::{Problem, Sp, closest};
use crate::topology::Topology;
use crate::topology::reader::{Reader, Value, entries};
use crate::trace::EVENT_WORDS;

/// An event to look for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    /// Who logged it: an application, `scs`, `lca@HOST` (a host key), `sim` or `switch` (Step 9).
    pub node: String,
    /// Its event word (`addp-poll`, `switchover`, …).
    pub event: String,
    /// Fields it must carry, with their values as text (`reason = "timed-out"`), in file order.
    pub fields: Vec<(String, String)>,
}

impl std::fmt::Display for Logged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} logged {}", self.node, self.event)?;
        for (k, v) in &self.fields {
            write!(f, " {k}={v}")?;
        }
        Ok(())
    }
}

/// Decodes the value of a `logged` check (also `never = { logged = … }`).
pub(in crate::scenario) fn decode(
    r: &mut Reader,
    v: &Value<'_>,
    topo: &Topology,
) -> Option<Logged> {
    let t = r.table(v, "logged")?;
    let node = r.required_string(t, "node", v.span().into(), "`logged`");
    let event = r.required_string(t, "event", v.span().into(), "`logged`");
    let (Some(node), Some(event)) = (node, event) else {
        return None;
    };
    let node_ok = known_node(r, &node, topo);
    let event_ok = known_event(r, &event);
    let mut fields = Vec::new();
    for (k, v) in entries(t) {
        if k.value == "node" || k.value == "event" {
            continue;
        }
        if let Some(text) = r.scalar_text(v, &k.value) {
            fields.push((k.value.clone(), text.value));
        }
    }
    (node_ok && event_ok).then_some(Logged {
        node: node.value,
        event: event.value,
        fields,
    })
}

/// Whether `node` can log anything: an application, `scs`, `sim`, `switch` or `lca@HOST`.
fn known_node(r: &mut Reader, node: &Sp<String>, topo: &Topology) -> bool {
    let mut names: Vec<String> = topo.apps.iter().map(|a| a.name.value.clone()).collect();
    names.extend(topo.hosts.iter().map(|h| format!("lca@{}", h.key.value)));
    names.push("scs".into());
    names.push("sim".into());
    names.push("switch".into());
    if names.contains(&node.value) {
        return true;
    }
    let hint = closest(&node.value, names.iter().map(String::as_str))
        .map_or_else(String::new, |c| format!(" (did you mean `{c}`?)"));
    r.push(Problem::new(
        "unknown-name",
        node.span,
        format!(
            "no node `{}` logs events: an application, `scs`, `lca@HOST`, `sim` or `switch`{hint}",
            crate::limits::quoted(&node.value)
        ),
    ));
    false
}

/// Whether `event` is an event word a run can log.
fn known_event(r: &mut Reader, event: &Sp<String>) -> bool {
    if EVENT_WORDS.contains(&event.value.as_str()) {
        return true;
    }
    let hint = closest(&event.value, EVENT_WORDS.iter().copied())
        .map_or_else(String::new, |c| format!(" (did you mean `{c}`?)"));
    r.push(Problem::new(
        "unknown-name",
        event.span,
        format!(
            "`{}` is not an event hapair logs{hint}",
            crate::limits::quoted(&event.value)
        ),
    ));
    false
}
