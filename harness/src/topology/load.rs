//! The topology TOML loader: text → located model, with every problem of the file reported
//! at once (syntax, unknown keys, wrong types, bad values, dangling references, backup
//! chains). It never panics on input and never judges HA rules (that is `rules`).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use toml::de::DeTable;

mod connection;

use super::reader::{Reader, Table, entries};
use super::security::decode_security;
use super::{
    App, AppType, Database, Host, IconSet, ListenMode, OptionSection, Port, Redundancy, Resolution,
    Topology,
};
use crate::diag::{Invalid, Problem, ReadError, Source, Sp, Span};
use connection::decode_connections;

/// Why a topology could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The path as given.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file was read but is not a valid topology.
    #[error(transparent)]
    Invalid(#[from] Invalid),
}

/// Reads and loads a topology file.
///
/// # Errors
/// [`LoadError::Read`] when the file cannot be read; [`LoadError::Invalid`] with every
/// located problem when it is not a valid topology.
pub fn load(path: &Path) -> Result<Topology, LoadError> {
    let source = Source::read(path).map_err(|e| match e {
        ReadError::Io(source) => LoadError::Read {
            path: path.to_path_buf(),
            source,
        },
        ReadError::NotText(invalid) => LoadError::Invalid(invalid),
    })?;
    parse(source).map_err(LoadError::Invalid)
}

/// Loads a topology from text already read.
///
/// # Errors
/// [`Invalid`] with every located problem of the file.
pub fn parse(source: Arc<Source>) -> Result<Topology, Invalid> {
    let (doc, syntax) = DeTable::parse_recoverable(&source.text);
    let mut r = Reader::default();
    for e in &syntax {
        let span = e.span().map_or(Span::default(), Span::from);
        r.push(Problem::new("toml-syntax", span, e.message().to_string()));
    }
    // Past a syntax error the recovered tree is a guess: report the syntax alone.
    let topology = decode_document(&mut r, doc.get_ref(), &source);
    if syntax.is_empty() {
        let declared = declared_names(doc.get_ref());
        super::refs::check(&mut r, &topology, &declared);
    } else {
        r.problems.retain(|p| p.code == "toml-syntax");
    }
    if r.problems.is_empty() {
        Ok(topology)
    } else {
        crate::diag::settle(&mut r.problems);
        Err(Invalid {
            source_file: source,
            problems: r.problems,
        })
    }
}

/// Decodes a topology written as a table of another file (a scenario's inline `[topology]`),
/// reporting into `r` with spans of that file.
pub(crate) fn from_table(r: &mut Reader, doc: &Table<'_>, source: &Arc<Source>) -> Topology {
    let before = r.problems.len();
    let topology = decode_document(r, doc, source);
    if r.problems.len() == before {
        super::refs::check(r, &topology, &declared_names(doc));
    }
    topology
}

const TOP_KEYS: [&str; 8] = [
    "name",
    "resolution",
    "pki",
    "host",
    "app",
    "connection",
    "database",
    "icon-ha",
];

fn decode_document(r: &mut Reader, doc: &Table<'_>, source: &Arc<Source>) -> Topology {
    r.keys(doc, &TOP_KEYS, "the topology");
    let stem = source.path.file_stem().map_or_else(
        || "topology".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let resolution_choices = [
        (Resolution::PerParameter, "per-parameter"),
        (Resolution::Group, "group"),
    ];
    let mut t = Topology {
        name: r.string(doc, "name").map_or(stem, |s| s.value),
        source: Arc::clone(source),
        resolution: r
            .choice(doc, "resolution", &resolution_choices)
            .map_or(Resolution::default(), |s| s.value),
        pki: r
            .opt_table(doc, "pki")
            .map(|p| super::pki::decode(r, p, source.dir()))
            .unwrap_or_default(),
        hosts: Vec::new(),
        apps: Vec::new(),
        connections: Vec::new(),
        databases: Vec::new(),
        icon_sets: Vec::new(),
        index: super::Index::default(),
    };
    for key in ["host", "app"] {
        let count = doc
            .get(key)
            .and_then(|v| v.get_ref().as_table())
            .map_or(0, |t| t.len());
        if count > crate::limits::MAX_OBJECTS {
            let span = doc.get(key).map_or(Span::default(), |v| v.span().into());
            r.push(
                Problem::new(
                    "too-many",
                    span,
                    format!(
                        "the topology declares {count} [{key}] tables, over hapair's limit of {}",
                        crate::limits::MAX_OBJECTS
                    ),
                )
                .help("a topology describes one HA setup: split it into several files"),
            );
            return t;
        }
    }
    if let Some(hosts) = r.opt_table(doc, "host") {
        for (key, v) in entries(hosts) {
            if let Some(h) = r.table(v, &key.value) {
                t.hosts.push(decode_host(r, key, h));
            }
        }
    }
    if let Some(apps) = r.opt_table(doc, "app") {
        for (name, v) in entries(apps) {
            if let Some(a) = r.table(v, &name.value) {
                if let Some(app) = decode_app(r, name, a) {
                    t.apps.push(app);
                }
            }
        }
    }
    decode_connections(r, doc, &mut t.connections);
    if let Some(dbs) = r.opt_table(doc, "database") {
        for (name, v) in entries(dbs) {
            if let Some(d) = r.table(v, &name.value) {
                if let Some(db) = decode_database(r, name, d) {
                    t.databases.push(db);
                }
            }
        }
    }
    imply_default_ports(&mut t);
    if let Some(sets) = r.opt_table(doc, "icon-ha") {
        for (name, v) in entries(sets) {
            if let Some(s) = r.table(v, &name.value) {
                let what = format!("ICON HA set `{}`", name.value);
                r.keys(s, &["icons", "stores"], &what);
                t.icon_sets.push(IconSet {
                    icons: r.strings(s, "icons"),
                    stores: r.strings(s, "stores"),
                    name,
                });
            }
        }
    }
    t
}

fn decode_host(r: &mut Reader, key: Sp<String>, t: &Table<'_>) -> Host {
    let what = format!("host `{}`", key.value);
    r.keys_with(
        t,
        &["name", "addp-timeout", "lcaport", "options", "security"],
        &what,
        &[(
            "address",
            "hapair dials a host by its `name` and checks certificates against it: write \
             there the name clients dial, and list it in the certificate's `hosts`",
        )],
    );
    let options = decode_options(r, t);
    let written = r.duration(t, "addp-timeout");
    // Genesys's own form, `[host.X.options.addp] addp-timeout = 9`, is read too.
    let in_options = super::option_in(&options, "addp", "addp-timeout").and_then(|v| {
        let spec = super::options::spec_for(true, "addp", "addp-timeout")?;
        let secs = spec.secs(Some(&v.value)).unwrap_or_default();
        Some(Sp::new(secs, v.span))
    });
    if let (Some(_), Some(b)) = (&written, &in_options) {
        r.push(
            Problem::new(
                "duplicate-key",
                b.span,
                format!("{what} sets its ADDP timeout twice: `addp-timeout` and `[options.addp]`"),
            )
            .help("keep one; Genesys keeps it in the host's [addp] section"),
        );
    }
    let lcaport = r.integer(t, "lcaport").and_then(|n| {
        let port = u16::try_from(n.value).ok().filter(|p| *p > 0);
        if port.is_none() {
            r.push(Problem::new(
                "bad-value",
                n.span,
                format!("{what}: lcaport = {} is not a TCP port (1-65535)", n.value),
            ));
        }
        port.map(|p| Sp::new(p, n.span))
    });
    Host {
        name: r.string(t, "name").unwrap_or_else(|| key.clone()),
        addp_timeout: in_options
            .or(written)
            .unwrap_or(Sp::new(Duration::from_secs(9), key.span)),
        lcaport: lcaport.unwrap_or(Sp::new(4999, key.span)),
        options,
        security: decode_security(r, t, &what),
        key,
    }
}

const APP_KEYS: [&str; 10] = [
    "type",
    "host",
    "backup",
    "redundancy",
    "reconnect-timeout",
    "reconnect-attempts",
    "database",
    "port",
    "options",
    "security",
];

fn decode_app(r: &mut Reader, name: Sp<String>, t: &Table<'_>) -> Option<App> {
    let what = format!("application `{}`", name.value);
    r.keys(t, &APP_KEYS, &what);
    let redundancy_choices = [
        (Redundancy::WarmStandby, "warm-standby"),
        (Redundancy::HotStandby, "hot-standby"),
    ];
    if t.get("type").is_none() {
        r.push(
            Problem::new("missing-key", name.span, format!("{what} has no `type`"))
                .help("e.g. type = \"tserver\""),
        );
    }
    let kind = r.choice(t, "type", &AppType::ALL);
    let host = r.required_string(t, "host", name.span, &what);
    let mut ports = Vec::new();
    if let Some(pt) = r.opt_table(t, "port") {
        for (id, v) in entries(pt) {
            if let Some(p) = r.table(v, &id.value) {
                if let Some(port) = decode_port(r, &name.value, id, p, v.span().into()) {
                    ports.push(port);
                }
            }
        }
    }
    let options = decode_options(r, t);
    // A bad `type` is reported already; a placeholder keeps the references checkable.
    Some(App {
        kind: kind.unwrap_or(Sp::new(AppType::GenericServer, name.span)),
        host: host?,
        backup: r.string(t, "backup"),
        redundancy: r.choice(t, "redundancy", &redundancy_choices),
        reconnect_timeout: r.duration(t, "reconnect-timeout"),
        reconnect_attempts: reconnect_attempts(r, t, &what),
        database: r.string(t, "database"),
        ports,
        options,
        security: decode_security(r, t, &what),
        name,
    })
}

/// `reconnect-attempts`: the server info's `Attempts`, from 1.
fn reconnect_attempts(r: &mut Reader, t: &Table<'_>, what: &str) -> Option<Sp<u64>> {
    let n = r.integer(t, "reconnect-attempts")?;
    let ok = u64::try_from(n.value)
        .ok()
        .filter(|a| (1..=crate::limits::MAX_RECONNECT_ATTEMPTS).contains(a));
    if ok.is_none() {
        r.push(Problem::new(
            "bad-value",
            n.span,
            format!(
                "{what}: reconnect-attempts = {} is not valid: it is a whole number from 1 to {}",
                n.value,
                crate::limits::MAX_RECONNECT_ATTEMPTS
            ),
        ));
    }
    ok.map(|a| Sp::new(a, n.span))
}

/// `[X.options.SECTION]` tables, each value checked against the options hapair honours.
fn decode_options(r: &mut Reader, t: &Table<'_>) -> Vec<OptionSection> {
    let mut options = Vec::new();
    if let Some(ot) = r.opt_table(t, "options") {
        for (section, v) in entries(ot) {
            if let Some(p) = super::options::section(&section) {
                r.push(p);
            }
            if let Some(s) = r.table(v, &section.value) {
                let values: Vec<_> = entries(s)
                    .filter_map(|(k, v)| Some((k.clone(), r.scalar_text(v, &k.value)?)))
                    .collect();
                for (k, v) in &values {
                    if let Some(p) = super::options::value(&section.value, k, v) {
                        r.push(p);
                    }
                }
                options.push(OptionSection {
                    name: section,
                    values,
                });
            }
        }
    }
    options
}

fn decode_port(
    r: &mut Reader,
    app: &str,
    id: Sp<String>,
    t: &Table<'_>,
    span: Span,
) -> Option<Port> {
    let what = format!("port `{}` of `{app}`", id.value);
    r.keys(
        t,
        &["number", "mode", "transport", "ha-sync", "security"],
        &what,
    );
    let mode_choices = [
        (ListenMode::Unsecured, "unsecured"),
        (ListenMode::Secured, "secured"),
        (ListenMode::Upgrade, "upgrade"),
        (ListenMode::Upgrade, "auto-upgrade"),
    ];
    let mut mode = r.choice(t, "mode", &mode_choices);
    let mut security = decode_security(r, t, &what);
    if let Some(transport) = r.string(t, "transport") {
        let flags = super::security::decode_transport(r, &transport, &mut security, true);
        let from_transport = if flags.upgrade {
            ListenMode::Upgrade
        } else if flags.tls {
            ListenMode::Secured
        } else {
            ListenMode::Unsecured
        };
        match &mode {
            Some(m) if m.value != from_transport => r.push(
                Problem::new(
                    "conflict",
                    transport.span,
                    format!(
                        "`transport` says {} but `mode` says {}",
                        from_transport.as_str(),
                        m.value.as_str()
                    ),
                )
                .help("keep one of `mode` and `transport`"),
            ),
            _ => mode = Some(Sp::new(from_transport, transport.span)),
        }
    }
    let number = match r.integer(t, "number") {
        Some(n) => match u16::try_from(n.value) {
            Ok(v) if v > 0 => Some(Sp::new(v, n.span)),
            _ => {
                r.push(Problem::new(
                    "bad-value",
                    n.span,
                    format!("port number {} is not in 1..=65535", n.value),
                ));
                None
            }
        },
        None => {
            if t.get("number").is_none() {
                r.push(Problem::new(
                    "missing-key",
                    id.span,
                    format!("{what} has no `number`"),
                ));
            }
            None
        }
    };
    // A bad number is reported already; 0 keeps the port ID checkable.
    Some(Port {
        number: number.unwrap_or(Sp::new(0, id.span)),
        mode: mode.unwrap_or(Sp::new(ListenMode::Unsecured, id.span)),
        ha_sync: r.boolish(t, "ha-sync").unwrap_or(Sp::new(false, id.span)),
        security,
        id,
        span,
    })
}

/// A connection that names no port dials the target's `default` port, unless the target
/// listens on no port at all (a DAP): then there is nothing to dial and the port stays unset.
fn imply_default_ports(t: &mut Topology) {
    for c in &mut t.connections {
        let has_ports = t
            .apps
            .iter()
            .find(|a| a.name.value == c.to.value)
            .is_none_or(|a| !a.ports.is_empty());
        if c.port.is_none() && has_ports {
            c.port = Some(Sp::new("default".to_string(), c.to.span));
        }
    }
}

fn decode_database(r: &mut Reader, name: Sp<String>, t: &Table<'_>) -> Option<Database> {
    let what = format!("database `{}`", name.value);
    r.keys(t, &["rdbms", "version", "host", "url"], &what);
    let rdbms = r.required_string(t, "rdbms", name.span, &what);
    let version = match t.get("version") {
        Some(v) => r.scalar_text(v, "version"),
        None => r.required_string(t, "version", name.span, &what),
    };
    let host = r.required_string(t, "host", name.span, &what);
    let url = decode_url(r, t, rdbms.as_ref(), &what);
    Some(Database {
        rdbms: rdbms?,
        version: version?,
        host: host?,
        url: url?,
        name,
    })
}

/// A database's `url`: a PostgreSQL server, for a database whose `rdbms` is `postgresql`.
/// `Some(None)` when there is none; `None` when it is wrong (reported without quoting it: it
/// may hold a password).
fn decode_url(
    r: &mut Reader,
    t: &Table<'_>,
    rdbms: Option<&Sp<String>>,
    what: &str,
) -> Option<Option<Sp<crate::idb::DbUrl>>> {
    let Some(text) = r.string(t, "url") else {
        return if t.get("url").is_some() {
            None
        } else {
            Some(None)
        };
    };
    let url = match crate::idb::DbUrl::parse(&text.value) {
        Ok(u) => u,
        Err(e) => {
            r.push(Problem::new("bad-value", text.span, format!("{what}: {e}")));
            return None;
        }
    };
    if let Some(rdbms) = rdbms.filter(|k| !k.value.eq_ignore_ascii_case("postgresql")) {
        r.push(
            Problem::new(
                "bad-value",
                rdbms.span,
                format!(
                    "{what} has a PostgreSQL `url` but its `rdbms` is `{}`",
                    rdbms.value
                ),
            )
            .help("hapair runs a database with a `url` on that PostgreSQL server: set `rdbms = \"postgresql\"`, or remove `url` for a SQLite file"),
        );
        return None;
    }
    Some(Some(Sp::new(url, text.span)))
}

/// Every name declared under `[app]`, `[host]` and `[database]`, decoded or not, by kind.
fn declared_names(doc: &Table<'_>) -> super::refs::Declared {
    let names = |key: &str| {
        doc.get(key)
            .and_then(|v| v.get_ref().as_table())
            .map(|t| t.iter().map(|(k, _)| k.get_ref().to_string()).collect())
            .unwrap_or_default()
    };
    super::refs::Declared {
        apps: names("app"),
        hosts: names("host"),
        databases: names("database"),
    }
}
