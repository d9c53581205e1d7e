//! Cost of one full TLS handshake in memory (`hapair::tls::memory::handshake`), the floor
//! every simulated connection's set-up stands on: ECDSA P-256 server auth over TLS 1.3, mutual
//! TLS 1.3, and server auth over TLS 1.2.
//!
//! Configurations are built once per case from the reference topology
//! (`scenarios/topologies/tserver-pair.toml`): the desktop's connection to the primary, through
//! the same path the simulator takes (material, link, sides, configs); the mutual and TLS 1.2
//! cases switch the resolved sides' policy. Resumption is off in these configs, so every
//! iteration is a full handshake. Run with `cargo bench --bench handshake` (or `ci/bench`).
//! Under `cargo test` (no `--bench` argument) it runs a handful of iterations, as a smoke test.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hapair::pki::endpoint::{LinkKind, links};
use hapair::pki::paths::for_topology;
use hapair::tls::memory::handshake;
use hapair::tls::sides::{client_side, server_name, server_side};
use hapair::tls::{VirtualTime, client_config, server_config};
use hapair::topology::{self, SecProtocol};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ServerConfig};
use time::OffsetDateTime;
use time::macros::datetime;

/// The virtual instant certificates are generated and judged at.
const CLOCK: OffsetDateTime = datetime!(2026-06-01 08:00:00 UTC);

struct Case {
    name: &'static str,
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    version: &'static str,
    mutual: bool,
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let iterations = if benching { 2_000 } else { 5 };
    let warmup = if benching { 100 } else { 1 };
    let (cases, name) = cases();
    println!(
        "in-memory full handshakes, {iterations} per case (release build: {})",
        !cfg!(debug_assertions)
    );
    println!(
        "{:<32} {:>7} {:>11} {:>11} {:>11} {:>11}",
        "case", "version", "p10", "median", "p90", "per second"
    );
    for case in &cases {
        let once = || {
            let agreed = handshake(
                Arc::clone(&case.client),
                Arc::clone(&case.server),
                name.clone(),
            )
            .unwrap_or_else(|f| panic!("{}: {:?} {} ({})", case.name, f.side, f.class, f.error));
            assert_eq!(agreed.version, case.version, "{}", case.name);
            assert_eq!(agreed.client_authenticated, case.mutual, "{}", case.name);
            std::hint::black_box(agreed);
        };
        for _ in 0..warmup {
            once();
        }
        let mut samples: Vec<Duration> = (0..iterations)
            .map(|_| {
                let start = Instant::now();
                once();
                start.elapsed()
            })
            .collect();
        samples.sort();
        let median = percentile(&samples, 50);
        println!(
            "{:<32} {:>7} {:>11} {:>11} {:>11} {:>11.0}",
            case.name,
            case.version,
            us(percentile(&samples, 10)),
            us(median),
            us(percentile(&samples, 90)),
            1.0 / median.as_secs_f64()
        );
    }
    if !benching {
        println!(
            "smoke run (cargo test): a handful of iterations of a debug build, not a measurement"
        );
    }
}

/// The three cases, from the desktop's connection to the primary of the reference pair, and
/// the name the desktop dials.
fn cases() -> (Vec<Case>, ServerName<'static>) {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/topologies/tserver-pair.toml");
    let t = topology::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let m = for_topology(&t, CLOCK).expect("reference PKI generates");
    let link = links(&t)
        .into_iter()
        .find(|l| l.kind == LinkKind::Connection)
        .expect("the desktop's connection");
    let time = VirtualTime::fixed(CLOCK).provider();
    let name = ServerName::try_from(server_name(&link)).expect("valid server name");
    let build = |name: &'static str, mutual: bool, protocol: SecProtocol, version| {
        let mut server = server_side(&link, &m).expect("the port has a certificate");
        server.mutual = mutual;
        server.protocol = protocol;
        let mut client = client_side(&link, &m);
        client.protocol = protocol;
        Case {
            name,
            client: client_config(&client, Arc::clone(&time)).expect("client config"),
            server: server_config(&server, Arc::clone(&time)).expect("server config"),
            version,
            mutual,
        }
    };
    let cases = vec![
        build(
            "ECDSA P-256, server auth, 1.3",
            false,
            SecProtocol::Tls13,
            "1.3",
        ),
        build("ECDSA P-256, mutual, 1.3", true, SecProtocol::Tls13, "1.3"),
        build(
            "ECDSA P-256, server auth, 1.2",
            false,
            SecProtocol::Tls12,
            "1.2",
        ),
    ];
    (cases, name)
}

/// The `p`th percentile of sorted samples (nearest rank).
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (sorted.len() * p).div_ceil(100).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}
