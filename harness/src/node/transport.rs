//! Opening sessions as the listening mode and the dialler's protocol dictate: plain, TLS at
//! once (`secured`), or plain then start-TLS on the same socket (`upgrade`), with real rustls
//! handshakes judged at the host's virtual time, and every failure classified into the trace.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::World;
use crate::net::{Net, Stream};
use crate::pki::endpoint::Link;
use crate::pki::resolve;
use crate::tls::{self, FailureClass};
use crate::topology::{App, ListenMode, Port};
use crate::trace::{ConnectFailure, DialError, Kind};
use crate::wire::{self, Message};

/// A plain or TLS byte stream.
pub type Io = Box<dyn Stream>;

/// How long a dial may take before it counts as a timeout.
pub const DIAL_TIMEOUT: Duration = Duration::from_secs(3);

pub use crate::pki::endpoint::Opening;

/// What a successful TLS handshake agreed.
fn handshake_event(peer: &str, port: &str, conn: &rustls::CommonState) -> Kind {
    let peer_subject = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .and_then(|der| crate::pki::inspect::CertInfo::subject_of(der).ok());
    Kind::HandshakeOk {
        peer: peer.to_string(),
        port: port.to_string(),
        version: tls::memory::version_name(conn.protocol_version()).to_string(),
        cipher: conn
            .negotiated_cipher_suite()
            .map(|cs| format!("{:?}", cs.suite()))
            .unwrap_or_default(),
        peer_subject,
    }
}

/// Dials `link` as application `me` (on host `my_host`, a host key).
///
/// Returns the stream, positioned after any start-TLS exchange and handshake, or `None`
/// when the dial failed (the failure is in the trace).
pub async fn dial<N: Net>(
    w: &World<N>,
    me: &str,
    my_host: &str,
    link: &Link,
    opening: Opening,
) -> Option<(Io, bool)> {
    // An upgrade opening starts plain: the attempt says so, and `start-tls` says when the
    // same connection switches to TLS.
    w.emit(
        me,
        Kind::ConnectAttempt {
            to: link.to.clone(),
            port: link.port.clone(),
            tls: opening == Opening::Tls,
        },
    );
    let number = w
        .topology
        .app(&link.to)
        .and_then(|a| a.port(&link.port))
        .map_or(0, |p| p.number.value);
    let fail = |reason: ConnectFailure| {
        w.emit(
            me,
            Kind::ConnectFailed {
                to: link.to.clone(),
                port: link.port.clone(),
                reason,
            },
        );
        None
    };
    let stream = match w
        .timers
        .timeout(DIAL_TIMEOUT, w.net.connect(&link.dial_host, number))
        .await
    {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return fail(dial_failure(&e).into()),
        Err(_) => return fail(DialError::TimedOut.into()),
    };
    let mut io: Io = Box::new(stream);
    if opening == Opening::StartTls {
        w.emit(
            me,
            Kind::PlainStart {
                to: link.to.clone(),
                port: link.port.clone(),
            },
        );
        let upgraded = async {
            wire::write(&mut io, &Message::StartTls).await.ok()?;
            matches!(wire::read(&mut io).await, Ok(Message::StartTlsOk)).then_some(())
        };
        if w.timers
            .timeout(DIAL_TIMEOUT, upgraded)
            .await
            .ok()
            .flatten()
            .is_none()
        {
            return fail(DialError::StartTlsRefused.into());
        }
        w.emit(
            me,
            Kind::StartTls {
                to: link.to.clone(),
                port: link.port.clone(),
                tls: true,
            },
        );
    }
    if opening == Opening::Plain {
        return Some((io, false));
    }
    let config = {
        let material = w.material.borrow();
        let mut side = tls::sides::client_side(link, &material);
        let changed = w.topology.app(&link.from);
        if let Some(cas) = changed.and_then(|a| w.trust_override(a, &link.client)) {
            side.trust = crate::pki::paths::anchors_named(&cas, &material);
        }
        tls::client_config(&side, w.time_of(my_host).provider())
    };
    let config = match config {
        Ok(c) => c,
        Err(e) => return fail(ConnectFailure::TlsConfiguration(e.to_string())),
    };
    let name = match ServerName::try_from(tls::sides::server_name(link)) {
        Ok(n) => n,
        Err(e) => return fail(ConnectFailure::BadServerName(e.to_string())),
    };
    match w
        .timers
        .timeout(DIAL_TIMEOUT, TlsConnector::from(config).connect(name, io))
        .await
    {
        Ok(Ok(s)) => {
            w.emit(me, handshake_event(&link.to, &link.port, s.get_ref().1));
            Some((Box::new(s), true))
        }
        Ok(Err(e)) => {
            let class = tls::classify(&e);
            w.emit(
                me,
                Kind::HandshakeFailed {
                    peer: link.to.clone(),
                    port: link.port.clone(),
                    class,
                    detail: tls::describe(&e),
                },
            );
            None
        }
        Err(_) => {
            w.emit(
                me,
                Kind::HandshakeFailed {
                    peer: link.to.clone(),
                    port: link.port.clone(),
                    class: FailureClass::Timeout,
                    detail: "handshake timed out".into(),
                },
            );
            None
        }
    }
}

/// Reads the first frame of a plain session, recognising a TLS ClientHello instead.
async fn first_frame<S: AsyncRead + Unpin>(io: &mut S) -> Result<Message, Result<(), String>> {
    let mut head = [0u8; 4];
    io.read_exact(&mut head)
        .await
        .map_err(|e| Err(e.to_string()))?;
    if wire::looks_like_tls(&head) {
        return Err(Ok(()));
    }
    let len = u32::from_be_bytes(head) as usize;
    if len > wire::MAX_FRAME {
        return Err(Err(format!("oversized frame of {len} bytes")));
    }
    let mut body = vec![0u8; len];
    io.read_exact(&mut body)
        .await
        .map_err(|e| Err(e.to_string()))?;
    wire::decode(&body).map_err(|e| Err(e.to_string()))
}

/// An accepted session: the stream, whether it runs under TLS, and a first message already read
/// from a plain session (`Hello`), if any.
pub struct Accepted {
    /// The stream.
    pub io: Io,
    /// Under TLS.
    pub tls: bool,
    /// A message read while deciding the mode.
    pub first: Option<Message>,
}

/// Accepts a session on `port` of `app` (on host `host_key`), per the port's listening mode.
/// `peer_host` names the dialling host in the trace. `None` when the session failed (traced).
pub async fn accept<N: Net>(
    w: &World<N>,
    app: &App,
    port: &Port,
    host_key: &str,
    stream: N::Stream,
    peer_host: &str,
) -> Option<Accepted> {
    let me = app.name.value.as_str();
    let port_id = port.id.value.as_str();
    let failed = |class: FailureClass, detail: String| {
        w.emit(
            me,
            Kind::HandshakeFailed {
                peer: peer_host.to_string(),
                port: port_id.to_string(),
                class,
                detail,
            },
        );
        None
    };
    let mut io: Io = Box::new(stream);
    match port.mode.value {
        ListenMode::Unsecured => Some(Accepted {
            io,
            tls: false,
            first: None,
        }),
        ListenMode::Upgrade => match w.timers.timeout(DIAL_TIMEOUT, first_frame(&mut io)).await {
            Ok(Ok(Message::StartTls)) => {
                wire::write(&mut io, &Message::StartTlsOk).await.ok()?;
                tls_accept(w, app, port, host_key, io, peer_host).await
            }
            Ok(Ok(first)) => Some(Accepted {
                io,
                tls: false,
                first: Some(first),
            }),
            Ok(Err(Ok(()))) => failed(
                FailureClass::TlsOnUpgradePort,
                "a TLS ClientHello arrived on an upgrade port".into(),
            ),
            Ok(Err(Err(detail))) => failed(FailureClass::PeerClosed, detail),
            Err(_) => failed(FailureClass::Timeout, "no first message".into()),
        },
        ListenMode::Secured => tls_accept(w, app, port, host_key, io, peer_host).await,
    }
}

async fn tls_accept<N: Net, S: AsyncRead + AsyncWrite + Unpin + 'static>(
    w: &World<N>,
    app: &App,
    port: &Port,
    host_key: &str,
    io: S,
    peer_host: &str,
) -> Option<Accepted> {
    let me = app.name.value.as_str();
    let failed = |class: FailureClass, detail: String| {
        w.emit(
            me,
            Kind::HandshakeFailed {
                peer: peer_host.to_string(),
                port: port.id.value.clone(),
                class,
                detail,
            },
        );
        None
    };
    let params = resolve::server_port(&w.topology, app, port);
    let config = {
        let material = w.material.borrow();
        let side = tls::sides::listener_side(format!("{me}/{}", port.id.value), &params, &material);
        let changed = w.trust_override(app, &params);
        side.and_then(|mut s| {
            if let Some(cas) = changed {
                s.trust = crate::pki::paths::anchors_named(&cas, &material);
            }
            tls::server_config(&s, w.time_of(host_key).provider())
        })
    };
    let config: Arc<rustls::ServerConfig> = match config {
        Ok(c) => c,
        Err(e) => return failed(FailureClass::Other, format!("tls configuration: {e}")),
    };
    match w
        .timers
        .timeout(DIAL_TIMEOUT, TlsAcceptor::from(config).accept(io))
        .await
    {
        Ok(Ok(s)) => {
            let peer = s
                .get_ref()
                .1
                .peer_certificates()
                .map_or_else(|| peer_host.to_string(), |_| peer_host.to_string());
            w.emit(me, handshake_event(&peer, &port.id.value, s.get_ref().1));
            Some(Accepted {
                io: Box::new(s),
                tls: true,
                first: None,
            })
        }
        Ok(Err(e)) => failed(tls::classify(&e), e.to_string()),
        Err(_) => failed(FailureClass::Timeout, "handshake timed out".into()),
    }
}

/// What happened to a dial that failed before any TLS, in the words an operator uses.
pub fn dial_failure(e: &std::io::Error) -> DialError {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::ConnectionRefused => DialError::Refused,
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => DialError::Reset,
        ErrorKind::TimedOut => DialError::TimedOut,
        ErrorKind::HostUnreachable
        | ErrorKind::NetworkUnreachable
        | ErrorKind::AddrNotAvailable => DialError::Unreachable,
        ErrorKind::NotFound => DialError::UnknownHost,
        _ => DialError::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_upgrade_port_reads_start_tls_and_recognises_a_client_hello() {
        let frame = wire::encode(&Message::StartTls);
        let mut io = tokio_test::io::Builder::new()
            .read(&frame[..2])
            .read(&frame[2..])
            .build();
        assert_eq!(first_frame(&mut io).await, Ok(Message::StartTls));

        // The first bytes of a TLS 1.2/1.3 ClientHello record.
        let mut io = tokio_test::io::Builder::new()
            .read(&[0x16, 0x03, 0x01, 0x01])
            .build();
        assert_eq!(first_frame(&mut io).await, Err(Ok(())));

        let mut io = tokio_test::io::Builder::new()
            .read(&u32::MAX.to_be_bytes())
            .build();
        assert!(matches!(first_frame(&mut io).await, Err(Err(e)) if e.contains("oversized")));

        let mut io = tokio_test::io::Builder::new().read(&[0, 0]).build();
        assert!(
            matches!(first_frame(&mut io).await, Err(Err(_))),
            "a close mid-prefix"
        );
    }

    #[test]
    fn clients_follow_the_port_unless_their_connection_forces_tls() {
        use ListenMode::{Secured, Unsecured, Upgrade};
        let table = [
            (Unsecured, None, Opening::Plain),
            (Secured, None, Opening::Tls),
            (Upgrade, None, Opening::StartTls),
            (Upgrade, Some(true), Opening::Tls),
            (Secured, Some(false), Opening::Plain),
        ];
        for (mode, forced, want) in table {
            assert_eq!(Opening::for_port(mode, forced), want, "{mode:?} {forced:?}");
        }
    }
}
