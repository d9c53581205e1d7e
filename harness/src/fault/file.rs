//! The file form of a fault: the one key a `[[step]]` carries besides `at` and `label`, as users
//! write it. Serialising a [`Fault`] writes this form; deserialising checks what the form alone
//! can (durations, ranges, two different hosts). Whether the names exist is the topology's to
//! say: the scenario loader checks that, with located problems.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{AppRef, Fault, HostRef, Order, Scope};
use crate::topology::pki::Profile;
use crate::topology::value::parse_duration;

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
    Ok(if negative { -secs } else { secs })
}

/// `rate = "20/s"`: 0 (off) or 0.001 to 10000 requests per second.
pub(crate) fn traffic_rate(text: &str) -> Option<f64> {
    match text.trim_end_matches("/s").trim().parse::<f64>() {
        Ok(x) if x == 0.0 || (0.001..=10_000.0).contains(&x) => Some(x),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_to_the_nanosecond() {
        assert_eq!(duration_text(Duration::from_secs(30)), "30s");
        assert_eq!(duration_text(Duration::from_millis(1_500)), "1.5s");
        assert_eq!(duration_text(Duration::from_nanos(250_001)), "0.000250001s");
        // Past about 104 days an f64 of seconds is coarser than a nanosecond, so not every
        // duration has a text; every duration read from a file does, and it is written back.
        let far = parse_duration("31622400.3s").expect("366 days and 0.3 s");
        for d in [
            Duration::from_millis(1_500),
            Duration::from_nanos(250_001),
            far,
        ] {
            assert_eq!(parse_duration(&duration_text(d)), Ok(d));
        }
    }

    #[test]
    fn a_fault_reads_back_from_the_form_it_writes() {
        let faults = [
            Fault::Crash {
                app: "ts_primary".into(),
            },
            Fault::Skew {
                host: "ts-a".into(),
                seconds: -3_600,
            },
            Fault::Latency {
                a: "ts-a".into(),
                b: "ts-b".into(),
                delay: Duration::from_millis(200),
            },
            Fault::Switchover {
                order: Order::To("ts_backup".into()),
            },
            Fault::Traffic {
                from: "desk".into(),
                rate: 0.1,
            },
        ];
        for f in faults {
            let text = toml::to_string(&f).expect("a fault serialises");
            let back: Fault = toml::from_str(&text).expect("and reads back");
            assert_eq!(back, f, "{text}");
        }
        let text = toml::to_string(&Fault::Crash {
            app: "ts_primary".into(),
        })
        .expect("toml");
        assert_eq!(text.trim(), "crash = \"ts_primary\"");
    }

    #[test]
    fn the_form_refuses_what_the_loader_refuses() {
        let bad = [
            "partition = [\"ts-a\", \"ts-a\"]",
            "loss = { between = [\"a\", \"b\"], rate = 1.5 }",
            "skew = { host = \"ts-a\", by = \"400y\" }",
            "skew = { host = \"ts-a\", by = \"367d\" }",
            "traffic = { from = \"desk\", rate = \"20000/s\" }",
            "trust = { trusted-ca = [\"lab-ca\"] }",
            "option = { app = \"a\", section = \"\", key = \"k\", value = 1 }",
            "crash = \"a\"\nrestart = \"a\"",
        ];
        for text in bad {
            assert!(toml::from_str::<Fault>(text).is_err(), "{text}");
        }
    }
}
