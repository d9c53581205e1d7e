//! The dialling side of an application, which any application may have: for each of its
//! outbound connections (every `[[connection]]` whose `from` it is, servers included), a
//! session to the target and one to the target's backup (reached on its port with the same
//! ID), each redialled after the server's reconnect timeout when lost (by close or ADDP,
//! `addp.rs`); requests from a deterministic traffic generator go to whichever instance says
//! it is primary.
//!
//! A connection to an application that listens on no port (a DAP) has no link, so nothing
//! dials it: the application writes through it to a database, which is not a TCP session.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::addp::{self, Addp};
use super::session::Session;
use super::transport;
use super::{Scope, World};
use crate::net::Net;
use crate::pki::endpoint::{Link, LinkKind};
use crate::tls::FailureClass;
use crate::topology::{App, Purpose, Role};
use crate::trace::{DialError, Kind};
use crate::wire::Message;

/// Reconnect timeout when the server does not set one.
const DEFAULT_RECONNECT: Duration = Duration::from_secs(10);
/// How long a server has to answer hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(3);

/// What a session tells the dialler's main loop.
enum Note {
    Up {
        target: String,
        role: Role,
        tx: mpsc::UnboundedSender<Message>,
    },
    Role {
        target: String,
        role: Role,
    },
    Ack {
        id: String,
        by: String,
    },
    Down {
        target: String,
    },
}

/// The dialling side of one application process: its kept sessions, started, and the loop
/// that follows them.
pub(super) struct Dialer {
    /// The application.
    name: String,
    /// The instances dialled, in link order: requests go to the first that is primary.
    order: Vec<String>,
    /// Kept while the loop runs, so that an application with no link waits rather than ends.
    notes_tx: mpsc::UnboundedSender<Note>,
    /// What the sessions tell.
    notes: mpsc::UnboundedReceiver<Note>,
}

impl Dialer {
    /// Starts, in the process's `scope`, a kept session for every outbound link of `app` (the
    /// HA link is the serving side's).
    pub(super) fn start<N: Net>(w: &Rc<World<N>>, app: &App, scope: &Scope) -> Self {
        let name = &app.name.value;
        let host = &app.host.value;
        let (notes_tx, notes) = mpsc::unbounded_channel();
        let mut order = Vec::new();
        for link in w
            .links
            .iter()
            .filter(|l| l.from == *name && l.kind != LinkKind::HaLink)
        {
            order.push(link.to.clone());
            let addp = addp::Params::of_connection(
                w.topology
                    .connections
                    .iter()
                    .find(|c| c.span == link.span)
                    .and_then(|c| c.addp.as_ref()),
            );
            scope.spawn(keep(
                Rc::clone(w),
                name.clone(),
                host.clone(),
                link.id.clone(),
                addp,
                notes_tx.clone(),
            ));
        }
        Self {
            name: name.clone(),
            order,
            notes_tx,
            notes,
        }
    }

    /// Whether the application dials nothing.
    pub(super) fn is_idle(&self) -> bool {
        self.order.is_empty()
    }

    /// Follows the sessions and sends the application's traffic, until the process ends.
    pub(super) async fn run<N: Net>(self, w: Rc<World<N>>) {
        let Dialer {
            name,
            order,
            notes_tx: _open,
            mut notes,
        } = self;
        drive(w, name, order, &mut notes).await;
    }
}

/// The main loop: traffic to the primary, acknowledgements into the trace.
async fn drive<N: Net>(
    w: Rc<World<N>>,
    name: String,
    order: Vec<String>,
    notes: &mut mpsc::UnboundedReceiver<Note>,
) {
    let mut rate = w.board.traffic.get(&name).map(|t| t.subscribe());
    let mut sessions: BTreeMap<String, (Role, mpsc::UnboundedSender<Message>)> = BTreeMap::new();
    let mut sent: u64 = 0;
    let mut next_at = tokio::time::Instant::now();
    loop {
        let per_second = rate.as_ref().map_or(0.0, |r| *r.borrow());
        // The loader takes rates from 0.001/s; a tinier one (an API caller's) sends nothing
        // rather than overflowing the interval.
        let interval = (per_second > 0.0)
            .then(|| Duration::try_from_secs_f64(1.0 / per_second).ok())
            .flatten();
        let tick = async {
            match interval {
                Some(_) => w.timers.sleep_until(next_at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            note = notes.recv() => match note {
                Some(Note::Up { target, role, tx }) => {
                    newest_primary(&mut sessions, &target, role);
                    sessions.insert(target, (role, tx));
                }
                Some(Note::Role { target, role }) => {
                    newest_primary(&mut sessions, &target, role);
                    if let Some(s) = sessions.get_mut(&target) { s.0 = role; }
                }
                Some(Note::Ack { id, by }) => w.emit(&name, Kind::Acknowledged { id, by }),
                Some(Note::Down { target }) => { sessions.remove(&target); }
                None => return,
            },
            changed = async { match rate.as_mut() { Some(r) => r.changed().await, None => std::future::pending().await } } => {
                if changed.is_err() { rate = None; }
                next_at = tokio::time::Instant::now();
            },
            () = tick => {
                next_at = next_at
                    .checked_add(interval.unwrap_or(Duration::from_secs(1)))
                    .unwrap_or(next_at);
                let primary = order.iter().find_map(|t| sessions.get(t).filter(|s| s.0 == Role::Primary));
                if let Some((_, tx)) = primary {
                    sent = sent.saturating_add(1);
                    let _ = tx.send(Message::Request { id: format!("{name}-{sent}") });
                }
            },
        }
    }
}

/// The instance that announced itself primary last is the primary: a silent former primary
/// (powered off, partitioned) keeps its session until ADDP ends it, and must not get requests.
fn newest_primary(
    sessions: &mut BTreeMap<String, (Role, mpsc::UnboundedSender<Message>)>,
    target: &str,
    role: Role,
) {
    if role == Role::Primary {
        for (t, s) in sessions.iter_mut() {
            if t != target {
                s.0 = Role::Backup;
            }
        }
    }
}

/// Keeps one session to one server instance alive, redialling after the reconnect timeout.
async fn keep<N: Net>(
    w: Rc<World<N>>,
    me: String,
    host: String,
    link_id: String,
    addp: addp::Params,
    notes: mpsc::UnboundedSender<Note>,
) {
    let Some(link) = w.links.iter().find(|l| l.id == link_id && l.from == me) else {
        return;
    };
    let wait = w
        .topology
        .app(&link.to)
        .and_then(|a| a.reconnect_timeout.as_ref())
        .map_or(DEFAULT_RECONNECT, |r| r.value);
    loop {
        once(&w, &me, &host, link, addp, &notes).await;
        let _ = notes.send(Note::Down {
            target: link.to.clone(),
        });
        w.timers.sleep(wait).await;
    }
}

async fn once<N: Net>(
    w: &World<N>,
    me: &str,
    host: &str,
    link: &Link,
    addp: addp::Params,
    notes: &mpsc::UnboundedSender<Note>,
) {
    // The link's opening is the one the effective TLS table shows.
    let Some((io, tls)) = transport::dial(w, me, host, link, link.opening).await else {
        return;
    };
    let mut session = Session::start(io, w.timers.clone());
    session.send(Message::Hello {
        from: me.to_string(),
        purpose: Purpose::Client,
    });
    let mut addp = Addp::new(&link.to, addp, addp::emitter(w, me));
    addp.start(&session);
    let role = match w.timers.timeout(HELLO_TIMEOUT, session.rx.recv()).await {
        Ok(Some(Ok(Message::RoleNotice { role }))) => role,
        Ok(Some(Err(e))) if e.class != FailureClass::PeerClosed => {
            w.emit(
                me,
                Kind::HandshakeFailed {
                    peer: link.to.clone(),
                    port: link.port.clone(),
                    class: e.class,
                    detail: e.detail,
                },
            );
            return;
        }
        other => {
            let reason = match other {
                Err(_) => DialError::NoAnswerToHello,
                _ => DialError::ClosedBeforeHello,
            };
            w.emit(
                me,
                Kind::ConnectFailed {
                    to: link.to.clone(),
                    port: link.port.clone(),
                    reason: reason.into(),
                },
            );
            return;
        }
    };
    w.emit(
        me,
        Kind::Connected {
            peer: link.to.clone(),
            port: link.port.clone(),
            tls,
            purpose: Purpose::Client,
        },
    );
    let _ = notes.send(Note::Up {
        target: link.to.clone(),
        role,
        tx: session.tx.clone(),
    });
    let reason = loop {
        match addp.next(&mut session).await {
            Ok(Message::RoleNotice { role }) => {
                let _ = notes.send(Note::Role {
                    target: link.to.clone(),
                    role,
                });
            }
            Ok(Message::Ack { id }) => {
                let _ = notes.send(Note::Ack {
                    id,
                    by: link.to.clone(),
                });
            }
            Ok(_) => {}
            Err(reason) => break reason,
        }
    };
    w.emit(
        me,
        Kind::Disconnected {
            peer: link.to.clone(),
            port: link.port.clone(),
            reason,
        },
    );
}
