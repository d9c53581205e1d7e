//! The faults a run injects, as data: one vocabulary for scenario files (what users write), the
//! plan (a fault at an instant), the engine and, later, fault sweeps and their shrinker.
//!
//! A fault names applications and hosts by typed references ([`AppRef`], [`HostRef`]);
//! certificates and CAs by their `[pki]` names. It holds no key material and no engine state:
//! faults on processes and their configuration are applied through the node control board
//! (`node::Board::apply`), faults on the network by the engine (`engine::apply`).
//!
//! Its serde form is the scenario file's (`crash = "ts_primary"`,
//! `latency = { between = ["ts-a", "ts-b"], delay = "200ms" }`: [`Entry`] below), so a fault
//! drawn or shrunk in code can be written back as a scenario step. Deserialising checks what
//! the form alone can (durations, ranges, two different hosts); whether the names exist is the
//! topology's to say, which the scenario loader checks with located problems.
//!
//! A new fault is a variant here (with its name and file form), its decoding with located
//! problems in `scenario/steps.rs`, and its effect in `node/board.rs` (on a node) or
//! `engine/apply.rs` (on the network).

mod refs;
#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use refs::{AppRef, HostRef};

use crate::pki::Reissue;
use crate::topology::pki::Profile;
use crate::topology::value::parse_duration;

/// One fault, named as scenario files name it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "Entry", try_from = "Entry")]
pub enum Fault {
    /// `crash = "APP"`: the application's process dies; its host lives.
    Crash {
        /// The application.
        app: AppRef,
    },
    /// `restart = "APP"`: the process starts again (as backup, when its partner is primary).
    Restart {
        /// The application.
        app: AppRef,
    },
    /// `power-off = "HOST"`: the host goes silent, partitioned from every host, then crashed.
    PowerOff {
        /// The host.
        host: HostRef,
    },
    /// `power-on = "HOST"`: the host comes back, repaired and restarted.
    PowerOn {
        /// The host.
        host: HostRef,
    },
    /// `partition = ["A", "B"]`: messages between two hosts are dropped.
    Partition {
        /// One host.
        a: HostRef,
        /// The other.
        b: HostRef,
    },
    /// `heal = ["A", "B"]`: a partition is repaired.
    Heal {
        /// One host.
        a: HostRef,
        /// The other.
        b: HostRef,
    },
    /// `hold = ["A", "B"]`: messages between two hosts are held.
    Hold {
        /// One host.
        a: HostRef,
        /// The other.
        b: HostRef,
    },
    /// `release = ["A", "B"]`: held messages are delivered.
    Release {
        /// One host.
        a: HostRef,
        /// The other.
        b: HostRef,
    },
    /// `latency = { between = [A, B], delay = "200ms" }`.
    Latency {
        /// One host.
        a: HostRef,
        /// The other.
        b: HostRef,
        /// One-way latency on the link from now on.
        delay: Duration,
    },
    /// `loss = { between = [A, B], rate = 0.1 }`.
    Loss {
        /// One host.
        a: HostRef,
        /// The other.
        b: HostRef,
        /// Failure rate of the link, 0 to 1.
        rate: f64,
    },
    /// `skew = { host = "H", by = "400d" }` (negative: `by = "-1h"`): the host's clock is off,
    /// which TLS validity reads.
    Skew {
        /// The host.
        host: HostRef,
        /// How far off, in seconds.
        seconds: i64,
    },
    /// `rotate = { cert = "NAME", issuer = "CA", profile = "other-ca" }`: the certificate is
    /// re-issued (by default a clean renewal by its own CA); new handshakes use the new one.
    Rotate {
        /// The `[pki.cert]` name.
        cert: String,
        /// The `[pki.ca]` that signs the new certificate (`None`: the certificate's own).
        issuer: Option<String>,
        /// A fault profile for the new certificate (`None`: a clean one).
        profile: Option<Profile>,
    },
    /// `trust = { app = "APP", trusted-ca = ["CA", …] }` (or `host = "HOST"`): the trusted
    /// CAs of an application or host change, as an operator would edit `trusted-ca`.
    Trust {
        /// Whose `trusted-ca` changes.
        scope: Scope,
        /// The `[pki.ca]` names trusted from now on.
        cas: Vec<String>,
    },
    /// `switchover = "APP"` or `switchover = { to = "APP" }`: the operator orders a manual
    /// switchover.
    Switchover {
        /// What the operator asks the SCS for.
        order: Order,
    },
    /// `traffic = { from = "CLIENT", rate = "20/s" }`.
    Traffic {
        /// The client application.
        from: AppRef,
        /// Requests per second (0: off).
        rate: f64,
    },
    /// `option = { app = "APP", section = "S", key = "K", value = "V" }`: an option is set, as
    /// an operator would in Configuration Manager; nodes read it where it takes effect.
    Option {
        /// The application.
        app: AppRef,
        /// The option's section.
        section: String,
        /// The option's key.
        key: String,
        /// Its new value (Configuration Manager stores text).
        value: String,
    },
    // Step 9, source: call traffic.
    /// `calls = { source = "TS", count = 1000, rate = "50/s", agents = 20, keys = 2 }`: the
    /// switch places `count` calls at `rate` for the data-source pair of `source`, answered
    /// by `agents` agents it logs in first; each call carries `keys` attached-data keys.
    Calls(Calls),
    // Step 9, part icon: the IDB and the DAP.
    /// `idb-refuse = "DB"`: the `[database.KEY]` refuses writes (its disk filled, a DBA set it
    /// read-only), until `idb-accept`.
    IdbRefuse {
        /// The `[database.KEY]`.
        db: String,
    },
    /// `idb-accept = "DB"`: the database accepts writes again.
    IdbAccept {
        /// The `[database.KEY]`.
        db: String,
    },
    /// `dap-database = { dap = "DAP", database = "DB" }`: the DAP is pointed at another
    /// database; an ICON writing through it reads that at its next start.
    DapDatabase {
        /// The DAP application.
        dap: AppRef,
        /// The `[database.KEY]` it now names.
        database: String,
    },
}

/// What a `calls` step orders of the switch (`node/switch.rs`).
#[derive(Clone, Debug, PartialEq)]
pub struct Calls {
    /// An application of the data-source pair (T-Server, SIP Server, Interaction Server).
    pub source: AppRef,
    /// How many calls, 1 to [`MAX_CALLS`](crate::limits::MAX_CALLS).
    pub count: u64,
    /// New calls per second, as `traffic` writes rates (0.001 to 10000).
    pub rate: f64,
    /// Agents logged in to answer them, 1 to [`MAX_CALL_AGENTS`](crate::limits::MAX_CALL_AGENTS).
    pub agents: u64,
    /// Attached-data keys set on each call when it rings, 0 to
    /// [`MAX_CALL_KEYS`](crate::limits::MAX_CALL_KEYS).
    pub keys: u64,
}

impl Calls {
    /// Agents when a step does not say.
    pub const AGENTS: u64 = 10;
    /// Attached-data keys per call when a step does not say.
    pub const KEYS: u64 = 2;

    /// Why the numbers are out of bounds, if they are (the loader says it with a location).
    ///
    /// # Errors
    /// A sentence naming the field and its bounds.
    pub fn check(count: u64, agents: u64, keys: u64) -> Result<(), String> {
        use crate::limits::{MAX_CALL_AGENTS, MAX_CALL_KEYS, MAX_CALLS};
        if !(1..=MAX_CALLS).contains(&count) {
            return Err(format!("`count` is how many calls, 1 to {MAX_CALLS}"));
        }
        if !(1..=MAX_CALL_AGENTS).contains(&agents) {
            return Err(format!("`agents` is 1 to {MAX_CALL_AGENTS} agents"));
        }
        if keys > MAX_CALL_KEYS {
            return Err(format!(
                "`keys` is 0 to {MAX_CALL_KEYS} attached-data keys per call"
            ));
        }
        Ok(())
    }
}

/// Every fault's name, as scenario files and the trace write it.
pub const NAMES: [&str; 20] = [
    "crash",
    "restart",
    "power-off",
    "power-on",
    "partition",
    "heal",
    "hold",
    "release",
    "latency",
    "loss",
    "skew",
    "rotate",
    "switchover",
    "traffic",
    "option",
    "trust",
    // Step 9, source.
    "calls",
    // Step 9, part icon.
    "idb-refuse",
    "idb-accept",
    "dap-database",
];

impl Fault {
    /// The fault's name: its key in a scenario step, and its label in the trace.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Crash { .. } => "crash",
            Fault::Restart { .. } => "restart",
            Fault::PowerOff { .. } => "power-off",
            Fault::PowerOn { .. } => "power-on",
            Fault::Partition { .. } => "partition",
            Fault::Heal { .. } => "heal",
            Fault::Hold { .. } => "hold",
            Fault::Release { .. } => "release",
            Fault::Latency { .. } => "latency",
            Fault::Loss { .. } => "loss",
            Fault::Skew { .. } => "skew",
            Fault::Rotate { .. } => "rotate",
            Fault::Trust { .. } => "trust",
            Fault::Switchover { .. } => "switchover",
            Fault::Traffic { .. } => "traffic",
            Fault::Option { .. } => "option",
            Fault::Calls(_) => "calls",
            Fault::IdbRefuse { .. } => "idb-refuse",
            Fault::IdbAccept { .. } => "idb-accept",
            Fault::DapDatabase { .. } => "dap-database",
        }
    }

    /// Whether the engine applies it (the network, or a whole host's power); the others go
    /// through the node control board.
    pub fn on_network(&self) -> bool {
        matches!(
            self,
            Fault::PowerOff { .. }
                | Fault::PowerOn { .. }
                | Fault::Partition { .. }
                | Fault::Heal { .. }
                | Fault::Hold { .. }
                | Fault::Release { .. }
                | Fault::Latency { .. }
                | Fault::Loss { .. }
        )
    }

    /// For a rotation, what the CA is asked to re-issue.
    pub fn reissue(&self) -> Option<Reissue> {
        match self {
            Fault::Rotate {
                cert,
                issuer,
                profile,
            } => Some(Reissue {
                cert: cert.clone(),
                issuer: issuer.clone(),
                profile: *profile,
            }),
            _ => None,
        }
    }
}

/// A fault names something the run does not have (an application, host, certificate or CA):
/// possible only for a fault built in code, since the scenario loader checks every name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Missing(pub String);

/// Whose trusted CAs a [`Fault::Trust`] changes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// An application object.
    App(AppRef),
    /// A host object.
    Host(HostRef),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::App(a) => write!(f, "application {a}"),
            Scope::Host(h) => write!(f, "host {h}"),
        }
    }
}

/// A manual switchover an operator orders (Genesys Administrator's "switch to primary").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Order {
    /// The pair this application belongs to switches: its current backup becomes primary,
    /// whichever instance that is now (so the same order twice switches back).
    Pair(AppRef),
    /// This application becomes primary; refused when it already is.
    To(AppRef),
}

impl Order {
    /// The application the order names.
    pub fn app(&self) -> &str {
        match self {
            Order::Pair(a) | Order::To(a) => a.as_str(),
        }
    }
}

/// One fault as a step writes it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
enum Entry {
    Crash(AppRef),
    Restart(AppRef),
    PowerOff(HostRef),
    PowerOn(HostRef),
    Partition([HostRef; 2]),
    Heal([HostRef; 2]),
    Hold([HostRef; 2]),
    Release([HostRef; 2]),
    Latency {
        between: [HostRef; 2],
        delay: String,
    },
    Loss {
        between: [HostRef; 2],
        rate: f64,
    },
    Skew {
        host: HostRef,
        by: String,
    },
    Rotate {
        cert: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        issuer: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        profile: Option<Profile>,
    },
    Trust {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        app: Option<AppRef>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        host: Option<HostRef>,
        #[serde(rename = "trusted-ca")]
        trusted_ca: Vec<String>,
    },
    Switchover(Switch),
    Traffic {
        from: AppRef,
        rate: String,
    },
    Option {
        app: AppRef,
        section: String,
        key: String,
        value: Text,
    },
    Calls {
        source: AppRef,
        count: u64,
        rate: String,
        #[serde(default = "default_agents")]
        agents: u64,
        #[serde(default = "default_keys")]
        keys: u64,
    },
    IdbRefuse(String),
    IdbAccept(String),
    DapDatabase {
        dap: AppRef,
        database: String,
    },
}

fn default_agents() -> u64 {
    Calls::AGENTS
}

fn default_keys() -> u64 {
    Calls::KEYS
}

/// `switchover = "APP"` or `switchover = { to = "APP" }`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum Switch {
    Pair(AppRef),
    To { to: AppRef },
}

/// An option value: Configuration Manager stores text; numbers and booleans are accepted as
/// written.
#[derive(Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum Text {
    Words(String),
    Integer(i64),
    Boolean(bool),
}

/// A duration as files write it: whole seconds as `"30s"`, anything finer as decimal seconds
/// (`"1.5s"`, `"0.000250001s"`). The loader reads it back to the same nanosecond: always below
/// about 104 days, and beyond for every duration it read itself (the nearest `f64` is the one
/// it came from).
pub(crate) fn duration_text(d: Duration) -> String {
    let nanos = d.subsec_nanos();
    if nanos == 0 {
        return format!("{}s", d.as_secs());
    }
    let fraction = format!("{nanos:09}");
    format!("{}.{}s", d.as_secs(), fraction.trim_end_matches('0'))
}

/// A rate as `traffic` writes it: Rust's shortest text that reads back to the same number.
fn rate_text(rate: f64) -> String {
    format!("{rate}/s")
}

impl From<Fault> for Entry {
    fn from(f: Fault) -> Self {
        match f {
            Fault::Crash { app } => Entry::Crash(app),
            Fault::Restart { app } => Entry::Restart(app),
            Fault::PowerOff { host } => Entry::PowerOff(host),
            Fault::PowerOn { host } => Entry::PowerOn(host),
            Fault::Partition { a, b } => Entry::Partition([a, b]),
            Fault::Heal { a, b } => Entry::Heal([a, b]),
            Fault::Hold { a, b } => Entry::Hold([a, b]),
            Fault::Release { a, b } => Entry::Release([a, b]),
            Fault::Latency { a, b, delay } => Entry::Latency {
                between: [a, b],
                delay: duration_text(delay),
            },
            Fault::Loss { a, b, rate } => Entry::Loss {
                between: [a, b],
                rate,
            },
            Fault::Skew { host, seconds } => Entry::Skew {
                host,
                by: format!(
                    "{}{}s",
                    if seconds < 0 { "-" } else { "" },
                    seconds.unsigned_abs()
                ),
            },
            Fault::Rotate {
                cert,
                issuer,
                profile,
            } => Entry::Rotate {
                cert,
                issuer,
                profile,
            },
            Fault::Trust { scope, cas } => {
                let (app, host) = match scope {
                    Scope::App(a) => (Some(a), None),
                    Scope::Host(h) => (None, Some(h)),
                };
                Entry::Trust {
                    app,
                    host,
                    trusted_ca: cas,
                }
            }
            Fault::Switchover { order } => Entry::Switchover(match order {
                Order::Pair(a) => Switch::Pair(a),
                Order::To(a) => Switch::To { to: a },
            }),
            Fault::Traffic { from, rate } => Entry::Traffic {
                from,
                rate: rate_text(rate),
            },
            Fault::Option {
                app,
                section,
                key,
                value,
            } => Entry::Option {
                app,
                section,
                key,
                value: Text::Words(value),
            },
            Fault::Calls(c) => Entry::Calls {
                source: c.source,
                count: c.count,
                rate: rate_text(c.rate),
                agents: c.agents,
                keys: c.keys,
            },
            Fault::IdbRefuse { db } => Entry::IdbRefuse(db),
            Fault::IdbAccept { db } => Entry::IdbAccept(db),
            Fault::DapDatabase { dap, database } => Entry::DapDatabase { dap, database },
        }
    }
}

fn two(between: [HostRef; 2], what: &str) -> Result<(HostRef, HostRef), String> {
    let [a, b] = between;
    if a == b {
        return Err(format!(
            "`{what}` names `{a}` twice: it takes two different hosts"
        ));
    }
    Ok((a, b))
}

impl TryFrom<Entry> for Fault {
    type Error = String;

    fn try_from(e: Entry) -> Result<Self, String> {
        Ok(match e {
            Entry::Crash(app) => Fault::Crash { app },
            Entry::Restart(app) => Fault::Restart { app },
            Entry::PowerOff(host) => Fault::PowerOff { host },
            Entry::PowerOn(host) => Fault::PowerOn { host },
            Entry::Partition(h) => {
                let (a, b) = two(h, "partition")?;
                Fault::Partition { a, b }
            }
            Entry::Heal(h) => {
                let (a, b) = two(h, "heal")?;
                Fault::Heal { a, b }
            }
            Entry::Hold(h) => {
                let (a, b) = two(h, "hold")?;
                Fault::Hold { a, b }
            }
            Entry::Release(h) => {
                let (a, b) = two(h, "release")?;
                Fault::Release { a, b }
            }
            Entry::Latency { between, delay } => {
                let (a, b) = two(between, "between")?;
                Fault::Latency {
                    a,
                    b,
                    delay: parse_duration(&delay)?,
                }
            }
            Entry::Loss { between, rate } => {
                let (a, b) = two(between, "between")?;
                if !(0.0..=1.0).contains(&rate) {
                    return Err("`loss` needs rate = a number from 0.0 to 1.0".into());
                }
                Fault::Loss { a, b, rate }
            }
            Entry::Skew { host, by } => Fault::Skew {
                host,
                seconds: skew_seconds(&by)?,
            },
            Entry::Rotate {
                cert,
                issuer,
                profile,
            } => Fault::Rotate {
                cert,
                issuer,
                profile,
            },
            Entry::Trust {
                app,
                host,
                trusted_ca,
            } => {
                let scope = match (app, host) {
                    (Some(a), None) => Scope::App(a),
                    (None, Some(h)) => Scope::Host(h),
                    _ => {
                        return Err(
                            "`trust` changes one application or one host: use `app` or `host`"
                                .into(),
                        );
                    }
                };
                Fault::Trust {
                    scope,
                    cas: trusted_ca,
                }
            }
            Entry::Switchover(s) => Fault::Switchover {
                order: match s {
                    Switch::Pair(a) => Order::Pair(a),
                    Switch::To { to } => Order::To(to),
                },
            },
            Entry::Traffic { from, rate } => Fault::Traffic {
                from,
                rate: traffic_rate(&rate).ok_or_else(|| {
                    "`rate` is requests per second, 0 (off) or from 0.001 to 10000, e.g. \"20/s\""
                        .to_string()
                })?,
            },
            Entry::Option {
                app,
                section,
                key,
                value,
            } => {
                if section.trim().is_empty() || key.trim().is_empty() {
                    return Err("an option's section and key cannot be empty".into());
                }
                Fault::Option {
                    app,
                    section,
                    key,
                    value: match value {
                        Text::Words(s) => s,
                        Text::Integer(i) => i.to_string(),
                        Text::Boolean(b) => b.to_string(),
                    },
                }
            }
            Entry::Calls {
                source,
                count,
                rate,
                agents,
                keys,
            } => {
                Calls::check(count, agents, keys)?;
                Fault::Calls(Calls {
                    source,
                    count,
                    rate: call_rate(&rate).ok_or_else(|| CALL_RATE.to_string())?,
                    agents,
                    keys,
                })
            }
            Entry::IdbRefuse(db) => Fault::IdbRefuse { db },
            Entry::IdbAccept(db) => Fault::IdbAccept { db },
            Entry::DapDatabase { dap, database } => Fault::DapDatabase { dap, database },
        })
    }
}

/// `by = "400d"` or `"-1h"`, in whole seconds, at most 366 days either way.
///
/// # Errors
/// Why the text is not such a skew.
pub(crate) fn skew_seconds(by: &str) -> Result<i64, String> {
    let (negative, text) = by.strip_prefix('-').map_or((false, by), |x| (true, x));
    let d = parse_duration(text.trim_start_matches('+'))?;
    if d > crate::limits::MAX_DURATION {
        return Err("a clock skew is at most 366 days either way".into());
    }
    let secs = i64::try_from(d.as_secs()).map_err(|_| "a clock skew this long".to_string())?;
    Ok(if negative {
        secs.saturating_neg()
    } else {
        secs
    })
}

/// `rate = "20/s"`: 0 (off) or 0.001 to 10000 requests per second.
pub(crate) fn traffic_rate(text: &str) -> Option<f64> {
    match text.trim_end_matches("/s").trim().parse::<f64>() {
        Ok(x) if x == 0.0 || (0.001..=10_000.0).contains(&x) => Some(x),
        _ => None,
    }
}

/// What a `calls` step's rate must be.
pub(crate) const CALL_RATE: &str =
    "`rate` is new calls per second, from 0.001 to 10000, e.g. \"50/s\"";

/// `rate = "50/s"` of a `calls` step: as `traffic` writes rates, but never 0 (a step that
/// places no call is a mistake).
pub(crate) fn call_rate(text: &str) -> Option<f64> {
    traffic_rate(text).filter(|r| *r > 0.0)
}
