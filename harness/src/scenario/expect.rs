//! Decoding what an `[[expect]]` checks: one check key per expectation, each a table of named
//! applications, ports, classes and rules the topology has (located errors otherwise).
//! Judging lives in `verdict`.

use std::time::Duration;

use super::load::{app, class, tls};
use super::{Check, Never};
use crate::check::State;
use crate::diag::{Problem, Sp};
use crate::rules::Severity;
use crate::topology::Role;
use crate::topology::Topology;
use crate::topology::reader::{Reader, Table, Value};

/// The check keys an expectation may carry (exactly one).
pub(super) const CHECKS: [&str; 12] = [
    "role",
    "connected",
    "established",
    "reconnected",
    "ha-synced",
    "served",
    "refused",
    "never",
    "rejected",
    "finding",
    "no-acked-event-lost",
    "two-primaries",
];

/// Decodes the check of an expectation table (`kind` is its one check key).
pub(super) fn decode_check(
    r: &mut Reader,
    et: &Table<'_>,
    t: &Topology,
    kind: &str,
) -> Option<Check> {
    let v = et.get(kind)?;
    let sub = |r: &mut Reader, keys: &[&str]| {
        let inner = r.table(v, kind)?;
        r.keys(inner, keys, &format!("`{kind}`"));
        Some(inner)
    };
    Some(match kind {
        "role" => {
            let i = sub(r, &["app", "is"])?;
            Check::Role {
                app: app(r, i, "app", t)?,
                is: state(r, i, "is")?,
            }
        }
        "connected" | "established" => {
            let i = sub(r, &["from", "to", "port", "tls", "peer"])?;
            let from = app(r, i, "from", t)?;
            let to = app(r, i, "to", t)?;
            let port = port_of(r, i, t, &to);
            let (tls, peer) = (tls(r, i), r.string(i, "peer").map(|p| p.value));
            if kind == "connected" {
                Check::Connected {
                    from,
                    to,
                    port,
                    tls,
                    peer,
                }
            } else {
                Check::Established {
                    from,
                    to,
                    port,
                    tls,
                    peer,
                }
            }
        }
        "reconnected" => {
            let i = sub(r, &["client", "to", "port", "tls"])?;
            let client = app(r, i, "client", t)?;
            let to = app(r, i, "to", t)?;
            Check::Reconnected {
                port: port_of(r, i, t, &to),
                client,
                to,
                tls: tls(r, i),
            }
        }
        "ha-synced" => {
            let i = sub(r, &["primary", "backup", "port", "tls"])?;
            let primary = app(r, i, "primary", t)?;
            let backup = app(r, i, "backup", t)?;
            if t.pair_of(&primary).map(|p| {
                [p.primary.name.value.as_str(), p.backup.name.value.as_str()]
                    .contains(&backup.as_str())
            }) != Some(true)
                || primary == backup
            {
                r.push(Problem::new(
                    "bad-value",
                    v.span(),
                    format!("`{primary}` and `{backup}` are not the two instances of one pair"),
                ));
                return None;
            }
            Check::HaSynced {
                port: port_of(r, i, t, &primary),
                primary,
                backup,
                tls: tls(r, i),
            }
        }
        "served" => {
            let i = sub(r, &["client", "by"])?;
            Check::Served {
                client: app(r, i, "client", t)?,
                by: app(r, i, "by", t)?,
            }
        }
        "refused" => {
            let i = sub(r, &["from", "to", "port", "class"])?;
            let to = app(r, i, "to", t)?;
            Check::Refused {
                from: app(r, i, "from", t)?,
                port: port_of(r, i, t, &to),
                to,
                class: class(r, i, "class")?,
            }
        }
        "never" => Check::Never(never(r, v, t)?),
        "rejected" => {
            let rule = r.string_value(v, kind)?;
            known_rule(r, &rule)?;
            Check::Rejected(rule.value)
        }
        "finding" => {
            let i = sub(r, &["rule", "severity", "present"])?;
            let rule = r.string(i, "rule")?;
            known_rule(r, &rule)?;
            let severity = r
                .choice(
                    i,
                    "severity",
                    &[(Severity::Error, "error"), (Severity::Warning, "warning")],
                )
                .map(|s| s.value);
            Check::Finding {
                rule: rule.value,
                severity,
                present: r.boolish(i, "present").is_none_or(|b| b.value),
            }
        }
        "no-acked-event-lost" => Check::NoAckedEventLost(r.boolish_value(v, kind)?.value),
        "two-primaries" => {
            let i = sub(r, &["pair", "longer-than"])?;
            Check::TwoPrimaries {
                pair: pair(r, i, t, v)?,
                longer_than: r
                    .duration(i, "longer-than")
                    .map_or(Duration::ZERO, |d| d.value),
            }
        }
        _ => return None,
    })
}

/// `never = { plaintext = {…} }`, `{ refused = {…} }` or `{ two-primaries = "PAIR" }`.
fn never(r: &mut Reader, v: &Value<'_>, t: &Topology) -> Option<Never> {
    const KINDS: [&str; 3] = ["plaintext", "refused", "two-primaries"];
    let outer = r.table(v, "never")?;
    r.keys(outer, &KINDS, "`never`");
    let present: Vec<&str> = KINDS
        .into_iter()
        .filter(|k| outer.get(*k).is_some())
        .collect();
    let [kind] = present[..] else {
        r.push(
            Problem::new(
                "bad-value",
                v.span(),
                "`never` takes exactly one of `plaintext`, `refused`, `two-primaries`",
            )
            .help("e.g. never = { refused = { from = \"desk\", to = \"ts_backup\" } }"),
        );
        return None;
    };
    let inner_v = outer.get(kind)?;
    Some(match kind {
        "plaintext" => {
            let i = r.table(inner_v, kind)?;
            r.keys(i, &["app", "port"], "`never.plaintext`");
            let app = app(r, i, "app", t)?;
            Never::Plaintext {
                port: port_of(r, i, t, &app),
                app,
            }
        }
        "refused" => {
            let i = r.table(inner_v, kind)?;
            r.keys(i, &["from", "to", "port", "class"], "`never.refused`");
            let to = app(r, i, "to", t)?;
            Never::Refused {
                from: app(r, i, "from", t)?,
                port: port_of(r, i, t, &to),
                to,
                class: i.get("class").and_then(|_| class(r, i, "class")),
            }
        }
        _ => {
            let name = r.string_value(inner_v, kind)?;
            let name = super::load::app_ref(r, t, name)?;
            if t.pair_of(&name).is_none() {
                r.push(Problem::new(
                    "bad-value",
                    inner_v.span(),
                    format!("`{name}` is not a member of a primary/backup pair"),
                ));
                return None;
            }
            Never::TwoPrimaries { pair: name }
        }
    })
}

/// `is = "primary" | "backup" | "none" | "stopped"`.
fn state(r: &mut Reader, t: &Table<'_>, key: &str) -> Option<State> {
    r.choice(
        t,
        key,
        &[
            (State::In(Role::Primary), "primary"),
            (State::In(Role::Backup), "backup"),
            (State::NoRole, "none"),
            (State::Stopped, "stopped"),
        ],
    )
    .map(|c| c.value)
}

/// An optional port ID, which the application must have (a located error otherwise).
fn port_of(r: &mut Reader, i: &Table<'_>, t: &Topology, app: &str) -> Option<String> {
    let port = r.string(i, "port")?;
    let Some(a) = t.app(app) else {
        return Some(port.value);
    };
    if a.port(&port.value).is_some() {
        return Some(port.value);
    }
    let p = Problem::new(
        "unknown-port",
        port.span,
        format!("`{app}` has no port `{}`", port.value),
    );
    r.push(
        match crate::diag::closest(&port.value, a.ports.iter().map(|p| p.id.value.as_str())) {
            Some(c) => p.help(format!("did you mean `{c}`?")),
            None => p,
        },
    );
    None
}

/// A pair named by its configured primary.
fn pair(r: &mut Reader, i: &Table<'_>, t: &Topology, v: &Value<'_>) -> Option<String> {
    let pair = app(r, i, "pair", t)?;
    if t.pairs().all(|p| p.primary.name.value != pair) {
        r.push(Problem::new(
            "bad-value",
            v.span(),
            format!("`{pair}` is not the primary of a pair"),
        ));
        return None;
    }
    Some(pair)
}

fn known_rule(r: &mut Reader, rule: &Sp<String>) -> Option<()> {
    if crate::rules::rule(&rule.value).is_some() {
        return Some(());
    }
    let p = Problem::new(
        "unknown-rule",
        rule.span,
        format!("no rule `{}`", rule.value),
    );
    r.push(
        match crate::diag::closest(
            &rule.value,
            crate::rules::RuleId::ALL.iter().map(|x| x.as_str()),
        ) {
            Some(c) => p.help(format!("did you mean `{c}`?")),
            None => p.help("`hapair rules` lists them"),
        },
    );
    None
}
