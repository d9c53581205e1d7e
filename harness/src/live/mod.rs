//! The live engine: the topology's hosts on real sockets and real timers (`hapair run
//! --live`). One tokio current-thread runtime and a `LocalSet` (node code is `!Send`); each
//! host's software runs in a `LocalSet` of its own, so that a power-off drops every task of the
//! host at once (its sockets closed, reset when their process is dead), as the simulation drops
//! a crashed host's runtime. The network is [`crate::net::live`]: a loopback address per host
//! and the in-process fault proxy on every link.
//!
//! Time is real, K times faster (`--time-scale K`): virtual time is the wall time since the
//! start times K, every node timer waits 1/K of its virtual length (`node::clock::Scale`), and
//! the trace is stamped in virtual time, so expectations' windows are the scenario's. A live
//! run is not deterministic: the same seed need not give the same trace.

pub mod node;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use tokio::task::{JoinHandle, LocalSet};

use crate::engine::{Engine, Plan, SimError, Stats};
use crate::net::Clock;
use crate::net::live::peers::Directory;
use crate::net::live::{Fabric, LiveNet};
use crate::node::clock::{self, ScaleGuard, Timers};
use crate::trace::Trace;

/// How a live run is set up (`hapair run --live`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Virtual time runs this many times faster than real time (at least 1).
    pub time_scale: u32,
    /// The first host's address; the next hosts count up from it.
    pub first: Ipv4Addr,
    /// Print each listener's address on stderr as it is bound.
    pub announce: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            time_scale: 1,
            first: crate::net::live::FIRST_ADDRESS,
            announce: true,
        }
    }
}

/// The longest real time one [`Engine::advance`] waits: the driver's watchdog and the steps
/// are looked at this often at least.
const MAX_WAIT: Duration = Duration::from_millis(20);

type Software = Rc<dyn Fn() -> Pin<Box<dyn Future<Output = ()>>>>;

/// Real sockets, real timers.
pub struct LiveEngine {
    /// The host tasks (declared before the runtime: dropped while it still exists).
    local: LocalSet,
    rt: tokio::runtime::Runtime,
    fabric: Rc<Fabric>,
    /// Each host's software, by name, in the order added.
    software: Vec<(String, Software)>,
    /// The running task of each host that is on.
    running: RefCell<BTreeMap<String, JoinHandle<()>>>,
    /// The thread's time scale, for the run.
    scale: Option<ScaleGuard>,
    options: Options,
    stats: Stats,
    /// How many listeners were printed.
    shown: usize,
    /// Errors met while adding hosts (reported by the first advance).
    error: Option<String>,
    /// `hapair node`: the one host whose software runs in this process (the others run in
    /// other processes, found through the peer directory), and the epoch's real instant.
    only: Option<(String, Option<std::time::Instant>)>,
    /// `hapair node`: the peer directory and the address of the host this process runs.
    directory: Option<(Directory, Option<IpAddr>)>,
}

impl LiveEngine {
    /// An engine for `plan` with `options`.
    ///
    /// # Errors
    /// [`SimError::Turmoil`] when the runtime cannot be built.
    pub fn new(plan: &Plan, options: Options) -> Result<Self, SimError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| SimError::Turmoil(format!("cannot start a runtime: {e}")))?;
        Ok(Self {
            local: LocalSet::new(),
            rt,
            fabric: Fabric::new(options.first, options.time_scale, plan.seed),
            software: Vec::new(),
            running: RefCell::default(),
            scale: None,
            options,
            stats: Stats::default(),
            shown: 0,
            error: None,
            only: None,
            directory: None,
        })
    }

    /// Runs only the host `host` in this process (`hapair node`): the other hosts are added
    /// (their addresses and names stay known) but their software runs elsewhere, found through
    /// `directory`; `ip` replaces the host's address; virtual time starts at `epoch` (a real
    /// instant shared with the other processes) instead of [`Engine::start`].
    pub fn confine(
        &mut self,
        directory: Directory,
        ip: Option<IpAddr>,
        epoch: Option<std::time::Instant>,
    ) {
        self.only = Some((directory.host.clone(), epoch));
        self.directory = Some((directory, ip));
    }

    /// Starts the software of host `name`, in a `LocalSet` of its own.
    fn boot(&self, name: &str) {
        let Some((_, software)) = self.software.iter().find(|(n, _)| n == name) else {
            return;
        };
        let run = software();
        let handle = self.local.spawn_local(async move {
            let host = LocalSet::new();
            host.spawn_local(run);
            host.await;
        });
        if let Some(old) = self.running.borrow_mut().insert(name.to_string(), handle) {
            old.abort();
        }
    }

    /// Prints the listeners bound since the last call (`hapair live: HOST:PORT listens on
    /// ADDR`).
    fn announce(&mut self) {
        let all = self.fabric.listening();
        if !self.options.announce || all.len() <= self.shown {
            return;
        }
        let mut err = std::io::stderr().lock();
        for (host, port, addr) in all.iter().skip(self.shown) {
            let _ = writeln!(err, "hapair live: {host}:{port} listens on {addr}");
        }
        self.shown = all.len();
    }

    /// Every listener bound in the run: (host, topology port, real address).
    pub fn listening(&self) -> Vec<(String, u16, std::net::SocketAddr)> {
        self.fabric.listening()
    }
}

impl Engine for LiveEngine {
    type Net = LiveNet;

    fn net(&mut self, name: &str) -> LiveNet {
        match self.fabric.add(name) {
            Ok((i, ip)) => {
                // `hapair node`: the host this process runs may have an address of its own.
                let ip = match &self.directory {
                    Some((d, Some(own))) if d.host == name => {
                        self.fabric.use_directory(d.clone(), Some(*own));
                        *own
                    }
                    _ => ip,
                };
                LiveNet::on(Rc::clone(&self.fabric), i, name, ip)
            }
            Err(e) => {
                self.error = Some(format!("host {name}: {e}"));
                LiveNet::on(
                    Rc::clone(&self.fabric),
                    usize::MAX,
                    name,
                    std::net::IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                )
            }
        }
    }

    fn host<F, Fut>(&mut self, name: &str, software: F)
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        if self.only.as_ref().is_some_and(|(only, _)| only != name) {
            // `hapair node`: this host's software runs in another process.
            return;
        }
        let software: Software = Rc::new(move || Box::pin(software()));
        self.software.push((name.to_string(), software));
    }

    fn clock(&self) -> Clock {
        self.fabric.clock()
    }

    fn start(&mut self) {
        if let Some((d, _)) = &self.directory {
            self.fabric.use_directory(d.clone(), None);
        }
        if let Some((_, Some(epoch))) = &self.only {
            self.fabric.start_at(*epoch);
        }
        self.fabric.start();
        if let Some(base) = self.fabric.started() {
            self.scale = Some(clock::scaled(clock::Scale {
                base: tokio::time::Instant::from_std(base),
                factor: self.fabric.factor(),
            }));
        }
        let names: Vec<String> = self.software.iter().map(|(n, _)| n.clone()).collect();
        for name in names {
            self.boot(&name);
        }
    }

    fn elapsed(&self) -> Duration {
        (self.fabric.clock())()
    }

    fn advance(&mut self, _timers: &Timers, next: Duration, _acted: bool) -> Result<(), SimError> {
        if let Some(e) = self.error.take() {
            return Err(SimError::Turmoil(e));
        }
        self.stats.steps = self.stats.steps.saturating_add(1);
        let wait = self
            .fabric
            .real(next.saturating_sub(self.elapsed()))
            .clamp(Duration::from_millis(1), MAX_WAIT);
        self.rt.block_on(
            self.local
                .run_until(async move { tokio::time::sleep(wait).await }),
        );
        self.announce();
        Ok(())
    }

    fn partition(&mut self, a: &str, b: &str) {
        self.fabric.set(a, b, |l| l.partition(true));
    }

    fn heal(&mut self, a: &str, b: &str) {
        self.fabric.set(a, b, |l| l.partition(false));
    }

    fn hold(&mut self, a: &str, b: &str) {
        self.fabric.set(a, b, |l| l.hold(true));
    }

    fn release(&mut self, a: &str, b: &str) {
        self.fabric.set(a, b, |l| l.hold(false));
    }

    fn latency(&mut self, a: &str, b: &str, delay: Duration) {
        self.fabric.set(a, b, |l| l.latency(delay));
    }

    fn loss(&mut self, a: &str, b: &str, rate: f64) {
        self.fabric.set(a, b, |l| l.loss(rate));
    }

    fn power_off(&mut self, name: &str) {
        self.fabric.power(name, false);
        if let Some(task) = self.running.borrow_mut().remove(name) {
            task.abort();
        }
    }

    fn power_on(&mut self, name: &str) {
        self.fabric.power(name, true);
        self.boot(name);
    }

    fn stats(&self) -> Stats {
        self.stats
    }
}

impl Drop for LiveEngine {
    fn drop(&mut self) {
        // The hosts' tasks end inside the runtime (their sockets deregister there), then the
        // thread's time scale is lifted.
        for (_, task) in std::mem::take(&mut *self.running.borrow_mut()) {
            task.abort();
        }
        let local = std::mem::take(&mut self.local);
        self.rt.block_on(async move { drop(local) });
        self.scale = None;
    }
}

/// Runs a plan to its end on the live engine.
///
/// # Errors
/// [`SimError`] when a step cannot be applied, the runtime cannot start, or the run passes its
/// wall-clock limit.
pub fn run(plan: Plan, options: Options) -> Result<(Trace, Stats), SimError> {
    crate::engine::run(LiveEngine::new(&plan, options)?, plan)
}
