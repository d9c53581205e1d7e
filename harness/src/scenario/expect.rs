//! The expectations of a scenario: their types, how each reads in words, and decoding what an
//! `[[expect]]` checks (one check key per expectation, each a table of named applications,
//! ports, classes and rules the topology has; located errors otherwise). Judging them against
//! a trace is [`crate::check`]'s.

use std::time::Duration;

use toml::de::DeValue;

mod idb;
mod link;
mod logged;

pub use {idb::IdbCheck, idb::IdbSet, idb::Member, link::LinkDeath, logged::Logged};

use super::names::app_ref;
use crate::diag::{Problem, Sp, Span};
use crate::rules::Severity;
use crate::tls::FailureClass;
use crate::topology::reader::{Reader, Table, Value};
use crate::topology::{Role, Topology};
use crate::trace::State;

/// When an expectation is judged.
#[derive(Clone, Debug, PartialEq)]
pub enum Timing {
    /// At any time of the run.
    Anytime,
    /// At this instant.
    At(Duration),
    /// Within `within` after `after` (a step label's time, or a time).
    Within {
        /// Start of the window.
        after: Duration,
        /// How the start was written (label or time).
        mark: String,
        /// Length of the window.
        within: Duration,
    },
}

/// What must hold.
#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// `role = { app, is }`: the application is in that state at the instant, or at some
    /// instant of the window (`primary`, `backup`, `none`: running without a role,
    /// `stopped`).
    Role {
        /// Application.
        app: String,
        /// State.
        is: State,
    },
    /// `connected = { from, to, port, tls, peer }`: a session from the dialler to the listener
    /// is up at some instant of the window, however old.
    Connected {
        /// Dialler.
        from: String,
        /// Listener.
        to: String,
        /// Port ID.
        port: Option<String>,
        /// TLS on/off, or a version (`"1.3"`).
        tls: Option<TlsExpect>,
        /// Attributes the listener's certificate subject must carry (`CN=…`).
        peer: Option<String>,
    },
    /// `established = { from, to, port, tls, peer }`: a new session opened in the window.
    Established {
        /// Dialler.
        from: String,
        /// Listener.
        to: String,
        /// Port ID.
        port: Option<String>,
        /// TLS on/off, or a version.
        tls: Option<TlsExpect>,
        /// Attributes the listener's certificate subject must carry.
        peer: Option<String>,
    },
    /// `reconnected = { client, to, port, tls }`: a new session opened in the window after the
    /// previous session between the two dropped.
    Reconnected {
        /// Dialler (a client, or a server's HA link).
        client: String,
        /// Listener.
        to: String,
        /// Port ID.
        port: Option<String>,
        /// TLS on/off or version.
        tls: Option<TlsExpect>,
    },
    /// `ha-synced = { primary, backup, port, tls }`: the backup finished a full
    /// resynchronisation from the primary, and that link is up at some instant of the window.
    HaSynced {
        /// The instance that is primary.
        primary: String,
        /// The instance that is backup (the dialler).
        backup: String,
        /// Port ID.
        port: Option<String>,
        /// TLS on/off or version.
        tls: Option<TlsExpect>,
    },
    /// `served = { client, by }`: a request of the client was acknowledged by that server in
    /// the window.
    Served {
        /// Client.
        client: String,
        /// Server.
        by: String,
    },
    /// `refused = { from, to, port, class }`.
    Refused {
        /// Dialler.
        from: String,
        /// Listener.
        to: String,
        /// Port ID.
        port: Option<String>,
        /// Failure class.
        class: FailureClass,
    },
    /// `never = { … }`: something that must not happen in the window.
    Never(Never),
    /// `rejected = "RULE"`: the topology is refused with that rule.
    Rejected(String),
    /// `finding = { rule, severity, present }`.
    Finding {
        /// Rule ID.
        rule: String,
        /// Severity, if it matters.
        severity: Option<crate::rules::Severity>,
        /// Present (default) or absent.
        present: bool,
    },
    /// `no-acked-event-lost = true` (or `false`: a loss must be shown).
    NoAckedEventLost(bool),
    /// `two-primaries = { pair = "PRIMARY", longer-than = "5s" }`.
    TwoPrimaries {
        /// The pair (its configured primary).
        pair: String,
        /// A window at least this long.
        longer_than: Duration,
    },
    /// `connect-failed = {…}` or `disconnected = {…}`: how a link died (`scenario/expect/link.rs`).
    Link(LinkDeath),
    /// `logged = { node, event, FIELD = VALUE … }`: such an event in the window.
    Logged(Logged),
    /// `idb-parity`, `idb-complete`, `idb-roles`: the IDBs of an ICON set (`expect/idb.rs`).
    Idb(IdbCheck),
}

/// What a `never` expectation rules out.
#[derive(Clone, Debug, PartialEq)]
pub enum Never {
    /// `plaintext = { app, port }`: no plain session on that server's port (any mode).
    Plaintext {
        /// The listening server.
        app: String,
        /// Port ID (any port when absent).
        port: Option<String>,
    },
    /// `refused = { from, to, port, class }`: no refused handshake (of that class).
    Refused {
        /// Dialler.
        from: String,
        /// Listener.
        to: String,
        /// Port ID.
        port: Option<String>,
        /// Failure class (any when absent).
        class: Option<FailureClass>,
    },
    /// `two-primaries = "APP"`: the pair of that application never has two primaries, not
    /// even for a millisecond.
    TwoPrimaries {
        /// A member of the pair.
        pair: String,
    },
    /// `logged = { node, event, FIELD = VALUE … }`: no such event.
    Logged(Logged),
}

/// A TLS expectation: on/off, or an exact version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsExpect {
    /// TLS on or off.
    On(bool),
    /// On, with this version (`1.2`, `1.3`).
    Version(String),
}

/// One expectation.
#[derive(Clone, Debug)]
pub struct Expect {
    /// What must hold.
    pub check: Check,
    /// When.
    pub timing: Timing,
    /// Where it is written.
    pub span: Span,
}

impl Expect {
    /// What it checks, in words, with its timing (`ts_backup is primary within 15s after
    /// crash`): the `what` of its verdict.
    pub fn describe(&self) -> String {
        let when = match &self.timing {
            Timing::Anytime => String::new(),
            Timing::At(t) => format!(" at {}s", t.as_secs_f64()),
            Timing::Within { mark, within, .. } => {
                format!(" within {}s after {mark}", within.as_secs_f64())
            }
        };
        format!("{}{when}", self.check)
    }
}

fn port_suffix(port: &Option<String>) -> String {
    port.as_ref().map_or(String::new(), |p| format!("/{p}"))
}

/// The check in words, without its timing.
impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Check::Role { app, is } => write!(f, "{app} is {is}"),
            Check::Connected { from, to, port, .. } => {
                write!(f, "{from} connected to {to}{}", port_suffix(port))
            }
            Check::Established { from, to, port, .. } => write!(
                f,
                "{from} established a new session with {to}{}",
                port_suffix(port)
            ),
            Check::Reconnected { client, to, .. } => write!(f, "{client} reconnected to {to}"),
            Check::HaSynced {
                primary, backup, ..
            } => write!(f, "{backup} resynchronised from {primary}"),
            Check::Served { client, by } => write!(f, "{client} served by {by}"),
            Check::Refused {
                from, to, class, ..
            } => write!(f, "{from} -> {to} refused as {class}"),
            Check::Never(Never::Plaintext { app, port }) => {
                write!(f, "never a plain session on {app}{}", port_suffix(port))
            }
            Check::Never(Never::Refused {
                from, to, class, ..
            }) => match class {
                Some(c) => write!(f, "never {from} -> {to} refused as {c}"),
                None => write!(f, "never {from} -> {to} refused"),
            },
            Check::Never(Never::TwoPrimaries { pair }) => {
                write!(f, "never two primaries in the pair of {pair}")
            }
            Check::Never(Never::Logged(l)) => write!(f, "never {l}"),
            Check::Logged(l) => write!(f, "{l}"),
            Check::Rejected(rule) => write!(f, "topology rejected with {rule}"),
            Check::Finding { rule, present, .. } => write!(
                f,
                "finding {rule} {}",
                if *present { "present" } else { "absent" }
            ),
            Check::NoAckedEventLost(true) => f.write_str("no acknowledged event lost"),
            Check::NoAckedEventLost(false) => {
                f.write_str("acknowledged events are lost (and shown)")
            }
            Check::TwoPrimaries { pair, longer_than } => write!(
                f,
                "two primaries in pair {pair} for over {}s",
                longer_than.as_secs_f64()
            ),
            Check::Link(l) => write!(f, "{l}"),
            Check::Idb(i) => write!(f, "{i}"),
        }
    }
}

/// The check keys an expectation may carry (exactly one).
pub(super) const CHECKS: [&str; 18] = [
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
    link::KEYS[0],
    link::KEYS[1],
    "logged",
    idb::KEYS[0],
    idb::KEYS[1],
    idb::KEYS[2],
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
        "logged" => Check::Logged(logged::decode(r, v, t)?),
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
                // IDs are known case-insensitively: keep the catalogue's spelling, which
                // findings carry, or a lower-case ID could never match.
                rule: crate::rules::RuleId::parse(&rule.value)
                    .map_or(rule.value, |id| id.as_str().to_string()),
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
        "connect-failed" | "disconnected" => Check::Link(link::decode(r, v, t, kind)?),
        "idb-parity" | "idb-complete" | "idb-roles" => Check::Idb(idb::decode(r, v, t, kind)?),
        _ => return None,
    })
}

/// `never = { plaintext = {…} }`, `{ refused = {…} }` or `{ two-primaries = "PAIR" }`.
fn never(r: &mut Reader, v: &Value<'_>, t: &Topology) -> Option<Never> {
    const KINDS: [&str; 4] = ["plaintext", "refused", "two-primaries", "logged"];
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
                "`never` takes exactly one of `plaintext`, `refused`, `two-primaries`, `logged`",
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
        "logged" => Never::Logged(logged::decode(r, inner_v, t)?),
        _ => {
            let name = r.string_value(inner_v, kind)?;
            let name = app_ref(r, t, name)?;
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

/// Reads a class name.
fn class(r: &mut Reader, t: &Table<'_>, key: &str) -> Option<FailureClass> {
    r.choice(t, key, &FailureClass::ALL).map(|c| c.value)
}

/// Reads `tls = true|false|"1.3"`.
fn tls(r: &mut Reader, t: &Table<'_>) -> Option<TlsExpect> {
    let v = t.get("tls")?;
    match v.get_ref() {
        DeValue::Boolean(b) => Some(TlsExpect::On(*b)),
        DeValue::String(s) if s == "1.2" || s == "1.3" => Some(TlsExpect::Version(s.to_string())),
        _ => {
            r.push(Problem::new(
                "bad-value",
                v.span(),
                "`tls` is true, false, \"1.2\" or \"1.3\"",
            ));
            None
        }
    }
}

/// An application name, checked.
fn app(r: &mut Reader, t: &Table<'_>, key: &str, topology: &Topology) -> Option<String> {
    let name = r.string(t, key);
    if name.is_none() && t.get(key).is_none() {
        r.push(Problem::new(
            "missing-key",
            Span::default(),
            format!("the expectation needs `{key}`"),
        ));
    }
    app_ref(r, topology, name?)
}
