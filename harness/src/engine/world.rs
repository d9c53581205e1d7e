//! Assembling the world of a run on an engine: one host per topology host (named by its FQDN),
//! plus a management host for the SCS when the topology names none; each host's nodes get
//! their own [`World`] around the network the engine made for that host, sharing the
//! topology, the key material, the control board, the trace and the timer registry.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use time::OffsetDateTime;

use super::Engine;
use crate::net::Net;
use crate::node::clock::Timers;
use crate::node::{Board, World, control};
use crate::pki::Material;
use crate::topology::{AppType, Topology};
use crate::trace::Recorder;

/// Host name of the management host hapair adds for the SCS.
pub const MANAGEMENT_HOST: &str = "scs.hapair.internal";

/// What the driver keeps of the world: what faults act on and what the run produces.
pub(super) struct Shared {
    /// The topology.
    pub topology: Rc<Topology>,
    /// Key material; certificate rotation replaces entries.
    pub material: Rc<RefCell<Material>>,
    /// The nodes' control board.
    pub board: Rc<Board>,
    /// Where events go.
    pub trace: Recorder,
    /// Every node timer, per host.
    pub timers: Timers,
    /// Host name (FQDN) per `[host.KEY]`.
    pub names: BTreeMap<String, String>,
}

/// What the nodes of a run share besides the topology, its material and its clock.
pub(super) struct Settings {
    /// Most sessions one server listener holds open at once.
    pub sessions_per_listener: usize,
    /// Where the run's IDBs are.
    pub idb: Option<Rc<crate::idb::Place>>,
    /// The seed of the board's draws.
    pub seed: u64,
    /// Where events go.
    pub trace: Recorder,
}

/// Adds every host to `engine` with its software (its LCA, its applications, the SCS where it
/// runs).
pub(super) fn assemble<E: Engine>(
    engine: &mut E,
    topology: Rc<Topology>,
    material: Material,
    epoch: OffsetDateTime,
    settings: Settings,
) -> Shared {
    let Settings {
        sessions_per_listener,
        idb,
        seed,
        trace,
    } = settings;
    let t = Rc::clone(&topology);
    let scs_host_key = t
        .apps
        .iter()
        .find(|a| a.kind.value == AppType::Scs)
        .map(|a| a.host.value.clone());
    let scs_host = scs_host_key
        .as_deref()
        .and_then(|k| t.host(k))
        .map_or_else(|| MANAGEMENT_HOST.to_string(), |h| h.name.value.clone());
    let shared = Shared {
        topology,
        material: Rc::new(RefCell::new(material)),
        board: Rc::new(Board::seeded(&t, seed)),
        trace,
        timers: Timers::new(engine.clock()),
        names: t
            .hosts
            .iter()
            .map(|h| (h.key.value.clone(), h.name.value.clone()))
            .collect(),
    };
    let links = Rc::new(crate::pki::endpoint::links(&t));
    let world_on = |net: E::Net| {
        Rc::new(World {
            timers: shared.timers.on(net.here()),
            net,
            links: Rc::clone(&links),
            topology: Rc::clone(&shared.topology),
            material: Rc::clone(&shared.material),
            trace: shared.trace.clone(),
            epoch,
            board: Rc::clone(&shared.board),
            scs_host: scs_host.clone(),
            sessions_per_listener,
            idb: idb.clone(),
        })
    };
    for h in &t.hosts {
        let w = world_on(engine.net(&h.name.value));
        let key = h.key.value.clone();
        let runs_scs = scs_host_key.as_deref() == Some(key.as_str());
        engine.host(&h.name.value, move || {
            control::host(Rc::clone(&w), key.clone(), runs_scs)
        });
    }
    if scs_host_key.is_none() {
        let w = world_on(engine.net(MANAGEMENT_HOST));
        engine.host(MANAGEMENT_HOST, move || {
            control::host(Rc::clone(&w), String::new(), true)
        });
    }
    shared
}
