//! The dialling side of an application, which any application may have: for each of its
//! outbound connections (every `[[connection]]` whose `from` it is, servers included), the
//! sessions the target's redundancy calls for; requests from a deterministic traffic
//! generator go to whichever instance says it is primary.
//!
//! - A hot-standby pair: a session to the target and one to its backup (reached on its port
//!   with the same ID), each redialled after the server's reconnect timeout when lost (by close
//!   or ADDP).
//! - A warm-standby pair: one session at a time, alternating between the two servers as
//!   [`reconnect`](super::reconnect) schedules it (Reconnect Timeout and Attempts, or a
//!   PSDK warm-standby client's `[warm-standby]` options). A server that says it is backup
//!   serves no client: the client leaves it.
//! - A server alone: one session, redialled after its reconnect timeout.
//!
//! Connections that run ADDP do it through [`addp`](super::addp).
//!
//! Call events (`Message::CallEvent`, from a data source's primary: `switch.rs`) reach an ICON
//! through its [`Feed`], in one order with its sessions' ups, role changes and ends, which its
//! session control needs; any other client reads and drops them.
//!
//! A connection to an application that listens on no port (a DAP) has no link, so nothing
//! dials it: the application writes through it to a database, which is not a TCP session.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::addp::{self, Addp};
use super::reconnect::{Cursor, DEFAULT_RECONNECT, Outcome, Policy};
use super::session::Session;
use super::transport;
use super::{Scope, World};
use crate::net::Net;
use crate::pki::endpoint::{Link, LinkKind};
use crate::tls::FailureClass;
use crate::topology::{App, Purpose, Redundancy, Role};
use crate::trace::{DialError, DisconnectReason, Kind, Unsent};
use crate::wire::Message;

/// What an application that consumes its servers' events (an ICON) hears of its sessions, in
/// each session's order: a session up with the role its server announced, a role change, the
/// server's call events, and the session's end with its reason.
#[derive(Debug)]
pub(super) enum Feed {
    /// A session to `target` is up; the server says it is `role`.
    Up { target: String, role: Role },
    /// The server of the session to `target` announced a new role.
    Role { target: String, role: Role },
    /// The server of the session to `target` distributed a call event.
    Event {
        target: String,
        seq: u64,
        cti: crate::cti::CtiEvent,
    },
    /// The session to `target` ended.
    Down {
        target: String,
        reason: DisconnectReason,
    },
}

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
    /// HA link is the serving side's); what the sessions hear also goes to `feed`, if given.
    pub(super) fn start<N: Net>(
        w: &Rc<World<N>>,
        app: &App,
        scope: &Scope,
        feed: Option<&mpsc::UnboundedSender<Feed>>,
    ) -> Self {
        let name = &app.name.value;
        let host = &app.host.value;
        let (notes_tx, notes) = mpsc::unbounded_channel();
        let mut order = Vec::new();
        let mine: Vec<&Link> = w
            .links
            .iter()
            .filter(|l| l.from == *name && l.kind != LinkKind::HaLink)
            .collect();
        // Per connection: its link to the target, then the one to the other server of the
        // target's pair (each when that server has the port).
        for (i, link) in mine.iter().enumerate() {
            if mine.iter().take(i).any(|l| l.span == link.span) {
                continue;
            }
            let targets: Vec<&Link> = mine
                .iter()
                .skip(i)
                .filter(|l| l.span == link.span)
                .copied()
                .collect();
            let addp = addp::Params::of_connection(
                w.topology
                    .connections
                    .iter()
                    .find(|c| c.span == link.span)
                    .and_then(|c| c.addp.as_ref()),
            );
            let warm = w
                .topology
                .pair_of(&link.to)
                .is_some_and(|p| p.redundancy() == Redundancy::WarmStandby);
            order.extend(targets.iter().map(|l| l.to.clone()));
            let endpoints: Vec<String> = targets.iter().map(|l| l.id.clone()).collect();
            let ctx = Ctx {
                w: Rc::clone(w),
                me: name.clone(),
                host: host.clone(),
                addp,
                notes: notes_tx.clone(),
                feed: feed.cloned(),
            };
            match (warm, endpoints.as_slice()) {
                (true, [first, second]) => {
                    scope.spawn(alternate(ctx, [first.clone(), second.clone()]));
                }
                _ => {
                    for id in endpoints {
                        scope.spawn(keep(ctx.clone(), id));
                    }
                }
            }
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
    let mut sent: u64 = w.board.requests.borrow().get(&name).copied().unwrap_or(0);
    let mut next_at = crate::node::clock::instant();
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
                next_at = crate::node::clock::instant();
            },
            () = tick => {
                next_at = next_at
                    .checked_add(interval.unwrap_or(Duration::from_secs(1)))
                    .unwrap_or(next_at);
                // Every tick is a request with its own ID: sent to the primary the client
                // holds, or failed at once when it holds none (a client history's three
                // values: acknowledged, failed, or sent and never answered).
                sent = sent.saturating_add(1);
                w.board.requests.borrow_mut().insert(name.clone(), sent);
                let id = format!("{name}-{sent}");
                let primary = order
                    .iter()
                    .find_map(|t| sessions.get(t).filter(|s| s.0 == Role::Primary).map(|s| (t, s)));
                match primary {
                    Some((to, (_, tx))) => {
                        w.emit(&name, Kind::Requested { id: id.clone(), to: to.clone() });
                        let _ = tx.send(Message::Request { id });
                    }
                    None => w.emit(&name, Kind::RequestFailed { id, reason: Unsent::NoPrimary }),
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

/// What every session of one dialler needs.
#[derive(Clone)]
struct Ctx<N: Net> {
    w: Rc<World<N>>,
    /// The dialling application.
    me: String,
    /// Its host key.
    host: String,
    /// The connection's ADDP settings (`addp.rs`).
    addp: addp::Params,
    /// Where sessions tell the main loop.
    notes: mpsc::UnboundedSender<Note>,
    /// Where sessions tell an event consumer (an ICON), if the application is one.
    feed: Option<mpsc::UnboundedSender<Feed>>,
}

impl<N: Net> Ctx<N> {
    /// The link with this ID from this application.
    fn link(&self, id: &str) -> Option<&Link> {
        self.w
            .links
            .iter()
            .find(|l| l.id == id && l.from == self.me)
    }

    /// Tells the event consumer, if any.
    fn tell(&self, f: Feed) {
        if let Some(feed) = &self.feed {
            let _ = feed.send(f);
        }
    }

    /// Tells the main loop the session to `target` is gone.
    fn down(&self, target: &str) {
        let _ = self.notes.send(Note::Down {
            target: target.to_string(),
        });
    }
}

/// Keeps one session to one server instance alive, redialling after the reconnect timeout.
async fn keep<N: Net>(ctx: Ctx<N>, link_id: String) {
    let Some(link) = ctx.link(&link_id) else {
        return;
    };
    let wait = ctx
        .w
        .topology
        .app(&link.to)
        .and_then(|a| a.reconnect_timeout.as_ref())
        .map_or(DEFAULT_RECONNECT, |r| r.value);
    loop {
        once(&ctx, link, false).await;
        ctx.down(&link.to);
        ctx.w.timers.sleep(wait).await;
    }
}

/// Keeps one session to a warm-standby pair: one server at a time, the one the connection
/// names first, alternating as the reconnect policy schedules (read before every dial).
async fn alternate<N: Net>(ctx: Ctx<N>, ids: [String; 2]) {
    let (Some(first), Some(second)) = (ctx.link(&ids[0]), ctx.link(&ids[1])) else {
        return;
    };
    let endpoints = [first, second];
    let Some(target) = ctx.w.topology.app(&first.to) else {
        return;
    };
    let mut cursor = Cursor::default();
    loop {
        let link = cursor.pick(endpoints);
        let outcome = once(&ctx, link, true).await;
        ctx.down(&link.to);
        let policy = Policy::for_client(&ctx.w, &ctx.me, target);
        let next = cursor.after(outcome, policy);
        if let Some(attempts) = next.switched_after {
            let to = cursor.pick(endpoints);
            ctx.w.emit(
                &ctx.me,
                Kind::EndpointSwitch {
                    from: link.to.clone(),
                    to: to.to.clone(),
                    port: to.port.clone(),
                    attempts,
                    wait_ms: u64::try_from(next.wait.as_millis()).unwrap_or(u64::MAX),
                },
            );
        }
        ctx.w.timers.sleep(next.wait).await;
    }
}

/// One dial of `link` and, when it succeeds, the session until it ends. `warm`: the server is
/// of a warm-standby pair, where a backup serves no client: turned away at hello, or told so
/// later, the client leaves.
async fn once<N: Net>(ctx: &Ctx<N>, link: &Link, warm: bool) -> Outcome {
    let (w, me) = (&*ctx.w, ctx.me.as_str());
    // The link's opening is the one the effective TLS table shows.
    let Some((io, tls)) = transport::dial(w, me, &ctx.host, link, link.opening).await else {
        return Outcome::Failed;
    };
    let mut session = Session::start(io, w.timers.clone());
    session.send(Message::Hello {
        from: me.to_string(),
        purpose: Purpose::Client,
    });
    let mut addp = Addp::new(&link.to, ctx.addp, addp::emitter(w, me));
    addp.start(&session);
    let failed = |reason: DialError| {
        w.emit(
            me,
            Kind::ConnectFailed {
                to: link.to.clone(),
                port: link.port.clone(),
                reason: reason.into(),
            },
        );
        Outcome::Failed
    };
    let role = match w.timers.timeout(HELLO_TIMEOUT, session.rx.recv()).await {
        Ok(Some(Ok(Message::RoleNotice { role: Role::Backup }))) if warm => {
            return failed(DialError::BackupAcceptsNoClients);
        }
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
            return Outcome::Failed;
        }
        Err(_) => return failed(DialError::NoAnswerToHello),
        _ => return failed(DialError::ClosedBeforeHello),
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
    let _ = ctx.notes.send(Note::Up {
        target: link.to.clone(),
        role,
        tx: session.tx.clone(),
    });
    ctx.tell(Feed::Up {
        target: link.to.clone(),
        role,
    });
    let reason = loop {
        match addp.next(&mut session).await {
            Ok(Message::RoleNotice { role: Role::Backup }) if warm => {
                break DisconnectReason::PeerIsBackup;
            }
            Ok(Message::RoleNotice { role }) => {
                let _ = ctx.notes.send(Note::Role {
                    target: link.to.clone(),
                    role,
                });
                ctx.tell(Feed::Role {
                    target: link.to.clone(),
                    role,
                });
            }
            Ok(Message::Ack { id }) => {
                let _ = ctx.notes.send(Note::Ack {
                    id,
                    by: link.to.clone(),
                });
            }
            Ok(Message::CallEvent { seq, cti }) => {
                ctx.tell(Feed::Event {
                    target: link.to.clone(),
                    seq,
                    cti,
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
    ctx.tell(Feed::Down {
        target: link.to.clone(),
        reason,
    });
    Outcome::Lost
}
