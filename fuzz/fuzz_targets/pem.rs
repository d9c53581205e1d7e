//! The PEM loader on arbitrary bytes, as the lab's own files go through it: a certificate
//! chain, a private key (and, when both load, whether the key is the leaf's), a trusted-CA
//! bundle, and what each certificate says (names, validity, usages) with host matching.
//!
//! A first byte of 1 to 4 makes the rest DER, wrapped here in a CERTIFICATE, PRIVATE KEY,
//! EC PRIVATE KEY or RSA PRIVATE KEY block, so that the fuzzer mutates the DER itself rather
//! than its base64; any other input is the file's bytes.
#![no_main]

use std::path::Path;

use hapair::pki::inspect::CertInfo;
use hapair::pki::{paths, pem};

/// A path no file can have (an interior NUL fails before any system call), so that the
/// loader's look at the file on disk (for a byte-order mark) never reads one.
const PATH: &str = "fuzz\0/input.pem";

fn wrap(label: &str, der: &[u8]) -> Vec<u8> {
    ::pem::encode(&::pem::Pem::new(label, der.to_vec())).into_bytes()
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let bytes = match data.split_first() {
        Some((1, der)) => wrap("CERTIFICATE", der),
        Some((2, der)) => wrap("PRIVATE KEY", der),
        Some((3, der)) => wrap("EC PRIVATE KEY", der),
        Some((4, der)) => wrap("RSA PRIVATE KEY", der),
        _ => data.to_vec(),
    };
    let path = Path::new(PATH);
    let chain = pem::chain_from_bytes(path, &bytes);
    let key = pem::key_from_bytes(path, &bytes);
    if let (Ok(chain), Ok(key)) = (&chain, &key) {
        if let Some(leaf) = chain.first() {
            if let Ok(pair) = pem::key_pair(key, path) {
                let _ = pem::check_pair(leaf, path, &pair, path);
            }
        }
    }
    let bundle = paths::bundle_from_bytes(path, &bytes);
    for der in chain.iter().chain(bundle.iter()).flatten() {
        if let Ok(info) = CertInfo::from_der(der) {
            for host in ["ts-a.lab.example", "10.0.0.1", "*.lab.example", "", "[::1]"] {
                let _ = info.names_host(host);
            }
        }
    }
    for e in [chain.err(), key.err(), bundle.err()].into_iter().flatten() {
        // Every error names the file.
        assert!(e.to_string().contains("input.pem"), "unlocated: {e}");
    }
});
