//! `logged = { node, event, FIELD = VALUE … }`: an event of that node and word, carrying those
//! fields, in the window. Fields are compared as text (a string's value, a number's digits, a
//! boolean's word). A failure names the nearest miss: the same event outside the window or
//! with other field values.

use super::Context;
use crate::check::evidence::{describe_event, in_window, indexed};
use crate::check::verdict::Judgement;
use crate::scenario::Logged;
use crate::trace::Event;

/// The event's fields as JSON, without `at_ms`, `node` and `event`.
fn fields(e: &Event) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(&e.kind) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    }
}

fn as_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The first written field the event lacks or carries with another value, as
/// `(key, value in the event)`.
pub(crate) fn mismatch(l: &Logged, e: &Event) -> Option<(String, String)> {
    let have = fields(e);
    l.fields.iter().find_map(|(k, want)| match have.get(k) {
        Some(v) if as_text(v) == *want => None,
        Some(v) => Some((k.clone(), as_text(v))),
        None => Some((k.clone(), "(absent)".into())),
    })
}

/// The events of the node with the word, with their indices.
pub(crate) fn candidates<'t>(
    cx: &'t Context<'_>,
    l: &'t Logged,
) -> impl Iterator<Item = (usize, &'t Event)> + 't {
    indexed(cx.trace).filter(move |(_, e)| {
        e.node == l.node && fields(e).get("event").map(as_text).as_deref() == Some(&l.event)
    })
}

/// Judges `logged …` over `w`.
pub fn judge(cx: &Context<'_>, l: &Logged, w: (u64, u64)) -> Judgement {
    let all: Vec<(usize, &Event)> = candidates(cx, l).collect();
    if let Some((i, e)) = all
        .iter()
        .find(|(_, e)| in_window(e, w) && mismatch(l, e).is_none())
    {
        return Judgement::held(
            format!("at {} ms: {} {}", e.at_ms, e.node, describe_event(e)),
            vec![*i],
        );
    }
    let near_in = all.iter().find(|(_, e)| in_window(e, w));
    let near_out = all.iter().find(|(_, e)| mismatch(l, e).is_none());
    let detail = match (near_in, near_out) {
        (Some((_, e)), _) => {
            let (k, got) = mismatch(l, e).unwrap_or_default();
            format!(
                "{} logged {} at {} ms, but with {k} = {got}",
                l.node, l.event, e.at_ms
            )
        }
        (None, Some((_, e))) => format!(
            "{} logged it at {} ms, outside {}..{} ms",
            l.node, e.at_ms, w.0, w.1
        ),
        (None, None) if all.is_empty() => format!("{} never logged {}", l.node, l.event),
        (None, None) => format!(
            "{} logged {} {} time(s), none with those fields and in {}..{} ms",
            l.node,
            l.event,
            all.len(),
            w.0,
            w.1
        ),
    };
    let excerpt = all.iter().take(3).map(|(_, e)| (*e).clone()).collect();
    Judgement::failed(detail, excerpt)
}
