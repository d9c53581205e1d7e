//! The chain as sent: each certificate read, its order, and which trusted CA verifies it (a
//! missing intermediate told apart from an unknown CA by the CA files' intermediates).

use rustls::pki_types::{CertificateDer, UnixTime};
use time::OffsetDateTime;

use super::leaf;
use crate::probe::{CertFacts, EndpointReport, Finding, Options, Severity, cert};
use crate::tls::FailureClass;
use crate::tls::verify::{self, Role};

/// Reads the chain into the report and judges it, then the leaf.
pub(super) fn chain(report: &mut EndpointReport, ders: &[CertificateDer<'static>], opts: &Options) {
    let mut facts = Vec::new();
    for (i, der) in (1..).zip(ders) {
        match CertFacts::read(der, opts.now) {
            Ok(f) => facts.push(f),
            Err(e) => report.findings.push(Finding::new(
                "cert-unreadable",
                Severity::High,
                format!("certificate {i} of the chain does not parse: {e}"),
            )),
        }
    }
    report.chain = facts;
    let Some(leaf) = report.chain.first().cloned() else {
        return;
    };
    let out = &mut report.findings;
    order(out, ders, &report.chain);
    report.trusted_by = trust(out, ders, &leaf, opts);
    leaf::validity(out, &report.chain, opts);
    leaf::names(
        out,
        &leaf,
        &report.expected_names,
        report.address.as_deref(),
    );
    leaf::usage_and_key(out, &report.chain);
}

fn order(out: &mut Vec<Finding>, ders: &[CertificateDer<'static>], facts: &[CertFacts]) {
    let broken = ders
        .iter()
        .zip(ders.iter().skip(1))
        .position(|(child, parent)| !cert::issued_by(child, parent));
    match broken {
        None => out.push(Finding::new(
            "chain-order",
            Severity::Ok,
            format!(
                "{} certificate(s) sent, leaf first, each issued by the next",
                ders.len()
            ),
        )),
        Some(i) => {
            let child = facts.get(i).map_or("?", |f| f.subject.as_str());
            let next = facts
                .get(i.saturating_add(1))
                .map_or("?", |f| f.subject.as_str());
            out.push(Finding::new(
                "chain-order",
                Severity::Medium,
                format!(
                    "chain out of order: certificate {} `{next}` does not issue certificate {} `{child}` before it (strict clients refuse it)",
                    i.saturating_add(2),
                    i.saturating_add(1)
                ),
            ));
        }
    }
}

/// Which trusted CA verifies the chain (its subject), with the findings on the way.
fn trust(
    out: &mut Vec<Finding>,
    ders: &[CertificateDer<'static>],
    leaf: &CertFacts,
    opts: &Options,
) -> Option<String> {
    if opts.trust.is_empty() {
        out.push(Finding::new(
            "trust-not-judged",
            Severity::Info,
            "no trusted CA given (--ca FILE, or --topology with its certificate folder): the chain is not verified",
        ));
        return None;
    }
    let roots = &opts.trust.roots;
    // Trust is judged apart from time (validity has findings of its own): inside the leaf's
    // validity when the probe's instant is outside it.
    let (from, to) = (
        leaf.not_before.unix_timestamp(),
        leaf.not_after.unix_timestamp(),
    );
    let now = opts.now.unix_timestamp();
    let at = if now < from || now > to {
        from.saturating_add(to.saturating_sub(from) / 2)
    } else {
        now
    };
    let at = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(at).unwrap_or(0),
    ));
    let verified = |chain: &[CertificateDer<'static>]| {
        verify::chain(chain, roots, Role::Server, at).or_else(|e| match e {
            // No serverAuth is the EKU finding's; the chain may still be trusted.
            FailureClass::WrongKeyUsage => verify::chain(chain, roots, Role::Client, at),
            other => Err(other),
        })
    };
    match verified(ders) {
        Ok(()) => {
            let by = anchor_of(ders, roots);
            out.push(Finding::new(
                "chain-trusted",
                Severity::Ok,
                format!(
                    "verified by trusted CA `{}` ({})",
                    by.as_deref().unwrap_or("?"),
                    opts.trust.source
                ),
            ));
            by
        }
        Err(FailureClass::UnknownCa) => {
            let mut completed = ders.to_vec();
            completed.extend(opts.trust.intermediates.iter().cloned());
            if verified(&completed).is_ok() {
                let missing = missing_intermediates(ders, &opts.trust.intermediates);
                out.push(Finding::new(
                    "chain-incomplete",
                    Severity::High,
                    format!(
                        "missing intermediate: the server does not send {} (clients that do not hold it fail with unknown CA)",
                        missing.join(", ")
                    ),
                ));
                return anchor_of(&completed, roots);
            }
            let last = ders.last().and_then(|d| CertFacts::read(d, opts.now).ok());
            let (id, what) = match last {
                Some(l) if l.self_signed && ders.len() == 1 => (
                    "cert-self-signed",
                    format!("self-signed certificate `{}`, not a trusted CA", l.subject),
                ),
                Some(l) => (
                    "chain-untrusted",
                    format!(
                        "the chain ends at `{}`, issued by `{}`, which is none of the trusted CAs",
                        l.subject, l.issuer
                    ),
                ),
                None => (
                    "chain-untrusted",
                    "the chain leads to no trusted CA".to_string(),
                ),
            };
            out.push(Finding::new(
                id,
                Severity::High,
                format!("{what} ({})", opts.trust.source),
            ));
            None
        }
        Err(class) => {
            out.push(Finding::new(
                "chain-untrusted",
                Severity::High,
                format!(
                    "the chain does not verify against the trusted CAs: {class} ({})",
                    opts.trust.source
                ),
            ));
            None
        }
    }
}

/// The subject of the root that issues the top of the chain.
fn anchor_of(
    chain: &[CertificateDer<'static>],
    roots: &[CertificateDer<'static>],
) -> Option<String> {
    chain.iter().rev().find_map(|c| {
        roots
            .iter()
            .find(|r| cert::issued_by(c, r) || c.as_ref() == r.as_ref())
            .and_then(|r| CertFacts::read(r, OffsetDateTime::now_utc()).ok())
            .map(|r| r.subject)
    })
}

fn missing_intermediates(
    sent: &[CertificateDer<'static>],
    known: &[CertificateDer<'static>],
) -> Vec<String> {
    known
        .iter()
        .filter(|k| !sent.iter().any(|s| s.as_ref() == k.as_ref()))
        .filter(|k| sent.iter().any(|s| cert::issued_by(s, k)))
        .filter_map(|k| CertFacts::read(k, OffsetDateTime::now_utc()).ok())
        .map(|k| format!("`{}`", k.subject))
        .collect()
}
