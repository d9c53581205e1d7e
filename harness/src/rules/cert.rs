//! Certificate-content rules: names, validity at the clock, chains against the peer's trusted
//! CA, one CA per pair, and the copy of the primary's connection certificate on a backup that
//! runs elsewhere. They judge the material the endpoints would really use (generated, or the
//! lab's files), through the same resolution and the same rustls verifiers as a handshake.

use std::collections::BTreeSet;

use rustls::pki_types::UnixTime;

use super::{CertContext, Finding, RuleId, Severity, app_obj};
use crate::diag::Span;
use crate::pki::endpoint::{Link, LinkKind, links, listeners};
use crate::pki::paths::{anchors, leaf};
use crate::pki::{Level, Params, resolve};
use crate::tls::FailureClass;
use crate::tls::verify::{self, Role};
use crate::topology::Topology;
use crate::topology::value::format_instant;

pub(super) fn check(t: &Topology, cx: &CertContext<'_>, out: &mut Vec<Finding>) {
    let links = links(t);
    name_mismatch(&links, cx, out);
    backup_diffhost(t, cx, out);
    validity(t, &links, cx, out);
    chain_trust(&links, cx, out);
    same_ca(t, &links, cx, out);
}

/// Where a certificate is described: its `[pki.cert]` entry, else where it was assigned.
fn cert_span(t: &Topology, name: &str, assigned: Span) -> Span {
    t.pki.cert(name).map_or(assigned, |c| c.span)
}

/// TLS-NAME-MISMATCH (a copied certificate is HA-CERT-BACKUP-DIFFHOST's finding).
fn name_mismatch(links: &[Link], cx: &CertContext<'_>, out: &mut Vec<Finding>) {
    for l in links.iter().filter(|l| l.tls) {
        let (Some(name), Some(cert)) = (&l.checked_name, &l.server.certificate) else {
            continue;
        };
        if cert.level == Level::CopiedFromPrimary {
            continue;
        }
        let Some(info) = cx.pki.certs.get(&cert.value) else {
            continue;
        };
        if info.names_host(name) {
            continue;
        }
        let after = if l.kind == LinkKind::FollowsToBackup {
            " after a switchover"
        } else {
            ""
        };
        out.push(
            Finding::new(
                RuleId::TlsNameMismatch,
                cert.span,
                format!(
                    "{}: the client checks the name `{name}`{after}, but certificate `{}` of `{}` names {}",
                    l.id,
                    cert.value,
                    l.to,
                    names(&info.sans, &info.subject)
                ),
            )
            .object(format!("connection:{}->{}", l.from, l.to))
            .object(format!("cert:{}", cert.value)),
        );
    }
}

fn names(sans: &[String], subject: &str) -> String {
    if sans.is_empty() {
        format!("only `{subject}`")
    } else {
        sans.iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// HA-CERT-BACKUP-DIFFHOST
fn backup_diffhost(t: &Topology, cx: &CertContext<'_>, out: &mut Vec<Finding>) {
    for pair in t.pairs() {
        if pair.primary.host.value == pair.backup.host.value {
            continue;
        }
        let id = resolve::app_identity(t, pair.backup);
        let Some(cert) = id
            .certificate
            .as_ref()
            .filter(|c| c.level == Level::CopiedFromPrimary)
        else {
            continue;
        };
        let Some(host) = t.host_of(pair.backup) else {
            continue;
        };
        let Some(info) = cx.pki.certs.get(&cert.value) else {
            continue;
        };
        if info.names_host(&host.name.value) {
            continue;
        }
        out.push(
            Finding::new(
                RuleId::HaCertBackupDiffhost,
                cert.span,
                format!(
                    "`{}` gets the copy of `{}`'s connection certificate `{}`, which names {} but `{}` runs on `{}`",
                    pair.backup.name.value,
                    pair.primary.name.value,
                    cert.value,
                    names(&info.sans, &info.subject),
                    pair.backup.name.value,
                    host.name.value
                ),
            )
            .object(app_obj(&pair.primary.name.value))
            .object(app_obj(&pair.backup.name.value))
            .object(format!("cert:{}", cert.value)),
        );
    }
}

/// Every certificate some endpoint presents, with where it was assigned.
fn certificates_in_use(t: &Topology, links: &[Link]) -> Vec<(String, Span)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let params = listeners(t)
        .into_iter()
        .filter(|l| l.mode.is_tls())
        .map(|l| l.params)
        // A client certificate matters only where a server asks for it (mutual TLS).
        .chain(
            links
                .iter()
                .filter(|l| l.tls && l.server.mutual())
                .map(|l| l.client.clone()),
        );
    for p in params {
        if let Some(c) = p.certificate {
            if seen.insert(c.value.clone()) {
                out.push((c.value, c.span));
            }
        }
    }
    out
}

/// Every certificate whose validity a handshake judges: the leaves in use, and the CAs above
/// them (intermediates and the anchoring root), as `(name, is CA, span)`.
fn judged_certificates(
    t: &Topology,
    links: &[Link],
    cx: &CertContext<'_>,
) -> Vec<(String, bool, Span)> {
    let mut out = Vec::new();
    for (name, assigned) in certificates_in_use(t, links) {
        let mut cas = Vec::new();
        if let Some(m) = cx.material.certs.get(&name) {
            let issuer = t.pki.cert(&name).and_then(|c| c.issuer.clone());
            let mut next = issuer.filter(|_| m.anchor.is_some());
            while let Some(ca) = next {
                if cas.contains(&ca) {
                    break;
                }
                next = t.pki.ca(&ca).and_then(|c| c.issuer.clone());
                cas.push(ca);
            }
        }
        out.push((name, false, assigned));
        for ca in cas {
            if !out.iter().any(|(n, is_ca, _)| *is_ca && *n == ca) {
                let span = t.pki.ca(&ca).map_or(assigned, |c| c.span);
                out.push((ca, true, span));
            }
        }
    }
    out
}

/// TLS-CERT-VALIDITY
fn validity(t: &Topology, links: &[Link], cx: &CertContext<'_>, out: &mut Vec<Finding>) {
    for (name, is_ca, assigned) in judged_certificates(t, links, cx) {
        let info = if is_ca {
            cx.pki.cas.get(&name)
        } else {
            cx.pki.certs.get(&name)
        };
        let Some(info) = info else {
            continue;
        };
        let what = if is_ca {
            "CA certificate"
        } else {
            "certificate"
        };
        let (severity, message) = if cx.clock > info.not_after {
            (
                Severity::Error,
                format!(
                    "{what} `{name}` expired at {}, before the clock {}",
                    format_instant(info.not_after),
                    format_instant(cx.clock)
                ),
            )
        } else if cx.clock < info.not_before {
            (
                Severity::Error,
                format!(
                    "{what} `{name}` is valid only from {}, after the clock {}",
                    format_instant(info.not_before),
                    format_instant(cx.clock)
                ),
            )
        } else if cx
            .clock
            .checked_add(cx.horizon)
            .is_none_or(|limit| info.not_after < limit)
        {
            (
                Severity::Warning,
                format!(
                    "{what} `{name}` expires at {}, within {} days of the clock {}",
                    format_instant(info.not_after),
                    cx.horizon.whole_days(),
                    format_instant(cx.clock)
                ),
            )
        } else {
            continue;
        };
        out.push(
            Finding::new(
                RuleId::TlsCertValidity,
                if is_ca {
                    assigned
                } else {
                    cert_span(t, &name, assigned)
                },
                message,
            )
            .object(format!("{}:{name}", if is_ca { "ca" } else { "cert" }))
            .severity(severity),
        );
    }
}

fn at(cx: &CertContext<'_>) -> UnixTime {
    let secs = u64::try_from(cx.clock.unix_timestamp()).unwrap_or(0);
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs))
}

/// TLS-CHAIN-TRUST: the server's chain against the client's trusted CA on every TLS link; the
/// client's chain against the server's when mutual TLS is on.
fn chain_trust(links: &[Link], cx: &CertContext<'_>, out: &mut Vec<Finding>) {
    for l in links.iter().filter(|l| l.tls) {
        let sides = [
            (&l.server, &l.client, Role::Server, &l.to, &l.from),
            (&l.client, &l.server, Role::Client, &l.from, &l.to),
        ];
        for (presenter, verifier, role, who, peer) in sides {
            if role == Role::Client && !l.server.mutual() {
                continue;
            }
            let Some(cert) = &presenter.certificate else {
                continue;
            };
            let Some(material) = leaf(presenter, cx.material) else {
                continue;
            };
            let trust = anchors(verifier, cx.material);
            let class = match verify::chain(&material.chain, &trust, role, at(cx)) {
                Ok(()) | Err(FailureClass::Expired | FailureClass::NotYetValid) => continue,
                Err(class) => class,
            };
            out.push(
                Finding::new(
                    RuleId::TlsChainTrust,
                    cert.span,
                    format!(
                        "{}: the chain `{who}` sends with certificate `{}` fails verification by `{peer}` ({}): {}",
                        l.id,
                        cert.value,
                        trusted(verifier),
                        explain(class)
                    ),
                )
                .object(format!("cert:{}", cert.value))
                .object(app_obj(who))
                .object(app_obj(peer))
                .fix(chain_fix(class, role)),
            );
        }
    }
}

fn chain_fix(class: FailureClass, role: Role) -> &'static str {
    match (class, role) {
        (FailureClass::WrongKeyUsage, Role::Server) => {
            "issue the certificate with the serverAuth extended key usage"
        }
        (FailureClass::WrongKeyUsage, Role::Client) => {
            "issue the certificate with the clientAuth extended key usage (it is presented under mutual TLS)"
        }
        _ => {
            "issue the certificate from the CA the peer trusts, send its full chain (send-chain = true), and give the peer that root as trusted-ca"
        }
    }
}

fn trusted(p: &Params) -> String {
    p.trusted_ca.as_ref().map_or_else(
        || "no trusted-ca".to_string(),
        |c| format!("trusted-ca `{}`", c.value),
    )
}

fn explain(class: FailureClass) -> &'static str {
    match class {
        FailureClass::UnknownCa => {
            "unknown-ca: it does not lead to the trusted CA (other CA, self-signed, or an intermediate left out)"
        }
        FailureClass::WrongKeyUsage => {
            "wrong-key-usage: its extended key usage does not allow this role"
        }
        FailureClass::BadSignature => "bad-signature",
        _ => "it does not verify",
    }
}

/// TLS-SAME-CA: the roots anchoring the certificates of a pair and its clients.
fn same_ca(t: &Topology, links: &[Link], cx: &CertContext<'_>, out: &mut Vec<Finding>) {
    for pair in t.pairs() {
        let members = [&pair.primary.name.value, &pair.backup.name.value];
        let mut roots = BTreeSet::new();
        for l in links.iter().filter(|l| members.contains(&&l.to)) {
            for p in [&l.server, &l.client] {
                let Some(m) = leaf(p, cx.material) else {
                    continue;
                };
                roots.insert(
                    m.anchor
                        .clone()
                        .unwrap_or_else(|| format!("(outside the topology: {})", m.name)),
                );
            }
        }
        if roots.len() > 1 {
            let list: Vec<String> = roots.into_iter().collect();
            out.push(
                Finding::new(
                    RuleId::TlsSameCa,
                    pair.primary.name.span,
                    format!(
                        "the pair `{}`/`{}` and its clients use certificates from {} different CAs: {}",
                        pair.primary.name.value,
                        pair.backup.name.value,
                        list.len(),
                        list.join(", ")
                    ),
                )
                .object(app_obj(&pair.primary.name.value))
                .object(app_obj(&pair.backup.name.value))
                .severity(Severity::Warning),
            );
        }
    }
}
