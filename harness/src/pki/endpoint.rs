//! Every TLS endpoint of a topology and every link between two of them, with the parameters in
//! force on each side: each port of each server, each client connection (to the primary, and to
//! the backup it follows to after a switchover), and the HA link in both directions.
//!
//! `certs show` prints these; certificate rules judge them; the simulator builds its TLS
//! configurations from them.

use serde::Serialize;

use super::resolve::{self, Params};
use crate::diag::Span;
use crate::topology::{App, ListenMode, Port, Topology};

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
#[derive(Debug, Serialize)]
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
    /// Whether the session runs under TLS (the port's mode decides).
    pub tls: bool,
    /// Listening mode of the port.
    pub mode: ListenMode,
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

/// The port the backup-role instance dials on the primary-role instance: the HA-sync port,
/// else `default` (Configuration Server: HA sync, then `default`, then any).
pub fn ha_port(listener: &App) -> Option<&Port> {
    let port = listener.ha_sync_port().or_else(|| listener.port("default"));
    if listener.kind.value == crate::topology::AppType::ConfigServer {
        port.or(listener.ports.first())
    } else {
        port
    }
}

/// Every link, in file order: connections (and their follow-ups to the backup), then HA links.
pub fn links(t: &Topology) -> Vec<Link> {
    let mut out = Vec::new();
    for c in &t.connections {
        let Some(target) = t.app(&c.to.value) else {
            continue;
        };
        let client = resolve::client_connection(t, c);
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
            out.push(link(
                t,
                kind,
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
            let Some(port) = ha_port(listener) else {
                continue;
            };
            let client = resolve::app_identity(t, dialer);
            out.push(link(
                t,
                LinkKind::HaLink,
                &dialer.name.value,
                listener,
                port,
                client,
                port.span,
            ));
        }
    }
    out
}

fn link(
    t: &Topology,
    kind: LinkKind,
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
        tls: port.mode.value.is_tls(),
        mode: port.mode.value,
        dial_host,
        checked_name,
        server: resolve::server_port(t, server, port),
        client,
        span,
    }
}
