//! Running a scenario: its material at its clock, the static findings, the simulation with its
//! steps, and the verdicts. The result carries everything reports need.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::check::{self, Verdict};
use crate::diag::Source;
use crate::idb::{Contents, IdbError, Place};
use crate::pki::PkiError;
use crate::rules::Finding;
use crate::scenario::Scenario;
use crate::sim::{self, Plan, SimError};
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
    /// The run's IDBs could not be prepared.
    #[error("IDB: {0}")]
    Idb(String),
}

impl RunError {
    /// Whether the input is at fault (exit 2) rather than the harness (exit 3).
    pub fn is_bad_input(&self) -> bool {
        match self {
            RunError::Pki(e) => e.is_bad_input(),
            RunError::Sim(SimError::Step { .. } | SimError::TooManyEvents { .. }) => true,
            RunError::Sim(_) | RunError::Idb(_) => false,
        }
    }
}

/// One scenario, run under one seed.
pub struct Outcome {
    /// The seed used.
    pub seed: u64,
    /// Static findings of the topology at the scenario's clock.
    pub findings: Vec<Finding>,
    /// The file each finding lies in, index for index with `findings`: the scenario file for
    /// an inline topology and for the scenario's `[pki]` entries, else the topology file.
    pub finding_files: Vec<Arc<Source>>,
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
    /// Each `[database.KEY]`'s contents after the run, read back from the real database (or
    /// why it could not be read), by key.
    pub idbs: BTreeMap<String, Result<Contents, IdbError>>,
}

impl Outcome {
    /// Whether every expectation and invariant held.
    pub fn passed(&self) -> bool {
        self.verdicts.iter().all(|v| v.held)
    }

    /// Each static finding with the file it lies in.
    pub fn located_findings(&self) -> impl Iterator<Item = (&Finding, &Arc<Source>)> {
        self.findings.iter().zip(&self.finding_files)
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
    execute_limited(s, seed, skip_idle, sim::WALL_LIMIT)
}

/// [`execute_stepping`] with a wall-clock limit for the run (`hapair run --timeout`).
///
/// # Errors
/// [`RunError`] when the material or the simulation cannot be made, or the run is stopped.
pub fn execute_limited(
    s: &Scenario,
    seed: u64,
    skip_idle: bool,
    wall_limit: Duration,
) -> Result<Outcome, RunError> {
    let started = Instant::now();
    let material = crate::pki::paths::for_topology(&s.topology, s.clock)?;
    let findings = crate::rules::judge(&s.topology, &material, s.clock)?;
    let faults = s.steps.iter().map(|st| (st.at, st.fault.clone()));
    let steps = crate::engine::prepare(&s.topology, &material, s.clock, faults)?;
    let mut plan = Plan::new(Rc::clone(&s.topology), material, s.clock, seed, s.duration);
    plan.skip_idle = skip_idle;
    plan.wall_limit = wall_limit;
    plan.steps = steps;
    // The IDBs live in a folder of this run's own, removed when the run is judged.
    let idb_dir = idb_folder(&s.topology)?;
    plan.idb = idb_dir.as_ref().map(|d| Place {
        dir: d.path().to_path_buf(),
    });
    if let Some(place) = &plan.idb {
        for db in &s.topology.databases {
            crate::idb::open(&db.name.value, place)
                .and_then(|mut i| i.reset())
                .map_err(|e| RunError::Idb(e.to_string()))?;
        }
    }
    let idb_place = plan.idb.clone();
    let (trace, stats) = sim::run_counted(plan)?;
    let idbs = idb_place.map_or_else(BTreeMap::new, |place| {
        s.topology
            .databases
            .iter()
            .map(|db| {
                let name = db.name.value.clone();
                let contents = crate::idb::open(&name, &place).and_then(|mut i| i.contents());
                (name, contents)
            })
            .collect()
    });
    drop(idb_dir);
    let mut verdicts = check::expectations(s, &trace, &findings, &idbs);
    verdicts.extend(check::invariants(s, &trace));
    let handshakes = trace
        .events
        .iter()
        .filter(
            |e| matches!(&e.kind, Kind::HandshakeOk { peer, .. } if s.topology.app(peer).is_some()),
        )
        .count();
    let finding_files = findings
        .iter()
        .map(|f| Arc::clone(s.source_of(f.span)))
        .collect();
    Ok(Outcome {
        seed,
        findings,
        finding_files,
        trace,
        verdicts,
        wall: started.elapsed(),
        handshakes,
        stats,
        idbs,
    })
}

/// A new temporary folder for a run's SQLite IDBs, when its topology has databases.
fn idb_folder(t: &crate::topology::Topology) -> Result<Option<tempfile::TempDir>, RunError> {
    if t.databases.is_empty() {
        return Ok(None);
    }
    tempfile::Builder::new()
        .prefix("hapair-idb-")
        .tempdir()
        .map(Some)
        .map_err(|e| RunError::Idb(format!("cannot make a folder for the IDBs: {e}")))
}
