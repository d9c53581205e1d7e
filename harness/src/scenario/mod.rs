//! Scenario files: which topology (a path or inline), PKI overrides, the virtual clock, the
//! seed, steps at virtual times, expectations, and invariant settings. Loading validates
//! everything that can be judged before a run (unknown step, unparseable time, unknown
//! application or port, an expectation that can never be evaluated) with located problems.
//! Judging a trace against the expectations is [`crate::check`]'s.

pub mod bound_liveness;
mod bounds;
mod expect;
mod fields;
#[cfg(test)]
mod idb_tests;
#[cfg(test)]
mod keys_tests;
mod liveness;
mod load;
mod names;
mod steps;
mod write;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

pub use expect::{
    Check, Expect, IdbCheck, IdbSet, LinkDeath, Logged, Member, Never, Timing, TlsExpect,
};
pub use load::{LoadError, load, parse};
pub use write::{WriteError, to_toml};

use crate::diag::{Source, Span};
use crate::topology::Topology;

/// A loaded scenario.
#[derive(Clone)]
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
    /// The liveness phase (`[liveness]`, or a sweep's): after the last step every fault still
    /// active is lifted, and the pair must converge within a bound. `None`: no such phase.
    pub liveness: Option<Liveness>,
    /// `simulation-only = "REASON"`: the scenario cannot run on real sockets and timers
    /// (`hapair run --live` skips it and prints the reason).
    pub simulation_only: Option<String>,
}

/// The liveness phase after the faults (Step 10): every fault still active is lifted (heal,
/// release, restart or power on what is down, latency, loss and skew undone), and within
/// `within` the pair must have converged: exactly one primary, the HA link synced, every
/// client connected to the primary over the TLS its port demands, nothing acknowledged lost.
#[derive(Clone, Debug, PartialEq)]
pub struct Liveness {
    /// The bound on convergence; `None`: derived from the topology's own timeouts (ADDP,
    /// reconnect timeout, readiness delay).
    pub within: Option<Duration>,
    /// Where `[liveness]` is written (none for a sweep's phase).
    pub span: Option<Span>,
    /// The instant whose state the pair must get back to: what held then (a link synced, a
    /// client connected to the primary) must hold again after the lift, and an event lost
    /// already then is the scenario's own. A sweep's: the end of the scenario's own run,
    /// where its drawn faults start; `None`: the first step that is not traffic, calls or an
    /// option (the lift, without one).
    pub baseline: Option<Duration>,
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
    /// Two primaries while a network fault separates the pair (or one of it and the SCS) is
    /// the documented split brain, not a failure (a sweep turns this on; scenario files may,
    /// with `split-brain-under-network-fault = true`).
    pub split_brain_under_network_fault: bool,
}

impl Default for Invariants {
    fn default() -> Self {
        Self {
            switchover_window: Duration::from_secs(1),
            no_plaintext: true,
            faults_effective: true,
            ha_resyncs_per_minute: 5,
            split_brain_under_network_fault: false,
        }
    }
}
