//! `hapair probe` rendered: text for people (one block per endpoint: address, protocols,
//! negotiated cipher, the chain as sent, then each finding with its severity) and the
//! `hapair.probe/1` JSON document (docs/json.md).

use serde::Serialize;

use crate::probe::{EndpointReport, Finding, Report, Severity};

/// Schema of the JSON document.
pub const PROBE_SCHEMA: &str = "hapair.probe/1";

#[derive(Serialize)]
struct Doc<'a> {
    schema: &'static str,
    version: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    at: time::OffsetDateTime,
    trust: &'a str,
    endpoints: Vec<Endpoint<'a>>,
    pair: &'a [Finding],
    summary: Summary,
}

#[derive(Serialize)]
struct Endpoint<'a> {
    #[serde(flatten)]
    report: &'a EndpointReport,
    worst: Severity,
}

#[derive(Serialize)]
struct Summary {
    endpoints: usize,
    worst: Severity,
    counts: std::collections::BTreeMap<&'static str, usize>,
}

/// The `hapair.probe/1` document.
///
/// # Errors
/// What serde_json says (never for these types).
pub fn json(report: &Report, at: time::OffsetDateTime) -> Result<String, serde_json::Error> {
    let mut counts = std::collections::BTreeMap::new();
    for f in report
        .endpoints
        .iter()
        .flat_map(|e| e.findings.iter())
        .chain(report.pair.iter())
    {
        let n = counts.entry(f.severity.as_str()).or_insert(0usize);
        *n = n.saturating_add(1);
    }
    let doc = Doc {
        schema: PROBE_SCHEMA,
        version: env!("CARGO_PKG_VERSION"),
        at,
        trust: &report.trust,
        endpoints: report
            .endpoints
            .iter()
            .map(|e| Endpoint {
                report: e,
                worst: e.worst(),
            })
            .collect(),
        pair: &report.pair,
        summary: Summary {
            endpoints: report.endpoints.len(),
            worst: report.worst(),
            counts,
        },
    };
    serde_json::to_string_pretty(&doc).map(|mut s| {
        s.push('\n');
        s
    })
}

fn tag(s: Severity, colour: bool) -> String {
    let word = format!("{:<8}", s.as_str().to_ascii_uppercase());
    if !colour {
        return word;
    }
    let code = match s {
        Severity::Ok => "32",
        Severity::Info => "0",
        Severity::Low => "36",
        Severity::Medium => "33",
        Severity::High => "31",
        Severity::Critical => "1;31",
    };
    format!("\x1b[{code}m{word}\x1b[0m")
}

/// Text for people.
pub fn human(report: &Report, colour: bool) -> String {
    let mut out = String::new();
    for e in &report.endpoints {
        endpoint(&mut out, e, colour);
    }
    if !report.pair.is_empty() {
        out.push_str("HA pair\n");
        for f in &report.pair {
            out.push_str(&format!(
                "  {} {:<26} {}\n",
                tag(f.severity, colour),
                f.id,
                f.message
            ));
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "{} endpoint(s) probed; trusted CAs: {}; worst finding: {}\n",
        report.endpoints.len(),
        if report.trust.is_empty() {
            "none given"
        } else {
            &report.trust
        },
        report.worst().as_str()
    ));
    out
}

fn endpoint(out: &mut String, e: &EndpointReport, colour: bool) {
    out.push_str(&e.endpoint);
    if let Some(p) = &e.placement {
        out.push_str(&format!(
            "  ({}/{}{})",
            p.app,
            p.port,
            if p.ha_sync { ", HA sync" } else { "" }
        ));
    }
    if let Some(a) = e
        .address
        .as_ref()
        .filter(|a| !e.endpoint.ends_with(a.as_str()))
    {
        out.push_str(&format!("  -> {a}"));
    }
    out.push('\n');
    if !e.protocols.is_empty() {
        let list: Vec<String> = e
            .protocols
            .iter()
            .map(|v| {
                let word = match v.offered {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "?",
                };
                format!("{} {word}", v.version.as_str())
            })
            .collect();
        out.push_str(&format!("  protocols   {}\n", list.join(", ")));
    }
    if let Some(n) = &e.negotiated {
        out.push_str(&format!(
            "  negotiated  {} {}\n",
            n.version.as_str(),
            n.cipher.as_deref().unwrap_or("")
        ));
    }
    for (i, c) in (1..).zip(&e.chain) {
        out.push_str(&format!(
            "  chain {i}     {}  (issuer {}; {}; {}; until {}, {} days)\n",
            c.subject,
            c.issuer,
            c.key,
            c.signature,
            c.not_after.date(),
            c.days_left
        ));
        if i == 1 && !c.sans.is_empty() {
            out.push_str(&format!("  SANs        {}\n", c.sans.join(", ")));
        }
    }
    if let Some(by) = &e.trusted_by {
        out.push_str(&format!("  trusted by  {by}\n"));
    }
    for f in &e.findings {
        out.push_str(&format!(
            "  {} {:<26} {}\n",
            tag(f.severity, colour),
            f.id,
            f.message
        ));
    }
    out.push('\n');
}
