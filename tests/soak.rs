//! Long runs: a simulated host must be able to dial forever. A failed dial (refused, or
//! abandoned by a timeout while the peer is silent) gives its ephemeral port back; before the
//! turmoil patch (`vendor/turmoil/HAPAIR.md`) every one leaked a port and a client retrying once
//! a second against an unreachable peer hit turmoil's "ports exhausted" panic after about 4.5 h
//! of virtual time. The soak scenario (`tests/soak/`, outside the `scenarios/` suite because it
//! runs a whole virtual day) checks the same at the pair's level.

use std::path::Path;
use std::time::Duration;

use turmoil::net::TcpStream;

/// A small ephemeral range, so that a leak shows after a few dozen dials.
const PORTS: std::ops::RangeInclusive<u16> = 49152..=49161;
/// Dials per case: several times the range.
const DIALS: u32 = 60;

/// How the peer fails to answer.
#[derive(Clone, Copy, Debug)]
enum Peer {
    /// Up, but nothing listens on the port: the SYN is refused at once.
    Refusing,
    /// Partitioned from the dialler: the SYN is dropped on the link (turmoil refuses too).
    Partitioned,
    /// Crashed: the SYN waits for the host, the dial is abandoned by its timeout.
    Crashed,
    /// Links held: the SYN waits on the link, the dial is abandoned by its timeout.
    Held,
}

/// Dials an unreachable peer `DIALS` times from one host with a 10-port range; each dial must
/// fail (refused or timed out), and the run must end without turmoil's "ports exhausted".
fn dial_repeatedly(peer: Peer) {
    let mut sim = turmoil::Builder::new()
        .ephemeral_ports(PORTS)
        .simulation_duration(Duration::from_secs(3600))
        .build();
    sim.host("peer", || async {
        std::future::pending::<()>().await;
        Ok(())
    });
    sim.client("dialler", async move {
        for i in 0..DIALS {
            let dial = TcpStream::connect(("peer", 9000));
            // Refused (an error) or abandoned (the timeout): either must free the port.
            if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(200), dial).await {
                return Err(format!("{peer:?}: dial {i} connected").into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    });
    match peer {
        Peer::Refusing => {}
        Peer::Partitioned => sim.partition("dialler", "peer"),
        Peer::Crashed => sim.crash("peer"),
        Peer::Held => sim.hold("dialler", "peer"),
    }
    if let Err(e) = sim.run() {
        panic!("{peer:?}: {e}");
    }
}

#[test]
fn refused_dials_give_their_port_back() {
    dial_repeatedly(Peer::Refusing);
}

#[test]
fn dials_to_a_partitioned_peer_give_their_port_back() {
    dial_repeatedly(Peer::Partitioned);
}

#[test]
fn timed_out_dials_to_a_crashed_peer_give_their_port_back() {
    dial_repeatedly(Peer::Crashed);
}

#[test]
fn timed_out_dials_over_a_held_link_give_their_port_back() {
    dial_repeatedly(Peer::Held);
}

/// A dial that succeeds after many failed ones still works, and its stream carries data.
#[test]
fn a_dial_after_many_failures_connects() {
    let mut sim = turmoil::Builder::new()
        .ephemeral_ports(PORTS)
        .simulation_duration(Duration::from_secs(3600))
        .build();
    sim.host("peer", || async {
        // Nothing listens for the first 10 s.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let listener = turmoil::net::TcpListener::bind(("0.0.0.0", 9000)).await?;
        let (mut s, _) = listener.accept().await?;
        tokio::io::AsyncWriteExt::write_all(&mut s, b"hello").await?;
        std::future::pending::<()>().await;
        Ok(())
    });
    sim.client("dialler", async move {
        let mut failures = 0;
        let mut stream = loop {
            match TcpStream::connect(("peer", 9000)).await {
                Ok(s) => break s,
                Err(_) => failures += 1,
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(failures > 2 * PORTS.len(), "only {failures} failed dials");
        let mut buf = [0u8; 5];
        tokio::io::AsyncReadExt::read_exact(&mut stream, &mut buf).await?;
        assert_eq!(&buf, b"hello");
        Ok(())
    });
    if let Err(e) = sim.run() {
        panic!("{e}");
    }
}

/// A virtual day with the backup's host cut off from the primary and the desktop: the backup
/// redials the primary's HA-sync port every second, the desktop the backup every 10 s, all
/// refused. It must run to its end and its expectations hold.
#[test]
fn a_day_with_the_backups_host_cut_off() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/soak/backup-cut-off-24h.toml");
    let scenario =
        hapair::scenario::load(&path).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    assert!(scenario.duration >= Duration::from_secs(24 * 3600));
    let outcome = hapair::execute::execute(&scenario, scenario.seed)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(outcome.passed(), "{:#?}", outcome.verdicts);
}

/// A connection storm larger than a listener's accept queue (`tcp_capacity`) is refused in
/// part, as a real host's full backlog would, instead of panicking the simulation ("server
/// socket buffer full" ended a run of 4,990 desktops dialling one port at start-up).
#[test]
fn a_full_accept_queue_refuses_instead_of_panicking() {
    let mut sim = turmoil::Builder::new()
        .tcp_capacity(4)
        .simulation_duration(Duration::from_secs(60))
        .build();
    sim.host("server", || async {
        let listener = turmoil::net::TcpListener::bind(("0.0.0.0", 9000)).await?;
        // Accepts nothing for a while: the queue fills.
        tokio::time::sleep(Duration::from_secs(5)).await;
        loop {
            let _ = listener.accept().await?;
        }
    });
    for i in 0..12 {
        sim.client(format!("client-{i}"), async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let dial = TcpStream::connect(("server", 9000));
            // Queued (connects once accepted) or refused: both are fine, a panic is not.
            let _ = tokio::time::timeout(Duration::from_secs(10), dial).await;
            Ok(())
        });
    }
    if let Err(e) = sim.run() {
        panic!("{e}");
    }
}
