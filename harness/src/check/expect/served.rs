//! `served = { client, by }`: the server acknowledged one of the client's requests in the
//! window. A failure names who served the client instead, or when the server last did.

use super::Context;
use crate::check::evidence::{in_window, indexed, related};
use crate::check::verdict::{Differs, Judgement, Miss};
use crate::trace::{Event, Kind, Trace};

/// The client's acknowledged requests (with their index), by `server` when given.
fn acknowledged<'t>(
    trace: &'t Trace,
    client: &'t str,
    server: Option<&'t str>,
) -> impl Iterator<Item = (usize, &'t Event)> + 't {
    indexed(trace).filter(move |(_, x)| {
        x.node == client
            && matches!(&x.kind, Kind::Acknowledged { by: b, .. } if server.is_none_or(|s| s == b))
    })
}

/// Judges `client served by by` over `w`.
pub fn judge(cx: &Context<'_>, client: &str, by: &str, w: (u64, u64)) -> Judgement {
    let trace = cx.trace;
    let by_server: Vec<(usize, &Event)> = acknowledged(trace, client, Some(by)).collect();
    if let Some((i, x)) = by_server.iter().find(|(_, x)| in_window(x, w)) {
        return Judgement::held(
            format!("{by} acknowledged a request at {} ms", x.at_ms),
            vec![*i],
        );
    }
    let excerpt = related(trace, client, by, w);
    let other = acknowledged(trace, client, None)
        .filter(|(_, x)| in_window(x, w))
        .last();
    match (other, by_server.last()) {
        (Some((i, x)), _) => {
            let Kind::Acknowledged { by: got, .. } = &x.kind else {
                return Judgement::failed(String::new(), excerpt);
            };
            Judgement::failed(
                format!(
                    "in the window {client} was served by {got} (last at {} ms), not by {by}",
                    x.at_ms
                ),
                excerpt,
            )
            .with_miss(Some(Miss {
                at_ms: x.at_ms,
                differs: Differs::Server { got: got.clone() },
                events: vec![i],
            }))
        }
        (None, Some((i, x))) => Judgement::failed(
            format!(
                "{by} last acknowledged a request of {client} at {} ms, outside {}..{} ms",
                x.at_ms, w.0, w.1
            ),
            excerpt,
        )
        .with_miss(Some(Miss {
            at_ms: x.at_ms,
            differs: Differs::Outside,
            events: vec![*i],
        })),
        (None, None) => Judgement::failed(
            format!("{by} never acknowledged a request of {client}"),
            excerpt,
        ),
    }
}
