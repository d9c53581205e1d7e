//! The Local Control Agent of one host: it runs the host's applications (a supervisor each,
//! which sees a process die at once), listens on the host's `lcaport` for the SCS, reports
//! every application's state to it, and applies the roles it orders. The newest SCS
//! connection is the one that counts: a new one replaces the old (after a partition heals the
//! SCS dials afresh while the old session may linger). It polls the SCS only when the SCS asks
//! (`addp-remote-timeout`).

use std::collections::BTreeMap;
use std::rc::Rc;

use tokio::sync::{mpsc, watch};

use super::super::addp::{self, Addp};
use super::super::session::Session;
use super::super::{Run, Scope, World, app};
use crate::net::{Net, Process};
use crate::topology::Role;
use crate::trace::{DisconnectReason, Kind, StopReason};
use crate::wire::Message;

/// A state change an application supervisor reports to its LCA.
struct State {
    app: String,
    running: bool,
}

/// The LCA's session with the SCS.
struct Scs {
    session: Session,
    addp: Addp,
}

/// The next message of the SCS session, or pending forever when there is none.
async fn from_scs(scs: &mut Option<Scs>) -> Result<Message, DisconnectReason> {
    match scs {
        Some(s) => s.addp.next(&mut s.session).await,
        None => std::future::pending().await,
    }
}

pub(super) async fn run<N: Net>(w: Rc<World<N>>, host_key: String) {
    let node = format!("lca@{host_key}");
    let (state_tx, mut states) = mpsc::unbounded_channel::<State>();
    let mut roles: BTreeMap<String, watch::Sender<Option<Role>>> = BTreeMap::new();
    for app in w.topology.apps.iter().filter(|a| a.host.value == host_key) {
        let (tx, rx) = watch::channel(None);
        roles.insert(app.name.value.clone(), tx);
        tokio::task::spawn_local(supervise(
            Rc::clone(&w),
            app.name.value.clone(),
            rx,
            state_tx.clone(),
        ));
    }
    let port = w.topology.host(&host_key).map_or(4999, |h| h.lcaport.value);
    let Ok(listener) = w.net.bind(port).await else {
        w.emit(
            &node,
            Kind::Stopped {
                reason: StopReason::ScsCannotListen,
            },
        );
        return;
    };
    let (conn_tx, mut conns) = mpsc::unbounded_channel();
    tokio::task::spawn_local(accept(Rc::clone(&w), listener, conn_tx));
    let mut running: BTreeMap<String, bool> = BTreeMap::new();
    let mut scs: Option<Scs> = None;
    let report = |scs: &Option<Scs>, running: &BTreeMap<String, bool>| {
        let Some(s) = scs else { return };
        for (app, up) in running {
            let role = roles.get(app).and_then(|r| *r.borrow());
            s.session.send(Message::AppState {
                app: app.clone(),
                running: *up,
                role,
            });
        }
    };
    loop {
        tokio::select! {
            biased;
            s = states.recv() => {
                let Some(s) = s else { return };
                running.insert(s.app.clone(), s.running);
                if !s.running {
                    if let Some(r) = roles.get(&s.app) { r.send_replace(None); }
                }
                if let Some(c) = &scs {
                    c.session.send(Message::AppState { app: s.app, running: s.running, role: None });
                }
            }
            c = conns.recv() => {
                let Some(stream) = c else { return };
                // The SCS dialled afresh: its old session, if any, is dropped (closed).
                let session = Session::start(stream, w.timers.clone());
                let addp = Addp::new("scs", addp::Params::OFF, addp::emitter(&w, &node));
                scs = Some(Scs { session, addp });
            }
            m = from_scs(&mut scs) => match m {
                Ok(Message::SetRole { app, role }) => {
                    if let (Some(r), Some(c)) = (roles.get(&app), &scs) {
                        r.send_replace(Some(role));
                        // The server reads its role from this watch: from now on it acts
                        // in the new role, which the SCS may be waiting to hear.
                        c.session.send(Message::RoleApplied { app, role });
                    }
                }
                Ok(Message::StateQuery) => report(&scs, &running),
                Ok(_) => {}
                Err(_) => scs = None,
            },
        }
    }
}

/// Accepts the SCS's connections on the LCA port.
async fn accept<N: Net>(
    w: Rc<World<N>>,
    listener: N::Listener,
    conns: mpsc::UnboundedSender<super::super::transport::Io>,
) {
    loop {
        match w.net.accept(&listener).await {
            Ok((stream, _)) => {
                if conns.send(Box::new(stream)).is_err() {
                    return;
                }
            }
            Err(_) => w.timers.sleep(super::REDIAL).await,
        }
    }
}

/// Runs one application while the board says `Up`; a `Down` aborts it (a process crash).
async fn supervise<N: Net>(
    w: Rc<World<N>>,
    app: String,
    role: watch::Receiver<Option<Role>>,
    states: mpsc::UnboundedSender<State>,
) {
    let Some(mut run) = w.board.run.get(&app).map(watch::Sender::subscribe) else {
        return;
    };
    loop {
        if *run.borrow_and_update() == Run::Down {
            if run.changed().await.is_err() {
                return;
            }
            continue;
        }
        let scope = Scope::default();
        let process = Process::default();
        let task = tokio::task::spawn_local(process.run(app::run(
            Rc::clone(&w),
            app.clone(),
            role.clone(),
            scope.clone(),
        )));
        let _ = states.send(State {
            app: app.clone(),
            running: true,
        });
        let abort = task.abort_handle();
        let crashed = tokio::select! {
            biased;
            _ = run.wait_for(|r| *r == Run::Down) => true,
            _ = task => false,
        };
        if crashed {
            // Its host lives on and resets the dead process's connections.
            process.kill();
        }
        scope.abort();
        let _ = states.send(State {
            app: app.clone(),
            running: false,
        });
        if crashed {
            abort.abort();
            w.emit(
                &app,
                Kind::Stopped {
                    reason: StopReason::Crashed,
                },
            );
        } else if run.changed().await.is_err() {
            // The process ended by itself (a refused configuration): it stays down until the
            // operator restarts it (a restart order starts it again at once, as an LCA would;
            // a crash order finds it down, and the restart after it starts it).
            return;
        }
    }
}
