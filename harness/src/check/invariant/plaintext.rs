//! No plaintext session on a secured port (`[invariants] no-plaintext`): a listener that
//! read plain-protocol bytes on a port whose mode is `secured`.

use crate::check::evidence::indexed;
use crate::check::verdict::{Judged, LIST_BOUND, Verdict, VerdictKind};
use crate::topology::ListenMode;
use crate::trace::{Event, Kind, Trace};

/// The verdict over the whole run.
pub fn judge(trace: &Trace, end: u64) -> Verdict {
    let bad: Vec<(usize, &Event)> = indexed(trace)
        .filter(|(_, e)| {
            matches!(
                &e.kind,
                Kind::PlainSession {
                    mode: ListenMode::Secured,
                    ..
                }
            )
        })
        .collect();
    Verdict {
        kind: VerdictKind::Invariant,
        what: "no plaintext session on a secured port".into(),
        held: bad.is_empty(),
        judged: Judged::Window(0, end),
        evidence: bad.iter().take(LIST_BOUND).map(|(i, _)| *i).collect(),
        miss: None,
        detail: format!("{} plain session(s) on secured ports", bad.len()),
        line: None,
        excerpt: bad.into_iter().map(|(_, e)| e.clone()).collect(),
    }
}
