//! The serving side of an application: a listener per port honouring its mode, the role the
//! SCS gives it, client sessions, and client events stored (through its [`Store`](super::store::Store)), replicated
//! over the HA link (`ha.rs`) and acknowledged after the backup has them (hot standby) or at
//! once (warm standby).
//!
//! Every server type has this side, even one that listens on no port (a DAP): the SCS gives it
//! a role. Its outbound connections are another component (`dialer.rs`), composed by `app.rs`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use super::addp::{self, Addp};
use super::instance::{HELLO_TIMEOUT, Server, Tx, is_tserver};
use super::session::Session;
use super::store::Memory;
use super::switch::Distributor;
use super::{Scope, World, ha, transport};
use crate::net::Net;
use crate::topology::{App, AppType, Purpose, Redundancy, Role};
use crate::trace::{Kind, StopReason};
use crate::wire::Message;

/// How long a listener waits after a failed accept before it accepts again.
const ACCEPT_RETRY: Duration = Duration::from_secs(1);

/// Starts the serving side of application `app`: its listeners, with an empty store.
///
/// `None` when the node refuses its configuration (traced): the process ends there.
pub(super) async fn start<N: Net>(
    w: &Rc<World<N>>,
    app: &App,
    role: watch::Receiver<Option<Role>>,
    scope: Scope,
) -> Option<Rc<Server<N>>> {
    if refuse(w, app) {
        return None;
    }
    let name = &app.name.value;
    let pair = w.topology.pair_of(name);
    let hot = pair.is_some_and(|p| p.redundancy() == Redundancy::HotStandby);
    let sip = pair.is_some() && app.kind.value == AppType::SipServer;
    let s = Rc::new(Server {
        partner: pair.map(|p| {
            if p.primary.name.value == *name {
                p.backup.name.value.clone()
            } else {
                p.primary.name.value.clone()
            }
        }),
        hot,
        tserver: hot && is_tserver(app.kind.value),
        sip,
        host: app.host.value.clone(),
        w: Rc::clone(w),
        name: name.clone(),
        role,
        announced: watch::channel(None).0,
        store: RefCell::new(Box::new(Memory::default())),
        clients: RefCell::default(),
        backup: RefCell::default(),
        pending: RefCell::default(),
        scope,
        stopped: Notify::new(),
        ha: RefCell::default(),
        backup_link: Cell::new(None),
        delay: Cell::new(Duration::ZERO),
        traced: RefCell::new(None),
        ports_open: Cell::new(true),
        port_check: sip && w.option_flag(name, "TServer", "backup-sip-port-check"),
        unavailable: Cell::new(false),
    });
    w.emit(name, Kind::Started { role: None });
    w.emit(name, Kind::StoreCleared);
    for port in &app.ports {
        match w.net.bind(port.number.value).await {
            Ok(listener) => {
                w.emit(
                    name,
                    Kind::Listening {
                        port: port.id.value.clone(),
                        number: port.number.value,
                        mode: port.mode.value,
                    },
                );
                s.scope
                    .spawn(accept_loop(Rc::clone(&s), port.id.value.clone(), listener));
            }
            Err(e) => {
                s.ports_open.set(false);
                w.emit(
                    name,
                    Kind::Stopped {
                        reason: StopReason::CannotListen {
                            port: port.id.value.clone(),
                            error: e.to_string(),
                        },
                    },
                );
            }
        }
    }
    if sip && w.option_flag(name, "TServer", "backup-init-check") {
        // Read at start, as documented; the checks are judged when the timeout expires.
        let timeout = w.option_secs(name, "TServer", "backup-init-check-timeout");
        let checked = Rc::clone(&s);
        s.scope.spawn(async move {
            if let Some(t) = timeout {
                checked.w.timers.sleep(t).await;
            }
            checked.init_check();
        });
    }
    Some(s)
}

/// Serves until the process ends: follows the role the SCS gives, until a crash aborts it or
/// its store fails.
pub(super) async fn serve<N: Net>(s: Rc<Server<N>>) {
    // A data source takes the switch's call events while it serves (node/switch.rs).
    let source =
        s.w.topology
            .app(&s.name)
            .is_some_and(|a| a.kind.value.is_icon_source());
    let _attached = source.then(|| {
        let weak: std::rc::Weak<dyn Distributor> = Rc::downgrade(&s) as std::rc::Weak<Server<N>>;
        s.w.board.attach(&s.name, weak)
    });
    tokio::select! {
        biased;
        () = s.stopped.notified() => {}
        () = roles(Rc::clone(&s)) => {}
    }
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

/// The backup's HA dialer, aborted when dropped: at a role change, and when the process ends
/// (a crash drops the role loop; a dialer that outlived it would keep the dead instance's HA
/// session open and go on storing what the primary replicates).
struct HaDialer(Scope);

impl Drop for HaDialer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Follows the role the SCS gives: notices to clients, and the HA link while backup.
async fn roles<N: Net>(s: Rc<Server<N>>) {
    let mut rx = s.role.clone();
    let mut current: Option<Role> = None;
    let mut dialer: Option<HaDialer> = None;
    loop {
        let next = *rx.borrow_and_update();
        if next != current {
            if let Some(to) = next {
                s.w.emit(&s.name, Kind::RoleChanged { from: current, to });
            }
            if current == Some(Role::Backup) && next == Some(Role::Primary) {
                // Judged before the backup's end of the HA link is dropped just below.
                s.promoted();
            }
            current = next;
            s.announced.send_replace(next);
            drop(dialer.take());
            // Aborted, the backup's end of the link cannot say it ended: say it here.
            if let Some(id) = s.backup_link.take() {
                s.link_down(id);
            }
            s.refresh();
            if let Some(role) = next {
                s.clients
                    .borrow_mut()
                    .retain(|c| c.send(Message::RoleNotice { role }).is_ok());
            }
            if next == Some(Role::Backup) && s.partner.is_some() {
                let d = Scope::default();
                d.spawn(ha::dial(Rc::clone(&s)));
                dialer = Some(HaDialer(d));
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
            Err(_) => s.w.timers.sleep(ACCEPT_RETRY).await,
        }
    }
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
        // A warm-standby backup serves no client until promoted [S-HACS]: it has said it is
        // backup, and closes the session.
        Purpose::Client if role == Role::Backup && !s.hot => s.w.emit(
            &s.name,
            Kind::ClientRefused {
                peer: from,
                port: port_id,
                reason: "backup of a warm-standby pair accepts no client sessions".into(),
            },
        ),
        Purpose::Client => client_session(s, session, from, port_id, tls).await,
        Purpose::HaLink if role == Role::Primary => ha::serve(s, session, from, port_id, tls).await,
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
    // The serving side polls only when the client asks it to (its Remote Timeout).
    let mut addp = Addp::new(&from, addp::Params::OFF, addp::emitter(&s.w, &s.name));
    let reason = loop {
        match addp.next(&mut session).await {
            Ok(Message::Request { id }) => match s.role_now() {
                Some(Role::Primary) => accept_event(&s, id, session.tx.clone()),
                _ => session.send(Message::RoleNotice { role: Role::Backup }),
            },
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
    let fresh = s.store.borrow_mut().insert(&id);
    match fresh {
        Ok(true) => {}
        Ok(false) => {
            let _ = client.send(Message::Ack { id });
            return;
        }
        Err(e) => return s.fail(&e),
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

impl<N: Net> Distributor for Server<N> {
    fn role(&self) -> Option<Role> {
        *self.announced.borrow()
    }

    fn distribute(&self, seq: u64, cti: &crate::cti::CtiEvent) {
        self.clients.borrow_mut().retain(|c| {
            c.send(Message::CallEvent {
                seq,
                cti: cti.clone(),
            })
            .is_ok()
        });
    }
}
