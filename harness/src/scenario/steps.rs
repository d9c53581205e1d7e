//! Decoding `[[step]]` entries: when, an optional label, and exactly one action naming
//! applications, hosts (by their `[host.KEY]`) or certificates the topology has.

use toml::de::DeValue;

use super::Step;
use super::fields::{array, one_of};
use super::names::app_ref;
use crate::diag::{Problem, Sp, Span, closest};
use crate::fault::{AppRef, Fault, HostRef, Order};
use crate::topology::reader::{Reader, Table, Value};
use crate::topology::value::parse_duration;
use crate::topology::{self, Topology};

const STEP_ACTIONS: [&str; 20] = crate::fault::NAMES;

mod calls;
mod certs;
mod idb;

pub(super) fn host_ref(r: &mut Reader, t: &Topology, name: Sp<String>) -> Option<HostRef> {
    if t.host(&name.value).is_some() {
        return Some(HostRef::new(name.value));
    }
    if t.app(&name.value).is_some() {
        r.push(
            Problem::new(
                "wrong-kind",
                name.span,
                format!("`{}` is an application, not a host", name.value),
            )
            .help("host steps name a host by its [host.KEY]"),
        );
        return None;
    }
    let p = Problem::new(
        "unknown-host",
        name.span,
        format!("the topology has no host `{}`", name.value),
    );
    r.push(
        match closest(&name.value, t.hosts.iter().map(|h| h.key.value.as_str())) {
            Some(c) => p.help(format!(
                "did you mean `{c}`? (steps name hosts by their [host.KEY])"
            )),
            None => p,
        },
    );
    None
}

fn two_hosts(r: &mut Reader, t: &Topology, v: &Value<'_>, key: &str) -> Option<(HostRef, HostRef)> {
    let hosts: Vec<Sp<String>> = match v.get_ref() {
        DeValue::Array(items) => items
            .iter()
            .filter_map(|i| r.string_value(i, key))
            .collect(),
        _ => Vec::new(),
    };
    if hosts.len() != 2 {
        r.push(Problem::new(
            "bad-value",
            v.span(),
            format!("`{key}` takes two hosts, e.g. [\"ts-a\", \"ts-b\"]"),
        ));
        return None;
    }
    let mut it = hosts.into_iter();
    let (a, b) = (it.next()?, it.next()?);
    if a.value == b.value {
        r.push(
            Problem::new(
                "bad-value",
                b.span,
                format!(
                    "`{key}` names `{}` twice: it takes two different hosts",
                    b.value
                ),
            )
            .help("a network fault is between two hosts"),
        );
        return None;
    }
    Some((host_ref(r, t, a)?, host_ref(r, t, b)?))
}

pub(super) fn decode(r: &mut Reader, doc: &Table<'_>, t: &Topology) -> Vec<Step> {
    let mut out = Vec::new();
    for item in array(r, doc, "step") {
        let Some(st) = r.table(item, "step") else {
            continue;
        };
        let span: Span = item.span().into();
        let mut keys = STEP_ACTIONS.to_vec();
        keys.extend(["at", "label"]);
        r.keys(st, &keys, "a step");
        let at = r.duration(st, "at");
        if at.is_none() && st.get("at").is_none() {
            r.push(
                Problem::new("missing-key", span, "a step has no `at`").help("e.g. at = \"30s\""),
            );
        }
        let Some(kind) = one_of(r, st, &STEP_ACTIONS, "a step", span) else {
            continue;
        };
        let fault = decode_fault(r, st, t, &kind);
        if let (Some(at), Some(fault)) = (at, fault) {
            out.push(Step {
                at: at.value,
                label: r.string(st, "label").map(|l| l.value),
                fault,
                span,
            });
        }
    }
    check_switchovers(r, t, &out);
    duplicate_labels(r, &out);
    out
}

/// Two steps with one label would make `after = "LABEL"` ambiguous.
fn duplicate_labels(r: &mut Reader, steps: &[Step]) {
    let mut seen = std::collections::BTreeSet::new();
    for s in steps {
        if let Some(label) = &s.label
            && !seen.insert(label.as_str())
        {
            r.push(
                Problem::new(
                    "duplicate-label",
                    s.span,
                    format!("two steps are labelled `{label}`"),
                )
                .help("give each step its own label: expectations name one with `after`"),
            );
        }
    }
}

/// A switchover to the instance that is primary already does nothing: a located error where
/// the file alone shows it, that is while no earlier step (a crash, a power-off, a network
/// fault) can have changed the pair's roles. Later ones are refused by the SCS at run time and
/// reported against the step.
fn check_switchovers(r: &mut Reader, t: &Topology, steps: &[Step]) {
    let mut ordered: Vec<&Step> = steps.iter().collect();
    ordered.sort_by_key(|s| s.at);
    // Per pair (its configured primary): the instance known to be primary, while known.
    let mut known: std::collections::BTreeMap<String, Option<String>> = t
        .pairs()
        .map(|p| {
            (
                p.primary.name.value.clone(),
                Some(p.primary.name.value.clone()),
            )
        })
        .collect();
    for step in ordered {
        let order = match &step.fault {
            Fault::Switchover { order } => order,
            Fault::Traffic { .. }
            | Fault::Calls(_)
            | Fault::Option { .. }
            | Fault::IdbRefuse { .. }
            | Fault::IdbAccept { .. }
            | Fault::DapDatabase { .. }
            | Fault::Rotate { .. }
            | Fault::Skew { .. }
            | Fault::Latency { .. } => continue,
            _ => {
                known.values_mut().for_each(|k| *k = None);
                continue;
            }
        };
        let Some(pair) = t.pair_of(order.app()) else {
            continue;
        };
        let (p, b) = (&pair.primary.name.value, &pair.backup.name.value);
        let Some(slot) = known.get_mut(p) else {
            continue;
        };
        let Some(now) = slot.clone() else { continue };
        let other = if now == *p { b.clone() } else { p.clone() };
        match order {
            Order::To(x) if *x == now => {
                r.push(
                    Problem::new(
                        "bad-value",
                        step.span,
                        format!(
                            "`{x}` is primary already at {}s: this switchover would do nothing",
                            step.at.as_secs_f64()
                        ),
                    )
                    .help(format!(
                        "name the instance to promote (switchover = {{ to = \"{other}\" }}), \
                         or the pair (switchover = \"{p}\": its current backup takes over)"
                    )),
                );
                *slot = None;
            }
            Order::To(x) => *slot = Some(x.to_string()),
            Order::Pair(_) => *slot = Some(other),
        }
    }
}

fn decode_fault(r: &mut Reader, st: &Table<'_>, t: &Topology, kind: &str) -> Option<Fault> {
    let v = st.get(kind)?;
    let app = |r: &mut Reader| {
        r.string(st, kind)
            .and_then(|n| app_ref(r, t, n))
            .map(AppRef::new)
    };
    let host = |r: &mut Reader| r.string(st, kind).and_then(|n| host_ref(r, t, n));
    Some(match kind {
        "crash" => Fault::Crash { app: app(r)? },
        "restart" => Fault::Restart { app: app(r)? },
        "switchover" => {
            let order = match v.get_ref() {
                DeValue::Table(_) => {
                    let inner = r.table(v, kind)?;
                    r.keys(inner, &["to"], "`switchover`");
                    let to = r.string(inner, "to")?;
                    Order::To(AppRef::new(app_ref(r, t, to)?))
                }
                _ => Order::Pair(app(r)?),
            };
            if t.pair_of(order.app()).is_none() {
                r.push(
                    Problem::new(
                        "bad-value",
                        v.span(),
                        format!("`{}` is not a member of a primary/backup pair", order.app()),
                    )
                    .help("a switchover names an application that has a backup, or is one"),
                );
                return None;
            }
            Fault::Switchover { order }
        }
        "power-off" => Fault::PowerOff { host: host(r)? },
        "power-on" => Fault::PowerOn { host: host(r)? },
        "partition" | "heal" | "hold" | "release" => {
            let (a, b) = two_hosts(r, t, v, kind)?;
            match kind {
                "partition" => Fault::Partition { a, b },
                "heal" => Fault::Heal { a, b },
                "hold" => Fault::Hold { a, b },
                _ => Fault::Release { a, b },
            }
        }
        "latency" | "loss" => {
            let inner = r.table(v, kind)?;
            r.keys(inner, &["between", "delay", "rate"], &format!("`{kind}`"));
            let (a, b) = two_hosts(r, t, inner.get("between")?, "between")?;
            if kind == "latency" {
                Fault::Latency {
                    a,
                    b,
                    delay: r.duration(inner, "delay")?.value,
                }
            } else {
                let rate = inner.get("rate").and_then(|x| {
                    x.get_ref()
                        .as_float()
                        .map(|f| f.as_str().parse::<f64>().unwrap_or(-1.0))
                });
                match rate {
                    Some(rate) if (0.0..=1.0).contains(&rate) => Fault::Loss { a, b, rate },
                    _ => {
                        r.push(Problem::new(
                            "bad-value",
                            v.span(),
                            "`loss` needs rate = a number from 0.0 to 1.0",
                        ));
                        return None;
                    }
                }
            }
        }
        "skew" => {
            let inner = r.table(v, kind)?;
            r.keys(inner, &["host", "by"], "`skew`");
            let h = r.string(inner, "host")?;
            let h = host_ref(r, t, h)?;
            let by = r.string(inner, "by")?;
            let (neg, text) = by
                .value
                .strip_prefix('-')
                .map_or((false, by.value.as_str()), |x| (true, x));
            match parse_duration(text.trim_start_matches('+')) {
                Ok(d) if d > crate::limits::MAX_DURATION => {
                    r.push(Problem::new(
                        "too-long",
                        by.span,
                        "a clock skew is at most 366 days either way",
                    ));
                    return None;
                }
                Ok(d) => {
                    // At most 366 days (above): the conversion cannot saturate.
                    let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                    Fault::Skew {
                        host: h,
                        seconds: if neg { secs.saturating_neg() } else { secs },
                    }
                }
                Err(why) => {
                    r.push(Problem::new("bad-duration", by.span, why));
                    return None;
                }
            }
        }
        "rotate" => certs::rotate(r, v, t)?,
        // Step 9, part icon.
        "idb-refuse" | "idb-accept" => idb::refuse(r, st, t, kind)?,
        "dap-database" => idb::dap_database(r, v, t)?,
        "trust" => certs::trust(r, v, t)?,
        "calls" => calls::calls(r, v, t)?,
        "traffic" => {
            let inner = r.table(v, kind)?;
            r.keys(inner, &["from", "rate"], "`traffic`");
            let from = r.string(inner, "from")?;
            let from = AppRef::new(app_ref(r, t, from)?);
            if t.app(from.as_str()).is_some_and(topology::App::is_server) {
                r.push(Problem::new(
                    "bad-value",
                    v.span(),
                    format!("`{from}` is a server: traffic comes from a client"),
                ));
            }
            let rate = r.string(inner, "rate")?;
            match rate.value.trim_end_matches("/s").trim().parse::<f64>() {
                Ok(rate) if rate == 0.0 || (0.001..=10_000.0).contains(&rate) => {
                    Fault::Traffic { from, rate }
                }
                _ => {
                    r.push(Problem::new(
                        "bad-value",
                        rate.span,
                        "`rate` is requests per second, 0 (off) or from 0.001 to 10000, e.g. \"20/s\"",
                    ));
                    return None;
                }
            }
        }
        "option" => {
            let inner = r.table(v, kind)?;
            r.keys(inner, &["app", "section", "key", "value"], "`option`");
            let app = r.string(inner, "app")?;
            let app = AppRef::new(app_ref(r, t, app)?);
            let section = r.string(inner, "section")?;
            let key = r.string(inner, "key")?;
            for part in [&section, &key] {
                if part.value.trim().is_empty() {
                    r.push(Problem::new(
                        "bad-value",
                        part.span,
                        "an option's section and key cannot be empty",
                    ));
                    return None;
                }
            }
            // Configuration Manager stores every option value as text; numbers and booleans
            // are accepted as written.
            let value = inner.get("value").and_then(|x| match x.get_ref() {
                DeValue::String(s) => Some(s.to_string()),
                DeValue::Integer(i) => Some(i.as_str().to_string()),
                DeValue::Boolean(b) => Some(b.to_string()),
                _ => None,
            });
            let Some(value) = value else {
                r.push(
                    Problem::new(
                        "bad-value",
                        v.span(),
                        "`option` needs value = the option's new value (text or a number)",
                    )
                    .help("e.g. option = { app = \"ts_primary\", section = \"backup-sync\", key = \"addp-timeout\", value = 4 }"),
                );
                return None;
            };
            let value_at = Sp::new(
                value.clone(),
                inner.get("value").map_or(v.span(), |x| x.span()),
            );
            let problem = topology::options::section(&section)
                .or_else(|| topology::options::value(&section.value, &key, &value_at));
            if let Some(p) = problem {
                r.push(p);
                return None;
            }
            Fault::Option {
                app,
                section: section.value,
                key: key.value,
                value,
            }
        }
        _ => return None,
    })
}
