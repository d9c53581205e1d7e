//! Which security parameters each endpoint uses, and from which level (DESIGN §2).
//!
//! Server side: port, then application, then host. Client side: connection, then
//! application, then host; the target port decides only whether TLS is on. The backup's
//! application level also carries the certificate copied from the primary's connection level
//! (Configuration Server does this automatically), unless the user replaced it.
//! `per-parameter` resolution takes each parameter from the most specific level that has it;
//! `group` takes `certificate`, `certificate-key` and `trusted-ca` together from the first
//! level that has any of them, as the PSDK does.

use serde::Serialize;

use crate::diag::{Sp, Span};
use crate::topology::{
    App, Connection, NameCheck, Port, Resolution, SecProtocol, Security, Topology,
};

/// The level a resolved parameter came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// The server's port.
    Port,
    /// The client's connection.
    Connection,
    /// The application object.
    Application,
    /// Copied to the backup's application object from the primary's connection level.
    CopiedFromPrimary,
    /// The host object.
    Host,
}

impl Level {
    /// Lower-case name for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Port => "port",
            Level::Connection => "connection",
            Level::Application => "application",
            Level::CopiedFromPrimary => "copied from the primary",
            Level::Host => "host",
        }
    }
}

/// A parameter value with the level and place it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Resolved<T> {
    /// The value in force.
    pub value: T,
    /// The level it came from.
    pub level: Level,
    /// Where it is written.
    #[serde(skip)]
    pub span: Span,
}

/// The parameters in force at one endpoint.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Params {
    /// Certificate (PKI name or PEM path).
    pub certificate: Option<Resolved<String>>,
    /// Key path (PKI certificates carry their key).
    pub certificate_key: Option<Resolved<String>>,
    /// Trusted CA (PKI name or PEM path).
    pub trusted_ca: Option<Resolved<String>>,
    /// Mutual TLS.
    pub tls_mutual: Option<Resolved<bool>>,
    /// CRL path.
    pub tls_crl: Option<Resolved<String>>,
    /// Target name check.
    pub tls_target_name_check: Option<Resolved<NameCheck>>,
    /// Name to check instead of the dialled host.
    pub tls_target_name: Option<Resolved<String>>,
    /// Protocol policy.
    pub sec_protocol: Option<Resolved<SecProtocol>>,
    /// Cipher list.
    pub cipher_list: Option<Resolved<String>>,
}

impl Params {
    /// Mutual TLS on (off when unset).
    pub fn mutual(&self) -> bool {
        self.tls_mutual.as_ref().is_some_and(|m| m.value)
    }

    /// Protocol policy (negotiate when unset).
    pub fn protocol(&self) -> SecProtocol {
        self.sec_protocol
            .as_ref()
            .map_or(SecProtocol::Negotiate, |p| p.value)
    }

    /// Whether the client checks the server's name.
    pub fn checks_name(&self) -> bool {
        self.tls_target_name_check
            .as_ref()
            .is_some_and(|c| c.value == NameCheck::Host)
    }
}

/// One level's parameters, most specific first when passed to [`resolve`].
pub type Layer<'a> = (Level, &'a Security);

fn pick<T: Clone>(
    layers: &[Layer<'_>],
    field: impl Fn(&Security) -> &Option<Sp<T>>,
) -> Option<Resolved<T>> {
    layers.iter().find_map(|(level, s)| {
        field(s).as_ref().map(|v| Resolved {
            value: v.value.clone(),
            level: *level,
            span: v.span,
        })
    })
}

/// Resolves parameters over layers, most specific first.
pub fn resolve(layers: &[Layer<'_>], mode: Resolution) -> Params {
    let group_layers: &[Layer<'_>] = match mode {
        Resolution::PerParameter => layers,
        Resolution::Group => layers
            .iter()
            .find(|(_, s)| s.group_span().is_some())
            .map_or(&[], std::slice::from_ref),
    };
    Params {
        certificate: pick(group_layers, |s| &s.certificate),
        certificate_key: pick(group_layers, |s| &s.certificate_key),
        trusted_ca: pick(group_layers, |s| &s.trusted_ca),
        tls_mutual: pick(layers, |s| &s.tls_mutual),
        tls_crl: pick(layers, |s| &s.tls_crl),
        tls_target_name_check: pick(layers, |s| &s.tls_target_name_check),
        tls_target_name: pick(layers, |s| &s.tls_target_name),
        sec_protocol: pick(layers, |s| &s.sec_protocol),
        cipher_list: pick(layers, |s| &s.cipher_list),
    }
}

/// The certificate the backup's application object carries through the automatic copy of
/// the primary's connection-level certificate, when the user has not set one of its own.
pub fn copied_to_backup(t: &Topology, backup: &App) -> Option<Security> {
    if backup.security.certificate.is_some() {
        return None;
    }
    let pair = t
        .pair_of(&backup.name.value)
        .filter(|p| p.backup.name.value == backup.name.value)?;
    let conn = t
        .connections_from(&pair.primary.name.value)
        .find(|c| c.security.certificate.is_some())?;
    Some(Security {
        certificate: conn.security.certificate.clone(),
        certificate_key: conn.security.certificate_key.clone(),
        span: conn.security.span,
        ..Security::default()
    })
}

/// The application object as Configuration Server holds it: its own parameters, plus the
/// copied certificate (which lands *on* the object, so it belongs to the application level in
/// either resolution mode), and the span that marks what was copied.
fn application_level(t: &Topology, app: &App) -> (Security, Option<Span>) {
    let mut s = app.security.clone();
    let Some(copy) = copied_to_backup(t, app) else {
        return (s, None);
    };
    let mark = copy.certificate.as_ref().map(|c| c.span);
    s.certificate = copy.certificate;
    if s.certificate_key.is_none() {
        s.certificate_key = copy.certificate_key;
    }
    s.span = s.span.or(copy.span);
    (s, mark)
}

/// Resolves over `specific` layers, then the application level and the host, and marks what
/// came from the copy.
fn resolve_app(t: &Topology, app: &App, specific: Vec<Layer<'_>>) -> Params {
    let (own, mark) = application_level(t, app);
    let mut layers = specific;
    layers.push((Level::Application, &own));
    if let Some(h) = t.host_of(app) {
        layers.push((Level::Host, &h.security));
    }
    let mut p = resolve(&layers, t.resolution);
    if let Some(mark) = mark {
        for r in [&mut p.certificate, &mut p.certificate_key]
            .into_iter()
            .flatten()
        {
            if r.level == Level::Application && r.span == mark {
                r.level = Level::CopiedFromPrimary;
            }
        }
    }
    p
}

/// Parameters in force on a server's listening port.
pub fn server_port(t: &Topology, app: &App, port: &Port) -> Params {
    resolve_app(t, app, vec![(Level::Port, &port.security)])
}

/// Parameters in force on a client's connection.
pub fn client_connection(t: &Topology, conn: &Connection) -> Params {
    let Some(app) = t.app(&conn.from.value) else {
        return resolve(&[(Level::Connection, &conn.security)], t.resolution);
    };
    resolve_app(t, app, vec![(Level::Connection, &conn.security)])
}

/// Parameters an application uses as itself: when its backup instance dials the primary over
/// the HA link, and as the client certificate it presents.
pub fn app_identity(t: &Topology, app: &App) -> Params {
    resolve_app(t, app, Vec::new())
}

#[cfg(test)]
mod tests;
