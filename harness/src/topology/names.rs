//! Checks on the names and numbers a topology gives its objects, beyond references: host
//! names that can be dialled and written into certificates (a DNS name or an IP address),
//! one port number per listener on a host, and a topology that declares something.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::Topology;
use super::reader::Reader;
use crate::diag::{Problem, Span};

/// Why `name` is neither a DNS name nor an IP address (`wildcard`: a leading `*.` is fine, as
/// in a certificate's SAN).
pub(crate) fn bad_host_name(name: &str, wildcard: bool) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".into());
    }
    if name.parse::<Ipv4Addr>().is_ok() || name.parse::<Ipv6Addr>().is_ok() {
        return None;
    }
    if name.contains(':') {
        return Some(if name.contains('%') {
            "an IPv6 address with a zone (`%eth0`) cannot be dialled by name or written \
             into a certificate"
                .into()
        } else {
            "it is not a valid IPv6 address".into()
        });
    }
    let body = name.strip_suffix('.').unwrap_or(name);
    if body
        .split('.')
        .all(|l| l.chars().all(|c| c.is_ascii_digit()))
    {
        return Some("it looks like an IPv4 address but is not one (four numbers 0-255)".into());
    }
    if name.len() > 253 {
        return Some("it is longer than the 253 characters of a DNS name".into());
    }
    let body = match body.strip_prefix("*.") {
        Some(rest) if wildcard => rest,
        _ => body,
    };
    for label in body.split('.') {
        if label.is_empty() {
            return Some("it has an empty label (`..`, or a leading dot)".into());
        }
        if label.len() > 63 {
            return Some("a label is longer than 63 characters".into());
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Some(format!(
                "{} is not allowed in a DNS name",
                match c {
                    ' ' => "a space".to_string(),
                    c if c.is_control() => format!("the control character U+{:04X}", c as u32),
                    c => format!("`{c}`"),
                }
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some("a label starts or ends with `-`".into());
        }
    }
    None
}

/// Host names, port numbers per host, and an empty topology.
pub(super) fn check(r: &mut Reader, t: &Topology) {
    if t.hosts.is_empty() && t.apps.is_empty() && t.pki.cas.is_empty() && t.pki.certs.is_empty() {
        r.push(
            Problem::new(
                "empty-topology",
                Span::default(),
                "the topology declares no host, application or certificate",
            )
            .help("declare [host.KEY] and [app.NAME] tables (see scenarios/topologies/)"),
        );
    }
    for h in &t.hosts {
        if let Some(why) = bad_host_name(&h.name.value, false) {
            r.push(
                Problem::new(
                    "bad-host-name",
                    h.name.span,
                    format!(
                        "host name `{}` is not a DNS name or IP address: {why}",
                        h.name.value
                    ),
                )
                .help("write the name clients dial, e.g. name = \"ts-a.lab.example\""),
            );
        }
    }
    // (host key, port number) → the first application and port ID listening on it.
    let mut taken: HashMap<(&str, u16), (&str, &str)> = HashMap::new();
    for app in &t.apps {
        for p in &app.ports {
            if p.number.value == 0 {
                continue; // a bad number is reported already
            }
            if let Some(host) = t.host(&app.host.value) {
                if p.number.value == host.lcaport.value {
                    r.push(
                        Problem::new(
                            "duplicate-port",
                            p.number.span,
                            format!(
                                "port {} on host `{}` is the host's lcaport, where its Local \
                                 Control Agent listens: `{}` cannot listen there too",
                                p.number.value, app.host.value, app.name.value
                            ),
                        )
                        .help("give the port another number, or the host another `lcaport`"),
                    );
                    continue;
                }
            }
            let key = (app.host.value.as_str(), p.number.value);
            match taken.get(&key) {
                Some((other, id)) => r.push(
                    Problem::new(
                        "duplicate-port",
                        p.number.span,
                        format!(
                            "port {} on host `{}` is taken already by port `{id}` of `{other}`",
                            p.number.value, app.host.value
                        ),
                    )
                    .help("two listeners on one host need two port numbers"),
                ),
                None => {
                    taken.insert(key, (&app.name.value, &p.id.value));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bad_host_name;

    #[test]
    fn host_names_are_dns_names_or_ips() {
        for good in [
            "ts-a.lab.example",
            "ts-a",
            "10.0.0.1",
            "::1",
            "fe80::1",
            "host_1.corp",
            "fqdn.example.",
        ] {
            assert_eq!(bad_host_name(good, false), None, "{good}");
        }
        assert_eq!(bad_host_name("*.lab.example", true), None);
        for bad in [
            "",
            "300.1.2.3",
            "999.1.1.1",
            "fe80::1%eth0",
            "ts a",
            "a..b",
            "-a.b",
            "*.lab.example",
            "a/b",
        ] {
            assert!(bad_host_name(bad, false).is_some(), "{bad}");
        }
    }
}
