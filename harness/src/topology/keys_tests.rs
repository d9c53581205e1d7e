//! Every table the topology loader reads rejects a key it does not know, located at the key,
//! with a suggestion; `[app.X.options.SECTION]` alone stays free-form (Genesys options).

use super::*;
use crate::diag::Source;

/// A small valid topology touching every kind of table; each case below edits one line.
const ALL_TABLES: &str = r#"name = "t"
[pki.ca.ca]
subject = "CN=ca"
[pki.cert.c]
issuer = "ca"
hosts = ["a.lab.example"]
[host.a]
name = "a.lab.example"
security = { trusted-ca = "ca" }
[app.p]
type = "tserver"
host = "a"
security = { certificate = "c" }
[app.p.port.default]
number = 3000
security = { tls-mutual = false }
[app.p.options.TServer]
anything-goes = "yes"
[app.d]
type = "dap"
host = "a"
database = "idb"
[app.i]
type = "icon"
host = "a"
[app.j]
type = "icon"
host = "a"
[database.idb]
rdbms = "postgresql"
version = "15"
host = "a"
[icon-ha.voice]
icons = ["i", "j"]
stores = ["gcc"]
[[connection]]
from = "i"
to = "p"
addp = { local = "10s", remote = "10s" }
security = { tls-target-name-check = "no" }
"#;

/// The unknown-key problems of a text: (line, column, help).
fn unknown_keys(text: &str) -> Vec<(usize, usize, String)> {
    let source = Source::new("keys.toml", text);
    match parse(source.clone()) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .problems
            .iter()
            .filter(|p| p.code == "unknown-key")
            .map(|p| {
                let l = source.locate(p.span.start);
                (l.line, l.column, p.help.clone().unwrap_or_default())
            })
            .collect(),
    }
}

#[test]
fn the_base_is_valid_and_options_are_free_form() {
    let t = parse(Source::new("keys.toml", ALL_TABLES)).expect("valid");
    assert_eq!(
        t.app("p")
            .and_then(|a| a.option("TServer", "anything-goes"))
            .map(|v| v.value.as_str()),
        Some("yes")
    );
}

#[test]
fn an_unknown_key_in_every_kind_of_table_is_located_with_a_suggestion() {
    // (table, line to replace, its replacement, line, column, a word of the help)
    let cases = [
        ("top level", "name = \"t\"", "nam = \"t\"", 1, 1, "`name`"),
        (
            "[pki]",
            "[pki.ca.ca]",
            "[pki]\nclok = 2026-06-01T08:00:00Z\n[pki.ca.ca]",
            3,
            1,
            "`clock`",
        ),
        (
            "CA",
            "subject = \"CN=ca\"",
            "subjet = \"CN=ca\"",
            3,
            1,
            "`subject`",
        ),
        (
            "certificate",
            "issuer = \"ca\"",
            "isuer = \"ca\"",
            5,
            1,
            "`issuer`",
        ),
        (
            "host",
            "name = \"a.lab.example\"",
            "nme = \"a.lab.example\"",
            8,
            1,
            "`name`",
        ),
        (
            "host address",
            "name = \"a.lab.example\"",
            "name = \"a.lab.example\"\naddress = \"10.0.0.1\"",
            9,
            1,
            "dials a host by its `name`",
        ),
        (
            "host security",
            "security = { trusted-ca = \"ca\" }",
            "security = { trusted-ca = \"ca\", tls-mutal = 1 }",
            9,
            33,
            "`tls-mutual`",
        ),
        (
            "application",
            "type = \"tserver\"",
            "typ = \"tserver\"",
            11,
            1,
            "`type`",
        ),
        (
            "application security",
            "security = { certificate = \"c\" }",
            "security = { certifcate = \"c\" }",
            13,
            14,
            "`certificate`",
        ),
        ("port", "number = 3000", "numbr = 3000", 15, 1, "`number`"),
        (
            "port security",
            "security = { tls-mutual = false }",
            "security = { tls-mutual = false, cipher-lst = \"\" }",
            16,
            34,
            "`cipher-list`",
        ),
        (
            "database",
            "rdbms = \"postgresql\"",
            "rdbm = \"postgresql\"",
            30,
            1,
            "`rdbms`",
        ),
        (
            "ICON HA set",
            "stores = [\"gcc\"]",
            "store = [\"gcc\"]",
            35,
            1,
            "`stores`",
        ),
        ("connection", "from = \"i\"", "frm = \"i\"", 37, 1, "`from`"),
        (
            "addp",
            "addp = { local = \"10s\", remote = \"10s\" }",
            "addp = { local = \"10s\", remot = \"10s\" }",
            39,
            25,
            "`remote`",
        ),
        (
            "connection security",
            "security = { tls-target-name-check = \"no\" }",
            "security = { tls-target-name-chek = \"no\" }",
            40,
            14,
            "`tls-target-name-check`",
        ),
        (
            "connection transport",
            "from = \"i\"",
            "from = \"i\"\ntransport = \"tls=0;upgrade=1\"",
            38,
            20,
            "the target port's",
        ),
    ];
    let mut failures = Vec::new();
    for (table, line, replacement, l, c, help) in cases {
        assert!(ALL_TABLES.contains(line), "{table}: no line {line:?}");
        let text = ALL_TABLES.replacen(line, replacement, 1);
        let got = unknown_keys(&text);
        if !got
            .iter()
            .any(|(gl, gc, h)| (*gl, *gc) == (l, c) && h.contains(help))
        {
            failures.push(format!(
                "{table}: expected unknown-key at {l}:{c} with help {help:?}, got {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The problem codes of a text, with their messages.
fn problems(text: &str) -> Vec<(&'static str, String)> {
    match parse(Source::new("host.toml", text)) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .problems
            .iter()
            .map(|p| (p.code, p.message.clone()))
            .collect(),
    }
}

#[test]
fn a_host_carries_genesys_addp_options_and_its_lca_port() {
    let text = ALL_TABLES.replace(
        "[app.p]",
        "[host.a.options.addp]\naddp-timeout = 20\naddp-trace = \"full\"\n[app.p]",
    );
    let t = parse(Source::new(
        "host.toml",
        text.replace(
            "security = { trusted-ca = \"ca\" }",
            "security = { trusted-ca = \"ca\" }\nlcaport = 5000",
        ),
    ))
    .expect("valid");
    let a = t.host("a").expect("host a");
    assert_eq!(a.addp_timeout.value, Duration::from_secs(20));
    assert_eq!(a.lcaport.value, 5000);
    assert_eq!(
        a.option("addp", "addp-trace").map(|v| v.value.as_str()),
        Some("full")
    );
    let by_default = parse(Source::new("host.toml", ALL_TABLES)).expect("valid");
    let a = by_default.host("a").expect("host a");
    assert_eq!(
        (a.addp_timeout.value, a.lcaport.value),
        (Duration::from_secs(9), 4999)
    );

    let twice = text.replace(
        "name = \"a.lab.example\"",
        "name = \"a.lab.example\"\naddp-timeout = \"5s\"",
    );
    assert!(
        problems(&twice)
            .iter()
            .any(|(c, m)| *c == "duplicate-key" && m.contains("twice"))
    );
    let bad_trace = text.replace("addp-trace = \"full\"", "addp-trace = \"verbose\"");
    assert!(
        problems(&bad_trace)
            .iter()
            .any(|(c, m)| *c == "bad-value" && m.contains("addp-trace"))
    );
    let no_port = ALL_TABLES.replace(
        "security = { trusted-ca = \"ca\" }",
        "security = { trusted-ca = \"ca\" }\nlcaport = 0",
    );
    assert!(
        problems(&no_port)
            .iter()
            .any(|(c, m)| *c == "bad-value" && m.contains("lcaport = 0"))
    );
    let attempts = ALL_TABLES.replace(
        "type = \"tserver\"",
        "type = \"tserver\"\nreconnect-attempts = 0",
    );
    assert!(
        problems(&attempts)
            .iter()
            .any(|(c, m)| *c == "bad-value" && m.contains("reconnect-attempts = 0"))
    );
    let attempts = ALL_TABLES.replace(
        "type = \"tserver\"",
        "type = \"tserver\"\nreconnect-attempts = 3",
    );
    let t = parse(Source::new("host.toml", attempts)).expect("valid");
    assert_eq!(
        t.app("p")
            .and_then(|p| p.reconnect_attempts.as_ref())
            .map(|a| a.value),
        Some(3)
    );
}
