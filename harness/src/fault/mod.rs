//! The faults a run injects, as data: one vocabulary for scenario files (what users write), the
//! plan (a fault at an instant), the engine and, later, fault sweeps and their shrinker.
//!
//! A fault names applications and hosts by typed references ([`AppRef`], [`HostRef`]);
//! certificates and CAs by their `[pki]` names. It holds no key material and no engine state:
//! faults on processes and their configuration are applied through the node control board
//! (`node::Board::apply`), faults on the network by the engine (`engine::apply`).
//!
//! Its serde form is the scenario file's (`crash = "ts_primary"`,
//! `latency = { between = ["ts-a", "ts-b"], delay = "200ms" }`: [`Entry`] below), so a fault
//! drawn or shrunk in code can be written back as a scenario step. Deserialising checks what
//! the form alone can (durations, ranges, two different hosts); whether the names exist is the
//! topology's to say, which the scenario loader checks with located problems.
//!
//! A new fault is a variant here (with its name and file form), its decoding with located
//! problems in `scenario/steps.rs`, and its effect in `node/board.rs` (on a node) or
//! `engine/apply.rs` (on the network).

mod calls;
mod entry;
pub mod lift;
mod refs;
#[cfg(test)]
mod tests;
mod text;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use calls::Calls;
pub(crate) use calls::{CALL_RATE, call_rate};
use entry::Entry;
pub use refs::{AppRef, HostRef};
pub(crate) use text::{duration_text, skew_seconds, traffic_rate};

use crate::pki::Reissue;
use crate::topology::pki::Profile;
use crate::topology::value::parse_duration;

/// One fault, named as scenario files name it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "Entry", try_from = "Entry")]
pub enum Fault {
    /// `crash = "APP"`: the application's process dies; its host lives.
    Crash {
        /// The application.
        app: AppRef,
    },
    /// `restart = "APP"`: the process starts again (as backup, when its partner is primary).
    Restart {
        /// The application.
        app: AppRef,
    },
    /// `power-off = "HOST"`: the host goes silent, partitioned from every host, then crashed.
    PowerOff {
        /// The host.
        host: HostRef,
    },
    /// `power-on = "HOST"`: the host comes back, repaired and restarted.
    PowerOn {
        /// The host.
        host: HostRef,
    },
    /// `partition = ["A", "B"]`: messages between two hosts are dropped.
    Partition {
        /// One host.
        a: HostRef,
        /// The other.
        b: HostRef,
    },
    /// `heal = ["A", "B"]`: a partition is repaired.
    Heal {
        /// One host.
        a: HostRef,
        /// The other.
        b: HostRef,
    },
    /// `hold = ["A", "B"]`: messages between two hosts are held.
    Hold {
        /// One host.
        a: HostRef,
        /// The other.
        b: HostRef,
    },
    /// `release = ["A", "B"]`: held messages are delivered.
    Release {
        /// One host.
        a: HostRef,
        /// The other.
        b: HostRef,
    },
    /// `latency = { between = [A, B], delay = "200ms" }`.
    Latency {
        /// One host.
        a: HostRef,
        /// The other.
        b: HostRef,
        /// One-way latency on the link from now on.
        delay: Duration,
    },
    /// `loss = { between = [A, B], rate = 0.1 }`.
    Loss {
        /// One host.
        a: HostRef,
        /// The other.
        b: HostRef,
        /// Failure rate of the link, 0 to 1.
        rate: f64,
    },
    /// `skew = { host = "H", by = "400d" }` (negative: `by = "-1h"`): the host's clock is off,
    /// which TLS validity reads.
    Skew {
        /// The host.
        host: HostRef,
        /// How far off, in seconds.
        seconds: i64,
    },
    /// `rotate = { cert = "NAME", issuer = "CA", profile = "other-ca" }`: the certificate is
    /// re-issued (by default a clean renewal by its own CA); new handshakes use the new one.
    Rotate {
        /// The `[pki.cert]` name.
        cert: String,
        /// The `[pki.ca]` that signs the new certificate (`None`: the certificate's own).
        issuer: Option<String>,
        /// A fault profile for the new certificate (`None`: a clean one).
        profile: Option<Profile>,
    },
    /// `trust = { app = "APP", trusted-ca = ["CA", …] }` (or `host = "HOST"`): the trusted
    /// CAs of an application or host change, as an operator would edit `trusted-ca`.
    Trust {
        /// Whose `trusted-ca` changes.
        scope: Scope,
        /// The `[pki.ca]` names trusted from now on.
        cas: Vec<String>,
    },
    /// `switchover = "APP"` or `switchover = { to = "APP" }`: the operator orders a manual
    /// switchover.
    Switchover {
        /// What the operator asks the SCS for.
        order: Order,
    },
    /// `traffic = { from = "CLIENT", rate = "20/s" }`.
    Traffic {
        /// The client application.
        from: AppRef,
        /// Requests per second (0: off).
        rate: f64,
    },
    /// `option = { app = "APP", section = "S", key = "K", value = "V" }`: an option is set, as
    /// an operator would in Configuration Manager; nodes read it where it takes effect.
    Option {
        /// The application.
        app: AppRef,
        /// The option's section.
        section: String,
        /// The option's key.
        key: String,
        /// Its new value (Configuration Manager stores text).
        value: String,
    },
    // Step 9, source: call traffic.
    /// `calls = { source = "TS", count = 1000, rate = "50/s", agents = 20, keys = 2 }`: the
    /// switch places `count` calls at `rate` for the data-source pair of `source`, answered
    /// by `agents` agents it logs in first; each call carries `keys` attached-data keys.
    Calls(Calls),
    // Step 9, part icon: the IDB and the DAP.
    /// `idb-refuse = "DB"`: the `[database.KEY]` refuses writes (its disk filled, a DBA set it
    /// read-only), until `idb-accept`.
    IdbRefuse {
        /// The `[database.KEY]`.
        db: String,
    },
    /// `idb-accept = "DB"`: the database accepts writes again.
    IdbAccept {
        /// The `[database.KEY]`.
        db: String,
    },
    /// `dap-database = { dap = "DAP", database = "DB" }`: the DAP is pointed at another
    /// database; an ICON writing through it reads that at its next start.
    DapDatabase {
        /// The DAP application.
        dap: AppRef,
        /// The `[database.KEY]` it now names.
        database: String,
    },
}

/// Every fault's name, as scenario files and the trace write it.
pub const NAMES: [&str; 20] = [
    "crash",
    "restart",
    "power-off",
    "power-on",
    "partition",
    "heal",
    "hold",
    "release",
    "latency",
    "loss",
    "skew",
    "rotate",
    "switchover",
    "traffic",
    "option",
    "trust",
    // Step 9, source.
    "calls",
    // Step 9, part icon.
    "idb-refuse",
    "idb-accept",
    "dap-database",
];

impl Fault {
    /// The fault's name: its key in a scenario step, and its label in the trace.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Crash { .. } => "crash",
            Fault::Restart { .. } => "restart",
            Fault::PowerOff { .. } => "power-off",
            Fault::PowerOn { .. } => "power-on",
            Fault::Partition { .. } => "partition",
            Fault::Heal { .. } => "heal",
            Fault::Hold { .. } => "hold",
            Fault::Release { .. } => "release",
            Fault::Latency { .. } => "latency",
            Fault::Loss { .. } => "loss",
            Fault::Skew { .. } => "skew",
            Fault::Rotate { .. } => "rotate",
            Fault::Trust { .. } => "trust",
            Fault::Switchover { .. } => "switchover",
            Fault::Traffic { .. } => "traffic",
            Fault::Option { .. } => "option",
            Fault::Calls(_) => "calls",
            Fault::IdbRefuse { .. } => "idb-refuse",
            Fault::IdbAccept { .. } => "idb-accept",
            Fault::DapDatabase { .. } => "dap-database",
        }
    }

    /// Whether the engine applies it (the network, or a whole host's power); the others go
    /// through the node control board.
    pub fn on_network(&self) -> bool {
        matches!(
            self,
            Fault::PowerOff { .. }
                | Fault::PowerOn { .. }
                | Fault::Partition { .. }
                | Fault::Heal { .. }
                | Fault::Hold { .. }
                | Fault::Release { .. }
                | Fault::Latency { .. }
                | Fault::Loss { .. }
        )
    }

    /// For a rotation, what the CA is asked to re-issue.
    pub fn reissue(&self) -> Option<Reissue> {
        match self {
            Fault::Rotate {
                cert,
                issuer,
                profile,
            } => Some(Reissue {
                cert: cert.clone(),
                issuer: issuer.clone(),
                profile: *profile,
            }),
            _ => None,
        }
    }
}

/// A fault names something the run does not have (an application, host, certificate or CA):
/// possible only for a fault built in code, since the scenario loader checks every name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Missing(pub String);

/// Whose trusted CAs a [`Fault::Trust`] changes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// An application object.
    App(AppRef),
    /// A host object.
    Host(HostRef),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::App(a) => write!(f, "application {a}"),
            Scope::Host(h) => write!(f, "host {h}"),
        }
    }
}

/// A manual switchover an operator orders (Genesys Administrator's "switch to primary").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Order {
    /// The pair this application belongs to switches: its current backup becomes primary,
    /// whichever instance that is now (so the same order twice switches back).
    Pair(AppRef),
    /// This application becomes primary; refused when it already is.
    To(AppRef),
}

impl Order {
    /// The application the order names.
    pub fn app(&self) -> &str {
        match self {
            Order::Pair(a) | Order::To(a) => a.as_str(),
        }
    }
}
