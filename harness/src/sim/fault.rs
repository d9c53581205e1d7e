//! Steps and faults, and how each takes effect on the simulation: process crash and restart
//! through the board (the LCA sees them), power-off as partition-then-crash (the host goes
//! silent), power-on as repair-then-restart, network faults through turmoil, clock skew and
//! certificate rotation through the hosts' TLS state, manual switchover and traffic through
//! the operator's side of the board.

use std::time::Duration;

use turmoil::Sim;

use super::{MANAGEMENT_HOST, SimError};
use crate::net::sim::SimNet;
use crate::node::trust::Scope;
use crate::node::{Run, World};
use crate::pki::LeafMaterial;
use crate::trace::{FaultName, Kind, StopReason};

/// One step of a plan.
pub struct Step {
    /// Virtual time it takes effect.
    pub at: Duration,
    /// What happens.
    pub action: Action,
}

/// What a step does.
pub enum Action {
    /// The application's process dies; its host lives.
    Crash(String),
    /// The application's process starts again (as backup, when its partner is primary).
    Restart(String),
    /// The host (key) goes silent: partitioned from every host, then crashed.
    PowerOff(String),
    /// The host (key) comes back: repaired and restarted.
    PowerOn(String),
    /// Messages between two hosts (keys) are dropped.
    Partition(String, String),
    /// A partition is repaired.
    Heal(String, String),
    /// Messages between two hosts are held.
    Hold(String, String),
    /// Held messages are delivered.
    Release(String, String),
    /// Latency on the link between two hosts.
    Latency(String, String, Duration),
    /// Failure rate (0–1) of the link between two hosts.
    Loss(String, String, f64),
    /// A host's clock is off by this many seconds (TLS validity reads it).
    Skew(String, i64),
    /// A certificate is replaced (new handshakes use the new one).
    Rotate(String, Box<LeafMaterial>),
    /// The trusted CAs of an application or host change (`[pki.ca]` names; new handshakes
    /// verify with them).
    Trust(Scope, Vec<String>),
    /// The operator orders a manual switchover.
    Switchover(crate::node::Order),
    /// A client's traffic generator runs at this many requests per second.
    Traffic(String, f64),
    /// An application's option is set (application, section, key, value), as an operator
    /// would in Configuration Manager; nodes read it where it takes effect.
    Option(String, String, String, String),
}

impl Action {
    /// A short name for the trace.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Crash(_) => "crash",
            Action::Restart(_) => "restart",
            Action::PowerOff(_) => "power-off",
            Action::PowerOn(_) => "power-on",
            Action::Partition(..) => "partition",
            Action::Heal(..) => "heal",
            Action::Hold(..) => "hold",
            Action::Release(..) => "release",
            Action::Latency(..) => "latency",
            Action::Loss(..) => "loss",
            Action::Skew(..) => "clock-skew",
            Action::Rotate(..) => "rotate-certificate",
            Action::Trust(..) => "trusted-ca-change",
            Action::Switchover(_) => "switchover",
            Action::Traffic(..) => "traffic",
            Action::Option(..) => "option-change",
        }
    }
}

fn host_name(w: &World<SimNet>, at: Duration, key: &str) -> Result<String, SimError> {
    w.topology
        .host(key)
        .map(|h| h.name.value.clone())
        .ok_or_else(|| SimError::Step {
            at,
            what: format!("no host `{key}`"),
        })
}

fn every_host(w: &World<SimNet>) -> Vec<String> {
    let mut all: Vec<String> = w
        .topology
        .hosts
        .iter()
        .map(|h| h.name.value.clone())
        .collect();
    if !all.contains(&w.scs_host) {
        all.push(MANAGEMENT_HOST.to_string());
    }
    all
}

/// Applies one step.
///
/// # Errors
/// [`SimError::Step`] when it names something that does not exist.
pub(super) fn apply(
    sim: &mut Sim<'_>,
    w: &World<SimNet>,
    step: &Step,
    partitioned: &mut Vec<String>,
) -> Result<(), SimError> {
    let at = step.at;
    let app_exists = |name: &str| {
        if w.topology.app(name).is_some() {
            Ok(())
        } else {
            Err(SimError::Step {
                at,
                what: format!("no application `{name}`"),
            })
        }
    };
    let target = match &step.action {
        Action::Crash(app) | Action::Restart(app) => {
            app_exists(app)?;
            let run = if matches!(step.action, Action::Crash(_)) {
                Run::Down
            } else {
                Run::Up
            };
            if let Some(tx) = w.board.run.get(app) {
                tx.send_replace(run);
            }
            app.clone()
        }
        Action::PowerOff(key) => {
            let name = host_name(w, at, key)?;
            for other in every_host(w).iter().filter(|h| **h != name) {
                sim.partition(name.as_str(), other.as_str());
            }
            sim.crash(name.as_str());
            // Every process of the host dies with it (the LCA too: nobody reports it).
            for app in w.topology.apps.iter().filter(|a| a.host.value == *key) {
                w.trace.emit(
                    sim.elapsed(),
                    &app.name.value,
                    Kind::Stopped {
                        reason: StopReason::PoweredOff,
                    },
                );
            }
            partitioned.push(name.clone());
            key.clone()
        }
        Action::PowerOn(key) => {
            let name = host_name(w, at, key)?;
            for other in every_host(w).iter().filter(|h| **h != name) {
                sim.repair(name.as_str(), other.as_str());
            }
            partitioned.retain(|p| *p != name);
            sim.bounce(name.as_str());
            key.clone()
        }
        Action::Partition(a, b)
        | Action::Heal(a, b)
        | Action::Hold(a, b)
        | Action::Release(a, b) => {
            let (x, y) = (host_name(w, at, a)?, host_name(w, at, b)?);
            match step.action {
                Action::Partition(..) => sim.partition(x.as_str(), y.as_str()),
                Action::Heal(..) => sim.repair(x.as_str(), y.as_str()),
                Action::Hold(..) => sim.hold(x.as_str(), y.as_str()),
                _ => sim.release(x.as_str(), y.as_str()),
            }
            format!("{a}<->{b}")
        }
        Action::Latency(a, b, d) => {
            let (x, y) = (host_name(w, at, a)?, host_name(w, at, b)?);
            sim.set_link_latency(x.as_str(), y.as_str(), *d);
            format!("{a}<->{b}")
        }
        Action::Loss(a, b, rate) => {
            let (x, y) = (host_name(w, at, a)?, host_name(w, at, b)?);
            sim.set_link_fail_rate(x.as_str(), y.as_str(), *rate);
            format!("{a}<->{b}")
        }
        Action::Skew(key, secs) => {
            host_name(w, at, key)?;
            if let Some(s) = w.board.skew.get(key) {
                s.store(*secs, std::sync::atomic::Ordering::Relaxed);
            }
            key.clone()
        }
        Action::Rotate(cert, leaf) => {
            let mut m = w.material.borrow_mut();
            if !m.certs.contains_key(cert) {
                return Err(SimError::Step {
                    at,
                    what: format!("no certificate `{cert}`"),
                });
            }
            let leaf = LeafMaterial {
                name: cert.clone(),
                ..(**leaf).clone()
            };
            let target = format!("{cert}: {}", describe(&leaf));
            m.certs.insert(cert.clone(), leaf);
            target
        }
        Action::Trust(scope, cas) => {
            match scope {
                Scope::App(app) => app_exists(app)?,
                Scope::Host(key) => {
                    host_name(w, at, key)?;
                }
            }
            if let Some(ca) = cas
                .iter()
                .find(|c| !w.material.borrow().cas.contains_key(*c))
            {
                return Err(SimError::Step {
                    at,
                    what: format!("no CA `{ca}`"),
                });
            }
            w.board
                .trust
                .borrow_mut()
                .insert(scope.clone(), cas.clone());
            format!("{scope} trusted-ca = [{}]", cas.join(", "))
        }
        Action::Switchover(order) => {
            app_exists(order.app())?;
            w.board.switchover.send_modify(|v| v.push(order.clone()));
            match order {
                crate::node::Order::Pair(app) => app.clone(),
                crate::node::Order::To(app) => format!("to {app}"),
            }
        }
        Action::Traffic(client, rate) => {
            let tx = w.board.traffic.get(client).ok_or_else(|| SimError::Step {
                at,
                what: format!("no client `{client}`"),
            })?;
            tx.send_replace(*rate);
            client.clone()
        }
        Action::Option(app, section, key, value) => {
            app_exists(app)?;
            w.board
                .options
                .borrow_mut()
                .insert((app.clone(), section.clone(), key.clone()), value.clone());
            format!("{app} [{section}] {key} = {value}")
        }
    };
    w.trace.emit(
        sim.elapsed(),
        "sim",
        Kind::Fault {
            fault: FaultName::Step(step.action.name().to_string()),
            target,
        },
    );
    Ok(())
}

/// What the trace says of a re-issued certificate: its issuer, end of validity and names
/// (never its key; the serial is random, and traces must replay identically).
fn describe(leaf: &LeafMaterial) -> String {
    match crate::pki::CertInfo::from_der(&leaf.cert) {
        Ok(i) => {
            let until = i
                .not_after
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_else(|_| i.not_after.unix_timestamp().to_string());
            format!(
                "issued by {}, not after {until}, names {}",
                i.issuer,
                i.sans.join(" ")
            )
        }
        Err(e) => format!("unreadable certificate ({e})"),
    }
}
