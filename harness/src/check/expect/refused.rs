//! `refused = { from, to, port, class }`: a handshake between the two failed with that class
//! in the window, as either side recorded it. A failure names a refusal of another class, or
//! the last thing the dialler did.

use super::Context;
use crate::check::evidence::{in_window, indexed, last_words, related};
use crate::check::verdict::{Differs, Judgement, Miss};
use crate::tls::FailureClass;
use crate::trace::{Event, Kind};

/// Refused handshakes between `from` and `to` in the window (with their index and class), of
/// `class` when given, seen by either side (the listener names the dialler by application or
/// host).
pub fn refusals<'t>(
    cx: &Context<'t>,
    from: &str,
    to: &str,
    port: &Option<String>,
    class: Option<FailureClass>,
    w: (u64, u64),
) -> Vec<(usize, &'t Event, FailureClass)> {
    let t = &cx.scenario.topology;
    let host = t
        .app(from)
        .and_then(|a| t.host_of(a))
        .map(|h| h.name.value.clone())
        .unwrap_or_default();
    indexed(cx.trace)
        .filter_map(|(i, x)| match &x.kind {
            Kind::HandshakeFailed {
                peer,
                port: q,
                class: c,
                ..
            } if in_window(x, w)
                && class.is_none_or(|k| k == *c)
                && port.as_ref().is_none_or(|p| p == q)
                && ((x.node == from && peer == to)
                    || (x.node == to && (peer == from || *peer == host))) =>
            {
                Some((i, x, *c))
            }
            _ => None,
        })
        .collect()
}

/// Judges `from -> to refused as class` over `w`.
pub fn judge(
    cx: &Context<'_>,
    from: &str,
    to: &str,
    port: &Option<String>,
    class: FailureClass,
    w: (u64, u64),
) -> Judgement {
    if let Some((i, x, _)) = refusals(cx, from, to, port, Some(class), w).first() {
        return Judgement::held(
            format!("{} recorded {class} at {} ms", x.node, x.at_ms),
            vec![*i],
        );
    }
    let excerpt = related(cx.trace, from, to, w);
    let other = refusals(cx, from, to, port, None, w);
    match other.first() {
        Some((i, x, got)) => Judgement::failed(
            format!(
                "refused at {} ms, but as {got} (recorded by {})",
                x.at_ms, x.node
            ),
            excerpt,
        )
        .with_miss(Some(Miss {
            at_ms: x.at_ms,
            differs: Differs::Class { got: *got },
            events: vec![*i],
        })),
        None => Judgement::failed(last_words(cx.trace, from, to, w), excerpt),
    }
}
