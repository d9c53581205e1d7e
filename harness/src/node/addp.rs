//! ADDP, the Advanced Disconnect Detection Protocol, once for every connection that runs it:
//! the SCS towards each LCA (the host's `[addp]` options), the HA link of a T-Server pair
//! (`[backup-sync] protocol = addp`) and client connections (`protocol = "addp"` on the
//! connection).
//!
//! A side polls its peer only after `timeout` of silence (anything received counts as life)
//! and declares the peer lost when the poll goes unanswered for the timeout again: a peer that
//! falls silent is found between one and two timeouts later. A timeout of 0 switches that side
//! off; it still answers polls. At the start of the connection a side may ask its peer to poll
//! too, with the remote timeout (`addp-remote-timeout`, a connection's Remote Timeout), and to
//! put its polls in the trace; `addp-trace` puts this side's polls and their answers in the
//! trace (`addp-poll`, `addp-answer`). [S-ADDP-FR], [S-ADDP-HOST], [S-TS-BSYNC]
//!
//! This module owns the keep-alive exchange of a session; what the messages in between mean is
//! the caller's business.

use std::rc::Rc;
use std::time::Duration;

use tokio::time::Instant;

use super::World;
use super::session::Session;
use crate::net::Net;
use crate::topology::AddpTrace;
use crate::trace::{DisconnectReason, Kind};
use crate::wire::Message;

/// Reads (timeout, remote timeout) as configured now, for options that take effect at once.
type Retune = dyn Fn() -> (Option<Duration>, Option<Duration>);

/// Where one node's ADDP trace events go.
pub type Emit = Rc<dyn Fn(Kind)>;

/// The trace events of node `node` of `w`.
pub fn emitter<N: Net>(w: &World<N>, node: &str) -> Emit {
    let trace = w.trace.clone();
    let net = w.net.clone();
    let node = node.to_string();
    Rc::new(move |kind| trace.emit(net.now(), &node, kind))
}

/// One side's ADDP settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Params {
    /// This side polls after this much silence (`None`: it does not poll).
    pub timeout: Option<Duration>,
    /// The peer is asked to poll after this much silence (`None`: it is not asked).
    pub remote: Option<Duration>,
    /// Which side's polls appear in the trace.
    pub trace: AddpTrace,
}

impl Params {
    /// No ADDP of this side's own: it answers polls, and polls only when the peer asks.
    pub const OFF: Params = Params {
        timeout: None,
        remote: None,
        trace: AddpTrace::Off,
    };

    /// A client connection's ADDP as the topology writes it (the dialling side's).
    pub fn of_connection(addp: Option<&crate::topology::Addp>) -> Self {
        let Some(a) = addp else { return Self::OFF };
        Self {
            timeout: a.local.as_ref().map(|d| d.value).filter(|d| !d.is_zero()),
            remote: a.remote.as_ref().map(|d| d.value).filter(|d| !d.is_zero()),
            trace: a.trace.as_ref().map_or(AddpTrace::Off, |t| t.value),
        }
    }

    /// The SCS's ADDP towards the LCA of `host_key` (Host `[addp]`, read when the SCS
    /// connects): `addp-timeout` (9 s by default, also written `addp-timeout = "9s"` on the
    /// host: [`Host::addp_timeout`](crate::topology::Host::addp_timeout) holds either),
    /// `addp-remote-timeout` (0: the LCA does not poll), `addp-trace` (off).
    pub fn of_host<N: Net>(w: &World<N>, host_key: &str) -> Self {
        let Some(host) = w.topology.host(host_key) else {
            return Self::OFF;
        };
        Self {
            timeout: Some(host.addp_timeout.value).filter(|d| !d.is_zero()),
            remote: w.host_option_secs(host_key, "addp", "addp-remote-timeout"),
            trace: host
                .option("addp", "addp-trace")
                .and_then(|v| AddpTrace::parse(&v.value))
                .unwrap_or_default(),
        }
    }
}

/// A T-Server's `[backup-sync]` ADDP on its HA link with `peer`: `protocol = addp` and
/// `addp-trace` are read now (Genesys: "when the next connection is established"), the two
/// timeouts at every wait (Genesys: "immediately").
pub fn backup_sync<N: Net>(w: &Rc<World<N>>, app: &str, peer: &str) -> Addp {
    let emit = emitter(w, app);
    let on = w
        .option(app, "backup-sync", "protocol")
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("addp"));
    if !on {
        return Addp::new(peer, Params::OFF, emit);
    }
    let trace = w
        .option(app, "backup-sync", "addp-trace")
        .and_then(|v| AddpTrace::parse(&v))
        .unwrap_or_default();
    let timeouts = {
        let w = Rc::clone(w);
        let app = app.to_string();
        move || {
            (
                w.option_secs(&app, "backup-sync", "addp-timeout"),
                w.option_secs(&app, "backup-sync", "addp-remote-timeout"),
            )
        }
    };
    let (timeout, remote) = timeouts();
    let mut addp = Addp::new(
        peer,
        Params {
            timeout,
            remote,
            trace,
        },
        emit,
    );
    addp.timeouts = Some(Box::new(timeouts));
    addp
}

/// One side of ADDP on one session. Waits measure silence from the last message received,
/// so a wait cancelled by the caller (a `select!`) and started again loses nothing.
pub struct Addp {
    /// The other side, as the trace names it.
    peer: String,
    /// This side's own settings.
    params: Params,
    /// Where traced polls go.
    emit: Emit,
    /// Read before every wait when the timeouts take effect at once.
    timeouts: Option<Box<Retune>>,
    /// The timeout the peer asked this side to poll with.
    asked: Option<Duration>,
    /// The peer asked this side to trace its polls.
    asked_trace: bool,
    /// The request last sent to the peer (remote timeout in ms, trace), once one was sent.
    sent: Option<(u64, bool)>,
    /// When something last came from the peer (or the session started).
    heard: Instant,
    /// The unanswered poll: when it was sent, and the timeout it runs under.
    polled: Option<(Instant, Duration)>,
}

impl Addp {
    /// ADDP with `params` on a session with `peer`, starting now.
    pub fn new(peer: &str, params: Params, emit: Emit) -> Self {
        Self {
            peer: peer.to_string(),
            params,
            emit,
            timeouts: None,
            asked: None,
            asked_trace: false,
            sent: None,
            heard: crate::node::clock::instant(),
            polled: None,
        }
    }

    /// Asks the peer to poll with the remote timeout (and to trace), when this side asks
    /// anything: at the start of the connection, and again when the remote timeout changed.
    pub fn start(&mut self, s: &Session) {
        let want = (
            self.params
                .remote
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            self.params.trace.there(),
        );
        if self.sent.unwrap_or((0, false)) != want {
            s.send(Message::AddpRequest {
                timeout_ms: want.0,
                trace: want.1,
            });
            self.sent = Some(want);
        }
    }

    /// How long this side waits in silence before it polls: its own timeout, or the one the
    /// peer asked for, whichever is shorter (hapair's assumption where both are set, e.g. the
    /// primary's own `[backup-sync]` and the backup's remote timeout: the stricter one wins).
    pub fn timeout(&self) -> Option<Duration> {
        match (self.params.timeout, self.asked) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn traced(&self) -> bool {
        self.params.trace.here() || self.asked_trace
    }

    fn millis(d: Duration) -> u64 {
        u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
    }

    /// The next message of the session that is not ADDP's own, or why the session ended
    /// (`addp-timeout` when a poll went unanswered, else the session's end). Polls of the peer
    /// are answered here; requests of the peer are followed here.
    ///
    /// # Errors
    /// The [`DisconnectReason`] that ended the session.
    pub async fn next(&mut self, s: &mut Session) -> Result<Message, DisconnectReason> {
        loop {
            if let Some(read) = &self.timeouts {
                (self.params.timeout, self.params.remote) = read();
                self.start(s);
            }
            let timeout = self.timeout();
            if timeout.is_none() {
                // Switched off meanwhile: an outstanding poll is forgotten.
                self.polled = None;
            }
            let deadline = match (self.polled, timeout) {
                (Some((at, t)), _) => at.checked_add(t),
                (None, Some(t)) => self.heard.checked_add(t),
                (None, None) => None,
            };
            let got = match deadline {
                None => s.rx.recv().await,
                Some(at) => {
                    let left = at.saturating_duration_since(crate::node::clock::instant());
                    match s.timers.timeout(left, s.rx.recv()).await {
                        Ok(got) => got,
                        Err(_) => {
                            if self.polled.is_some() {
                                return Err(DisconnectReason::AddpTimeout);
                            }
                            let t = timeout.unwrap_or_default();
                            self.polled = Some((crate::node::clock::instant(), t));
                            s.send(Message::Ping);
                            if self.traced() {
                                (self.emit)(Kind::AddpPoll {
                                    peer: self.peer.clone(),
                                    timeout_ms: Self::millis(t),
                                });
                            }
                            continue;
                        }
                    }
                }
            };
            let m = match got {
                Some(Ok(m)) => m,
                Some(Err(e)) => return Err(DisconnectReason::Failed(e.class)),
                None => return Err(DisconnectReason::Closed),
            };
            // Anything from the peer is life.
            self.heard = crate::node::clock::instant();
            let poll = self.polled.take();
            match m {
                Message::Ping => s.send(Message::Pong),
                Message::Pong => {
                    if let (Some((_, t)), true) = (poll, self.traced()) {
                        (self.emit)(Kind::AddpAnswer {
                            peer: self.peer.clone(),
                            timeout_ms: Self::millis(t),
                        });
                    }
                }
                Message::AddpRequest { timeout_ms, trace } => {
                    self.asked = (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms));
                    self.asked_trace = trace;
                }
                other => return Ok(other),
            }
        }
    }
}

#[cfg(test)]
mod tests;
