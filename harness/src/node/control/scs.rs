//! The Solution Control Server: it dials every host's LCA on its `lcaport` and watches it
//! through ADDP (the host's `[addp]` options), gives each instance its role, fails over a
//! pair when its primary's process stops or its host is lost (after
//! `disconnect-switchover-timeout`), and carries out manual switchovers at once. What it says
//! of a pair's roles (flapping, split brain, no brain) is `brain.rs`'s.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::super::addp::{self, Addp, Params};
use super::super::session::Session;
use super::super::transport::DIAL_TIMEOUT;
use super::super::{Order, World};
use super::REDIAL;
use super::brain::Brain;
use crate::net::Net;
use crate::topology::{AppType, Purpose, Role};
use crate::trace::{FaultName, Kind, SwitchoverReason, SwitchoverRefusal};
use crate::wire::Message;

/// How often the SCS looks at its deadlines (a delayed failover, an unconfirmed step-down, a
/// flapping pair settling).
const CHECK: Duration = Duration::from_secs(1);

/// What the SCS hears of one LCA connection.
enum Report {
    /// Connected (again): orders go through `tx`.
    Up {
        host: String,
        tx: mpsc::UnboundedSender<Message>,
    },
    /// A message of the LCA.
    Msg { host: String, msg: Message },
    /// The connection ended (ADDP or close).
    Down { host: String },
}

pub(super) async fn run<N: Net>(w: Rc<World<N>>) {
    let (tx, mut reports) = mpsc::unbounded_channel();
    for h in &w.topology.hosts {
        tokio::task::spawn_local(dial(Rc::clone(&w), h.key.value.clone(), tx.clone()));
    }
    drop(tx);
    let mut c = Scs::new(Rc::clone(&w));
    let mut switchovers = w.board.switchover.subscribe();
    let mut ordered_done = 0;
    let mut check = w.timers.every(CHECK);
    loop {
        tokio::select! {
            biased;
            r = reports.recv() => match r {
                Some(Report::Up { host, tx }) => c.up(host, tx),
                Some(Report::Msg { host, msg }) => c.on_message(&host, msg),
                Some(Report::Down { host }) => c.down(&host),
                None => return,
            },
            changed = switchovers.changed() => {
                if changed.is_err() { continue; }
                let ordered = switchovers.borrow_and_update().clone();
                for order in ordered.iter().skip(ordered_done) { c.manual(order); }
                ordered_done = ordered.len();
            },
            _ = check.tick() => c.check(),
        }
    }
}

/// Keeps the SCS's connection to the LCA of `host_key`: dials its `lcaport`, runs ADDP with
/// the host's `[addp]` options (read at each connection), and dials again after a loss.
async fn dial<N: Net>(w: Rc<World<N>>, host_key: String, reports: mpsc::UnboundedSender<Report>) {
    let Some(host) = w.topology.host(&host_key) else {
        return;
    };
    let (name, port) = (host.name.value.clone(), host.lcaport.value);
    let peer = format!("lca@{host_key}");
    loop {
        if let Ok(Ok(stream)) = w
            .timers
            .timeout(DIAL_TIMEOUT, w.net.connect(&name, port))
            .await
        {
            let mut session = Session::start(Box::new(stream), w.timers.clone());
            session.send(Message::Hello {
                from: "scs".into(),
                purpose: Purpose::Control,
            });
            let mut addp = Addp::new(
                &peer,
                Params::of_host(&w, &host_key),
                addp::emitter(&w, "scs"),
            );
            addp.start(&session);
            session.send(Message::StateQuery);
            let up = Report::Up {
                host: host_key.clone(),
                tx: session.tx.clone(),
            };
            if reports.send(up).is_err() {
                return;
            }
            while let Ok(msg) = addp.next(&mut session).await {
                let _ = reports.send(Report::Msg {
                    host: host_key.clone(),
                    msg,
                });
            }
            let _ = reports.send(Report::Down {
                host: host_key.clone(),
            });
        }
        w.timers.sleep(REDIAL).await;
    }
}

/// The SCS's decisions.
struct Scs<N: Net> {
    w: Rc<World<N>>,
    /// The SCS application whose `[general]` options it reads (none: the defaults).
    me: String,
    /// Per host key: the LCA connection, while up.
    lcas: BTreeMap<String, mpsc::UnboundedSender<Message>>,
    /// Per host key: a lost LCA the SCS waits for (`disconnect-switchover-timeout`) before it
    /// fails over the host's primaries, and until when.
    lost: BTreeMap<String, Duration>,
    running: BTreeMap<String, bool>,
    /// Per application: the role its LCA last reported it in.
    reported: BTreeMap<String, Role>,
    /// Per application: a role ordered and not yet reported applied.
    ordered: BTreeMap<String, Role>,
    /// Per pair (named by its configured primary): the instance the SCS made primary.
    primary: BTreeMap<String, String>,
    /// Per pair: a manual switchover waiting for the current primary to confirm its demotion.
    pending: BTreeMap<String, Pending>,
    /// What the SCS says of each pair's roles.
    brain: Brain,
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
        let me = w
            .topology
            .apps
            .iter()
            .find(|a| a.kind.value == AppType::Scs)
            .map_or_else(String::new, |a| a.name.value.clone());
        Self {
            w,
            me,
            lcas: BTreeMap::new(),
            lost: BTreeMap::new(),
            running: BTreeMap::new(),
            reported: BTreeMap::new(),
            ordered: BTreeMap::new(),
            primary: BTreeMap::new(),
            pending: BTreeMap::new(),
            brain: Brain::default(),
        }
    }

    /// An SCS `[general]` option in seconds, as configured now (`None`: off).
    fn general(&self, key: &str) -> Option<Duration> {
        self.w.option_secs(&self.me, "general", key)
    }

    fn emit(&self, kind: Option<Kind>) {
        if let Some(kind) = kind {
            self.w.emit("scs", kind);
        }
    }

    fn set_role(&mut self, app: &str, role: Role) {
        let Some(host) = self.w.topology.app(app).map(|a| a.host.value.clone()) else {
            return;
        };
        if let Some(tx) = self.lcas.get(&host) {
            let _ = tx.send(Message::SetRole {
                app: app.to_string(),
                role,
            });
            self.ordered.insert(app.to_string(), role);
        }
    }

    /// The applications of a host, in file order.
    fn apps_on(&self, host: &str) -> Vec<String> {
        self.w
            .topology
            .apps
            .iter()
            .filter(|a| a.host.value == host)
            .map(|a| a.name.value.clone())
            .collect()
    }

    /// An LCA is connected (again): a failover waiting for it is called off; its report
    /// (asked at connection) follows.
    fn up(&mut self, host: String, tx: mpsc::UnboundedSender<Message>) {
        self.lost.remove(&host);
        self.lcas.insert(host, tx);
    }

    /// An LCA connection ended (ADDP found it silent, or it closed): the host is lost; its
    /// primaries are failed over now, or after `disconnect-switchover-timeout` if the LCA has
    /// not come back by then (Genesys: "Changes take effect: immediately").
    fn down(&mut self, host: &str) {
        if self.lcas.remove(host).is_none() {
            return;
        }
        self.w.emit(
            "scs",
            Kind::Fault {
                fault: FaultName::HostLost,
                target: host.to_string(),
            },
        );
        for app in self.apps_on(host) {
            self.reported.remove(&app);
            self.ordered.remove(&app);
        }
        match self.general("disconnect-switchover-timeout") {
            Some(wait) if !wait.is_zero() => {
                let until = self.w.net.now().saturating_add(wait);
                self.lost.insert(host.to_string(), until);
            }
            _ => self.fail_host(host),
        }
    }

    /// Every primary of a lost host is failed over to its peer.
    fn fail_host(&mut self, host: &str) {
        for app in self.apps_on(host) {
            self.running.insert(app.clone(), false);
            if let Some((key, partner)) = self.pair(&app) {
                if self.primary.get(&key) == Some(&app) {
                    self.failover(&key, &partner, SwitchoverReason::PrimaryHostSilent);
                }
            }
        }
    }

    /// Deadlines: unconfirmed step-downs, lost hosts whose wait is over, flapping pairs that
    /// settled.
    fn check(&mut self) {
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
        let given_up: Vec<String> = self
            .lost
            .iter()
            .filter(|(_, until)| now >= **until)
            .map(|(h, _)| h.clone())
            .collect();
        for host in given_up {
            self.lost.remove(&host);
            self.fail_host(&host);
        }
        let window = self.general("haflip-detect-timeout");
        for kind in self.brain.settle(now, window) {
            self.w.emit("scs", kind);
        }
    }

    /// Judges the pair of `app` from the roles its instances reported, unless the SCS is
    /// changing them (an order not yet applied, a switchover under way) or one is down.
    fn judge(&mut self, app: &str) {
        let Some((key, partner)) = self
            .w
            .topology
            .pair_of(app)
            .map(|p| (p.primary.name.value.clone(), p.backup.name.value.clone()))
        else {
            return;
        };
        let settled = |a: &str| {
            self.running.get(a).copied().unwrap_or(false) && !self.ordered.contains_key(a)
        };
        if self.pending.contains_key(&key) || !settled(&key) || !settled(&partner) {
            return;
        }
        let roles = (
            self.reported.get(&key).copied(),
            self.reported.get(&partner).copied(),
        );
        let window = self.general("haflip-detect-timeout");
        let said = self.brain.judge(&key, roles, window.is_some());
        self.emit(said);
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
        if !self.lcas.contains_key(host) {
            return;
        }
        if let Message::RoleApplied { app, role } = &msg {
            self.reported.insert(app.clone(), *role);
            if self.ordered.get(app) == Some(role) {
                self.ordered.remove(app);
            }
            if *role == Role::Backup {
                self.demoted(app);
            }
            self.judge(app);
            return;
        }
        let Message::AppState { app, running, role } = msg else {
            return;
        };
        self.running.insert(app.clone(), running);
        match role {
            Some(r) if running => {
                self.reported.insert(app.clone(), r);
            }
            _ => {
                self.reported.remove(&app);
            }
        }
        if !running {
            self.ordered.remove(&app);
        }
        self.judge(&app);
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
            let partner_up = self.running.get(&partner).copied().unwrap_or(false);
            match self.primary.get(&key) {
                Some(p) if *p == app => {
                    self.failover(&key, &partner, SwitchoverReason::PrimaryStopped);
                }
                // No primary yet (this one never got its role): its running peer leads.
                None if partner_up && !self.pending.contains_key(&key) => {
                    self.primary.insert(key.clone(), partner.clone());
                    self.set_role(&partner, Role::Primary);
                }
                _ => {}
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
            // The recorded primary reports no role: it started again without the SCS seeing
            // it stop (its host was lost and came back while a failover was held off by
            // `disconnect-switchover-timeout`). It holds nothing now; a running backup has it
            // all and takes over, as after any restart ("returns as backup").
            Some(p)
                if p == app
                    && role.is_none()
                    && partner_up
                    && self.reported.get(&partner) == Some(&Role::Backup) =>
            {
                self.failover(&key, &partner, SwitchoverReason::PrimaryRestarted);
                Role::Backup
            }
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
        // The step-down goes through the primary's LCA; an instance whose LCA the SCS has
        // lost cannot be asked, and the switchover does not wait for it.
        let reachable = current
            .as_deref()
            .and_then(|from| self.w.topology.app(from))
            .is_some_and(|a| self.lcas.contains_key(&a.host.value));
        match current {
            Some(from) if self.running.get(&from).copied().unwrap_or(false) && reachable => {
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
        let window = self.general("haflip-detect-timeout");
        let said = self.brain.flipped(key, self.w.net.now(), window);
        self.emit(said);
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
}
