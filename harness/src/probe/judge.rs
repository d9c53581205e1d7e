//! What the handshakes of one endpoint saw, judged into findings: the connection, protocol
//! versions, cipher and client authentication, then the chain as sent (order, missing
//! intermediate, which trusted CA verifies it), then the leaf (validity and days left, names,
//! EKU, key, signature). Pure: it reads [`Seen`] and writes the report, no network.

use rustls::pki_types::{CertificateDer, UnixTime};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::handshake::{ClientAuth, Failure, Negotiated, Seen, Version, VersionResult};
use super::{CertFacts, EndpointReport, Finding, Options, Severity, cert};
use crate::tls::FailureClass;
use crate::tls::verify::{self, Role};

/// Days left under which a certificate is a high finding.
pub const WARN_HIGH_DAYS: i64 = 30;
/// Days left under which a certificate is a medium finding.
pub const WARN_MEDIUM_DAYS: i64 = 60;

/// Fills `report` from what was seen.
pub fn endpoint(report: &mut EndpointReport, seen: &Seen, opts: &Options) {
    let out = &mut report.findings;
    let Some(first) = seen.attempts.first() else {
        return;
    };
    if let Some(f) = first.failure.as_ref().filter(|f| f.is_fatal()) {
        out.push(connection(f, opts));
        return;
    }
    protocols(report, seen);
    let any_offered = seen.attempts.iter().any(|a| a.offered() == Some(true));
    let all_answered = seen.attempts.iter().all(|a| a.offered().is_some());
    if !any_offered && !all_answered {
        report.findings.push(no_handshake(seen));
        return;
    }
    let Some(preferred) = seen.preferred() else {
        return;
    };
    let offered = preferred.offered() == Some(true);
    report.negotiated = preferred
        .negotiated
        .filter(|_| offered)
        .map(|version| Negotiated {
            version,
            cipher: preferred.cipher.clone(),
            client_auth: preferred.client_auth(),
            client_cert_sent: preferred.client_cert_sent,
            completed: preferred.failure.is_none(),
        });
    if let Some(n) = report.negotiated.clone() {
        negotiated(&mut report.findings, &n, preferred.failure.as_ref(), opts);
    }
    if preferred.chain.is_empty() {
        if offered {
            report.findings.push(Finding::new(
                "no-certificate",
                Severity::High,
                "the server sent no certificate",
            ));
        }
        return;
    }
    chain(report, &preferred.chain, opts);
}

fn secs(opts: &Options) -> f64 {
    opts.timeout.as_secs_f64()
}

fn connection(f: &Failure, opts: &Options) -> Finding {
    match f {
        Failure::Refused => Finding::new(
            "connect-refused",
            Severity::High,
            "connection refused: nothing listens there",
        ),
        Failure::ConnectTimeout => Finding::new(
            "connect-timeout",
            Severity::High,
            format!(
                "no answer to the connection attempt within {} s (filtered, or the host is down)",
                secs(opts)
            ),
        ),
        Failure::Connect(e) => Finding::new(
            "connect-failed",
            Severity::High,
            format!("cannot connect: {e}"),
        ),
        Failure::HandshakeTimeout { received: 0 } => Finding::new(
            "handshake-timeout",
            Severity::High,
            format!(
                "the port accepted the connection but answered nothing to the ClientHello within {} s (a plain protocol waiting for its client, or a hung server)",
                secs(opts)
            ),
        ),
        Failure::HandshakeTimeout { received } => Finding::new(
            "handshake-timeout",
            Severity::High,
            format!(
                "the handshake did not finish within {} s ({received} bytes received)",
                secs(opts)
            ),
        ),
        Failure::NotTls { preview } => Finding::new(
            "not-tls",
            Severity::High,
            format!(
                "the port answered with bytes that are not TLS (`{preview}`): a plaintext port?"
            ),
        ),
        other => Finding::new("handshake-failed", Severity::High, failure_words(other)),
    }
}

/// Neither TLS 1.3 nor TLS 1.2 got as far as a ServerHello, and not for want of a version.
fn no_handshake(seen: &Seen) -> Finding {
    let failures: Vec<&Failure> = seen
        .attempts
        .iter()
        .filter_map(|a| a.failure.as_ref())
        .collect();
    if failures.iter().all(|f| matches!(f, Failure::Closed { .. })) {
        let reset = failures
            .iter()
            .any(|f| matches!(f, Failure::Closed { reset: true }));
        return Finding::new(
            "connection-closed",
            Severity::High,
            format!(
                "the port accepted the connection and {} it without a ServerHello (not TLS, or a server that refuses this client)",
                if reset { "reset" } else { "closed" }
            ),
        );
    }
    Finding::new(
        "handshake-failed",
        Severity::High,
        format!(
            "no handshake got as far as a ServerHello: {}",
            failures
                .iter()
                .map(|f| failure_words(f))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    )
}

fn failure_words(f: &Failure) -> String {
    match f {
        Failure::Refused => "connection refused".to_string(),
        Failure::ConnectTimeout => "connection timed out".to_string(),
        Failure::Connect(e) | Failure::Tls(e) | Failure::Alert(e) => e.clone(),
        Failure::HandshakeTimeout { .. } => "the handshake timed out".to_string(),
        Failure::Closed { reset: true } => "the peer reset the connection".to_string(),
        Failure::Closed { reset: false } => "the peer closed the connection".to_string(),
        Failure::NotTls { preview } => format!("not TLS: `{preview}`"),
        Failure::VersionRefused => "the version is not offered".to_string(),
    }
}

fn protocols(report: &mut EndpointReport, seen: &Seen) {
    let out = &mut report.findings;
    let mut modern = false;
    for a in &seen.attempts {
        let offered = a.offered();
        report.protocols.push(VersionResult {
            version: a.version,
            offered,
        });
        let v = a.version.as_str();
        match (a.version, offered) {
            (Version::Tls13, Some(true)) => {
                modern = true;
                out.push(Finding::new(
                    "tls13-offered",
                    Severity::Ok,
                    format!("{v} offered"),
                ));
            }
            (Version::Tls13, Some(false)) => out.push(Finding::new(
                "tls13-not-offered",
                Severity::Low,
                format!("{v} not offered"),
            )),
            (_, Some(true)) => {
                modern = true;
                out.push(Finding::new(
                    "tls12-offered",
                    Severity::Ok,
                    format!("{v} offered"),
                ));
            }
            (_, Some(false)) => out.push(Finding::new(
                "tls12-not-offered",
                Severity::Info,
                format!("{v} not offered"),
            )),
            (version, None) => out.push(Finding::new(
                if version == Version::Tls13 {
                    "tls13-unknown"
                } else {
                    "tls12-unknown"
                },
                Severity::Info,
                format!(
                    "{v}: not known ({})",
                    a.failure.as_ref().map_or_else(String::new, failure_words)
                ),
            )),
        }
    }
    if !modern && seen.attempts.iter().all(|a| a.offered().is_some()) {
        out.push(Finding::new(
            "no-tls-version",
            Severity::High,
            "neither TLSv1.3 nor TLSv1.2 is offered",
        ));
    }
    for (version, offered) in &seen.legacy {
        report.protocols.push(VersionResult {
            version: *version,
            offered: *offered,
        });
        let v = version.as_str();
        let (id_yes, id_no, id_unknown) = match version {
            Version::Tls11 => ("tls11-offered", "tls11-not-offered", "tls11-unknown"),
            _ => ("tls10-offered", "tls10-not-offered", "tls10-unknown"),
        };
        out.push(match offered {
            Some(true) => Finding::new(
                id_yes,
                Severity::Medium,
                format!("{v} offered (deprecated by RFC 8996)"),
            ),
            Some(false) => Finding::new(id_no, Severity::Ok, format!("{v} not offered")),
            None => Finding::new(
                id_unknown,
                Severity::Info,
                format!("{v}: not known (the raw ClientHello got no clear answer)"),
            ),
        });
    }
}

fn negotiated(out: &mut Vec<Finding>, n: &Negotiated, failure: Option<&Failure>, opts: &Options) {
    if let Some(cipher) = &n.cipher {
        out.push(Finding::new(
            "cipher-negotiated",
            Severity::Info,
            format!("{} with {cipher}", n.version.as_str()),
        ));
    }
    let why = failure.map_or_else(String::new, failure_words);
    match (n.client_auth, n.client_cert_sent) {
        (ClientAuth::NotRequested, true) => out.push(Finding::new(
            "client-auth-not-requested",
            Severity::Info,
            "the server did not ask for the client certificate given (no mutual TLS)",
        )),
        (ClientAuth::NotRequested, false) => {}
        (ClientAuth::Accepted, true) => out.push(Finding::new(
            "client-auth-accepted",
            Severity::Ok,
            "mutual TLS: the server asked for a client certificate and accepted ours",
        )),
        (ClientAuth::Accepted, false) => out.push(Finding::new(
            "client-auth-optional",
            Severity::Info,
            "the server asked for a client certificate and went on without one",
        )),
        (ClientAuth::Rejected, true) => out.push(Finding::new(
            "client-cert-rejected",
            Severity::High,
            format!("the server asked for a client certificate and refused ours: {why}"),
        )),
        (ClientAuth::Rejected, false) => out.push(Finding::new(
            "client-cert-required",
            Severity::Info,
            format!(
                "mutual TLS: the server requires a client certificate ({why}); give one with --cert and --key{}",
                if opts.client.is_some() { "" } else { " to complete the handshake" }
            ),
        )),
    }
    if n.client_auth == ClientAuth::NotRequested && !n.completed {
        out.push(Finding::new(
            "handshake-failed",
            Severity::High,
            format!("the handshake failed after the ServerHello: {why}"),
        ));
    }
}

fn chain(report: &mut EndpointReport, ders: &[CertificateDer<'static>], opts: &Options) {
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
    validity(out, &report.chain, opts);
    names(
        out,
        &leaf,
        &report.expected_names,
        report.address.as_deref(),
    );
    usage_and_key(out, &report.chain);
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

fn date(t: OffsetDateTime) -> String {
    t.date().to_string()
}

fn validity(out: &mut Vec<Finding>, chain: &[CertFacts], opts: &Options) {
    let Some(leaf) = chain.first() else {
        return;
    };
    let f = if opts.now < leaf.not_before {
        Finding::new(
            "cert-not-yet-valid",
            Severity::Critical,
            format!(
                "the certificate is not valid before {}",
                rfc3339(leaf.not_before)
            ),
        )
    } else if opts.now > leaf.not_after {
        Finding::new(
            "cert-expired",
            Severity::Critical,
            format!(
                "the certificate expired on {} ({} days ago)",
                rfc3339(leaf.not_after),
                leaf.days_left.saturating_neg()
            ),
        )
    } else if leaf.days_left < WARN_HIGH_DAYS {
        Finding::new(
            "cert-expires-30d",
            Severity::High,
            format!(
                "the certificate expires in {} days, on {} (under {WARN_HIGH_DAYS})",
                leaf.days_left,
                date(leaf.not_after)
            ),
        )
    } else if leaf.days_left < WARN_MEDIUM_DAYS {
        Finding::new(
            "cert-expires-60d",
            Severity::Medium,
            format!(
                "the certificate expires in {} days, on {} (under {WARN_MEDIUM_DAYS})",
                leaf.days_left,
                date(leaf.not_after)
            ),
        )
    } else {
        Finding::new(
            "cert-validity",
            Severity::Ok,
            format!(
                "valid until {}, {} days left",
                date(leaf.not_after),
                leaf.days_left
            ),
        )
    };
    out.push(f);
    for (i, c) in (2..).zip(chain.iter().skip(1)) {
        if opts.now > c.not_after || opts.now < c.not_before {
            out.push(Finding::new(
                "chain-cert-expired",
                Severity::Critical,
                format!(
                    "certificate {i} of the chain `{}` is outside its validity ({} to {})",
                    c.subject,
                    date(c.not_before),
                    date(c.not_after)
                ),
            ));
        }
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

fn names(out: &mut Vec<Finding>, leaf: &CertFacts, expected: &[String], address: Option<&str>) {
    let listed = if leaf.sans.is_empty() {
        format!("no SAN, subject `{}`", leaf.subject)
    } else {
        leaf.sans
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if leaf.sans.is_empty() {
        out.push(Finding::new(
            "san-missing",
            Severity::Medium,
            format!(
                "the certificate has no subjectAltName ({listed}); clients that ignore the CN fail"
            ),
        ));
    }
    for name in expected {
        if leaf.info.names_host(name) {
            out.push(Finding::new(
                "san-match",
                Severity::Ok,
                format!("the certificate names `{name}` ({listed})"),
            ));
        } else {
            out.push(Finding::new(
                "san-mismatch",
                Severity::High,
                format!("the certificate does not name `{name}`: it names {listed}"),
            ));
        }
    }
    let ip = address
        .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
        .map(|a| a.ip().to_string());
    if let Some(ip) = ip.filter(|ip| !expected.contains(ip)) {
        let (sev, text) = if leaf.info.names_host(&ip) {
            (
                Severity::Ok,
                format!("the certificate also names the address `{ip}`"),
            )
        } else {
            (
                Severity::Info,
                format!(
                    "the certificate does not name the address `{ip}` (clients that dial it by address and check the name fail)"
                ),
            )
        };
        out.push(Finding::new("san-ip", sev, text));
    }
}

fn usage_and_key(out: &mut Vec<Finding>, chain: &[CertFacts]) {
    let Some(leaf) = chain.first() else {
        return;
    };
    out.push(if leaf.server_auth {
        Finding::new(
            "eku-server-auth",
            Severity::Ok,
            "extended key usage allows TLS server authentication",
        )
    } else {
        Finding::new(
            "eku-no-server-auth",
            Severity::High,
            "extended key usage without serverAuth: clients refuse the certificate for a server",
        )
    });
    let minimum = match leaf.key_algorithm.as_str() {
        "RSA" => Some(2048),
        "EC" => Some(256),
        _ => None,
    };
    out.push(match (leaf.key_bits, minimum) {
        (Some(bits), Some(min)) if bits < min => Finding::new(
            "key-too-small",
            Severity::High,
            format!("{} key of {bits} bits, under {min}", leaf.key_algorithm),
        ),
        _ => Finding::new("key-size", Severity::Ok, format!("key {}", leaf.key)),
    });
    for (i, c) in (1..).zip(chain) {
        let weak = matches!(
            cert::signature_hash(&c.signature).as_deref(),
            Some("md5" | "sha1")
        );
        if weak && !c.self_signed {
            out.push(Finding::new(
                "sig-weak",
                Severity::High,
                format!(
                    "certificate {i} `{}` is signed with {}",
                    c.subject, c.signature
                ),
            ));
        }
    }
    if !matches!(
        cert::signature_hash(&leaf.signature).as_deref(),
        Some("md5" | "sha1")
    ) {
        out.push(Finding::new(
            "sig-algorithm",
            Severity::Ok,
            format!("signed with {}", leaf.signature),
        ));
    }
}
