//! `connected = { from, to, port, tls, peer }`: a matching session from the dialler to the
//! listener is up at some instant of the window, however old; `established = { … }`: a
//! matching session opened in the window. A failure names the nearest miss: a session at the
//! right time with the wrong port, TLS version or certificate subject, or the right session at
//! the wrong time.

use super::Context;
use crate::check::evidence::{last_words, related};
use crate::check::session::{Session, Want, sessions};
use crate::check::verdict::Judgement;

/// Which session an expectation asks for in the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wanted {
    /// `connected`: one up at some instant of it, however old.
    Up,
    /// `established`: one opened in it.
    Opened,
}

/// Judges a `connected` or an `established` expectation from `from` to `to` over `w`.
pub fn judge(
    cx: &Context<'_>,
    wanted: Wanted,
    from: &str,
    to: &str,
    want: &Want<'_>,
    w: (u64, u64),
) -> Judgement {
    let all = sessions(cx.trace);
    let found: Vec<&Session> = all
        .iter()
        .filter(|s| s.from == from && s.to == to)
        .collect();
    let timely = |s: &Session| match wanted {
        Wanted::Opened => s.opened >= w.0 && s.opened <= w.1,
        Wanted::Up => s.up_during(w),
    };
    match found.iter().find(|s| timely(s) && want.miss(s).is_none()) {
        Some(s) if wanted == Wanted::Opened => {
            Judgement::held(format!("new session at {} ms", s.opened), s.events())
        }
        Some(s) => Judgement::held(format!("session up, opened at {} ms", s.opened), s.events()),
        None => {
            let excerpt = related(cx.trace, from, to, w);
            match want.nearest(&found, w, timely) {
                Some((detail, miss)) => Judgement::failed(detail, excerpt).with_miss(Some(miss)),
                None => Judgement::failed(last_words(cx.trace, from, to, w), excerpt),
            }
        }
    }
}
