//! The Management Layer: a Local Control Agent on every host starts and watches the host's
//! applications (it sees a process die at once) and reports to the Solution Control Server;
//! the SCS watches every LCA through ADDP (the host's `addp-timeout`, 9 s by default), gives
//! each instance its role, promotes the backup when the primary's process or host dies, and
//! carries out manual switchovers. Windows with two primaries or none happen as in the real
//! system (a partitioned primary keeps its role until it hears from the SCS again).

use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::session::Session;
use super::{Order, Run, SCS_PORT, Scope, World, app};
use crate::net::{Net, Process};
use crate::topology::{Purpose, Role};
use crate::trace::{FaultName, Kind, StopReason, SwitchoverReason, SwitchoverRefusal};
use crate::wire::Message;

/// How often an LCA says it is alive.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// Everything one host runs: its LCA (and so its applications), and the SCS if it lives here.
pub async fn host<N: Net>(w: Rc<World<N>>, host_key: String, runs_scs: bool) {
    if runs_scs {
        tokio::task::spawn_local(scs(Rc::clone(&w)));
    }
    lca(w, host_key).await;
}

/// A state change an application supervisor reports to its LCA.
struct State {
    app: String,
    running: bool,
}

async fn lca<N: Net>(w: Rc<World<N>>, host_key: String) {
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
    let mut running: BTreeMap<String, bool> = BTreeMap::new();
    loop {
        // A partitioned SCS answers nothing: the dial has a deadline, as every dial does.
        let dial = w.net.connect(&w.scs_host, SCS_PORT);
        let Ok(Ok(stream)) = w.timers.timeout(super::transport::DIAL_TIMEOUT, dial).await else {
            // Keep the supervisors' news while the SCS is unreachable.
            while let Ok(s) = states.try_recv() {
                running.insert(s.app, s.running);
            }
            w.timers.sleep(HEARTBEAT).await;
            continue;
        };
        let mut session = Session::start(Box::new(stream), w.timers.clone());
        session.send(Message::Hello {
            from: node.clone(),
            purpose: Purpose::Control,
        });
        for (app, up) in &running {
            let role = roles.get(app).and_then(|r| *r.borrow());
            session.send(Message::AppState {
                app: app.clone(),
                running: *up,
                role,
            });
        }
        let mut beat = w.timers.every(HEARTBEAT);
        // A stalled connection (a partition, then a heal) never closes by itself: without
        // replies for the host's ADDP timeout, the LCA dials the SCS afresh.
        let addp = w
            .topology
            .host(&host_key)
            .map_or(Duration::from_secs(9), |h| h.addp_timeout.value);
        let mut heard = w.net.now();
        loop {
            tokio::select! {
                biased;
                s = states.recv() => {
                    let Some(s) = s else { return };
                    running.insert(s.app.clone(), s.running);
                    if !s.running {
                        if let Some(r) = roles.get(&s.app) { r.send_replace(None); }
                    }
                    session.send(Message::AppState { app: s.app, running: s.running, role: None });
                }
                m = session.rx.recv() => match m {
                    Some(Ok(Message::SetRole { app, role })) => {
                        if let Some(r) = roles.get(&app) {
                            r.send_replace(Some(role));
                            // The server reads its role from this watch: from now on it acts
                            // in the new role, which the SCS may be waiting to hear.
                            session.send(Message::RoleApplied { app, role });
                        }
                    }
                    Some(Ok(Message::StateQuery)) => {
                        for (app, up) in &running {
                            let role = roles.get(app).and_then(|r| *r.borrow());
                            session.send(Message::AppState { app: app.clone(), running: *up, role });
                        }
                    }
                    Some(Ok(_)) => heard = w.net.now(),
                    _ => break,
                },
                _ = beat.tick() => {
                    if w.net.now().saturating_sub(heard) > addp {
                        break;
                    }
                    session.send(Message::Ping);
                }
            }
        }
        w.timers.sleep(HEARTBEAT).await;
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
        } else if run.wait_for(|r| *r == Run::Down).await.is_err() {
            // The process ended by itself (a refused configuration): it stays down until the
            // operator restarts it.
            return;
        }
    }
}

/// The SCS's view of one LCA connection.
enum Report {
    Hello {
        host: String,
        tx: mpsc::UnboundedSender<Message>,
    },
    Msg {
        host: String,
        msg: Message,
        tx: mpsc::UnboundedSender<Message>,
    },
}

async fn scs<N: Net>(w: Rc<World<N>>) {
    let Ok(listener) = w.net.bind(SCS_PORT).await else {
        w.emit(
            "scs",
            Kind::Stopped {
                reason: StopReason::ScsCannotListen,
            },
        );
        return;
    };
    let (tx, mut reports) = mpsc::unbounded_channel();
    tokio::task::spawn_local(scs_accept(Rc::clone(&w), listener, tx));
    let mut c = Scs::new(Rc::clone(&w));
    let mut switchovers = w.board.switchover.subscribe();
    let mut ordered_done = 0;
    let mut check = w.timers.every(HEARTBEAT);
    loop {
        tokio::select! {
            biased;
            r = reports.recv() => match r {
                Some(Report::Hello { host, tx }) => { c.lcas.insert(host.clone(), tx); c.seen.insert(host, w.net.now()); }
                Some(Report::Msg { host, msg, tx }) => {
                    if !c.lcas.contains_key(&host) {
                        // A host the SCS had given up on speaks again: ask for its truth.
                        let _ = tx.send(Message::StateQuery);
                        c.lcas.insert(host.clone(), tx);
                    }
                    c.on_message(&host, msg);
                }
                None => return,
            },
            changed = switchovers.changed() => {
                if changed.is_err() { continue; }
                let ordered = switchovers.borrow_and_update().clone();
                for order in ordered.iter().skip(ordered_done) { c.manual(order); }
                ordered_done = ordered.len();
            },
            _ = check.tick() => c.check_hosts(),
        }
    }
}

async fn scs_accept<N: Net>(
    w: Rc<World<N>>,
    listener: N::Listener,
    reports: mpsc::UnboundedSender<Report>,
) {
    while let Ok((stream, _)) = w.net.accept(&listener).await {
        let reports = reports.clone();
        let timers = w.timers.clone();
        tokio::task::spawn_local(async move {
            let mut session = Session::start(Box::new(stream), timers);
            let Some(Ok(Message::Hello { from, .. })) = session.rx.recv().await else {
                return;
            };
            let host = from.trim_start_matches("lca@").to_string();
            let _ = reports.send(Report::Hello {
                host: host.clone(),
                tx: session.tx.clone(),
            });
            while let Some(Ok(msg)) = session.rx.recv().await {
                // ADDP runs both ways: the LCA learns from the replies that the SCS hears it.
                if msg == Message::Ping {
                    session.send(Message::Pong);
                }
                let _ = reports.send(Report::Msg {
                    host: host.clone(),
                    msg,
                    tx: session.tx.clone(),
                });
            }
        });
    }
}

/// The SCS's decisions.
struct Scs<N: Net> {
    w: Rc<World<N>>,
    lcas: BTreeMap<String, mpsc::UnboundedSender<Message>>,
    seen: BTreeMap<String, Duration>,
    running: BTreeMap<String, bool>,
    /// Per pair (named by its configured primary): the instance the SCS made primary.
    primary: BTreeMap<String, String>,
    /// Per pair: a manual switchover waiting for the current primary to confirm its demotion.
    pending: BTreeMap<String, Pending>,
}

/// A manual switchover under way: the primary has been told to step down; its peer is
/// promoted once the primary's LCA confirms (so the demoted instance acknowledges nothing the
/// new primary lacks), or at the deadline if no confirmation comes.
struct Pending {
    from: String,
    to: String,
    deadline: Duration,
}

impl<N: Net> Scs<N> {
    fn new(w: Rc<World<N>>) -> Self {
        Self {
            w,
            lcas: BTreeMap::new(),
            seen: BTreeMap::new(),
            running: BTreeMap::new(),
            primary: BTreeMap::new(),
            pending: BTreeMap::new(),
        }
    }

    fn set_role(&self, app: &str, role: Role) {
        let Some(host) = self.w.topology.app(app).map(|a| a.host.value.clone()) else {
            return;
        };
        if let Some(tx) = self.lcas.get(&host) {
            let _ = tx.send(Message::SetRole {
                app: app.to_string(),
                role,
            });
        }
    }

    /// (pair key, partner) of a paired application.
    fn pair(&self, app: &str) -> Option<(String, String)> {
        let p = self.w.topology.pair_of(app)?;
        let partner = if p.primary.name.value == app {
            &p.backup.name.value
        } else {
            &p.primary.name.value
        };
        Some((p.primary.name.value.clone(), partner.clone()))
    }

    fn on_message(&mut self, host: &str, msg: Message) {
        self.seen.insert(host.to_string(), self.w.net.now());
        if let Message::RoleApplied {
            app,
            role: Role::Backup,
        } = &msg
        {
            self.demoted(app);
            return;
        }
        let Message::AppState { app, running, role } = msg else {
            return;
        };
        self.running.insert(app.clone(), running);
        let is_server = self
            .w
            .topology
            .app(&app)
            .is_some_and(crate::topology::App::is_server);
        if !is_server {
            return;
        }
        let Some((key, partner)) = self.pair(&app) else {
            if running {
                self.set_role(&app, Role::Primary);
            }
            return;
        };
        if !running {
            if self.primary.get(&key) == Some(&app) {
                self.failover(&key, &partner, SwitchoverReason::PrimaryStopped);
            }
            return;
        }
        if self.pending.contains_key(&key) {
            // A manual switchover is under way: it decides both roles.
            return;
        }
        let current = self.primary.get(&key).cloned();
        let partner_up = self.running.get(&partner).copied().unwrap_or(false);
        let give = match current {
            Some(p) if p == app => Role::Primary,
            Some(_) if partner_up => Role::Backup,
            // The recorded primary is down (or nothing is recorded): the configured primary
            // leads, or the configured backup when the configured primary is to be down: a configured backup waits for the configured primary otherwise.
            _ if app == key || self.running.get(&partner) == Some(&false) => {
                self.primary.insert(key.clone(), app.clone());
                Role::Primary
            }
            _ => Role::Backup,
        };
        if role != Some(give) {
            self.set_role(&app, give);
        }
    }

    fn failover(&mut self, key: &str, to: &str, reason: SwitchoverReason) {
        self.pending.remove(key);
        if !self.running.get(to).copied().unwrap_or(false) {
            self.primary.remove(key);
            return;
        }
        self.promote(key, to, reason);
    }

    /// A manual switchover: the current primary steps down first, and its peer is promoted
    /// when the step-down is confirmed ([`Scs::demoted`]) or its deadline passes.
    fn manual(&mut self, order: &Order) {
        let app = order.app();
        let Some((key, _)) = self.pair(app) else {
            return;
        };
        let current = self.primary.get(&key).cloned();
        let target = match order {
            Order::To(x) => Some(x.to_string()),
            Order::Pair(_) => current.as_ref().and_then(|c| self.pair(c)).map(|(_, p)| p),
        };
        let refusal = match &target {
            _ if self.pending.contains_key(&key) => Some(SwitchoverRefusal::UnderWay),
            None => Some(SwitchoverRefusal::NoPrimary),
            Some(t) if current.as_ref() == Some(t) => Some(SwitchoverRefusal::AlreadyPrimary),
            Some(t) if !self.running.get(t).copied().unwrap_or(false) => {
                Some(SwitchoverRefusal::NotRunning)
            }
            Some(_) => None,
        };
        let (Some(to), None) = (target, refusal) else {
            self.w.emit(
                "scs",
                Kind::SwitchoverRefused {
                    app: app.to_string(),
                    reason: refusal.unwrap_or(SwitchoverRefusal::NoPrimary),
                },
            );
            return;
        };
        match current {
            Some(from) if self.running.get(&from).copied().unwrap_or(false) => {
                let limit = self.addp_of(&from);
                self.set_role(&from, Role::Backup);
                self.pending.insert(
                    key,
                    Pending {
                        from,
                        to,
                        deadline: self.w.net.now().saturating_add(limit),
                    },
                );
            }
            _ => self.promote(&key, &to, SwitchoverReason::Manual),
        }
    }

    /// The LCA confirms that `app` now acts as backup: a switchover waiting for that goes on.
    fn demoted(&mut self, app: &str) {
        let Some((key, _)) = self.pair(app) else {
            return;
        };
        if self.pending.get(&key).is_some_and(|p| p.from == app) {
            if let Some(p) = self.pending.remove(&key) {
                self.promote(&key, &p.to, SwitchoverReason::Manual);
            }
        }
    }

    fn promote(&mut self, key: &str, to: &str, reason: SwitchoverReason) {
        self.primary.insert(key.to_string(), to.to_string());
        self.w.emit(
            "scs",
            Kind::Switchover {
                promote: to.to_string(),
                reason,
            },
        );
        self.set_role(to, Role::Primary);
    }

    /// The ADDP timeout of the host an application runs on (9 s by default).
    fn addp_of(&self, app: &str) -> Duration {
        self.w
            .topology
            .app(app)
            .and_then(|a| self.w.topology.host(&a.host.value))
            .map_or(Duration::from_secs(9), |h| h.addp_timeout.value)
    }

    /// ADDP towards every LCA: a host silent for its `addp-timeout` is lost.
    fn check_hosts(&mut self) {
        let now = self.w.net.now();
        let overdue: Vec<String> = self
            .pending
            .iter()
            .filter(|(_, p)| now >= p.deadline)
            .map(|(k, _)| k.clone())
            .collect();
        for key in overdue {
            if let Some(p) = self.pending.remove(&key) {
                self.promote(&key, &p.to, SwitchoverReason::ManualUnconfirmed);
            }
        }
        let lost: Vec<String> = self
            .lcas
            .keys()
            .filter(|h| {
                let limit = self
                    .w
                    .topology
                    .host(h)
                    .map_or(Duration::from_secs(9), |x| x.addp_timeout.value);
                self.seen
                    .get(*h)
                    .is_some_and(|s| now.saturating_sub(*s) > limit)
            })
            .cloned()
            .collect();
        for host in lost {
            self.lcas.remove(&host);
            self.w.emit(
                "scs",
                Kind::Fault {
                    fault: FaultName::HostLost,
                    target: host.clone(),
                },
            );
            let apps: Vec<String> = self
                .w
                .topology
                .apps
                .iter()
                .filter(|a| a.host.value == host)
                .map(|a| a.name.value.clone())
                .collect();
            for app in apps {
                self.running.insert(app.clone(), false);
                if let Some((key, partner)) = self.pair(&app) {
                    if self.primary.get(&key) == Some(&app) {
                        self.failover(&key, &partner, SwitchoverReason::PrimaryHostSilent);
                    }
                }
            }
        }
    }
}
