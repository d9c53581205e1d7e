//! Every TLS endpoint of a topology and every link between two of them, with the parameters in
//! force on each side: each port of each server, each client connection (to the primary, and to
//! the backup it follows to after a switchover), and the HA link in both directions.
//!
//! `certs show` prints these; certificate rules judge them; the simulator builds its TLS
//! configurations from them and opens each session the way its link says ([`Link::opening`]),
//! so that what the table claims and what a run does cannot drift apart.

use serde::Serialize;

use super::resolve::{self, Params};
use crate::diag::Span;
use crate::topology::ha_dial::configured_ha_dial_port;
use crate::topology::{App, AppType, ListenMode, Port, Topology};

/// How the dialler opens a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Opening {
    /// Plain bytes.
    Plain,
    /// A TLS ClientHello first.
    Tls,
    /// Plain, then start-TLS on the same socket (Configuration Server protocol).
    StartTls,
}

impl Opening {
    /// How a client opens towards a port of this mode: it follows the port, unless its
    /// connection forces `tls=1`/`tls=0` (a misconfiguration the rules flag, simulated as is).
    pub fn for_port(mode: ListenMode, forced: Option<bool>) -> Self {
        match (forced, mode) {
            (Some(true), _) => Opening::Tls,
            (Some(false), _) => Opening::Plain,
            (None, ListenMode::Unsecured) => Opening::Plain,
            (None, ListenMode::Secured) => Opening::Tls,
            (None, ListenMode::Upgrade) => Opening::StartTls,
        }
    }

    /// How the backup-role instance `dialer` opens the HA link to a port of this mode:
    /// Configuration Server's own protocol starts plain on a port not flagged HA sync and
    /// upgrades there when the port is in upgrade mode; other servers follow the port.
    pub fn for_ha_link(dialer: &App, mode: ListenMode, ha_sync: bool) -> Self {
        if dialer.kind.value == AppType::ConfigServer && !ha_sync {
            return if mode == ListenMode::Upgrade {
                Opening::StartTls
            } else {
                Opening::Plain
            };
        }
        Opening::for_port(mode, None)
    }

    /// Why a port of this mode refuses every session opened this way, if it does.
    pub fn refused_by(self, mode: ListenMode) -> Option<Refusal> {
        match (self, mode) {
            (Opening::Plain, ListenMode::Secured) => Some(Refusal::PlaintextOnSecured),
            (Opening::Tls, ListenMode::Upgrade) => Some(Refusal::TlsOnUpgradePort),
            (Opening::Tls, ListenMode::Unsecured) => Some(Refusal::TlsOnUnsecured),
            (Opening::StartTls, ListenMode::Unsecured | ListenMode::Secured) => {
                Some(Refusal::StartTlsNotUpgrade)
            }
            _ => None,
        }
    }
}

/// Why a port refuses every session of a link: the dialler opens in a way the port's listening
/// mode does not accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Refusal {
    /// Plain bytes on a port that expects TLS at once.
    PlaintextOnSecured,
    /// A TLS ClientHello on an upgrade port, which expects the plain protocol and start-TLS.
    TlsOnUpgradePort,
    /// A TLS ClientHello on a plain port.
    TlsOnUnsecured,
    /// Start-TLS on a port that is not in upgrade mode.
    StartTlsNotUpgrade,
}

impl Refusal {
    /// The kebab-case name (as in JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::PlaintextOnSecured => "plaintext-on-secured",
            Refusal::TlsOnUpgradePort => "tls-on-upgrade-port",
            Refusal::TlsOnUnsecured => "tls-on-unsecured",
            Refusal::StartTlsNotUpgrade => "start-tls-not-upgrade",
        }
    }

    /// In words.
    pub fn why(self) -> &'static str {
        match self {
            Refusal::PlaintextOnSecured => "the client opens in plain text on a secured port",
            Refusal::TlsOnUpgradePort => {
                "the client starts TLS at once, where the upgrade port expects a plain start"
            }
            Refusal::TlsOnUnsecured => "the client starts TLS on a plain port",
            Refusal::StartTlsNotUpgrade => {
                "the client asks for start-TLS on a port not in upgrade mode"
            }
        }
    }
}

/// A server's listening port.
#[derive(Debug, Serialize)]
pub struct Listener {
    /// `APP/PORT`.
    pub id: String,
    /// Application name.
    pub app: String,
    /// Port ID.
    pub port: String,
    /// Listening mode.
    pub mode: ListenMode,
    /// Whether the port is HA sync.
    pub ha_sync: bool,
    /// Parameters in force (port, application, host).
    pub params: Params,
}

/// Why a link exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkKind {
    /// A client connection as configured.
    Connection,
    /// The same connection to the backup, which the client follows to after a switchover.
    FollowsToBackup,
    /// The backup-role instance dialling the primary-role instance.
    HaLink,
}

/// One side dialling another's port.
#[derive(Clone, Debug, Serialize)]
pub struct Link {
    /// `FROM->TO/PORT`.
    pub id: String,
    /// Why it exists.
    pub kind: LinkKind,
    /// Dialling application.
    pub from: String,
    /// Listening application.
    pub to: String,
    /// Port ID dialled.
    pub port: String,
    /// Whether the session runs under TLS: the port's mode decides, unless the connection
    /// forces `tls=1`/`tls=0`; false when the port refuses the link ([`Link::refused`]).
    pub tls: bool,
    /// Listening mode of the port.
    pub mode: ListenMode,
    /// How the dialler opens each session (the simulator dials exactly so).
    pub opening: Opening,
    /// Why the port refuses every session of this link, when it does.
    pub refused: Option<Refusal>,
    /// Host name the client dials.
    pub dial_host: String,
    /// The name the client checks the certificate against (`tls-target-name`, else the
    /// dialled host), when it checks at all.
    pub checked_name: Option<String>,
    /// The dialling side's parameters.
    pub client: Params,
    /// The listening port's parameters.
    pub server: Params,
    /// Where the link is written (the connection, or the HA-sync port).
    #[serde(skip)]
    pub span: Span,
}

/// Every listening port, in file order.
pub fn listeners(t: &Topology) -> Vec<Listener> {
    t.apps
        .iter()
        .flat_map(|app| {
            app.ports.iter().map(move |p| Listener {
                id: format!("{}/{}", app.name.value, p.id.value),
                app: app.name.value.clone(),
                port: p.id.value.clone(),
                mode: p.mode.value,
                ha_sync: p.ha_sync.value,
                params: resolve::server_port(t, app, p),
            })
        })
        .collect()
}

/// The HA link `dialer`, the backup-role instance, opens to `port` of `listener`, the
/// primary-role instance: the one [`links`] lists for the port the topology's options choose
/// ([`crate::topology::ha_dial`]), or, when an option changed before the backup started
/// dialling, the one to the port it chooses then.
pub fn ha_link(t: &Topology, dialer: &App, listener: &App, port: &Port) -> Link {
    let client = resolve::app_identity(t, dialer);
    let opening = Opening::for_ha_link(dialer, port.mode.value, port.ha_sync.value);
    link(
        t,
        (LinkKind::HaLink, opening),
        &dialer.name.value,
        listener,
        port,
        client,
        port.span,
    )
}

/// Every link, in file order: connections (and their follow-ups to the backup), then HA links.
pub fn links(t: &Topology) -> Vec<Link> {
    let mut out = Vec::new();
    for c in &t.connections {
        let Some(target) = t.app(&c.to.value) else {
            continue;
        };
        let client = resolve::client_connection(t, c);
        let forced = c.security.tls.as_ref().map(|f| f.value);
        let mut targets = vec![(target, LinkKind::Connection)];
        if let Some(pair) = t.pair_of(&target.name.value) {
            let other = if pair.primary.name.value == target.name.value {
                pair.backup
            } else {
                pair.primary
            };
            targets.push((other, LinkKind::FollowsToBackup));
        }
        for (server, kind) in targets {
            // No port: the target listens on none (a DAP), and nobody dials it.
            let Some(port) = c.port.as_ref().and_then(|id| server.port(&id.value)) else {
                continue;
            };
            let opening = Opening::for_port(port.mode.value, forced);
            out.push(link(
                t,
                (kind, opening),
                &c.from.value,
                server,
                port,
                client.clone(),
                c.span,
            ));
        }
    }
    for pair in t.pairs() {
        for (dialer, listener) in [(pair.backup, pair.primary), (pair.primary, pair.backup)] {
            let Some(port) = configured_ha_dial_port(dialer, listener) else {
                continue;
            };
            out.push(ha_link(t, dialer, listener, port));
        }
    }
    out
}

fn link(
    t: &Topology,
    (kind, opening): (LinkKind, Opening),
    from: &str,
    server: &App,
    port: &Port,
    client: Params,
    span: Span,
) -> Link {
    let dial_host = t
        .host_of(server)
        .map_or_else(String::new, |h| h.name.value.clone());
    let checked_name = client.checks_name().then(|| {
        client
            .tls_target_name
            .as_ref()
            .map_or_else(|| dial_host.clone(), |n| n.value.clone())
    });
    Link {
        id: format!("{from}->{}/{}", server.name.value, port.id.value),
        kind,
        from: from.to_string(),
        to: server.name.value.clone(),
        port: port.id.value.clone(),
        tls: opening != Opening::Plain && opening.refused_by(port.mode.value).is_none(),
        mode: port.mode.value,
        opening,
        refused: opening.refused_by(port.mode.value),
        dial_host,
        checked_name,
        server: resolve::server_port(t, server, port),
        client,
        span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ha_links(file: &str) -> Vec<(String, String, Opening)> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios/topologies")
            .join(file);
        let t = crate::topology::load(&path).expect("the reference topology loads");
        links(&t)
            .into_iter()
            .filter(|l| l.kind == LinkKind::HaLink)
            .map(|l| (l.from, l.port, l.opening))
            .collect()
    }

    #[test]
    fn the_table_shows_the_port_consistent_port_selection_chooses() {
        use Opening::{StartTls, Tls};
        let b = |from: &str, port: &str, o| (from.to_string(), port.to_string(), o);
        // false (unset): `default`, plain then start-TLS, the HA-sync port left unused.
        assert_eq!(
            ha_links("cs-pair-ha-port.toml"),
            [
                b("cs_backup", "default", StartTls),
                b("cs_primary", "default", StartTls)
            ]
        );
        // true: the secured HA-sync port, TLS at once.
        assert_eq!(
            ha_links("cs-pair-consistent.toml"),
            [b("cs_backup", "ha", Tls), b("cs_primary", "ha", Tls)]
        );
    }

    #[test]
    fn a_port_refuses_exactly_the_openings_its_mode_does_not_take() {
        use ListenMode::{Secured, Unsecured, Upgrade};
        use Opening::{Plain, StartTls, Tls};
        let table = [
            (Plain, Unsecured, None),
            (Plain, Upgrade, None),
            (Plain, Secured, Some(Refusal::PlaintextOnSecured)),
            (Tls, Secured, None),
            (Tls, Upgrade, Some(Refusal::TlsOnUpgradePort)),
            (Tls, Unsecured, Some(Refusal::TlsOnUnsecured)),
            (StartTls, Upgrade, None),
            (StartTls, Secured, Some(Refusal::StartTlsNotUpgrade)),
        ];
        for (opening, mode, want) in table {
            assert_eq!(opening.refused_by(mode), want, "{opening:?} on {mode:?}");
        }
    }
}
