//! An identity's chain and loaded private key ([`CertifiedKey`]), loaded once per thread and
//! shared by every configuration built from the same bytes. Loading a P-256 key computes its
//! public key (a scalar multiplication); a simulated server builds a configuration for every
//! connection it accepts (each judged at its host's clock), so loading the key each time was
//! a few percent of a sweep. The result is rustls' own `CertifiedKey::from_der` (the key
//! checked against the leaf), the same as `with_single_cert` and `with_client_auth_cert`
//! give; refusals are not kept, so an error reads the same every time. The key is known by a
//! digest; the loaded key lives as long as the entry (it is never written or logged).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

/// Past this many identities a thread starts again: a sweep that draws certificate
/// rotations adds a fresh key a rotation, never used again.
const KEPT: usize = 1_024;

/// What an identity is known by: the SHA-256 of its key's encoding and bytes and of each
/// certificate (the map holds no copy of the key).
type Known = [u8; 32];

thread_local! {
    static LOADED: RefCell<HashMap<Known, Arc<CertifiedKey>>> = RefCell::new(HashMap::new());
}

fn known(chain: &[CertificateDer<'static>], key: &PrivateKeyDer<'static>) -> Known {
    let mut d = ring::digest::Context::new(&ring::digest::SHA256);
    let mut piece = |bytes: &[u8]| {
        d.update(&(bytes.len() as u64).to_be_bytes());
        d.update(bytes);
    };
    let encoding: &[u8] = match key {
        PrivateKeyDer::Pkcs1(_) => b"pkcs1",
        PrivateKeyDer::Sec1(_) => b"sec1",
        PrivateKeyDer::Pkcs8(_) => b"pkcs8",
        _ => b"other",
    };
    piece(encoding);
    piece(key.secret_der());
    for c in chain {
        piece(c);
    }
    let mut out = [0_u8; 32];
    out.copy_from_slice(d.finish().as_ref());
    out
}

/// An identity (`chain`, leaf first, and the leaf's `key`) as rustls signs with it.
///
/// # Errors
/// rustls' reason when the key cannot be loaded or does not match the leaf.
pub(crate) fn certified(
    chain: &[CertificateDer<'static>],
    key: &PrivateKeyDer<'static>,
    provider: &CryptoProvider,
) -> Result<Arc<CertifiedKey>, rustls::Error> {
    let bytes = known(chain, key);
    if let Some(found) = LOADED.with_borrow(|m| m.get(&bytes).cloned()) {
        return Ok(found);
    }
    let loaded = Arc::new(CertifiedKey::from_der(
        chain.to_vec(),
        key.clone_key(),
        provider,
    )?);
    LOADED.with_borrow_mut(|m| {
        if m.len() >= KEPT {
            m.clear();
        }
        m.insert(bytes, Arc::clone(&loaded));
    });
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::Identity;

    fn load(id: &Identity, provider: &CryptoProvider) -> Result<Arc<CertifiedKey>, rustls::Error> {
        certified(&id.chain, &id.key, provider)
    }

    fn identity(cert: &rcgen::CertifiedKey<rcgen::KeyPair>) -> Identity {
        Identity {
            chain: vec![cert.cert.der().clone()],
            key: rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into()),
        }
    }

    #[test]
    fn one_identity_is_loaded_once_and_a_mismatched_key_is_refused_every_time() {
        let provider = rustls::crypto::ring::default_provider();
        let a = rcgen::generate_simple_self_signed(vec!["a.test".into()]).expect("cert");
        let b = rcgen::generate_simple_self_signed(vec!["b.test".into()]).expect("cert");
        let first = load(&identity(&a), &provider).expect("loads");
        let again = load(&identity(&a), &provider).expect("loads");
        assert!(Arc::ptr_eq(&first, &again));
        let other = load(&identity(&b), &provider).expect("loads");
        assert!(!Arc::ptr_eq(&first, &other));
        let mismatched = Identity {
            chain: identity(&a).chain,
            key: identity(&b).key,
        };
        for _ in 0..2 {
            let e = load(&mismatched, &provider).expect_err("the key is not the leaf's");
            assert!(matches!(e, rustls::Error::InconsistentKeys(_)), "{e:?}");
        }
        // The same bytes said to be PKCS#1 are another identity, which does not load.
        let relabelled = Identity {
            chain: identity(&a).chain,
            key: PrivateKeyDer::Pkcs1(identity(&a).key.secret_der().to_vec().into()),
        };
        assert!(load(&relabelled, &provider).is_err());
    }
}
