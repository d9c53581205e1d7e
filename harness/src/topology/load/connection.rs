//! The `[[connection]]` tables: who dials whom on which port, with what security and ADDP
//! (hapair's `addp = { local, remote }` or the Genesys connection object's `protocol = "addp"`,
//! `local-timeout`, `remote-timeout`, `trace-mode`).

use super::super::reader::{Reader, Table};
use super::super::security::decode_security;
use super::super::{Addp, AddpTrace, Connection};
use crate::diag::{Problem, Sp, Span};

pub(super) fn decode_connections(r: &mut Reader, doc: &Table<'_>, out: &mut Vec<Connection>) {
    let Some(v) = doc.get("connection") else {
        return;
    };
    let toml::de::DeValue::Array(items) = v.get_ref() else {
        r.push(
            Problem::new(
                "wrong-type",
                v.span(),
                "`connection` must be an array of tables",
            )
            .help("write each as [[connection]]"),
        );
        return;
    };
    for item in items.iter() {
        let Some(t) = r.table(item, "connection") else {
            continue;
        };
        let span: Span = item.span().into();
        let what = "a connection";
        r.keys(t, &CONNECTION_KEYS, what);
        let mut security = decode_security(r, t, what);
        if let Some(transport) = r.string(t, "transport") {
            super::super::security::decode_transport(r, &transport, &mut security, false);
        }
        let addp = decode_addp(r, t, span);
        let from = r.required_string(t, "from", span, what);
        let to = r.required_string(t, "to", span, what);
        if let (Some(from), Some(to)) = (from, to) {
            out.push(Connection {
                port: r.string(t, "port"),
                from,
                to,
                addp,
                security,
                span,
            });
        }
    }
}

const CONNECTION_KEYS: [&str; 10] = [
    "from",
    "to",
    "port",
    "addp",
    "protocol",
    "local-timeout",
    "remote-timeout",
    "trace-mode",
    "security",
    "transport",
];

/// A connection's ADDP, in either form: Genesys's connection object (`protocol = "addp"`,
/// `local-timeout`, `remote-timeout`, `trace-mode`) or hapair's `addp = { local, remote }`.
fn decode_addp(r: &mut Reader, t: &Table<'_>, span: Span) -> Option<Addp> {
    let short = r.opt_table(t, "addp").map(|a| {
        r.keys(a, &["local", "remote"], "`addp`");
        Addp {
            local: r.duration(a, "local"),
            remote: r.duration(a, "remote"),
            trace: None,
            span: t.get("addp").map_or(span, |v| v.span().into()),
        }
    });
    let protocol = r.string(t, "protocol");
    let on = protocol.as_ref().and_then(|p| {
        let word = p.value.trim();
        if word.eq_ignore_ascii_case("addp") {
            Some(true)
        } else if word.eq_ignore_ascii_case("default") {
            Some(false)
        } else {
            r.push(
                Problem::new(
                    "bad-value",
                    p.span,
                    format!(
                        "`protocol` = `{}` is not a connection protocol",
                        crate::limits::quoted(&p.value)
                    ),
                )
                .help("Genesys's Connection Protocol is `default` or `addp`"),
            );
            None
        }
    });
    let local = r.duration(t, "local-timeout");
    let remote = r.duration(t, "remote-timeout");
    let trace = r.string(t, "trace-mode").and_then(|m| {
        let mode = AddpTrace::parse(&m.value);
        if mode.is_none() {
            let words: Vec<&str> = AddpTrace::WORDS.iter().map(|(w, _)| *w).collect();
            r.push(
                Problem::new(
                    "bad-value",
                    m.span,
                    format!(
                        "`trace-mode` = `{}` is not an ADDP trace mode",
                        crate::limits::quoted(&m.value)
                    ),
                )
                .help(format!("one of {}", words.join(", "))),
            );
        }
        mode.map(|v| Sp::new(v, m.span))
    });
    let long_keys = ["local-timeout", "remote-timeout", "trace-mode"];
    let first_long = long_keys
        .iter()
        .find_map(|k| t.get(*k).map(|v| (*k, Span::from(v.span()))));
    let long_form = protocol
        .as_ref()
        .map(|p| p.span)
        .or(first_long.map(|(_, s)| s));
    if let (Some(_), Some(written)) = (&short, long_form) {
        r.push(
            Problem::new(
                "duplicate-key",
                written,
                "this connection sets ADDP twice: in `addp = {…}` and in the connection-object keys",
            )
            .help(
                "keep one form: `addp = { local, remote }`, or `protocol = \"addp\"` with \
                 `local-timeout`, `remote-timeout`, `trace-mode`",
            ),
        );
        return None;
    }
    if short.is_some() {
        return short;
    }
    if let (Some(true), Some(p)) = (on, &protocol) {
        if local.is_none() {
            r.push(
                Problem::new(
                    "missing-key",
                    p.span,
                    "a connection with `protocol = \"addp\"` needs `local-timeout`",
                )
                .help("Genesys requires the Local Timeout with ADDP; 0 leaves this side silent"),
            );
        }
        return Some(Addp {
            local,
            remote,
            trace,
            span: p.span,
        });
    }
    if let Some((key, at)) = first_long {
        r.push(
            Problem::new(
                "ignored-key",
                at,
                format!("`{key}` has no effect without `protocol = \"addp\"`"),
            )
            .help("add protocol = \"addp\" to run ADDP on this connection"),
        );
    }
    None
}
