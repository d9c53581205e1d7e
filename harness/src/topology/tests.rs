//! Loader tests: every class of bad input gets a located problem with the expected code,
//! line and column; all problems of a file come at once; good files load.

use super::*;
use crate::diag::Source;

/// A small valid base that the cases below append to or edit.
const BASE: &str = r#"name = "t"
[host.a]
name = "a.lab.example"
[host.b]
name = "b.lab.example"
[app.p]
type = "tserver"
host = "a"
backup = "q"
[app.p.port.default]
number = 3000
[app.q]
type = "tserver"
host = "b"
[app.q.port.default]
number = 3000
"#;

fn problems(text: &str) -> Vec<(String, usize, usize)> {
    let source = Source::new("case.toml", text);
    match parse(source.clone()) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .problems
            .iter()
            .map(|p| {
                let l = source.locate(p.span.start);
                (p.code.to_string(), l.line, l.column)
            })
            .collect(),
    }
}

#[test]
fn base_loads() {
    let t = parse(Source::new("case.toml", BASE)).expect("base is valid");
    assert_eq!(t.pairs().count(), 1);
    assert_eq!(
        t.app("p")
            .and_then(|a| a.port("default"))
            .map(|p| p.number.value),
        Some(3000)
    );
}

#[test]
fn every_class_of_bad_input_is_located() {
    // (what, text, code, line, column) — line/column of the offending token.
    let extra = |s: &str| format!("{BASE}{s}");
    let cases: Vec<(&str, String, &str, usize, usize)> = vec![
        (
            "syntax",
            "name = \"t\"\n[host.a\n".into(),
            "toml-syntax",
            2,
            8,
        ),
        (
            "unknown key",
            extra(
                "[database.d]\nrdbms = \"postgresql\"\nversion = \"15\"\nhost = \"a\"\nflavour = 1\n",
            ),
            "unknown-key",
            21,
            1,
        ),
        (
            "unknown top-level key",
            format!("nmae = \"x\"\n{}", &BASE[11..]),
            "unknown-key",
            1,
            1,
        ),
        (
            "wrong type",
            BASE.replace("number = 3000\n[app.q]", "number = \"3000\"\n[app.q]"),
            "wrong-type",
            11,
            10,
        ),
        (
            "bad duration",
            BASE.replace(
                "backup = \"q\"",
                "backup = \"q\"\nreconnect-timeout = \"10 parsecs\"",
            ),
            "bad-duration",
            10,
            21,
        ),
        (
            "bad enum value",
            BASE.replace(
                "type = \"tserver\"\nhost = \"b\"",
                "type = \"t-server\"\nhost = \"b\"",
            ),
            "bad-value",
            13,
            8,
        ),
        (
            "dangling backup",
            BASE.replace("backup = \"q\"", "backup = \"qq\""),
            "dangling-reference",
            9,
            10,
        ),
        (
            "dangling host",
            BASE.replace("host = \"b\"", "host = \"c\""),
            "dangling-reference",
            14,
            8,
        ),
        (
            "dangling port id",
            extra("[[connection]]\nfrom = \"p\"\nto = \"q\"\nport = \"secure\"\n"),
            "dangling-reference",
            20,
            8,
        ),
        (
            "dangling dap",
            extra("[[connection]]\nfrom = \"p\"\nto = \"dap_x\"\n"),
            "dangling-reference",
            19,
            6,
        ),
        (
            "dangling database",
            extra("[app.d]\ntype = \"dap\"\nhost = \"a\"\ndatabase = \"idb\"\n"),
            "dangling-reference",
            20,
            12,
        ),
        (
            "a database url that is not PostgreSQL",
            extra(
                "[database.d]\nrdbms = \"postgresql\"\nversion = \"15\"\nhost = \"a\"\n\
                 url = \"mysql://u:pw@h/d\"\n",
            ),
            "bad-value",
            21,
            7,
        ),
        (
            "a database url on an rdbms that is not postgresql",
            extra(
                "[database.d]\nrdbms = \"oracle\"\nversion = \"19\"\nhost = \"a\"\n\
                 url = \"postgresql://u@h/d\"\n",
            ),
            "bad-value",
            18,
            9,
        ),
        (
            "dangling certificate",
            BASE.replace(
                "backup = \"q\"",
                "backup = \"q\"\nsecurity = { certificate = \"nope\" }",
            ),
            "dangling-reference",
            10,
            28,
        ),
        (
            "duplicate app",
            extra("[app.q]\ntype = \"tserver\"\n"),
            "toml-syntax",
            17,
            6,
        ),
        (
            "duplicate host name",
            extra("[host.c]\nname = \"a.lab.example\"\n"),
            "duplicate-name",
            18,
            8,
        ),
        (
            "self backup",
            BASE.replace("backup = \"q\"", "backup = \"p\""),
            "self-backup",
            9,
            10,
        ),
        (
            "backup chain",
            extra("[app.r]\ntype = \"tserver\"\nhost = \"a\"\n")
                .replace("host = \"b\"\n", "host = \"b\"\nbackup = \"r\"\n"),
            "backup-chain",
            9,
            10,
        ),
        (
            "backup cycle",
            BASE.replace("host = \"b\"\n", "host = \"b\"\nbackup = \"p\"\n"),
            "backup-cycle",
            9,
            10,
        ),
        (
            "port out of range",
            BASE.replace("number = 3000\n[app.q]", "number = 70000\n[app.q]"),
            "bad-value",
            11,
            10,
        ),
        (
            "missing type",
            BASE.replace("type = \"tserver\"\nhost = \"b\"", "host = \"b\""),
            "missing-key",
            12,
            6,
        ),
        (
            "mode and transport disagree",
            BASE.replace(
                "number = 3000\n[app.q]",
                "number = 3000\nmode = \"unsecured\"\ntransport = \"tls=1\"\n[app.q]",
            ),
            "conflict",
            13,
            13,
        ),
        (
            "unknown transport parameter",
            BASE.replace(
                "number = 3000\n[app.q]",
                "number = 3000\ntransport = \"tls=1;tls-mutal=1\"\n[app.q]",
            ),
            "unknown-key",
            12,
            20,
        ),
        (
            "bad sec-protocol",
            BASE.replace(
                "backup = \"q\"",
                "backup = \"q\"\nsecurity = { sec-protocol = \"SSLv3\" }",
            ),
            "bad-value",
            10,
            29,
        ),
        (
            "connection to a client",
            extra(
                "[app.c]\ntype = \"client\"\nhost = \"a\"\n[[connection]]\nfrom = \"p\"\nto = \"c\"\n",
            ),
            "wrong-kind",
            22,
            6,
        ),
        (
            "bad pki time",
            format!("[pki.ca.x]\nnot-after = \"tomorrow\"\n{}", &BASE[11..]),
            "bad-value",
            2,
            13,
        ),
        (
            "dangling issuer",
            format!(
                "[pki.cert.x]\nissuer = \"nope\"\nhosts = [\"a\"]\n{}",
                &BASE[11..]
            ),
            "dangling-reference",
            1,
            11,
        ),
    ];
    let mut failures = Vec::new();
    for (what, text, code, line, column) in cases {
        let got = problems(&text);
        if !got.contains(&(code.to_string(), line, column)) {
            failures.push(format!(
                "{what}: expected {code} at {line}:{column}, got {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn all_problems_of_a_file_come_at_once() {
    let text = BASE
        .replace(
            "backup = \"q\"",
            "backup = \"qq\"\nreconnect-timeout = \"soon\"",
        )
        .replace("host = \"b\"", "host = \"c\"\ncolour = \"blue\"");
    let codes: Vec<String> = problems(&text).into_iter().map(|(c, _, _)| c).collect();
    for code in ["dangling-reference", "bad-duration", "unknown-key"] {
        assert!(
            codes.iter().any(|c| c == code),
            "{code} missing from {codes:?}"
        );
    }
    assert!(codes.len() >= 4, "{codes:?}");
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A few adversarial shapes; the property is "returns", not the exact problems.
    for text in [
        "",
        "[[app]]",
        "app = 1",
        "[app.x.port]\ny = 2",
        "[[connection]]\nfrom = 1",
        "connection = {}",
        "[app.x]\nport = []",
        "\u{feff}[host.é]\n",
    ] {
        let _ = parse(Source::new("x.toml", text));
    }
}

#[test]
fn a_connection_to_an_application_without_ports_needs_no_port() {
    let dap = "[app.d]\ntype = \"dap\"\nhost = \"a\"\n[[connection]]\nfrom = \"p\"\nto = \"d\"\n";
    let t = parse(Source::new("case.toml", format!("{BASE}{dap}"))).expect("valid");
    assert!(t.connections[0].port.is_none(), "nothing to dial on a DAP");
    // Naming a port on it is still checked, and the help says why.
    let source = Source::new("case.toml", format!("{BASE}{dap}port = \"default\"\n"));
    let e = parse(source.clone()).expect_err("the DAP has no port `default`");
    let p = &e.problems[0];
    assert_eq!(p.code, "dangling-reference");
    assert_eq!(source.locate(p.span.start).line, 23);
    assert!(
        p.help
            .as_deref()
            .is_some_and(|h| h.contains("listens on no port")),
        "{p:?}"
    );
    // A target with ports: no `port` still means `default`, located at `to`.
    let t = parse(Source::new(
        "case.toml",
        format!("{BASE}[[connection]]\nfrom = \"p\"\nto = \"q\"\n"),
    ))
    .expect("valid");
    let port = t.connections[0].port.as_ref().expect("implied");
    assert_eq!(
        (port.value.as_str(), port.span),
        ("default", t.connections[0].to.span)
    );
    // …and must exist.
    let text = BASE.replace("[app.q.port.default]", "[app.q.port.main]")
        + "[[connection]]\nfrom = \"p\"\nto = \"q\"\n";
    let codes: Vec<String> = problems(&text).into_iter().map(|(c, _, _)| c).collect();
    assert_eq!(codes, ["dangling-reference"]);
}

#[test]
fn transport_string_sets_mode_and_mutual() {
    let text = BASE.replace(
        "number = 3000\n[app.q]",
        "number = 3000\ntransport = \"tls=1;tls-mutual=1\"\n[app.q]",
    );
    let t = parse(Source::new("case.toml", text)).expect("valid");
    let port = t.app("p").and_then(|a| a.port("default")).expect("port");
    assert_eq!(port.mode.value, ListenMode::Secured);
    assert_eq!(
        port.security.tls_mutual.as_ref().map(|m| m.value),
        Some(true)
    );
}

#[test]
fn a_database_url_loads_and_its_password_is_never_shown() {
    let text = format!(
        "{BASE}[database.d]\nrdbms = \"PostgreSQL\"\nversion = \"15\"\nhost = \"a\"\n\
         url = \"postgresql://icon:hunter2@127.0.0.1:5432/idb\"\n"
    );
    let t = parse(Source::new("case.toml", text)).expect("valid");
    let url = t.database("d").and_then(|d| d.url.as_ref()).expect("a url");
    assert!(url.value.secret().contains("hunter2"));
    let shown = format!("{:?} {url}", t.databases);
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("postgresql://icon:***@127.0.0.1:5432/idb"));
    // A bad url's problem does not quote it either.
    let bad = format!(
        "{BASE}[database.d]\nrdbms = \"postgresql\"\nversion = \"15\"\nhost = \"a\"\n\
         url = \"postgresql://icon:hunter2@h:notaport/idb\"\n"
    );
    let e = parse(Source::new("case.toml", bad)).expect_err("bad port");
    let said: Vec<&str> = e.problems.iter().map(|p| p.message.as_str()).collect();
    assert!(said.iter().all(|m| !m.contains("hunter2")), "{said:?}");
    assert!(
        said.iter().any(|m| m.contains("not a PostgreSQL URL")),
        "{said:?}"
    );
}
