//! What the failover and suite benches share: the handshake floor, an in-memory TLS 1.3
//! handshake between configurations built once from the reference T-Server pair's desktop
//! connection (as `benches/handshake.rs` does). Included with `#[path]`; not a bench itself.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hapair::pki::Material;
use hapair::pki::endpoint::{LinkKind, links};
use hapair::pki::inspect::CertInfo;
use hapair::tls::memory::handshake;
use hapair::tls::sides::{client_side, server_name, server_side};
use hapair::tls::{ClientSide, ServerSide, VirtualTime, client_config, server_config};
use hapair::topology::Topology;
use rustls::pki_types::ServerName;
use rustls::time_provider::TimeProvider;
use rustls::{ClientConfig, ServerConfig};
use time::OffsetDateTime;

/// What the floor is measured with: the desktop's connection to the primary.
pub struct Floor {
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    name: ServerName<'static>,
    /// The sides the configurations come from (the simulator builds configs per handshake).
    sides: (ClientSide, ServerSide),
    time: Arc<dyn TimeProvider>,
}

impl Floor {
    /// One full in-memory handshake, timed.
    pub fn sample(&self) -> Duration {
        let start = Instant::now();
        let agreed = handshake(
            Arc::clone(&self.client),
            Arc::clone(&self.server),
            self.name.clone(),
        )
        .unwrap_or_else(|f| panic!("floor handshake: {:?} {} ({})", f.side, f.class, f.error));
        let elapsed = start.elapsed();
        assert_eq!(agreed.version, "1.3");
        std::hint::black_box(agreed);
        elapsed
    }

    /// What the simulator does per handshake on top of it: a client and a server
    /// configuration built from the sides (`transport::dial`, `tls_accept`), timed.
    #[allow(dead_code)] // the failover bench prices it; the suite bench does not
    pub fn configs(&self) -> Duration {
        let start = Instant::now();
        let c = client_config(&self.sides.0, Arc::clone(&self.time)).expect("client config");
        let s = server_config(&self.sides.1, Arc::clone(&self.time)).expect("server config");
        let elapsed = start.elapsed();
        std::hint::black_box((c, s));
        elapsed
    }

    /// And the server certificate parsed for the dialler's `HandshakeOk` (its subject), timed.
    #[allow(dead_code)] // the failover bench prices it; the suite bench does not
    pub fn parse(&self) -> Duration {
        let leaf = self.sides.1.identity.chain.first().expect("a leaf");
        let start = Instant::now();
        let info = CertInfo::from_der(leaf).expect("the leaf parses");
        let elapsed = start.elapsed();
        std::hint::black_box(info);
        elapsed
    }
}

/// The in-memory handshake configurations, built once from the desktop's connection.
pub fn floor(t: &Topology, m: &Material, clock: OffsetDateTime) -> Floor {
    let link = links(t)
        .into_iter()
        .find(|l| l.kind == LinkKind::Connection)
        .expect("the desktop's connection");
    let time = VirtualTime::fixed(clock).provider();
    let client = client_side(&link, m);
    let server = server_side(&link, m).expect("the port has a certificate");
    Floor {
        client: client_config(&client, Arc::clone(&time)).expect("client config"),
        server: server_config(&server, Arc::clone(&time)).expect("server config"),
        name: ServerName::try_from(server_name(&link)).expect("valid server name"),
        sides: (client, server),
        time,
    }
}
