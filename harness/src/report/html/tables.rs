//! The tables under a run's timeline: verdicts (with the instant or window judged and the
//! nearest miss), the effective TLS table (`hapair.tls-table/1`: links, listeners, and each
//! certificate's subject, issuer, serial, validity and SHA-256 fingerprint), static findings.

use std::fmt::Write as _;

use serde_json::Value;

use super::esc;
use crate::report::model::{Finding, Verdict};

/// Every verdict, failures first, each with what it judged and the nearest miss.
pub(super) fn verdicts(out: &mut String, verdicts: &[Verdict]) {
    out.push_str(
        "<h3>Expectations and invariants</h3>\n<table class=\"verdicts\"><thead><tr>\
         <th>result</th><th>kind</th><th>what</th><th>judged</th><th>trace shows</th>\
         <th>nearest miss</th></tr></thead><tbody>\n",
    );
    let mut order: Vec<&Verdict> = verdicts.iter().collect();
    order.sort_by_key(|v| v.held);
    for v in order {
        let judged = match v.span() {
            Some((a, b)) if a == b => format!("at {a} ms"),
            Some((a, b)) => format!("{a}–{b} ms"),
            None => "the topology".to_string(),
        };
        let line = v.line.map_or(String::new(), |l| format!(" (line {l})"));
        let _ = writeln!(
            out,
            "<tr data-kind=\"{}\"><td class=\"{}\">{}</td><td>{}</td><td>{}{line}</td>\
             <td class=\"num\">{judged}</td><td>{}</td><td>{}</td></tr>",
            if v.held { "expect-pass" } else { "expect-fail" },
            if v.held { "pass" } else { "fail" },
            if v.held { "held" } else { "FAILED" },
            esc(&v.kind),
            esc(&v.what),
            esc(&v.detail),
            esc(&v.miss_text().unwrap_or_default())
        );
    }
    out.push_str("</tbody></table>\n");
}

static NULL: Value = Value::Null;

/// A member of an object, or null.
fn at<'v>(v: &'v Value, key: &str) -> &'v Value {
    v.get(key).unwrap_or(&NULL)
}

/// A value as text: strings bare, null empty, anything else as JSON.
fn word(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(true) => "yes".to_string(),
        Value::Bool(false) => "no".to_string(),
        other => other.to_string(),
    }
}

/// A resolved parameter's value (`params.NAME.value`).
fn param(params: &Value, name: &str) -> String {
    word(at(at(params, name), "value"))
}

/// Cells of a row, each escaped.
fn row(out: &mut String, cells: &[String]) {
    out.push_str("<tr>");
    for c in cells {
        let _ = write!(out, "<td>{}</td>", esc(c));
    }
    out.push_str("</tr>\n");
}

fn head(out: &mut String, caption: &str, names: &[&str]) {
    let _ = write!(out, "<table><caption>{caption}</caption><thead><tr>");
    for n in names {
        let _ = write!(out, "<th>{n}</th>");
    }
    out.push_str("</tr></thead><tbody>\n");
}

/// The effective TLS table.
pub(super) fn tls(out: &mut String, table: &Value) {
    let _ = writeln!(
        out,
        "<h3>Effective TLS</h3>\n<p>Topology {}, resolution {}, validity at {}.</p>",
        esc(&word(at(table, "topology"))),
        esc(&word(at(table, "resolution"))),
        esc(&word(at(table, "clock")))
    );
    let empty = Vec::new();
    head(
        out,
        "Links",
        &[
            "link",
            "kind",
            "TLS",
            "opening",
            "mode",
            "refused",
            "client cert",
            "server cert",
            "trusted CA",
            "sec-protocol",
            "checked name",
        ],
    );
    for l in at(table, "links").as_array().unwrap_or(&empty) {
        let (c, s) = (at(l, "client"), at(l, "server"));
        row(
            out,
            &[
                word(at(l, "id")),
                word(at(l, "kind")),
                word(at(l, "tls")),
                word(at(l, "opening")),
                word(at(l, "mode")),
                word(at(l, "refused")),
                param(c, "certificate"),
                param(s, "certificate"),
                param(c, "trusted_ca"),
                param(c, "sec_protocol"),
                word(at(l, "checked_name")),
            ],
        );
    }
    out.push_str("</tbody></table>\n");
    head(
        out,
        "Listening ports",
        &[
            "port",
            "mode",
            "HA sync",
            "certificate",
            "trusted CA",
            "mutual",
            "sec-protocol",
        ],
    );
    for l in at(table, "listeners").as_array().unwrap_or(&empty) {
        let p = &at(l, "params");
        row(
            out,
            &[
                word(at(l, "id")),
                word(at(l, "mode")),
                word(at(l, "ha_sync")),
                param(p, "certificate"),
                param(p, "trusted_ca"),
                param(p, "tls_mutual"),
                param(p, "sec_protocol"),
            ],
        );
    }
    out.push_str("</tbody></table>\n");
    head(
        out,
        "Certificates",
        &[
            "name",
            "subject",
            "issuer",
            "serial",
            "valid from",
            "valid to",
            "SHA-256",
        ],
    );
    if let Some(certs) = at(table, "certificates").as_object() {
        for (name, c) in certs {
            row(
                out,
                &[
                    name.clone(),
                    word(at(c, "subject")),
                    word(at(c, "issuer")),
                    word(at(c, "serial")),
                    word(at(c, "not_before")),
                    word(at(c, "not_after")),
                    word(at(c, "sha256")),
                ],
            );
        }
    }
    out.push_str("</tbody></table>\n");
}

/// The topology's static findings.
pub(super) fn findings(out: &mut String, findings: &[Finding]) {
    out.push_str("<h3>Static findings</h3>\n");
    if findings.is_empty() {
        out.push_str("<p>None.</p>\n");
        return;
    }
    head(
        out,
        "Findings",
        &["severity", "rule", "message", "fix", "file"],
    );
    for f in findings {
        row(
            out,
            &[
                f.severity.clone(),
                f.rule.clone(),
                f.message.clone(),
                f.fix.clone(),
                f.file.clone(),
            ],
        );
    }
    out.push_str("</tbody></table>\n");
}
