//! Chain verification at a given instant, with rustls' own WebPKI verifiers: the static twin of
//! what a handshake would decide, used by the certificate rules.

use std::sync::Arc;

use rustls::RootCertStore;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::ring;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;

use super::FailureClass;

/// Which role the verified chain plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A server's chain, verified by a client (needs serverAuth).
    Server,
    /// A client's chain, verified by a server under mutual TLS (needs clientAuth).
    Client,
}

/// Verifies `chain` (leaf first, as sent) against `anchors` at `at`, for `role`. The host
/// name is not judged here.
///
/// # Errors
/// The failure class a handshake would report (`unknown-ca` when there is no anchor at all).
pub fn chain(
    chain: &[CertificateDer<'static>],
    anchors: &[CertificateDer<'static>],
    role: Role,
    at: UnixTime,
) -> Result<(), FailureClass> {
    let Some((leaf, intermediates)) = chain.split_first() else {
        return Err(FailureClass::NoClientCert);
    };
    let mut roots = RootCertStore::empty();
    for a in anchors {
        // A CA certificate that is no usable anchor simply anchors nothing.
        let _ = roots.add(a.clone());
    }
    if roots.is_empty() {
        return Err(FailureClass::UnknownCa);
    }
    let roots = Arc::new(roots);
    let provider = Arc::new(ring::default_provider());
    let result = match role {
        Role::Server => {
            let v = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|_| FailureClass::UnknownCa)?;
            let name =
                ServerName::try_from("name-not-judged.invalid").map_err(|_| FailureClass::Other)?;
            v.verify_server_cert(leaf, intermediates, &name, &[], at)
                .map(|_| ())
        }
        Role::Client => {
            let v = WebPkiClientVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|_| FailureClass::UnknownCa)?;
            v.verify_client_cert(leaf, intermediates, at).map(|_| ())
        }
    };
    match result.as_ref().map_err(FailureClass::from) {
        Ok(()) | Err(FailureClass::NameMismatch) => Ok(()),
        Err(class) => Err(class),
    }
}
