//! Table tests of precedence: every level, both resolution modes, and the copy of the
//! primary's connection-level certificate onto the backup.

use super::*;
use crate::diag::Source;
use crate::topology::parse;

fn topology(extra_top: &str, host_a: &str, app_p: &str, port: &str, conn: &str) -> Topology {
    let text = format!(
        r#"name = "t"
{extra_top}
[pki.ca.ca1]
[pki.ca.ca2]
[pki.cert.host-a]
issuer = "ca1"
hosts = ["a.lab.example"]
[pki.cert.app-p]
issuer = "ca1"
hosts = ["a.lab.example"]
[pki.cert.port-p]
issuer = "ca1"
hosts = ["a.lab.example"]
[pki.cert.conn-p]
issuer = "ca1"
hosts = ["a.lab.example"]
[host.a]
name = "a.lab.example"
security = {{ {host_a} }}
[host.b]
name = "b.lab.example"
[app.p]
type = "tserver"
host = "a"
backup = "q"
security = {{ {app_p} }}
[app.p.port.secure]
number = 3001
mode = "secured"
security = {{ {port} }}
[app.q]
type = "tserver"
host = "b"
[app.q.port.secure]
number = 3001
mode = "secured"
[app.s]
type = "tserver"
host = "b"
[app.s.port.default]
number = 4000
[[connection]]
from = "p"
to = "s"
security = {{ {conn} }}
"#
    );
    parse(Source::new("t.toml", text)).expect("test topology is valid")
}

fn server(t: &Topology) -> Params {
    let app = t.app("p").expect("p");
    server_port(t, app, app.port("secure").expect("port"))
}

fn cert(p: &Params) -> Option<(&str, Level)> {
    p.certificate.as_ref().map(|c| (c.value.as_str(), c.level))
}

fn ca(p: &Params) -> Option<(&str, Level)> {
    p.trusted_ca.as_ref().map(|c| (c.value.as_str(), c.level))
}

#[test]
fn server_side_precedence_port_then_application_then_host() {
    let h = r#"certificate = "host-a", trusted-ca = "ca1""#;
    let a = r#"certificate = "app-p", trusted-ca = "ca1""#;
    let p = r#"certificate = "port-p", trusted-ca = "ca2""#;
    let table = [
        (("", "", ""), None),
        ((h, "", ""), Some(("host-a", Level::Host))),
        ((h, a, ""), Some(("app-p", Level::Application))),
        ((h, a, p), Some(("port-p", Level::Port))),
        (("", "", p), Some(("port-p", Level::Port))),
    ];
    for ((host, app, port), want) in table {
        let t = topology("", host, app, port, "");
        assert_eq!(cert(&server(&t)), want, "host={host} app={app} port={port}");
    }
}

#[test]
fn client_side_precedence_connection_then_application_then_host() {
    let h = r#"certificate = "host-a", sec-protocol = "TLSv12""#;
    let a = r#"certificate = "app-p""#;
    let c = r#"certificate = "conn-p", tls-target-name-check = "host""#;
    let table = [
        ((h, "", ""), ("host-a", Level::Host)),
        ((h, a, ""), ("app-p", Level::Application)),
        ((h, a, c), ("conn-p", Level::Connection)),
    ];
    for ((host, app, conn), want) in table {
        let t = topology("", host, app, "", conn);
        let p = client_connection(&t, &t.connections[0]);
        assert_eq!(cert(&p), Some(want), "host={host} app={app} conn={conn}");
        // Parameters outside the group always resolve one by one.
        assert_eq!(p.protocol(), SecProtocol::Tls12);
        assert_eq!(p.sec_protocol.as_ref().map(|s| s.level), Some(Level::Host));
    }
}

#[test]
fn per_parameter_and_group_modes_differ_on_a_partial_group() {
    // The host has the whole group; the application only a certificate.
    let host = r#"certificate = "host-a", trusted-ca = "ca2""#;
    let app = r#"certificate = "app-p""#;
    let per = topology("", host, app, "", "");
    let p = server(&per);
    assert_eq!(cert(&p), Some(("app-p", Level::Application)));
    assert_eq!(ca(&p), Some(("ca2", Level::Host)));

    let group = topology(r#"resolution = "group""#, host, app, "", "");
    let g = server(&group);
    assert_eq!(cert(&g), Some(("app-p", Level::Application)));
    assert_eq!(
        ca(&g),
        None,
        "group mode takes nothing from below the first level"
    );
}

#[test]
fn group_mode_takes_the_whole_group_from_the_first_level_with_any_member() {
    let t = topology(
        r#"resolution = "group""#,
        r#"certificate = "host-a", trusted-ca = "ca1""#,
        r#"trusted-ca = "ca2""#,
        "",
        "",
    );
    let g = server(&t);
    assert_eq!(cert(&g), None);
    assert_eq!(ca(&g), Some(("ca2", Level::Application)));
}

#[test]
fn backup_gets_the_primary_connection_certificate_copied() {
    let t = topology("", "", "", "", r#"certificate = "conn-p""#);
    let q = t.app("q").expect("q");
    let id = app_identity(&t, q);
    assert_eq!(cert(&id), Some(("conn-p", Level::CopiedFromPrimary)));
    let port = server_port(&t, q, q.port("secure").expect("port"));
    assert_eq!(cert(&port), Some(("conn-p", Level::CopiedFromPrimary)));
}

#[test]
fn a_backup_certificate_set_by_hand_replaces_the_copy() {
    let t = topology("", "", "", "", r#"certificate = "conn-p""#);
    let text = t.source.text.replace(
        "[app.q]\ntype = \"tserver\"\nhost = \"b\"",
        "[app.q]\ntype = \"tserver\"\nhost = \"b\"\nsecurity = { certificate = \"app-p\" }",
    );
    let t = parse(Source::new("t.toml", text)).expect("valid");
    let q = t.app("q").expect("q");
    assert_eq!(
        cert(&app_identity(&t, q)),
        Some(("app-p", Level::Application))
    );
}
