//! Key material of a topology's PKI, in memory: what generation produces, what the user's PEM
//! files load into, what the store writes and what TLS configurations are built from.
//!
//! Private keys live here as DER and PEM; nothing in this module logs or prints them.

use std::collections::BTreeMap;
use std::fmt;

use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use time::OffsetDateTime;

/// Every CA and certificate of a topology, ready to use.
#[derive(Clone)]
pub struct Material {
    /// The instant relative validity was computed from.
    pub clock: OffsetDateTime,
    /// Certificate authorities by name (roots and intermediates).
    pub cas: BTreeMap<String, CaMaterial>,
    /// End-entity certificates by name.
    pub certs: BTreeMap<String, LeafMaterial>,
}

impl fmt::Debug for Material {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Material")
            .field("clock", &self.clock)
            .field("cas", &self.cas.keys().collect::<Vec<_>>())
            .field("certs", &self.certs.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A certificate authority.
#[derive(Clone)]
pub struct CaMaterial {
    /// Name in `[pki.ca]`.
    pub name: String,
    /// The CA certificate.
    pub cert: CertificateDer<'static>,
    /// The CA certificate as PEM.
    pub cert_pem: String,
    /// The CA's private key (absent for a user's CA given without its key).
    pub key: Option<KeyMaterial>,
    /// Name of the root CA at the top of its chain (itself for a root).
    pub root: String,
    /// Certificates from this CA up to, but excluding, the root, nearest first
    /// (empty for a root). A leaf's chain is the leaf followed by these.
    pub intermediates: Vec<CertificateDer<'static>>,
}

/// An end-entity certificate and its key.
#[derive(Clone)]
pub struct LeafMaterial {
    /// Name in `[pki.cert]`.
    pub name: String,
    /// The leaf certificate.
    pub cert: CertificateDer<'static>,
    /// The leaf certificate as PEM.
    pub cert_pem: String,
    /// Its private key.
    pub key: KeyMaterial,
    /// What the endpoint sends in the handshake, leaf first (the intermediates left out
    /// when the profile says `send-chain = false`).
    pub chain: Vec<CertificateDer<'static>>,
    /// The full chain leaf first, intermediates included, whatever is sent.
    pub full_chain: Vec<CertificateDer<'static>>,
    /// The root CA that anchors the chain: a `[pki.ca]` name, or `None` when the certificate
    /// is self-signed or anchored by a CA outside the topology (the `other-ca` profile).
    pub anchor: Option<String>,
}

/// A private key. `Debug` never shows it.
pub struct KeyMaterial {
    /// DER (PKCS#8 for generated keys; as given for the user's).
    pub der: PrivateKeyDer<'static>,
    /// PEM text, as written to the 0600 key file.
    pub pem: String,
}

impl Clone for KeyMaterial {
    fn clone(&self) -> Self {
        Self {
            der: self.der.clone_key(),
            pem: self.pem.clone(),
        }
    }
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyMaterial(<redacted>)")
    }
}
