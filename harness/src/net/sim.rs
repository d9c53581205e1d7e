//! [`Net`] over turmoil: hosts are turmoil hosts named by their FQDN, streams are turmoil TCP
//! streams, and time is the simulation's. Each host's nodes hold a [`SimNet`] bound to that
//! host's address (the simulated engine makes them).
//!
//! How links die (`vendor/turmoil/HAPAIR.md`): a SYN the network loses (a partition, a
//! powered-off host) is never answered, so a dial ends at its own timeout; a SYN to a port with
//! no listener is refused; the streams of a [`Process`] that died are reset ([`SimStream`]).

use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use turmoil::net::{TcpListener, TcpStream};

use super::{Clock, Net, Process};

/// The simulated network, seen from one host.
#[derive(Clone, Copy, Debug)]
pub struct SimNet {
    /// The host's address in the simulation.
    host: IpAddr,
}

impl SimNet {
    /// The network as the host at `host` sees it.
    pub fn on(host: IpAddr) -> Self {
        Self { host }
    }
}

/// The simulation's virtual time, readable from any thread.
pub fn clock() -> Clock {
    Arc::new(|| turmoil::sim_elapsed().unwrap_or_default())
}

impl Net for SimNet {
    type Stream = SimStream;
    type Listener = TcpListener;

    async fn bind(&self, port: u16) -> io::Result<TcpListener> {
        TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).await
    }

    async fn accept(&self, listener: &TcpListener) -> io::Result<(SimStream, String)> {
        let (stream, addr) = listener.accept().await?;
        let peer = turmoil::reverse_lookup(addr.ip()).unwrap_or_else(|| addr.ip().to_string());
        Ok((SimStream::owned(stream), peer))
    }

    async fn connect(&self, host: &str, port: u16) -> io::Result<SimStream> {
        TcpStream::connect((host, port)).await.map(SimStream::owned)
    }

    fn now(&self) -> Duration {
        turmoil::sim_elapsed().unwrap_or_default()
    }

    fn clock(&self) -> Clock {
        clock()
    }

    fn here(&self) -> Option<IpAddr> {
        Some(self.host)
    }
}

/// A turmoil stream with the process that opened it: once that process is dead, the stream
/// sends nothing more (no TLS close, no FIN) and is reset, as the kernel of a live host resets
/// the connections of a process that crashed.
#[derive(Debug)]
pub struct SimStream {
    inner: TcpStream,
    /// The process whose task opened the stream (`None`: the LCA's, the SCS's).
    owner: Option<Process>,
}

impl SimStream {
    /// `inner`, owned by the process running now.
    fn owned(inner: TcpStream) -> Self {
        Self {
            inner,
            owner: Process::current(),
        }
    }

    /// Resets the stream when its process is dead; says whether it did.
    fn reset_if_dead(&mut self) -> bool {
        let dead = self.owner.as_ref().is_some_and(Process::is_dead);
        if dead {
            self.inner.reset();
        }
        dead
    }
}

/// What the tasks of a dead process get from its streams while they are being cancelled.
fn dead() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "the process is dead")
}

impl AsyncRead for SimStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.reset_if_dead() {
            return Poll::Ready(Err(dead()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for SimStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.reset_if_dead() {
            return Poll::Ready(Err(dead()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.reset_if_dead() {
            return Poll::Ready(Err(dead()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.reset_if_dead() {
            return Poll::Ready(Err(dead()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl Drop for SimStream {
    fn drop(&mut self) {
        self.reset_if_dead();
    }
}
