//! Which trust change is in force: the precedence of levels still holds after a change.

use super::*;
use crate::diag::Source;
use crate::pki::resolve;
use crate::topology::{self, Topology};

fn topo(app_security: &str, port_security: &str, host_security: &str, mode: &str) -> Topology {
    let text = format!(
        r#"
name = "t"
resolution = "{mode}"
[pki.ca.lab]
subject = "CN=Lab"
[pki.cert.a]
issuer = "lab"
hosts = ["a.example"]
[host.ha]
name = "a.example"
security = {{ {host_security} }}
[app.s]
type = "tserver"
host = "ha"
security = {{ {app_security} }}
[app.s.port.p]
number = 1
mode = "secured"
security = {{ {port_security} }}
"#
    );
    topology::parse(Source::new("t.toml", &text)).unwrap_or_else(|e| panic!("{:?}", e.problems))
}

fn in_force(t: &Topology, changed: &[Scope]) -> Option<Scope> {
    let app = t.app("s").expect("app");
    let port = app.ports.first().expect("port");
    let params = resolve::server_port(t, app, port);
    effective(app, &params, t.resolution, |s| changed.contains(s))
}

fn app() -> Scope {
    Scope::App("s".into())
}

fn host() -> Scope {
    Scope::Host("ha".into())
}

#[test]
fn an_application_change_wins_over_the_host_and_the_configured_value() {
    let t = topo(
        r#"certificate = "a", trusted-ca = "lab""#,
        "",
        "",
        "per-parameter",
    );
    assert_eq!(in_force(&t, &[app(), host()]), Some(app()));
    assert_eq!(in_force(&t, &[]), None);
    // The application sets trusted-ca itself: a host change is hidden by it.
    assert_eq!(in_force(&t, &[host()]), None);
}

#[test]
fn a_host_change_applies_where_the_host_level_gives_the_trust() {
    let t = topo(
        r#"certificate = "a""#,
        "",
        r#"trusted-ca = "lab""#,
        "per-parameter",
    );
    assert_eq!(in_force(&t, &[host()]), Some(host()));
    let unset = topo(r#"certificate = "a""#, "", "", "per-parameter");
    assert_eq!(in_force(&unset, &[host()]), Some(host()));
}

#[test]
fn a_more_specific_level_still_wins_after_a_change() {
    let t = topo(
        r#"certificate = "a""#,
        r#"trusted-ca = "lab""#,
        "",
        "per-parameter",
    );
    assert_eq!(in_force(&t, &[app(), host()]), None);
}

#[test]
fn under_group_resolution_a_group_at_the_port_hides_every_change() {
    let t = topo("", r#"certificate = "a""#, r#"trusted-ca = "lab""#, "group");
    assert_eq!(in_force(&t, &[app(), host()]), None);
    let at_app = topo(r#"certificate = "a""#, "", r#"trusted-ca = "lab""#, "group");
    assert_eq!(in_force(&at_app, &[app()]), Some(app()));
    // The group comes from the application: the host's trusted-ca is not read at all.
    assert_eq!(in_force(&at_app, &[host()]), None);
}
