//! Turning a topology's `[pki]` description into key material with rcgen: CAs (roots
//! self-signed, intermediates signed by their issuer), leaves with their fault profiles, and
//! the user's own PEM files where the topology names them.
//!
//! Generation is a pure function of the description and a reference instant: it never reads
//! the wall clock, and names come out in `BTreeMap` order. Keys are random (fresh at every
//! generation); the store makes repeated processes reuse them, and a process's runs of one
//! topology reuse the first run's (`execute/prepared.rs`).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

use super::error::PkiError;
use super::material::{CaMaterial, KeyMaterial, LeafMaterial, Material};
use super::{keygen, layout, pem, subject};
use crate::topology::pki::{CaSpec, CertSpec, KeyType, PkiSpec, Profile, TimeSpec};

/// The name a `wrong-host` certificate carries instead of its hosts: `.invalid` is reserved
/// (RFC 2606), so nobody dials it.
pub const WRONG_HOST: &str = "wrong-host.invalid";

/// Subject of the CA that signs `other-ca` certificates; it is in no trust store.
pub const OTHER_CA_SUBJECT: &str = "CN=hapair other CA";

/// Generates every CA and certificate of `spec`, relative validity counted from `clock`; the
/// user's PEM files are loaded instead where the description names them.
///
/// # Errors
/// A [`PkiError`] naming the CA, certificate or file at fault: a bad subject or host, a
/// dangling or cyclic issuer, a user's file that does not load (see [`pem::load`]).
pub fn generate(spec: &PkiSpec, clock: OffsetDateTime) -> Result<Material, PkiError> {
    assemble(spec, clock, None)
}

/// Reads back what [`generate`] made for `spec` and the store wrote under `dir`, checking each
/// key against its certificate; chains, roots and anchors follow from `spec` as when made.
///
/// # Errors
/// Any [`PkiError`]: a file missing or unreadable, a key that does not match.
pub(crate) fn reload(
    spec: &PkiSpec,
    clock: OffsetDateTime,
    dir: &Path,
) -> Result<Material, PkiError> {
    assemble(spec, clock, Some(dir))
}

fn assemble(
    spec: &PkiSpec,
    clock: OffsetDateTime,
    stored: Option<&Path>,
) -> Result<Material, PkiError> {
    unique(spec.cas.iter().map(|c| c.name.as_str()))?;
    unique(spec.certs.iter().map(|c| c.name.as_str()))?;
    let clock_s = whole_seconds(clock);
    let needs_other = spec
        .certs
        .iter()
        .any(|c| c.pem.is_none() && c.profile == Some(Profile::OtherCa));
    let mut g = Generator {
        spec,
        clock: clock_s,
        stored,
        cas: BTreeMap::new(),
        other: match (needs_other, stored) {
            (true, None) => Some(other_ca(clock_s)?),
            _ => None,
        },
    };
    for ca in &spec.cas {
        g.ca(ca, 0)?;
    }
    let mut certs = BTreeMap::new();
    for cert in &spec.certs {
        certs.insert(cert.name.clone(), g.leaf(cert)?);
    }
    Ok(Material {
        clock,
        cas: g.cas.into_iter().map(|(n, ca)| (n, ca.material)).collect(),
        certs,
    })
}

/// A CA while generation runs: its material and, when its key is known, an rcgen issuer.
struct Ca {
    material: CaMaterial,
    issuer: Option<Issuer<'static, KeyPair>>,
}

struct Generator<'a> {
    spec: &'a PkiSpec,
    /// The reference instant, whole seconds (X.509 times have no fractions).
    clock: OffsetDateTime,
    /// Where to read generated certificates and keys back from, instead of making them.
    stored: Option<&'a Path>,
    cas: BTreeMap<String, Ca>,
    /// The CA behind `other-ca` certificates, when one is to be made.
    other: Option<Issuer<'static, KeyPair>>,
}

/// Who signs a certificate being made.
enum By<'a> {
    /// Its own key.
    Itself,
    /// A CA.
    Ca(Option<&'a Issuer<'static, KeyPair>>),
}

/// A certificate just made or read back, with its key.
struct Certified {
    der: CertificateDer<'static>,
    pem: String,
    key: KeyPair,
}

impl Generator<'_> {
    /// Makes `spec` and, first, its ancestors.
    fn ca(&mut self, spec: &CaSpec, depth: usize) -> Result<(), PkiError> {
        if self.cas.contains_key(&spec.name) {
            return Ok(());
        }
        if depth > self.spec.cas.len() {
            return Err(PkiError::IssuerCycle {
                name: spec.name.clone(),
            });
        }
        if let Some(parent) = &spec.issuer {
            let parent_spec = self
                .spec
                .ca(parent)
                .ok_or_else(|| PkiError::UnknownIssuer {
                    name: spec.name.clone(),
                    issuer: parent.clone(),
                })?;
            self.ca(parent_spec, depth.saturating_add(1))?;
        }
        let ca = match &spec.pem {
            Some(files) => self.user_ca(spec, files)?,
            None => self.new_ca(spec)?,
        };
        self.cas.insert(spec.name.clone(), ca);
        Ok(())
    }

    fn parent(&self, name: &str, issuer: &str) -> Result<&Ca, PkiError> {
        self.cas.get(issuer).ok_or_else(|| PkiError::UnknownIssuer {
            name: name.to_string(),
            issuer: issuer.to_string(),
        })
    }

    fn new_ca(&self, spec: &CaSpec) -> Result<Ca, PkiError> {
        let mut params = CertificateParams::default();
        params.distinguished_name = subject::parse(&spec.name, &spec.subject)?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        (params.not_before, params.not_after) =
            validity(&spec.name, spec.not_before, spec.not_after, self.clock)?;
        let files = self.stored.map(|dir| layout::ca_files(dir, &spec.name));
        let (made, root, intermediates) = match &spec.issuer {
            None => {
                let made = self.certify(files, spec.key_type, &spec.name, &params, By::Itself)?;
                (made, spec.name.clone(), Vec::new())
            }
            Some(parent) => {
                let parent = self.parent(&spec.name, parent)?;
                params.use_authority_key_identifier_extension = true;
                let by = By::Ca(Some(signer(parent, &spec.name)?));
                let made = self.certify(files, spec.key_type, &spec.name, &params, by)?;
                let mut chain = vec![made.der.clone()];
                chain.extend(parent.material.intermediates.iter().cloned());
                (made, parent.material.root.clone(), chain)
            }
        };
        let issuer = match self.stored {
            None => Issuer::new(params, made.key),
            Some(_) => Issuer::from_ca_cert_der(&made.der, made.key)
                .map_err(|e| sign_error(&spec.name, &e))?,
        };
        Ok(Ca {
            material: CaMaterial {
                name: spec.name.clone(),
                cert: made.der,
                cert_pem: made.pem,
                key: Some(issuer_key(&issuer)),
                root,
                intermediates,
            },
            issuer: Some(issuer),
        })
    }

    fn leaf(&self, spec: &CertSpec) -> Result<LeafMaterial, PkiError> {
        if let Some(files) = &spec.pem {
            return self.user_leaf(spec, files);
        }
        let mut params = leaf_params(spec, self.clock)?;
        let (by, intermediates, anchor) = match (spec.profile, &spec.issuer) {
            (Some(Profile::SelfSigned), _) => (By::Itself, Vec::new(), None),
            (Some(Profile::OtherCa), _) => (By::Ca(self.other.as_ref()), Vec::new(), None),
            (_, None) => {
                return Err(PkiError::NoIssuer {
                    name: spec.name.clone(),
                });
            }
            (_, Some(issuer)) => {
                let ca = self.parent(&spec.name, issuer)?;
                let anchor = Some(ca.material.root.clone());
                let by = By::Ca(Some(signer(ca, &spec.name)?));
                (by, ca.material.intermediates.clone(), anchor)
            }
        };
        if matches!(by, By::Ca(_)) {
            params.use_authority_key_identifier_extension = true;
        }
        let files = self.stored.map(|dir| layout::leaf_files(dir, &spec.name));
        let made = self.certify(files, spec.key_type, &spec.name, &params, by)?;
        let mut full_chain = vec![made.der.clone()];
        full_chain.extend(intermediates);
        Ok(LeafMaterial {
            name: spec.name.clone(),
            cert: made.der,
            cert_pem: made.pem,
            key: key_material(&made.key),
            chain: sent(&full_chain, spec.send_chain),
            full_chain,
            anchor,
        })
    }

    /// Makes a certificate from `params` with a fresh key, or, with `files` (certificate, key)
    /// of the store, reads it back and checks the key is its own.
    fn certify(
        &self,
        files: Option<(PathBuf, PathBuf)>,
        key_type: KeyType,
        name: &str,
        params: &CertificateParams,
        by: By<'_>,
    ) -> Result<Certified, PkiError> {
        if let Some((cert_path, key_path)) = files {
            let chain = pem::read_chain(&cert_path)?;
            let der = chain.into_iter().next().ok_or(PkiError::NoCertificate {
                path: cert_path.clone(),
            })?;
            let key = pem::key_pair(&pem::read_key(&key_path)?, &key_path)?;
            pem::check_pair(&der, &cert_path, &key, &key_path)?;
            return Ok(Certified {
                pem: pem::encode_cert(&der),
                der,
                key,
            });
        }
        let key = keygen::key_pair(key_type, name)?;
        let cert = match by {
            By::Itself => params.self_signed(&key),
            By::Ca(Some(issuer)) => params.signed_by(&key, issuer),
            By::Ca(None) => {
                return Err(PkiError::Sign {
                    name: name.to_string(),
                    reason: "the other CA was not made".to_string(),
                });
            }
        }
        .map_err(|e| sign_error(name, &e))?;
        Ok(Certified {
            der: cert.der().clone(),
            pem: cert.pem(),
            key,
        })
    }
}

/// The CA behind `other-ca` certificates: valid around the clock, in no trust store.
fn other_ca(clock: OffsetDateTime) -> Result<Issuer<'static, KeyPair>, PkiError> {
    let name = "hapair other CA";
    let key = keygen::key_pair(KeyType::EcdsaP256, name)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = subject::parse(name, OTHER_CA_SUBJECT)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ten_years = TimeSpec::Offset(10 * 365 * 86_400);
    (params.not_before, params.not_after) =
        validity(name, TimeSpec::Offset(-86_400), ten_years, clock)?;
    Ok(Issuer::new(params, key))
}

/// The rcgen parameters of a generated leaf: subject, SANs, usages and validity, with the
/// profile applied.
fn leaf_params(spec: &CertSpec, clock: OffsetDateTime) -> Result<CertificateParams, PkiError> {
    let mut p = CertificateParams::default();
    let wrong_host = spec.profile == Some(Profile::WrongHost);
    p.distinguished_name = match (&spec.subject, spec.hosts.first()) {
        (Some(s), _) => subject::parse(&spec.name, s)?,
        (None, Some(host)) => cn(host),
        (None, None) if wrong_host => DistinguishedName::new(),
        (None, None) => {
            return Err(PkiError::NoName {
                name: spec.name.clone(),
            });
        }
    };
    if wrong_host {
        p.distinguished_name.push(DnType::CommonName, WRONG_HOST);
        p.subject_alt_names = vec![san(&spec.name, WRONG_HOST)?];
    } else {
        p.subject_alt_names = spec
            .hosts
            .iter()
            .map(|h| san(&spec.name, h))
            .collect::<Result<_, _>>()?;
    }
    p.key_usages = match spec.key_type {
        KeyType::EcdsaP256 => vec![KeyUsagePurpose::DigitalSignature],
        KeyType::Rsa2048 => vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ],
    };
    if spec.server_auth {
        p.extended_key_usages
            .push(ExtendedKeyUsagePurpose::ServerAuth);
    }
    if spec.client_auth {
        p.extended_key_usages
            .push(ExtendedKeyUsagePurpose::ClientAuth);
    }
    if p.extended_key_usages.is_empty() {
        // No EKU extension at all would allow every use: name one TLS never accepts.
        p.extended_key_usages
            .push(ExtendedKeyUsagePurpose::EmailProtection);
    }
    (p.not_before, p.not_after) = validity(&spec.name, spec.not_before, spec.not_after, clock)?;
    Ok(p)
}

fn cn(host: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, host);
    dn
}

/// A host as a SAN: IP literals become IP addresses, anything else a DNS name.
fn san(name: &str, host: &str) -> Result<SanType, PkiError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let bad = |reason: &str| PkiError::Host {
        name: name.to_string(),
        host: host.to_string(),
        reason: reason.to_string(),
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(bad("empty or contains white space"));
    }
    host.try_into()
        .map(SanType::DnsName)
        .map_err(|_| bad("DNS names must be ASCII (use the punycode form)"))
}

/// Resolves a validity window against the clock and checks it can be encoded.
fn validity(
    name: &str,
    not_before: TimeSpec,
    not_after: TimeSpec,
    clock: OffsetDateTime,
) -> Result<(OffsetDateTime, OffsetDateTime), PkiError> {
    let bad = |reason: String| PkiError::Validity {
        name: name.to_string(),
        reason,
    };
    let resolve = |t: TimeSpec| match t {
        TimeSpec::At(at) => Some(whole_seconds(at)),
        TimeSpec::Offset(secs) => clock.checked_add(Duration::seconds(secs)),
    };
    let (Some(from), Some(to)) = (resolve(not_before), resolve(not_after)) else {
        return Err(bad("an offset reaches past the years 0–9999".to_string()));
    };
    // A relative start before the Unix epoch (the default day of slack at a 1970 clock)
    // starts at the epoch: verifiers read certificate times as Unix time, and one before it
    // fails the chain rather than reading as "already valid".
    let from = match not_before {
        TimeSpec::Offset(_)
            if from < OffsetDateTime::UNIX_EPOCH && to >= OffsetDateTime::UNIX_EPOCH =>
        {
            OffsetDateTime::UNIX_EPOCH
        }
        _ => from,
    };
    for t in [from, to] {
        if !(0..=9999).contains(&t.year()) {
            return Err(bad(format!("{t} is outside the years 0–9999")));
        }
    }
    if to < from {
        return Err(bad(format!(
            "not-after ({to}) is before not-before ({from})"
        )));
    }
    Ok((from, to))
}

/// The UTC instant without its fraction of a second.
fn whole_seconds(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_nanosecond(0).unwrap_or(t)
}

fn signer<'c>(ca: &'c Ca, name: &str) -> Result<&'c Issuer<'static, KeyPair>, PkiError> {
    ca.issuer
        .as_ref()
        .ok_or_else(|| PkiError::IssuerWithoutKey {
            name: name.to_string(),
            issuer: ca.material.name.clone(),
        })
}

/// What is sent in the handshake: the full chain, or the leaf alone.
fn sent(full_chain: &[CertificateDer<'static>], send_chain: bool) -> Vec<CertificateDer<'static>> {
    if send_chain {
        full_chain.to_vec()
    } else {
        full_chain.iter().take(1).cloned().collect()
    }
}

fn issuer_key(issuer: &Issuer<'static, KeyPair>) -> KeyMaterial {
    key_material(issuer.key())
}

/// A generated key as material: PKCS#8 DER and PEM.
pub(crate) fn key_material(key: &KeyPair) -> KeyMaterial {
    KeyMaterial {
        der: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        pem: key.serialize_pem(),
    }
}

fn sign_error(name: &str, e: &rcgen::Error) -> PkiError {
    PkiError::Sign {
        name: name.to_string(),
        reason: e.to_string(),
    }
}

fn unique<'a>(names: impl Iterator<Item = &'a str>) -> Result<(), PkiError> {
    let mut seen = std::collections::BTreeSet::new();
    for n in names {
        if !seen.insert(n) {
            return Err(PkiError::DuplicateName {
                name: n.to_string(),
            });
        }
    }
    Ok(())
}

mod reissue;
mod user;

pub use reissue::{Reissue, reissue};

#[cfg(test)]
mod tests;
