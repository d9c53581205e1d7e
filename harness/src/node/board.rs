//! Faults on nodes, applied to the control board: a process crash or restart, a clock skew, a
//! rotated certificate, changed trusted CAs, a manual switchover, traffic, an option change.
//! The board is all nodes see of them, the way an operator or the OS would act; no engine is
//! involved, so any engine (simulated or live) applies these the same way.

use std::cell::RefCell;
use std::sync::atomic::Ordering;

use super::{Board, Run};
use crate::fault::{Fault, Missing, Order, Scope};
use crate::pki::{LeafMaterial, Material};
use crate::topology::Topology;

impl Board {
    /// Applies a fault on a node (not one [`Fault::on_network`]) and says what it changed, for
    /// the trace. A rotation swaps in `reissued`, the certificate made for it before the run.
    ///
    /// # Errors
    /// [`Missing`] when the fault names an application, host, certificate or CA the run does
    /// not have (or a rotation comes without its certificate).
    pub fn apply(
        &self,
        topology: &Topology,
        material: &RefCell<Material>,
        fault: &Fault,
        reissued: Option<&LeafMaterial>,
    ) -> Result<String, Missing> {
        let app_exists = |name: &str| {
            topology
                .app(name)
                .map(|_| ())
                .ok_or_else(|| Missing(format!("no application `{name}`")))
        };
        let host_exists = |key: &str| {
            topology
                .host(key)
                .map(|_| ())
                .ok_or_else(|| Missing(format!("no host `{key}`")))
        };
        Ok(match fault {
            Fault::Crash { app } | Fault::Restart { app } => {
                app_exists(app.as_str())?;
                let run = if matches!(fault, Fault::Crash { .. }) {
                    Run::Down
                } else {
                    Run::Up
                };
                if let Some(tx) = self.run.get(app.as_str()) {
                    tx.send_replace(run);
                }
                if run == Run::Down {
                    self.detach(app.as_str());
                }
                app.to_string()
            }
            Fault::Skew { host, seconds } => {
                host_exists(host.as_str())?;
                if let Some(s) = self.skew.get(host.as_str()) {
                    s.store(*seconds, Ordering::Relaxed);
                }
                host.to_string()
            }
            Fault::Rotate { cert, .. } => {
                let mut m = material.borrow_mut();
                if !m.certs.contains_key(cert) {
                    return Err(Missing(format!("no certificate `{cert}`")));
                }
                let leaf = reissued.ok_or_else(|| {
                    Missing(format!(
                        "no certificate was made for rotating `{cert}` (engine::prepare)"
                    ))
                })?;
                let leaf = LeafMaterial {
                    name: cert.clone(),
                    ..leaf.clone()
                };
                let target = format!("{cert}: {}", describe(&leaf));
                m.certs.insert(cert.clone(), leaf);
                target
            }
            Fault::Trust { scope, cas } => {
                match scope {
                    Scope::App(app) => app_exists(app.as_str())?,
                    Scope::Host(key) => host_exists(key.as_str())?,
                }
                if let Some(ca) = cas.iter().find(|c| !material.borrow().cas.contains_key(*c)) {
                    return Err(Missing(format!("no CA `{ca}`")));
                }
                self.trust.borrow_mut().insert(scope.clone(), cas.clone());
                format!("{scope} trusted-ca = [{}]", cas.join(", "))
            }
            Fault::Switchover { order } => {
                app_exists(order.app())?;
                self.switchover.send_modify(|v| v.push(order.clone()));
                match order {
                    Order::Pair(app) => app.to_string(),
                    Order::To(app) => format!("to {app}"),
                }
            }
            Fault::Traffic { from, rate } => {
                let tx = self
                    .traffic
                    .get(from.as_str())
                    .ok_or_else(|| Missing(format!("no client `{from}`")))?;
                tx.send_replace(*rate);
                from.to_string()
            }
            Fault::Option {
                app,
                section,
                key,
                value,
            } => {
                app_exists(app.as_str())?;
                self.options.borrow_mut().insert(
                    (app.to_string(), section.clone(), key.clone()),
                    value.clone(),
                );
                format!("{app} [{section}] {key} = {value}")
            }
            Fault::Calls(calls) => {
                app_exists(calls.source.as_str())?;
                self.switch.borrow_mut().order(topology, calls);
                format!(
                    "{}: {} calls at {}/s, {} agents",
                    calls.source, calls.count, calls.rate, calls.agents
                )
            }
            // Step 9, part icon.
            Fault::IdbRefuse { db } | Fault::IdbAccept { db } => {
                if topology.database(db).is_none() {
                    return Err(Missing(format!("no database `{db}`")));
                }
                let mut idb = self.idb.borrow_mut();
                if matches!(fault, Fault::IdbRefuse { .. }) {
                    idb.refusing.insert(db.clone());
                } else {
                    idb.refusing.remove(db);
                }
                db.clone()
            }
            Fault::DapDatabase { dap, database } => {
                app_exists(dap.as_str())?;
                if topology.database(database).is_none() {
                    return Err(Missing(format!("no database `{database}`")));
                }
                self.idb
                    .borrow_mut()
                    .dap_database
                    .insert(dap.to_string(), database.clone());
                format!("{dap} database = {database}")
            }
            Fault::PowerOff { .. }
            | Fault::PowerOn { .. }
            | Fault::Partition { .. }
            | Fault::Heal { .. }
            | Fault::Hold { .. }
            | Fault::Release { .. }
            | Fault::Latency { .. }
            | Fault::Loss { .. } => {
                return Err(Missing(format!(
                    "`{}` is a network fault: the engine applies it, not the board",
                    fault.name()
                )));
            }
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Source;

    fn topology() -> Topology {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios/topologies/tserver-pair.toml");
        let text = std::fs::read_to_string(&path).expect("reference topology");
        crate::topology::parse(Source::new("t.toml", text)).expect("valid topology")
    }

    #[test]
    fn board_faults_need_no_engine() {
        let t = topology();
        let board = Board::new(&t);
        let material = RefCell::new(Material {
            clock: time::OffsetDateTime::UNIX_EPOCH,
            cas: Default::default(),
            certs: Default::default(),
        });
        let apply = |f: Fault| board.apply(&t, &material, &f, None);
        assert_eq!(
            apply(Fault::Crash {
                app: "ts_primary".into()
            }),
            Ok("ts_primary".into())
        );
        assert_eq!(*board.run["ts_primary"].borrow(), Run::Down);
        let skew = Fault::Skew {
            host: "ts-a".into(),
            seconds: -60,
        };
        assert_eq!(apply(skew), Ok("ts-a".into()));
        assert_eq!(board.skew["ts-a"].load(Ordering::Relaxed), -60);
        let order = Order::To("ts_backup".into());
        apply(Fault::Switchover {
            order: order.clone(),
        })
        .expect("a switchover");
        assert_eq!(*board.switchover.borrow(), vec![order]);
        assert_eq!(
            apply(Fault::Crash {
                app: "nobody".into()
            }),
            Err(Missing("no application `nobody`".into()))
        );
        let partition = Fault::Partition {
            a: "ts-a".into(),
            b: "ts-b".into(),
        };
        assert!(apply(partition).is_err(), "the engine's, not the board's");
    }
}
