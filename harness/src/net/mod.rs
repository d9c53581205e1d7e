//! The network seam: listen, connect, and virtual time, as one host sees them. Node code is
//! generic over [`Net`] and never names turmoil; `sim` implements it over turmoil's simulated
//! TCP (a live implementation over tokio sockets slots in beside it). The engine hands each
//! host its own value.

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

/// A thread-safe reading of a network's virtual time.
pub type Clock = std::sync::Arc<dyn Fn() -> Duration + Send + Sync>;
