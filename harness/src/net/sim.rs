//! [`Net`] over turmoil: hosts are turmoil hosts named by their FQDN, streams are turmoil TCP
//! streams, and time is the simulation's.

use std::io;
use std::net::Ipv4Addr;
use std::time::Duration;

use turmoil::net::{TcpListener, TcpStream};

use std::sync::Arc;

use super::{Clock, Net};

/// The simulated network, seen from the host whose closure runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimNet;

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
        Arc::new(|| turmoil::sim_elapsed().unwrap_or_default())
    }

    fn here(&self) -> Option<std::net::IpAddr> {
        turmoil::current_host()
    }
}
