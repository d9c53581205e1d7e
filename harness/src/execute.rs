//! Running a scenario: its material at its clock, the static findings, the simulation with its
//! steps, and the verdicts. The result carries everything reports need.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
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

mod prepared;

pub use prepared::forget as forget_material;

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
    /// Every client's requests in three values (ok, failed, unknown), with the losses, the
    /// duplicates and the latency across switchovers.
    pub history: check::history::History,
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
    execute_into(s, seed, skip_idle, wall_limit, None)
}

/// [`execute_limited`], keeping the run's IDBs in `idb_dir` when one is given (`hapair run
/// --out`: its SQLite files, and its PostgreSQL schemas left on their server) instead of a
/// temporary folder removed when the run is judged.
///
/// # Errors
/// [`RunError`] when the material or the simulation cannot be made, or the run is stopped.
pub fn execute_into(
    s: &Scenario,
    seed: u64,
    skip_idle: bool,
    wall_limit: Duration,
    idb_dir: Option<&Path>,
) -> Result<Outcome, RunError> {
    execute_on(s, seed, skip_idle, wall_limit, idb_dir, None)
}

/// [`execute_into`] on the engine `live` says: the simulation (`None`), or real sockets and
/// timers ([`crate::live`]; one run, not deterministic; `skip_idle` is the simulation's only).
///
/// # Errors
/// [`RunError`] when the material or the run cannot be made, or the run is stopped.
pub fn execute_on(
    s: &Scenario,
    seed: u64,
    skip_idle: bool,
    wall_limit: Duration,
    idb_dir: Option<&Path>,
    live: Option<crate::live::Options>,
) -> Result<Outcome, RunError> {
    let started = Instant::now();
    // The liveness phase: the faults lifted at the end of the scenario's own run, and the
    // run long enough for the bound.
    let phase = s
        .liveness
        .as_ref()
        .map(|l| check::liveness::Phase::plan(s, l));
    let lifted = phase.as_ref().map(|p| p.apply(s));
    let s = lifted.as_ref().unwrap_or(s);
    let (material, findings) = prepared::material_and_findings(&s.topology, s.clock)?;
    let faults = s.steps.iter().map(|st| (st.at, st.fault.clone()));
    let steps = crate::engine::prepare(&s.topology, &material, s.clock, faults)?;
    let mut plan = Plan::new(Rc::clone(&s.topology), material, s.clock, seed, s.duration);
    plan.skip_idle = skip_idle;
    plan.wall_limit = wall_limit;
    plan.steps = steps;
    // The IDBs live in a folder of this run's own, removed when the run is judged, unless
    // the run keeps them.
    let idb_dir = idb_folder(&s.topology, idb_dir)?;
    plan.idb = idb_dir.as_ref().map(|d| place(&s.topology, d));
    if let Some(place) = &plan.idb {
        for db in &s.topology.databases {
            crate::idb::open(&db.name.value, place)
                .and_then(|mut i| i.reset())
                .map_err(|e| RunError::Idb(e.to_string()))?;
        }
    }
    let idb_place = plan.idb.clone();
    let (trace, stats) = match live {
        None => sim::run_counted(plan)?,
        Some(options) => crate::live::run(plan, options)?,
    };
    let idbs = idb_place.map_or_else(BTreeMap::new, |place| {
        s.topology
            .databases
            .iter()
            .map(|db| {
                let name = db.name.value.clone();
                let contents = crate::idb::read_back(&name, &place);
                (name, contents)
            })
            .collect()
    });
    drop(idb_dir);
    let mut verdicts = check::expectations(s, &trace, &findings, &idbs);
    verdicts.extend(check::invariants(s, &trace));
    if let Some(phase) = &phase {
        verdicts.extend(check::liveness::judge(s, &trace, phase));
    }
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
    let history = check::history::history(&s.topology, &trace);
    Ok(Outcome {
        history,
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

/// Where a run's IDBs go: a folder it keeps, or a temporary one removed when it ends.
enum IdbDir {
    Kept(PathBuf),
    Temporary(tempfile::TempDir),
}

impl IdbDir {
    fn path(&self) -> &Path {
        match self {
            IdbDir::Kept(p) => p,
            IdbDir::Temporary(t) => t.path(),
        }
    }
}

/// The folder of a run's SQLite IDBs, when its topology has databases: `keep` (made if
/// missing), or a new temporary folder.
fn idb_folder(
    t: &crate::topology::Topology,
    keep: Option<&Path>,
) -> Result<Option<IdbDir>, RunError> {
    if t.databases.is_empty() {
        return Ok(None);
    }
    if let Some(dir) = keep {
        return std::fs::create_dir_all(dir)
            .map(|()| Some(IdbDir::Kept(dir.to_path_buf())))
            .map_err(|e| {
                RunError::Idb(format!("cannot make {} for the IDBs: {e}", dir.display()))
            });
    }
    tempfile::Builder::new()
        .prefix("hapair-idb-")
        .tempdir()
        .map(|d| Some(IdbDir::Temporary(d)))
        .map_err(|e| RunError::Idb(format!("cannot make a folder for the IDBs: {e}")))
}

/// The run's [`Place`]: its SQLite folder, and the databases that have a PostgreSQL server.
fn place(t: &crate::topology::Topology, dir: &IdbDir) -> Place {
    let mut p = Place::new(dir.path().to_path_buf());
    p.keep = matches!(dir, IdbDir::Kept(_));
    p.postgres = t
        .databases
        .iter()
        .filter_map(|d| Some((d.name.value.clone(), d.url.as_ref()?.value.clone())))
        .collect();
    p
}
