//! Where the certificate folder keeps each file (the layout `store` writes and generation reads
//! back from), so that the writer and the reader cannot disagree:
//!
//! ```text
//! ca/<name>.pem        each CA certificate      ca/<name>.key   its key, when known
//! <name>.pem           each leaf certificate    <name>.key      its key
//! <name>.chain.pem     what the leaf's endpoint sends, leaf first
//! ca-bundle.pem        every root CA            stamp           what this was made from
//! ```

use std::path::{Path, PathBuf};

/// Every root CA, the trust store to give peers.
pub(crate) const BUNDLE: &str = "ca-bundle.pem";

/// What the folder was made from.
pub(crate) const STAMP: &str = "stamp";

/// Ending of the chain a leaf's endpoint sends.
pub(crate) const CHAIN_SUFFIX: &str = ".chain.pem";

/// A CA's certificate and key, relative to the folder.
pub(crate) fn ca(name: &str) -> (PathBuf, PathBuf) {
    let ca = Path::new("ca");
    (
        ca.join(format!("{name}.pem")),
        ca.join(format!("{name}.key")),
    )
}

/// A leaf's certificate, key and sent chain, relative to the folder.
pub(crate) fn leaf(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    (
        format!("{name}.pem").into(),
        format!("{name}.key").into(),
        format!("{name}{CHAIN_SUFFIX}").into(),
    )
}

/// Paths of a CA's certificate and key in the folder `dir`.
pub(crate) fn ca_files(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (cert, key) = ca(name);
    (dir.join(cert), dir.join(key))
}

/// Paths of a leaf's certificate and key in the folder `dir`.
pub(crate) fn leaf_files(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (cert, key, _) = leaf(name);
    (dir.join(cert), dir.join(key))
}
