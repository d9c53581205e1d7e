//! From a link of the topology (`pki::endpoint`) and its material to the two sides' TLS
//! settings: the one place where resolution meets rustls.

use super::config::{ClientSide, Identity, ServerSide, TlsError};
use crate::pki::endpoint::Link;
use crate::pki::paths::{anchors, leaf};
use crate::pki::{Material, Params};

fn identity(params: &Params, m: &Material) -> Option<Identity> {
    let leaf = leaf(params, m)?;
    Some(Identity {
        chain: leaf.chain.clone(),
        key: leaf.key.der.clone_key(),
    })
}

/// The listening side of `link`: the port's certificate, trust and options.
///
/// # Errors
/// [`TlsError::NoCertificate`] when no level gives the port a certificate.
pub fn server_side(link: &Link, m: &Material) -> Result<ServerSide, TlsError> {
    listener_side(format!("{}/{}", link.to, link.port), &link.server, m)
}

/// A listening port's side from its resolved parameters.
///
/// # Errors
/// [`TlsError::NoCertificate`] when no level gives the port a certificate.
pub fn listener_side(
    endpoint: String,
    params: &Params,
    m: &Material,
) -> Result<ServerSide, TlsError> {
    let identity = identity(params, m).ok_or_else(|| TlsError::NoCertificate {
        endpoint: endpoint.clone(),
    })?;
    Ok(ServerSide {
        endpoint,
        identity,
        trust: anchors(params, m),
        mutual: params.mutual(),
        protocol: params.protocol(),
    })
}

/// The dialling side of `link`: its certificate (presented under mutual TLS), trust, name
/// check and protocol policy.
pub fn client_side(link: &Link, m: &Material) -> ClientSide {
    ClientSide {
        endpoint: link.id.clone(),
        identity: identity(&link.client, m),
        trust: anchors(&link.client, m),
        check_name: link.checked_name.is_some(),
        protocol: link.client.protocol(),
    }
}

/// The name the client dials and checks: `tls-target-name` when set, else the host name.
pub fn server_name(link: &Link) -> String {
    link.checked_name
        .clone()
        .unwrap_or_else(|| link.dial_host.clone())
}
