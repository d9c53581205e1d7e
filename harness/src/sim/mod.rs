//! The simulation driver: builds a turmoil simulation out of a topology (one turmoil host per
//! topology host, named by its FQDN, plus a management host for the SCS when the topology names
//! none), runs the nodes on it, applies the plan's steps at their virtual times, and returns
//! the trace. One seed drives turmoil (latency draws, the hosts' runtimes); nothing reads the
//! wall clock.
//!
//! Virtual time moves by 1 ms ticks, but idle stretches are stepped over and idle hosts left
//! alone (`Plan::skip_idle`, `vendor/turmoil/HAPAIR.md`); the trace is the same as stepping
//! every host every tick, which `tests/suite.rs` checks on the whole suite.

mod fault;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use time::OffsetDateTime;

pub use fault::{Action, Step};

use crate::net::sim::SimNet;
use crate::node::clock::Timers;
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
        }
    }
}

/// Why a run could not be carried out (the harness failed, not the pair).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// turmoil reported an error from a host.
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

/// How much idle time to step through from `now` (on the tick grid) when the next thing that
/// can happen (a timer, a delivery, a scenario step, the end) is at `next`: up to the start of
/// the tick in which it happens, which is then stepped as usual. Zero when that tick is the
/// next one (or it is due already).
fn idle_before(now: Duration, tick: Duration, next: Duration) -> Duration {
    let tick_ns = tick.as_nanos().max(1);
    // The tick in which `next` happens ends at ceil(next / tick) ticks.
    let start = next
        .as_nanos()
        .div_ceil(tick_ns)
        .saturating_sub(1)
        .saturating_mul(tick_ns);
    Duration::from_nanos(u64::try_from(start.saturating_sub(now.as_nanos())).unwrap_or(u64::MAX))
}

/// What a run cost the simulator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// turmoil steps taken.
    pub steps: u64,
    /// Of which stepped over idle time (longer than a tick).
    pub long_steps: u64,
}

/// Runs a plan to its end.
///
/// # Errors
/// [`SimError`] when a step cannot be applied or turmoil fails.
pub fn run(plan: Plan) -> Result<Trace, SimError> {
    run_counted(plan).map(|(trace, _)| trace)
}

/// [`run`], also saying how many steps it took.
///
/// # Errors
/// [`SimError`] when a step cannot be applied or turmoil fails.
pub fn run_counted(plan: Plan) -> Result<(Trace, Stats), SimError> {
    let t = Rc::clone(&plan.topology);
    let scs_app = t.apps.iter().find(|a| a.kind.value == AppType::Scs);
    let scs_host_key = scs_app.map(|a| a.host.value.clone());
    let scs_host = match &scs_host_key {
        Some(k) => t
            .host(k)
            .map_or_else(|| MANAGEMENT_HOST.to_string(), |h| h.name.value.clone()),
        None => MANAGEMENT_HOST.to_string(),
    };
    let since_1970 = Duration::from_secs(u64::try_from(plan.clock.unix_timestamp()).unwrap_or(0));
    let epoch = SystemTime::UNIX_EPOCH
        .checked_add(since_1970)
        .ok_or_else(|| {
            SimError::Turmoil(format!(
                "the clock {} is past what this system's time can hold",
                plan.clock
            ))
        })?;
    let mut sim = turmoil::Builder::new()
        .simulation_duration(plan.duration.saturating_add(Duration::from_secs(3600)))
        .tick_duration(plan.tick)
        .min_message_latency(plan.latency.0)
        .max_message_latency(plan.latency.1)
        .epoch(epoch)
        .rng_seed(plan.seed)
        .tcp_capacity(1024)
        .build();
    let trace = Recorder::default();
    let board = Rc::new(Board::new(&t));
    let timers = Timers::new(
        crate::net::Net::clock(&SimNet),
        Rc::new(|| crate::net::Net::here(&SimNet)),
    );
    let world = Rc::new(World {
        net: SimNet,
        links: Rc::new(crate::pki::endpoint::links(&t)),
        topology: Rc::clone(&t),
        material: Rc::new(RefCell::new(plan.material)),
        trace: trace.clone(),
        epoch: plan.clock,
        board: Rc::clone(&board),
        scs_host: scs_host.clone(),
        timers: timers.clone(),
        sessions_per_listener: plan.sessions_per_listener,
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
    // Idle time is skipped only when no task can be runnable unseen. Tasks are woken by their
    // timers (registered), by messages (in flight until delivered, then run in that step), by
    // the driver's actions, and by turmoil's hidden wake-ups (`Sim::hidden_wakes`): after an
    // action, and at the start (the software starts), one plain tick runs the woken tasks
    // first, on every host. After a hidden wake-up, one tick with no idle time runs the hosts
    // it woke (turmoil knows which). Otherwise only the hosts with a timer due or a message to
    // receive run; the others' runtimes catch up when they next do.
    let mut plain_ticks: u32 = 1;
    let mut woke = false;
    let mut wakes = sim.hidden_wakes();
    let mut stats = Stats::default();
    let started = std::time::Instant::now();
    while sim.elapsed() < plan.duration {
        // The watchdog: read every 256 steps, it only ever ends a run, never shapes one.
        if stats.steps % 256 == 0 {
            if started.elapsed() > plan.wall_limit {
                return Err(SimError::WallClock {
                    limit: plan.wall_limit,
                    at: sim.elapsed(),
                });
            }
            if trace.len() > plan.max_events {
                return Err(SimError::TooManyEvents {
                    limit: plan.max_events,
                    at: sim.elapsed(),
                });
            }
        }
        let mut acted = false;
        while let Some(step) = steps.next_if(|s| s.at <= sim.elapsed()) {
            fault::apply(&mut sim, &world, &step, &mut partitioned)?;
            acted = true;
        }
        if acted {
            plain_ticks = 1;
        }
        let skipping = plan.skip_idle && plain_ticks == 0;
        stats.steps = stats.steps.saturating_add(1);
        let stepped = if skipping && woke {
            // One tick for the hosts a hidden wake-up woke (turmoil adds them), those with a
            // timer due in it and those with a message to receive: the other hosts have
            // nothing runnable, which is what a plain tick would find.
            let end = sim.elapsed().saturating_add(plan.tick);
            sim.step_by_hosts(Duration::ZERO, plan.tick, &|host| {
                timers.next_on(host).is_some_and(|t| t <= end)
            })
        } else if skipping {
            let now = sim.elapsed();
            let next = [
                timers.next(),
                sim.next_delivery().map(|d| now.saturating_add(d)),
                steps.peek().map(|s| s.at),
                Some(plan.duration),
            ];
            let next = next.into_iter().flatten().min().unwrap_or(now);
            let idle = idle_before(now, plan.tick, next);
            if !idle.is_zero() {
                stats.long_steps = stats.long_steps.saturating_add(1);
            }
            // Through the idle time, then one tick in which only the hosts with a timer due or
            // a message to receive run (turmoil adds the latter); the others' runtimes catch
            // up when they next run.
            let end = now.saturating_add(idle).saturating_add(plan.tick);
            sim.step_by_hosts(idle, plan.tick, &|host| {
                timers.next_on(host).is_some_and(|t| t <= end)
            })
        } else {
            sim.step_by(plan.tick)
        };
        stepped.map_err(|e| SimError::Turmoil(e.to_string()))?;
        plain_ticks = plain_ticks.saturating_sub(1);
        let now_wakes = sim.hidden_wakes();
        woke = now_wakes != wakes;
        wakes = now_wakes;
    }
    let events = trace.events();
    Ok((Trace { events }, stats))
}

#[cfg(test)]
mod tests {
    use super::idle_before;
    use std::time::Duration;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn idle_time_ends_at_the_start_of_the_tick_of_the_next_event() {
        // Next event inside the tick (10 ms, 11 ms]: 10 ms of idle time, then that tick.
        assert_eq!(idle_before(Duration::ZERO, MS, MS * 10 + MS / 2), MS * 10);
        // On the grid: the tick (9 ms, 10 ms] is the one in which it happens.
        assert_eq!(idle_before(Duration::ZERO, MS, MS * 10), MS * 9);
        // Due now, past, or in the very next tick: no idle time.
        assert_eq!(idle_before(MS * 5, MS, MS * 5), Duration::ZERO);
        assert_eq!(idle_before(MS * 5, MS, MS * 2), Duration::ZERO);
        assert_eq!(idle_before(MS * 5, MS, MS * 6), Duration::ZERO);
        assert_eq!(idle_before(MS * 5, MS, MS * 6 + MS / 3), MS);
        // Another tick length.
        let t = MS * 10;
        assert_eq!(idle_before(t, t, Duration::from_millis(95)), MS * 80);
    }
}
