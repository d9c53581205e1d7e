//! The simulated engine: the topology's hosts as turmoil hosts (named by their FQDN), one seed
//! for turmoil (latency draws, the hosts' runtimes), virtual time. Nothing reads the wall
//! clock. The world of nodes, the steps and the trace are the engine seam's
//! ([`crate::engine`]); this module and `net/sim.rs` are the only ones that name turmoil.
//!
//! Virtual time moves by 1 ms ticks, but idle stretches are stepped over and idle hosts left
//! alone (`Plan::skip_idle`, `vendor/turmoil/HAPAIR.md`); the trace is the same as stepping
//! every host every tick, which `tests/suite.rs` checks on the whole suite.

use std::future::Future;
use std::time::{Duration, SystemTime};

use turmoil::Sim;

pub use crate::engine::{MANAGEMENT_HOST, MAX_EVENTS, Plan, SimError, Stats, Step, WALL_LIMIT};

use crate::engine::Engine;
use crate::net::Clock;
use crate::net::sim::SimNet;
use crate::node::clock::Timers;
use crate::trace::Trace;

/// turmoil, driven tick by tick or over idle time.
pub struct SimEngine<'a> {
    sim: Sim<'a>,
    /// Every host, in the order added (a power-off cuts a host off from each of the others).
    hosts: Vec<String>,
    tick: Duration,
    skip_idle: bool,
    /// Plain ticks (every host runs) still to step: one at the start (the software starts)
    /// and one after the driver acts.
    plain_ticks: u32,
    /// A hidden wake-up happened in the last step (`Sim::hidden_wakes`).
    woke: bool,
    /// The hidden wake-ups counted so far.
    wakes: u64,
    stats: Stats,
}

impl SimEngine<'_> {
    /// A simulation for `plan`: its tick, latency range, clock and seed.
    ///
    /// # Errors
    /// [`SimError::Turmoil`] when the plan's clock is past what the system's time can hold.
    pub fn new(plan: &Plan) -> Result<Self, SimError> {
        let since_1970 =
            Duration::from_secs(u64::try_from(plan.clock.unix_timestamp()).unwrap_or(0));
        let epoch = SystemTime::UNIX_EPOCH
            .checked_add(since_1970)
            .ok_or_else(|| {
                SimError::Turmoil(format!(
                    "the clock {} is past what this system's time can hold",
                    plan.clock
                ))
            })?;
        let sim = turmoil::Builder::new()
            .simulation_duration(plan.duration.saturating_add(Duration::from_secs(3600)))
            .tick_duration(plan.tick)
            .min_message_latency(plan.latency.0)
            .max_message_latency(plan.latency.1)
            .epoch(epoch)
            .rng_seed(plan.seed)
            .tcp_capacity(1024)
            .build();
        Ok(Self {
            sim,
            hosts: Vec::new(),
            tick: plan.tick,
            skip_idle: plan.skip_idle,
            plain_ticks: 1,
            woke: false,
            wakes: 0,
            stats: Stats::default(),
        })
    }
}

impl Engine for SimEngine<'_> {
    type Net = SimNet;

    fn net(&mut self, name: &str) -> SimNet {
        // Looking the name up registers it: the host gets the address it will run at.
        self.hosts.push(name.to_string());
        SimNet::on(self.sim.lookup(name))
    }

    fn host<F, Fut>(&mut self, name: &str, software: F)
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        self.sim.host(name, move || {
            let run = software();
            async move {
                run.await;
                Ok(())
            }
        });
    }

    fn clock(&self) -> Clock {
        crate::net::sim::clock()
    }

    fn start(&mut self) {
        self.wakes = self.sim.hidden_wakes();
    }

    fn elapsed(&self) -> Duration {
        self.sim.elapsed()
    }

    // Idle time is skipped only when no task can be runnable unseen. Tasks are woken by their
    // timers (registered), by messages (in flight until delivered, then run in that step), by
    // the driver's actions, and by turmoil's hidden wake-ups (`Sim::hidden_wakes`): after an
    // action, and at the start (the software starts), one plain tick runs the woken tasks
    // first, on every host. After a hidden wake-up, one tick with no idle time runs the hosts
    // it woke (turmoil knows which). Otherwise only the hosts with a timer due or a message to
    // receive run; the others' runtimes catch up when they next do.
    fn advance(&mut self, timers: &Timers, next: Duration, acted: bool) -> Result<(), SimError> {
        if acted {
            self.plain_ticks = 1;
        }
        let skipping = self.skip_idle && self.plain_ticks == 0;
        self.stats.steps = self.stats.steps.saturating_add(1);
        let tick = self.tick;
        let stepped = if skipping && self.woke {
            // One tick for the hosts a hidden wake-up woke (turmoil adds them), those with a
            // timer due in it and those with a message to receive: the other hosts have
            // nothing runnable, which is what a plain tick would find.
            let end = self.sim.elapsed().saturating_add(tick);
            self.sim.step_by_hosts(Duration::ZERO, tick, &|host| {
                timers.next_on(host).is_some_and(|t| t <= end)
            })
        } else if skipping {
            let now = self.sim.elapsed();
            let next = [
                timers.next(),
                self.sim.next_delivery().map(|d| now.saturating_add(d)),
                Some(next),
            ];
            let next = next.into_iter().flatten().min().unwrap_or(now);
            let idle = idle_before(now, tick, next);
            if !idle.is_zero() {
                self.stats.long_steps = self.stats.long_steps.saturating_add(1);
            }
            // Through the idle time, then one tick in which only the hosts with a timer due or
            // a message to receive run (turmoil adds the latter); the others' runtimes catch
            // up when they next run.
            let end = now.saturating_add(idle).saturating_add(tick);
            self.sim.step_by_hosts(idle, tick, &|host| {
                timers.next_on(host).is_some_and(|t| t <= end)
            })
        } else {
            self.sim.step_by(tick)
        };
        stepped.map_err(|e| SimError::Turmoil(e.to_string()))?;
        self.plain_ticks = self.plain_ticks.saturating_sub(1);
        let now_wakes = self.sim.hidden_wakes();
        self.woke = now_wakes != self.wakes;
        self.wakes = now_wakes;
        Ok(())
    }

    fn partition(&mut self, a: &str, b: &str) {
        self.sim.partition(a, b);
    }

    fn heal(&mut self, a: &str, b: &str) {
        self.sim.repair(a, b);
    }

    fn hold(&mut self, a: &str, b: &str) {
        self.sim.hold(a, b);
    }

    fn release(&mut self, a: &str, b: &str) {
        self.sim.release(a, b);
    }

    fn latency(&mut self, a: &str, b: &str, delay: Duration) {
        self.sim.set_link_latency(a, b, delay);
    }

    fn loss(&mut self, a: &str, b: &str, rate: f64) {
        self.sim.set_link_fail_rate(a, b, rate);
    }

    fn power_off(&mut self, name: &str) {
        for other in self.hosts.iter().filter(|h| *h != name) {
            self.sim.partition(name, other.as_str());
        }
        self.sim.crash(name);
    }

    fn power_on(&mut self, name: &str) {
        for other in self.hosts.iter().filter(|h| *h != name) {
            self.sim.repair(name, other.as_str());
        }
        self.sim.bounce(name);
    }

    fn stats(&self) -> Stats {
        self.stats
    }
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

/// Runs a plan to its end on the simulated engine.
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
    crate::engine::run(SimEngine::new(&plan)?, plan)
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
