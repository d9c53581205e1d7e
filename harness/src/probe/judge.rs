//! What the handshakes of one endpoint saw, judged into findings: the connection, protocol
//! versions, cipher and client authentication, then the chain as sent (order, missing
//! intermediate, which trusted CA verifies it), then the leaf (validity and days left, names,
//! EKU, key, signature). Pure: it reads [`Seen`] and writes the report, no network.

mod chain;
mod leaf;

use super::handshake::{ClientAuth, Failure, Negotiated, Seen, Version, VersionResult};
use super::{EndpointReport, Finding, Options, Severity};

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
    chain::chain(report, &preferred.chain, opts);
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
