//! The liveness bound derived from a topology's own timeouts: how long after the faults are
//! lifted a correct pair may take to converge. Each part is the longest wait of its kind in
//! the topology (options set by the scenario's steps count too, the longest value winning):
//!
//! - host ADDP: the SCS notices a silent host after `2 × addp-timeout` (a poll after the
//!   timeout of silence, and the timeout again for the answer);
//! - the SCS's `disconnect-switchover-timeout` (it waits that long before it fails a lost
//!   host's primary over);
//! - the HA link's ADDP: `[backup-sync] addp-timeout + addp-remote-timeout` of either member;
//! - client reconnection: `reconnect-timeout × (attempts + 1)` of the server dialled (a
//!   client tries one server `attempts` times, then the other of the pair), and warm standby's
//!   `retry-delay × (attempts + 1)`;
//! - client ADDP: `local-timeout + remote-timeout` of the connection;
//! - the SIP Server readiness delay (`[hapair] sip-readiness-delay`, 60 s by default);
//! - a fixed slack for restarts, handshakes and the full resync ([`SLACK`]).
//!
//! The minimum a `[liveness] within` may say is the longest client `reconnect-timeout`: a
//! client that lost its server at the lift waits it out before it dials again.

use std::time::Duration;

use crate::fault::Fault;
use crate::scenario::Step;
use crate::topology::options::spec_for;
use crate::topology::{App, AppType, Topology};

/// Restarts, handshakes and a full resynchronisation, which take no configured time.
pub const SLACK: Duration = Duration::from_secs(5);

/// Genesys's reconnect timeout when a server sets none.
const RECONNECT: Duration = Duration::from_secs(10);

/// The bound, with the parts it adds up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bound {
    /// The sum of the parts.
    pub total: Duration,
    /// Each part: its name as the docs give it, and its length.
    pub parts: Vec<(&'static str, Duration)>,
    /// The least a `within` may say (the longest client reconnect-timeout).
    pub minimum: Duration,
}

impl Bound {
    /// The parts in words: `2 × host addp-timeout 18s + … = 40s`.
    pub fn formula(&self) -> String {
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(|(name, d)| format!("{name} {}", crate::fault::duration_text(*d)))
            .collect();
        format!(
            "{} = {}",
            parts.join(" + "),
            crate::fault::duration_text(self.total)
        )
    }
}

/// The bound of `t` with the options `steps` set.
pub fn derive(t: &Topology, steps: &[Step]) -> Bound {
    let members: Vec<&App> = t.pairs().flat_map(|p| [p.primary, p.backup]).collect();
    let read = |app: &App, section: &str, key: &str| option_secs(app, steps, section, key);
    let host_addp = members
        .iter()
        .filter_map(|a| t.host_of(a))
        .map(|h| h.addp_timeout.value)
        .max()
        .unwrap_or_default();
    let scs_wait = t
        .apps
        .iter()
        .filter(|a| a.kind.value == AppType::Scs)
        .map(|a| read(a, "general", "disconnect-switchover-timeout"))
        .max()
        .unwrap_or_default();
    let ha_addp = members
        .iter()
        .map(|a| {
            read(a, "backup-sync", "addp-timeout").saturating_add(read(
                a,
                "backup-sync",
                "addp-remote-timeout",
            ))
        })
        .max()
        .unwrap_or_default();
    let served =
        |c: &&crate::topology::Connection| members.iter().any(|m| m.name.value == c.to.value);
    let reconnect = t
        .connections
        .iter()
        .filter(served)
        .filter_map(|c| t.app(&c.to.value))
        .map(|to| {
            let wait = to.reconnect_timeout.as_ref().map_or(RECONNECT, |d| d.value);
            let attempts = to.reconnect_attempts.as_ref().map_or(1, |a| a.value);
            wait.saturating_mul(u32::try_from(attempts.saturating_add(1)).unwrap_or(u32::MAX))
        })
        .max()
        .unwrap_or_default();
    let warm = members
        .iter()
        .map(|a| {
            let attempts = spec_for(false, "warm-standby", "attempts").map_or(1, |s| {
                s.count(
                    a.option("warm-standby", "attempts")
                        .map(|v| v.value.as_str()),
                )
            });
            read(a, "warm-standby", "retry-delay")
                .saturating_mul(u32::try_from(attempts.saturating_add(1)).unwrap_or(u32::MAX))
        })
        .max()
        .unwrap_or_default();
    let client_addp = t
        .connections
        .iter()
        .filter(served)
        .filter_map(|c| c.addp.as_ref())
        .map(|a| {
            let d = |x: &Option<crate::diag::Sp<Duration>>| {
                x.as_ref().map_or(Duration::ZERO, |v| v.value)
            };
            d(&a.local).saturating_add(d(&a.remote))
        })
        .max()
        .unwrap_or_default();
    let readiness = members
        .iter()
        .filter(|a| a.kind.value == AppType::SipServer)
        .map(|a| read(a, "hapair", "sip-readiness-delay"))
        .max()
        .unwrap_or_default();
    let minimum = t
        .connections
        .iter()
        .filter(served)
        .filter_map(|c| t.app(&c.to.value))
        .map(|to| to.reconnect_timeout.as_ref().map_or(RECONNECT, |d| d.value))
        .max()
        .unwrap_or_default();
    let parts = vec![
        ("2 × host addp-timeout", host_addp.saturating_mul(2)),
        ("disconnect-switchover-timeout", scs_wait),
        ("HA link ADDP", ha_addp),
        ("client reconnection", reconnect.max(warm)),
        ("client ADDP", client_addp),
        ("SIP readiness delay", readiness),
        ("slack", SLACK),
    ];
    let parts: Vec<(&'static str, Duration)> = parts
        .into_iter()
        .filter(|(name, d)| !d.is_zero() || *name == "slack")
        .collect();
    let total = parts
        .iter()
        .fold(Duration::ZERO, |sum, (_, d)| sum.saturating_add(*d));
    Bound {
        total,
        parts,
        minimum,
    }
}

/// An honoured seconds option of `app`: the longest of its configured value and every value
/// the steps set (the default when none is set; zero when the function is off).
fn option_secs(app: &App, steps: &[Step], section: &str, key: &str) -> Duration {
    let Some(spec) = spec_for(false, section, key) else {
        return Duration::ZERO;
    };
    let configured = app.option(section, key).map(|v| v.value.as_str());
    let set = steps.iter().filter_map(|s| match &s.fault {
        Fault::Option {
            app: a,
            section: sec,
            key: k,
            value,
        } if a.as_str() == app.name.value && sec == section && k == key => Some(value.as_str()),
        _ => None,
    });
    std::iter::once(configured)
        .chain(set.map(Some))
        .filter_map(|v| spec.secs(v))
        .max()
        .unwrap_or_default()
}
