//! Scenario files: which topology (a path or inline), PKI overrides, the virtual clock, the
//! seed, steps at virtual times, expectations, and invariant settings. Loading validates
//! everything that can be judged before a run (unknown step, unparseable time, unknown
//! application or port, an expectation that can never be evaluated) with located problems.
//! Judging a trace against the expectations is `verdict`'s.

mod bounds;
mod connection;
mod expect;
pub mod invariant;
#[cfg(test)]
mod keys_tests;
mod load;
pub mod run;
mod steps;
pub mod verdict;
mod write;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

pub use load::{LoadError, load, parse};
pub use write::to_toml;

use crate::diag::{Source, Span};
use crate::tls::FailureClass;
use crate::topology::Topology;

/// A loaded scenario.
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// The field situation it rehearses.
    pub rehearses: String,
    /// The scenario file.
    pub source: Arc<Source>,
    /// The topology file, when the topology is not inline.
    pub topology_path: Option<PathBuf>,
    /// The topology, PKI overrides applied.
    pub topology: std::rc::Rc<Topology>,
    /// Where the scenario's `[pki]` entries are written (in the scenario file): the spans of
    /// the topology's CAs and certificates that the scenario overrides or adds.
    pub pki_overrides: Vec<Span>,
    /// The wall clock at t = 0.
    pub clock: OffsetDateTime,
    /// The seed.
    pub seed: u64,
    /// How long to run.
    pub duration: Duration,
    /// Steps, in file order.
    pub steps: Vec<Step>,
    /// Expectations, in file order.
    pub expects: Vec<Expect>,
    /// Invariant settings.
    pub invariants: Invariants,
}

impl Scenario {
    /// The file a span of the topology (a finding's, say) lies in: the scenario file for an
    /// inline topology and for the scenario's `[pki]` entries, else the topology file.
    pub fn source_of(&self, span: Span) -> &Arc<Source> {
        if self.topology_path.is_none() || self.pki_overrides.contains(&span) {
            &self.source
        } else {
            &self.topology.source
        }
    }
}

/// Whether a file's text is a scenario rather than a topology: it names a `topology`, or
/// has steps or expectations. Text that does not parse counts as a topology.
pub fn is_scenario(text: &str) -> bool {
    let (doc, _) = toml::de::DeTable::parse_recoverable(text);
    ["topology", "step", "expect"]
        .iter()
        .any(|k| doc.get_ref().get(*k).is_some())
}

/// A step at a virtual time.
#[derive(Clone, Debug)]
pub struct Step {
    /// When.
    pub at: Duration,
    /// A name expectations can refer to (`after = "crash"`).
    pub label: Option<String>,
    /// What happens.
    pub fault: crate::fault::Fault,
    /// Where it is written.
    pub span: Span,
}

/// When an expectation is judged.
#[derive(Clone, Debug, PartialEq)]
pub enum Timing {
    /// At any time of the run.
    Anytime,
    /// At this instant.
    At(Duration),
    /// Within `within` after `after` (a step label's time, or a time).
    Within {
        /// Start of the window.
        after: Duration,
        /// How the start was written (label or time).
        mark: String,
        /// Length of the window.
        within: Duration,
    },
}

/// What must hold.
#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// `role = { app, is }`: the application is in that state at the instant, or at some
    /// instant of the window (`primary`, `backup`, `none`: running without a role,
    /// `stopped`).
    Role {
        /// Application.
        app: String,
        /// State.
        is: crate::check::State,
    },
    /// `connected = { from, to, port, tls, peer }`: a session from the dialler to the listener
    /// is up at some instant of the window, however old.
    Connected {
        /// Dialler.
        from: String,
        /// Listener.
        to: String,
        /// Port ID.
        port: Option<String>,
        /// TLS on/off, or a version (`"1.3"`).
        tls: Option<TlsExpect>,
        /// Attributes the listener's certificate subject must carry (`CN=…`).
        peer: Option<String>,
    },
    /// `established = { from, to, port, tls, peer }`: a new session opened in the window.
    Established {
        /// Dialler.
        from: String,
        /// Listener.
        to: String,
        /// Port ID.
        port: Option<String>,
        /// TLS on/off, or a version.
        tls: Option<TlsExpect>,
        /// Attributes the listener's certificate subject must carry.
        peer: Option<String>,
    },
    /// `reconnected = { client, to, port, tls }`: a new session opened in the window after the
    /// previous session between the two dropped.
    Reconnected {
        /// Dialler (a client, or a server's HA link).
        client: String,
        /// Listener.
        to: String,
        /// Port ID.
        port: Option<String>,
        /// TLS on/off or version.
        tls: Option<TlsExpect>,
    },
    /// `ha-synced = { primary, backup, port, tls }`: the backup finished a full
    /// resynchronisation from the primary, and that link is up at some instant of the window.
    HaSynced {
        /// The instance that is primary.
        primary: String,
        /// The instance that is backup (the dialler).
        backup: String,
        /// Port ID.
        port: Option<String>,
        /// TLS on/off or version.
        tls: Option<TlsExpect>,
    },
    /// `served = { client, by }`: a request of the client was acknowledged by that server in
    /// the window.
    Served {
        /// Client.
        client: String,
        /// Server.
        by: String,
    },
    /// `refused = { from, to, port, class }`.
    Refused {
        /// Dialler.
        from: String,
        /// Listener.
        to: String,
        /// Port ID.
        port: Option<String>,
        /// Failure class.
        class: FailureClass,
    },
    /// `never = { … }`: something that must not happen in the window.
    Never(Never),
    /// `rejected = "RULE"`: the topology is refused with that rule.
    Rejected(String),
    /// `finding = { rule, severity, present }`.
    Finding {
        /// Rule ID.
        rule: String,
        /// Severity, if it matters.
        severity: Option<crate::rules::Severity>,
        /// Present (default) or absent.
        present: bool,
    },
    /// `no-acked-event-lost = true` (or `false`: a loss must be shown).
    NoAckedEventLost(bool),
    /// `two-primaries = { pair = "PRIMARY", longer-than = "5s" }`.
    TwoPrimaries {
        /// The pair (its configured primary).
        pair: String,
        /// A window at least this long.
        longer_than: Duration,
    },
}

/// What a `never` expectation rules out.
#[derive(Clone, Debug, PartialEq)]
pub enum Never {
    /// `plaintext = { app, port }`: no plain session on that server's port (any mode).
    Plaintext {
        /// The listening server.
        app: String,
        /// Port ID (any port when absent).
        port: Option<String>,
    },
    /// `refused = { from, to, port, class }`: no refused handshake (of that class).
    Refused {
        /// Dialler.
        from: String,
        /// Listener.
        to: String,
        /// Port ID.
        port: Option<String>,
        /// Failure class (any when absent).
        class: Option<FailureClass>,
    },
    /// `two-primaries = "APP"`: the pair of that application never has two primaries, not
    /// even for a millisecond.
    TwoPrimaries {
        /// A member of the pair.
        pair: String,
    },
}

/// A TLS expectation: on/off, or an exact version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsExpect {
    /// TLS on or off.
    On(bool),
    /// On, with this version (`1.2`, `1.3`).
    Version(String),
}

/// One expectation.
#[derive(Clone, Debug)]
pub struct Expect {
    /// What must hold.
    pub check: Check,
    /// When.
    pub timing: Timing,
    /// Where it is written.
    pub span: Span,
}

/// Invariant settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Invariants {
    /// The longest two-primary window that is still a switchover, not a split.
    pub switchover_window: Duration,
    /// Check that no plaintext session ran on a secured port.
    pub no_plaintext: bool,
    /// Check that every injected fault took effect.
    pub faults_effective: bool,
    /// Most full resynchronisations of an HA link within a minute before it counts as
    /// flapping (0: not checked).
    pub ha_resyncs_per_minute: u32,
}

impl Default for Invariants {
    fn default() -> Self {
        Self {
            switchover_window: Duration::from_secs(1),
            no_plaintext: true,
            faults_effective: true,
            ha_resyncs_per_minute: 5,
        }
    }
}
