//! Sessions over time, as the dialler saw them: when each opened (after its handshake, if
//! any, and registration), with which TLS version and peer certificate, on which port, and
//! when it closed (a disconnect, or the dialler's process stopping). Expectations about
//! connections read these instead of single events, so that "connected in a window" means a
//! session was up at some instant of it, however old.
//!
//! A session opened in upgrade mode starts plain (`connect-attempt` with `tls = false`, then
//! `plain-start`, `start-tls`, `handshake-ok`) and is one session under TLS: the dialler's
//! `connected` comes after the handshake and says `tls = true`, so an expectation of a TLS
//! session holds for it.
//!
//! A backup's HA link ends when the backup leaves that role (promoted, say): its dialler is
//! aborted at the role change and traces no `disconnected` of its own.

use crate::check::verdict::{Differs, Miss};
use crate::scenario::TlsExpect;
use crate::topology::{Purpose, Role};
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
    /// The event that opened it (the dialler's `connected`; an index into the trace).
    pub opened_event: usize,
    /// The event that ended it (`disconnected`, or a `stopped` of either end).
    pub closed_event: Option<usize>,
    /// The backup's `ha-synced` event on it.
    pub synced_event: Option<usize>,
}

impl Session {
    /// Whether it was up at some instant of `[a, b]`.
    pub fn up_during(&self, (a, b): (u64, u64)) -> bool {
        self.opened <= b && self.closed.is_none_or(|c| c >= a)
    }

    /// The events that show it: opened, and (when it did) synchronised and closed.
    pub fn events(&self) -> Vec<usize> {
        std::iter::once(self.opened_event)
            .chain(self.synced_event)
            .chain(self.closed_event)
            .collect()
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
    // Whether each session of `out` is an HA link (its dialler the backup).
    let mut ha_links: Vec<bool> = Vec::new();
    for (i, e) in trace.events.iter().enumerate() {
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
                peer,
                port,
                tls,
                purpose,
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
                ha_links.push(*purpose == Purpose::HaLink);
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
                    opened_event: i,
                    closed_event: None,
                    synced_event: None,
                });
            }
            Kind::Disconnected { peer, port, .. } => {
                if let Some(s) = out.iter_mut().rev().find(|s| {
                    s.closed.is_none() && s.from == e.node && s.to == *peer && s.port == *port
                }) {
                    s.closed = Some(e.at_ms);
                    s.closed_event = Some(i);
                }
            }
            Kind::Stopped { .. } => {
                for s in out
                    .iter_mut()
                    .filter(|s| s.closed.is_none() && (s.from == e.node || s.to == e.node))
                {
                    s.closed = Some(e.at_ms);
                    s.closed_event = Some(i);
                }
            }
            Kind::RoleChanged {
                from: Some(Role::Backup),
                to,
            } if *to != Role::Backup => {
                for (s, _) in out
                    .iter_mut()
                    .zip(&ha_links)
                    .filter(|(s, ha)| **ha && s.closed.is_none() && s.from == e.node)
                {
                    s.closed = Some(e.at_ms);
                    s.closed_event = Some(i);
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
                    if s.synced.is_none() {
                        s.synced = Some(e.at_ms);
                        s.synced_event = Some(i);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// What a session must be, as an expectation says: its port, TLS (on, off, a version) and
/// the listener's certificate subject.
pub struct Want<'a> {
    /// Port ID, when it matters.
    pub port: &'a Option<String>,
    /// TLS on/off or a version, when it matters.
    pub tls: &'a Option<TlsExpect>,
    /// Attributes the listener's certificate subject must carry.
    pub peer: Option<&'a str>,
}

impl<'a> Want<'a> {
    /// A session on `port` with `tls` whose listener's subject carries `peer` (each when
    /// given).
    pub fn new(
        port: &'a Option<String>,
        tls: &'a Option<TlsExpect>,
        peer: Option<&'a str>,
    ) -> Self {
        Self { port, tls, peer }
    }

    /// How `s` differs from the session wanted, or `None` when it is one.
    pub fn miss(&self, s: &Session) -> Option<Differs> {
        if let Some(p) = self.port.as_ref().filter(|p| **p != s.port) {
            return Some(Differs::Port {
                got: s.port.clone(),
                want: p.clone(),
            });
        }
        let wants_tls = match self.tls {
            Some(TlsExpect::On(on)) => *on,
            Some(TlsExpect::Version(_)) => true,
            None => self.peer.is_some(),
        };
        if (self.tls.is_some() || self.peer.is_some())
            && (!tls_ok(self.tls, s.tls, s.version.as_deref()) || (wants_tls && !s.tls))
        {
            return Some(match (&s.tls, &s.version) {
                (false, _) => Differs::Plain,
                (true, Some(v)) if !wants_tls => Differs::NotPlain { version: v.clone() },
                (true, v) => Differs::Version { got: v.clone() },
            });
        }
        if let Some(want) = self.peer {
            match &s.subject {
                Some(got) if subject_matches(want, got) => {}
                Some(got) => {
                    return Some(Differs::Subject {
                        got: got.clone(),
                        want: want.to_string(),
                    });
                }
                None => return Some(Differs::NoCertificate),
            }
        }
        None
    }

    /// The nearest miss among `found` over the window `w`: a session at the right time
    /// (`timely`) that differs (which way), or the right session at another time. With it,
    /// the sentence a detail says.
    pub fn nearest(
        &self,
        found: &[&Session],
        w: (u64, u64),
        timely: impl Fn(&Session) -> bool,
    ) -> Option<(String, Miss)> {
        if let Some((s, differs)) = found
            .iter()
            .filter(|s| timely(s))
            .find_map(|s| self.miss(s).map(|why| (s, why)))
        {
            return Some((
                format!("connected at {} ms, but {differs}", s.opened),
                Miss {
                    at_ms: s.opened,
                    differs,
                    events: s.events(),
                },
            ));
        }
        let right: Vec<&&Session> = found.iter().filter(|s| self.miss(s).is_none()).collect();
        let closest = right.iter().min_by_key(|s| {
            let end = s.closed.unwrap_or(u64::MAX);
            if end < w.0 {
                w.0.saturating_sub(end)
            } else {
                s.opened.saturating_sub(w.1)
            }
        })?;
        let differs = match closest.closed {
            _ if closest.opened > w.1 => Differs::Late {
                opened_ms: closest.opened,
                deadline_ms: w.1,
            },
            Some(c) if c < w.0 => Differs::Early {
                opened_ms: closest.opened,
                closed_ms: c,
                start_ms: w.0,
            },
            _ => Differs::Old {
                opened_ms: closest.opened,
                start_ms: w.0,
            },
        };
        Some((
            differs.to_string(),
            Miss {
                at_ms: closest.opened,
                differs,
                events: closest.events(),
            },
        ))
    }
}

/// Whether a session's TLS (`tls`, `version`) is what `want` says.
pub fn tls_ok(want: &Option<TlsExpect>, tls: bool, version: Option<&str>) -> bool {
    match want {
        None => true,
        Some(TlsExpect::On(on)) => *on == tls,
        Some(TlsExpect::Version(v)) => tls && version == Some(v.as_str()),
    }
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
    use crate::topology::Purpose;
    use crate::trace::Event;

    fn at(at_ms: u64, node: &str, kind: Kind) -> Event {
        Event {
            at_ms,
            node: node.into(),
            kind,
        }
    }

    #[test]
    fn a_session_upgraded_from_plain_is_one_tls_session() {
        let (to, port) = ("cs_primary".to_string(), "default".to_string());
        let events = vec![
            at(
                0,
                "cs_backup",
                Kind::ConnectAttempt {
                    to: to.clone(),
                    port: port.clone(),
                    tls: false,
                },
            ),
            at(
                1,
                "cs_backup",
                Kind::PlainStart {
                    to: to.clone(),
                    port: port.clone(),
                },
            ),
            at(
                2,
                "cs_backup",
                Kind::StartTls {
                    to: to.clone(),
                    port: port.clone(),
                    tls: true,
                },
            ),
            at(
                3,
                "cs_backup",
                Kind::HandshakeOk {
                    peer: to.clone(),
                    port: port.clone(),
                    version: "1.3".into(),
                    cipher: "TLS13_AES_128_GCM_SHA256".into(),
                    peer_subject: Some("CN=cs-a.lab.example".into()),
                },
            ),
            at(
                4,
                "cs_backup",
                Kind::Connected {
                    peer: to.clone(),
                    port: port.clone(),
                    tls: true,
                    purpose: Purpose::HaLink,
                },
            ),
        ];
        let found = sessions(&Trace { events });
        let [s] = &found[..] else {
            panic!("one session: {found:?}")
        };
        assert!(s.tls && s.opened == 4);
        assert_eq!(s.version.as_deref(), Some("1.3"));
        let (tls, port) = (Some(TlsExpect::On(true)), Some(port));
        assert_eq!(
            Want::new(&port, &tls, Some("CN=cs-a.lab.example")).miss(s),
            None
        );
        let plain = Some(TlsExpect::On(false));
        assert!(Want::new(&port, &plain, None).miss(s).is_some());
    }

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
