//! The user's own PEM files standing in for a CA or a certificate during generation: their
//! chains checked against the CA the topology names, and completed up to its root.

use rustls_pki_types::CertificateDer;

use super::{Ca, Generator, sent};
use crate::pki::error::PkiError;
use crate::pki::material::{CaMaterial, LeafMaterial};
use crate::pki::pem;
use crate::topology::pki::{CaSpec, CertSpec, PemFiles};
use rcgen::Issuer;

impl Generator<'_> {
    /// The user's CA. Without `issuer` it is an anchor of its own; with one, it must be
    /// issued by that CA.
    pub(super) fn user_ca(&self, spec: &CaSpec, files: &PemFiles) -> Result<Ca, PkiError> {
        let user = pem::load(files)?;
        let cert = first(&user.chain, files)?;
        refuse_non_ca(&cert, files)?;
        let (root, intermediates) = match &spec.issuer {
            None => (spec.name.clone(), Vec::new()),
            Some(parent) => {
                let parent = &self.parent(&spec.name, parent)?.material;
                if complete(std::slice::from_ref(&cert), parent).is_none() {
                    return Err(not_issued_by(files, &spec.name, &parent.name));
                }
                let mut chain = vec![cert.clone()];
                chain.extend(parent.intermediates.iter().cloned());
                (parent.root.clone(), chain)
            }
        };
        let issuer = match &user.key {
            Some(key) => {
                let pair = pem::key_pair(key, files.key.as_deref().unwrap_or(&files.cert))?;
                let issuer = Issuer::from_ca_cert_der(&cert, pair).map_err(|e| {
                    PkiError::BadCertificate {
                        path: files.cert.clone(),
                        index: 1,
                        reason: e.to_string(),
                    }
                })?;
                Some(issuer)
            }
            None => None,
        };
        Ok(Ca {
            material: CaMaterial {
                name: spec.name.clone(),
                cert_pem: pem::encode_cert(&cert),
                cert,
                key: user.key,
                root,
                intermediates,
            },
            issuer,
        })
    }

    /// The user's certificate: its file chain, completed with the intermediates of the CA
    /// it reaches (the named `issuer`, else any CA of the topology that issued it).
    pub(super) fn user_leaf(
        &self,
        spec: &CertSpec,
        files: &PemFiles,
    ) -> Result<LeafMaterial, PkiError> {
        let user = pem::load(files)?;
        let cert = first(&user.chain, files)?;
        let key = user.key.ok_or_else(|| PkiError::NoKey {
            path: files.cert.clone(),
            hint: format!(
                "certificate `{}` needs its private key: set `key`",
                spec.name
            ),
        })?;
        let (full_chain, anchor) = match &spec.issuer {
            Some(issuer) => {
                let ca = &self.parent(&spec.name, issuer)?.material;
                let chain = complete(&user.chain, ca)
                    .ok_or_else(|| not_issued_by(files, &spec.name, issuer))?;
                (chain, Some(ca.root.clone()))
            }
            None => self
                .cas
                .values()
                .find_map(|ca| {
                    complete(&user.chain, &ca.material).map(|c| (c, Some(ca.material.root.clone())))
                })
                .unwrap_or((user.chain, None)),
        };
        Ok(LeafMaterial {
            name: spec.name.clone(),
            cert_pem: pem::encode_cert(&cert),
            cert,
            key,
            chain: sent(&full_chain, spec.send_chain),
            full_chain,
            anchor,
        })
    }
}

/// A file chain extended with the certificates between its top and `ca`'s root, or `None`
/// when its top is neither one of `ca`'s certificates nor issued by `ca`.
fn complete(
    file: &[CertificateDer<'static>],
    ca: &CaMaterial,
) -> Option<Vec<CertificateDer<'static>>> {
    let top = file.last()?;
    let mut chain = file.to_vec();
    if ca.intermediates.contains(top) {
        chain.extend(
            ca.intermediates
                .iter()
                .skip_while(|c| *c != top)
                .skip(1)
                .cloned(),
        );
    } else if *top == ca.cert {
        // The file ends with the CA itself (a root): nothing to add.
    } else {
        let (top_x, ca_x) = (pem::parse(top).ok()?, pem::parse(&ca.cert).ok()?);
        if !pem::issued_by(&top_x, &ca_x) {
            return None;
        }
        chain.extend(ca.intermediates.iter().cloned());
    }
    Some(chain)
}

fn first(
    chain: &[CertificateDer<'static>],
    files: &PemFiles,
) -> Result<CertificateDer<'static>, PkiError> {
    chain
        .first()
        .cloned()
        .ok_or_else(|| PkiError::NoCertificate {
            path: files.cert.clone(),
        })
}

/// A `[pki.ca]` PEM file must hold a CA certificate (basicConstraints CA:TRUE): verifiers
/// refuse chains through anything else, so a leaf given as a CA would only fail later, at
/// every handshake, as `unknown-ca`.
fn refuse_non_ca(
    cert: &rustls_pki_types::CertificateDer<'_>,
    files: &PemFiles,
) -> Result<(), PkiError> {
    use x509_parser::prelude::FromDer;
    let ca = x509_parser::certificate::X509Certificate::from_der(cert.as_ref())
        .ok()
        .and_then(|(_, c)| c.basic_constraints().ok().flatten().map(|b| b.value.ca));
    if ca == Some(true) {
        return Ok(());
    }
    Err(PkiError::NotCa {
        path: files.cert.clone(),
    })
}

fn not_issued_by(files: &PemFiles, name: &str, issuer: &str) -> PkiError {
    PkiError::NotIssuedBy {
        path: files.cert.clone(),
        name: name.to_string(),
        issuer: issuer.to_string(),
    }
}
