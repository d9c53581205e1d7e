//! The documented subset of the Interaction Database (IDB) that hapair's ICON writes: table and
//! column names after Genesys's own (G_CALL, G_PARTY, G_USERDATA_HISTORY, G_LOGIN_SESSION,
//! G_DSS_*_PROVIDER, G_SYNC_CONTROL), reduced to what the HA checks compare.
//!
//! Every data row carries `SEQ`, the data source's event sequence number of the event that
//! produced it (Genesys keeps it as `FEVENT_DSSEQ`/`EventID`): parity and completeness compare
//! rows by it. Control tables (`svc`) describe one ICON's own sessions and are never compared
//! between the two IDBs of a set.

/// A column's SQL type (the same words in SQLite and PostgreSQL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColType {
    /// A 64-bit integer (`BIGINT`).
    Int,
    /// Text (`TEXT`).
    Text,
}

/// One column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// Name (upper case, as Genesys's).
    pub name: &'static str,
    /// Type.
    pub ty: ColType,
    /// Whether it may be NULL.
    pub nullable: bool,
}

/// One table of the subset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableDef {
    /// Name (upper case, as Genesys's).
    pub name: &'static str,
    /// The ICON role that stores it (`gcc`, `gud`, `gls`), or `svc` for control tables.
    pub role: &'static str,
    /// What it holds, for `hapair explain` and the README.
    pub what: &'static str,
    /// Columns, in order: a [`Row`](super::Row)'s values follow it.
    pub columns: &'static [Column],
    /// The primary key's columns.
    pub key: &'static [&'static str],
    /// A row whose key exists replaces it (a control record updated as a session goes on);
    /// otherwise an existing key is an error.
    pub upsert: bool,
    /// Compared between the two IDBs of an HA set (data tables), or not (control tables).
    pub compared: bool,
}

const fn int(name: &'static str) -> Column {
    Column {
        name,
        ty: ColType::Int,
        nullable: false,
    }
}

const fn text(name: &'static str) -> Column {
    Column {
        name,
        ty: ColType::Text,
        nullable: false,
    }
}

const fn null_int(name: &'static str) -> Column {
    Column {
        name,
        ty: ColType::Int,
        nullable: true,
    }
}

const fn null_text(name: &'static str) -> Column {
    Column {
        name,
        ty: ColType::Text,
        nullable: true,
    }
}

/// The columns of each `G_DSS_<role>_PROVIDER` table: one row per data-source session.
const DSS_COLUMNS: &[Column] = &[
    // The data-source session: the ICON's counter, continued from its IDB at a restart.
    int("DSS_ID"),
    // The ICON that wrote it (Genesys: ICON_DBID).
    text("ICON"),
    // The data source instance connected to (DS_DBID) and the pair's primary (DS_DBID_PRIM).
    text("DS"),
    text("DS_PRIM"),
    // 1 first connection, 2 reconnect, 3 data-source restart, 4 switch reconnection,
    // 5 switchover.
    int("DSCONN_TYPE"),
    // Virtual ms when the session started and ended (DSCONN_STIME / DSCONN_ETIME).
    int("DSCONN_STIME"),
    null_int("DSCONN_ETIME"),
    // First and last event stored on the session (FEVENT_DSSEQ / LEVENT_DSSEQ).
    null_int("FEVENT_DSSEQ"),
    null_int("LEVENT_DSSEQ"),
];

/// The key of each `G_DSS_<role>_PROVIDER` table: an ICON numbers its own sessions, and two
/// ICONs writing one IDB (a misconfiguration hapair runs to show its consequence) must not
/// overwrite each other's.
const DSS_KEY: &[&str] = &["ICON", "DSS_ID"];

/// Every table of the subset, in creation order.
pub const TABLES: &[TableDef] = &[
    TableDef {
        name: "G_CALL",
        role: "gcc",
        what: "one row per interaction, written at its first event",
        columns: &[text("CALLID"), int("SEQ"), text("ANI"), text("DNIS")],
        key: &["CALLID"],
        upsert: false,
        compared: true,
    },
    TableDef {
        name: "G_PARTY",
        role: "gcc",
        what: "one row per party (DN) of an interaction",
        columns: &[text("CALLID"), text("DN"), null_text("AGENT"), int("SEQ")],
        key: &["CALLID", "DN"],
        upsert: false,
        compared: true,
    },
    TableDef {
        name: "G_PARTY_HISTORY",
        role: "gcc",
        what: "every state change of a party (ringing, established, released)",
        columns: &[int("SEQ"), text("CALLID"), text("DN"), text("STATE")],
        key: &["SEQ"],
        upsert: false,
        compared: true,
    },
    TableDef {
        name: "G_VIRTUAL_QUEUE",
        role: "gcc",
        what: "a call entering (queued) and leaving (diverted) a virtual queue, when monitored",
        columns: &[int("SEQ"), text("CALLID"), text("VQ"), text("ACTION")],
        key: &["SEQ"],
        upsert: false,
        compared: true,
    },
    TableDef {
        name: "G_USERDATA_HISTORY",
        role: "gud",
        what: "attached data changes, as the attached-data options keep them",
        columns: &[int("SEQ"), text("CALLID"), text("KEYNAME"), text("VALUE")],
        key: &["SEQ"],
        upsert: false,
        compared: true,
    },
    TableDef {
        name: "G_LOGIN_SESSION",
        role: "gls",
        what: "agent logins and logouts",
        columns: &[
            int("SEQ"),
            text("AGENT"),
            null_text("PLACE"),
            text("ACTION"),
        ],
        key: &["SEQ"],
        upsert: false,
        compared: true,
    },
    TableDef {
        name: "G_AGENT_STATE_HISTORY",
        role: "gls",
        what: "agent state changes (ready, not-ready, after-call-work)",
        columns: &[int("SEQ"), text("AGENT"), text("STATE")],
        key: &["SEQ"],
        upsert: false,
        compared: true,
    },
    TableDef {
        name: "G_DSS_GCC_PROVIDER",
        role: "svc",
        what: "data-source sessions of the gcc role: connection type, start, end, first and last event",
        columns: DSS_COLUMNS,
        key: DSS_KEY,
        upsert: true,
        compared: false,
    },
    TableDef {
        name: "G_DSS_GUD_PROVIDER",
        role: "svc",
        what: "data-source sessions of the gud role",
        columns: DSS_COLUMNS,
        key: DSS_KEY,
        upsert: true,
        compared: false,
    },
    TableDef {
        name: "G_DSS_GLS_PROVIDER",
        role: "svc",
        what: "data-source sessions of the gls role",
        columns: DSS_COLUMNS,
        key: DSS_KEY,
        upsert: true,
        compared: false,
    },
    TableDef {
        name: "G_SYNC_CONTROL",
        role: "svc",
        what: "per provider (role), the last event this ICON stored, for HA synchronisation",
        columns: &[
            text("PROVIDER"),
            text("PRIMARY_ID"),
            text("CLUSTER_ID"),
            text("PROVIDER_ID"),
            int("SEQ"),
        ],
        key: &["PROVIDER"],
        upsert: true,
        compared: false,
    },
];

/// The table with this name.
pub fn table(name: &str) -> Option<&'static TableDef> {
    TABLES.iter().find(|t| t.name == name)
}

/// The `G_DSS_<role>_PROVIDER` table of an ICON role (`gcc`, `gud`, `gls`).
pub fn dss_table(role: &str) -> Option<&'static TableDef> {
    TABLES
        .iter()
        .find(|t| t.columns == DSS_COLUMNS && t.name.get(6..9) == Some(&*role.to_ascii_uppercase()))
}

/// `CREATE TABLE IF NOT EXISTS` for `t`: the same text in SQLite and PostgreSQL.
pub fn create_sql(t: &TableDef) -> String {
    let cols: Vec<String> = t
        .columns
        .iter()
        .map(|c| {
            let ty = match c.ty {
                ColType::Int => "BIGINT",
                ColType::Text => "TEXT",
            };
            let null = if c.nullable { "" } else { " NOT NULL" };
            format!("{} {ty}{null}", c.name)
        })
        .collect();
    format!(
        "CREATE TABLE IF NOT EXISTS {} ({}, PRIMARY KEY ({}))",
        t.name,
        cols.join(", "),
        t.key.join(", ")
    )
}

/// The statement that writes one row of `t`, with `$1`, `$2`, … placeholders (which SQLite
/// and PostgreSQL both read in order): a plain insert, or an upsert for control tables.
pub fn insert_sql(t: &TableDef) -> String {
    let names: Vec<&str> = t.columns.iter().map(|c| c.name).collect();
    let params: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
    let mut sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        t.name,
        names.join(", "),
        params.join(", ")
    );
    if t.upsert {
        let set: Vec<String> = names
            .iter()
            .filter(|n| !t.key.contains(n))
            .map(|n| format!("{n} = excluded.{n}"))
            .collect();
        sql.push_str(&format!(
            " ON CONFLICT ({}) DO UPDATE SET {}",
            t.key.join(", "),
            set.join(", ")
        ));
    }
    sql
}

/// `SELECT` of every row of `t`, columns in order, rows in key order.
pub fn select_sql(t: &TableDef) -> String {
    let names: Vec<&str> = t.columns.iter().map(|c| c.name).collect();
    format!(
        "SELECT {} FROM {} ORDER BY {}",
        names.join(", "),
        t.name,
        t.key.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_column_exists_and_dss_tables_are_found_by_role() {
        for t in TABLES {
            for k in t.key {
                assert!(
                    t.columns.iter().any(|c| c.name == *k && !c.nullable),
                    "{}: key {k} must be a NOT NULL column",
                    t.name
                );
            }
            assert!(["gcc", "gud", "gls", "svc"].contains(&t.role));
            assert_eq!(t.compared, t.role != "svc", "{}", t.name);
        }
        assert_eq!(dss_table("gud").map(|t| t.name), Some("G_DSS_GUD_PROVIDER"));
        assert_eq!(dss_table("GLS").map(|t| t.name), Some("G_DSS_GLS_PROVIDER"));
        assert_eq!(dss_table("cfg"), None);
    }

    #[test]
    fn statements_read_as_sql() {
        let t = table("G_SYNC_CONTROL").expect("a table");
        assert_eq!(
            insert_sql(t),
            "INSERT INTO G_SYNC_CONTROL (PROVIDER, PRIMARY_ID, CLUSTER_ID, PROVIDER_ID, SEQ) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (PROVIDER) DO UPDATE SET \
             PRIMARY_ID = excluded.PRIMARY_ID, CLUSTER_ID = excluded.CLUSTER_ID, \
             PROVIDER_ID = excluded.PROVIDER_ID, SEQ = excluded.SEQ"
        );
        let c = table("G_CALL").expect("a table");
        assert_eq!(
            create_sql(c),
            "CREATE TABLE IF NOT EXISTS G_CALL (CALLID TEXT NOT NULL, SEQ BIGINT NOT NULL, \
             ANI TEXT NOT NULL, DNIS TEXT NOT NULL, PRIMARY KEY (CALLID))"
        );
        assert_eq!(
            select_sql(c),
            "SELECT CALLID, SEQ, ANI, DNIS FROM G_CALL ORDER BY CALLID"
        );
    }
}
