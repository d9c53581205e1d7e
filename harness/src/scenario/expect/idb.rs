//! Expectations on the databases of an ICON HA set (`[icon-ha.KEY]`), judged on what the run's
//! real IDBs hold at its end: `idb-parity = { set, differ }` (the two IDBs hold the same rows
//! wherever both ICONs were connected, or differ in exactly the `differ` tables),
//! `idb-complete = { set }` (no call event lost by the set, each IDB's gaps recorded in its own
//! session control) and `idb-roles = { set }` (the set stores what its `stores` promises).
//! Decoding resolves the set here, against the topology: each ICON's IDB (through its DAP) and
//! the roles its `role` option selects. Judging is `check/expect/idb_*.rs`'s.

use std::fmt;

use crate::diag::{Problem, Sp};
use crate::idb::schema;
use crate::topology::reader::{Reader, Table, Value};
use crate::topology::{
    App, AppType, ICON_ROLES, IconSet, Topology, effective_roles, icon_role_token,
};

/// The check keys of IDB expectations.
pub const KEYS: [&str; 3] = ["idb-parity", "idb-complete", "idb-roles"];

/// One ICON of a set, resolved: the IDB it writes through its DAP and the roles it stores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The ICON application.
    pub icon: String,
    /// The `[database.KEY]` its DAP writes to.
    pub db: String,
    /// The data roles its `role` option selects (`gcc`, `gud`, …), sorted.
    pub roles: Vec<&'static str>,
}

impl Member {
    /// Whether it stores `role`.
    pub fn stores(&self, role: &str) -> bool {
        self.roles.contains(&role)
    }
}

/// An `[icon-ha.KEY]` set, resolved against the topology.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdbSet {
    /// Its key.
    pub name: String,
    /// Its ICONs, in file order.
    pub members: Vec<Member>,
    /// The roles its `stores` promises (`all` spelled out), sorted.
    pub promised: Vec<&'static str>,
}

impl IdbSet {
    /// The data roles at least one of its ICONs stores, sorted.
    pub fn stored(&self) -> Vec<&'static str> {
        let mut all: Vec<&'static str> = self
            .members
            .iter()
            .flat_map(|m| m.roles.iter().copied())
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// What an IDB expectation checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdbCheck {
    /// `idb-parity = { set, differ }`: the two IDBs hold the same rows of every compared table
    /// over the windows both ICONs' session control records; with `differ`, they differ in
    /// exactly those tables.
    Parity {
        /// The set.
        set: IdbSet,
        /// The tables expected to differ (none: the IDBs agree).
        differ: Vec<String>,
    },
    /// `idb-complete = { set }`: every call event of a role the set stores is in an IDB, and
    /// each IDB misses only events of gaps its session control records.
    Complete(IdbSet),
    /// `idb-roles = { set, missing }`: every role the set's `stores` promises is stored by one
    /// of its ICONs, and every event of such a role distributed while an ICON of the set was
    /// connected is in an IDB; with `missing`, exactly those promised roles are stored by no
    /// ICON of the set (a rehearsed misconfiguration, named).
    Roles {
        /// The set.
        set: IdbSet,
        /// The promised roles expected to be stored by no ICON (none: every one is stored).
        missing: Vec<String>,
    },
}

impl IdbCheck {
    /// Its check key.
    pub fn key(&self) -> &'static str {
        match self {
            IdbCheck::Parity { .. } => KEYS[0],
            IdbCheck::Complete(_) => KEYS[1],
            IdbCheck::Roles { .. } => KEYS[2],
        }
    }

    /// The set it judges.
    pub fn set(&self) -> &IdbSet {
        match self {
            IdbCheck::Parity { set, .. }
            | IdbCheck::Complete(set)
            | IdbCheck::Roles { set, .. } => set,
        }
    }
}

impl fmt::Display for IdbCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = &self.set().name;
        match self {
            IdbCheck::Parity { differ, .. } if differ.is_empty() => {
                write!(f, "the IDBs of ICON set {name} hold the same rows")
            }
            IdbCheck::Parity { differ, .. } => write!(
                f,
                "the IDBs of ICON set {name} differ in exactly {}",
                differ.join(", ")
            ),
            IdbCheck::Complete(_) => write!(f, "ICON set {name} stored every call event"),
            IdbCheck::Roles { missing, .. } if !missing.is_empty() => write!(
                f,
                "no ICON of set {name} stores exactly {}",
                missing.join(", ")
            ),
            IdbCheck::Roles { set, .. } => write!(
                f,
                "ICON set {name} stores what it promises ({})",
                set.promised.join(", ")
            ),
        }
    }
}

/// Decodes `idb-parity`, `idb-complete` or `idb-roles` (`kind`) from its value `v`.
pub(super) fn decode(r: &mut Reader, v: &Value<'_>, t: &Topology, kind: &str) -> Option<IdbCheck> {
    let i = r.table(v, kind)?;
    let parity = kind == KEYS[0];
    let allowed: &[&str] = match kind {
        k if k == KEYS[0] => &["set", "differ"],
        k if k == KEYS[2] => &["set", "missing"],
        _ => &["set"],
    };
    r.keys(i, allowed, &format!("`{kind}`"));
    let Some(name) = r.string(i, "set") else {
        if i.get("set").is_none() {
            r.push(
                Problem::new("missing-key", v.span(), format!("`{kind}` needs `set`"))
                    .help("the key of an [icon-ha.KEY] table, e.g. set = \"voice\""),
            );
        }
        return None;
    };
    let set = resolve(r, t, &name)?;
    if parity {
        let differ = differ(r, i);
        if let [a, b] = &set.members[..] {
            if a.db == b.db {
                r.push(Problem::new(
                    "bad-value",
                    name.span,
                    format!(
                        "both ICONs of set `{}` write IDB `{}`: there are not two IDBs to compare",
                        set.name, a.db
                    ),
                ));
                return None;
            }
        } else {
            r.push(Problem::new(
                "bad-value",
                name.span,
                format!(
                    "set `{}` has {} ICON(s): parity compares the IDBs of two",
                    set.name,
                    set.members.len()
                ),
            ));
            return None;
        }
        return Some(IdbCheck::Parity {
            set,
            differ: differ?,
        });
    }
    if kind == KEYS[1] {
        return Some(IdbCheck::Complete(set));
    }
    if set.promised.is_empty() {
        r.push(
            Problem::new(
                "bad-value",
                name.span,
                format!(
                    "set `{}` promises no roles: `idb-roles` judges what its `stores` promises",
                    set.name
                ),
            )
            .help("give the set stores = [\"gcc\", \"gud\"] (the roles it is meant to store)"),
        );
        return None;
    }
    let missing = missing(r, i, &set)?;
    Some(IdbCheck::Roles { set, missing })
}

/// `missing = ["gud", …]`: roles the set promises (located errors otherwise).
fn missing(r: &mut Reader, i: &Table<'_>, set: &IdbSet) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut ok = true;
    for role in r.strings(i, "missing") {
        if set.promised.contains(&role.value.as_str()) {
            out.push(role.value);
        } else {
            ok = false;
            r.push(Problem::new(
                "bad-value",
                role.span,
                format!(
                    "set `{}` does not promise `{}`: it promises {}",
                    set.name,
                    role.value,
                    set.promised.join(", ")
                ),
            ));
        }
    }
    ok.then_some(out)
}

/// The set named `name`, each ICON with its IDB and roles (a located error when it is not a
/// set, or an ICON writes through no DAP with a database).
fn resolve(r: &mut Reader, t: &Topology, name: &Sp<String>) -> Option<IdbSet> {
    let Some(set) = t.icon_sets.iter().find(|s| s.name.value == name.value) else {
        let p = Problem::new(
            "unknown-set",
            name.span,
            format!("no [icon-ha.{}] set in the topology", name.value),
        );
        let names = t.icon_sets.iter().map(|s| s.name.value.as_str());
        r.push(match crate::diag::closest(&name.value, names) {
            Some(c) => p.help(format!("did you mean `{c}`?")),
            None => p.help("an [icon-ha.KEY] table names the ICONs of a set"),
        });
        return None;
    };
    let mut members = Vec::new();
    for icon in &set.icons {
        let app = t.app(&icon.value)?;
        let Some(db) = idb_of(t, app) else {
            r.push(Problem::new(
                "bad-value",
                name.span,
                format!(
                    "ICON `{}` of set `{}` writes through no DAP with a database: it has no IDB \
                     to judge",
                    icon.value, set.name.value
                ),
            ));
            return None;
        };
        members.push(Member {
            icon: icon.value.clone(),
            db,
            roles: effective_roles(
                app.option("callconcentrator", "role")
                    .map(|r| r.value.as_str()),
            )
            .into_iter()
            .collect(),
        });
    }
    Some(IdbSet {
        name: set.name.value.clone(),
        members,
        promised: promised(set),
    })
}

/// The `[database.KEY]` an ICON writes through its first DAP that names one.
fn idb_of(t: &Topology, icon: &App) -> Option<String> {
    t.connections_from(&icon.name.value)
        .filter_map(|c| t.app(&c.to.value))
        .filter(|a| a.kind.value == AppType::Dap)
        .find_map(|d| d.database.as_ref().map(|db| db.value.clone()))
}

/// The roles `stores` promises, `all` spelled out.
fn promised(set: &IconSet) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for token in set.stores.iter().filter_map(|s| icon_role_token(&s.value)) {
        if token == "all" {
            out.extend(ICON_ROLES);
        } else {
            out.push(token);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// `differ = ["TABLE", …]`: compared tables of the IDB subset (located errors otherwise).
fn differ(r: &mut Reader, i: &Table<'_>) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut ok = true;
    for name in r.strings(i, "differ") {
        match schema::table(&name.value) {
            Some(def) if def.compared => out.push(name.value),
            Some(def) => {
                ok = false;
                r.push(Problem::new(
                    "bad-value",
                    name.span,
                    format!(
                        "`{}` is session control of one ICON ({}), never compared between IDBs",
                        def.name, def.what
                    ),
                ));
            }
            None => {
                ok = false;
                let p = Problem::new(
                    "unknown-table",
                    name.span,
                    format!("no table `{}` in hapair's IDB subset", name.value),
                );
                let compared = schema::TABLES.iter().filter(|t| t.compared);
                let names = compared.clone().map(|t| t.name);
                r.push(match crate::diag::closest(&name.value, names) {
                    Some(c) => p.help(format!("did you mean `{c}`?")),
                    None => p.help(format!(
                        "the compared tables are {}",
                        compared.map(|t| t.name).collect::<Vec<_>>().join(", ")
                    )),
                });
            }
        }
    }
    out.sort();
    out.dedup();
    ok.then_some(out)
}
