//! TCP across an explicit partition (`vendor/turmoil/src/top/retransmit.rs`): what a partition
//! swallows is retransmitted on Linux's schedule (200 ms doubling to 120 s, 15 times), arrives
//! with the first retransmission after the heal, and a connection still cut 924.6 s after the
//! first loss is aborted by its sender. A crashed host retransmits nothing; a rebooted one
//! answers a retransmission with a reset; a release heals as a repair does. Before the patch
//! the swallowed segment was dropped and the receiver waited for its sequence number forever:
//! a 5 s partition wedged a session with nothing delivered on it again (the first test fails
//! without the patch).
//!
//! Raw turmoil, one millisecond of latency each way, so the instants are exact.

use std::io::ErrorKind;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use turmoil::net::{TcpListener, TcpStream};

const MS: Duration = Duration::from_millis(1);

/// What one side read, at the simulation's time, and how its reads ended.
#[derive(Debug, Default)]
struct Seen {
    bytes: Vec<(u8, Duration)>,
    ended: Option<(ErrorKind, Duration)>,
}

type Log = Arc<Mutex<Seen>>;

fn lock(log: &Log) -> MutexGuard<'_, Seen> {
    log.lock().unwrap_or_else(PoisonError::into_inner)
}

fn now() -> Duration {
    turmoil::sim_elapsed().unwrap_or_default()
}

/// Sleeps until `at_ms` of simulation time.
async fn until(at_ms: u64) {
    let at = Duration::from_millis(at_ms);
    tokio::time::sleep(at.saturating_sub(now())).await;
}

/// Reads to the end into `log`.
async fn record(mut read: impl AsyncRead + Unpin, log: Log) {
    let mut buf = [0_u8; 64];
    loop {
        match read.read(&mut buf).await {
            Ok(0) => {
                lock(&log).ended = Some((ErrorKind::UnexpectedEof, now()));
                return;
            }
            Ok(n) => {
                let at = now();
                lock(&log).bytes.extend(buf[..n].iter().map(|b| (*b, at)));
            }
            Err(e) => {
                lock(&log).ended = Some((e.kind(), now()));
                return;
            }
        }
    }
}

/// One side of the connection: writes `sends` (bytes at instants, ms) and logs what it reads,
/// then waits forever (the host stays up).
async fn side(stream: TcpStream, sends: &'static [(u8, u64)], log: Log) {
    let (read, mut write) = stream.into_split();
    tokio::task::spawn_local(async move {
        for &(b, at) in sends {
            until(at).await;
            if write.write_all(&[b]).await.is_err() {
                return;
            }
        }
        std::future::pending::<()>().await;
    });
    record(read, log).await;
    std::future::pending::<()>().await;
}

/// A server on "srv" (port 9000) and a client on "cli" connected to it at start: each side
/// writes its bytes at their instants (ms) and logs what it reads. The simulation is returned
/// unstepped, with the logs (server's, client's).
fn pair(
    to_server: &'static [(u8, u64)],
    to_client: &'static [(u8, u64)],
) -> (turmoil::Sim<'static>, Log, Log) {
    let (server, client) = (Log::default(), Log::default());
    let mut sim = turmoil::Builder::new()
        .min_message_latency(MS)
        .max_message_latency(MS)
        .simulation_duration(Duration::from_secs(1_100))
        .build();
    let log = server.clone();
    sim.host("srv", move || {
        let log = log.clone();
        async move {
            let listener = TcpListener::bind(("0.0.0.0", 9000)).await?;
            let (stream, _) = listener.accept().await?;
            side(stream, to_client, log).await;
            Ok(())
        }
    });
    let log = client.clone();
    sim.host("cli", move || {
        let log = log.clone();
        async move {
            let stream = TcpStream::connect(("srv", 9000)).await?;
            side(stream, to_server, log).await;
            Ok(())
        }
    });
    (sim, server, client)
}

/// Steps `sim` by 1 ms until `at_ms` of simulation time.
fn step_to(sim: &mut turmoil::Sim<'_>, at_ms: u64) {
    step_by_to(sim, MS, at_ms);
}

/// Steps `sim` by `tick` until `at_ms` (long quiet stretches are stepped coarsely).
fn step_by_to(sim: &mut turmoil::Sim<'_>, tick: Duration, at_ms: u64) {
    while sim.elapsed() < Duration::from_millis(at_ms) {
        if let Err(e) = sim.step_by(tick) {
            panic!("the simulation failed: {e}");
        }
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[test]
fn a_segment_sent_into_a_partition_arrives_with_the_first_retransmission_after_the_heal() {
    // Byte 1 before the cut; byte 2 into it at 2 s (first lost then); byte 3 after the heal.
    let (mut sim, server, _) = pair(&[(1, 1_000), (2, 2_000), (3, 6_500)], &[]);
    step_to(&mut sim, 1_500);
    sim.partition("cli", "srv");
    step_to(&mut sim, 6_000);
    sim.repair("cli", "srv");
    step_to(&mut sim, 12_000);
    let seen = lock(&server);
    let at = |b: u8| {
        seen.bytes
            .iter()
            .find(|(x, _)| *x == b)
            .map(|(_, t)| ms(*t))
    };
    assert_eq!(at(1), Some(1_001), "{seen:?}");
    // Retransmissions at 2.2, 2.6, 3.4, 5.0, 8.2 s after... the first after the heal (6 s) is
    // at 2 s + 6.2 s; one millisecond of latency, and the next tick.
    let two = at(2).unwrap_or_else(|| panic!("byte 2 never arrived: {seen:?}"));
    assert!((8_200..=8_202).contains(&two), "byte 2 at {two} ms");
    // Byte 3, sent at 6.5 s, waits behind it: the receiver reorders by sequence number.
    let three = at(3).unwrap_or_else(|| panic!("byte 3 never arrived: {seen:?}"));
    assert!(
        three >= two,
        "byte 3 at {three} ms overtook byte 2 at {two} ms"
    );
    assert_eq!(seen.ended, None, "the connection survives the partition");
}

/// A byte sent into a partition at 2 s, the partition healed at `heal_ms` if given; returns
/// how and when the client's reads ended, and the server's log.
fn cut_for_long(heal_ms: Option<u64>) -> ((ErrorKind, Duration), Log) {
    let (mut sim, server, client) = pair(&[(1, 2_000)], &[]);
    step_to(&mut sim, 1_500);
    sim.partition("cli", "srv");
    step_to(&mut sim, 2_500);
    if let Some(heal) = heal_ms {
        step_by_to(&mut sim, MS * 100, heal);
        sim.repair("cli", "srv");
    }
    step_by_to(&mut sim, MS * 100, 920_000);
    step_to(&mut sim, 930_000);
    let ended = lock(&client)
        .ended
        .expect("the client's connection is aborted");
    (ended, server)
}

#[test]
fn a_partition_longer_than_the_retransmissions_aborts_the_senders_connection() {
    // 924.6 s after the first loss (2 s), the client's stack gives up.
    let ((kind, at), server) = cut_for_long(None);
    assert_eq!(kind, ErrorKind::ConnectionReset);
    assert!((926_600..=926_602).contains(&ms(at)), "aborted at {at:?}");
    // The server heard nothing: no byte, and its side is still open (the abort's reset is
    // the client's own).
    let seen = lock(&server);
    assert!(seen.bytes.is_empty(), "{seen:?}");
    assert_eq!(seen.ended, None);
}

#[test]
fn a_heal_after_the_last_retransmission_still_ends_in_the_abort() {
    // The last retransmission is 804.6 s after the loss: healed after it, nothing is sent again.
    let ((kind, at), _) = cut_for_long(Some(850_000));
    assert_eq!(kind, ErrorKind::ConnectionReset);
    assert!((926_600..=926_602).contains(&ms(at)), "aborted at {at:?}");
}

#[test]
fn a_host_that_lost_power_retransmits_nothing() {
    let (mut sim, server, _) = pair(&[(1, 2_000)], &[]);
    step_to(&mut sim, 1_500);
    sim.partition("cli", "srv");
    step_to(&mut sim, 3_000);
    sim.crash("cli");
    step_to(&mut sim, 6_000);
    sim.repair("cli", "srv");
    step_to(&mut sim, 20_000);
    let seen = lock(&server);
    assert!(
        seen.bytes.is_empty(),
        "a dead host's segment arrived: {seen:?}"
    );
}

#[test]
fn a_rebooted_host_answers_a_retransmission_with_a_reset() {
    // The server writes into the partition; the client's host reboots before the heal.
    let (mut sim, server, _) = pair(&[], &[(7, 2_000)]);
    step_to(&mut sim, 1_500);
    sim.partition("cli", "srv");
    step_to(&mut sim, 3_000);
    sim.crash("cli");
    step_to(&mut sim, 4_000);
    sim.bounce("cli");
    step_to(&mut sim, 6_000);
    sim.repair("cli", "srv");
    step_to(&mut sim, 20_000);
    // Retransmitted at 8.2 s, answered with a reset by a host with no such connection.
    let (kind, at) = lock(&server)
        .ended
        .expect("the server's connection is reset");
    assert_eq!(kind, ErrorKind::ConnectionReset);
    assert!((8_200..=8_205).contains(&ms(at)), "reset at {at:?}");
}

#[test]
fn a_release_heals_what_a_partition_swallowed_too() {
    // A hold, then a partition over it, lifted by a release alone: the link is healthy again
    // and the swallowed byte goes with its next retransmission (before the fix it stayed
    // swallowed until the sender aborted at 924.6 s).
    let (mut sim, server, _) = pair(&[(1, 2_000)], &[]);
    step_to(&mut sim, 1_000);
    sim.hold("cli", "srv");
    sim.partition("cli", "srv");
    step_to(&mut sim, 6_000);
    sim.release("cli", "srv");
    step_to(&mut sim, 12_000);
    let seen = lock(&server);
    let at = seen.bytes.first().map(|(_, t)| ms(*t));
    assert!(
        at.is_some_and(|t| (8_200..=8_202).contains(&t)),
        "byte 1 at {at:?}: {seen:?}"
    );
}
