//! (hapair patch.) TCP retransmission across an explicit partition.
//!
//! A data or FIN segment that an explicit partition swallows (in flight when the link is cut,
//! or sent while it is cut) is not gone: the sender's stack keeps it and retransmits it on
//! Linux's schedule, the retransmission timeout starting at `TCP_RTO_MIN` (200 ms) and doubling
//! up to `TCP_RTO_MAX` (120 s), for `tcp_retries2` (15) retransmissions, after which the
//! connection is aborted (924.6 s after the first loss). Once the partition is healed the
//! segment arrives with the first retransmission after the heal; the receiver's reordering by
//! sequence number holds back whatever followed it, and a sender whose connection is in loss
//! recovery sends nothing new meanwhile (its congestion window is one segment), so that
//! instant is when the connection moves again. Upstream dropped the segment, and the
//! receiver waited for its sequence number forever on a connection still up.

use std::time::Duration;

use tokio::time::Instant;

/// The first retransmission timeout (Linux's `TCP_RTO_MIN`).
const RTO_MIN: Duration = Duration::from_millis(200);

/// The largest retransmission timeout (Linux's `TCP_RTO_MAX`).
const RTO_MAX: Duration = Duration::from_secs(120);

/// How many times a segment is retransmitted before the connection is aborted (Linux's
/// `tcp_retries2` default).
const RETRIES: u32 = 15;

/// The timeouts, one per retransmission and one more after the last (then the abort).
fn timeouts() -> impl Iterator<Item = Duration> {
    (0..=RETRIES).map(|k| RTO_MIN.saturating_mul(1 << k.min(20)).min(RTO_MAX))
}

/// How long after its first loss each retransmission of a segment is sent.
pub(super) fn offsets() -> impl Iterator<Item = Duration> {
    timeouts().take(RETRIES as usize).scan(Duration::ZERO, |at, t| {
        *at += t;
        Some(*at)
    })
}

/// How long after its first loss a segment still unacknowledged aborts its connection
/// (924.6 s with Linux's defaults).
pub(super) fn abort_after() -> Duration {
    timeouts().sum()
}

/// The first retransmission, of a segment first lost at `since`, sent at or after `now`;
/// `None` when the last one has passed (the connection is aborted at `since + abort_after()`).
pub(super) fn next_after(since: Instant, now: Instant) -> Option<Instant> {
    offsets().map(|o| since + o).find(|at| *at >= now)
}
