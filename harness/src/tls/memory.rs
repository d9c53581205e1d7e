//! A complete TLS handshake between two rustls configurations in memory, with no socket: the
//! floor every simulated connection is measured against, and the way tests judge material.

use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};

use super::FailureClass;

/// What a successful handshake agreed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// `1.2` or `1.3`.
    pub version: &'static str,
    /// Cipher suite name.
    pub cipher: String,
    /// Whether the client presented a certificate.
    pub client_authenticated: bool,
}

/// The side that detected a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The dialling side.
    Client,
    /// The listening side.
    Server,
}

/// A failed handshake: who noticed first, and why.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The side whose checks failed first.
    pub side: Side,
    /// The classification.
    pub class: FailureClass,
    /// rustls' own error.
    pub error: rustls::Error,
}

/// Version name of a negotiated protocol.
pub fn version_name(v: Option<rustls::ProtocolVersion>) -> &'static str {
    match v {
        Some(rustls::ProtocolVersion::TLSv1_3) => "1.3",
        Some(rustls::ProtocolVersion::TLSv1_2) => "1.2",
        _ => "?",
    }
}

/// Runs a full handshake between `client` and `server`, the client dialling `name`.
///
/// # Errors
/// The first side's failure, classified.
pub fn handshake(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    name: ServerName<'static>,
) -> Result<Negotiated, Failure> {
    let fail = |side, error: rustls::Error| Failure {
        side,
        class: FailureClass::from(&error),
        error,
    };
    let mut c = ClientConnection::new(client, name).map_err(|e| fail(Side::Client, e))?;
    let mut s = ServerConnection::new(server).map_err(|e| fail(Side::Server, e))?;
    let mut buf = Vec::with_capacity(4096);
    // Each round moves everything pending in both directions; a handshake needs a handful.
    for _ in 0..16 {
        buf.clear();
        while c.wants_write() {
            let _ = c.write_tls(&mut buf);
        }
        if !buf.is_empty() {
            let mut rd = &buf[..];
            while !rd.is_empty() && s.read_tls(&mut rd).is_ok_and(|n| n > 0) {}
            if let Err(e) = s.process_new_packets() {
                return Err(fail(Side::Server, e));
            }
        }
        buf.clear();
        while s.wants_write() {
            let _ = s.write_tls(&mut buf);
        }
        if !buf.is_empty() {
            let mut rd = &buf[..];
            while !rd.is_empty() && c.read_tls(&mut rd).is_ok_and(|n| n > 0) {}
            if let Err(e) = c.process_new_packets() {
                return Err(fail(Side::Client, e));
            }
        }
        if !c.is_handshaking() && !s.is_handshaking() && !c.wants_write() && !s.wants_write() {
            return Ok(Negotiated {
                version: version_name(c.protocol_version()),
                cipher: c
                    .negotiated_cipher_suite()
                    .map(|cs| format!("{:?}", cs.suite()))
                    .unwrap_or_default(),
                client_authenticated: s.peer_certificates().is_some_and(|p| !p.is_empty()),
            });
        }
    }
    Err(fail(
        Side::Client,
        rustls::Error::General("handshake did not finish".into()),
    ))
}
