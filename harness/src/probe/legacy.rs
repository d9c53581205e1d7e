//! Whether a server still offers TLS 1.1 or TLS 1.0, which rustls cannot speak: one raw
//! ClientHello of that version (common ECDHE and RSA CBC suites, SNI, the usual groups), and
//! the first record of the answer read back. A ServerHello of the version asked is "offered";
//! an alert, a close, or a ServerHello of another version is "not offered"; anything else
//! (silence, not TLS) is "not known". The handshake goes no further.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::version::Version;

/// Cipher suites a TLS 1.0/1.1 client of the last decade offered (ECDHE and RSA with AES-CBC
/// and 3DES), so that a server which speaks the version finds one in common.
const SUITES: [u16; 12] = [
    0xc00a, 0xc009, 0xc014, 0xc013, 0x0039, 0x0033, 0x0035, 0x002f, 0x000a, 0xc012, 0xc008, 0x0016,
];

/// Offered (`Some(true)`), refused (`Some(false)`), or not known (`None`), within `timeout`.
pub fn offered(
    addr: SocketAddr,
    sni: Option<&str>,
    version: Version,
    timeout: Duration,
) -> Option<bool> {
    let minor = match version {
        Version::Tls11 => 2u8,
        Version::Tls10 => 1,
        Version::Tls12 | Version::Tls13 => return None,
    };
    let deadline = Instant::now().checked_add(timeout)?;
    let mut tcp = TcpStream::connect_timeout(&addr, timeout).ok()?;
    tcp.set_write_timeout(Some(timeout)).ok()?;
    tcp.write_all(&client_hello(minor, sni)?).ok()?;
    let mut head = [0u8; 9];
    let mut got = 0usize;
    while got < head.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        tcp.set_read_timeout(Some(left)).ok()?;
        match tcp.read(head.get_mut(got..)?) {
            Ok(0) => return (got == 0).then_some(false),
            Ok(n) => got = got.saturating_add(n),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Some(false),
            Err(_) => return None,
        }
        // An alert record is complete at 7 bytes: the version is refused.
        if got >= 1 && head.first() == Some(&21) {
            return Some(false);
        }
    }
    // record: type 22, version, length; handshake: type 2 (ServerHello), length, version.
    match head {
        [22, 3, _, _, _, 2, _, _, _] => {
            let mut v = [0u8; 2];
            let left = deadline.saturating_duration_since(Instant::now());
            tcp.set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .ok()?;
            tcp.read_exact(&mut v).ok()?;
            Some(v == [3, minor])
        }
        [22 | 21, 3, ..] => Some(false),
        _ => None,
    }
}

/// A TLS 1.0/1.1 ClientHello record, or `None` if a name is too long to encode.
fn client_hello(minor: u8, sni: Option<&str>) -> Option<Vec<u8>> {
    let mut ext = Vec::new();
    if let Some(name) = sni.filter(|n| n.parse::<std::net::IpAddr>().is_err()) {
        let n = u16::try_from(name.len()).ok()?;
        push_u16(&mut ext, 0x0000);
        push_u16(&mut ext, n.checked_add(5)?);
        push_u16(&mut ext, n.checked_add(3)?);
        ext.push(0);
        push_u16(&mut ext, n);
        ext.extend_from_slice(name.as_bytes());
    }
    // supported_groups: x25519, secp256r1, secp384r1; ec_point_formats: uncompressed;
    // renegotiation_info (empty).
    ext.extend_from_slice(&[
        0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18,
    ]);
    ext.extend_from_slice(&[0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]);
    ext.extend_from_slice(&[0xff, 0x01, 0x00, 0x01, 0x00]);

    let mut body = vec![3, minor];
    let mut random = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut random).ok()?;
    body.extend_from_slice(&random);
    body.push(0); // no session id
    push_u16(&mut body, u16::try_from(SUITES.len().checked_mul(2)?).ok()?);
    for s in SUITES {
        push_u16(&mut body, s);
    }
    body.extend_from_slice(&[1, 0]); // compression: null
    push_u16(&mut body, u16::try_from(ext.len()).ok()?);
    body.extend_from_slice(&ext);

    let len = u32::try_from(body.len()).ok()?.to_be_bytes();
    let mut hs = vec![1];
    hs.extend_from_slice(len.get(1..)?);
    hs.extend_from_slice(&body);
    let mut record = vec![22, 3, 1];
    push_u16(&mut record, u16::try_from(hs.len()).ok()?);
    record.extend_from_slice(&hs);
    Some(record)
}

fn push_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_hello_is_well_formed() {
        let r = client_hello(2, Some("ts-a.lab.example")).expect("encodes");
        assert_eq!(&r[..3], &[22, 3, 1]);
        let record_len = usize::from(u16::from_be_bytes([r[3], r[4]]));
        assert_eq!(record_len, r.len() - 5);
        assert_eq!(r[5], 1, "a ClientHello");
        let hs_len = (usize::from(r[6]) << 16) | (usize::from(r[7]) << 8) | usize::from(r[8]);
        assert_eq!(hs_len, r.len() - 9);
        assert_eq!(&r[9..11], &[3, 2], "TLS 1.1 asked");
        let with_ip = client_hello(1, Some("127.0.0.1")).expect("encodes");
        assert!(with_ip.len() < r.len(), "no SNI for an address");
    }
}
