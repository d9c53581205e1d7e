//! The protocol versions a probe asks about, with the names testssl.sh and openssl print.

use serde::Serialize;

/// A protocol version a probe asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Version {
    /// TLS 1.3.
    #[serde(rename = "TLSv1.3")]
    Tls13,
    /// TLS 1.2.
    #[serde(rename = "TLSv1.2")]
    Tls12,
    /// TLS 1.1 (asked with a raw ClientHello: rustls cannot speak it).
    #[serde(rename = "TLSv1.1")]
    Tls11,
    /// TLS 1.0 (asked with a raw ClientHello).
    #[serde(rename = "TLSv1")]
    Tls10,
}

impl Version {
    /// The name testssl.sh and openssl print (`TLSv1.3`, `TLSv1`).
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Tls13 => "TLSv1.3",
            Version::Tls12 => "TLSv1.2",
            Version::Tls11 => "TLSv1.1",
            Version::Tls10 => "TLSv1",
        }
    }

    /// The finding id stem: `tls13`, `tls12`, `tls11`, `tls10`.
    pub fn stem(self) -> &'static str {
        match self {
            Version::Tls13 => "tls13",
            Version::Tls12 => "tls12",
            Version::Tls11 => "tls11",
            Version::Tls10 => "tls10",
        }
    }

    /// The version rustls negotiated, when it is one of these.
    pub fn of(v: rustls::ProtocolVersion) -> Option<Self> {
        match v {
            rustls::ProtocolVersion::TLSv1_3 => Some(Version::Tls13),
            rustls::ProtocolVersion::TLSv1_2 => Some(Version::Tls12),
            rustls::ProtocolVersion::TLSv1_1 => Some(Version::Tls11),
            rustls::ProtocolVersion::TLSv1_0 => Some(Version::Tls10),
            _ => None,
        }
    }
}
