//! Judging the expectations about sessions, over the sessions the trace shows
//! ([`crate::check::sessions`]):
//! - `connected`: a matching session is up at some instant of the window, however old;
//! - `established`: a matching session opened in the window;
//! - `reconnected`: a matching session opened in the window after the previous session
//!   between the two dropped;
//! - `ha-synced`: the backup finished a full resynchronisation on a link that is up at some
//!   instant of the window;
//! - `served`: the server acknowledged one of the client's requests in the window.
//!
//! A failure names the nearest miss: a session at the right time with the wrong port, TLS
//! version or certificate subject, or the right session at the wrong time.

use super::verdict::{Judged, in_window, last_words, related, tls_ok};
use super::{Check, Scenario, TlsExpect};
use crate::check::{Session, sessions, subject_matches};
use crate::trace::{Kind, Trace};

/// What a session must be.
struct Want<'a> {
    port: &'a Option<String>,
    tls: &'a Option<TlsExpect>,
    peer: Option<&'a str>,
}

impl Want<'_> {
    /// Why `s` is not the session wanted, or `None` when it is.
    fn miss(&self, s: &Session) -> Option<String> {
        if let Some(p) = self.port.as_ref().filter(|p| **p != s.port) {
            return Some(format!("on port `{}`, not `{p}`", s.port));
        }
        let wants_tls = match self.tls {
            Some(TlsExpect::On(on)) => *on,
            Some(TlsExpect::Version(_)) => true,
            None => self.peer.is_some(),
        };
        if (self.tls.is_some() || self.peer.is_some())
            && (!tls_ok(self.tls, s.tls, s.version.as_deref()) || (wants_tls && !s.tls))
        {
            {
                return Some(match (&s.tls, &s.version) {
                    (false, _) => "in plain text (TLS off)".to_string(),
                    (true, Some(v)) if !wants_tls => format!("under TLS {v}, not plain"),
                    (true, v) => format!("under TLS {}", v.as_deref().unwrap_or("?")),
                });
            }
        }
        if let Some(want) = self.peer {
            match &s.subject {
                Some(got) if subject_matches(want, got) => {}
                Some(got) => return Some(format!("peer subject was `{got}`, not `{want}`")),
                None => return Some("the peer sent no certificate".to_string()),
            }
        }
        None
    }
}

/// Judges one session expectation.
pub(super) fn judge(_s: &Scenario, check: &Check, trace: &Trace, w: (u64, u64)) -> Judged {
    let all = sessions(trace);
    let between = |from: &str, to: &str| -> Vec<&Session> {
        all.iter()
            .filter(|s| s.from == from && s.to == to)
            .collect()
    };
    match check {
        Check::Connected {
            from,
            to,
            port,
            tls,
            peer,
        }
        | Check::Established {
            from,
            to,
            port,
            tls,
            peer,
        } => {
            // `established` asks for a session opened in the window, `connected` for one up
            // at some instant of it.
            let fresh = matches!(check, Check::Established { .. });
            let want = Want {
                port,
                tls,
                peer: peer.as_deref(),
            };
            let found = between(from, to);
            let timely = |s: &Session| {
                if fresh {
                    s.opened >= w.0 && s.opened <= w.1
                } else {
                    s.up_during(w)
                }
            };
            match found.iter().find(|s| timely(s) && want.miss(s).is_none()) {
                Some(s) if fresh => (true, format!("new session at {} ms", s.opened), Vec::new()),
                Some(s) => (
                    true,
                    format!("session up, opened at {} ms", s.opened),
                    Vec::new(),
                ),
                None => (
                    false,
                    nearest(&found, &want, w, timely)
                        .unwrap_or_else(|| last_words(trace, from, to, w)),
                    related(trace, from, to, w),
                ),
            }
        }
        Check::Reconnected {
            client,
            to,
            port,
            tls,
        } => {
            let want = Want {
                port,
                tls,
                peer: None,
            };
            let found = between(client, to);
            let after_drop = |s: &Session| {
                found
                    .iter()
                    .any(|p| p.opened < s.opened && p.closed.is_some_and(|c| c <= s.opened))
            };
            let fresh = |s: &Session| s.opened >= w.0 && s.opened <= w.1;
            if let Some(s) = found
                .iter()
                .find(|s| fresh(s) && after_drop(s) && want.miss(s).is_none())
            {
                let dropped = found
                    .iter()
                    .filter_map(|p| p.closed.filter(|c| *c <= s.opened))
                    .max()
                    .unwrap_or_default();
                return (
                    true,
                    format!(
                        "new session at {} ms after the previous one dropped at {dropped} ms",
                        s.opened
                    ),
                    Vec::new(),
                );
            }
            let detail = if let Some(s) = found.iter().find(|s| fresh(s) && !after_drop(s)) {
                format!(
                    "a session opened at {} ms, but it is the first: nothing dropped before it",
                    s.opened
                )
            } else if let Some(s) = found
                .iter()
                .find(|s| s.up_during(w) && s.opened < w.0 && want.miss(s).is_none())
            {
                format!(
                    "{client} kept its session to {to} from {} ms through the window: it never \
                     dropped, so it did not reconnect (`connected` or `served` say that)",
                    s.opened
                )
            } else {
                nearest(&found, &want, w, fresh).unwrap_or_else(|| last_words(trace, client, to, w))
            };
            (false, detail, related(trace, client, to, w))
        }
        Check::HaSynced {
            primary,
            backup,
            port,
            tls,
        } => {
            let want = Want {
                port,
                tls,
                peer: None,
            };
            let found = between(backup, primary);
            let synced_in = |s: &Session| {
                s.synced.is_some_and(|t| t <= w.1) && s.closed.is_none_or(|c| c >= w.0)
            };
            match found
                .iter()
                .find(|s| synced_in(s) && want.miss(s).is_none())
            {
                Some(s) => (
                    true,
                    format!(
                        "resynchronised at {} ms on a link opened at {} ms",
                        s.synced.unwrap_or_default(),
                        s.opened
                    ),
                    Vec::new(),
                ),
                None => {
                    let detail = if let Some(s) = found.iter().find(|s| synced_in(s)) {
                        format!(
                            "resynchronised at {} ms, but {}",
                            s.synced.unwrap_or_default(),
                            want.miss(s).unwrap_or_default()
                        )
                    } else if let Some(s) = found.iter().find(|s| s.up_during(w)) {
                        format!(
                            "the HA link was up from {} ms, but the resync never finished",
                            s.opened
                        )
                    } else {
                        last_words(trace, backup, primary, w)
                    };
                    (false, detail, related(trace, backup, primary, w))
                }
            }
        }
        Check::Served { client, by } => served(trace, client, by, w),
        _ => (false, "not a session expectation".into(), Vec::new()),
    }
}

/// The nearest miss among `found`: a session at the right time that differs (which way), or
/// the right session at another time.
fn nearest(
    found: &[&Session],
    want: &Want<'_>,
    w: (u64, u64),
    timely: impl Fn(&Session) -> bool,
) -> Option<String> {
    if let Some((s, why)) = found
        .iter()
        .filter(|s| timely(s))
        .find_map(|s| want.miss(s).map(|why| (s, why)))
    {
        return Some(format!("connected at {} ms, but {why}", s.opened));
    }
    let right: Vec<&&Session> = found.iter().filter(|s| want.miss(s).is_none()).collect();
    let closest = right.iter().min_by_key(|s| {
        let end = s.closed.unwrap_or(u64::MAX);
        if end < w.0 {
            w.0.saturating_sub(end)
        } else {
            s.opened.saturating_sub(w.1)
        }
    })?;
    Some(match closest.closed {
        _ if closest.opened > w.1 => format!(
            "a matching session opened only at {} ms, after {} ms",
            closest.opened, w.1
        ),
        Some(c) if c < w.0 => format!(
            "a matching session was up from {} to {c} ms, before {} ms",
            closest.opened, w.0
        ),
        _ => format!(
            "a matching session was up during the window, but it opened at {} ms, before {} ms",
            closest.opened, w.0
        ),
    })
}

/// The client's acknowledged requests, by `server` when given.
fn acknowledged<'t>(
    trace: &'t Trace,
    client: &'t str,
    server: Option<&'t str>,
) -> impl Iterator<Item = &'t crate::trace::Event> + 't {
    trace.events.iter().filter(move |x| {
        x.node == client
            && matches!(&x.kind, Kind::Acknowledged { by: b, .. } if server.is_none_or(|s| s == b))
    })
}

fn served<'t>(trace: &'t Trace, client: &'t str, by: &'t str, w: (u64, u64)) -> Judged {
    let acks = |server: Option<&'t str>| acknowledged(trace, client, server);
    if let Some(x) = acks(Some(by)).find(|x| in_window(x, w)) {
        return (
            true,
            format!("{by} acknowledged a request at {} ms", x.at_ms),
            Vec::new(),
        );
    }
    let detail = match (
        acks(None).filter(|x| in_window(x, w)).last(),
        acks(Some(by)).last(),
    ) {
        (Some(x), _) => match &x.kind {
            Kind::Acknowledged { by: other, .. } => format!(
                "in the window {client} was served by {other} (last at {} ms), not by {by}",
                x.at_ms
            ),
            _ => String::new(),
        },
        (None, Some(x)) => format!(
            "{by} last acknowledged a request of {client} at {} ms, outside {}..{} ms",
            x.at_ms, w.0, w.1
        ),
        (None, None) => format!("{by} never acknowledged a request of {client}"),
    };
    (false, detail, related(trace, client, by, w))
}
