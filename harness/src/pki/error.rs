//! Why key material could not be made, loaded or stored: one error enum for the `pki` layer.
//!
//! Every variant carries what a user needs to act: the file, the certificate or CA name, and a
//! reason in words. Nothing here ever holds key bytes.

use std::path::PathBuf;

/// Why key material could not be generated, loaded from the user's PEM files, or stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is not valid PEM (bad armour, bad base64).
    #[error("{}: not valid PEM: {reason}", path.display())]
    MalformedPem {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A PEM file that is not text (a DER file, binary garbage, another encoding): the first
    /// byte that cannot be in one, located.
    #[error(
        "{}:{line}:{column} (byte {byte}): not PEM text: byte 0x{value:02x} is not UTF-8 or is a control character \
         (a DER file? `openssl x509 -inform der -in FILE -out FILE.pem` converts one)",
        path.display()
    )]
    NotText {
        /// The file.
        path: PathBuf,
        /// 1-based line of the byte.
        line: usize,
        /// 1-based column (in characters) of the byte.
        column: usize,
        /// Offset of the byte, from 0.
        byte: usize,
        /// The byte.
        value: u8,
    },
    /// A certificate file holds no certificate.
    #[error("{}: no certificate in it (expected a -----BEGIN CERTIFICATE----- block)", path.display())]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// A certificate block does not hold a valid X.509 certificate.
    #[error("{}: certificate {index} is not a valid X.509 certificate: {reason}", path.display())]
    BadCertificate {
        /// The file.
        path: PathBuf,
        /// 1-based position of the certificate in the file.
        index: usize,
        /// What the parser said.
        reason: String,
    },
    /// A `[pki.ca]` entry's file holds a certificate that is not a CA (no basicConstraints
    /// CA:TRUE): verifiers refuse chains through it.
    #[error("{}: not a CA certificate (no basicConstraints CA:TRUE), so it cannot stand for a [pki.ca] entry", path.display())]
    NotCa {
        /// The file.
        path: PathBuf,
    },
    /// A key file holds no private key.
    #[error("{}: no private key in it ({hint})", path.display())]
    NoKey {
        /// The file.
        path: PathBuf,
        /// What was expected, or what was found instead.
        hint: String,
    },
    /// A private key that cannot be used (unsupported algorithm, bad encoding).
    #[error("{}: the private key cannot be used: {reason}", path.display())]
    BadKey {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A private key whose public half is not the certificate's.
    #[error("{}: the private key does not match the certificate in {}", key.display(), cert.display())]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// A chain file whose certificates are not each issued by the next.
    #[error(
        "{}: chain out of order: certificate {position} ({subject}) is not issued by certificate {} ({next}); \
         list the leaf first, then each issuer in turn",
        path.display(), position.saturating_add(1)
    )]
    ChainOrder {
        /// The file.
        path: PathBuf,
        /// 1-based position of the certificate whose issuer does not follow it.
        position: usize,
        /// Its subject.
        subject: String,
        /// Subject of the certificate that follows it.
        next: String,
    },
    /// The user's certificate is not issued by the CA the topology names.
    #[error("{}: certificate `{name}` is not issued by CA `{issuer}` as the topology says", path.display())]
    NotIssuedBy {
        /// The certificate file.
        path: PathBuf,
        /// The certificate's name.
        name: String,
        /// The CA named as issuer.
        issuer: String,
    },
    /// A distinguished name that cannot be encoded.
    #[error("`{name}`: subject `{subject}`: {reason}")]
    Subject {
        /// The CA or certificate.
        name: String,
        /// The subject as written.
        subject: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A host name that cannot go into a subject alternative name.
    #[error("certificate `{name}`: host `{host}` cannot be a subject alternative name: {reason}")]
    Host {
        /// The certificate.
        name: String,
        /// The host as written.
        host: String,
        /// Why.
        reason: String,
    },
    /// A certificate with neither hosts nor subject: nothing to name it by.
    #[error("certificate `{name}` has neither `hosts` nor `subject`")]
    NoName {
        /// The certificate.
        name: String,
    },
    /// Validity bounds that cannot be encoded or make no sense.
    #[error("`{name}`: validity: {reason}")]
    Validity {
        /// The CA or certificate.
        name: String,
        /// Why.
        reason: String,
    },
    /// An issuer that is not a CA of the topology.
    #[error("`{name}` names issuer `{issuer}`, which is not a CA in [pki.ca]")]
    UnknownIssuer {
        /// The CA or certificate.
        name: String,
        /// The missing issuer.
        issuer: String,
    },
    /// A certificate to re-issue that is not in [pki.cert].
    #[error("there is no certificate `{name}` in [pki.cert] to re-issue")]
    UnknownCertificate {
        /// The certificate named.
        name: String,
    },
    /// A generated certificate that is neither self-signed nor names an issuer.
    #[error("certificate `{name}` has no `issuer` (name a CA, or set profile = \"self-signed\")")]
    NoIssuer {
        /// The certificate.
        name: String,
    },
    /// A CA that is its own ancestor.
    #[error("CA `{name}` is its own ancestor")]
    IssuerCycle {
        /// A CA on the cycle.
        name: String,
    },
    /// A generated certificate whose issuer is the user's CA given without its key.
    #[error(
        "certificate `{name}` is to be issued by CA `{issuer}`, whose PEM files have no private key"
    )]
    IssuerWithoutKey {
        /// The certificate or intermediate CA to issue.
        name: String,
        /// The CA without a key.
        issuer: String,
    },
    /// Two CAs or two certificates with one name.
    #[error("`{name}` is defined twice")]
    DuplicateName {
        /// The name.
        name: String,
    },
    /// A name that cannot be a file name in the certificate folder.
    #[error("`{name}` cannot be used as a file name (use letters, digits, `-`, `_` and `.`)")]
    BadFileName {
        /// The name.
        name: String,
    },
    /// Two stored files would have one path.
    #[error("`{first}` and `{second}` would both be written to {}", path.display())]
    FileClash {
        /// The path.
        path: PathBuf,
        /// The first owner.
        first: String,
        /// The second owner.
        second: String,
    },
    /// Key generation failed.
    #[error("`{name}`: key generation failed: {reason}")]
    KeyGen {
        /// The CA or certificate.
        name: String,
        /// Why.
        reason: String,
    },
    /// Certificate signing failed.
    #[error("`{name}`: signing failed: {reason}")]
    Sign {
        /// The CA or certificate.
        name: String,
        /// Why.
        reason: String,
    },
    /// A file or folder could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl PkiError {
    /// Whether the error lies in the user's input (topology or PEM files, exit 2) rather than
    /// in the harness or its environment (exit 3).
    pub fn is_bad_input(&self) -> bool {
        !matches!(
            self,
            PkiError::KeyGen { .. } | PkiError::Sign { .. } | PkiError::Write { .. }
        )
    }
}
