//! Sessions over time, as the dialler saw them: when each opened (after its handshake, if
//! any, and registration), with which TLS version and peer certificate, on which port, and
//! when it closed (a disconnect, or the dialler's process stopping). Expectations about
//! connections read these instead of single events, so that "connected in a window" means a
//! session was up at some instant of it, however old.

use crate::trace::{Kind, Trace};

/// One session from a dialler to a listener.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The dialling application.
    pub from: String,
    /// The application dialled.
    pub to: String,
    /// Port ID.
    pub port: String,
    /// Under TLS.
    pub tls: bool,
    /// TLS version (`1.2`, `1.3`), when under TLS.
    pub version: Option<String>,
    /// Subject of the listener's certificate, when under TLS.
    pub subject: Option<String>,
    /// When it was established (ms).
    pub opened: u64,
    /// When it ended (ms); `None`: still up at the end of the run.
    pub closed: Option<u64>,
    /// When the HA link on it finished a full resynchronisation (the backup's view).
    pub synced: Option<u64>,
}

impl Session {
    /// Whether it was up at some instant of `[a, b]`.
    pub fn up_during(&self, (a, b): (u64, u64)) -> bool {
        self.opened <= b && self.closed.is_none_or(|c| c >= a)
    }
}

/// Every session in the trace, in the order they opened.
pub fn sessions(trace: &Trace) -> Vec<Session> {
    let mut out: Vec<Session> = Vec::new();
    // Dials under way: (dialler, target, port). A `connected` with no dial behind it is the
    // listener's view of a session, which is not counted twice.
    let mut dials: Vec<(String, String, String)> = Vec::new();
    // Per dialler: the last completed handshake towards (peer, port), waiting for its session.
    let mut handshakes: Vec<(String, String, String, String, Option<String>)> = Vec::new();
    for e in &trace.events {
        match &e.kind {
            Kind::ConnectAttempt { to, port, .. } => {
                let dial = (e.node.clone(), to.clone(), port.clone());
                if !dials.contains(&dial) {
                    dials.push(dial);
                }
            }
            Kind::HandshakeOk {
                peer,
                port,
                version,
                peer_subject,
                ..
            } => {
                handshakes.retain(|h| !(h.0 == e.node && h.1 == *peer && h.2 == *port));
                handshakes.push((
                    e.node.clone(),
                    peer.clone(),
                    port.clone(),
                    version.clone(),
                    peer_subject.clone(),
                ));
            }
            Kind::Connected {
                peer, port, tls, ..
            } => {
                let Some(d) = dials
                    .iter()
                    .position(|d| d.0 == e.node && d.1 == *peer && d.2 == *port)
                else {
                    continue;
                };
                dials.remove(d);
                let hs = handshakes
                    .iter()
                    .position(|h| h.0 == e.node && h.1 == *peer && h.2 == *port);
                let (version, subject) = match hs {
                    Some(i) => {
                        let h = handshakes.remove(i);
                        (Some(h.3), h.4)
                    }
                    None => (None, None),
                };
                out.push(Session {
                    from: e.node.clone(),
                    to: peer.clone(),
                    port: port.clone(),
                    tls: *tls,
                    version: if *tls { version } else { None },
                    subject: if *tls { subject } else { None },
                    opened: e.at_ms,
                    closed: None,
                    synced: None,
                });
            }
            Kind::Disconnected { peer, port, .. } => {
                if let Some(s) = out.iter_mut().rev().find(|s| {
                    s.closed.is_none() && s.from == e.node && s.to == *peer && s.port == *port
                }) {
                    s.closed = Some(e.at_ms);
                }
            }
            Kind::Stopped { .. } => {
                for s in out
                    .iter_mut()
                    .filter(|s| s.closed.is_none() && (s.from == e.node || s.to == e.node))
                {
                    s.closed = Some(e.at_ms);
                }
            }
            Kind::HaSynced {
                primary, backup, ..
            } if e.node == *backup => {
                if let Some(s) = out
                    .iter_mut()
                    .rev()
                    .find(|s| s.closed.is_none() && s.from == *backup && s.to == *primary)
                {
                    s.synced.get_or_insert(e.at_ms);
                }
            }
            _ => {}
        }
    }
    out
}

/// Whether a certificate subject carries every attribute the user wrote: `CN=ts-b` matches
/// `O=Lab, CN=ts-b` (attribute names compare without case, values exactly, spaces around
/// `=` and `,` ignored).
pub fn subject_matches(want: &str, subject: &str) -> bool {
    let have = attributes(subject);
    attributes(want).iter().all(|w| have.contains(w))
}

fn attributes(dn: &str) -> Vec<(String, String)> {
    dn.split([',', '+'])
        .filter_map(|part| {
            let (k, v) = part.split_once('=')?;
            Some((k.trim().to_ascii_uppercase(), v.trim().to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_matches_on_the_attributes_written() {
        assert!(subject_matches(
            "CN=ts-b.lab.example",
            "O=Lab, CN=ts-b.lab.example"
        ));
        assert!(subject_matches("cn = ts-b, o=Lab", "O=Lab,CN=ts-b"));
        assert!(!subject_matches("CN=ts-a", "O=Lab, CN=ts-b"));
        assert!(!subject_matches("CN=ts-b, O=Other", "O=Lab, CN=ts-b"));
        // A value is compared whole: a prefix is no match.
        assert!(!subject_matches("CN=ts", "CN=ts-b"));
    }
}
