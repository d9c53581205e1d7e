//! Expectations on how a link died: `connect-failed = { from, to, port, reason }` (a dial
//! failed, with that reason: `timed-out`, `refused`, `reset`, …) and
//! `disconnected = { app, peer, port, reason }` (a session ended as the application saw it:
//! `reset`, `peer-closed`, `addp-timeout`, …). Judging them is `check/expect/link.rs`'s.

use std::fmt;

use toml::de::DeValue;

use super::{app, port_of};
use crate::topology::Topology;
use crate::topology::reader::{Reader, Table, Value};
use crate::trace::{DialError, DisconnectReason};

/// How a link died, as an expectation names it.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkDeath {
    /// `connect-failed = { from, to, port, reason }`: a dial from `from` to `to` failed in the
    /// window (with that reason, when given).
    ConnectFailed {
        /// Dialler.
        from: String,
        /// Listener.
        to: String,
        /// Port ID (any when absent).
        port: Option<String>,
        /// Why (any when absent).
        reason: Option<DialError>,
    },
    /// `disconnected = { app, peer, port, reason }`: a session of `app` with `peer` ended in
    /// the window, as `app` recorded it (with that reason, when given). The port is the
    /// listener's, whichever of the two listens.
    Disconnected {
        /// The application that saw the session end.
        app: String,
        /// The other end.
        peer: String,
        /// Port ID (any when absent).
        port: Option<String>,
        /// Why (any when absent).
        reason: Option<DisconnectReason>,
    },
}

/// The check keys of link deaths.
pub const KEYS: [&str; 2] = ["connect-failed", "disconnected"];

impl LinkDeath {
    /// Its check key.
    pub fn key(&self) -> &'static str {
        match self {
            LinkDeath::ConnectFailed { .. } => "connect-failed",
            LinkDeath::Disconnected { .. } => "disconnected",
        }
    }

    /// The reason wanted, in the trace's words.
    pub fn reason(&self) -> Option<String> {
        match self {
            LinkDeath::ConnectFailed { reason, .. } => reason.map(|r| r.to_string()),
            LinkDeath::Disconnected { reason, .. } => reason.map(|r| r.to_string()),
        }
    }
}

impl fmt::Display for LinkDeath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let port = match self {
            LinkDeath::ConnectFailed { from, to, port, .. } => {
                write!(f, "{from} -> {to} connect failed")?;
                port
            }
            LinkDeath::Disconnected {
                app, peer, port, ..
            } => {
                write!(f, "{app}'s session with {peer} ended")?;
                port
            }
        };
        if let Some(p) = port {
            write!(f, " on port {p}")?;
        }
        match self.reason() {
            Some(r) => write!(f, " as {r}"),
            None => Ok(()),
        }
    }
}

/// Every session-end reason with its words, for decoding.
fn disconnect_reasons() -> Vec<(DisconnectReason, &'static str)> {
    let mut all: Vec<(DisconnectReason, &'static str)> = crate::tls::FailureClass::ALL
        .iter()
        .map(|(c, n)| (DisconnectReason::Failed(*c), *n))
        .collect();
    all.extend([
        (DisconnectReason::Closed, "closed"),
        (DisconnectReason::AddpTimeout, "addp-timeout"),
        (DisconnectReason::PeerIsBackup, "peer is backup"),
        (DisconnectReason::Demoted, "demoted"),
    ]);
    all
}

/// Decodes `connect-failed` or `disconnected` (`kind`) from its value `v`.
pub(super) fn decode(r: &mut Reader, v: &Value<'_>, t: &Topology, kind: &str) -> Option<LinkDeath> {
    let i = r.table(v, kind)?;
    if kind == "connect-failed" {
        r.keys(i, &["from", "to", "port", "reason"], "`connect-failed`");
        let to = app(r, i, "to", t)?;
        let dial: Vec<(DialError, &str)> =
            DialError::ALL.iter().map(|e| (*e, e.as_str())).collect();
        Some(LinkDeath::ConnectFailed {
            from: app(r, i, "from", t)?,
            port: port_of(r, i, t, &to),
            to,
            reason: reason(r, i, &dial)?,
        })
    } else {
        r.keys(i, &["app", "peer", "port", "reason"], "`disconnected`");
        let a = app(r, i, "app", t)?;
        let peer = app(r, i, "peer", t)?;
        // The port is the listener's: the application's own, or else its peer's.
        let named = i.get("port").and_then(|v| match v.get_ref() {
            DeValue::String(p) => Some(p.to_string()),
            _ => None,
        });
        let own = named.is_some_and(|p| t.app(&a).is_some_and(|x| x.port(&p).is_some()));
        Some(LinkDeath::Disconnected {
            port: port_of(r, i, t, if own { &a } else { &peer }),
            peer,
            app: a,
            reason: reason(r, i, &disconnect_reasons())?,
        })
    }
}

/// An optional `reason`: `Some(None)` when absent, `None` when it names nothing hapair writes
/// (a located error).
fn reason<T: Copy>(r: &mut Reader, i: &Table<'_>, choices: &[(T, &str)]) -> Option<Option<T>> {
    if i.get("reason").is_none() {
        return Some(None);
    }
    r.choice(i, "reason", choices).map(|c| Some(c.value))
}
