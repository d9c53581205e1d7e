//! `ha-synced = { primary, backup, port, tls }`: the backup finished a full
//! resynchronisation from the primary, on a link up at some instant of the window.

use super::Context;
use crate::check::evidence::{last_words, related};
use crate::check::session::{Session, Want, sessions};
use crate::check::verdict::{Judgement, Miss};
use crate::scenario::TlsExpect;

/// Judges `backup resynchronised from primary` over `w`.
pub fn judge(
    cx: &Context<'_>,
    primary: &str,
    backup: &str,
    port: &Option<String>,
    tls: &Option<TlsExpect>,
    w: (u64, u64),
) -> Judgement {
    let want = Want::new(port, tls, None);
    let all = sessions(cx.trace);
    let found: Vec<&Session> = all
        .iter()
        .filter(|s| s.from == backup && s.to == primary)
        .collect();
    let synced_in =
        |s: &Session| s.synced.is_some_and(|t| t <= w.1) && s.closed.is_none_or(|c| c >= w.0);
    if let Some(s) = found
        .iter()
        .find(|s| synced_in(s) && want.miss(s).is_none())
    {
        return Judgement::held(
            format!(
                "resynchronised at {} ms on a link opened at {} ms",
                s.synced.unwrap_or_default(),
                s.opened
            ),
            s.events(),
        );
    }
    let excerpt = related(cx.trace, backup, primary, w);
    if let Some((s, differs)) = found
        .iter()
        .filter(|s| synced_in(s))
        .find_map(|s| want.miss(s).map(|d| (s, d)))
    {
        let at_ms = s.synced.unwrap_or_default();
        return Judgement::failed(
            format!("resynchronised at {at_ms} ms, but {differs}"),
            excerpt,
        )
        .with_miss(Some(Miss {
            at_ms,
            differs,
            events: s.events(),
        }));
    }
    if let Some(s) = found.iter().find(|s| s.up_during(w)) {
        return Judgement::failed(
            format!(
                "the HA link was up from {} ms, but the resync never finished",
                s.opened
            ),
            excerpt,
        )
        .with_evidence(s.events());
    }
    Judgement::failed(last_words(cx.trace, backup, primary, w), excerpt)
}
