//! The difference between two topologies of the same deployment, per application: what a
//! rollout has to change (ports, modes, HA sync, certificates, trusted CAs, `sec-protocol`,
//! options, its connections, its host), as dotted paths with their old and new values.
//!
//! Both files are loaded by the topology loader first (every problem located); then whatever
//! cannot be rolled is refused with a located problem: other hosts, other applications,
//! another pair membership or type, other databases. A certificate or CA defined under the
//! same name but differently in TO is a new one: it is renamed (`NAME-to`) so that both can
//! coexist in the intermediate states.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use toml::{Table, Value};

use super::RehearseError;
use crate::diag::{Invalid, Problem, ReadError, Source, Span};
use crate::topology::{self, Topology};

/// One side of the rollout: its file, its document and its loaded topology.
pub struct Side {
    /// The file.
    pub source: Arc<Source>,
    /// The document (TO's with its renamed certificates and CAs).
    pub doc: Table,
    /// The loaded topology.
    pub topology: Topology,
}

/// One changed value: a dotted path inside the application's tables.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// Where (`port.ha.mode`, `security.trusted-ca`, `connection->ts_primary.port`).
    pub path: String,
    /// The value today (`None`: not written).
    pub from: Option<String>,
    /// The value after the rollout (`None`: removed).
    pub to: Option<String>,
}

/// The difference of one application.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AppDiff {
    /// The application.
    pub app: String,
    /// What changes, in path order.
    pub changes: Vec<Change>,
    /// The PKI CAs it trusts today (any level of its own: application, host, port,
    /// connection).
    pub trust_from: BTreeSet<String>,
    /// The PKI CAs it trusts after the rollout.
    pub trust_to: BTreeSet<String>,
}

/// FROM and TO, with the per-application difference.
pub struct Diff {
    /// Today's configuration.
    pub from: Side,
    /// The new one.
    pub to: Side,
    /// Every application, in FROM's file order.
    pub apps: Vec<AppDiff>,
    /// Certificates and CAs of TO renamed because FROM defines the same name otherwise.
    pub renamed: BTreeMap<String, String>,
}

impl Diff {
    /// The difference of one application.
    pub fn app(&self, name: &str) -> Option<&AppDiff> {
        self.apps.iter().find(|a| a.app == name)
    }
}

/// Loads both files and computes their difference.
///
/// # Errors
/// [`RehearseError`] when a file cannot be read or loaded, or the two cannot be rolled.
pub fn diff(from: &Path, to: &Path) -> Result<Diff, RehearseError> {
    let from = side(from)?;
    let mut to = side(to)?;
    refuse_unrollable(&from, &to)?;
    let renamed = rename_new_pki(&from.doc, &mut to.doc);
    let apps = from
        .topology
        .apps
        .iter()
        .map(|a| app_diff(&from, &to, &a.name.value))
        .collect();
    Ok(Diff {
        from,
        to,
        apps,
        renamed,
    })
}

fn side(path: &Path) -> Result<Side, RehearseError> {
    let source = Source::read(path).map_err(|e| match e {
        ReadError::Io(e) => RehearseError::Unreadable {
            path: path.to_path_buf(),
            error: format!("cannot read {}: {e}", path.display()),
        },
        ReadError::NotText(i) => RehearseError::Invalid(i),
    })?;
    if crate::scenario::is_scenario(&source.text) {
        return Err(invalid(
            &source,
            Span::default(),
            "this is a scenario file; `hapair rehearse` compares two topology files",
        ));
    }
    let topology = topology::load::parse(Arc::clone(&source)).map_err(RehearseError::Invalid)?;
    let doc: Table = toml::from_str(&source.text).map_err(|e| {
        invalid(
            &source,
            Span::default(),
            &format!("cannot be read as a table: {e}"),
        )
    })?;
    Ok(Side {
        source,
        doc,
        topology,
    })
}

fn invalid(source: &Arc<Source>, span: Span, message: &str) -> RehearseError {
    RehearseError::Invalid(Invalid {
        source_file: Arc::clone(source),
        problems: vec![Problem::new("cannot-roll", span, message.to_string())],
    })
}

/// Refuses what a rolling change cannot do: another set of hosts or applications, an
/// application that moves host, changes type or pair, other databases or ICON sets.
fn refuse_unrollable(from: &Side, to: &Side) -> Result<(), RehearseError> {
    let (f, t) = (&from.topology, &to.topology);
    let help = "a rollout changes the configuration of the hosts and applications there are; \
                add or remove hosts and applications in a separate change";
    let mut problems = Vec::new();
    for h in &t.hosts {
        if f.host(&h.key.value).is_none() {
            problems.push(
                Problem::new(
                    "cannot-roll",
                    h.key.span,
                    format!(
                        "host `{}` is not in {}",
                        h.key.value,
                        from.source.path.display()
                    ),
                )
                .help(help),
            );
        }
    }
    for h in &f.hosts {
        if t.host(&h.key.value).is_none() {
            problems.push(
                Problem::new(
                    "cannot-roll",
                    Span::default(),
                    format!(
                        "host `{}` of {} (line {}) is missing here",
                        h.key.value,
                        from.source.path.display(),
                        from.source.locate(h.key.span.start).line
                    ),
                )
                .help(help),
            );
        }
    }
    for a in &t.apps {
        let Some(old) = f.app(&a.name.value) else {
            problems.push(
                Problem::new(
                    "cannot-roll",
                    a.name.span,
                    format!(
                        "application `{}` is not in {}",
                        a.name.value,
                        from.source.path.display()
                    ),
                )
                .help(help),
            );
            continue;
        };
        let backup = |x: &topology::App| {
            x.backup
                .as_ref()
                .map_or_else(|| "none".to_string(), |b| format!("`{}`", b.value))
        };
        if old.host.value != a.host.value {
            problems.push(Problem::new(
                "cannot-roll",
                a.host.span,
                format!(
                    "`{}` moves from host `{}` to `{}`: a rollout does not move applications",
                    a.name.value, old.host.value, a.host.value
                ),
            ));
        }
        if old.kind.value != a.kind.value {
            problems.push(Problem::new(
                "cannot-roll",
                a.kind.span,
                format!("`{}` changes its type", a.name.value),
            ));
        }
        if backup(old) != backup(a) {
            problems.push(Problem::new(
                "cannot-roll",
                a.name.span,
                format!(
                    "`{}` changes its backup (from {} to {}): the pairs must stay the same",
                    a.name.value,
                    backup(old),
                    backup(a)
                ),
            ));
        }
    }
    for a in &f.apps {
        if t.app(&a.name.value).is_none() {
            problems.push(
                Problem::new(
                    "cannot-roll",
                    Span::default(),
                    format!(
                        "application `{}` of {} (line {}) is missing here",
                        a.name.value,
                        from.source.path.display(),
                        from.source.locate(a.name.span.start).line
                    ),
                )
                .help(help),
            );
        }
    }
    for key in ["database", "icon-ha", "resolution"] {
        if from.doc.get(key) != to.doc.get(key) {
            problems.push(Problem::new(
                "cannot-roll",
                Span::default(),
                format!("`{key}` differs from {}: hapair rehearse rolls applications, hosts and certificates only", from.source.path.display()),
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    crate::diag::settle(&mut problems);
    Err(RehearseError::Invalid(Invalid {
        source_file: Arc::clone(&to.source),
        problems,
    }))
}

/// Renames TO's certificates and CAs that FROM defines otherwise, in TO's `[pki]` and every
/// reference to them (`certificate`, `trusted-ca`, `issuer`).
fn rename_new_pki(from: &Table, to: &mut Table) -> BTreeMap<String, String> {
    let mut renamed = BTreeMap::new();
    let taken: BTreeSet<String> = ["ca", "cert"]
        .iter()
        .flat_map(|k| pki_names(from, k).chain(pki_names(to, k)))
        .collect();
    for kind in ["ca", "cert"] {
        let Some(Value::Table(theirs)) = to.get("pki").and_then(|p| p.get(kind)).cloned() else {
            continue;
        };
        for (name, def) in &theirs {
            let ours = from
                .get("pki")
                .and_then(|p| p.get(kind))
                .and_then(|t| t.get(name));
            if ours.is_some_and(|o| o != def) {
                let mut fresh = format!("{name}-to");
                let mut n = 2u32;
                while taken.contains(&fresh) || renamed.values().any(|v| v == &fresh) {
                    fresh = format!("{name}-to{n}");
                    n = n.saturating_add(1);
                }
                renamed.insert(name.clone(), fresh);
            }
        }
    }
    if renamed.is_empty() {
        return renamed;
    }
    if let Some(Value::Table(pki)) = to.get_mut("pki") {
        for kind in ["ca", "cert"] {
            if let Some(Value::Table(t)) = pki.get_mut(kind) {
                let old = std::mem::take(t);
                for (k, v) in old {
                    let k = renamed.get(&k).cloned().unwrap_or(k);
                    t.insert(k, v);
                }
            }
        }
    }
    for key in ["pki", "host", "app", "connection"] {
        if let Some(v) = to.get_mut(key) {
            rewrite(v, &renamed);
        }
    }
    renamed
}

fn pki_names<'a>(doc: &'a Table, kind: &str) -> impl Iterator<Item = String> + 'a {
    doc.get("pki")
        .and_then(|p| p.get(kind))
        .and_then(Value::as_table)
        .into_iter()
        .flat_map(|t| t.keys().cloned())
}

/// Rewrites references to renamed names anywhere below `v`.
fn rewrite(v: &mut Value, renamed: &BTreeMap<String, String>) {
    match v {
        Value::Table(t) => {
            for (k, x) in t.iter_mut() {
                if matches!(k.as_str(), "certificate" | "trusted-ca" | "issuer") {
                    if let Value::String(s) = x {
                        if let Some(n) = renamed.get(s.as_str()) {
                            *s = n.clone();
                        }
                    }
                } else {
                    rewrite(x, renamed);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite(x, renamed)),
        _ => {}
    }
}

/// The application's table in a document.
pub fn app_table<'a>(doc: &'a Table, app: &str) -> Option<&'a Value> {
    doc.get("app").and_then(|a| a.get(app))
}

/// The host table in a document.
pub fn host_table<'a>(doc: &'a Table, host: &str) -> Option<&'a Value> {
    doc.get("host").and_then(|a| a.get(host))
}

/// The `[[connection]]` entries whose `from` is `app`, in file order.
pub fn connections_of<'a>(doc: &'a Table, app: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    doc.get("connection")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(move |c| c.get("from").and_then(Value::as_str) == Some(app))
}

fn app_diff(from: &Side, to: &Side, app: &str) -> AppDiff {
    let mut changes = Vec::new();
    compare(
        "",
        app_table(&from.doc, app),
        app_table(&to.doc, app),
        &mut changes,
    );
    let key = |c: &Value| {
        format!(
            "connection->{}",
            c.get("to").and_then(Value::as_str).unwrap_or("?")
        )
    };
    let mut conns: BTreeMap<String, (Option<Value>, Option<Value>)> = BTreeMap::new();
    for c in connections_of(&from.doc, app) {
        conns.entry(key(c)).or_default().0 = Some(c.clone());
    }
    for c in connections_of(&to.doc, app) {
        conns.entry(key(c)).or_default().1 = Some(c.clone());
    }
    for (k, (f, t)) in &conns {
        compare(k, f.as_ref(), t.as_ref(), &mut changes);
    }
    if let Some(h) = from.topology.app(app).map(|a| a.host.value.clone()) {
        compare(
            &format!("host {h}"),
            host_table(&from.doc, &h),
            host_table(&to.doc, &h),
            &mut changes,
        );
    }
    AppDiff {
        app: app.to_string(),
        changes,
        trust_from: trusted(from, app),
        trust_to: trusted(to, app),
    }
}

/// Every leaf that differs between `a` and `b`, as a dotted path under `at`.
fn compare(at: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<Change>) {
    let join = |k: &str| {
        if at.is_empty() {
            k.to_string()
        } else {
            format!("{at}.{k}")
        }
    };
    match (a, b) {
        (Some(Value::Table(x)), Some(Value::Table(y))) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                compare(&join(k), x.get(k), y.get(k), out);
            }
        }
        (Some(Value::Table(x)), None) => {
            for (k, v) in x {
                compare(&join(k), Some(v), None, out);
            }
        }
        (None, Some(Value::Table(y))) => {
            for (k, v) in y {
                compare(&join(k), None, Some(v), out);
            }
        }
        (x, y) if x != y => out.push(Change {
            path: at.to_string(),
            from: x.map(text),
            to: y.map(text),
        }),
        _ => {}
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The PKI CAs an application trusts at any of its own levels (application, ports,
/// connections, host).
pub fn trusted(side: &Side, app: &str) -> BTreeSet<String> {
    let t = &side.topology;
    let Some(a) = t.app(app) else {
        return BTreeSet::new();
    };
    let mut levels = vec![&a.security];
    levels.extend(a.ports.iter().map(|p| &p.security));
    levels.extend(t.connections_from(app).map(|c| &c.security));
    levels.extend(t.host_of(a).map(|h| &h.security));
    levels
        .into_iter()
        .filter_map(|s| s.trusted_ca.as_ref())
        .map(|c| c.value.clone())
        .filter(|c| t.pki.cas.iter().any(|ca| ca.name == *c))
        .collect()
}
