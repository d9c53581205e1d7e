//! The simulated applications, by role (an application is its listeners, its outbound
//! connections and, in a pair, its HA link; see `app.rs`) and the Management Layer (an LCA per
//! host, the SCS).
//!
//! Nodes are generic over [`Net`]; they never name turmoil. Faults reach them only through
//! the [`board`](Board) the driver writes (a process crash, a restart, traffic, a rotated
//! certificate, a manual switchover), the way an operator or the OS would.

mod addp;
mod app;
mod board;
pub mod clock;
pub mod control;
mod dialer;
mod ha;
mod icon;
mod instance;
mod readiness;
mod reconnect;
mod server;
pub mod session;
pub mod store;
pub mod switch;
pub mod transport;
pub mod trust;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::OffsetDateTime;
use tokio::sync::watch;

use crate::net::Net;
use crate::pki::Material;
use crate::pki::endpoint::Link;
use crate::tls::VirtualTime;
use crate::topology::Topology;
use crate::trace::{Kind, Recorder};

/// The tasks of one application process: a crash aborts them all, as the OS would.
#[derive(Clone, Default)]
pub struct Scope(Rc<RefCell<Vec<tokio::task::AbortHandle>>>);

impl Scope {
    /// Spawns a task that belongs to this process (its streams are the process's: see
    /// [`crate::net::Process`]).
    pub fn spawn(&self, fut: impl std::future::Future<Output = ()> + 'static) {
        let handle = tokio::task::spawn_local(crate::net::Process::inherit(fut));
        let mut tasks = self.0.borrow_mut();
        tasks.retain(|t| !t.is_finished());
        tasks.push(handle.abort_handle());
    }

    /// Aborts every task of the process.
    pub fn abort(&self) {
        for t in self.0.borrow_mut().drain(..) {
            t.abort();
        }
    }
}

/// What the driver wants of an application process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Run {
    /// Running (started, or restarted after a crash).
    Up,
    /// Crashed (the process is gone; the host lives).
    Down,
}

pub use crate::fault::Order;
pub use icon::{BATCH_ROWS, FLUSH_INTERVAL, IdbFaults, QUEUE_ROWS, RETRY_INTERVAL};

/// The driver's side of the run: faults and operator actions, per application and host.
pub struct Board {
    /// Per application: should its process run.
    pub run: BTreeMap<String, watch::Sender<Run>>,
    /// Per client application: requests per second of its traffic generator.
    pub traffic: BTreeMap<String, watch::Sender<f64>>,
    /// Per host key: clock skew in seconds, read by that host's TLS time provider.
    pub skew: BTreeMap<String, Arc<AtomicI64>>,
    /// Manual switchovers ordered for the SCS, in order (the SCS keeps its place).
    pub switchover: watch::Sender<Vec<Order>>,
    /// Options changed during the run: (application, section, key) → value. Nodes read
    /// options through [`World::option`], each where the option's documented "changes take
    /// effect" says.
    pub options: RefCell<BTreeMap<(String, String, String), String>>,
    /// Trusted CAs changed during the run, by application or host: the `[pki.ca]` names in
    /// force there now. Read at every handshake through [`World::trust_override`].
    pub trust: RefCell<BTreeMap<trust::Scope, Vec<String>>>,
    /// The switch (Step 9): where `calls` steps place calls, outside every pair.
    pub switch: RefCell<switch::Switch>,
    /// Data-source instances attached to the switch, by application.
    sources: RefCell<BTreeMap<String, switch::Attachment>>,
    /// Attachments made so far (each one's ID).
    attachments: Cell<u64>,
    /// IDB faults in force (Step 9, ICON): read by the ICONs at their writes and starts.
    pub idb: RefCell<IdbFaults>,
    /// Each client's last request number, kept across its restarts: request IDs identify a
    /// request for the whole run (a client history), so a desktop whose host was powered off
    /// and on goes on numbering where it stopped instead of reusing `desk-1`, `desk-2`, ...
    pub requests: RefCell<BTreeMap<String, u64>>,
}

impl Board {
    /// A board with every application up, no traffic, no skew.
    pub fn new(t: &Topology) -> Self {
        Self {
            run: t
                .apps
                .iter()
                .map(|a| (a.name.value.clone(), watch::channel(Run::Up).0))
                .collect(),
            traffic: t
                .apps
                .iter()
                .filter(|a| !a.is_server())
                .map(|a| (a.name.value.clone(), watch::channel(0.0).0))
                .collect(),
            skew: t
                .hosts
                .iter()
                .map(|h| (h.key.value.clone(), Arc::new(AtomicI64::new(0))))
                .collect(),
            switchover: watch::channel(Vec::new()).0,
            options: RefCell::default(),
            trust: RefCell::default(),
            switch: RefCell::default(),
            sources: RefCell::default(),
            attachments: Cell::new(0),
            idb: RefCell::default(),
            requests: RefCell::default(),
        }
    }

    /// A board whose switch draws its calls from the run's `seed`.
    pub fn seeded(t: &Topology, seed: u64) -> Self {
        let board = Self::new(t);
        board.switch.replace(switch::Switch::new(seed));
        board
    }
}

/// Everything a node needs, shared by every node of one run (one thread: `Rc`).
pub struct World<N: Net> {
    /// The network seam.
    pub net: N,
    /// The topology.
    pub topology: Rc<Topology>,
    /// Key material; certificate rotation replaces entries.
    pub material: Rc<RefCell<Material>>,
    /// Every link of the topology, with resolved parameters.
    pub links: Rc<Vec<Link>>,
    /// Where events go.
    pub trace: Recorder,
    /// The scenario's wall clock at t = 0.
    pub epoch: OffsetDateTime,
    /// The driver's board.
    pub board: Rc<Board>,
    /// The host name the SCS runs on.
    pub scs_host: String,
    /// Every pending node timer (the driver skips idle time by them).
    pub timers: clock::Timers,
    /// Most sessions one server listener holds open at once (see
    /// [`MAX_SESSIONS_PER_LISTENER`](crate::limits::MAX_SESSIONS_PER_LISTENER)).
    pub sessions_per_listener: usize,
    /// Where the run's IDBs are (see [`crate::idb::open`]); `None` when the run has none.
    pub idb: Option<Rc<crate::idb::Place>>,
}

impl<N: Net> World<N> {
    /// Records an event now.
    pub fn emit(&self, node: &str, kind: Kind) {
        self.trace.emit(self.net.now(), node, kind);
    }

    /// The TLS clock of a host: the scenario clock, plus virtual time, plus the host's skew.
    pub fn time_of(&self, host_key: &str) -> VirtualTime {
        let skew = self.board.skew.get(host_key).cloned().unwrap_or_default();
        let clock = self.net.clock();
        VirtualTime::following_signed(self.epoch, move || {
            let now = time::Duration::try_from(clock()).unwrap_or(time::Duration::MAX);
            // A negative skew may reach before the scenario's clock: it is not clamped.
            now.saturating_add(time::Duration::seconds(skew.load(Ordering::Relaxed)))
        })
    }

    /// An application's option as configured now: a value set by an `option` step, or
    /// the topology's.
    pub fn option(&self, app: &str, section: &str, key: &str) -> Option<String> {
        // Read on every HA-link wait: no allocation unless a step changed some option.
        let changed = {
            let options = self.board.options.borrow();
            if options.is_empty() {
                None
            } else {
                options
                    .get(&(app.to_string(), section.to_string(), key.to_string()))
                    .cloned()
            }
        };
        changed.or_else(|| {
            self.topology
                .app(app)
                .and_then(|a| a.option(section, key))
                .map(|v| v.value.clone())
        })
    }

    /// An honoured option of an application in seconds, as configured now, with the
    /// documented default when unset; `None` when the function is off (see
    /// [`crate::topology::options::HONOURED`]).
    pub fn option_secs(&self, app: &str, section: &str, key: &str) -> Option<std::time::Duration> {
        let spec = crate::topology::options::spec_for(false, section, key)?;
        spec.secs(self.option(app, section, key).as_deref())
    }

    /// An honoured flag option of an application, as configured now (default when unset).
    pub fn option_flag(&self, app: &str, section: &str, key: &str) -> bool {
        crate::topology::options::spec_for(false, section, key)
            .is_some_and(|spec| spec.flag(self.option(app, section, key).as_deref()))
    }

    /// An honoured option of a host in seconds (default when unset; `None` when off).
    pub fn host_option_secs(
        &self,
        host_key: &str,
        section: &str,
        key: &str,
    ) -> Option<std::time::Duration> {
        let spec = crate::topology::options::spec_for(true, section, key)?;
        let value = self
            .topology
            .host(host_key)
            .and_then(|h| h.option(section, key))
            .map(|v| v.value.as_str());
        spec.secs(value)
    }

    /// The link with this kind from `from` to `to`.
    pub fn link(
        &self,
        kind: crate::pki::endpoint::LinkKind,
        from: &str,
        to: &str,
    ) -> Option<&Link> {
        self.links
            .iter()
            .find(|l| l.kind == kind && l.from == from && l.to == to)
    }
}
