//! `served = { client, by }`: the server acknowledged one of the client's requests in the
//! window. A failure names who served the client instead, or when the server last did.

use super::Context;
use crate::check::evidence::{indexed, related};
use crate::check::verdict::{Differs, Judgement, Miss};
use crate::trace::{Kind, Trace};

/// One acknowledgement the client received.
struct Ack<'t> {
    /// Its event's index in the trace.
    index: usize,
    /// When (ms).
    at_ms: u64,
    /// The server that sent it.
    by: &'t str,
}

/// The client's acknowledged requests, by `server` when given.
fn acknowledged<'t>(
    trace: &'t Trace,
    client: &'t str,
    server: Option<&'t str>,
) -> impl Iterator<Item = Ack<'t>> + 't {
    indexed(trace).filter_map(move |(index, x)| match &x.kind {
        Kind::Acknowledged { by, .. } if x.node == client && server.is_none_or(|s| s == by) => {
            Some(Ack {
                index,
                at_ms: x.at_ms,
                by,
            })
        }
        _ => None,
    })
}

/// Judges `client served by by` over `w`.
pub fn judge(cx: &Context<'_>, client: &str, by: &str, w: (u64, u64)) -> Judgement {
    let trace = cx.trace;
    let inside = |a: &Ack<'_>| a.at_ms >= w.0 && a.at_ms <= w.1;
    let by_server: Vec<Ack<'_>> = acknowledged(trace, client, Some(by)).collect();
    if let Some(a) = by_server.iter().find(|a| inside(a)) {
        return Judgement::held(
            format!("{by} acknowledged a request at {} ms", a.at_ms),
            vec![a.index],
        );
    }
    let excerpt = related(trace, client, by, w);
    let other = acknowledged(trace, client, None).filter(inside).last();
    match (other, by_server.last()) {
        (Some(a), _) => Judgement::failed(
            format!(
                "in the window {client} was served by {} (last at {} ms), not by {by}",
                a.by, a.at_ms
            ),
            excerpt,
        )
        .with_miss(Some(Miss {
            at_ms: a.at_ms,
            differs: Differs::Server {
                got: a.by.to_string(),
            },
            events: vec![a.index],
        })),
        (None, Some(a)) => Judgement::failed(
            format!(
                "{by} last acknowledged a request of {client} at {} ms, outside {}..{} ms",
                a.at_ms, w.0, w.1
            ),
            excerpt,
        )
        .with_miss(Some(Miss {
            at_ms: a.at_ms,
            differs: Differs::Outside,
            events: vec![a.index],
        })),
        (None, None) => Judgement::failed(
            format!("{by} never acknowledged a request of {client}"),
            excerpt,
        ),
    }
}
