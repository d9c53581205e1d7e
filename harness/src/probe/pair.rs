//! `--topology T --app NAME`: which endpoints to probe (the application's ports and its HA
//! partner's, at the hosts and port numbers the topology gives), and the pair checks on what
//! the probes saw: ports of one ID secured on both sides, one CA, each certificate naming its
//! own host and not its partner's, and the HA-sync port serving the certificate of the
//! application or host level (another one means a port-level certificate, which Genesys does
//! not support on HA-sync ports: HA-SYNC-PORT-CERT).

use std::collections::BTreeSet;

use super::target::{Resolve, Target};
use super::{EndpointReport, Finding, Placement, Severity};
use crate::pki::{Level, resolve};
use crate::topology::{App, ListenMode, Topology};

/// The endpoints of `app` and its partner, and a note for each port left out.
///
/// # Errors
/// A sentence when the application is not in the topology or is no server.
pub fn plan(
    t: &Topology,
    app: &str,
    resolve: &mut Resolve,
) -> Result<(Vec<Target>, Vec<Finding>), String> {
    let Some(first) = t.app(app) else {
        let names: Vec<&str> = t.apps.iter().map(|a| a.name.value.as_str()).collect();
        return Err(format!(
            "there is no application `{}` in topology `{}` (it has {})",
            crate::limits::quoted(app),
            t.name,
            names.join(", ")
        ));
    };
    if !first.is_server() || first.ports.is_empty() {
        return Err(format!(
            "`{app}` listens on no port (a client): give a server application"
        ));
    }
    let partner = t.pair_of(app).map(|p| {
        if p.primary.name.value == app {
            p.backup
        } else {
            p.primary
        }
    });
    let apps: Vec<&App> = std::iter::once(first).chain(partner).collect();
    // A port ID secured on either side is probed on both.
    let secured: BTreeSet<&str> = apps
        .iter()
        .flat_map(|a| a.ports.iter())
        .filter(|p| p.mode.value == ListenMode::Secured)
        .map(|p| p.id.value.as_str())
        .collect();
    let mut targets = Vec::new();
    let mut notes = Vec::new();
    for a in &apps {
        let Some(host) = t.host_of(a) else {
            continue;
        };
        resolve.alias(&host.name.value, &host.key.value);
        let other = apps
            .iter()
            .find(|o| o.name.value != a.name.value)
            .map(|o| o.name.value.clone());
        for p in &a.ports {
            let id = p.id.value.as_str();
            if p.mode.value == ListenMode::Upgrade {
                notes.push(Finding::new(
                    "port-not-probed",
                    Severity::Info,
                    format!(
                        "`{}/{id}` is in upgrade mode (plain first, then start-TLS in the Genesys protocol): not probed",
                        a.name.value
                    ),
                ));
                continue;
            }
            if !secured.contains(id) {
                continue;
            }
            let level = resolve::server_port(t, a, p).certificate.map(|c| c.level);
            targets.push(Target {
                host: host.name.value.clone(),
                port: p.number.value,
                placement: Some(Placement {
                    app: a.name.value.clone(),
                    port: id.to_string(),
                    mode: p.mode.value,
                    ha_sync: p.ha_sync.value,
                    host_name: host.name.value.clone(),
                    cert_level: level,
                    partner: other.clone(),
                }),
            });
        }
    }
    if targets.is_empty() {
        return Err(format!(
            "`{app}` and its partner have no secured port to probe"
        ));
    }
    Ok((targets, notes))
}

fn placed(endpoints: &[EndpointReport]) -> Vec<(&EndpointReport, &Placement)> {
    endpoints
        .iter()
        .filter_map(|e| e.placement.as_ref().map(|p| (e, p)))
        .collect()
}

fn name(p: &Placement) -> String {
    format!("{}/{}", p.app, p.port)
}

/// The pair checks over the endpoints a topology placed.
pub fn check(endpoints: &[EndpointReport]) -> Vec<Finding> {
    let placed = placed(endpoints);
    let mut out = Vec::new();
    ports_secured(&placed, &mut out);
    same_ca(&placed, &mut out);
    own_host(&placed, &mut out);
    ha_sync(&placed, &mut out);
    out
}

fn tls(e: &EndpointReport) -> bool {
    e.negotiated.is_some()
}

fn ports_secured(placed: &[(&EndpointReport, &Placement)], out: &mut Vec<Finding>) {
    for (e, p) in placed {
        let Some(partner) = &p.partner else {
            continue;
        };
        // Each pair of ports once: from the side whose name sorts first.
        if p.app > *partner {
            continue;
        }
        let Some((pe, pp)) = placed
            .iter()
            .find(|(_, q)| q.app == *partner && q.port == p.port)
        else {
            continue;
        };
        match (tls(e), tls(pe)) {
            (true, true) => out.push(Finding::new(
                "pair-port-secured",
                Severity::Ok,
                format!("`{}` and `{}` both answer TLS", name(p), name(pp)),
            )),
            (a, b) => {
                let (yes, no) = if a { (p, pp) } else { (pp, p) };
                out.push(Finding::new(
                    "pair-port-unsecured",
                    Severity::High,
                    if a || b {
                        format!(
                            "`{}` answers TLS but `{}`, the same port ID on the other side of the pair, does not: clients that follow the switchover fail",
                            name(yes),
                            name(no)
                        )
                    } else {
                        format!(
                            "neither `{}` nor `{}` answers TLS",
                            name(p),
                            name(pp)
                        )
                    },
                ));
            }
        }
    }
}

/// The CA of an application's certificates: the trusted CA that verified them, else the
/// issuer of the leaf.
fn ca_of(e: &EndpointReport) -> Option<String> {
    e.trusted_by
        .clone()
        .or_else(|| e.chain.first().map(|c| c.issuer.clone()))
}

fn same_ca(placed: &[(&EndpointReport, &Placement)], out: &mut Vec<Finding>) {
    let mut cas: Vec<(String, String)> = Vec::new();
    for (e, p) in placed {
        if let Some(ca) = ca_of(e)
            && !cas.iter().any(|(app, _)| *app == p.app)
        {
            cas.push((p.app.clone(), ca));
        }
    }
    let distinct: BTreeSet<&str> = cas.iter().map(|(_, ca)| ca.as_str()).collect();
    match distinct.len() {
        0 | 1 if cas.len() < 2 => {}
        1 => out.push(Finding::new(
            "pair-same-ca",
            Severity::Ok,
            format!(
                "both sides' certificates come from `{}`",
                distinct.first().copied().unwrap_or("?")
            ),
        )),
        _ => out.push(Finding::new(
            "pair-ca-differs",
            Severity::Medium,
            format!(
                "the two sides' certificates come from different CAs ({}): every client must trust both",
                cas.iter()
                    .map(|(app, ca)| format!("`{app}`: `{ca}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

fn own_host(placed: &[(&EndpointReport, &Placement)], out: &mut Vec<Finding>) {
    let mut seen = BTreeSet::new();
    for (e, p) in placed {
        let Some(leaf) = e.chain.first() else {
            continue;
        };
        if !seen.insert(p.app.clone()) {
            continue;
        }
        if leaf.info.names_host(&p.host_name) {
            out.push(Finding::new(
                "pair-cert-own-host",
                Severity::Ok,
                format!(
                    "`{}`'s certificate names its own host `{}`",
                    p.app, p.host_name
                ),
            ));
        } else {
            out.push(Finding::new(
                "pair-cert-wrong-host",
                Severity::High,
                format!(
                    "`{}` runs on `{}` but its certificate names {}",
                    p.app,
                    p.host_name,
                    if leaf.sans.is_empty() {
                        format!("only `{}`", leaf.subject)
                    } else {
                        leaf.sans.join(", ")
                    }
                ),
            ));
        }
        let shared = placed
            .iter()
            .find(|(oe, op)| op.app != p.app && oe.leaf_sha256() == Some(leaf.sha256.as_str()));
        if let Some((_, op)) = shared
            && p.app < op.app
        {
            out.push(Finding::new(
                "pair-same-certificate",
                Severity::High,
                format!(
                    "`{}` and `{}` serve the very same certificate: one of them carries a copy of its partner's (HA-CERT-BACKUP-DIFFHOST)",
                    p.app, op.app
                ),
            ));
        }
    }
}

fn ha_sync(placed: &[(&EndpointReport, &Placement)], out: &mut Vec<Finding>) {
    for (e, p) in placed.iter().filter(|(_, p)| p.ha_sync) {
        let Some(sync) = e.leaf_sha256() else {
            continue;
        };
        let reference = placed.iter().find(|(oe, op)| {
            op.app == p.app
                && !op.ha_sync
                && op.cert_level != Some(Level::Port)
                && oe.leaf_sha256().is_some()
        });
        let Some((re, rp)) = reference else {
            out.push(Finding::new(
                "ha-sync-port-cert-unknown",
                Severity::Info,
                format!(
                    "`{}` is HA sync, but no other port of `{}` with an application- or host-level certificate answered TLS to compare it with",
                    name(p),
                    p.app
                ),
            ));
            continue;
        };
        let subject = |r: &EndpointReport| {
            r.chain
                .first()
                .map_or_else(String::new, |c| c.subject.clone())
        };
        if re.leaf_sha256() == Some(sync) {
            out.push(Finding::new(
                "ha-sync-port-cert",
                Severity::Ok,
                format!(
                    "HA-sync port `{}` serves the same certificate as `{}` (application or host level)",
                    name(p),
                    name(rp)
                ),
            ));
        } else {
            out.push(Finding::new(
                "ha-sync-port-cert-differs",
                Severity::High,
                format!(
                    "HA-sync port `{}` serves `{}`, not `{}` that `{}` serves from the application or host level: a port-level certificate on an HA-sync port, which Genesys does not support (HA-SYNC-PORT-CERT)",
                    name(p),
                    subject(e),
                    subject(re),
                    name(rp)
                ),
            ));
        }
    }
}
