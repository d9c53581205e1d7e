//! Which faults are still active after a list of steps, and the steps that lift them: the
//! start of the liveness phase (Step 10). A partition is active until it is healed (or either
//! host is powered on, which repairs its links), a hold until it is released, a latency, loss
//! or skew until it is set to zero, a crash until a restart, a power-off until a power-on, an
//! IDB's refusal until it accepts again. A rotated certificate, a trust change or an option
//! set stays: it is configuration, not a fault. Traffic and calls go on.
//!
//! Pure data in, data out: it reads no topology state beyond which host an application runs
//! on, and changes nothing.

use std::collections::BTreeSet;

use super::{AppRef, Fault, HostRef};
use crate::topology::Topology;

/// Two hosts, in name order (a link has no direction).
type Link = (HostRef, HostRef);

fn link(a: &HostRef, b: &HostRef) -> Link {
    if a <= b {
        (a.clone(), b.clone())
    } else {
        (b.clone(), a.clone())
    }
}

/// The faults still active after some steps, each kind in name order (so the lifting steps
/// are the same for the same steps, whatever the order of sets).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Active {
    /// Hosts powered off.
    pub off: BTreeSet<HostRef>,
    /// Applications crashed (and not restarted).
    pub crashed: BTreeSet<AppRef>,
    /// Partitioned links.
    pub partitioned: BTreeSet<Link>,
    /// Held links.
    pub held: BTreeSet<Link>,
    /// Links with latency.
    pub slow: BTreeSet<Link>,
    /// Links that lose messages.
    pub lossy: BTreeSet<Link>,
    /// Hosts whose clock is off.
    pub skewed: BTreeSet<HostRef>,
    /// Databases that refuse writes.
    pub refusing: BTreeSet<String>,
}

impl Active {
    /// What is still active after `faults`, in the order they happen. A power-off takes the
    /// host's processes down with it, and a power-on brings them up again, except one that
    /// had crashed before (its process stays down: it still needs its restart).
    pub fn after<'f>(faults: impl IntoIterator<Item = &'f Fault>) -> Self {
        let mut a = Self::default();
        for f in faults {
            a.apply(f);
        }
        a
    }

    fn apply(&mut self, f: &Fault) {
        match f {
            Fault::Crash { app } => {
                self.crashed.insert(app.clone());
            }
            Fault::Restart { app } => {
                self.crashed.remove(app);
            }
            Fault::PowerOff { host } => {
                self.off.insert(host.clone());
            }
            Fault::PowerOn { host } => {
                self.off.remove(host);
                // Powering on repairs every link of the host (`sim::power_on`).
                self.partitioned.retain(|(x, y)| x != host && y != host);
            }
            Fault::Partition { a, b } => {
                self.partitioned.insert(link(a, b));
            }
            Fault::Heal { a, b } => {
                self.partitioned.remove(&link(a, b));
            }
            Fault::Hold { a, b } => {
                self.held.insert(link(a, b));
            }
            Fault::Release { a, b } => {
                self.held.remove(&link(a, b));
            }
            Fault::Latency { a, b, delay } => set(&mut self.slow, link(a, b), !delay.is_zero()),
            Fault::Loss { a, b, rate } => set(&mut self.lossy, link(a, b), *rate > 0.0),
            Fault::Skew { host, seconds } => set(&mut self.skewed, host.clone(), *seconds != 0),
            Fault::IdbRefuse { db } => {
                self.refusing.insert(db.clone());
            }
            Fault::IdbAccept { db } => {
                self.refusing.remove(db);
            }
            Fault::Rotate { .. }
            | Fault::Trust { .. }
            | Fault::Switchover { .. }
            | Fault::Traffic { .. }
            | Fault::Option { .. }
            | Fault::Calls(_)
            | Fault::DapDatabase { .. } => {}
        }
    }

    /// Whether nothing is active.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The steps that lift every active fault, in an order that works: hosts powered on
    /// first (which repairs their links), then links healed, released, latency and loss set
    /// to zero, clocks set right, databases accepting again, and last the crashed processes
    /// restarted (on hosts that are up by then).
    pub fn lifting(&self, topology: &Topology) -> Vec<Fault> {
        let mut out: Vec<Fault> = Vec::new();
        out.extend(self.off.iter().map(|h| Fault::PowerOn { host: h.clone() }));
        let partitioned = self
            .partitioned
            .iter()
            .filter(|(a, b)| !self.off.contains(a) && !self.off.contains(b));
        out.extend(partitioned.map(|(a, b)| Fault::Heal {
            a: a.clone(),
            b: b.clone(),
        }));
        out.extend(self.held.iter().map(|(a, b)| Fault::Release {
            a: a.clone(),
            b: b.clone(),
        }));
        out.extend(self.slow.iter().map(|(a, b)| Fault::Latency {
            a: a.clone(),
            b: b.clone(),
            delay: std::time::Duration::ZERO,
        }));
        out.extend(self.lossy.iter().map(|(a, b)| Fault::Loss {
            a: a.clone(),
            b: b.clone(),
            rate: 0.0,
        }));
        out.extend(self.skewed.iter().map(|h| Fault::Skew {
            host: h.clone(),
            seconds: 0,
        }));
        out.extend(
            self.refusing
                .iter()
                .map(|db| Fault::IdbAccept { db: db.clone() }),
        );
        // A process crashed on a host that exists is restarted; the loader guarantees the
        // host, a fault built in code may name none (then its restart is left out).
        let restartable = |a: &&AppRef| topology.app(a.as_str()).is_some();
        out.extend(
            self.crashed
                .iter()
                .filter(restartable)
                .map(|a| Fault::Restart { app: a.clone() }),
        );
        out
    }
}

fn set<T: Ord>(s: &mut BTreeSet<T>, x: T, on: bool) {
    if on {
        s.insert(x);
    } else {
        s.remove(&x);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn p(a: &str, b: &str) -> Fault {
        Fault::Partition {
            a: a.into(),
            b: b.into(),
        }
    }

    #[test]
    fn a_healed_partition_is_not_active_in_either_order_of_its_hosts() {
        let a = Active::after(&[
            p("ts-a", "ts-b"),
            Fault::Heal {
                a: "ts-b".into(),
                b: "ts-a".into(),
            },
        ]);
        assert!(a.is_empty(), "{a:?}");
    }

    #[test]
    fn what_stays_active_is_lifted_and_configuration_stays() {
        let a = Active::after(&[
            Fault::Crash {
                app: "ts_primary".into(),
            },
            p("ts-b", "ts-a"),
            Fault::Hold {
                a: "ts-a".into(),
                b: "scs".into(),
            },
            Fault::Latency {
                a: "ts-a".into(),
                b: "ts-b".into(),
                delay: Duration::from_millis(200),
            },
            Fault::Loss {
                a: "ts-a".into(),
                b: "ts-b".into(),
                rate: 0.5,
            },
            Fault::Loss {
                a: "ts-a".into(),
                b: "ts-b".into(),
                rate: 0.0,
            },
            Fault::Skew {
                host: "ts-b".into(),
                seconds: -3600,
            },
            Fault::Rotate {
                cert: "ts".into(),
                issuer: None,
                profile: None,
            },
        ]);
        assert_eq!(a.partitioned.len(), 1);
        assert_eq!(a.slow.len(), 1);
        assert!(a.lossy.is_empty(), "loss set to zero is lifted already");
        let names: Vec<&str> = a.apply_names();
        assert_eq!(
            names,
            ["partition", "hold", "latency", "skew", "crash"],
            "one set per active kind, the rotation none"
        );
    }

    #[test]
    fn a_power_on_repairs_the_partitions_of_its_host() {
        let a = Active::after(&[
            p("ts-a", "ts-b"),
            Fault::PowerOff {
                host: "ts-a".into(),
            },
            Fault::PowerOn {
                host: "ts-a".into(),
            },
        ]);
        assert!(a.is_empty(), "{a:?}");
        let a = Active::after(&[
            p("ts-a", "ts-b"),
            Fault::PowerOff {
                host: "ts-a".into(),
            },
        ]);
        assert_eq!(a.off.len(), 1);
        assert_eq!(a.partitioned.len(), 1, "still partitioned until power-on");
    }

    impl Active {
        /// The kinds of fault active, for assertions.
        fn apply_names(&self) -> Vec<&'static str> {
            [
                ("power-off", self.off.len()),
                ("partition", self.partitioned.len()),
                ("hold", self.held.len()),
                ("latency", self.slow.len()),
                ("loss", self.lossy.len()),
                ("skew", self.skewed.len()),
                ("idb-refuse", self.refusing.len()),
                ("crash", self.crashed.len()),
            ]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, _)| k)
            .collect()
        }
    }
}
