//! Fresh key pairs for generated CAs and certificates: ECDSA P-256 through rcgen (ring), and
//! RSA 2048 through the `rsa` crate, because ring signs with RSA keys but cannot make them.

use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256};
use ring::rand::{SecureRandom, SystemRandom};
use rsa::pkcs8::EncodePrivateKey;
use rsa::rand_core::{CryptoRng, Error as RandError, RngCore};
use rustls_pki_types::PrivatePkcs8KeyDer;

use super::error::PkiError;
use crate::topology::pki::KeyType;

/// A new key pair of `key_type` for the CA or certificate `name`.
///
/// # Errors
/// [`PkiError::KeyGen`] when the system's random source or the key encoder fails.
pub fn key_pair(key_type: KeyType, name: &str) -> Result<KeyPair, PkiError> {
    let failed = |reason: String| PkiError::KeyGen {
        name: name.to_string(),
        reason,
    };
    match key_type {
        KeyType::EcdsaP256 => {
            KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|e| failed(e.to_string()))
        }
        KeyType::Rsa2048 => {
            let mut rng = RingRng(SystemRandom::new());
            let key = rsa::RsaPrivateKey::new(&mut rng, 2048).map_err(|e| failed(e.to_string()))?;
            let der = key.to_pkcs8_der().map_err(|e| failed(e.to_string()))?;
            let pkcs8 = PrivatePkcs8KeyDer::from(der.as_bytes().to_vec());
            KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8, &PKCS_RSA_SHA256)
                .map_err(|e| failed(e.to_string()))
        }
    }
}

/// ring's system random source behind the `rand_core` traits the `rsa` crate asks for.
struct RingRng(SystemRandom);

impl RngCore for RingRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    #[allow(clippy::panic)] // no input reaches here: see the comment inside
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        // The trait cannot report failure here (rand_core's own OsRng panics too): a machine
        // whose system random source fails cannot make keys at all.
        if self.0.fill(dest).is_err() {
            panic!("the system random source failed");
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), RandError> {
        self.0
            .fill(dest)
            .map_err(|_| RandError::new("the system random source failed"))
    }
}

impl CryptoRng for RingRng {}
