//! [`Net`] over turmoil: hosts are turmoil hosts named by their FQDN, streams are turmoil TCP
//! streams, and time is the simulation's. Each host's nodes hold a [`SimNet`] bound to that
//! host's address (the simulated engine makes them).

use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use turmoil::net::{TcpListener, TcpStream};

use super::{Clock, Net};

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
    type Stream = TcpStream;
    type Listener = TcpListener;

    async fn bind(&self, port: u16) -> io::Result<TcpListener> {
        TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).await
    }

    async fn accept(&self, listener: &TcpListener) -> io::Result<(TcpStream, String)> {
        let (stream, addr) = listener.accept().await?;
        let peer = turmoil::reverse_lookup(addr.ip()).unwrap_or_else(|| addr.ip().to_string());
        Ok((stream, peer))
    }

    async fn connect(&self, host: &str, port: u16) -> io::Result<TcpStream> {
        TcpStream::connect((host, port)).await
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
