//! The simulation driver: builds a turmoil simulation out of a topology (one turmoil host per
//! topology host, named by its FQDN, plus a management host for the SCS when the topology names
//! none), runs the nodes on it, applies the plan's steps at their virtual times, and returns
//! the trace. One seed drives turmoil (latency draws, the hosts' runtimes); nothing reads the
//! wall clock.

mod fault;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use time::OffsetDateTime;

pub use fault::{Action, Step};

use crate::net::sim::SimNet;
use crate::node::{Board, World, control};
use crate::pki::Material;
use crate::topology::{AppType, Topology};
use crate::trace::{Recorder, Trace};

/// Host name of the management host hapair adds for the SCS.
pub const MANAGEMENT_HOST: &str = "scs.hapair.internal";

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
}

impl Plan {
    /// A plan with the defaults: 1 ms tick, 1–5 ms latency, no steps. The tick is the main
    /// cost lever (BENCHMARKS.md: 10 ms is 7x cheaper), but coarser ticks put more wake-ups in
    /// one tick, and their order then follows TLS record sizes (ECDSA signatures vary in
    /// length): a 10 ms tick broke the same-seed-same-trace property, 1 ms keeps it.
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
        }
    }
}

/// Why a run could not be carried out (the harness failed, not the pair).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// turmoil reported an error from a host.
    #[error("simulation failed: {0}")]
    Turmoil(String),
    /// A step names a host or application the topology does not have.
    #[error("step at {at:?}: {what}")]
    Step {
        /// When.
        at: Duration,
        /// What is wrong.
        what: String,
    },
}

/// Runs a plan to its end.
///
/// # Errors
/// [`SimError`] when a step cannot be applied or turmoil fails.
pub fn run(plan: Plan) -> Result<Trace, SimError> {
    let t = Rc::clone(&plan.topology);
    let scs_app = t.apps.iter().find(|a| a.kind.value == AppType::Scs);
    let scs_host_key = scs_app.map(|a| a.host.value.clone());
    let scs_host = match &scs_host_key {
        Some(k) => t
            .host(k)
            .map_or_else(|| MANAGEMENT_HOST.to_string(), |h| h.name.value.clone()),
        None => MANAGEMENT_HOST.to_string(),
    };
    let epoch = SystemTime::UNIX_EPOCH
        + Duration::from_secs(u64::try_from(plan.clock.unix_timestamp()).unwrap_or(0));
    let mut sim = turmoil::Builder::new()
        .simulation_duration(plan.duration + Duration::from_secs(3600))
        .tick_duration(plan.tick)
        .min_message_latency(plan.latency.0)
        .max_message_latency(plan.latency.1)
        .epoch(epoch)
        .rng_seed(plan.seed)
        .tcp_capacity(1024)
        .build();
    let trace = Recorder::default();
    let board = Rc::new(Board::new(&t));
    let world = Rc::new(World {
        net: SimNet,
        links: Rc::new(crate::pki::endpoint::links(&t)),
        topology: Rc::clone(&t),
        material: Rc::new(RefCell::new(plan.material)),
        trace: trace.clone(),
        epoch: plan.clock,
        board: Rc::clone(&board),
        scs_host: scs_host.clone(),
    });
    for h in &t.hosts {
        let w = Rc::clone(&world);
        let key = h.key.value.clone();
        let runs_scs = scs_host_key.as_deref() == Some(key.as_str());
        sim.host(h.name.value.as_str(), move || {
            let (w, key) = (Rc::clone(&w), key.clone());
            async move {
                control::host(w, key, runs_scs).await;
                Ok(())
            }
        });
    }
    if scs_host_key.is_none() {
        let w = Rc::clone(&world);
        sim.host(MANAGEMENT_HOST, move || {
            let w = Rc::clone(&w);
            async move {
                control::host(w, String::new(), true).await;
                Ok(())
            }
        });
    }
    let mut steps = plan.steps;
    steps.sort_by_key(|s| s.at);
    let mut steps = steps.into_iter().peekable();
    let mut partitioned: Vec<String> = Vec::new();
    while sim.elapsed() < plan.duration {
        while let Some(step) = steps.next_if(|s| s.at <= sim.elapsed()) {
            fault::apply(&mut sim, &world, &step, &mut partitioned)?;
        }
        sim.step().map_err(|e| SimError::Turmoil(e.to_string()))?;
    }
    Ok(Trace {
        events: trace.events(),
    })
}
