//! Real TLS handshakes with rustls (ring) as the client, one protocol version at a time, over
//! a blocking socket whose every read and write is bounded by the probe's deadline.
//!
//! The verifier accepts any chain but records it exactly as sent (leaf first, in the server's
//! order), and still checks the handshake signatures, so what is recorded is what the peer
//! proved it holds; judging the chain is `judge`'s job. A client-certificate resolver records
//! whether the server asked for one. Nothing here returns `Err`: every way a peer can fail
//! (refused, silent, reset, plaintext, an alert) is a [`Failure`] of the [`Attempt`].

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, Resumption};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms, ring};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme};
use serde::Serialize;

pub use super::version::Version;
use super::{Options, Target, legacy};

/// Whether a version is offered, as one attempt found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VersionResult {
    /// The version asked for.
    pub version: Version,
    /// Offered (`true`), refused (`false`), or not known (the peer failed otherwise).
    pub offered: Option<bool>,
}

/// Whether the server asked for a client certificate, and what came of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientAuth {
    /// No CertificateRequest.
    NotRequested,
    /// Asked, and the handshake went on (with ours, or without one: optional).
    Accepted,
    /// Asked, and the server ended the handshake over the certificate (or its absence).
    Rejected,
}

/// The handshake a report shows: the preferred version that got a ServerHello.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Negotiated {
    /// Protocol version.
    pub version: Version,
    /// Cipher suite, IANA name (`TLS_AES_256_GCM_SHA384`).
    pub cipher: Option<String>,
    /// Client certificate request.
    pub client_auth: ClientAuth,
    /// Whether we had a client certificate to send.
    pub client_cert_sent: bool,
    /// The handshake completed.
    pub completed: bool,
}

/// How an attempt failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Connection refused (nothing listens).
    Refused,
    /// No answer to the connection attempt within the timeout.
    ConnectTimeout,
    /// Another connect error, in words.
    Connect(String),
    /// Connected, but the peer said nothing (or not enough) within the timeout.
    HandshakeTimeout {
        /// Bytes the peer did send.
        received: usize,
    },
    /// The peer closed or reset the connection before the handshake ended.
    Closed {
        /// A reset rather than an orderly close.
        reset: bool,
    },
    /// The peer answered with bytes that are not TLS.
    NotTls {
        /// The first bytes it sent, printable characters kept.
        preview: String,
    },
    /// The peer sent this alert.
    Alert(String),
    /// The version asked for is not offered (protocol_version or handshake_failure alert
    /// before any ServerHello, or a ServerHello of another version).
    VersionRefused,
    /// Any other TLS error, in words.
    Tls(String),
}

impl Failure {
    /// Whether the failure is of the connection itself, so that no other attempt can learn
    /// more (refused, silent, not TLS).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Failure::Refused
                | Failure::ConnectTimeout
                | Failure::Connect(_)
                | Failure::HandshakeTimeout { .. }
                | Failure::NotTls { .. }
        )
    }
}

/// One handshake attempt restricted to one version.
#[derive(Clone, Debug)]
pub struct Attempt {
    /// The version allowed.
    pub version: Version,
    /// The version the ServerHello chose (known even when the handshake failed later).
    pub negotiated: Option<Version>,
    /// Negotiated cipher suite, IANA name.
    pub cipher: Option<String>,
    /// The chain as sent, leaf first; empty when none arrived.
    pub chain: Vec<CertificateDer<'static>>,
    /// The server sent a CertificateRequest.
    pub client_auth_requested: bool,
    /// We had a certificate to answer it with.
    pub client_cert_sent: bool,
    /// Why it failed, if it did.
    pub failure: Option<Failure>,
}

impl Attempt {
    fn new(version: Version) -> Self {
        Self {
            version,
            negotiated: None,
            cipher: None,
            chain: Vec::new(),
            client_auth_requested: false,
            client_cert_sent: false,
            failure: None,
        }
    }

    /// Whether the version is offered: a ServerHello of this version arrived.
    pub fn offered(&self) -> Option<bool> {
        match (&self.negotiated, &self.failure) {
            (Some(v), _) => Some(*v == self.version),
            (None, Some(Failure::VersionRefused)) => Some(false),
            _ => None,
        }
    }

    /// How the client certificate request ended.
    pub fn client_auth(&self) -> ClientAuth {
        if !self.client_auth_requested {
            return ClientAuth::NotRequested;
        }
        match self.failure {
            None => ClientAuth::Accepted,
            Some(_) => ClientAuth::Rejected,
        }
    }
}

/// What the probe of one address saw: the TLS 1.3 and TLS 1.2 attempts and the legacy
/// versions (absent when the first attempt showed the peer cannot be probed further).
#[derive(Clone, Debug)]
pub struct Seen {
    /// Attempts, TLS 1.3 first.
    pub attempts: Vec<Attempt>,
    /// TLS 1.1 and 1.0 by raw ClientHello.
    pub legacy: Vec<(Version, Option<bool>)>,
}

impl Seen {
    /// The attempt to report: the first that got a ServerHello of its version, else the first.
    pub fn preferred(&self) -> Option<&Attempt> {
        self.attempts
            .iter()
            .find(|a| a.offered() == Some(true))
            .or_else(|| self.attempts.first())
    }
}

/// TLS 1.3, then TLS 1.2, then the legacy versions, each within the timeout.
pub fn probe_versions(addr: SocketAddr, target: &Target, opts: &Options) -> Seen {
    let mut seen = Seen {
        attempts: Vec::new(),
        legacy: Vec::new(),
    };
    for version in [Version::Tls13, Version::Tls12] {
        let a = attempt(addr, target, opts, version);
        let fatal = a.failure.as_ref().is_some_and(Failure::is_fatal);
        seen.attempts.push(a);
        if fatal {
            return seen;
        }
    }
    let sni = server_name(target, opts, addr);
    for version in [Version::Tls11, Version::Tls10] {
        let sni_text = match &sni {
            ServerName::DnsName(d) => Some(d.as_ref().to_string()),
            _ => None,
        };
        seen.legacy.push((
            version,
            legacy::offered(addr, sni_text.as_deref(), version, opts.timeout),
        ));
    }
    seen
}

fn server_name(target: &Target, opts: &Options, addr: SocketAddr) -> ServerName<'static> {
    ServerName::try_from(target.sni(opts.sni.as_deref()).to_string())
        .unwrap_or_else(|_| ServerName::IpAddress(addr.ip().into()))
}

/// One handshake allowing only `version`.
pub fn attempt(addr: SocketAddr, target: &Target, opts: &Options, version: Version) -> Attempt {
    let mut out = Attempt::new(version);
    let provider = Arc::new(ring::default_provider());
    let recorder = Arc::new(Recorder {
        chain: Mutex::new(Vec::new()),
        algorithms: provider.signature_verification_algorithms,
    });
    let auth = Arc::new(ClientCert {
        requested: AtomicBool::new(false),
        key: opts.client.clone(),
    });
    let config = match config(provider, version, recorder.clone(), auth.clone()) {
        Ok(c) => c,
        Err(e) => {
            out.failure = Some(Failure::Tls(e.to_string()));
            return out;
        }
    };
    let tcp = match TcpStream::connect_timeout(&addr, opts.timeout) {
        Ok(tcp) => tcp,
        Err(e) => {
            out.failure = Some(match e.kind() {
                io::ErrorKind::ConnectionRefused => Failure::Refused,
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Failure::ConnectTimeout,
                _ => Failure::Connect(e.to_string()),
            });
            return out;
        }
    };
    let _ = tcp.set_nodelay(true);
    let mut io = Bounded::new(tcp, opts.timeout);
    let name = server_name(target, opts, addr);
    let result = ClientConnection::new(Arc::new(config), name)
        .map_err(|e| Failure::Tls(e.to_string()))
        .and_then(|mut conn| {
            let r = handshake(&mut conn, &mut io, &auth);
            out.negotiated = conn.protocol_version().and_then(Version::of);
            out.cipher = conn.negotiated_cipher_suite().map(|s| iana(s.suite()));
            conn.send_close_notify();
            let _ = conn.write_tls(&mut io);
            r
        });
    out.chain = recorder.chain();
    out.client_auth_requested = auth.requested.load(Ordering::Relaxed);
    out.client_cert_sent = out.client_auth_requested && opts.client.is_some();
    out.failure = result.err();
    out
}

fn config(
    provider: Arc<CryptoProvider>,
    version: Version,
    recorder: Arc<Recorder>,
    auth: Arc<ClientCert>,
) -> Result<ClientConfig, rustls::Error> {
    let v: &'static rustls::SupportedProtocolVersion = match version {
        Version::Tls13 => &rustls::version::TLS13,
        _ => &rustls::version::TLS12,
    };
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[v])?
        .dangerous()
        .with_custom_certificate_verifier(recorder)
        .with_client_cert_resolver(auth);
    config.resumption = Resumption::disabled();
    Ok(config)
}

/// Drives the handshake to its end; when the server asked for a client certificate, waits a
/// little (3 s at most) for its verdict (under TLS 1.3 the client finishes first, and a server that refuses
/// the certificate says so after).
fn handshake(
    conn: &mut ClientConnection,
    io: &mut Bounded,
    auth: &ClientCert,
) -> Result<(), Failure> {
    while conn.is_handshaking() {
        conn.complete_io(io).map_err(|e| failure(&e, conn, io))?;
    }
    if auth.requested.load(Ordering::Relaxed) {
        io.shorten(Duration::from_secs(3));
        let mut buf = [0u8; 512];
        loop {
            match conn.read_tls(io) {
                Ok(0) => return Err(Failure::Closed { reset: false }),
                Ok(_) => {
                    if let Err(e) = conn.process_new_packets() {
                        return Err(tls_failure(&e, conn, io));
                    }
                    // Application data from the server: it accepted us.
                    if conn.reader().read(&mut buf).is_ok_and(|n| n > 0) {
                        return Ok(());
                    }
                }
                Err(e) if matches!(e.kind(), io::ErrorKind::TimedOut) => return Ok(()),
                Err(e) => return Err(failure(&e, conn, io)),
            }
        }
    }
    Ok(())
}

fn failure(e: &io::Error, conn: &ClientConnection, io: &Bounded) -> Failure {
    if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return tls_failure(tls, conn, io);
    }
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Failure::HandshakeTimeout {
            received: io.received,
        },
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
            Failure::Closed { reset: true }
        }
        io::ErrorKind::UnexpectedEof | io::ErrorKind::BrokenPipe => {
            Failure::Closed { reset: false }
        }
        _ => Failure::Tls(e.to_string()),
    }
}

fn tls_failure(e: &rustls::Error, conn: &ClientConnection, io: &Bounded) -> Failure {
    use rustls::{AlertDescription as A, Error as E};
    let hello = conn.protocol_version().is_some();
    match e {
        E::AlertReceived(A::ProtocolVersion) if !hello => Failure::VersionRefused,
        E::AlertReceived(A::HandshakeFailure) if !hello => Failure::VersionRefused,
        E::PeerIncompatible(_) => Failure::VersionRefused,
        E::AlertReceived(_) => Failure::Alert(crate::tls::describe(&io::Error::new(
            io::ErrorKind::InvalidData,
            e.clone(),
        ))),
        E::InvalidMessage(_) if !hello && !io.first_is_tls() => Failure::NotTls {
            preview: io.preview(),
        },
        other => Failure::Tls(crate::tls::describe(&io::Error::new(
            io::ErrorKind::InvalidData,
            other.clone(),
        ))),
    }
}

/// IANA name of a cipher suite: rustls spells TLS 1.3 suites `TLS13_…`.
fn iana(s: rustls::CipherSuite) -> String {
    let name = format!("{s:?}");
    match name.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => name,
    }
}

/// Records the chain as sent; accepts it (judging is done afterwards, explicitly), but
/// verifies the handshake signatures with the certificate's key.
#[derive(Debug)]
struct Recorder {
    chain: Mutex<Vec<CertificateDer<'static>>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl Recorder {
    fn chain(&self) -> Vec<CertificateDer<'static>> {
        self.chain.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut chain) = self.chain.lock() {
            *chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Answers a CertificateRequest with `--cert/--key` (or nothing), noting that it came.
#[derive(Debug)]
struct ClientCert {
    requested: AtomicBool,
    key: Option<Arc<CertifiedKey>>,
}

impl ResolvesClientCert for ClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        self.requested.store(true, Ordering::Relaxed);
        self.key.clone()
    }

    fn has_certs(&self) -> bool {
        self.key.is_some()
    }
}

/// A socket whose reads and writes all end by one deadline, keeping the first bytes the
/// peer sent (to show what a non-TLS peer said).
struct Bounded {
    tcp: TcpStream,
    deadline: Instant,
    first: Vec<u8>,
    received: usize,
}

impl Bounded {
    fn new(tcp: TcpStream, timeout: Duration) -> Self {
        Self {
            tcp,
            deadline: Instant::now()
                .checked_add(timeout)
                .unwrap_or_else(Instant::now),
            first: Vec::new(),
            received: 0,
        }
    }

    /// Brings the deadline forward to at most `wait` from now.
    fn shorten(&mut self, wait: Duration) {
        if let Some(sooner) = Instant::now().checked_add(wait) {
            self.deadline = self.deadline.min(sooner);
        }
    }

    fn remaining(&self) -> io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        Ok(left)
    }

    /// A TLS record starts with a handshake (22) or alert (21) content type.
    fn first_is_tls(&self) -> bool {
        matches!(self.first.first(), Some(21 | 22))
    }

    fn preview(&self) -> String {
        self.first
            .iter()
            .take(40)
            .map(|b| match *b {
                b' '..=b'~' => char::from(*b),
                _ => '.',
            })
            .collect()
    }
}

impl Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.tcp.set_read_timeout(Some(self.remaining()?))?;
        let n = self.tcp.read(buf).map_err(timed_out)?;
        if self.first.len() < 64 {
            let take = n.min(64usize.saturating_sub(self.first.len()));
            self.first.extend(buf.iter().take(take));
        }
        self.received = self.received.saturating_add(n);
        Ok(n)
    }
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tcp.set_write_timeout(Some(self.remaining()?))?;
        self.tcp.write(buf).map_err(timed_out)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

/// A socket timeout reads as `WouldBlock` on Unix: say `TimedOut`, which rustls passes on
/// instead of treating as "try again".
fn timed_out(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::WouldBlock {
        io::ErrorKind::TimedOut.into()
    } else {
        e
    }
}
