//! Running a scenario: its material at its clock, the static findings, the simulation with its
//! steps, and the verdicts. The result carries everything reports need.

use std::rc::Rc;
use std::time::{Duration, Instant};

use super::verdict::{self, Verdict};
use super::{Scenario, StepAction};
use crate::pki::PkiError;
use crate::rules::Finding;
use crate::sim::{self, Action, Plan, SimError};
use crate::trace::{Kind, Trace};

/// Why a scenario could not be run (the harness failed, not the pair).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Certificates could not be made or loaded.
    #[error("certificates: {0}")]
    Pki(#[from] PkiError),
    /// The simulation failed.
    #[error(transparent)]
    Sim(#[from] SimError),
}

impl RunError {
    /// Whether the input is at fault (exit 2) rather than the harness (exit 3).
    pub fn is_bad_input(&self) -> bool {
        match self {
            RunError::Pki(e) => e.is_bad_input(),
            RunError::Sim(SimError::Step { .. }) => true,
            RunError::Sim(_) => false,
        }
    }
}

/// One scenario, run under one seed.
pub struct Outcome {
    /// The seed used.
    pub seed: u64,
    /// Static findings of the topology at the scenario's clock.
    pub findings: Vec<Finding>,
    /// The trace.
    pub trace: Trace,
    /// Verdicts: expectations, then invariants.
    pub verdicts: Vec<Verdict>,
    /// Real time the run took.
    pub wall: Duration,
    /// TLS handshakes performed (successful, counted on the dialling side).
    pub handshakes: usize,
    /// What the run cost the simulator.
    pub stats: sim::Stats,
}

impl Outcome {
    /// Whether every expectation and invariant held.
    pub fn passed(&self) -> bool {
        self.verdicts.iter().all(|v| v.held)
    }
}

/// Runs `s` with `seed`.
///
/// # Errors
/// [`RunError`] when the material or the simulation cannot be made.
pub fn execute(s: &Scenario, seed: u64) -> Result<Outcome, RunError> {
    execute_stepping(s, seed, true)
}

/// [`execute`], choosing whether the simulator skips idle time ([`Plan::skip_idle`]); the
/// trace must not depend on it.
///
/// # Errors
/// [`RunError`] when the material or the simulation cannot be made.
pub fn execute_stepping(s: &Scenario, seed: u64, skip_idle: bool) -> Result<Outcome, RunError> {
    let started = Instant::now();
    let material = crate::pki::paths::for_topology(&s.topology, s.clock)?;
    let findings = crate::rules::judge(&s.topology, s.clock)?;
    let mut plan = Plan::new(Rc::clone(&s.topology), material, s.clock, seed, s.duration);
    plan.skip_idle = skip_idle;
    for step in &s.steps {
        plan.steps.push(sim::Step {
            at: step.at,
            action: action(s, &step.action)?,
        });
    }
    let (trace, stats) = sim::run_counted(plan)?;
    let mut verdicts = verdict::expectations(s, &trace, &findings);
    verdicts.extend(super::invariant::check(s, &trace));
    let handshakes = trace
        .events
        .iter()
        .filter(
            |e| matches!(&e.kind, Kind::HandshakeOk { peer, .. } if s.topology.app(peer).is_some()),
        )
        .count();
    Ok(Outcome {
        seed,
        findings,
        trace,
        verdicts,
        wall: started.elapsed(),
        handshakes,
        stats,
    })
}

fn action(s: &Scenario, a: &StepAction) -> Result<Action, RunError> {
    Ok(match a.clone() {
        StepAction::Crash(x) => Action::Crash(x),
        StepAction::Restart(x) => Action::Restart(x),
        StepAction::PowerOff(x) => Action::PowerOff(x),
        StepAction::PowerOn(x) => Action::PowerOn(x),
        StepAction::Partition(a, b) => Action::Partition(a, b),
        StepAction::Heal(a, b) => Action::Heal(a, b),
        StepAction::Hold(a, b) => Action::Hold(a, b),
        StepAction::Release(a, b) => Action::Release(a, b),
        StepAction::Latency(a, b, d) => Action::Latency(a, b, d),
        StepAction::Loss(a, b, r) => Action::Loss(a, b, r),
        StepAction::Skew(h, secs) => Action::Skew(h, secs),
        StepAction::Switchover(x) => Action::Switchover(x),
        StepAction::Traffic(c, r) => Action::Traffic(c, r),
        StepAction::Option(a, section, key, value) => Action::Option(a, section, key, value),
        StepAction::Rotate(cert, profile) => {
            // The replacement is the same certificate description, reissued (with the fault
            // profile, if any): a new key, a new serial, the same names.
            let mut spec = s.topology.pki.clone();
            if let Some(c) = spec.certs.iter_mut().find(|c| c.name == cert) {
                c.profile = profile;
                use crate::topology::pki::TimeSpec;
                const DAY: i64 = 86_400;
                match profile {
                    Some(crate::topology::pki::Profile::Expired) => {
                        (c.not_before, c.not_after) =
                            (TimeSpec::Offset(-366 * DAY), TimeSpec::Offset(-DAY))
                    }
                    Some(crate::topology::pki::Profile::NotYetValid) => {
                        c.not_before = TimeSpec::Offset(DAY)
                    }
                    _ => {}
                }
                if profile == Some(crate::topology::pki::Profile::NoServerAuth) {
                    c.server_auth = false;
                }
                if profile == Some(crate::topology::pki::Profile::NoClientAuth) {
                    c.client_auth = false;
                }
            }
            let mut m = crate::pki::generate(&spec, s.clock)?;
            let leaf = m.certs.remove(&cert).ok_or_else(|| SimError::Step {
                at: Duration::ZERO,
                what: format!("no certificate `{cert}`"),
            })?;
            Action::Rotate(cert, Box::new(leaf))
        }
    })
}
