//! The engine seam: what runs the nodes of a topology and carries their network. An engine
//! makes each host's [`Net`], runs each host's software, moves time on, and applies faults on
//! the network; everything else of a run (assembling the world of nodes, the plan's steps,
//! faults on nodes through the control board, the trace) is the same whichever engine runs it
//! ([`run`]). The simulated engine (`sim`, over turmoil) implements it; a live engine on real
//! sockets will implement it beside it.

mod apply;
mod drive;
mod world;

use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use time::OffsetDateTime;

pub use drive::run;
pub use world::MANAGEMENT_HOST;

use crate::fault::Fault;
use crate::net::{Clock, Net};
use crate::node::clock::Timers;
use crate::pki::{LeafMaterial, Material, PkiError};
use crate::topology::Topology;

/// What runs a topology's nodes: hosts, time, and the network between hosts (named by their
/// FQDN, as nodes dial them).
pub trait Engine {
    /// The network as one host's nodes see it.
    type Net: Net;

    /// Adds a host named `name` and returns its network. Hosts are added before time starts.
    fn net(&mut self, name: &str) -> Self::Net;

    /// Runs `software` on the host `name` (added by [`Engine::net`]); it is called again when
    /// the host comes back after a power-off.
    fn host<F, Fut>(&mut self, name: &str, software: F)
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = ()> + 'static;

    /// The engine's time as a thread-safe function (timers and TLS read it).
    fn clock(&self) -> Clock;

    /// Every host is added: time starts.
    fn start(&mut self);

    /// Time since the start.
    fn elapsed(&self) -> Duration;

    /// Moves time on by at least a little, and by no more than up to `next` (the next step, or
    /// the end of the run), running what is due. `acted`: the driver applied steps just now.
    ///
    /// # Errors
    /// [`SimError::Turmoil`] when a host's software fails.
    fn advance(&mut self, timers: &Timers, next: Duration, acted: bool) -> Result<(), SimError>;

    /// Messages between two hosts are dropped.
    fn partition(&mut self, a: &str, b: &str);
    /// A partition between two hosts is repaired.
    fn heal(&mut self, a: &str, b: &str);
    /// Messages between two hosts are held.
    fn hold(&mut self, a: &str, b: &str);
    /// Held messages between two hosts are delivered.
    fn release(&mut self, a: &str, b: &str);
    /// The one-way latency between two hosts from now on.
    fn latency(&mut self, a: &str, b: &str, delay: Duration);
    /// The failure rate (0–1) of the link between two hosts from now on.
    fn loss(&mut self, a: &str, b: &str, rate: f64);
    /// The host goes silent: cut off from every other host, then its software stops.
    fn power_off(&mut self, name: &str);
    /// The host comes back: reconnected to every other host, its software started again.
    fn power_on(&mut self, name: &str);

    /// What the run has cost the engine so far.
    fn stats(&self) -> Stats;
}

/// One step of a plan: a fault at an instant.
pub struct Step {
    /// Virtual time it takes effect.
    pub at: Duration,
    /// What happens.
    pub fault: Fault,
    /// For a rotation, the certificate made for it before the run ([`prepare`]): key
    /// generation is no part of the simulation.
    pub reissued: Option<Box<LeafMaterial>>,
}

impl Step {
    /// `fault` at `at`.
    pub fn new(at: Duration, fault: Fault) -> Self {
        Self {
            at,
            fault,
            reissued: None,
        }
    }
}

/// Steps for `faults`, each rotation with its certificate re-issued as a CA would at the
/// step's instant: a new key and serial, the same names, signed by the key `material` already
/// holds for the CA (or the profile's signer).
///
/// # Errors
/// [`PkiError`] when a certificate cannot be re-issued.
pub fn prepare(
    topology: &Topology,
    material: &Material,
    clock: OffsetDateTime,
    faults: impl IntoIterator<Item = (Duration, Fault)>,
) -> Result<Vec<Step>, PkiError> {
    let mut steps = Vec::new();
    for (at, fault) in faults {
        let mut step = Step::new(at, fault);
        if let Some(what) = step.fault.reissue() {
            let now = time::Duration::try_from(at)
                .ok()
                .and_then(|d| clock.checked_add(d))
                .unwrap_or(clock);
            let leaf = crate::pki::reissue(&topology.pki, material, &what, now)?;
            step.reissued = Some(Box::new(leaf));
        }
        steps.push(step);
    }
    Ok(steps)
}

/// Everything one run needs.
pub struct Plan {
    /// The topology.
    pub topology: Rc<Topology>,
    /// Its key material, made at `clock`.
    pub material: Material,
    /// The wall clock at t = 0 (certificate validity).
    pub clock: OffsetDateTime,
    /// The seed of everything random.
    pub seed: u64,
    /// How long to run, in virtual time.
    pub duration: Duration,
    /// Steps at virtual times.
    pub steps: Vec<Step>,
    /// Simulation tick.
    pub tick: Duration,
    /// One-way message latency range on every link.
    pub latency: (Duration, Duration),
    /// Step straight over idle time (no timer due, nothing in flight) instead of tick by
    /// tick. The trace is the same either way (a test holds the suite to that); only the
    /// wall time differs.
    pub skip_idle: bool,
    /// Wall-clock time a run may take before it is stopped and reported as such (a watchdog:
    /// it never changes a trace, only ends a run that would otherwise hang the whole batch).
    pub wall_limit: Duration,
    /// Most events a trace may hold (memory stays bounded for absurd scenarios).
    pub max_events: usize,
    /// Most sessions one server listener holds open at once
    /// ([`MAX_SESSIONS_PER_LISTENER`](crate::limits::MAX_SESSIONS_PER_LISTENER)).
    pub sessions_per_listener: usize,
    /// Where the run's IDBs are (an ICON writes to its DAP's database there); `None`: ICONs
    /// have no database to write to, and say so in the trace.
    pub idb: Option<crate::idb::Place>,
    /// Where the nodes' events go (a default recorder keeps them in memory only).
    pub recorder: crate::trace::Recorder,
    /// Set from outside to end the run at the next step (`hapair node` on SIGTERM).
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// Default wall-clock limit per run.
pub const WALL_LIMIT: Duration = Duration::from_secs(600);
/// Default bound on a trace's events (a few hundred bytes each in memory).
pub const MAX_EVENTS: usize = 5_000_000;

impl Plan {
    /// A plan with the defaults: 1 ms tick, 1–5 ms latency, no steps, idle time skipped.
    /// Coarser ticks put more wake-ups in one tick, and their order then follows TLS record
    /// sizes (ECDSA signatures vary in length): a 10 ms tick broke the same-seed-same-trace
    /// property, 1 ms keeps it. Skipping idle time made the tick cheap where nothing happens
    /// (BENCHMARKS.md).
    pub fn new(
        topology: Rc<Topology>,
        material: Material,
        clock: OffsetDateTime,
        seed: u64,
        duration: Duration,
    ) -> Self {
        Self {
            topology,
            material,
            clock,
            seed,
            duration,
            steps: Vec::new(),
            tick: Duration::from_millis(1),
            // Latency spans several ticks so that the seed decides arrival times.
            latency: (Duration::from_millis(1), Duration::from_millis(5)),
            skip_idle: true,
            wall_limit: WALL_LIMIT,
            max_events: MAX_EVENTS,
            sessions_per_listener: crate::limits::MAX_SESSIONS_PER_LISTENER,
            idb: None,
            recorder: crate::trace::Recorder::default(),
            stop: None,
        }
    }
}

/// Why a run could not be carried out (the harness failed, not the pair).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The engine reported an error from a host.
    #[error("simulation failed: {0}")]
    Turmoil(String),
    /// The run took longer than its wall-clock limit and was stopped.
    #[error(
        "stopped after {}s of wall-clock time (the limit per run, --timeout), at {} of virtual time",
        limit.as_secs(),
        crate::topology::value::format_duration(*at)
    )]
    WallClock {
        /// The limit.
        limit: Duration,
        /// Virtual time reached.
        at: Duration,
    },
    /// The trace grew past its bound.
    #[error(
        "the trace passed {limit} events at {} of virtual time; hapair stops there (traffic rates or run length too large?)",
        crate::topology::value::format_duration(*at)
    )]
    TooManyEvents {
        /// The bound.
        limit: usize,
        /// Virtual time reached.
        at: Duration,
    },
    /// A step names a host or application the topology does not have.
    #[error("step at {}: {what}", crate::topology::value::format_duration(*at))]
    Step {
        /// When.
        at: Duration,
        /// What is wrong.
        what: String,
    },
}

/// What a run cost the engine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Steps taken.
    pub steps: u64,
    /// Of which stepped over idle time (longer than a tick).
    pub long_steps: u64,
}
