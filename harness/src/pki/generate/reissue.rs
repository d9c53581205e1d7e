//! Re-issuing one certificate of a PKI that already exists, as a CA does when a certificate is
//! renewed or replaced: a fresh key, the same names, signed by the *existing* key of its CA (or
//! of another CA of the topology), so that every peer that trusts that CA accepts it. Nothing
//! else of the material changes; CA keys are never made again.

use std::path::PathBuf;

use rcgen::{Issuer, KeyPair};

use super::{By, Certified, leaf_params, other_ca, sent, whole_seconds};
use crate::pki::error::PkiError;
use crate::pki::material::{CaMaterial, LeafMaterial, Material};
use crate::pki::{keygen, pem};
use crate::topology::pki::{CertSpec, PkiSpec, Profile, TimeSpec};

const DAY: i64 = 86_400;

/// What a re-issue changes: the certificate named, its issuer, and a fault profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reissue {
    /// The `[pki.cert]` name of the certificate to replace.
    pub cert: String,
    /// The `[pki.ca]` name of the CA that signs the new certificate; `None` keeps the
    /// certificate's own issuer.
    pub issuer: Option<String>,
    /// A fault profile for the new certificate; `None` is a clean renewal (a fault profile the
    /// old certificate had is dropped).
    pub profile: Option<Profile>,
}

/// Re-issues `what.cert` of `spec` with a fresh key, signed by the key `material` already holds
/// for its CA (or for `what.issuer`). The new certificate carries the same names, key type and
/// usages; it is valid from a day before `now` to a year after it (what a CA issues by
/// default), unless the profile says otherwise (`expired`: ended a day before `now`;
/// `not-yet-valid`: starts a day after it).
///
/// # Errors
/// [`PkiError::UnknownIssuer`] when the certificate or the CA is not in `spec`/`material`,
/// [`PkiError::NoIssuer`] when nothing names an issuer, [`PkiError::IssuerWithoutKey`] for a
/// user's CA given without its key, and what signing returns.
pub fn reissue(
    spec: &PkiSpec,
    material: &Material,
    what: &Reissue,
    now: time::OffsetDateTime,
) -> Result<LeafMaterial, PkiError> {
    let base = spec
        .cert(&what.cert)
        .ok_or_else(|| PkiError::UnknownCertificate {
            name: what.cert.clone(),
        })?;
    let renewed = renewed_spec(base, what);
    let now = whole_seconds(now);
    let mut params = leaf_params(&renewed, now)?;
    let key = keygen::key_pair(renewed.key_type, &renewed.name)?;
    let (made, intermediates, anchor) = match renewed.profile {
        Some(Profile::SelfSigned) => (certify(&renewed, &params, key, By::Itself)?, vec![], None),
        Some(Profile::OtherCa) => {
            params.use_authority_key_identifier_extension = true;
            let other = other_ca(now)?;
            let by = By::Ca(Some(&other));
            (certify(&renewed, &params, key, by)?, vec![], None)
        }
        _ => {
            let issuer = renewed
                .issuer
                .as_deref()
                .ok_or_else(|| PkiError::NoIssuer {
                    name: renewed.name.clone(),
                })?;
            let ca = material
                .cas
                .get(issuer)
                .ok_or_else(|| PkiError::UnknownIssuer {
                    name: renewed.name.clone(),
                    issuer: issuer.to_string(),
                })?;
            params.use_authority_key_identifier_extension = true;
            let signer = signer_of(spec, ca, &renewed.name)?;
            let made = certify(&renewed, &params, key, By::Ca(Some(&signer)))?;
            (made, ca.intermediates.clone(), Some(ca.root.clone()))
        }
    };
    let mut full_chain = vec![made.der.clone()];
    full_chain.extend(intermediates);
    Ok(LeafMaterial {
        name: renewed.name.clone(),
        cert: made.der,
        cert_pem: made.pem,
        key: super::key_material(&made.key),
        chain: sent(&full_chain, renewed.send_chain),
        full_chain,
        anchor,
    })
}

/// The description of the new certificate: the old one's names, key type and usages, the
/// issuer and profile of the re-issue, and a fresh validity counted from the re-issue.
fn renewed_spec(base: &CertSpec, what: &Reissue) -> CertSpec {
    let mut c = base.clone();
    // A renewal drops the old certificate's fault; usages a profile had taken away return.
    match c.profile {
        Some(Profile::NoServerAuth) => c.server_auth = true,
        Some(Profile::NoClientAuth) => c.client_auth = true,
        _ => {}
    }
    c.profile = what.profile;
    c.pem = None;
    if let Some(issuer) = &what.issuer {
        c.issuer = Some(issuer.clone());
    }
    (c.not_before, c.not_after) = (TimeSpec::Offset(-DAY), TimeSpec::Offset(365 * DAY));
    match what.profile {
        Some(Profile::Expired) => {
            (c.not_before, c.not_after) = (TimeSpec::Offset(-366 * DAY), TimeSpec::Offset(-DAY));
        }
        Some(Profile::NotYetValid) => c.not_before = TimeSpec::Offset(DAY),
        Some(Profile::NoServerAuth) => c.server_auth = false,
        Some(Profile::NoClientAuth) => c.client_auth = false,
        _ => {}
    }
    c
}

/// An rcgen issuer from a CA's certificate and the key the material keeps for it.
fn signer_of(
    spec: &PkiSpec,
    ca: &CaMaterial,
    name: &str,
) -> Result<Issuer<'static, KeyPair>, PkiError> {
    let without_key = || PkiError::IssuerWithoutKey {
        name: name.to_string(),
        issuer: ca.name.clone(),
    };
    let key = ca.key.as_ref().ok_or_else(without_key)?;
    // Named in errors: the user's key file, or where the store writes a generated CA's key.
    let path = spec
        .ca(&ca.name)
        .and_then(|c| c.pem.as_ref())
        .and_then(|f| f.key.clone().or_else(|| Some(f.cert.clone())))
        .unwrap_or_else(|| PathBuf::from(format!("ca/{}.key", ca.name)));
    let pair = pem::key_pair(key, &path)?;
    Issuer::from_ca_cert_der(&ca.cert, pair).map_err(|e| PkiError::Sign {
        name: name.to_string(),
        reason: format!("CA `{}`: {e}", ca.name),
    })
}

fn certify(
    spec: &CertSpec,
    params: &rcgen::CertificateParams,
    key: KeyPair,
    by: By<'_>,
) -> Result<Certified, PkiError> {
    let cert = match by {
        By::Itself => params.self_signed(&key),
        By::Ca(Some(issuer)) => params.signed_by(&key, issuer),
        By::Ca(None) => {
            return Err(PkiError::Sign {
                name: spec.name.clone(),
                reason: "no signer".to_string(),
            });
        }
    }
    .map_err(|e| super::sign_error(&spec.name, &e))?;
    Ok(Certified {
        der: cert.der().clone(),
        pem: cert.pem(),
        key,
    })
}

#[cfg(test)]
mod tests;
