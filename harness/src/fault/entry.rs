//! The file form of a fault (`crash = "APP"`, `latency = { between, delay }`): what serde reads
//! and writes for a [`Fault`], with the checks the form alone allows.

use serde::{Deserialize, Serialize};

use super::text::rate_text;
use super::*;

/// One fault as a step writes it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(super) enum Entry {
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
pub(super) enum Switch {
    Pair(AppRef),
    To { to: AppRef },
}

/// An option value: Configuration Manager stores text; numbers and booleans are accepted as
/// written.
#[derive(Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub(super) enum Text {
    Words(String),
    Integer(i64),
    Boolean(bool),
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
