//! The driver of a run, whichever engine carries it: assemble the world, then apply each step
//! at its instant and let the engine move time on between them, under a wall-clock watchdog
//! and a bound on the trace.

use std::rc::Rc;

use super::apply::apply;
use super::world::{Settings, assemble};
use super::{Engine, Plan, SimError, Stats};
use crate::trace::Trace;

/// Runs `plan` on `engine` to its end.
///
/// # Errors
/// [`SimError`] when a step cannot be applied, the engine fails, or the run passes its
/// wall-clock limit or its bound on events.
pub fn run<E: Engine>(mut engine: E, plan: Plan) -> Result<(Trace, Stats), SimError> {
    let world = assemble(
        &mut engine,
        plan.topology,
        plan.material,
        plan.clock,
        Settings {
            sessions_per_listener: plan.sessions_per_listener,
            idb: plan.idb.map(Rc::new),
            seed: plan.seed,
            trace: plan.recorder,
        },
    );
    engine.start();
    let mut steps = plan.steps;
    steps.sort_by_key(|s| s.at);
    let mut steps = steps.into_iter().peekable();
    let started = std::time::Instant::now();
    let stopped = || {
        plan.stop
            .as_ref()
            .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed))
    };
    while engine.elapsed() < plan.duration && !stopped() {
        // The watchdog: read every 256 steps, it only ever ends a run, never shapes one.
        if engine.stats().steps % 256 == 0 {
            if started.elapsed() > plan.wall_limit {
                return Err(SimError::WallClock {
                    limit: plan.wall_limit,
                    at: engine.elapsed(),
                });
            }
            if world.trace.len() > plan.max_events {
                return Err(SimError::TooManyEvents {
                    limit: plan.max_events,
                    at: engine.elapsed(),
                });
            }
        }
        let mut acted = false;
        while let Some(step) = steps.next_if(|s| s.at <= engine.elapsed()) {
            apply(&mut engine, &world, &step)?;
            acted = true;
        }
        // The switch, after the steps of the instant: it places calls wherever no fault
        // reaches (node/switch.rs).
        acted |= world.board.switch_calls(&world.trace, engine.elapsed());
        let switch = world.board.switch.borrow().next_at();
        let next = steps
            .peek()
            .map_or(plan.duration, |s| s.at.min(plan.duration));
        let next = switch.map_or(next, |s| s.min(next));
        engine.advance(&world.timers, next, acted)?;
    }
    let events = world.trace.events();
    Ok((Trace { events }, engine.stats()))
}
