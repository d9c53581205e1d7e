//! The user's own PEM files: certificates (RSA and ECDSA), chains leaf first, and private keys
//! in PKCS#1, PKCS#8 or SEC1 form.
//!
//! Loading checks what a TLS stack would trip over later, and names the file when it fails:
//! unreadable, not PEM, no certificate, no key, a key that is not the certificate's, a chain
//! out of order. It also encodes DER back to PEM for the store. Key bytes never reach an error.

use std::path::Path;

use rcgen::{KeyPair, PublicKeyData};
use rustls_pki_types::pem::{self, PemObject, SectionKind};
use rustls_pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
};
use x509_parser::certificate::X509Certificate;
use x509_parser::error::X509Error;

use super::error::PkiError;
use super::material::KeyMaterial;
use crate::topology::pki::PemFiles;

/// A user's certificate file and key, loaded and checked against each other.
pub struct UserFiles {
    /// The certificates of the file, leaf (or CA) first, each issued by the next.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key: from the key file, else from the certificate file itself.
    pub key: Option<KeyMaterial>,
}

/// Loads a [`PemFiles`]: the certificate (chain) file and, when given, the key file; a key
/// that sits in the certificate file is taken too.
///
/// # Errors
/// Any [`PkiError`] of [`read_chain`] and [`read_key`], and [`PkiError::KeyMismatch`] when the
/// key is not the first certificate's.
pub fn load(files: &PemFiles) -> Result<UserFiles, PkiError> {
    let chain = read_chain(&files.cert)?;
    let (key, key_path) = match &files.key {
        Some(path) => (Some(read_key(path)?), path.as_path()),
        None => match read_key(&files.cert) {
            Ok(key) => (Some(key), files.cert.as_path()),
            Err(PkiError::NoKey { .. }) => (None, files.cert.as_path()),
            Err(e) => return Err(e),
        },
    };
    if let (Some(key), Some(leaf)) = (&key, chain.first()) {
        let pair = key_pair(key, key_path)?;
        check_pair(leaf, &files.cert, &pair, key_path)?;
    }
    Ok(UserFiles { chain, key })
}

/// Reads every certificate of a file, leaf first, and checks that each is issued by the next.
///
/// # Errors
/// [`PkiError::Unreadable`], [`PkiError::MalformedPem`], [`PkiError::NoCertificate`],
/// [`PkiError::BadCertificate`] or [`PkiError::ChainOrder`], each naming the file.
pub fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let (bytes, sections) = sections(path)?;
    let chain: Vec<CertificateDer<'static>> = sections
        .into_iter()
        .filter(|(kind, _)| *kind == SectionKind::Certificate)
        .map(|(_, der)| CertificateDer::from(der))
        .collect();
    if chain.is_empty() {
        return Err(
            not_text(path, &bytes).unwrap_or_else(|| PkiError::NoCertificate {
                path: path.to_path_buf(),
            }),
        );
    }
    let parsed = (1..)
        .zip(&chain)
        .map(|(index, der)| {
            parse(der).map_err(|reason| PkiError::BadCertificate {
                path: path.to_path_buf(),
                index,
                reason,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (position, (cert, issuer)) in (1..).zip(parsed.iter().zip(parsed.iter().skip(1))) {
        if !issued_by(cert, issuer) {
            return Err(PkiError::ChainOrder {
                path: path.to_path_buf(),
                position,
                subject: cert.subject().to_string(),
                next: issuer.subject().to_string(),
            });
        }
    }
    Ok(chain)
}

/// Reads the first private key of a file (PKCS#1, PKCS#8 or SEC1) and checks that it can sign.
///
/// # Errors
/// [`PkiError::Unreadable`], [`PkiError::MalformedPem`], [`PkiError::NoKey`] or
/// [`PkiError::BadKey`], each naming the file.
pub fn read_key(path: &Path) -> Result<KeyMaterial, PkiError> {
    let (bytes, sections) = match sections(path) {
        Err(PkiError::MalformedPem { .. }) if is_encrypted(path) => {
            return Err(encrypted(path));
        }
        other => other?,
    };
    let der = sections.into_iter().find_map(|(kind, der)| match kind {
        SectionKind::PrivateKey => Some(PrivateKeyDer::from(PrivatePkcs8KeyDer::from(der))),
        SectionKind::RsaPrivateKey => Some(PrivateKeyDer::from(PrivatePkcs1KeyDer::from(der))),
        SectionKind::EcPrivateKey => Some(PrivateKeyDer::from(PrivateSec1KeyDer::from(der))),
        _ => None,
    });
    let Some(der) = der else {
        if contains(&bytes, b"ENCRYPTED") {
            return Err(encrypted(path));
        }
        if let Some(e) = not_text(path, &bytes) {
            return Err(e);
        }
        return Err(PkiError::NoKey {
            path: path.to_path_buf(),
            hint: "expected a PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block".to_string(),
        });
    };
    let key = KeyMaterial {
        pem: encode_key(&der),
        der,
    };
    key_pair(&key, path)?;
    Ok(key)
}

/// A signing key pair for a key in any of the three forms (rcgen with ring takes PKCS#8 only:
/// PKCS#1 and SEC1 keys are wrapped first).
///
/// # Errors
/// [`PkiError::BadKey`] naming `path` when ring cannot use the key.
pub fn key_pair(key: &KeyMaterial, path: &Path) -> Result<KeyPair, PkiError> {
    let bad = |reason: String| PkiError::BadKey {
        path: path.to_path_buf(),
        reason,
    };
    match &key.der {
        PrivateKeyDer::Pkcs8(k) => KeyPair::try_from(k).map_err(|_| {
            let der = k.secret_pkcs8_der();
            bad(if contains(der, der::RSA_OID) {
                match ring::signature::RsaKeyPair::from_pkcs8(der) {
                    Err(e) => format!("RSA key rejected: {e} (RSA keys need 2048 to 8192 bits)"),
                    Ok(_) => "RSA key rejected".to_string(),
                }
            } else {
                "not an ECDSA P-256/P-384, Ed25519 or RSA key that ring can use".to_string()
            })
        }),
        PrivateKeyDer::Pkcs1(k) => {
            if let Err(e) = ring::signature::RsaKeyPair::from_der(k.secret_pkcs1_der()) {
                return Err(bad(format!(
                    "RSA key rejected: {e} (RSA keys need 2048 to 8192 bits)"
                )));
            }
            let pkcs8 = der::pkcs8(der::RSA_ALG, k.secret_pkcs1_der());
            KeyPair::try_from(&PrivatePkcs8KeyDer::from(pkcs8))
                .map_err(|e| bad(format!("RSA key rejected: {e}")))
        }
        PrivateKeyDer::Sec1(k) => [der::P256_ALG, der::P384_ALG]
            .iter()
            .find_map(|alg| {
                KeyPair::try_from(&PrivatePkcs8KeyDer::from(der::pkcs8(
                    alg,
                    k.secret_sec1_der(),
                )))
                .ok()
            })
            .ok_or_else(|| {
                bad("not a P-256 or P-384 EC key with its public key included".to_string())
            }),
        _ => Err(bad("unknown key form".to_string())),
    }
}

/// Checks that `pair` is the key of `cert` by comparing public keys.
///
/// # Errors
/// [`PkiError::KeyMismatch`] naming both files; [`PkiError::BadCertificate`] when the
/// certificate does not parse.
pub fn check_pair(
    cert: &CertificateDer<'_>,
    cert_path: &Path,
    pair: &KeyPair,
    key_path: &Path,
) -> Result<(), PkiError> {
    let x509 = parse(cert).map_err(|reason| PkiError::BadCertificate {
        path: cert_path.to_path_buf(),
        index: 1,
        reason,
    })?;
    if x509.public_key().raw == pair.subject_public_key_info().as_slice()
        || *x509.public_key().subject_public_key.data == *pair.der_bytes()
    {
        Ok(())
    } else {
        Err(PkiError::KeyMismatch {
            cert: cert_path.to_path_buf(),
            key: key_path.to_path_buf(),
        })
    }
}

/// Whether `child` names `parent` as issuer and (when the algorithm is one ring verifies) is
/// signed by its key.
pub fn issued_by(child: &X509Certificate<'_>, parent: &X509Certificate<'_>) -> bool {
    if child.issuer().as_raw() != parent.subject().as_raw() {
        return false;
    }
    match child.verify_signature(Some(parent.public_key())) {
        Ok(()) | Err(X509Error::SignatureUnsupportedAlgorithm) => true,
        Err(_) => false,
    }
}

/// Parses DER into an X.509 certificate, the reason as text on failure.
///
/// # Errors
/// What x509-parser said.
pub fn parse<'a>(der: &'a CertificateDer<'_>) -> Result<X509Certificate<'a>, String> {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, x509)| x509)
        .map_err(|e| e.to_string())
}

/// A certificate as PEM text.
pub fn encode_cert(der: &CertificateDer<'_>) -> String {
    ::pem::encode(&::pem::Pem::new("CERTIFICATE", der.to_vec()))
}

/// A private key as PEM text, with the label of its form.
pub fn encode_key(der: &PrivateKeyDer<'_>) -> String {
    let label = match der {
        PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
        PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
        _ => "PRIVATE KEY",
    };
    ::pem::encode(&::pem::Pem::new(label, der.secret_der().to_vec()))
}

/// The PEM sections of a file: their kind and DER.
type Sections = Vec<(SectionKind, Vec<u8>)>;

/// The bytes of a PEM file, a UTF-8 byte-order mark left out (the PEM parser would take the
/// first BEGIN line for text around the blocks).
///
/// # Errors
/// [`PkiError::Unreadable`] naming the file.
pub fn read_pem_bytes(path: &Path) -> Result<Vec<u8>, PkiError> {
    let mut bytes =
        crate::limits::read_file(path, crate::limits::MAX_PEM_BYTES).map_err(|source| {
            PkiError::Unreadable {
                path: path.to_path_buf(),
                source,
            }
        })?;
    if bytes.starts_with(b"\xef\xbb\xbf") {
        bytes.drain(..3);
    }
    Ok(bytes)
}

/// When a PEM file did not parse or held nothing usable: the first byte that a text file
/// cannot hold, located, if there is one (that is then the likelier cause).
pub fn not_text(path: &Path, bytes: &[u8]) -> Option<PkiError> {
    let at = crate::diag::first_binary_byte(bytes)?;
    let crate::diag::Location { line, column } = crate::diag::locate_bytes(bytes, at);
    // Offsets count in the file as it is on disk, byte-order mark included.
    let bom = crate::limits::read_file(path, crate::limits::MAX_PEM_BYTES)
        .is_ok_and(|b| b.starts_with(b"\xef\xbb\xbf"));
    Some(PkiError::NotText {
        path: path.to_path_buf(),
        line,
        column,
        byte: at.saturating_add(if bom { 3 } else { 0 }),
        value: bytes.get(at).copied().unwrap_or_default(),
    })
}

/// The raw bytes of a file and its PEM sections.
fn sections(path: &Path) -> Result<(Vec<u8>, Sections), PkiError> {
    let bytes = read_pem_bytes(path)?;
    let sections = <(SectionKind, Vec<u8>)>::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            not_text(path, &bytes).unwrap_or_else(|| PkiError::MalformedPem {
                path: path.to_path_buf(),
                reason: describe(&e),
            })
        })?;
    Ok((bytes, sections))
}

fn describe(e: &pem::Error) -> String {
    match e {
        pem::Error::MissingSectionEnd { end_marker } => format!(
            "the {} block has no END line",
            String::from_utf8_lossy(end_marker)
        ),
        pem::Error::IllegalSectionStart { line } => {
            format!("bad BEGIN line `{}`", String::from_utf8_lossy(line).trim())
        }
        pem::Error::Base64Decode(why) => format!("bad base64 inside a block ({why})"),
        other => other.to_string(),
    }
}

fn is_encrypted(path: &Path) -> bool {
    crate::limits::read_file(path, crate::limits::MAX_PEM_BYTES)
        .is_ok_and(|b| contains(&b, b"ENCRYPTED"))
}

fn encrypted(path: &Path) -> PkiError {
    PkiError::NoKey {
        path: path.to_path_buf(),
        hint: "the key is encrypted; decrypt it first, e.g. `openssl pkey -in KEY -out PLAIN`"
            .to_string(),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Just enough DER to wrap PKCS#1 and SEC1 keys into PKCS#8 for ring.
mod der {
    /// The OID rsaEncryption, as it appears in DER.
    pub const RSA_OID: &[u8] = &[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
    ];
    /// AlgorithmIdentifier rsaEncryption with NULL parameters.
    pub const RSA_ALG: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    /// AlgorithmIdentifier id-ecPublicKey on prime256v1.
    pub const P256_ALG: &[u8] = &[
        0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86,
        0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
    ];
    /// AlgorithmIdentifier id-ecPublicKey on secp384r1.
    pub const P384_ALG: &[u8] = &[
        0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81,
        0x04, 0x00, 0x22,
    ];

    /// PrivateKeyInfo { version 0, algorithm, privateKey OCTET STRING }.
    pub fn pkcs8(algorithm: &[u8], key: &[u8]) -> Vec<u8> {
        let mut body = vec![0x02, 0x01, 0x00];
        body.extend_from_slice(algorithm);
        body.extend(tlv(0x04, key));
        tlv(0x30, &body)
    }

    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = body.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes: Vec<u8> = len
                .to_be_bytes()
                .into_iter()
                .skip_while(|b| *b == 0)
                .collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
        out.extend_from_slice(body);
        out
    }
}

#[cfg(test)]
mod tests;
