//! A server application instance: a listener per port honouring its mode, the role the SCS
//! gives it, the HA link (the backup-role instance dials the primary-role instance's HA-sync
//! port, else `default`), full synchronisation then streaming, and client events acknowledged
//! after the backup has them (hot standby) or at once (warm standby).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::session::Session;
use super::transport;
use super::{Scope, World};
use crate::net::Net;
use crate::pki::endpoint::{LinkKind, ha_port};
use crate::topology::{App, Purpose, Redundancy, Role};
use crate::trace::{DisconnectReason, Kind, StopReason};
use crate::wire::Message;

/// How long the backup waits between attempts to reach the primary.
const HA_RETRY: Duration = Duration::from_secs(1);
/// How long a peer has to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(3);

type Tx = mpsc::UnboundedSender<Message>;

/// One running server instance.
struct Server<N: Net> {
    w: Rc<World<N>>,
    name: String,
    host: String,
    partner: Option<String>,
    hot: bool,
    role: watch::Receiver<Option<Role>>,
    /// The role as announced: set by the role task once it has recorded a change, so that a
    /// session waiting for the first role continues after the `role-changed` event, in one
    /// order however the runtime happens to poll the two tasks.
    announced: watch::Sender<Option<Role>>,
    store: RefCell<BTreeSet<String>>,
    clients: RefCell<Vec<Tx>>,
    backup: RefCell<Option<Tx>>,
    pending: RefCell<BTreeMap<String, Tx>>,
    scope: Scope,
}

/// Runs application `name` until its task is aborted (a crash) or its configuration is refused.
pub async fn run<N: Net>(
    w: Rc<World<N>>,
    name: String,
    role: watch::Receiver<Option<Role>>,
    scope: Scope,
) {
    let Some(app) = w.topology.app(&name) else {
        return;
    };
    if refuse(&w, app) {
        return;
    }
    let pair = w.topology.pair_of(&name);
    let s = Rc::new(Server {
        partner: pair.map(|p| {
            if p.primary.name.value == name {
                p.backup.name.value.clone()
            } else {
                p.primary.name.value.clone()
            }
        }),
        hot: pair.is_some_and(|p| p.redundancy() == Redundancy::HotStandby),
        host: app.host.value.clone(),
        w: Rc::clone(&w),
        name: name.clone(),
        role,
        announced: watch::channel(None).0,
        store: RefCell::default(),
        clients: RefCell::default(),
        backup: RefCell::default(),
        pending: RefCell::default(),
        scope,
    });
    w.emit(&name, Kind::Started { role: None });
    w.emit(&name, Kind::StoreCleared);
    for port in &app.ports {
        match w.net.bind(port.number.value).await {
            Ok(listener) => {
                w.emit(
                    &name,
                    Kind::Listening {
                        port: port.id.value.clone(),
                        number: port.number.value,
                        mode: port.mode.value,
                    },
                );
                s.scope
                    .spawn(accept_loop(Rc::clone(&s), port.id.value.clone(), listener));
            }
            Err(e) => w.emit(
                &name,
                Kind::Stopped {
                    reason: StopReason::CannotListen {
                        port: port.id.value.clone(),
                        error: e.to_string(),
                    },
                },
            ),
        }
    }
    roles(s).await;
}

/// The node refuses a port-level certificate on an HA-sync port (HA-SYNC-PORT-CERT): it asks
/// the topology, and reports the rule's own finding for the first such port.
fn refuse<N: Net>(w: &World<N>, app: &App) -> bool {
    let Some((port, span)) = app
        .ha_sync_port_certificates()
        .min_by_key(|(_, span)| *span)
    else {
        return false;
    };
    let f = crate::rules::sync_port_cert(app, port, span);
    w.emit(
        &app.name.value,
        Kind::ConfigRejected {
            rule: f.rule.to_string(),
            detail: f.message,
        },
    );
    w.emit(
        &app.name.value,
        Kind::Stopped {
            reason: StopReason::ConfigRejected,
        },
    );
    true
}

/// Whether this server runs ADDP on the HA link: `[backup-sync] protocol = addp`, read when
/// a connection is established (Genesys: "Changes Take Effect: When the next connection is
/// established").
fn ha_addp_on<N: Net>(s: &Server<N>) -> bool {
    s.w.option(&s.name, "backup-sync", "protocol")
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("addp"))
}

/// How long this server waits on the HA link before polling (`[backup-sync] addp-timeout`
/// seconds, 0 or unset: no ADDP), read at every wait (Genesys: "Changes Take Effect:
/// Immediately").
fn ha_addp_timeout<N: Net>(s: &Server<N>) -> Option<Duration> {
    let secs: u64 =
        s.w.option(&s.name, "backup-sync", "addp-timeout")?
            .trim()
            .parse()
            .ok()?;
    (secs > 0).then(|| Duration::from_secs(secs))
}

/// Follows the role the SCS gives: notices to clients, and the HA link while backup.
async fn roles<N: Net>(s: Rc<Server<N>>) {
    let mut rx = s.role.clone();
    let mut current: Option<Role> = None;
    let mut dialer: Option<Scope> = None;
    loop {
        let next = *rx.borrow_and_update();
        if next != current {
            if let Some(to) = next {
                s.w.emit(&s.name, Kind::RoleChanged { from: current, to });
            }
            current = next;
            s.announced.send_replace(next);
            if let Some(d) = dialer.take() {
                d.abort();
            }
            if let Some(role) = next {
                s.clients
                    .borrow_mut()
                    .retain(|c| c.send(Message::RoleNotice { role }).is_ok());
            }
            if next == Some(Role::Backup) && s.partner.is_some() {
                let d = Scope::default();
                d.spawn(ha_dial(Rc::clone(&s)));
                dialer = Some(d);
            }
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// One session counted open on a listener until its task ends (or is aborted).
struct Open(Rc<Cell<usize>>);

impl Open {
    fn count(open: &Rc<Cell<usize>>) -> Self {
        open.set(open.get().saturating_add(1));
        Self(Rc::clone(open))
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

async fn accept_loop<N: Net>(s: Rc<Server<N>>, port: String, listener: N::Listener) {
    let open = Rc::new(Cell::new(0_usize));
    loop {
        match s.w.net.accept(&listener).await {
            Ok((stream, peer)) if open.get() >= s.w.sessions_per_listener => {
                drop(stream);
                let limit = s.w.sessions_per_listener;
                let reason = format!(
                    "port `{port}` already holds {limit} open sessions, hapair's limit per \
                     listener: the connection from {peer} is closed at once"
                );
                s.w.emit(
                    &s.name,
                    Kind::SessionLimit {
                        port: port.clone(),
                        peer,
                        limit,
                        reason,
                    },
                );
            }
            Ok((stream, peer)) => {
                let counted = Open::count(&open);
                let session = inbound(Rc::clone(&s), port.clone(), stream, peer);
                s.scope.spawn(async move {
                    let _counted = counted;
                    session.await;
                });
            }
            Err(_) => s.w.timers.sleep(HA_RETRY).await,
        }
    }
}

fn role_now<N: Net>(s: &Server<N>) -> Option<Role> {
    *s.role.borrow()
}

async fn inbound<N: Net>(s: Rc<Server<N>>, port_id: String, stream: N::Stream, peer_host: String) {
    let Some(app) = s.w.topology.app(&s.name) else {
        return;
    };
    let Some(port) = app.port(&port_id) else {
        return;
    };
    let Some(acc) = transport::accept(&s.w, app, port, &s.host, stream, &peer_host).await else {
        return;
    };
    let tls = acc.tls;
    let mut session = Session::start(acc.io, s.w.timers.clone());
    let hello = match acc.first {
        Some(m) => Some(m),
        None => match s.w.timers.timeout(HELLO_TIMEOUT, session.rx.recv()).await {
            Ok(Some(Ok(m))) => Some(m),
            _ => None,
        },
    };
    let Some(Message::Hello { from, purpose }) = hello else {
        return;
    };
    if !tls {
        s.w.emit(
            &s.name,
            Kind::PlainSession {
                peer: from.clone(),
                port: port_id.clone(),
                mode: port.mode.value,
            },
        );
    }
    let announced = *s.announced.borrow();
    let role = match announced {
        Some(r) => r,
        // Just started, the SCS has not spoken yet: wait for it rather than turn away a client
        // that would then wait a whole reconnect timeout.
        None => {
            let mut rx = s.announced.subscribe();
            match s
                .w
                .timers
                .timeout(HELLO_TIMEOUT, rx.wait_for(Option::is_some))
                .await
            {
                Ok(Ok(r)) => r.unwrap_or(Role::Backup),
                _ => Role::Backup,
            }
        }
    };
    session.send(Message::RoleNotice { role });
    match purpose {
        Purpose::Client if role == Role::Backup && !s.hot => {}
        Purpose::Client => client_session(s, session, from, port_id, tls).await,
        Purpose::HaLink if role == Role::Primary => {
            ha_session(s, session, from, port_id, tls).await
        }
        Purpose::HaLink | Purpose::Control => {}
    }
}

async fn client_session<N: Net>(
    s: Rc<Server<N>>,
    mut session: Session,
    from: String,
    port: String,
    tls: bool,
) {
    s.w.emit(
        &s.name,
        Kind::Connected {
            peer: from.clone(),
            port: port.clone(),
            tls,
            purpose: Purpose::Client,
        },
    );
    s.clients.borrow_mut().push(session.tx.clone());
    let reason = loop {
        match session.next(None).await {
            Ok(Message::Request { id }) => match role_now(&s) {
                Some(Role::Primary) => accept_event(&s, id, session.tx.clone()),
                _ => session.send(Message::RoleNotice { role: Role::Backup }),
            },
            Ok(Message::Ping) => session.send(Message::Pong),
            Ok(_) => {}
            Err(reason) => break reason,
        }
    };
    s.w.emit(
        &s.name,
        Kind::Disconnected {
            peer: from,
            port,
            reason,
        },
    );
}

/// The primary takes a client event: stored, replicated, acknowledged.
fn accept_event<N: Net>(s: &Server<N>, id: String, client: Tx) {
    if !s.store.borrow_mut().insert(id.clone()) {
        let _ = client.send(Message::Ack { id });
        return;
    }
    s.w.emit(&s.name, Kind::Accepted { id: id.clone() });
    s.w.emit(
        &s.name,
        Kind::Stored {
            ids: vec![id.clone()],
        },
    );
    let backup = s.backup.borrow().clone();
    match backup {
        Some(b) if b.send(Message::Replicate { id: id.clone() }).is_ok() && s.hot => {
            s.pending.borrow_mut().insert(id, client);
        }
        _ => {
            let _ = client.send(Message::Ack { id });
        }
    }
}

/// The primary's end of the HA link.
async fn ha_session<N: Net>(
    s: Rc<Server<N>>,
    mut session: Session,
    from: String,
    port: String,
    tls: bool,
) {
    s.w.emit(
        &s.name,
        Kind::Connected {
            peer: from.clone(),
            port: port.clone(),
            tls,
            purpose: Purpose::HaLink,
        },
    );
    // ADDP runs on the primary's end of the HA link too ([backup-sync] is the T-Server's own
    // option, whichever role it has): a backup gone silent is noticed, and the primary goes
    // on alone instead of waiting for confirmations that never come.
    let addp = ha_addp_on(&s);
    let reason = loop {
        let wait = if addp { ha_addp_timeout(&s) } else { None };
        match session.next(wait).await {
            Ok(Message::BackupReady) => {
                // In chunks within the frame bound: a store of any size synchronises.
                for chunk in crate::wire::full_sync(s.store.borrow().iter()) {
                    session.send(chunk);
                }
                session.send(Message::SyncDone);
                *s.backup.borrow_mut() = Some(session.tx.clone());
                s.w.emit(
                    &s.name,
                    Kind::HaSynced {
                        primary: s.name.clone(),
                        backup: from.clone(),
                        port: port.clone(),
                        tls,
                    },
                );
            }
            Ok(Message::Replicated { id }) => {
                if let Some(client) = s.pending.borrow_mut().remove(&id) {
                    let _ = client.send(Message::Ack { id });
                }
            }
            Ok(Message::Ping) => session.send(Message::Pong),
            Ok(_) => {}
            Err(reason) => break reason,
        }
    };
    s.backup.borrow_mut().take();
    // The backup is gone. Still primary: the events waiting for it are held by this instance
    // alone now, and acknowledged. Demoted meanwhile (a switchover): they were never confirmed
    // by the new primary, so they stay unacknowledged rather than be promised and lost.
    let waiting = std::mem::take(&mut *s.pending.borrow_mut());
    if role_now(&s) == Some(Role::Primary) {
        for (id, client) in waiting {
            let _ = client.send(Message::Ack { id });
        }
    }
    s.w.emit(
        &s.name,
        Kind::Disconnected {
            peer: from,
            port,
            reason,
        },
    );
}

/// The backup-role instance keeps dialling the primary-role instance while it is backup.
async fn ha_dial<N: Net>(s: Rc<Server<N>>) {
    let Some(partner) = s.partner.clone() else {
        return;
    };
    loop {
        ha_attempt(&s, &partner).await;
        s.w.timers.sleep(HA_RETRY).await;
    }
}

async fn ha_attempt<N: Net>(s: &Rc<Server<N>>, partner: &str) {
    let w = &s.w;
    let Some(target) = w.topology.app(partner) else {
        return;
    };
    let Some(port) = ha_port(target) else { return };
    let Some(link) = w.link(LinkKind::HaLink, &s.name, partner) else {
        return;
    };
    // The link says how it opens (`Opening::for_ha_link`): the TLS table shows the same.
    let Some((io, tls)) = transport::dial(w, &s.name, &s.host, link, link.opening).await else {
        return;
    };
    let mut session = Session::start(io, w.timers.clone());
    session.send(Message::Hello {
        from: s.name.clone(),
        purpose: Purpose::HaLink,
    });
    match w.timers.timeout(HELLO_TIMEOUT, session.rx.recv()).await {
        Ok(Some(Ok(Message::RoleNotice {
            role: Role::Primary,
        }))) => {}
        Ok(Some(Err(e))) if e.class != crate::tls::FailureClass::PeerClosed => {
            w.emit(
                &s.name,
                Kind::HandshakeFailed {
                    peer: partner.to_string(),
                    port: port.id.value.clone(),
                    class: e.class,
                    detail: e.detail,
                },
            );
            return;
        }
        _ => return,
    }
    w.emit(
        &s.name,
        Kind::Connected {
            peer: partner.to_string(),
            port: port.id.value.clone(),
            tls,
            purpose: Purpose::HaLink,
        },
    );
    session.send(Message::BackupReady);
    let addp = ha_addp_on(s);
    let reason = loop {
        let wait = if addp { ha_addp_timeout(s) } else { None };
        match session.next(wait).await {
            Ok(Message::FullSync { ids, first }) => {
                if first {
                    s.store.borrow_mut().clear();
                    w.emit(&s.name, Kind::StoreCleared);
                }
                s.store.borrow_mut().extend(ids.iter().cloned());
                w.emit(&s.name, Kind::Stored { ids });
            }
            Ok(Message::SyncDone) => w.emit(
                &s.name,
                Kind::HaSynced {
                    primary: partner.to_string(),
                    backup: s.name.clone(),
                    port: port.id.value.clone(),
                    tls,
                },
            ),
            Ok(Message::Replicate { id }) => {
                s.store.borrow_mut().insert(id.clone());
                w.emit(
                    &s.name,
                    Kind::Stored {
                        ids: vec![id.clone()],
                    },
                );
                session.send(Message::Replicated { id });
            }
            Ok(Message::RoleNotice { role: Role::Backup }) => {
                break DisconnectReason::PeerIsBackup;
            }
            Ok(_) => {}
            Err(reason) => break reason,
        }
    };
    w.emit(
        &s.name,
        Kind::Disconnected {
            peer: partner.to_string(),
            port: port.id.value.clone(),
            reason,
        },
    );
}
