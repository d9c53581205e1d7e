//! Cross-reference checks of a decoded topology: every name points at something that exists
//! and of the right kind, and backups form pairs (no self-backup, chain or cycle). These make a
//! file invalid (exit 2); HA rules about well-formed files are `rules`' business.

use std::collections::HashSet;

use super::reader::Reader;
use super::{AppType, Security, Topology};
use crate::diag::{Problem, Sp, closest};

pub(super) fn check(r: &mut Reader, t: &Topology, declared: &Declared) {
    let r = &mut Refs { r, declared };
    duplicate_names(r, t);
    super::names::check(r.r, t);
    for h in &t.hosts {
        security_refs(r, t, &h.security);
    }
    for app in &t.apps {
        if t.host(&app.host.value).is_none() {
            r.dangling(
                &app.host,
                "host",
                t.hosts.iter().map(|h| h.key.value.as_str()),
            );
        }
        if let Some(db) = &app.database {
            if t.database(&db.value).is_none() {
                r.dangling(
                    db,
                    "database",
                    t.databases.iter().map(|d| d.name.value.as_str()),
                );
            }
        }
        security_refs(r, t, &app.security);
        for p in &app.ports {
            security_refs(r, t, &p.security);
        }
        backup(r, t, app);
    }
    for c in &t.connections {
        connection(r, t, c);
        security_refs(r, t, &c.security);
    }
    for db in &t.databases {
        if t.host(&db.host.value).is_none() {
            r.dangling(
                &db.host,
                "host",
                t.hosts.iter().map(|h| h.key.value.as_str()),
            );
        }
    }
    for set in &t.icon_sets {
        icon_set(r, t, set);
    }
}

/// The names declared in the file under `[app]`, `[host]` and `[database]`, decoded or not,
/// each kind on its own: a reference to an object that failed to decode is not reported as
/// dangling too, and one to an object of another kind is reported as that.
#[derive(Default)]
pub(crate) struct Declared {
    /// `[app.NAME]`.
    pub apps: HashSet<String>,
    /// `[host.KEY]`.
    pub hosts: HashSet<String>,
    /// `[database.NAME]`.
    pub databases: HashSet<String>,
}

impl Declared {
    fn has(&self, kind: &str, name: &str) -> bool {
        match kind {
            "application" => self.apps.contains(name),
            "host" => self.hosts.contains(name),
            "database" => self.databases.contains(name),
            _ => false,
        }
    }

    /// What else `name` is, when it is not a `kind`.
    fn other_kind(&self, kind: &str, name: &str) -> Option<&'static str> {
        ["application", "host", "database"]
            .into_iter()
            .find(|k| *k != kind && self.has(k, name))
    }
}

/// The reader, and the names declared in the file (decoded or not).
struct Refs<'a> {
    r: &'a mut Reader,
    declared: &'a Declared,
}

impl Refs<'_> {
    /// Records a problem.
    fn push(&mut self, p: Problem) {
        self.r.push(p);
    }

    /// Records a dangling reference, unless the name is declared but failed to decode
    /// (that failure is reported already).
    fn dangling<'k>(
        &mut self,
        name: &Sp<String>,
        what: &str,
        known: impl IntoIterator<Item = &'k str>,
    ) {
        let kind = what.split_whitespace().next().unwrap_or(what);
        if let Some(other) = self.declared.other_kind(kind, &name.value) {
            let article = |k: &str| if k.starts_with('a') { "an" } else { "a" };
            self.r.push(
                Problem::new(
                    "wrong-kind",
                    name.span,
                    format!(
                        "`{}` is {} {other}, not {} {kind}",
                        name.value,
                        article(other),
                        article(kind)
                    ),
                )
                .help(format!("name {} {kind} here", article(kind))),
            );
        } else if !self.declared.has(kind, &name.value) {
            self.r.push(dangling(name, what, known));
        }
    }
}

fn app_names(t: &Topology) -> impl Iterator<Item = &str> {
    t.apps.iter().map(|a| a.name.value.as_str())
}

fn dangling<'a>(
    name: &Sp<String>,
    what: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Problem {
    let p = Problem::new(
        "dangling-reference",
        name.span,
        format!("there is no {what} `{}`", name.value),
    );
    match closest(&name.value, known) {
        Some(c) => p.help(format!("did you mean `{c}`?")),
        None => p,
    }
}

/// Host names (not keys) must be unique: two host objects for one machine split its fate.
fn duplicate_names(r: &mut Refs<'_>, t: &Topology) {
    for (i, h) in t.hosts.iter().enumerate() {
        if let Some(first) = t
            .hosts
            .iter()
            .take(i)
            .find(|o| o.name.value == h.name.value)
        {
            r.push(
                Problem::new(
                    "duplicate-name",
                    h.name.span,
                    format!(
                        "hosts `{}` and `{}` have the same name `{}`",
                        first.key.value, h.key.value, h.name.value
                    ),
                )
                .help("one machine is one host object: merge them"),
            );
        }
    }
}

fn backup(r: &mut Refs<'_>, t: &Topology, app: &super::App) {
    let Some(b) = &app.backup else {
        return;
    };
    if b.value == app.name.value {
        r.push(
            Problem::new(
                "self-backup",
                b.span,
                format!("`{}` names itself as its backup", b.value),
            )
            .help("a backup must be another application"),
        );
        return;
    }
    let Some(backup) = t.app(&b.value) else {
        r.dangling(b, "application", app_names(t));
        return;
    };
    if let Some(next) = &backup.backup {
        let (code, message) = if next.value == app.name.value {
            (
                "backup-cycle",
                format!(
                    "`{}` and `{}` name each other as backup",
                    app.name.value, backup.name.value
                ),
            )
        } else {
            (
                "backup-chain",
                format!(
                    "`{}` is a backup and names a backup of its own (`{}`)",
                    backup.name.value, next.value
                ),
            )
        };
        r.push(
            Problem::new(code, b.span, message)
                .help("a pair is one primary and one backup: remove one `backup` key"),
        );
    }
    if let (Some(p), Some(q)) = (&app.redundancy, &backup.redundancy) {
        if p.value != q.value {
            r.push(
                Problem::new(
                    "conflict",
                    q.span,
                    format!(
                        "`{}` says {} but its primary `{}` says {}",
                        backup.name.value,
                        q.value.as_str(),
                        app.name.value,
                        p.value.as_str()
                    ),
                )
                .help("a pair has one redundancy type; write it on the primary"),
            );
        }
    }
}

fn connection(r: &mut Refs<'_>, t: &Topology, c: &super::Connection) {
    if t.app(&c.from.value).is_none() {
        r.dangling(&c.from, "application", app_names(t));
    }
    let Some(to) = t.app(&c.to.value) else {
        r.dangling(&c.to, "application", app_names(t));
        return;
    };
    if to.kind.value == AppType::Client {
        r.push(Problem::new(
            "wrong-kind",
            c.to.span,
            format!(
                "`{}` is a client: it has no ports to connect to",
                c.to.value
            ),
        ));
        return;
    }
    let Some(port) = &c.port else {
        return; // the target listens on no port: nothing to dial
    };
    if to.port(&port.value).is_none() {
        let ids = to.ports.iter().map(|p| p.id.value.as_str());
        let p = Problem::new(
            "dangling-reference",
            port.span,
            format!("`{}` has no port with ID `{}`", to.name.value, port.value),
        );
        r.push(match closest(&port.value, ids) {
            Some(s) => p.help(format!("did you mean `{s}`?")),
            None if to.ports.is_empty() => p.help(format!(
                "`{}` listens on no port: remove `port`, or declare [app.{}.port.{}]",
                to.name.value, to.name.value, port.value
            )),
            None => p.help(format!(
                "declare [app.{}.port.{}]",
                to.name.value, port.value
            )),
        });
    }
}

fn icon_set(r: &mut Refs<'_>, t: &Topology, set: &super::IconSet) {
    if set.icons.len() < 2 {
        r.push(Problem::new(
            "bad-value",
            set.name.span,
            format!("ICON HA set `{}` needs two ICONs", set.name.value),
        ));
    }
    for i in &set.icons {
        match t.app(&i.value) {
            None => r.dangling(i, "application", app_names(t)),
            Some(a) if a.kind.value != AppType::Icon => {
                r.push(Problem::new(
                    "wrong-kind",
                    i.span,
                    format!("`{}` is not an ICON (type = \"icon\")", i.value),
                ));
            }
            Some(_) => {}
        }
    }
    for s in &set.stores {
        if super::icon_role_token(&s.value).is_none() {
            r.push(
                Problem::new(
                    "bad-value",
                    s.span,
                    format!("`{}` is not an ICON role", s.value),
                )
                .help("use all, cfg, gcc, gls, gud, gos or lrm"),
            );
        }
    }
}

/// Whether a security value is a path to a file rather than a PKI name.
pub fn is_path(value: &str) -> bool {
    value.contains('/')
        || value.contains('\\')
        || [".pem", ".crt", ".cer", ".key"]
            .iter()
            .any(|e| value.ends_with(e))
}

fn security_refs(r: &mut Refs<'_>, t: &Topology, s: &Security) {
    if let Some(c) = &s.certificate {
        if !is_path(&c.value) && t.pki.cert(&c.value).is_none() {
            r.dangling(
                c,
                "certificate in [pki.cert]",
                t.pki.certs.iter().map(|c| c.name.as_str()),
            );
        }
    }
    if let Some(ca) = &s.trusted_ca {
        if !is_path(&ca.value) && t.pki.ca(&ca.value).is_none() {
            r.dangling(
                ca,
                "CA in [pki.ca]",
                t.pki.cas.iter().map(|c| c.name.as_str()),
            );
        }
    }
}
