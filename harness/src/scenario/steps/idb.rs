//! Decoding the IDB steps (Step 9, ICON): `idb-refuse` / `idb-accept` name a
//! `[database.KEY]`; `dap-database = { dap = "DAP", database = "DB" }` points a DAP at
//! another database. Every name is checked against the topology, with a did-you-mean.

use super::super::names::app_ref;
use crate::diag::{Problem, Sp, closest};
use crate::fault::{AppRef, Fault};
use crate::topology::reader::{Reader, Table, Value};
use crate::topology::{AppType, Topology};

/// A `[database.KEY]` name, checked.
fn database_ref(r: &mut Reader, t: &Topology, name: Sp<String>) -> Option<String> {
    if t.database(&name.value).is_some() {
        return Some(name.value);
    }
    let p = Problem::new(
        "unknown-database",
        name.span,
        format!("the topology has no database `{}`", name.value),
    );
    r.push(
        match closest(
            &name.value,
            t.databases.iter().map(|d| d.name.value.as_str()),
        ) {
            Some(c) => p.help(format!("did you mean `{c}`?")),
            None => p.help("IDB steps name a [database.KEY]"),
        },
    );
    None
}

/// `idb-refuse = "DB"` or `idb-accept = "DB"`.
pub(super) fn refuse(r: &mut Reader, st: &Table<'_>, t: &Topology, kind: &str) -> Option<Fault> {
    let name = r.string(st, kind)?;
    let db = database_ref(r, t, name)?;
    Some(if kind == "idb-refuse" {
        Fault::IdbRefuse { db }
    } else {
        Fault::IdbAccept { db }
    })
}

/// `dap-database = { dap = "DAP", database = "DB" }`.
pub(super) fn dap_database(r: &mut Reader, v: &Value<'_>, t: &Topology) -> Option<Fault> {
    let inner = r.table(v, "dap-database")?;
    r.keys(inner, &["dap", "database"], "`dap-database`");
    let dap = r.string(inner, "dap")?;
    let span = dap.span;
    let dap = app_ref(r, t, dap)?;
    if t.app(&dap).is_some_and(|a| a.kind.value != AppType::Dap) {
        r.push(
            Problem::new("wrong-kind", span, format!("`{dap}` is not a DAP"))
                .help("`dap-database` names an application of type `dap`"),
        );
        return None;
    }
    let database = r.string(inner, "database")?;
    let database = database_ref(r, t, database)?;
    Some(Fault::DapDatabase {
        dap: AppRef::new(dap),
        database,
    })
}
