//! The network seam: listen, connect, and virtual time, as one host sees them. Node code is
//! generic over [`Net`] and never names turmoil; `sim` implements it over turmoil's simulated
//! TCP, `live` over real tokio sockets on loopback (with the fault proxy on every link). The
//! engine hands each host its own value.
//!
//! How a link dies is the network's business, as on a real one: a partition or a powered-off
//! host answers nothing (a connect times out, a session stalls), a host with no listener on a
//! port refuses, and the host of a [`Process`] that died resets its connections.

pub mod live;
pub mod sim;

use std::future::Future;
use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

/// A byte stream between two nodes.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + 'static> Stream for T {}

/// A network as nodes see it from their host: each host's nodes hold their own value, bound
/// to that host by the engine.
pub trait Net: Clone + 'static {
    /// A connected stream.
    type Stream: Stream;
    /// A listening socket.
    type Listener: 'static;

    /// Listens on `port` of this host.
    fn bind(&self, port: u16) -> impl Future<Output = io::Result<Self::Listener>>;

    /// Accepts the next connection, with the dialling host's name, or its address when it
    /// has no name.
    fn accept(
        &self,
        listener: &Self::Listener,
    ) -> impl Future<Output = io::Result<(Self::Stream, String)>>;

    /// Dials `host` (a host name) on `port`.
    fn connect(&self, host: &str, port: u16) -> impl Future<Output = io::Result<Self::Stream>>;

    /// Virtual time since the run started; the trace is stamped with it.
    fn now(&self) -> Duration;

    /// The same clock as a thread-safe function, for TLS time providers.
    fn clock(&self) -> Clock;

    /// The address of the host this network is bound to (`None` when the engine does not
    /// tell hosts apart): timers are kept per host so that a simulator can leave idle hosts
    /// alone.
    fn here(&self) -> Option<std::net::IpAddr> {
        None
    }
}

/// A process as its host's kernel sees it: the owner of the streams its tasks open. When the
/// process dies ([`Process::kill`], a crash), the kernel resets them (the peer reads
/// `reset`) instead of closing them; a connect to its ports is refused once its listeners
/// are gone. Streams opened outside any process (the LCA's, the SCS's) have no owner.
#[derive(Clone, Debug, Default)]
pub struct Process(std::rc::Rc<std::cell::Cell<bool>>);

tokio::task_local! {
    /// The process whose task is running.
    static PROCESS: Option<Process>;
}

impl Process {
    /// Runs `fut` as a task of this process: the streams it opens are the process's.
    pub fn run<F: Future>(&self, fut: F) -> impl Future<Output = F::Output> + use<F> {
        PROCESS.scope(Some(self.clone()), fut)
    }

    /// Runs `fut` as a task of the process running now, if any (a task spawned by a process
    /// belongs to it).
    pub fn inherit<F: Future>(fut: F) -> impl Future<Output = F::Output> {
        PROCESS.scope(Self::current(), fut)
    }

    /// The process whose task is running, if any.
    pub fn current() -> Option<Process> {
        PROCESS.try_with(Clone::clone).ok().flatten()
    }

    /// The process died: its streams are reset from now on.
    pub fn kill(&self) {
        self.0.set(true);
    }

    /// Whether the process died.
    pub fn is_dead(&self) -> bool {
        self.0.get()
    }
}

/// A thread-safe reading of a network's virtual time.
pub type Clock = std::sync::Arc<dyn Fn() -> Duration + Send + Sync>;
