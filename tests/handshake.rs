//! Real rustls handshakes, in memory, between endpoints built from topologies through the path
//! the simulator takes: topology text → `pki::paths::for_topology` → `pki::endpoint::links` →
//! `tls::sides` → `tls::config` → `tls::memory::handshake`, judged at a fixed virtual clock.
//!
//! Every link of the reference T-Server pair succeeds; each certificate fault and parameter
//! mismatch fails with its exact [`FailureClass`] on the side that notices it; a certificate
//! that expires in virtual time passes before and fails after, with the same configurations.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hapair::diag::Source;
use hapair::pki::Material;
use hapair::pki::endpoint::{Link, LinkKind, links};
use hapair::pki::paths::for_topology;
use hapair::tls::memory::{Failure, Negotiated, Side, handshake};
use hapair::tls::sides::{client_side, server_name, server_side};
use hapair::tls::{FailureClass, VirtualTime, client_config, server_config};
use hapair::topology::{self, Topology};
use rustls::pki_types::ServerName;
use time::OffsetDateTime;
use time::macros::datetime;

/// The virtual instant every certificate is generated at and judged at.
const CLOCK: OffsetDateTime = datetime!(2026-06-01 08:00:00 UTC);

/// Builds both sides of `link` and runs one full handshake, validity judged by `time`.
fn run(link: &Link, m: &Material, time: &VirtualTime) -> Result<Negotiated, Failure> {
    let server = server_side(link, m).expect("the listening port has a certificate");
    let server = server_config(&server, time.provider()).expect("server config builds");
    let client =
        client_config(&client_side(link, m), time.provider()).expect("client config builds");
    let name = ServerName::try_from(server_name(link)).expect("the dialled name is a valid name");
    handshake(client, server, name)
}

fn parse(name: &str, text: &str) -> Topology {
    topology::parse(Source::new(name, text))
        .unwrap_or_else(|e| panic!("{name} does not parse: {e:?}\n{text}"))
}

fn material(t: &Topology) -> Material {
    for_topology(t, CLOCK).unwrap_or_else(|e| panic!("{}: PKI does not generate: {e}", t.name))
}

// ---------------------------------------------------------------------------------------------
// The reference topology

#[test]
fn every_link_of_the_reference_pair_succeeds_with_tls13() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/topologies/tserver-pair.toml");
    let t = topology::load(&path).expect("the reference topology loads");
    let m = material(&t);
    let all = links(&t);
    let ids: Vec<(&str, LinkKind)> = all.iter().map(|l| (l.id.as_str(), l.kind)).collect();
    assert_eq!(
        ids,
        [
            ("desk->ts_primary/secure", LinkKind::Connection),
            ("desk->ts_backup/secure", LinkKind::FollowsToBackup),
            ("ts_backup->ts_primary/ha", LinkKind::HaLink),
            ("ts_primary->ts_backup/ha", LinkKind::HaLink),
        ],
        "the links of the reference pair"
    );
    let at = VirtualTime::fixed(CLOCK);
    for link in &all {
        assert!(link.tls, "{} runs under TLS", link.id);
        let agreed = run(link, &m, &at).unwrap_or_else(|f| {
            panic!(
                "{}: {:?} side failed with {} ({})",
                link.id, f.side, f.class, f.error
            )
        });
        assert_eq!(agreed.version, "1.3", "{}", link.id);
        assert!(
            !agreed.client_authenticated,
            "{}: no tls-mutual, no client certificate",
            link.id
        );
    }
    // The desktop checks names: each server must present its own host's certificate.
    let checked: Vec<Option<&str>> = all.iter().map(|l| l.checked_name.as_deref()).collect();
    assert_eq!(
        checked,
        [
            Some("ts-a.lab.example"),
            Some("ts-b.lab.example"),
            None,
            None
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// One pair and a desktop, with parameters substituted

/// A T-Server hot-standby pair (`primary` on srv-a, `backup` on srv-b) and a desktop dialling
/// the primary's `secure` port. Each field is the inside of an inline TOML table.
#[derive(Clone, Copy)]
struct Pair {
    /// `[pki.cert] srv-a = { … }`: the primary's certificate, besides its `hosts`.
    server_cert: &'static str,
    /// `[pki.cert] desk = { … }`: the desktop's certificate, besides its `hosts`.
    client_cert: &'static str,
    /// Added to the primary's application-level `security` (after certificate and trusted-ca).
    server_security: &'static str,
    /// `transport` of the primary's `secure` port.
    port_transport: &'static str,
    /// The desktop application's whole `security`.
    desk_security: &'static str,
    /// The connection's whole `security`.
    connection_security: &'static str,
}

const PAIR: Pair = Pair {
    server_cert: r#"issuer = "lab-ca""#,
    client_cert: r#"issuer = "lab-ca""#,
    server_security: "",
    port_transport: "tls=1",
    desk_security: r#"certificate = "desk", trusted-ca = "lab-ca""#,
    connection_security: r#"tls-target-name-check = "host""#,
};

impl Pair {
    fn text(&self) -> String {
        let Pair {
            server_cert,
            client_cert,
            server_security,
            port_transport,
            desk_security,
            connection_security,
        } = self;
        let server_security = if server_security.is_empty() {
            String::new()
        } else {
            format!(", {server_security}")
        };
        format!(
            r#"name = "case"

[pki.ca.lab-ca]
subject = "CN=Case CA,O=hapair test"

[pki.ca.lab-inter]
subject = "CN=Case Intermediate,O=hapair test"
issuer = "lab-ca"

[pki.cert]
srv-a = {{ hosts = ["srv-a.lab.example"], {server_cert} }}
srv-b = {{ hosts = ["srv-b.lab.example"], issuer = "lab-ca" }}
desk = {{ hosts = ["desk.lab.example"], {client_cert} }}

[host.srv-a]
name = "srv-a.lab.example"

[host.srv-b]
name = "srv-b.lab.example"

[host.desk]
name = "desk.lab.example"

[app.primary]
type = "tserver"
host = "srv-a"
backup = "backup"
redundancy = "hot-standby"
security = {{ certificate = "srv-a", trusted-ca = "lab-ca"{server_security} }}

[app.primary.port.secure]
number = 3001
transport = "{port_transport}"

[app.primary.port.ha]
number = 3002
mode = "secured"
ha-sync = true

[app.backup]
type = "tserver"
host = "srv-b"
redundancy = "hot-standby"
security = {{ certificate = "srv-b", trusted-ca = "lab-ca" }}

[app.backup.port.secure]
number = 3001
mode = "secured"

[app.backup.port.ha]
number = 3002
mode = "secured"
ha-sync = true

[app.desk]
type = "client"
host = "desk"
security = {{ {desk_security} }}

[[connection]]
from = "desk"
to = "primary"
port = "secure"
security = {{ {connection_security} }}
"#
        )
    }

    /// The topology, its material, and the desktop's connection to the primary.
    fn build(&self, name: &str) -> (Topology, Material) {
        let t = parse(&format!("{name}.toml"), &self.text());
        let m = material(&t);
        (t, m)
    }
}

/// The desktop's link to the primary's `secure` port.
fn desk_link(t: &Topology) -> Link {
    links(t)
        .into_iter()
        .find(|l| l.kind == LinkKind::Connection)
        .expect("the desktop's connection is a link")
}

/// What a case must end in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The handshake succeeds with this version, the client authenticated or not.
    Agreed { version: &'static str, mutual: bool },
    /// The handshake fails on this side, for this reason.
    Fails(Side, FailureClass),
}

const TLS13: Expect = Expect::Agreed {
    version: "1.3",
    mutual: false,
};

fn outcome(r: &Result<Negotiated, Failure>) -> Expect {
    match r {
        Ok(n) => Expect::Agreed {
            version: n.version,
            mutual: n.client_authenticated,
        },
        Err(f) => Expect::Fails(f.side, f.class),
    }
}

fn check(cases: &[(&str, Pair, Expect)]) {
    let at = VirtualTime::fixed(CLOCK);
    let mut wrong = Vec::new();
    for (name, pair, expect) in cases {
        let (t, m) = pair.build(name);
        let result = run(&desk_link(&t), &m, &at);
        let got = outcome(&result);
        if got != *expect {
            let detail = match &result {
                Ok(n) => format!("{n:?}"),
                Err(f) => format!("{:?}", f.error),
            };
            wrong.push(format!(
                "{name}: expected {expect:?}, got {got:?} ({detail})"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "cases that went wrong:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_base_pair_succeeds_on_every_link() {
    let (t, m) = PAIR.build("base");
    let at = VirtualTime::fixed(CLOCK);
    let all = links(&t);
    assert_eq!(
        all.len(),
        4,
        "connection, follow-up to the backup, HA link both ways"
    );
    for link in &all {
        let got = outcome(&run(link, &m, &at));
        assert_eq!(got, TLS13, "{}", link.id);
    }
}

#[test]
fn each_server_certificate_fault_fails_on_the_client_with_its_class() {
    use FailureClass as F;
    use Side::Client;
    let cases = [
        (
            "expired",
            Pair {
                server_cert: r#"issuer = "lab-ca", profile = "expired""#,
                ..PAIR
            },
            Expect::Fails(Client, F::Expired),
        ),
        (
            "not-yet-valid",
            Pair {
                server_cert: r#"issuer = "lab-ca", profile = "not-yet-valid""#,
                ..PAIR
            },
            Expect::Fails(Client, F::NotYetValid),
        ),
        (
            "wrong-host-checked",
            Pair {
                server_cert: r#"issuer = "lab-ca", profile = "wrong-host""#,
                ..PAIR
            },
            Expect::Fails(Client, F::NameMismatch),
        ),
        (
            // Genesys clients check the name only when asked.
            "wrong-host-unchecked",
            Pair {
                server_cert: r#"issuer = "lab-ca", profile = "wrong-host""#,
                connection_security: "",
                ..PAIR
            },
            TLS13,
        ),
        (
            "wrong-host-check-no",
            Pair {
                server_cert: r#"issuer = "lab-ca", profile = "wrong-host""#,
                connection_security: r#"tls-target-name-check = "no""#,
                ..PAIR
            },
            TLS13,
        ),
        (
            "other-ca",
            Pair {
                server_cert: r#"issuer = "lab-ca", profile = "other-ca""#,
                ..PAIR
            },
            Expect::Fails(Client, F::UnknownCa),
        ),
        (
            "self-signed",
            Pair {
                server_cert: r#"profile = "self-signed""#,
                ..PAIR
            },
            Expect::Fails(Client, F::UnknownCa),
        ),
        (
            "no-server-auth",
            Pair {
                server_cert: r#"issuer = "lab-ca", profile = "no-server-auth""#,
                ..PAIR
            },
            Expect::Fails(Client, F::WrongKeyUsage),
        ),
        (
            "intermediate-not-sent",
            Pair {
                server_cert: r#"issuer = "lab-inter", send-chain = false"#,
                ..PAIR
            },
            Expect::Fails(Client, F::UnknownCa),
        ),
        (
            "intermediate-sent",
            Pair {
                server_cert: r#"issuer = "lab-inter", send-chain = true"#,
                ..PAIR
            },
            TLS13,
        ),
        (
            // A server certificate without clientAuth is fine for a server.
            "no-client-auth-on-server",
            Pair {
                server_cert: r#"issuer = "lab-ca", profile = "no-client-auth""#,
                ..PAIR
            },
            TLS13,
        ),
        (
            "no-trusted-ca-anywhere",
            Pair {
                desk_security: r#"certificate = "desk""#,
                ..PAIR
            },
            Expect::Fails(Client, F::UnknownCa),
        ),
    ];
    check(&cases);
}

#[test]
fn mutual_tls_is_judged_by_the_server() {
    use FailureClass as F;
    use Side::Server;
    let mutual = Pair {
        port_transport: "tls=1;tls-mutual=1",
        ..PAIR
    };
    let cases = [
        (
            "mutual",
            mutual,
            Expect::Agreed {
                version: "1.3",
                mutual: true,
            },
        ),
        (
            "no-client-auth",
            Pair {
                client_cert: r#"issuer = "lab-ca", profile = "no-client-auth""#,
                ..mutual
            },
            Expect::Fails(Server, F::WrongKeyUsage),
        ),
        (
            "no-client-cert",
            Pair {
                desk_security: r#"trusted-ca = "lab-ca""#,
                ..mutual
            },
            Expect::Fails(Server, F::NoClientCert),
        ),
        (
            "no-client-cert-tls12",
            Pair {
                desk_security: r#"trusted-ca = "lab-ca""#,
                server_security: r#"sec-protocol = "TLSv12""#,
                connection_security: r#"tls-target-name-check = "host", sec-protocol = "TLSv12""#,
                ..mutual
            },
            Expect::Fails(Server, F::NoClientCert),
        ),
        (
            "expired-client-cert",
            Pair {
                client_cert: r#"issuer = "lab-ca", profile = "expired""#,
                ..mutual
            },
            Expect::Fails(Server, F::Expired),
        ),
        (
            "other-ca-client-cert",
            Pair {
                client_cert: r#"issuer = "lab-ca", profile = "other-ca""#,
                ..mutual
            },
            Expect::Fails(Server, F::UnknownCa),
        ),
        (
            // Without tls-mutual the server never asks, so a bad client certificate is moot.
            "no-client-auth-without-mutual",
            Pair {
                client_cert: r#"issuer = "lab-ca", profile = "no-client-auth""#,
                ..PAIR
            },
            TLS13,
        ),
    ];
    check(&cases);
}

#[test]
fn sec_protocol_decides_the_version() {
    use FailureClass as F;
    let cases = [
        (
            "client-12-server-13",
            Pair {
                server_security: r#"sec-protocol = "TLSv13""#,
                connection_security: r#"tls-target-name-check = "host", sec-protocol = "TLSv12""#,
                ..PAIR
            },
            Expect::Fails(Side::Server, F::ProtocolVersion),
        ),
        (
            "client-13-server-12",
            Pair {
                server_security: r#"sec-protocol = "TLSv12""#,
                connection_security: r#"tls-target-name-check = "host", sec-protocol = "TLSv13""#,
                ..PAIR
            },
            Expect::Fails(Side::Server, F::ProtocolVersion),
        ),
        (
            "both-12",
            Pair {
                server_security: r#"sec-protocol = "TLSv12""#,
                connection_security: r#"tls-target-name-check = "host", sec-protocol = "TLSv12""#,
                ..PAIR
            },
            Expect::Agreed {
                version: "1.2",
                mutual: false,
            },
        ),
        (
            // Empty sec-protocol negotiates the highest common version from TLS 1.2.
            "client-negotiates-server-12",
            Pair {
                server_security: r#"sec-protocol = "TLSv12""#,
                ..PAIR
            },
            Expect::Agreed {
                version: "1.2",
                mutual: false,
            },
        ),
        (
            "both-13",
            Pair {
                server_security: r#"sec-protocol = "TLSv13""#,
                connection_security: r#"tls-target-name-check = "host", sec-protocol = "TLSv13""#,
                ..PAIR
            },
            TLS13,
        ),
    ];
    check(&cases);
}

#[test]
fn an_rsa_server_certificate_works() {
    // One RSA case only: generating an RSA key takes a second or two in a debug build.
    check(&[(
        "rsa",
        Pair {
            server_cert: r#"issuer = "lab-ca", key-type = "rsa2048""#,
            ..PAIR
        },
        TLS13,
    )]);
}

#[test]
fn a_certificate_expires_in_virtual_time() {
    let (t, m) = Pair {
        server_cert: r#"issuer = "lab-ca", expires-at = "+45s""#,
        ..PAIR
    }
    .build("expires-mid-run");
    let link = desk_link(&t);
    let elapsed = Arc::new(AtomicU64::new(0));
    let time = {
        let elapsed = Arc::clone(&elapsed);
        VirtualTime::following(CLOCK, move || {
            Duration::from_secs(elapsed.load(Ordering::Relaxed))
        })
    };
    // Configurations built once: the time provider is read at every handshake.
    let server = server_config(
        &server_side(&link, &m).expect("certificate"),
        time.provider(),
    )
    .expect("server config builds");
    let client =
        client_config(&client_side(&link, &m), time.provider()).expect("client config builds");
    let name = ServerName::try_from(server_name(&link)).expect("valid name");
    let at = |secs: u64| {
        elapsed.store(secs, Ordering::Relaxed);
        outcome(&handshake(
            Arc::clone(&client),
            Arc::clone(&server),
            name.clone(),
        ))
    };
    assert_eq!(at(1), TLS13, "valid one second in");
    assert_eq!(at(44), TLS13, "valid one second before notAfter");
    assert_eq!(
        at(60),
        Expect::Fails(Side::Client, FailureClass::Expired),
        "expired 15 seconds after notAfter"
    );
    // And a fresh build at 60 s agrees.
    assert_eq!(
        outcome(&run(&link, &m, &time)),
        Expect::Fails(Side::Client, FailureClass::Expired)
    );
}
