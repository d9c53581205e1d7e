//! Applying a step: faults on the network through the engine (power-off as cut-off-then-crash,
//! power-on as reconnect-then-restart, partitions, held messages, latency, loss), every other
//! fault through the node control board; then the trace records the fault.

use super::world::Shared;
use super::{Engine, SimError, Step};
use crate::fault::{Fault, HostRef, Missing};
use crate::trace::{FaultName, Kind, StopReason};

/// Applies one step.
///
/// # Errors
/// [`SimError::Step`] when it names something the run does not have.
pub(super) fn apply<E: Engine>(engine: &mut E, w: &Shared, step: &Step) -> Result<(), SimError> {
    let fault = &step.fault;
    let target = if fault.on_network() {
        network(engine, w, fault)
    } else {
        w.board
            .apply(&w.topology, &w.material, fault, step.reissued.as_deref())
    }
    .map_err(|Missing(what)| SimError::Step { at: step.at, what })?;
    w.trace.emit(
        engine.elapsed(),
        "sim",
        Kind::Fault {
            fault: FaultName::Step(fault.name().to_string()),
            target,
        },
    );
    Ok(())
}

/// The FQDN of a host, by which the engine knows it.
fn name<'w>(w: &'w Shared, host: &HostRef) -> Result<&'w str, Missing> {
    w.names
        .get(host.as_str())
        .map(String::as_str)
        .ok_or_else(|| Missing(format!("no host `{host}`")))
}

/// Applies a fault on the network and says what it changed, for the trace.
fn network<E: Engine>(engine: &mut E, w: &Shared, fault: &Fault) -> Result<String, Missing> {
    Ok(match fault {
        Fault::PowerOff { host } => {
            engine.power_off(name(w, host)?);
            // Every process of the host dies with it (the LCA too: nobody reports it).
            for app in w.topology.apps.iter().filter(|a| a.host.value == *host) {
                w.board.detach(&app.name.value);
                w.trace.emit(
                    engine.elapsed(),
                    &app.name.value,
                    Kind::Stopped {
                        reason: StopReason::PoweredOff,
                    },
                );
            }
            host.to_string()
        }
        Fault::PowerOn { host } => {
            engine.power_on(name(w, host)?);
            host.to_string()
        }
        Fault::Partition { a, b }
        | Fault::Heal { a, b }
        | Fault::Hold { a, b }
        | Fault::Release { a, b } => {
            let (x, y) = (name(w, a)?, name(w, b)?);
            match fault {
                Fault::Partition { .. } => engine.partition(x, y),
                Fault::Heal { .. } => engine.heal(x, y),
                Fault::Hold { .. } => engine.hold(x, y),
                _ => engine.release(x, y),
            }
            format!("{a}<->{b}")
        }
        Fault::Latency { a, b, delay } => {
            engine.latency(name(w, a)?, name(w, b)?, *delay);
            format!("{a}<->{b}")
        }
        Fault::Loss { a, b, rate } => {
            engine.loss(name(w, a)?, name(w, b)?, *rate);
            format!("{a}<->{b}")
        }
        _ => {
            return Err(Missing(format!(
                "`{}` is a fault on a node: the board applies it, not the engine",
                fault.name()
            )));
        }
    })
}
