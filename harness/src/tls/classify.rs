//! The one classification of handshake failures (DESIGN §1 `tls`). Every place that sees a TLS
//! failure maps it here, so traces, expectations and reports speak one vocabulary.

use std::fmt;
use std::io;

use rustls::{AlertDescription, CertificateError, Error as TlsErr, InvalidMessage};
use serde::{Deserialize, Serialize};

/// Why a handshake (or the session right after it) failed.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureClass {
    /// The peer's certificate is past its `notAfter` at the verifier's (virtual) time.
    Expired,
    /// The peer's certificate is before its `notBefore`.
    NotYetValid,
    /// The server certificate does not name the host the client checks.
    NameMismatch,
    /// The chain does not lead to a trusted CA (other CA, self-signed, missing intermediate).
    UnknownCa,
    /// A signature in the chain or handshake does not verify.
    BadSignature,
    /// The certificate's extended key usage does not allow this role.
    WrongKeyUsage,
    /// Mutual TLS is on and the client presented no certificate.
    NoClientCert,
    /// No protocol version (or cipher suite) in common.
    ProtocolVersion,
    /// Plain bytes arrived on a port that expects TLS at once.
    PlaintextOnSecured,
    /// A TLS ClientHello arrived on an upgrade port that expects the plain protocol first.
    TlsOnUpgradePort,
    /// The peer closed the connection (or, during a handshake, reset it).
    PeerClosed,
    /// An established session was reset by the peer's host (the process behind it died):
    /// `reset`. Handshakes keep `peer-closed` for a reset.
    Reset,
    /// Nothing happened within the deadline.
    Timeout,
    /// Anything else rustls reports (kept so that no failure goes unclassified).
    Other,
}

impl FailureClass {
    /// Every class with its name in scenario files.
    pub const ALL: [(FailureClass, &'static str); 14] = [
        (FailureClass::Expired, "expired"),
        (FailureClass::NotYetValid, "not-yet-valid"),
        (FailureClass::NameMismatch, "name-mismatch"),
        (FailureClass::UnknownCa, "unknown-ca"),
        (FailureClass::BadSignature, "bad-signature"),
        (FailureClass::WrongKeyUsage, "wrong-key-usage"),
        (FailureClass::NoClientCert, "no-client-cert"),
        (FailureClass::ProtocolVersion, "protocol-version"),
        (FailureClass::PlaintextOnSecured, "plaintext-on-secured"),
        (FailureClass::TlsOnUpgradePort, "tls-on-upgrade-port"),
        (FailureClass::PeerClosed, "peer-closed"),
        (FailureClass::Reset, "reset"),
        (FailureClass::Timeout, "timeout"),
        (FailureClass::Other, "other"),
    ];

    /// Whether the failure comes from configuration (certificates, trust, protocol versions,
    /// port modes) rather than from the network or a process: it happens again at every
    /// attempt until the configuration changes.
    pub fn is_configuration(self) -> bool {
        !matches!(
            self,
            FailureClass::PeerClosed
                | FailureClass::Reset
                | FailureClass::Timeout
                | FailureClass::Other
        )
    }

    /// Name in files and traces.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("other", |(_, n)| n)
    }
}

impl fmt::Display for FailureClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&CertificateError> for FailureClass {
    fn from(e: &CertificateError) -> Self {
        use CertificateError as C;
        #[allow(deprecated)]
        match e {
            C::Expired | C::ExpiredContext { .. } => Self::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => Self::NotYetValid,
            C::NotValidForName | C::NotValidForNameContext { .. } => Self::NameMismatch,
            C::UnknownIssuer => Self::UnknownCa,
            C::BadSignature
            | C::UnsupportedSignatureAlgorithm
            | C::UnsupportedSignatureAlgorithmContext { .. }
            | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => Self::BadSignature,
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => Self::WrongKeyUsage,
            _ => Self::Other,
        }
    }
}

impl From<&TlsErr> for FailureClass {
    fn from(e: &TlsErr) -> Self {
        match e {
            TlsErr::InvalidCertificate(c) => c.into(),
            TlsErr::NoCertificatesPresented => Self::NoClientCert,
            TlsErr::PeerIncompatible(_) => Self::ProtocolVersion,
            TlsErr::AlertReceived(a) => alert(*a),
            TlsErr::InvalidMessage(InvalidMessage::InvalidContentType)
            | TlsErr::InvalidMessage(InvalidMessage::UnknownProtocolVersion) => {
                Self::PlaintextOnSecured
            }
            _ => Self::Other,
        }
    }
}

/// What the side that *received* an alert can tell: rustls sends these for the certificate
/// errors above (see `From<CertificateError> for AlertDescription`).
fn alert(a: AlertDescription) -> FailureClass {
    use AlertDescription as A;
    match a {
        A::CertificateExpired => FailureClass::Expired,
        A::BadCertificate => FailureClass::NameMismatch,
        A::UnknownCA => FailureClass::UnknownCa,
        A::DecryptError => FailureClass::BadSignature,
        A::UnsupportedCertificate => FailureClass::WrongKeyUsage,
        A::CertificateRequired => FailureClass::NoClientCert,
        A::ProtocolVersion | A::HandshakeFailure => FailureClass::ProtocolVersion,
        _ => FailureClass::Other,
    }
}

/// Classifies an I/O error from tokio-rustls or a socket: TLS failures travel as
/// `InvalidData` wrapping a `rustls::Error`.
pub fn classify(e: &io::Error) -> FailureClass {
    if let Some(tls) = e.get_ref().and_then(|inner| inner.downcast_ref::<TlsErr>()) {
        return tls.into();
    }
    match e.kind() {
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::UnexpectedEof
        | io::ErrorKind::BrokenPipe => FailureClass::PeerClosed,
        io::ErrorKind::TimedOut => FailureClass::Timeout,
        _ => FailureClass::Other,
    }
}

/// A failed handshake or read in words for the trace and reports: the TLS library's error
/// named without its Rust type names (`UnknownIssuer` becomes "unknown issuer").
pub fn describe(e: &io::Error) -> String {
    let Some(tls) = e.get_ref().and_then(|inner| inner.downcast_ref::<TlsErr>()) else {
        return e.to_string();
    };
    match tls {
        TlsErr::InvalidCertificate(c) => {
            format!("invalid peer certificate: {}", words(&format!("{c:?}")))
        }
        TlsErr::AlertReceived(a) => format!("the peer sent the alert {}", words(&format!("{a:?}"))),
        TlsErr::NoCertificatesPresented => "the peer presented no certificate".to_string(),
        TlsErr::PeerIncompatible(p) => format!("no common protocol: {}", words(&format!("{p:?}"))),
        TlsErr::InvalidMessage(m) => format!("not a TLS message: {}", words(&format!("{m:?}"))),
        other => words(&format!("{other:?}")),
    }
}

/// The leading Rust name of a debug rendering, in lowercase words: `NotValidForNameContext
/// { … }` → "not valid for name".
fn words(debug: &str) -> String {
    let name: String = debug
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let name = name.strip_suffix("Context").unwrap_or(&name);
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_errors_are_described_in_words() {
        let e = io::Error::new(
            io::ErrorKind::InvalidData,
            TlsErr::InvalidCertificate(CertificateError::UnknownIssuer),
        );
        assert_eq!(describe(&e), "invalid peer certificate: unknown issuer");
        let e = io::Error::new(
            io::ErrorKind::InvalidData,
            TlsErr::AlertReceived(AlertDescription::BadCertificate),
        );
        assert_eq!(describe(&e), "the peer sent the alert bad certificate");
        assert_eq!(
            words("NotValidForNameContext { expected: x }"),
            "not valid for name"
        );
    }

    #[test]
    fn names_round_trip_and_are_unique() {
        for (i, (class, name)) in FailureClass::ALL.iter().enumerate() {
            assert_eq!(class.as_str(), *name);
            assert!(FailureClass::ALL[..i].iter().all(|(_, n)| n != name));
        }
    }

    #[test]
    fn io_errors_carrying_rustls_errors_are_unwrapped() {
        let e = io::Error::new(
            io::ErrorKind::InvalidData,
            TlsErr::InvalidCertificate(CertificateError::UnknownIssuer),
        );
        assert_eq!(classify(&e), FailureClass::UnknownCa);
        let e = io::Error::new(io::ErrorKind::InvalidData, TlsErr::NoCertificatesPresented);
        assert_eq!(classify(&e), FailureClass::NoClientCert);
        assert_eq!(
            classify(&io::ErrorKind::UnexpectedEof.into()),
            FailureClass::PeerClosed
        );
        assert_eq!(
            classify(&io::ErrorKind::TimedOut.into()),
            FailureClass::Timeout
        );
    }

    #[test]
    fn received_alerts_map_like_the_sender_classified() {
        let table = [
            (
                CertificateError::Expired,
                AlertDescription::CertificateExpired,
            ),
            (CertificateError::UnknownIssuer, AlertDescription::UnknownCA),
            (
                CertificateError::NotValidForName,
                AlertDescription::BadCertificate,
            ),
            (
                CertificateError::InvalidPurpose,
                AlertDescription::UnsupportedCertificate,
            ),
        ];
        for (cert, wire) in table {
            assert_eq!(AlertDescription::from(cert.clone()), wire);
            assert_eq!(FailureClass::from(&cert), alert(wire), "{cert:?}");
        }
    }

    #[test]
    fn configuration_classes_recur_and_network_ones_do_not() {
        use FailureClass as F;
        for c in [
            F::Expired,
            F::UnknownCa,
            F::NameMismatch,
            F::NoClientCert,
            F::ProtocolVersion,
        ] {
            assert!(c.is_configuration(), "{c}");
        }
        for c in [F::Timeout, F::Reset, F::PeerClosed, F::Other] {
            assert!(!c.is_configuration(), "{c}");
        }
    }
}
