//! TLS rules that the topology alone can judge: where `tls=1` may be written, whether a
//! secured port has a certificate, whether clients follow their target port, partial
//! certificate groups, upgrade mode, strict protocol versions, and whether a client of a
//! mutual-TLS port has a certificate to present.

use super::{Finding, RuleId, Severity, app_obj, port_obj};
use crate::pki::endpoint::{LinkKind, Opening, links};
use crate::pki::resolve::{self, Layer, Level};
use crate::topology::{AppType, ListenMode, Security, Topology};

pub(super) fn check(t: &Topology, out: &mut Vec<Finding>) {
    flag_port_only(t, out);
    server_cert(t, out);
    client_follows_port(t, out);
    certgroup_one_level(t, out);
    upgrade_cs_only(t, out);
    strict_proto(t, out);
    mutual_client_cert(t, out);
}

/// TLS-FLAG-PORT-ONLY
fn flag_port_only(t: &Topology, out: &mut Vec<Finding>) {
    let hosts = t
        .hosts
        .iter()
        .map(|h| (format!("host:{}", h.key.value), &h.security));
    let apps = t.apps.iter().map(|a| (app_obj(&a.name.value), &a.security));
    for (object, security) in hosts.chain(apps) {
        if let Some(flag) = security.tls.as_ref().filter(|f| f.value) {
            out.push(
                Finding::new(
                    RuleId::TlsFlagPortOnly,
                    flag.span,
                    format!("`tls=1` is set on {object}: the listening flag only works on a port"),
                )
                .object(object),
            );
        }
    }
}

/// TLS-SERVER-CERT
fn server_cert(t: &Topology, out: &mut Vec<Finding>) {
    for app in &t.apps {
        for port in app.ports.iter().filter(|p| p.mode.value.is_tls()) {
            let params = resolve::server_port(t, app, port);
            let missing = match &params.certificate {
                None => Some("no `certificate`".to_string()),
                Some(c)
                    if crate::topology::is_path(&c.value) && params.certificate_key.is_none() =>
                {
                    Some(format!(
                        "certificate `{}` but no `certificate-key`",
                        c.value
                    ))
                }
                Some(_) if params.mutual() && params.trusted_ca.is_none() => {
                    Some("tls-mutual on but no `trusted-ca` to verify clients with".to_string())
                }
                Some(_) => None,
            };
            let Some(missing) = missing else {
                continue;
            };
            out.push(
                Finding::new(
                    RuleId::TlsServerCert,
                    port.mode.span,
                    format!(
                        "port `{}` of `{}` is {} but has {missing} at port, application or host level",
                        port.id.value,
                        app.name.value,
                        port.mode.value.as_str()
                    ),
                )
                .object(app_obj(&app.name.value))
                .object(port_obj(&app.name.value, &port.id.value)),
            );
        }
    }
}

/// TLS-CLIENT-FOLLOWS-PORT: judged on the connection as written and on the same connection to
/// the backup, where a client may be silently downgraded after a switchover.
fn client_follows_port(t: &Topology, out: &mut Vec<Finding>) {
    for link in links(t).iter().filter(|l| l.kind != LinkKind::HaLink) {
        let Some(c) = t
            .connections
            .iter()
            .find(|c| c.span == link.span && c.from.value == link.from)
        else {
            continue;
        };
        if link.kind == LinkKind::FollowsToBackup && hot_standby_mismatch(t, &link.to, &link.port) {
            continue; // one cause, one finding: HA-PORT-ID-MODE-MATCH reports it
        }
        let after = if link.kind == LinkKind::FollowsToBackup {
            " after a switchover"
        } else {
            ""
        };
        let message = match &c.security.tls {
            // The flag changes how the client opens: it no longer follows the port.
            Some(flag) if link.opening != Opening::for_port(link.mode, None) => {
                let outcome = match link.refused {
                    Some(r) => format!(": {}, so every attempt is refused", r.why()),
                    None if link.tls => String::new(),
                    None => ": the session stays in plain text".to_string(),
                };
                Some((
                    flag.span,
                    format!(
                        "the connection from `{}` says tls={} but port `{}` of `{}` is {}{after}{outcome}",
                        link.from,
                        u8::from(flag.value),
                        link.port,
                        link.to,
                        link.mode.as_str()
                    ),
                ))
            }
            _ if link.mode == ListenMode::Unsecured && c.security.has_tls_settings() => Some((
                c.security.span.unwrap_or(c.span),
                format!(
                    "the connection from `{}` carries TLS settings but port `{}` of `{}` is unsecured: it runs in plain text{after}",
                    link.from, link.port, link.to
                ),
            )),
            _ => None,
        };
        if let Some((span, message)) = message {
            out.push(
                Finding::new(RuleId::TlsClientFollowsPort, span, message)
                    .object(format!("connection:{}->{}", c.from.value, c.to.value))
                    .object(port_obj(&link.to, &link.port)),
            );
        }
    }
}

/// Whether `app`'s port `id` differs in mode from its hot-standby partner's.
fn hot_standby_mismatch(t: &Topology, app: &str, id: &str) -> bool {
    let Some(pair) = t.pair_of(app) else {
        return false;
    };
    let modes = [pair.primary, pair.backup].map(|a| a.port(id).map(|p| p.mode.value));
    pair.redundancy() == crate::topology::Redundancy::HotStandby && modes[0] != modes[1]
}

/// TLS-CERTGROUP-ONE-LEVEL: the first level with any group member lacks a member that a less
/// specific level has, so group resolution (the PSDK's) differs from per-parameter.
fn certgroup_one_level(t: &Topology, out: &mut Vec<Finding>) {
    let mut chains: Vec<(String, Vec<Layer<'_>>)> = Vec::new();
    for app in &t.apps {
        let host = t.host_of(app).map(|h| (Level::Host, &h.security));
        for port in &app.ports {
            let mut layers = vec![
                (Level::Port, &port.security),
                (Level::Application, &app.security),
            ];
            layers.extend(host);
            chains.push((port_obj(&app.name.value, &port.id.value), layers));
        }
        let mut layers = vec![(Level::Application, &app.security)];
        layers.extend(host);
        chains.push((app_obj(&app.name.value), layers));
    }
    for c in &t.connections {
        let Some(app) = t.app(&c.from.value) else {
            continue;
        };
        let mut layers = vec![
            (Level::Connection, &c.security),
            (Level::Application, &app.security),
        ];
        layers.extend(t.host_of(app).map(|h| (Level::Host, &h.security)));
        chains.push((
            format!("connection:{}->{}", c.from.value, c.to.value),
            layers,
        ));
    }
    let mut reported = Vec::new();
    for (object, layers) in chains {
        let Some(i) = layers.iter().position(|(_, s)| s.group_span().is_some()) else {
            continue;
        };
        let Some((&(level, first), rest)) = layers.get(i..).and_then(<[_]>::split_first) else {
            continue;
        };
        let hidden: Vec<&str> = ["certificate", "trusted-ca"]
            .into_iter()
            .filter(|m| !has(first, m) && rest.iter().any(|(_, s)| has(s, m)))
            .collect();
        let span = first.group_span().unwrap_or_default();
        if hidden.is_empty() || reported.contains(&span) {
            continue;
        }
        reported.push(span);
        out.push(
            Finding::new(
                RuleId::TlsCertgroupOneLevel,
                first.group_span().unwrap_or_default(),
                format!(
                    "the {} level of {object} sets only {}: under group resolution (the PSDK's) the {} from a lower level is ignored",
                    level.as_str(),
                    first.group_members().join(", "),
                    hidden.join(" and ")
                ),
            )
            .object(object)
            .severity(Severity::Warning),
        );
    }
}

fn has(s: &Security, member: &str) -> bool {
    match member {
        "certificate" => s.certificate.is_some(),
        _ => s.trusted_ca.is_some(),
    }
}

/// TLS-UPGRADE-CS-ONLY
fn upgrade_cs_only(t: &Topology, out: &mut Vec<Finding>) {
    for app in t
        .apps
        .iter()
        .filter(|a| a.kind.value != AppType::ConfigServer)
    {
        for port in app
            .ports
            .iter()
            .filter(|p| p.mode.value == ListenMode::Upgrade)
        {
            out.push(
                Finding::new(
                    RuleId::TlsUpgradeCsOnly,
                    port.mode.span,
                    format!(
                        "port `{}` of {} `{}` is in upgrade mode, which only the Configuration Server protocol supports",
                        port.id.value,
                        app.kind.value.as_str(),
                        app.name.value
                    ),
                )
                .object(app_obj(&app.name.value))
                .object(port_obj(&app.name.value, &port.id.value)),
            );
        }
    }
}

/// TLS-STRICT-PROTO: over every TLS link (client connections, the same connections to the
/// backup, and the HA link in both directions), both sides strict on different versions.
fn strict_proto(t: &Topology, out: &mut Vec<Finding>) {
    for link in links(t).iter().filter(|l| l.tls) {
        let (Some(cp), Some(sp)) = (&link.client.sec_protocol, &link.server.sec_protocol) else {
            continue;
        };
        if cp
            .value
            .versions()
            .iter()
            .any(|v| sp.value.versions().contains(v))
        {
            continue;
        }
        let kind = if link.kind == LinkKind::HaLink {
            "ha-link"
        } else {
            "connection"
        };
        let object = format!("{kind}:{}->{}", link.from, link.to);
        out.push(
            Finding::new(
                RuleId::TlsStrictProto,
                sp.span,
                format!(
                    "{}: the client allows TLS {} only ({} level) and the server TLS {} only ({} level)",
                    link.id,
                    cp.value.versions().join("/"),
                    cp.level.as_str(),
                    sp.value.versions().join("/"),
                    sp.level.as_str()
                ),
            )
            .object(object),
        );
    }
}

/// TLS-MUTUAL-CLIENT-CERT: over every TLS link (the HA link included), the port asks for a
/// client certificate and the dialling side has none at connection, application or host level.
fn mutual_client_cert(t: &Topology, out: &mut Vec<Finding>) {
    for link in links(t)
        .iter()
        .filter(|l| l.tls && l.server.mutual() && l.client.certificate.is_none())
    {
        let (object, after) = match link.kind {
            LinkKind::HaLink => (format!("ha-link:{}->{}", link.from, link.to), ""),
            LinkKind::Connection => (format!("connection:{}->{}", link.from, link.to), ""),
            LinkKind::FollowsToBackup => (
                format!("connection:{}->{}", link.from, link.to),
                " after a switchover",
            ),
        };
        let level = link
            .server
            .tls_mutual
            .as_ref()
            .map_or("port", |m| m.level.as_str());
        out.push(
            Finding::new(
                RuleId::TlsMutualClientCert,
                link.span,
                format!(
                    "{}: port `{}` of `{}` asks for a client certificate (tls-mutual at {level} level){after}, but `{}` has none at connection, application or host level",
                    link.id, link.port, link.to, link.from
                ),
            )
            .object(object)
            .object(port_obj(&link.to, &link.port)),
        );
    }
}
