//! What a certificate says, read back from its DER with x509-parser: subject, names, validity,
//! usages, issuer, key type; and TLS host-name matching against those names.
//!
//! This module only reads; it judges nothing (rules and TLS do that with what it returns).

use std::collections::BTreeMap;
use std::net::IpAddr;

use rustls_pki_types::CertificateDer;
use serde::Serialize;
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_SIG_ED25519,
};
use x509_parser::public_key::PublicKey;

use super::error::PkiError;
use super::material::Material;
use super::pem;

/// What one certificate says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    /// Subject distinguished name, e.g. `CN=ts-a.lab.example`.
    pub subject: String,
    /// Subject alternative names: DNS names and IP addresses as text, in certificate order.
    pub sans: Vec<String>,
    /// Start of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// Usable by a TLS server (serverAuth, anyExtendedKeyUsage, or no EKU extension).
    pub server_auth: bool,
    /// Usable by a TLS client (clientAuth, anyExtendedKeyUsage, or no EKU extension).
    pub client_auth: bool,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Issuer and subject are one name, and the certificate's own key verifies it.
    pub self_signed: bool,
    /// Key algorithm and size, e.g. `ECDSA P-256`, `RSA 2048`.
    pub key_type: String,
    /// Serial number, hex bytes joined by `:`.
    pub serial: String,
    /// SHA-256 fingerprint of the DER, hex bytes joined by `:` (what `openssl x509
    /// -fingerprint -sha256` prints, in lower case).
    pub sha256: String,
    /// The SANs with their kind, for name matching.
    #[serde(skip)]
    names: Vec<San>,
    /// Common names of the subject, used for matching only when there are no SANs.
    #[serde(skip)]
    common_names: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum San {
    Dns(String),
    Ip(IpAddr),
}

/// Every certificate of a [`Material`], read back. CAs and leaves have separate name spaces
/// in a topology (`[pki.ca.X]`, `[pki.cert.X]`), so they have separate maps here.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Inspected {
    /// Certificate authorities by name.
    pub cas: BTreeMap<String, CertInfo>,
    /// End-entity certificates by name.
    pub certs: BTreeMap<String, CertInfo>,
}

/// Reads back every CA and leaf certificate of `material`.
///
/// # Errors
/// [`PkiError::BadCertificate`] for a certificate x509-parser cannot read (material made by
/// [`super::generate()`] or loaded by [`super::pem`] always parses).
pub fn inspect(material: &Material) -> Result<Inspected, PkiError> {
    let read = |name: &str, der: &CertificateDer<'_>| {
        CertInfo::from_der(der).map_err(|reason| PkiError::BadCertificate {
            path: name.into(),
            index: 1,
            reason,
        })
    };
    let mut out = Inspected::default();
    for (name, ca) in &material.cas {
        out.cas.insert(name.clone(), read(name, &ca.cert)?);
    }
    for (name, leaf) in &material.certs {
        out.certs.insert(name.clone(), read(name, &leaf.cert)?);
    }
    Ok(out)
}

/// The SHA-256 of a certificate's DER, hex bytes joined by `:`.
fn fingerprint(der: &CertificateDer<'_>) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, der.as_ref());
    let hex: Vec<String> = d.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    hex.join(":")
}

impl CertInfo {
    /// Only the subject of [`CertInfo::from_der`] (what a handshake event records), without
    /// the fingerprint, serial, issuer and self-signature check: a simulated run records one
    /// for every handshake.
    ///
    /// # Errors
    /// Exactly when [`CertInfo::from_der`] fails (both read the same parts, `Parts::read`).
    pub fn subject_of(der: &CertificateDer<'_>) -> Result<String, String> {
        let x509 = pem::parse(der)?;
        Parts::read(&x509)?;
        Ok(x509.subject().to_string())
    }

    /// Reads a DER certificate.
    ///
    /// # Errors
    /// What x509-parser said, as text, when the certificate or one of the extensions read
    /// here does not parse.
    pub fn from_der(der: &CertificateDer<'_>) -> Result<Self, String> {
        let x509 = pem::parse(der)?;
        let Parts {
            names,
            server_auth,
            client_auth,
            not_before,
            not_after,
        } = Parts::read(&x509)?;
        Ok(Self {
            subject: x509.subject().to_string(),
            sans: names.iter().map(San::text).collect(),
            not_before,
            not_after,
            server_auth,
            client_auth,
            issuer: x509.issuer().to_string(),
            self_signed: pem::issued_by(&x509, &x509),
            key_type: key_type(&x509),
            serial: x509.raw_serial_as_string(),
            sha256: fingerprint(der),
            names,
            common_names: x509
                .subject()
                .iter_common_name()
                .filter_map(|cn| cn.as_str().ok().map(str::to_string))
                .collect(),
        })
    }

    /// Whether the certificate names `host` as a TLS client checks it: a DNS SAN equal to it
    /// (ignoring case and a trailing dot) or matching it with a single left-most `*` label;
    /// an IP SAN equal to it when it is an IP literal; the subject CN only when the
    /// certificate has no SANs at all.
    pub fn names_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if host.is_empty() {
            return false;
        }
        let ip = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .ok();
        if self.names.is_empty() {
            return self.common_names.iter().any(|cn| match ip {
                Some(ip) => cn.parse::<IpAddr>().is_ok_and(|c| c == ip),
                None => dns_matches(cn, &host),
            });
        }
        self.names.iter().any(|san| match (san, ip) {
            (San::Ip(s), Some(ip)) => *s == ip,
            (San::Dns(pattern), None) => dns_matches(pattern, &host),
            _ => false,
        })
    }
}

impl San {
    fn text(&self) -> String {
        match self {
            San::Dns(d) => d.clone(),
            San::Ip(ip) => ip.to_string(),
        }
    }
}

/// The parts of a certificate whose reading can fail (besides the certificate itself).
struct Parts {
    names: Vec<San>,
    server_auth: bool,
    client_auth: bool,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl Parts {
    fn read(x509: &X509Certificate<'_>) -> Result<Self, String> {
        let names = sans(x509)?;
        let eku = x509.extended_key_usage().map_err(|e| e.to_string())?;
        let (server_auth, client_auth) = match eku {
            None => (true, true),
            Some(ext) => (
                ext.value.any || ext.value.server_auth,
                ext.value.any || ext.value.client_auth,
            ),
        };
        let time = |t: x509_parser::time::ASN1Time| {
            OffsetDateTime::from_unix_timestamp(t.timestamp()).map_err(|e| e.to_string())
        };
        Ok(Self {
            names,
            server_auth,
            client_auth,
            not_before: time(x509.validity().not_before)?,
            not_after: time(x509.validity().not_after)?,
        })
    }
}

fn sans(x509: &X509Certificate<'_>) -> Result<Vec<San>, String> {
    let Some(ext) = x509.subject_alternative_name().map_err(|e| e.to_string())? else {
        return Ok(Vec::new());
    };
    Ok(ext
        .value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(d) => Some(San::Dns(d.to_string())),
            GeneralName::IPAddress(bytes) => ip(bytes).map(San::Ip),
            _ => None,
        })
        .collect())
}

fn ip(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// RFC 6125 matching of a lower-cased `host` against a DNS pattern: exact, or `*.rest` where
/// `*` stands for exactly one label and `rest` has at least two labels.
fn dns_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        None => !pattern.contains('*') && pattern == host,
        Some(rest) => {
            let Some((label, host_rest)) = host.split_once('.') else {
                return false;
            };
            !label.is_empty() && !rest.contains('*') && rest.contains('.') && host_rest == rest
        }
    }
}

fn key_type(x509: &X509Certificate<'_>) -> String {
    let spki = x509.public_key();
    if spki.algorithm.algorithm == OID_SIG_ED25519 {
        return "Ed25519".to_string();
    }
    if spki.algorithm.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok());
        return match curve {
            Some(c) if c == OID_EC_P256 => "ECDSA P-256".to_string(),
            Some(c) if c == OID_NIST_EC_P384 => "ECDSA P-384".to_string(),
            Some(c) => format!("ECDSA {c}"),
            None => "ECDSA".to_string(),
        };
    }
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => format!("RSA {}", rsa.key_size()),
        _ => spki.algorithm.algorithm.to_id_string(),
    }
}

#[cfg(test)]
mod tests;
