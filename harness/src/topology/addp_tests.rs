//! A connection's ADDP in both forms (Genesys's connection-object keys and hapair's
//! `addp = { local, remote }`), and the host's lcaport, which no application may listen on.

use std::time::Duration;

use super::*;
use crate::diag::Source;

const BASE: &str = r#"name = "t"
[host.a]
name = "a.lab.example"
[host.d]
name = "d.lab.example"
[app.p]
type = "tserver"
host = "a"
[app.p.port.default]
number = 3000
[app.desk]
type = "client"
host = "d"
"#;

fn load(connection: &str) -> Result<Topology, Vec<(String, usize)>> {
    let text = format!("{BASE}[[connection]]\nfrom = \"desk\"\nto = \"p\"\n{connection}");
    let source = Source::new("case.toml", &text);
    parse(source.clone()).map_err(|e| {
        e.problems
            .iter()
            .map(|p| (p.code.to_string(), source.locate(p.span.start).line))
            .collect()
    })
}

fn addp(connection: &str) -> Option<Addp> {
    let t = load(connection).expect("loads");
    t.connections.first().and_then(|c| c.addp.clone())
}

#[test]
fn the_connection_object_form_reads_like_genesys_writes_it() {
    let a = addp(
        "protocol = \"addp\"\nlocal-timeout = 10\nremote-timeout = \"15s\"\ntrace-mode = \"both\"\n",
    )
    .expect("ADDP on");
    assert_eq!(a.local.map(|d| d.value), Some(Duration::from_secs(10)));
    assert_eq!(a.remote.map(|d| d.value), Some(Duration::from_secs(15)));
    assert_eq!(a.trace.map(|m| m.value), Some(AddpTrace::Both));
    // `protocol = "default"` is no ADDP; the short form still works.
    assert!(addp("protocol = \"default\"\n").is_none());
    let short = addp("addp = { local = \"10s\", remote = \"10s\" }\n").expect("short form");
    assert_eq!(short.remote.map(|d| d.value), Some(Duration::from_secs(10)));
    assert_eq!(short.trace, None);
}

#[test]
fn a_connection_addp_mistake_is_located() {
    let line = 17; // the first line after `to = "p"`
    let cases = [
        ("protocol = \"adp\"\n", "bad-value", line),
        ("protocol = \"addp\"\n", "missing-key", line),
        ("local-timeout = 10\n", "ignored-key", line),
        (
            "protocol = \"addp\"\nlocal-timeout = 10\ntrace-mode = \"loud\"\n",
            "bad-value",
            line + 2,
        ),
        (
            "addp = { local = \"10s\" }\nprotocol = \"addp\"\nlocal-timeout = 10\n",
            "duplicate-key",
            line + 1,
        ),
    ];
    for (text, code, at) in cases {
        let problems = load(text).expect_err(text);
        assert_eq!(problems, vec![(code.to_string(), at)], "{text}");
    }
}

#[test]
fn an_application_port_on_the_hosts_lcaport_is_refused() {
    let text = BASE.replace("number = 3000", "number = 4999");
    let source = Source::new("case.toml", &text);
    let e = parse(source.clone()).expect_err("4999 is the LCA's");
    let got: Vec<_> = e
        .problems
        .iter()
        .map(|p| (p.code, source.locate(p.span.start).line, p.message.clone()))
        .collect();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((got[0].0, got[0].1), ("duplicate-port", 10));
    assert!(got[0].2.contains("lcaport"), "{}", got[0].2);
    // Another lcaport frees 4999 for the application.
    let moved = text.replace(
        "name = \"a.lab.example\"",
        "name = \"a.lab.example\"\nlcaport = 5000",
    );
    assert!(parse(Source::new("case.toml", &moved)).is_ok());
}
