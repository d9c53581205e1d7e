//! What each certificate of a chain as sent says, in the words a probe report uses: read with
//! `pki::inspect` (names, validity, EKU, key) plus what only a probe asks (key size in bits,
//! signature algorithm, CA flag, days left).

use rustls_pki_types::CertificateDer;
use serde::Serialize;
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::public_key::PublicKey;

use crate::pki::CertInfo;
use crate::pki::pem;

/// One certificate as a probe reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertFacts {
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// DNS and IP SANs, in certificate order.
    pub sans: Vec<String>,
    /// Start of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// Whole days from the probe's instant to `not_after` (negative once expired).
    pub days_left: i64,
    /// Key type and size in words (`ECDSA P-256`, `RSA 2048`).
    pub key: String,
    /// Key algorithm: `RSA`, `EC`, `Ed25519`, or the OID.
    pub key_algorithm: String,
    /// Key size in bits (the curve's for EC).
    pub key_bits: Option<u32>,
    /// Signature algorithm, as openssl names it (`ecdsa-with-SHA256`).
    pub signature: String,
    /// Usable by a TLS server (serverAuth, any, or no EKU).
    pub server_auth: bool,
    /// Basic constraints say CA.
    pub is_ca: bool,
    /// Issued by itself.
    pub self_signed: bool,
    /// SHA-256 of the DER, hex bytes joined by `:`.
    pub sha256: String,
    /// Names for matching (`CertInfo::names_host`).
    #[serde(skip)]
    pub info: CertInfo,
}

impl CertFacts {
    /// Reads a DER certificate at the instant `now`.
    ///
    /// # Errors
    /// What x509-parser said, when the certificate does not parse.
    pub fn read(der: &CertificateDer<'_>, now: OffsetDateTime) -> Result<Self, String> {
        let info = CertInfo::from_der(der)?;
        let x509 = pem::parse(der)?;
        let (key_algorithm, key_bits) = key(&x509, &info.key_type);
        let days_left = info
            .not_after
            .unix_timestamp()
            .saturating_sub(now.unix_timestamp())
            .div_euclid(86_400);
        Ok(Self {
            subject: info.subject.clone(),
            issuer: info.issuer.clone(),
            sans: info.sans.clone(),
            not_before: info.not_before,
            not_after: info.not_after,
            days_left,
            key: info.key_type.clone(),
            key_algorithm,
            key_bits,
            signature: signature(&x509),
            server_auth: info.server_auth,
            is_ca: x509.is_ca(),
            self_signed: info.self_signed,
            sha256: info.sha256.clone(),
            info,
        })
    }
}

/// Whether a DER certificate is issued by itself (and verifies with its own key).
pub fn self_signed(der: &CertificateDer<'_>) -> bool {
    pem::parse(der).is_ok_and(|x| pem::issued_by(&x, &x))
}

/// Whether `child` is issued by `parent` (names it and verifies with its key).
pub fn issued_by(child: &CertificateDer<'_>, parent: &CertificateDer<'_>) -> bool {
    match (pem::parse(child), pem::parse(parent)) {
        (Ok(c), Ok(p)) => pem::issued_by(&c, &p),
        _ => false,
    }
}

fn key(x509: &X509Certificate<'_>, words: &str) -> (String, Option<u32>) {
    match x509.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => ("RSA".to_string(), u32::try_from(rsa.key_size()).ok()),
        Ok(PublicKey::EC(_)) => {
            let bits = match words {
                "ECDSA P-256" => Some(256),
                "ECDSA P-384" => Some(384),
                _ => None,
            };
            ("EC".to_string(), bits)
        }
        _ if words == "Ed25519" => ("Ed25519".to_string(), Some(256)),
        _ => (words.to_string(), None),
    }
}

/// Signature algorithms by OID, with openssl's names.
const SIGNATURES: [(&str, &str); 11] = [
    ("1.2.840.113549.1.1.4", "md5WithRSAEncryption"),
    ("1.2.840.113549.1.1.5", "sha1WithRSAEncryption"),
    ("1.2.840.113549.1.1.11", "sha256WithRSAEncryption"),
    ("1.2.840.113549.1.1.12", "sha384WithRSAEncryption"),
    ("1.2.840.113549.1.1.13", "sha512WithRSAEncryption"),
    ("1.2.840.113549.1.1.10", "rsassaPss"),
    ("1.2.840.10045.4.1", "ecdsa-with-SHA1"),
    ("1.2.840.10045.4.3.2", "ecdsa-with-SHA256"),
    ("1.2.840.10045.4.3.3", "ecdsa-with-SHA384"),
    ("1.2.840.10045.4.3.4", "ecdsa-with-SHA512"),
    ("1.3.101.112", "ED25519"),
];

fn signature(x509: &X509Certificate<'_>) -> String {
    let oid = x509.signature_algorithm.algorithm.to_id_string();
    SIGNATURES
        .iter()
        .find(|(o, _)| *o == oid)
        .map_or(oid, |(_, name)| (*name).to_string())
}

/// The hash a signature algorithm name uses, lower case (`sha256`), when it says.
pub fn signature_hash(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    ["md5", "sha1", "sha256", "sha384", "sha512"]
        .into_iter()
        .find(|h| lower.contains(h))
        .map(str::to_string)
}
