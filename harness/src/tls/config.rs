//! rustls client and server configurations for one endpoint, from what resolution gave it: its
//! identity (chain and key), the CAs it trusts, mutual TLS, the name check and `sec-protocol`.

use std::sync::Arc;

use rustls::client::Resumption;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::sign::SingleCertAndKey;
use rustls::time_provider::TimeProvider;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig,
    SignatureScheme, SupportedProtocolVersion,
};

use crate::topology::SecProtocol;

/// Why a configuration could not be built (bad material, not a handshake failure).
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// rustls refused the configuration (e.g. a key that does not match).
    #[error("TLS configuration of {endpoint}: {source}")]
    Config {
        /// Which endpoint.
        endpoint: String,
        /// rustls' reason.
        source: rustls::Error,
    },
    /// A trusted CA certificate could not be used as a trust anchor.
    #[error("trusted CA of {endpoint} is not a usable trust anchor: {source}")]
    Anchor {
        /// Which endpoint.
        endpoint: String,
        /// rustls' reason.
        source: rustls::Error,
    },
    /// No level gives a listening port a certificate.
    #[error("{endpoint} listens with TLS but has no certificate")]
    NoCertificate {
        /// Which endpoint.
        endpoint: String,
    },
    /// Mutual TLS is on but the server trusts no CA to verify clients with.
    #[error("{endpoint} has tls-mutual on but no trusted CA to verify clients")]
    MutualWithoutTrust {
        /// Which endpoint.
        endpoint: String,
    },
}

/// A certificate chain and its private key.
pub struct Identity {
    /// Leaf first, as sent in the handshake.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's key.
    pub key: PrivateKeyDer<'static>,
}

/// What a listening endpoint needs.
pub struct ServerSide {
    /// Names the endpoint in errors (`ts_primary/secure`).
    pub endpoint: String,
    /// The certificate the port presents.
    pub identity: Identity,
    /// CAs client certificates must lead to (mutual TLS).
    pub trust: Vec<CertificateDer<'static>>,
    /// Whether a client certificate is required.
    pub mutual: bool,
    /// Protocol policy.
    pub protocol: SecProtocol,
}

/// What a dialling endpoint needs.
pub struct ClientSide {
    /// Names the endpoint in errors (`desk->ts_primary`).
    pub endpoint: String,
    /// The certificate presented if the server asks (mutual TLS).
    pub identity: Option<Identity>,
    /// CAs the server's chain must lead to.
    pub trust: Vec<CertificateDer<'static>>,
    /// `tls-target-name-check = host`: the certificate must name the dialled host.
    pub check_name: bool,
    /// Protocol policy.
    pub protocol: SecProtocol,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

fn versions(p: SecProtocol) -> &'static [&'static SupportedProtocolVersion] {
    static BOTH: [&SupportedProtocolVersion; 2] =
        [&rustls::version::TLS13, &rustls::version::TLS12];
    static V12: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
    static V13: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
    match p {
        SecProtocol::Negotiate => &BOTH,
        SecProtocol::Tls12 => &V12,
        SecProtocol::Tls13 => &V13,
    }
}

fn roots(endpoint: &str, trust: &[CertificateDer<'static>]) -> Result<RootCertStore, TlsError> {
    let mut store = RootCertStore::empty();
    for ca in trust {
        store.add(ca.clone()).map_err(|source| TlsError::Anchor {
            endpoint: endpoint.to_string(),
            source,
        })?;
    }
    Ok(store)
}

/// Builds a server configuration judged at `time`.
///
/// # Errors
/// [`TlsError`] when rustls refuses the material or mutual TLS has nothing to verify with.
pub fn server_config(
    side: &ServerSide,
    time: Arc<dyn TimeProvider>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = provider();
    let config_err = |source| TlsError::Config {
        endpoint: side.endpoint.clone(),
        source,
    };
    let builder = ServerConfig::builder_with_details(Arc::clone(&provider), time)
        .with_protocol_versions(versions(side.protocol))
        .map_err(config_err)?;
    let verifier = if side.mutual {
        if side.trust.is_empty() {
            return Err(TlsError::MutualWithoutTrust {
                endpoint: side.endpoint.clone(),
            });
        }
        let store = Arc::new(roots(&side.endpoint, &side.trust)?);
        WebPkiClientVerifier::builder_with_provider(store, Arc::clone(&provider))
            .build()
            .map_err(|e| config_err(rustls::Error::General(e.to_string())))?
    } else {
        WebPkiClientVerifier::no_client_auth()
    };
    let certified = super::keys::certified(&side.identity.chain, &side.identity.key, &provider)
        .map_err(config_err)?;
    let mut config = builder
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    // No session state may survive a simulated restart or skip a validity check.
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Ok(Arc::new(config))
}

/// Builds a client configuration judged at `time`.
///
/// # Errors
/// [`TlsError`] when rustls refuses the material.
pub fn client_config(
    side: &ClientSide,
    time: Arc<dyn TimeProvider>,
) -> Result<Arc<ClientConfig>, TlsError> {
    let provider = provider();
    let config_err = |source| TlsError::Config {
        endpoint: side.endpoint.clone(),
        source,
    };
    let store = Arc::new(roots(&side.endpoint, &side.trust)?);
    let webpki = WebPkiServerVerifier::builder_with_provider(store, Arc::clone(&provider))
        .build()
        .map_err(|e| config_err(rustls::Error::General(e.to_string())));
    let verifier: Arc<dyn ServerCertVerifier> = match webpki {
        Ok(v) if side.check_name => v,
        Ok(v) => Arc::new(NoNameCheck(v)),
        // No trusted CA at all: nothing the server sends can be verified.
        Err(_) => Arc::new(TrustNothing(Arc::clone(&provider))),
    };
    let certified = match &side.identity {
        Some(id) => {
            Some(super::keys::certified(&id.chain, &id.key, &provider).map_err(config_err)?)
        }
        None => None,
    };
    let builder = ClientConfig::builder_with_details(provider, time)
        .with_protocol_versions(versions(side.protocol))
        .map_err(config_err)?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match certified {
        Some(certified) => {
            builder.with_client_cert_resolver(Arc::new(SingleCertAndKey::from(certified)))
        }
        None => builder.with_no_client_auth(),
    };
    config.resumption = Resumption::disabled();
    Ok(Arc::new(config))
}

/// Full chain and validity verification, without the host-name check: Genesys clients check
/// the name only with `tls-target-name-check = host`.
#[derive(Debug)]
struct NoNameCheck(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for NoNameCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(m, c, d)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(m, c, d)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The verifier of a client with no trusted CA: every server chain is of an unknown issuer.
#[derive(Debug)]
struct TrustNothing(Arc<CryptoProvider>);

impl ServerCertVerifier for TrustNothing {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Err(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ))
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
