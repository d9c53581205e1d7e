//! `hapair rehearse FROM TO`: every intermediate state of a rolling change of a deployment,
//! rehearsed in the simulator before the lab touches a server.
//!
//! `diff` compares the two topologies per application and refuses what cannot be rolled;
//! `order` derives the steps of a plan (the documented order for a pair: change the backup,
//! restart it, switch over, change the former primary, restart it; then the other servers
//! and the clients, or a plan file's order) and the state after each; `state` writes each
//! state as an ordinary topology; `running` writes each step as an ordinary scenario, runs it
//! and reads what held and what broke; `suggest` lists the other orders tried when the
//! default breaks; `report` renders. It judges and runs, it does not change the simulator.

pub mod diff;
pub mod order;
pub mod report;
pub mod running;
pub mod state;
pub mod suggest;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use crate::diag::{Invalid, Source};
use crate::rules::{Finding, Severity};

pub use order::Plan;
pub use running::StepRun;

/// Why a rehearsal could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RehearseError {
    /// A file could not be read.
    #[error("{error}")]
    Unreadable {
        /// The path as given.
        path: PathBuf,
        /// Why.
        error: String,
    },
    /// A file is not valid, or FROM and TO cannot be rolled.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// TO breaks rules of the catalogue at error level: the target itself is wrong.
    #[error("{} breaks {} rule(s) at error level", .source_file.path.display(), .findings.len())]
    Rules {
        /// TO.
        source_file: std::sync::Arc<Source>,
        /// Its name.
        topology: String,
        /// Every finding of TO (errors and warnings).
        findings: Vec<Finding>,
    },
    /// A file or folder could not be written.
    #[error("cannot write {}: {error}", path.display())]
    Io {
        /// Where.
        path: PathBuf,
        /// Why.
        error: String,
    },
    /// A step's run could not be made.
    #[error("run: {0}")]
    Run(crate::execute::RunError),
    /// The harness failed.
    #[error("internal: {0}")]
    Internal(String),
}

impl RehearseError {
    /// Whether the input is at fault (exit 2) rather than the harness (exit 3).
    pub fn is_bad_input(&self) -> bool {
        match self {
            RehearseError::Unreadable { .. }
            | RehearseError::Invalid(_)
            | RehearseError::Rules { .. } => true,
            RehearseError::Run(e) => e.is_bad_input(),
            RehearseError::Io { .. } | RehearseError::Internal(_) => false,
        }
    }
}

/// One plan, run step by step.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PlanRun {
    /// The order and whether trust goes first.
    pub plan: Plan,
    /// Why this plan (for a suggestion).
    pub why: String,
    /// Each step with its run.
    pub steps: Vec<StepRun>,
    /// Whether every step is safe.
    pub safe: bool,
}

/// A whole rehearsal.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Rehearsal {
    /// Schema of the JSON form.
    pub schema: &'static str,
    /// FROM, as given.
    pub from: String,
    /// TO, as given.
    pub to: String,
    /// The seed every step ran with.
    pub seed: u64,
    /// What changes, per application (only the ones that change).
    pub changes: Vec<diff::AppDiff>,
    /// TO's certificates and CAs renamed in the intermediate states.
    pub renamed: std::collections::BTreeMap<String, String>,
    /// The default (or the plan file's) order.
    pub default: PlanRun,
    /// Orders tried after the default broke, in order; the last is the suggestion when safe.
    pub tried: Vec<PlanRun>,
}

impl Rehearsal {
    /// The first safe order tried after the default, if the default broke.
    pub fn suggested(&self) -> Option<&PlanRun> {
        if self.default.safe {
            None
        } else {
            self.tried.iter().find(|p| p.safe)
        }
    }

    /// Whether the rollout can be made safely: the default order, or a suggested one.
    pub fn safe(&self) -> bool {
        self.default.safe || self.suggested().is_some()
    }
}

/// What to rehearse.
pub struct Request<'a> {
    /// Today's topology.
    pub from: &'a Path,
    /// The new one.
    pub to: &'a Path,
    /// A plan file overriding the order.
    pub plan: Option<&'a Path>,
    /// The seed of every run.
    pub seed: u64,
    /// Where to write the scenario files and the report.
    pub out: Option<&'a Path>,
}

/// Rehearses the rollout from `req.from` to `req.to`.
///
/// # Errors
/// [`RehearseError`] on bad input (unreadable, invalid, cannot be rolled, TO breaks rules)
/// or when the runs cannot be made.
pub fn rehearse(req: &Request<'_>) -> Result<Rehearsal, RehearseError> {
    let diff = diff::diff(req.from, req.to)?;
    judge_to(&diff)?;
    let t = &diff.from.topology;
    let base = match req.plan {
        Some(p) => order::read_plan(p, t)?,
        None => Plan {
            order: order::default_order(t, false),
            trust_first: false,
            relax_first: false,
        },
    };
    let why = if req.plan.is_some() {
        "the plan file's order"
    } else {
        "the documented order: each pair's backup, a switchover, its former primary; then the other servers, then the clients"
    };
    let default = run_plan(&diff, base.clone(), why, req.seed)?;
    let mut tried = Vec::new();
    if !default.safe {
        // Orders that come to the same steps (a client that does not change, moved first)
        // are run once.
        let actions = |p: &Plan| -> Vec<order::Action> {
            order::steps(&diff, p).into_iter().map(|(a, _)| a).collect()
        };
        let mut seen = vec![actions(&base)];
        for (plan, why) in suggest::candidates(&diff, &base) {
            let these = actions(&plan);
            if seen.contains(&these) {
                continue;
            }
            seen.push(these);
            let run = run_plan(&diff, plan, why, req.seed)?;
            let safe = run.safe;
            tried.push(run);
            if safe {
                break;
            }
        }
    }
    let rehearsal = Rehearsal {
        schema: "hapair.rehearse/1",
        from: req.from.display().to_string(),
        to: req.to.display().to_string(),
        seed: req.seed,
        changes: diff
            .apps
            .iter()
            .filter(|a| !a.changes.is_empty() || a.trust_from != a.trust_to)
            .cloned()
            .collect(),
        renamed: diff.renamed.clone(),
        default,
        tried,
    };
    if let Some(out) = req.out {
        report::write(&rehearsal, out)?;
    }
    Ok(rehearsal)
}

/// Refuses a TO that breaks rules at error level, with its findings.
fn judge_to(diff: &diff::Diff) -> Result<(), RehearseError> {
    let t = &diff.to.topology;
    // The clock the step scenarios run at (a scenario's default).
    let clock = t
        .pki
        .clock
        .unwrap_or(time::macros::datetime!(2026-06-01 08:00 UTC));
    let material = crate::pki::paths::for_topology(t, clock)
        .map_err(|e| RehearseError::Run(crate::execute::RunError::Pki(e)))?;
    let findings = crate::rules::judge(t, &material, clock)
        .map_err(|e| RehearseError::Run(crate::execute::RunError::Pki(e)))?;
    if findings.iter().any(|f| f.severity == Severity::Error) {
        return Err(RehearseError::Rules {
            source_file: std::sync::Arc::clone(&diff.to.source),
            topology: t.name.clone(),
            findings,
        });
    }
    Ok(())
}

/// Runs every step of `plan`, each in its own folder of a temporary directory.
fn run_plan(diff: &diff::Diff, plan: Plan, why: &str, seed: u64) -> Result<PlanRun, RehearseError> {
    let dir = tempfile::Builder::new()
        .prefix("hapair-rehearse-")
        .tempdir()
        .map_err(|e| RehearseError::Internal(format!("cannot make a temporary folder: {e}")))?;
    let mut before = order::State::start(&diff.from.topology);
    let mut steps = Vec::new();
    for (i, (action, after)) in order::steps(diff, &plan).into_iter().enumerate() {
        let run = running::run_step(
            diff,
            i.saturating_add(1),
            (&action, &before, &after),
            dir.path(),
            seed,
        )?;
        steps.push(run);
        before = after;
    }
    let safe = steps.iter().all(|s| s.safe);
    Ok(PlanRun {
        plan,
        why: why.to_string(),
        steps,
        safe,
    })
}
