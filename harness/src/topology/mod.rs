//! The configuration model: hosts, applications, ports, connections, databases, ICON HA sets,
//! security parameters and the PKI description, as a user writes them in a topology file.
//!
//! The model is a faithful, located copy of the file: it resolves names to make sure they
//! exist but judges nothing (that is `rules`) and resolves no precedence (that is `pki`).

pub mod ha_dial;
pub(crate) mod load;
mod names;
pub mod options;
pub mod pki;
pub(crate) mod reader;
pub(crate) mod refs;
mod role;
mod security;
pub(crate) mod value;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

pub use load::{LoadError, load, parse};
pub use pki::PkiSpec;
pub use refs::is_path;
pub use role::{ICON_ROLES, Purpose, Role, effective_roles, icon_role_token};
pub use security::{NameCheck, Resolution, SecProtocol, Security};

use crate::diag::{Source, Sp, Span};

/// A whole topology file, loaded and cross-checked.
#[derive(Debug)]
pub struct Topology {
    /// The topology's name (`name = …`, else the file stem); names the certificate folder.
    pub name: String,
    /// The file it came from, for excerpts.
    pub source: Arc<Source>,
    /// How the certificate group is resolved across levels.
    pub resolution: Resolution,
    /// Certificate authorities and certificates.
    pub pki: PkiSpec,
    /// Hosts, in file order.
    pub hosts: Vec<Host>,
    /// Applications, in file order.
    pub apps: Vec<App>,
    /// Client-side connections, in file order.
    pub connections: Vec<Connection>,
    /// Databases (IDBs and the like), in file order.
    pub databases: Vec<Database>,
    /// Interaction Concentrator HA sets, in file order.
    pub icon_sets: Vec<IconSet>,
    /// Positions of applications and hosts by name, made at the first lookup (a topology of
    /// thousands of objects is judged in linear, not cubic, time).
    pub(crate) index: Index,
}

/// Name → position maps for [`Topology::app`] and [`Topology::host`]; a map made before the
/// last push is not trusted (the lookup falls back to a scan).
#[derive(Debug, Default)]
pub(crate) struct Index {
    apps: std::sync::OnceLock<(usize, std::collections::HashMap<String, usize>)>,
    hosts: std::sync::OnceLock<(usize, std::collections::HashMap<String, usize>)>,
    /// Backup name → position of the primary that names it.
    primaries: std::sync::OnceLock<(usize, std::collections::HashMap<String, usize>)>,
}

fn lookup<'t, T>(
    cell: &std::sync::OnceLock<(usize, std::collections::HashMap<String, usize>)>,
    items: &'t [T],
    name_of: impl Fn(&T) -> &str,
    name: &str,
) -> Option<&'t T> {
    let (len, map) = cell.get_or_init(|| {
        let mut map = std::collections::HashMap::new();
        for (i, x) in items.iter().enumerate() {
            // The first in file order wins, as a scan would find it.
            map.entry(name_of(x).to_string()).or_insert(i);
        }
        (items.len(), map)
    });
    if *len == items.len() {
        map.get(name)
            .and_then(|i| items.get(*i))
            .filter(|x| name_of(x) == name)
    } else {
        items.iter().find(|x| name_of(x) == name)
    }
}

/// A machine that runs applications.
#[derive(Debug)]
pub struct Host {
    /// Key in `[host.KEY]`.
    pub key: Sp<String>,
    /// The name clients dial and certificates must carry.
    pub name: Sp<String>,
    /// ADDP timeout the SCS uses towards this host's LCA (`addp-timeout = "9s"` on the host,
    /// or Genesys's `[host.X.options.addp] addp-timeout = 9`; 9 s by default).
    pub addp_timeout: Sp<Duration>,
    /// The port the host's LCA listens on (`lcaport`, 4999 by default); the SCS dials it.
    pub lcaport: Sp<u16>,
    /// Host option sections (`[host.X.options.SECTION]`, e.g. `[addp]`), in file order.
    pub options: Vec<OptionSection>,
    /// Host-level security parameters (lowest precedence).
    pub security: Security,
}

impl Host {
    /// The value of `[options.SECTION] KEY` on the host object.
    pub fn option(&self, section: &str, key: &str) -> Option<&Sp<String>> {
        option_in(&self.options, section, key)
    }
}

/// The value of `[SECTION] KEY` among `sections`.
pub(crate) fn option_in<'a>(
    sections: &'a [OptionSection],
    section: &str,
    key: &str,
) -> Option<&'a Sp<String>> {
    sections
        .iter()
        .find(|s| s.name.value == section)
        .and_then(|s| s.values.iter().find(|(k, _)| k.value == key))
        .map(|(_, v)| v)
}

/// Application types hapair knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppType {
    /// Configuration Server.
    ConfigServer,
    /// T-Server.
    Tserver,
    /// SIP Server (a T-Server).
    SipServer,
    /// Interaction Server.
    InteractionServer,
    /// Interaction Concentrator.
    Icon,
    /// Database Access Point.
    Dap,
    /// Solution Control Server.
    Scs,
    /// A client application (desktop, agent, router).
    Client,
    /// Any other server.
    GenericServer,
}

impl AppType {
    /// Every type with its name in files.
    pub const ALL: [(AppType, &'static str); 9] = [
        (AppType::ConfigServer, "config-server"),
        (AppType::Tserver, "tserver"),
        (AppType::SipServer, "sip-server"),
        (AppType::InteractionServer, "interaction-server"),
        (AppType::Icon, "icon"),
        (AppType::Dap, "dap"),
        (AppType::Scs, "scs"),
        (AppType::Client, "client"),
        (AppType::GenericServer, "generic-server"),
    ];

    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(t, _)| *t == self)
            .map_or("generic-server", |(_, n)| n)
    }

    /// Whether an ICON can take this type as its data source.
    pub fn is_icon_source(self) -> bool {
        matches!(
            self,
            AppType::Tserver | AppType::SipServer | AppType::InteractionServer
        )
    }
}

/// Redundancy type of a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Redundancy {
    /// The backup is initialised but serves no clients until promoted.
    WarmStandby,
    /// Clients connect to both; the primary keeps the backup in sync.
    HotStandby,
}

impl Redundancy {
    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Redundancy::WarmStandby => "warm-standby",
            Redundancy::HotStandby => "hot-standby",
        }
    }
}

/// A port's listening mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ListenMode {
    /// Plain TCP.
    Unsecured,
    /// TLS from the first byte.
    Secured,
    /// Plain first, then a switch to TLS (Configuration Server protocol only).
    Upgrade,
}

impl ListenMode {
    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            ListenMode::Unsecured => "unsecured",
            ListenMode::Secured => "secured",
            ListenMode::Upgrade => "upgrade",
        }
    }

    /// Whether the session ends up under TLS.
    pub fn is_tls(self) -> bool {
        !matches!(self, ListenMode::Unsecured)
    }
}

/// An application object.
#[derive(Debug)]
pub struct App {
    /// Key in `[app.KEY]`: the application's name.
    pub name: Sp<String>,
    /// Application type.
    pub kind: Sp<AppType>,
    /// Key of the host it runs on.
    pub host: Sp<String>,
    /// Name of its backup application, if it is the primary of a pair.
    pub backup: Option<Sp<String>>,
    /// Redundancy type, when written.
    pub redundancy: Option<Sp<Redundancy>>,
    /// How long clients wait between reconnection rounds (10 s by default).
    pub reconnect_timeout: Option<Sp<Duration>>,
    /// How many times a client tries this server before it tries the other of the pair
    /// (the server info's `Attempts`, 1 by default).
    pub reconnect_attempts: Option<Sp<u64>>,
    /// For a DAP: the database it writes to.
    pub database: Option<Sp<String>>,
    /// Listening ports, in file order.
    pub ports: Vec<Port>,
    /// Option sections (`[app.X.options.SECTION]`), in file order.
    pub options: Vec<OptionSection>,
    /// Application-level security parameters.
    pub security: Security,
}

impl App {
    /// The port with this ID.
    pub fn port(&self, id: &str) -> Option<&Port> {
        self.ports.iter().find(|p| p.id.value == id)
    }

    /// Each HA-sync port that sets certificate parameters at port level, with where they are
    /// written: Genesys does not support that (HA-SYNC-PORT-CERT), and the server refuses to
    /// start with such a port.
    pub fn ha_sync_port_certificates(&self) -> impl Iterator<Item = (&Port, Span)> {
        self.ports
            .iter()
            .filter(|p| p.ha_sync.value)
            .filter_map(|p| p.security.group_span().map(|span| (p, span)))
    }

    /// The first port flagged HA sync.
    pub fn ha_sync_port(&self) -> Option<&Port> {
        self.ports.iter().find(|p| p.ha_sync.value)
    }

    /// The value of `[options.SECTION] KEY`.
    pub fn option(&self, section: &str, key: &str) -> Option<&Sp<String>> {
        option_in(&self.options, section, key)
    }

    /// Whether the type is a server (anything but a client).
    pub fn is_server(&self) -> bool {
        self.kind.value != AppType::Client
    }
}

/// A listening port of a server application.
#[derive(Debug)]
pub struct Port {
    /// Port ID (`default` is special).
    pub id: Sp<String>,
    /// TCP port number.
    pub number: Sp<u16>,
    /// Listening mode.
    pub mode: Sp<ListenMode>,
    /// Whether the port is flagged HA sync.
    pub ha_sync: Sp<bool>,
    /// Port-level security parameters (highest precedence on the server side).
    pub security: Security,
    /// The whole `[app.X.port.ID]` table.
    pub span: Span,
}

/// One `[app.X.options.SECTION]` table.
#[derive(Debug, Clone)]
pub struct OptionSection {
    /// Section name.
    pub name: Sp<String>,
    /// Key/value pairs as strings, the way Configuration Server stores them.
    pub values: Vec<(Sp<String>, Sp<String>)>,
}

/// ADDP on a connection: Genesys's `Connection Protocol = addp` with its `Local Timeout`,
/// `Remote Timeout` and `Trace Mode` (`protocol = "addp"`, `local-timeout`, `remote-timeout`,
/// `trace-mode`), or hapair's shorter `addp = { local, remote }`.
#[derive(Debug, Clone)]
pub struct Addp {
    /// Timeout the client side uses (0: it does not poll).
    pub local: Option<Sp<Duration>>,
    /// Timeout the server side is asked to use (0 or unset: it does not poll).
    pub remote: Option<Sp<Duration>>,
    /// Which side's polls appear in the trace (off when unset).
    pub trace: Option<Sp<AddpTrace>>,
    /// The `addp = {…}` value, or the `protocol = "addp"` one.
    pub span: Span,
}

/// Which side of an ADDP connection puts its polls in the trace: Genesys's `addp-trace`
/// option and a connection's `Trace Mode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AddpTrace {
    /// No trace (`off`, `false`, `no`).
    #[default]
    Off,
    /// This side (`local`, `on`, `true`, `yes`).
    Local,
    /// The other side (`remote`).
    Remote,
    /// Both sides (`both`, `full`).
    Both,
}

impl AddpTrace {
    /// Every spelling Genesys accepts, by what it means.
    pub const WORDS: [(&'static str, AddpTrace); 10] = [
        ("off", AddpTrace::Off),
        ("false", AddpTrace::Off),
        ("no", AddpTrace::Off),
        ("local", AddpTrace::Local),
        ("on", AddpTrace::Local),
        ("true", AddpTrace::Local),
        ("yes", AddpTrace::Local),
        ("remote", AddpTrace::Remote),
        ("both", AddpTrace::Both),
        ("full", AddpTrace::Both),
    ];

    /// The mode a value names (case-insensitive), if any.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        Self::WORDS
            .iter()
            .find(|(w, _)| t.eq_ignore_ascii_case(w))
            .map(|(_, m)| *m)
    }

    /// Whether this side's polls are traced.
    pub fn here(self) -> bool {
        matches!(self, AddpTrace::Local | AddpTrace::Both)
    }

    /// Whether the other side is asked to trace its polls.
    pub fn there(self) -> bool {
        matches!(self, AddpTrace::Remote | AddpTrace::Both)
    }
}

/// A client-side connection from one application to a server's port.
#[derive(Debug)]
pub struct Connection {
    /// Application that dials.
    pub from: Sp<String>,
    /// Server application it dials (the primary of a pair).
    pub to: Sp<String>,
    /// Port ID on the target: as written, else `default` (located at `to`) when the target
    /// has ports; `None` when the target listens on no port (a DAP), which nobody dials.
    pub port: Option<Sp<String>>,
    /// ADDP settings, if any.
    pub addp: Option<Addp>,
    /// Connection-level security parameters (highest precedence on the client side).
    pub security: Security,
    /// The whole `[[connection]]` table.
    pub span: Span,
}

/// A database an application (a DAP) writes to.
#[derive(Debug)]
pub struct Database {
    /// Key in `[database.KEY]`.
    pub name: Sp<String>,
    /// RDBMS type (`postgresql`, `oracle`, `mssql`, …).
    pub rdbms: Sp<String>,
    /// RDBMS version as written.
    pub version: Sp<String>,
    /// Host key it runs on.
    pub host: Sp<String>,
    /// A real PostgreSQL server to hold this IDB in runs (`url`); without it, a SQLite file.
    /// Its password is never shown ([`DbUrl`](crate::idb::DbUrl)).
    pub url: Option<Sp<crate::idb::DbUrl>>,
}

/// Two Interaction Concentrators that form an HA set.
#[derive(Debug)]
pub struct IconSet {
    /// Key in `[icon-ha.KEY]`.
    pub name: Sp<String>,
    /// The ICON applications.
    pub icons: Vec<Sp<String>>,
    /// What the set is meant to store (role values such as `gcc`, `gud`).
    pub stores: Vec<Sp<String>>,
}

impl Topology {
    /// Loads a topology file; see [`load`].
    ///
    /// # Errors
    /// As [`load`].
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        load(path)
    }

    /// The host with this key.
    pub fn host(&self, key: &str) -> Option<&Host> {
        lookup(&self.index.hosts, &self.hosts, |h| &h.key.value, key)
    }

    /// The application with this name.
    pub fn app(&self, name: &str) -> Option<&App> {
        lookup(&self.index.apps, &self.apps, |a| &a.name.value, name)
    }

    /// The database with this key.
    pub fn database(&self, name: &str) -> Option<&Database> {
        self.databases.iter().find(|d| d.name.value == name)
    }

    /// Every (primary, backup) pair, in file order of the primary.
    pub fn pairs(&self) -> impl Iterator<Item = Pair<'_>> {
        self.apps.iter().filter_map(|p| {
            let b = self.app(&p.backup.as_ref()?.value)?;
            Some(Pair {
                primary: p,
                backup: b,
            })
        })
    }

    /// The pair an application belongs to, as primary or backup.
    pub fn pair_of(&self, app: &str) -> Option<Pair<'_>> {
        fn pair<'t>(t: &'t Topology, primary: &'t App) -> Option<Pair<'t>> {
            let backup = t.app(&primary.backup.as_ref()?.value)?;
            Some(Pair { primary, backup })
        }
        // As primary (the first pair in file order wins, as a scan of `pairs` would find).
        let as_primary = self.app(app).and_then(|p| pair(self, p));
        let as_backup = lookup(
            &self.index.primaries,
            &self.apps,
            |a| a.backup.as_ref().map_or("", |b| b.value.as_str()),
            app,
        )
        .and_then(|p| pair(self, p));
        match (as_primary, as_backup) {
            (Some(p), Some(b)) => Some(if self.position(p.primary) <= self.position(b.primary) {
                p
            } else {
                b
            }),
            (p, b) => p.or(b),
        }
    }

    fn position(&self, app: &App) -> usize {
        self.apps
            .iter()
            .position(|a| std::ptr::eq(a, app))
            .unwrap_or(usize::MAX)
    }

    /// The host an application runs on (the loader guarantees it exists).
    pub fn host_of(&self, app: &App) -> Option<&Host> {
        self.host(&app.host.value)
    }

    /// Connections that leave an application.
    pub fn connections_from<'a>(&'a self, app: &'a str) -> impl Iterator<Item = &'a Connection> {
        self.connections.iter().filter(move |c| c.from.value == app)
    }
}

/// A primary application and its backup.
#[derive(Debug, Clone, Copy)]
pub struct Pair<'t> {
    /// The application that names the backup.
    pub primary: &'t App,
    /// The backup it names.
    pub backup: &'t App,
}

impl Pair<'_> {
    /// Redundancy of the pair: the primary's, else the backup's, else warm standby.
    pub fn redundancy(&self) -> Redundancy {
        self.primary
            .redundancy
            .as_ref()
            .or(self.backup.redundancy.as_ref())
            .map_or(Redundancy::WarmStandby, |r| r.value)
    }
}

#[cfg(test)]
mod addp_tests;
#[cfg(test)]
mod keys_tests;
#[cfg(test)]
mod tests;
