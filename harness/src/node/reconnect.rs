//! How a client reconnects to a warm-standby pair: one server at a time, `attempts` tries on
//! the current one with a delay before each, then the other of the pair, alternating.
//!
//! Two sources set the numbers (see [`Policy::for_client`]):
//! - the server info of the server the connection names (Genesys `Reconnect Timeout`, 10 s,
//!   and `Attempts`, 1) [S-CFGSRV76];
//! - a client with a `[warm-standby]` options section is a Platform SDK warm-standby client:
//!   `retry-delay` (10 s) between attempts, which the primary's Reconnect Timeout overrides
//!   when it is set, and `attempts` [S-IW-BC], [psdk-src].
//!
//! The cadence is hapair's reading of "alternate between the primary and backup endpoints,
//! waiting the Reconnect Timeout between attempts" (notes §5 step 5); where the documents are
//! silent it assumes, and says so here:
//! - the first dial, at start, is at once; every later one waits the delay first;
//! - a lost session counts as its server's attempts used up: the next dial goes to the other
//!   server of the pair (a warm-standby client switches when its server goes away, as the PSDK's
//!   WarmStandbyService does);
//! - a failed dial counts one attempt; after `attempts` failed dials in a row on one server the
//!   client switches to the other;
//! - a warm-standby client's own `[warm-standby] attempts` applies when written, else the
//!   server info's Attempts (the documents say only that Reconnect Timeout overrides
//!   `retry-delay`); the PSDK's random delay range and backup delay are not modelled.

use std::time::Duration;

use super::World;
use crate::net::Net;
use crate::topology::App;

/// Reconnect Timeout when the server info does not set one (Genesys default).
pub(super) const DEFAULT_RECONNECT: Duration = Duration::from_secs(10);

/// The options section that makes a client a PSDK warm-standby client.
pub(super) const WARM_STANDBY: &str = "warm-standby";

/// How one client reconnects to one pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Policy {
    /// Waited before every dial but the first.
    pub delay: Duration,
    /// Failed dials in a row on one server before the client turns to the other (at least 1).
    pub attempts: u64,
}

impl Policy {
    /// The policy of `client` towards `target` (the server its connection names), as
    /// configured now: read before every dial (a change takes effect at the next connection).
    pub fn for_client<N: Net>(w: &World<N>, client: &str, target: &App) -> Self {
        let timeout = target.reconnect_timeout.as_ref().map(|t| t.value);
        let server_attempts = target.reconnect_attempts.as_ref().map(|a| a.value);
        let psdk = w
            .topology
            .app(client)
            .is_some_and(|a| a.options.iter().any(|s| s.name.value == WARM_STANDBY))
            .then(|| {
                let retry = w
                    .option_secs(client, WARM_STANDBY, "retry-delay")
                    .unwrap_or(DEFAULT_RECONNECT);
                let attempts = w.option(client, WARM_STANDBY, "attempts").and_then(|v| {
                    crate::topology::options::spec_for(false, WARM_STANDBY, "attempts")
                        .map(|spec| spec.count(Some(&v)))
                });
                (retry, attempts)
            });
        Self::from_sources(timeout, server_attempts, psdk)
    }

    /// The policy from the server info (`timeout`, `attempts`, each when set) and, for a
    /// PSDK warm-standby client, its `retry-delay` and `attempts` (when written).
    pub fn from_sources(
        timeout: Option<Duration>,
        attempts: Option<u64>,
        psdk: Option<(Duration, Option<u64>)>,
    ) -> Self {
        match psdk {
            None => Self::new(timeout.unwrap_or(DEFAULT_RECONNECT), attempts),
            // The server's Reconnect Timeout overrides `retry-delay` [S-IW-BC]; the client's
            // own `attempts` wins over the server info's (assumed).
            Some((retry, own)) => Self::new(timeout.unwrap_or(retry), own.or(attempts)),
        }
    }

    /// A policy with this delay and these attempts (1 when unset or 0).
    pub fn new(delay: Duration, attempts: Option<u64>) -> Self {
        Self {
            delay,
            attempts: attempts.unwrap_or(1).max(1),
        }
    }
}

/// How a dial ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// A session was established, and has ended.
    Lost,
    /// No session: the dial failed, or the server turned the client away.
    Failed,
}

/// What the client does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Next {
    /// Wait this long, then dial.
    pub wait: Duration,
    /// It turns to the other server, after this many attempts on the one it leaves.
    pub switched_after: Option<u64>,
}

/// Where a client is in its schedule: which server of the pair it dials (the one its
/// connection names, or the other), and how many dials failed there in a row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Cursor {
    /// The server dialled next is the other one, not the one the connection names.
    other: bool,
    /// Failed dials in a row on it.
    failed: u64,
}

impl Cursor {
    /// The one of `pair` (the server the connection names, then the other) dialled next.
    pub fn pick<T>(&self, pair: [T; 2]) -> T {
        let [named, other] = pair;
        if self.other { other } else { named }
    }

    /// The step after a dial on the current server ended so.
    pub fn after(&mut self, outcome: Outcome, policy: Policy) -> Next {
        let switch = match outcome {
            Outcome::Lost => Some(1),
            Outcome::Failed => {
                self.failed = self.failed.saturating_add(1);
                (self.failed >= policy.attempts).then_some(self.failed)
            }
        };
        if switch.is_some() {
            self.other = !self.other;
            self.failed = 0;
        }
        Next {
            wait: policy.delay,
            switched_after: switch,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The servers dialled and when (s), from a first dial at 0 and these outcomes.
    fn schedule(policy: Policy, outcomes: &[Outcome]) -> Vec<(usize, u64)> {
        let mut c = Cursor::default();
        let mut t = Duration::ZERO;
        let mut out = vec![(c.pick([0, 1]), 0)];
        for o in outcomes {
            let next = c.after(*o, policy);
            t = t.saturating_add(next.wait);
            out.push((c.pick([0, 1]), t.as_secs()));
        }
        out
    }

    #[test]
    fn with_one_attempt_the_client_alternates_every_reconnect_timeout() {
        use Outcome::Failed;
        let p = Policy::new(Duration::from_secs(10), None);
        assert_eq!(p.attempts, 1);
        assert_eq!(
            schedule(p, &[Failed, Failed, Failed]),
            [(0, 0), (1, 10), (0, 20), (1, 30)]
        );
    }

    #[test]
    fn with_three_attempts_it_tries_each_server_three_times_before_the_other() {
        use Outcome::Failed;
        let p = Policy::new(Duration::from_secs(5), Some(3));
        assert_eq!(
            schedule(p, &[Failed; 7]),
            [
                (0, 0),
                (0, 5),
                (0, 10),
                (1, 15),
                (1, 20),
                (1, 25),
                (0, 30),
                (0, 35)
            ]
        );
    }

    #[test]
    fn a_lost_session_turns_to_the_other_server_and_resets_the_count() {
        use Outcome::{Failed, Lost};
        let p = Policy::new(Duration::from_secs(10), Some(2));
        let mut c = Cursor::default();
        assert_eq!(c.after(Failed, p).switched_after, None);
        let next = c.after(Lost, p);
        assert_eq!((c.pick([0, 1]), next.switched_after), (1, Some(1)));
        assert_eq!(next.wait, Duration::from_secs(10));
        // Two failures on the other before it turns back: the count started again.
        assert_eq!(c.after(Failed, p).switched_after, None);
        assert_eq!(c.after(Failed, p).switched_after, Some(2));
        assert_eq!(c.pick([0, 1]), 0);
    }

    #[test]
    fn the_server_info_overrides_retry_delay_and_the_client_sets_its_attempts() {
        let s = Duration::from_secs;
        let p = |t, a, psdk| Policy::from_sources(t, a, psdk);
        assert_eq!(p(None, None, None), Policy::new(s(10), Some(1)));
        assert_eq!(p(Some(s(4)), Some(3), None), Policy::new(s(4), Some(3)));
        // A PSDK warm-standby client: retry-delay, unless the server sets Reconnect Timeout.
        assert_eq!(p(None, None, Some((s(7), None))), Policy::new(s(7), None));
        assert_eq!(
            p(Some(s(4)), None, Some((s(7), None))),
            Policy::new(s(4), None)
        );
        assert_eq!(
            p(None, Some(3), Some((s(7), Some(2)))),
            Policy::new(s(7), Some(2))
        );
        assert_eq!(
            p(None, Some(3), Some((s(7), None))),
            Policy::new(s(7), Some(3))
        );
    }

    #[test]
    fn zero_attempts_read_as_one() {
        assert_eq!(Policy::new(Duration::ZERO, Some(0)).attempts, 1);
    }
}
