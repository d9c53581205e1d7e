//! The leaf's own findings: validity and days left (60 and 30-day warnings), names against
//! the expected host and the address dialled, EKU, key size and signature algorithm.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{WARN_HIGH_DAYS, WARN_MEDIUM_DAYS};
use crate::probe::{CertFacts, Finding, Options, Severity, cert};

fn date(t: OffsetDateTime) -> String {
    t.date().to_string()
}

pub(super) fn validity(out: &mut Vec<Finding>, chain: &[CertFacts], opts: &Options) {
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

pub(super) fn names(
    out: &mut Vec<Finding>,
    leaf: &CertFacts,
    expected: &[String],
    address: Option<&str>,
) {
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

pub(super) fn usage_and_key(out: &mut Vec<Finding>, chain: &[CertFacts]) {
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
