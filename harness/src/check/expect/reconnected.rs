//! `reconnected = { client, to, port, tls }`: a matching session opened in the window after
//! the previous session between the two dropped. A session kept through the window, or the
//! first session of all, is no reconnection (and the failure says so). A client of a pair
//! reconnects to the pair: its previous session may have been to the other server (a
//! warm-standby client holds one session at a time).

use super::Context;
use crate::check::evidence::{last_words, related};
use crate::check::session::{Session, Want, sessions};
use crate::check::verdict::Judgement;
use crate::scenario::TlsExpect;

/// Judges `client reconnected to to` over `w`.
pub fn judge(
    cx: &Context<'_>,
    client: &str,
    to: &str,
    port: &Option<String>,
    tls: &Option<TlsExpect>,
    w: (u64, u64),
) -> Judgement {
    let want = Want::new(port, tls, None);
    let all = sessions(cx.trace);
    let found: Vec<&Session> = all
        .iter()
        .filter(|s| s.from == client && s.to == to)
        .collect();
    // The sessions to either server of `to`'s pair are the client's earlier ones too.
    let partner = cx.scenario.topology.pair_of(to).map(|p| {
        if p.primary.name.value == to {
            p.backup.name.value.clone()
        } else {
            p.primary.name.value.clone()
        }
    });
    let earlier: Vec<&Session> = all
        .iter()
        .filter(|s| s.from == client && (s.to == to || partner.as_deref() == Some(&s.to)))
        .collect();
    let after_drop = |s: &Session| {
        earlier
            .iter()
            .any(|p| p.opened < s.opened && p.closed.is_some_and(|c| c <= s.opened))
    };
    let fresh = |s: &Session| s.opened >= w.0 && s.opened <= w.1;
    if let Some(s) = found
        .iter()
        .find(|s| fresh(s) && after_drop(s) && want.miss(s).is_none())
    {
        let dropped = earlier
            .iter()
            .filter(|p| p.closed.is_some_and(|c| c <= s.opened))
            .max_by_key(|p| p.closed);
        let mut evidence: Vec<usize> = dropped.and_then(|p| p.closed_event).into_iter().collect();
        evidence.push(s.opened_event);
        return Judgement::held(
            format!(
                "new session at {} ms after the previous one dropped at {} ms",
                s.opened,
                dropped.and_then(|p| p.closed).unwrap_or_default()
            ),
            evidence,
        );
    }
    let excerpt = related(cx.trace, client, to, w);
    if let Some(s) = found.iter().find(|s| fresh(s) && !after_drop(s)) {
        return Judgement::failed(
            format!(
                "a session opened at {} ms, but it is the first: nothing dropped before it",
                s.opened
            ),
            excerpt,
        )
        .with_evidence(s.events());
    }
    if let Some(s) = found
        .iter()
        .find(|s| s.up_during(w) && s.opened < w.0 && want.miss(s).is_none())
    {
        return Judgement::failed(
            format!(
                "{client} kept its session to {to} from {} ms through the window: it never \
                 dropped, so it did not reconnect (`connected` or `served` say that)",
                s.opened
            ),
            excerpt,
        )
        .with_evidence(s.events());
    }
    match want.nearest(&found, w, fresh) {
        Some((detail, miss)) => Judgement::failed(detail, excerpt).with_miss(Some(miss)),
        None => Judgement::failed(last_words(cx.trace, client, to, w), excerpt),
    }
}
