//! The effective TLS table (`hapair certs show`): for every listening port and every link, the
//! certificate, key, trusted CA and options in force, and the level each came from.

use std::fmt::Write as _;

use serde::Serialize;

use crate::pki::endpoint::{Link, LinkKind, Listener};
use crate::pki::inspect::CertInfo;
use crate::pki::{Params, Resolved};
use crate::topology::value::format_instant;

/// Schema identifier of `hapair certs show --format json`.
pub const SCHEMA: &str = "hapair.tls-table/1";

/// Everything the table shows.
#[derive(Serialize)]
pub struct Table<'a> {
    /// Schema identifier.
    pub schema: &'static str,
    /// Topology name.
    pub topology: &'a str,
    /// `per-parameter` or `group`.
    pub resolution: crate::topology::Resolution,
    /// The instant validity is shown at (RFC 3339).
    pub clock: String,
    /// Listening ports.
    pub listeners: &'a [Listener],
    /// Links.
    pub links: &'a [Link],
    /// Facts of the certificates in use, by name.
    pub certificates: std::collections::BTreeMap<&'a str, &'a CertInfo>,
}

/// One parameter line; unset parameters outside the certificate group are left out (their
/// defaults are stated once, under the table).
fn one<T>(out: &mut String, name: &str, r: &Option<Resolved<T>>, show: impl Fn(&T) -> String) {
    match r {
        Some(r) => {
            let _ = writeln!(
                out,
                "      {name:<22} {:<28} {}",
                show(&r.value),
                r.level.as_str()
            );
        }
        None if matches!(name, "certificate" | "certificate-key" | "trusted-ca") => {
            let _ = writeln!(out, "      {name:<22} -");
        }
        None => {}
    }
}

/// A value as files write it: its serialised name (`host`, `per-parameter`, `TLSv1.3`).
fn word<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn params(out: &mut String, p: &Params) {
    one(out, "certificate", &p.certificate, String::clone);
    let key = match (&p.certificate_key, &p.certificate) {
        (Some(_), _) => None,
        (None, Some(c)) if !crate::topology::is_path(&c.value) => {
            Some("(generated with the certificate)")
        }
        _ => None,
    };
    match key {
        Some(k) => {
            let _ = writeln!(out, "      {:<22} {k}", "certificate-key");
        }
        None => one(out, "certificate-key", &p.certificate_key, String::clone),
    }
    one(out, "trusted-ca", &p.trusted_ca, String::clone);
    one(out, "tls-mutual", &p.tls_mutual, |b| {
        if *b { "1" } else { "0" }.to_string()
    });
    one(out, "tls-target-name-check", &p.tls_target_name_check, word);
    one(out, "tls-target-name", &p.tls_target_name, String::clone);
    one(out, "sec-protocol", &p.sec_protocol, word);
    one(out, "cipher-list", &p.cipher_list, String::clone);
    one(out, "tls-crl", &p.tls_crl, String::clone);
}

/// Human rendering.
pub fn human(t: &Table<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: resolution {}, validity shown at {}\n",
        t.topology,
        word(&t.resolution),
        t.clock
    );
    let _ = writeln!(out, "Listening ports");
    for l in t.listeners {
        let ha = if l.ha_sync { ", HA sync" } else { "" };
        let _ = writeln!(out, "  {} ({}{ha})", l.id, l.mode.as_str());
        if l.mode.is_tls() {
            params(&mut out, &l.params);
        }
    }
    let _ = writeln!(out, "\nLinks");
    for l in t.links {
        let kind = match l.kind {
            LinkKind::Connection => "connection",
            LinkKind::FollowsToBackup => "after switchover",
            LinkKind::HaLink => "HA link",
        };
        let tls = match (l.refused, l.tls) {
            (Some(r), _) => format!("refused: {}", r.why()),
            (None, true) => "TLS".to_string(),
            (None, false) => "plain text".to_string(),
        };
        let check = l
            .checked_name
            .as_ref()
            .map_or_else(String::new, |n| format!(", checks the name {n}"));
        let _ = writeln!(
            out,
            "  {} ({kind}, {tls}, dials {}{check})",
            l.id, l.dial_host
        );
        if l.tls {
            let _ = writeln!(out, "    client side:");
            params(&mut out, &l.client);
            let _ = writeln!(out, "    server side: as port {}/{} above", l.to, l.port);
        }
    }
    let _ = writeln!(
        out,
        "\nUnset: tls-mutual 0, sec-protocol negotiates from TLS 1.2, no name check, no CRL."
    );
    if !t.certificates.is_empty() {
        let _ = writeln!(out, "\nCertificates in use");
        for (name, c) in &t.certificates {
            let _ = writeln!(
                out,
                "  {name}: {} [{}], issuer {}, valid {} .. {}, EKU{}{}",
                c.subject,
                c.sans.join(", "),
                c.issuer,
                format_instant(c.not_before),
                format_instant(c.not_after),
                if c.server_auth { " server" } else { "" },
                if c.client_auth { " client" } else { "" },
            );
        }
    }
    out
}

/// JSON rendering (`hapair.tls-table/1`), one line.
pub fn json(t: &Table<'_>) -> String {
    format!("{}\n", super::json::to_string(t))
}

/// The effective TLS table of `topology` at `clock`, rendered by `render` ([`human`] or
/// [`json`]): for `hapair certs show` and the `tls-table.json` of `hapair run --out`.
///
/// # Errors
/// [`PkiError`](crate::pki::PkiError) when the certificate material cannot be made or loaded.
pub fn render(
    topology: &crate::topology::Topology,
    clock: time::OffsetDateTime,
    render: fn(&Table<'_>) -> String,
) -> Result<String, crate::pki::PkiError> {
    use time::format_description::well_known::Rfc3339;
    let material = crate::pki::paths::for_topology(topology, clock)?;
    let inspected = crate::pki::inspect::inspect(&material)?;
    let listeners = crate::pki::endpoint::listeners(topology);
    let links = crate::pki::endpoint::links(topology);
    let in_use = listeners
        .iter()
        .map(|l| &l.params)
        .chain(links.iter().flat_map(|l| [&l.client, &l.server]))
        .filter_map(|p| p.certificate.as_ref())
        .filter_map(|c| inspected.certs.get_key_value(c.value.as_str()))
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    Ok(render(&Table {
        schema: SCHEMA,
        topology: &topology.name,
        resolution: topology.resolution,
        clock: clock.format(&Rfc3339).unwrap_or_else(|_| clock.to_string()),
        listeners: &listeners,
        links: &links,
        certificates: in_use,
    }))
}
