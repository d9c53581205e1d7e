//! What `check` and `certs show` say and what `run` does agree. For every shipped topology
//! (reference and `bad/`, each run for a short plan with no steps) and every shipped scenario
//! (run on its own seed), the effective TLS table (the links `certs show` prints and `run --out`
//! writes as `tls-table.json`) is held against the handshakes in the trace, link by link:
//!
//! - the first session on a link runs under TLS exactly when the table says so;
//! - under TLS, its version is the highest both sides' `sec-protocol` allow, and the
//!   certificate the dialler saw is the one the table says the listener presents;
//! - a link the table says is refused never gets a session, and `check` flags it;
//! - a link the table says works, whose attempts all failed with a refusal (a handshake or
//!   start-TLS failure, not a peer that is down), is a rehearsed failure only when `check`
//!   reports an error finding on it (the link, its port, one of its two applications, or a
//!   certificate or CA of its chains).
//!
//! The table is a claim at its clock: a link is judged on what happened before the first step
//! that changes its facts (a re-issued certificate, edited trust, a skewed host clock) and
//! before a certificate or CA of its chains crosses a validity bound.

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use hapair::pki::endpoint::{self, Link, LinkKind};
use hapair::rules::{Finding, Severity};
use hapair::topology::{self, Topology};
use hapair::trace::{DialError, Kind, Trace};
use time::OffsetDateTime;

/// The clock of a bare topology without a `[pki]` clock (as the rule table uses).
const CLOCK: OffsetDateTime = time::macros::datetime!(2026-06-01 08:00 UTC);
/// How long a bare topology runs.
const BARE_RUN: Duration = Duration::from_secs(20);
/// The seed of a bare topology's run.
const BARE_SEED: u64 = 1;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.toml` directly in `dir`, sorted.
fn tomls(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// What the table claims for one link.
#[derive(Debug)]
struct Claim {
    /// `FROM->TO/PORT`.
    id: String,
    from: String,
    to: String,
    port: String,
    /// The target the connection names (the primary, for a link that follows to the backup).
    named_to: String,
    kind: LinkKind,
    /// The session runs under TLS.
    tls: bool,
    /// The port refuses every session (read from the table's JSON: `refused`).
    refused: Option<String>,
    /// Versions both sides allow, newest first.
    versions: Vec<&'static str>,
    /// Subject of the certificate the listener presents, when the table names one.
    subject: Option<String>,
    /// Certificates and CAs of the link's chains (the listener's, the dialler's), as finding
    /// objects (`cert:NAME`, `ca:NAME`).
    chain: Vec<String>,
    /// Virtual milliseconds after which the claim no longer holds: a certificate or CA of its
    /// chains expires or becomes valid, or a step changes certificates, trust or clocks.
    until_ms: u64,
}

impl Claim {
    fn describe(&self) -> String {
        match (&self.refused, self.tls) {
            (Some(r), _) => format!("refused ({r})"),
            (None, false) => "plain text".into(),
            (None, true) => format!(
                "TLS {}, listener presents {}",
                self.versions
                    .first()
                    .copied()
                    .unwrap_or("(no common version)"),
                self.subject.as_deref().unwrap_or("(no certificate)")
            ),
        }
    }
}

/// The certificates and CAs a chain from certificate `name` runs through, as finding objects,
/// with the validity bounds of each.
fn chain_of(
    t: &Topology,
    name: &str,
    inspected: &hapair::pki::inspect::Inspected,
) -> Vec<(String, [OffsetDateTime; 2])> {
    let bounds = |c: &hapair::pki::inspect::CertInfo| [c.not_before, c.not_after];
    let mut out: Vec<_> = inspected
        .certs
        .get(name)
        .map(|c| (format!("cert:{name}"), bounds(c)))
        .into_iter()
        .collect();
    let mut next = t.pki.cert(name).and_then(|c| c.issuer.clone());
    while let Some(ca) = next {
        let object = format!("ca:{ca}");
        if out.iter().any(|(o, _)| *o == object) {
            break;
        }
        if let Some(info) = inspected.cas.get(&ca) {
            out.push((object, bounds(info)));
        }
        next = t.pki.ca(&ca).and_then(|c| c.issuer.clone());
    }
    out
}

/// The effective TLS table's links for `t` at `clock`, with the listener's certificate
/// subjects read from `material`; `changes_at_ms` is the first step that changes the table's
/// facts, if any.
fn claims(
    t: &Topology,
    material: &hapair::pki::Material,
    clock: OffsetDateTime,
    changes_at_ms: Option<u64>,
) -> Vec<Claim> {
    let inspected = hapair::pki::inspect::inspect(material).expect("the material reads back");
    endpoint::links(t)
        .iter()
        .map(|l: &Link| {
            let json = serde_json::to_value(l).expect("a link serialises");
            let refused = json
                .get("refused")
                .and_then(|r| r.as_str())
                .map(str::to_string);
            let server = l.server.protocol().versions();
            let versions = l
                .client
                .protocol()
                .versions()
                .iter()
                .copied()
                .filter(|v| server.contains(v))
                .collect();
            let named_to = t
                .connections
                .iter()
                .find(|c| l.kind != LinkKind::HaLink && c.span == l.span)
                .map_or_else(|| l.to.clone(), |c| c.to.value.clone());
            let chain: Vec<_> = [&l.server.certificate, &l.client.certificate]
                .into_iter()
                .flatten()
                .flat_map(|c| chain_of(t, &c.value, &inspected))
                .collect();
            let until_ms = chain
                .iter()
                .flat_map(|(_, b)| b)
                .filter(|b| **b > clock)
                .map(|b| u64::try_from((*b - clock).whole_milliseconds()).unwrap_or(u64::MAX))
                .chain(changes_at_ms)
                .min()
                .unwrap_or(u64::MAX);
            Claim {
                id: l.id.clone(),
                from: l.from.clone(),
                to: l.to.clone(),
                port: l.port.clone(),
                named_to,
                kind: l.kind,
                tls: l.tls,
                refused,
                versions,
                subject: l
                    .server
                    .certificate
                    .as_ref()
                    .and_then(|c| inspected.certs.get(&c.value))
                    .map(|c| c.subject.clone()),
                chain: chain.iter().map(|(o, _)| o.clone()).collect(),
                until_ms,
            }
        })
        .collect()
}

/// Error findings on a link: naming the link, its port, one of its applications, or a
/// certificate it uses.
fn errors_on<'a>(findings: &'a [Finding], c: &Claim) -> Vec<&'a Finding> {
    let mut names = vec![
        format!("connection:{}->{}", c.from, c.to),
        format!("connection:{}->{}", c.from, c.named_to),
        format!("ha-link:{}->{}", c.from, c.to),
        format!("port:{}/{}", c.to, c.port),
        format!("app:{}", c.from),
        format!("app:{}", c.to),
    ];
    names.extend(c.chain.iter().cloned());
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error && f.objects.iter().any(|o| names.contains(o)))
        .collect()
}

/// A TLS handshake as the dialler saw it: version, and the peer certificate's subject.
type Handshake = (String, Option<String>);

/// What the trace shows for one link, seen from the dialler.
#[derive(Debug, Default)]
struct Seen {
    attempts: usize,
    /// The first session: at, TLS, and the handshake just before it (version, peer subject).
    first: Option<(u64, bool, Option<Handshake>)>,
    /// Refusals: a handshake or start-TLS failure, as `at class detail`.
    refusals: Vec<String>,
}

/// Events on the dialler's node about this link count only while one of its own dials is
/// under way: the same node also accepts sessions (a server is dialled by its partner on the
/// same port ID), and those are the other link's.
fn seen(trace: &Trace, c: &Claim) -> Seen {
    let mut s = Seen::default();
    let mut handshake = None;
    let mut dialling = false;
    for e in trace.of(&c.from).take_while(|e| e.at_ms < c.until_ms) {
        match &e.kind {
            Kind::ConnectAttempt { to, port, .. } if *to == c.to && *port == c.port => {
                s.attempts += 1;
                handshake = None;
                dialling = true;
            }
            _ if !dialling => {}
            Kind::HandshakeOk {
                peer,
                port,
                version,
                peer_subject,
                ..
            } if *peer == c.to && *port == c.port => {
                handshake = Some((version.clone(), peer_subject.clone()));
            }
            Kind::HandshakeFailed {
                peer,
                port,
                class,
                detail,
            } if *peer == c.to && *port == c.port => {
                s.refusals
                    .push(format!("{} ms {class:?}: {detail}", e.at_ms));
                dialling = false;
            }
            Kind::ConnectFailed { to, port, reason } if *to == c.to && *port == c.port => {
                if *reason == DialError::StartTlsRefused.into() {
                    s.refusals.push(format!("{} ms {reason}", e.at_ms));
                }
                dialling = false;
            }
            Kind::Connected {
                peer, port, tls, ..
            } if *peer == c.to && *port == c.port => {
                if s.first.is_none() {
                    s.first = Some((e.at_ms, *tls, handshake.take()));
                }
                dialling = false;
            }
            _ => {}
        }
    }
    s
}

/// What a comparison found.
#[derive(Debug, Default)]
struct Judged {
    /// Every disagreement, in words.
    found: Vec<String>,
    /// How many links had a session to judge.
    sessions: usize,
}

impl Judged {
    fn failed(what: String) -> Self {
        Self {
            found: vec![what],
            sessions: 0,
        }
    }
}

/// Every disagreement between the table (and `check`) and the trace, in words.
fn disagreements(what: &str, claims: &[Claim], findings: &[Finding], trace: &Trace) -> Judged {
    let mut out = Vec::new();
    let mut sessions = 0;
    let mut say = |c: &Claim, evidence: String| {
        out.push(format!(
            "{what}: link {} ({:?}): the table claims {}; {evidence}",
            c.id,
            c.kind,
            c.describe()
        ));
    };
    for c in claims {
        let s = seen(trace, c);
        sessions += usize::from(s.first.is_some());
        let errors = errors_on(findings, c);
        if c.refused.is_some() && errors.is_empty() {
            say(c, "but `check` reports no error on it".into());
        }
        if s.attempts == 0 {
            continue;
        }
        match &s.first {
            Some((at, _, _)) if c.refused.is_some() => {
                say(c, format!("but a session came up at {at} ms"));
            }
            Some((at, tls, _)) if *tls != c.tls => say(
                c,
                format!(
                    "but the first session (at {at} ms) runs {}",
                    if *tls { "under TLS" } else { "in plain text" }
                ),
            ),
            Some((at, true, None)) => {
                say(
                    c,
                    format!("but the TLS session at {at} ms had no handshake"),
                );
            }
            Some((at, true, Some((version, subject)))) => {
                if c.versions.first() != Some(&version.as_str()) {
                    say(
                        c,
                        format!("but the session at {at} ms agreed TLS {version}"),
                    );
                }
                if c.subject.is_some() && *subject != c.subject {
                    say(
                        c,
                        format!(
                            "but the session at {at} ms saw the certificate {}",
                            subject.as_deref().unwrap_or("(none)")
                        ),
                    );
                }
            }
            Some(_) => {}
            None if c.refused.is_none() && !s.refusals.is_empty() && errors.is_empty() => say(
                c,
                format!(
                    "but all {} attempt(s) failed and `check` reports no error on it: {}",
                    s.attempts,
                    s.refusals.join("; ")
                ),
            ),
            None => {}
        }
    }
    Judged {
        found: out,
        sessions,
    }
}

/// Runs a bare topology for a short plan with no steps, and compares.
fn bare(path: &Path) -> Judged {
    let what = path
        .strip_prefix(repo())
        .unwrap_or(path)
        .display()
        .to_string();
    let t = match topology::load(path) {
        Ok(t) => t,
        Err(e) => return Judged::failed(format!("{what}: does not load: {e:?}")),
    };
    let clock = t.pki.clock.unwrap_or(CLOCK);
    let material = match hapair::pki::paths::for_topology(&t, clock) {
        Ok(m) => m,
        Err(e) => return Judged::failed(format!("{what}: no material: {e}")),
    };
    let findings = hapair::rules::judge(&t, &material, clock).expect("the rules judge it");
    let claims = claims(&t, &material, clock, None);
    let plan = hapair::sim::Plan::new(Rc::new(t), material, clock, BARE_SEED, BARE_RUN);
    match hapair::sim::run(plan) {
        Ok(trace) => disagreements(&what, &claims, &findings, &trace),
        Err(e) => Judged::failed(format!("{what}: does not run: {e}")),
    }
}

/// Runs a scenario on its own seed, and compares.
fn scenario(path: &Path) -> Judged {
    let what = path
        .strip_prefix(repo())
        .unwrap_or(path)
        .display()
        .to_string();
    let s = match hapair::scenario::load(path) {
        Ok(s) => s,
        Err(e) => return Judged::failed(format!("{what}: does not load: {e}")),
    };
    let material = match hapair::pki::paths::for_topology(&s.topology, s.clock) {
        Ok(m) => m,
        Err(e) => return Judged::failed(format!("{what}: no material: {e}")),
    };
    let findings =
        hapair::rules::judge(&s.topology, &material, s.clock).expect("the rules judge it");
    use hapair::fault::Fault::{Rotate, Skew, Trust};
    let changes_at_ms = s
        .steps
        .iter()
        .filter(|st| matches!(st.fault, Rotate { .. } | Trust { .. } | Skew { .. }))
        .map(|st| u64::try_from(st.at.as_millis()).unwrap_or(u64::MAX))
        .min();
    let claims = claims(&s.topology, &material, s.clock, changes_at_ms);
    match hapair::execute::execute(&s, s.seed) {
        Ok(outcome) => disagreements(&what, &claims, &findings, &outcome.trace),
        Err(e) => Judged::failed(format!("{what}: does not run: {e}")),
    }
}

#[test]
fn every_shipped_topology_and_scenario_agrees_with_its_tls_table() {
    let topologies = repo().join("scenarios/topologies");
    let bare_files: Vec<PathBuf> = tomls(&topologies)
        .into_iter()
        .chain(tomls(&topologies.join("bad")))
        .collect();
    let scenario_files = tomls(&repo().join("scenarios"));
    assert!(bare_files.len() > 40, "the topologies are found");
    assert!(scenario_files.len() > 20, "the scenarios are found");
    let judged: Vec<Judged> = bare_files
        .iter()
        .map(|p| bare(p))
        .chain(scenario_files.iter().map(|p| scenario(p)))
        .collect();
    let sessions: usize = judged.iter().map(|j| j.sessions).sum();
    assert!(
        sessions > 100,
        "only {sessions} links had a session to judge"
    );
    let found: Vec<&String> = judged.iter().flat_map(|j| &j.found).collect();
    assert!(
        found.is_empty(),
        "{} disagreement(s) between the TLS table and the run:\n{}",
        found.len(),
        found
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The field case of the issue: `tls=1` on a connection to an upgrade-mode port. Every attempt
/// is refused at run time, so the table must say so and `check` must flag it.
#[test]
fn tls_at_once_on_an_upgrade_port_is_refused_in_the_table_and_flagged_by_check() {
    let reference = std::fs::read_to_string(repo().join("scenarios/topologies/cs-pair.toml"))
        .expect("cs-pair.toml reads");
    let text = reference.replace(
        "port = \"default\"\naddp",
        "port = \"default\"\ntransport = \"tls=1\"\naddp",
    );
    assert_ne!(text, reference, "the connection got its transport");
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("cs-pair-tls1.toml");
    std::fs::write(&path, text).expect("the topology writes");

    let judged = bare(&path);
    assert!(judged.found.is_empty(), "{}", judged.found.join("\n"));

    let t = topology::load(&path).expect("loads");
    let material = hapair::pki::paths::for_topology(&t, CLOCK).expect("material");
    let gax: Vec<Claim> = claims(&t, &material, CLOCK, None)
        .into_iter()
        .filter(|c| c.from == "gax")
        .collect();
    assert_eq!(
        gax.len(),
        2,
        "to the primary and, after a switchover, the backup"
    );
    for c in &gax {
        assert!(!c.tls, "{}: not claimed as TLS", c.id);
        assert_eq!(
            c.refused.as_deref(),
            Some("tls-on-upgrade-port"),
            "{}",
            c.id
        );
    }
}

/// The comparison is not vacuous: a table that claims the wrong thing about a link that works
/// is reported, with the trace's evidence.
#[test]
fn a_wrong_claim_is_reported_with_the_trace_evidence() {
    let path = repo().join("scenarios/topologies/tserver-pair.toml");
    let t = topology::load(&path).expect("loads");
    let material = hapair::pki::paths::for_topology(&t, CLOCK).expect("material");
    let mut wrong = claims(&t, &material, CLOCK, None);
    let plan = hapair::sim::Plan::new(Rc::new(t), material, CLOCK, BARE_SEED, BARE_RUN);
    let trace = hapair::sim::run(plan).expect("runs");
    let right = disagreements("t", &wrong, &[], &trace);
    assert!(right.found.is_empty(), "{right:?}");
    assert!(right.sessions >= 3, "{right:?}");

    let tls = wrong.iter().position(|c| c.tls).expect("a TLS link");
    wrong[tls].subject = Some("CN=someone.else".into());
    wrong[tls].versions.retain(|v| *v == "1.2");
    let found = disagreements("t", &wrong, &[], &trace).found;
    assert!(
        found.iter().any(|d| d.contains("saw the certificate")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|d| d.contains("agreed TLS 1.3")),
        "{found:?}"
    );

    wrong[tls].tls = false;
    let found = disagreements("t", &wrong, &[], &trace).found;
    assert!(
        found.iter().any(|d| d.contains("runs under TLS")),
        "{found:?}"
    );
}
