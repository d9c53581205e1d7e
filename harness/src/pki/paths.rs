//! The material of a whole topology: the `[pki]` section (generated, or the user's files named
//! there) plus the PEM files that security parameters name by path (`certificate =
//! "lab/ts-a.pem"`, `trusted-ca = "lab/ca-bundle.pem"`). Path entries are keyed by the path as
//! written, so resolved parameters look material up by their value whatever its kind.

use std::path::PathBuf;

use rustls_pki_types::CertificateDer;

use super::error::PkiError;
use super::material::{CaMaterial, LeafMaterial, Material};
use super::{Params, generate, pem};
use crate::topology::pki::PemFiles;
use crate::topology::{Security, Topology, is_path};

/// Generates (or loads) the `[pki]` material and adds every PEM file named by path in a
/// security parameter. Paths are relative to the topology file.
///
/// # Errors
/// Any [`PkiError`] of generation or of loading a user's file, naming the file.
pub fn for_topology(t: &Topology, clock: time::OffsetDateTime) -> Result<Material, PkiError> {
    let mut m = generate(&t.pki, clock)?;
    add_paths(t, &mut m)?;
    Ok(m)
}

/// Adds the path-named certificates and CAs of `t` to `m`.
///
/// # Errors
/// As [`for_topology`].
pub fn add_paths(t: &Topology, m: &mut Material) -> Result<(), PkiError> {
    let dir = t.source.dir().to_path_buf();
    let levels =
        t.hosts
            .iter()
            .map(|h| &h.security)
            .chain(t.apps.iter().flat_map(|a| {
                std::iter::once(&a.security).chain(a.ports.iter().map(|p| &p.security))
            }))
            .chain(t.connections.iter().map(|c| &c.security));
    for s in levels {
        add_level(s, &dir, m)?;
    }
    Ok(())
}

fn add_level(s: &Security, dir: &std::path::Path, m: &mut Material) -> Result<(), PkiError> {
    if let Some(cert) = s.certificate.as_ref().filter(|c| is_path(&c.value)) {
        if !m.certs.contains_key(&cert.value) {
            let files = PemFiles {
                cert: dir.join(&cert.value),
                key: s.certificate_key.as_ref().map(|k| dir.join(&k.value)),
            };
            let user = pem::load(&files)?;
            let key = user.key.ok_or_else(|| PkiError::NoKey {
                path: files.key.clone().unwrap_or_else(|| files.cert.clone()),
                hint:
                    "set certificate-key beside certificate, or put the key in the certificate file"
                        .into(),
            })?;
            let first = user.chain.first().ok_or_else(|| PkiError::NoCertificate {
                path: files.cert.clone(),
            })?;
            let leaf = LeafMaterial {
                name: cert.value.clone(),
                cert: first.clone(),
                cert_pem: pem::encode_cert(first),
                key,
                chain: user.chain.clone(),
                full_chain: user.chain,
                anchor: None,
            };
            m.certs.insert(cert.value.clone(), leaf);
        }
    }
    if let Some(ca) = s.trusted_ca.as_ref().filter(|c| is_path(&c.value)) {
        if !m.cas.contains_key(&ca.value) {
            let path: PathBuf = dir.join(&ca.value);
            for (i, der) in read_bundle(&path)?.into_iter().enumerate() {
                let name = bundle_key(&ca.value, i);
                m.cas.insert(
                    name.clone(),
                    CaMaterial {
                        cert_pem: pem::encode_cert(&der),
                        root: name.clone(),
                        name,
                        cert: der,
                        key: None,
                        intermediates: Vec::new(),
                    },
                );
            }
        }
    }
    Ok(())
}

/// Reads every certificate of a CA bundle file, in any order (unlike a chain).
fn read_bundle(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    use rustls_pki_types::pem::PemObject;
    let text = pem::read_pem_bytes(path)?;
    let certs = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            pem::not_text(path, &text).unwrap_or_else(|| PkiError::MalformedPem {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })
        })?;
    if certs.is_empty() {
        return Err(
            pem::not_text(path, &text).unwrap_or_else(|| PkiError::NoCertificate {
                path: path.to_path_buf(),
            }),
        );
    }
    Ok(certs)
}

/// The key of the `i`th certificate of a trusted-CA bundle file.
fn bundle_key(path: &str, i: usize) -> String {
    if i == 0 {
        path.to_string()
    } else {
        format!("{path}#{}", i.saturating_add(1))
    }
}

/// The leaf an endpoint presents, if its certificate resolves to one.
pub fn leaf<'m>(params: &Params, m: &'m Material) -> Option<&'m LeafMaterial> {
    m.certs.get(&params.certificate.as_ref()?.value)
}

/// The trust anchors an endpoint verifies its peer with (empty when it has no trusted CA).
pub fn anchors(params: &Params, m: &Material) -> Vec<CertificateDer<'static>> {
    params.trusted_ca.as_ref().map_or_else(Vec::new, |ca| {
        anchors_named(std::slice::from_ref(&ca.value), m)
    })
}

/// The trust anchors of a list of trusted CAs (PKI names, or bundle paths the topology
/// names), in order; names the material lacks anchor nothing.
pub fn anchors_named(names: &[String], m: &Material) -> Vec<CertificateDer<'static>> {
    names
        .iter()
        .flat_map(|name| {
            (0..)
                .map(move |i| m.cas.get(&bundle_key(name, i)))
                .take_while(Option::is_some)
                .flatten()
        })
        .map(|c| c.cert.clone())
        .collect()
}
