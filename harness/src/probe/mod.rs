//! `hapair probe`: the TLS facts of real endpoints, in the words engineers know from testssl.sh
//! and sslyze, each a [`Finding`] with a stable id and a [`Severity`].
//!
//! Along the data path: `target` parses `host:port` and resolves it (bounded, `--resolve`
//! first); `handshake` connects and runs real rustls handshakes (TLS 1.3 only, then TLS 1.2
//! only) with a verifier that accepts everything but records the chain as sent; `legacy` asks
//! with a raw ClientHello whether TLS 1.1 and 1.0 are still offered (rustls cannot speak them);
//! `cert` reads the chain's certificates; `judge` turns what was seen into findings (chain
//! order, missing intermediate, which trusted CA verifies it, names, EKU, key, signature, days
//! left); `pair` adds the HA pair checks of a topology. Rendering is `report::probe`.
//!
//! Every network operation is bounded by the probe's timeout: a refused, silent, resetting or
//! plaintext peer is a finding of its endpoint, never a hang and never an `Err`.

pub mod cert;
pub mod handshake;
pub mod judge;
pub mod legacy;
pub mod pair;
pub mod target;
pub mod version;

use std::sync::Arc;
use std::time::Duration;

use rustls::sign::CertifiedKey;
use rustls_pki_types::CertificateDer;
use serde::Serialize;
use time::OffsetDateTime;

pub use cert::CertFacts;
pub use handshake::{Attempt, Failure};
pub use target::{Resolve, Target};

/// How bad a finding is, the scale testssl.sh uses (`OK` … `CRITICAL`), ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// As it should be.
    Ok,
    /// A fact worth knowing, no judgement.
    Info,
    /// Not as recommended, no client fails for it.
    Low,
    /// Some clients fail, or will soon (60 days left, a chain out of order).
    Medium,
    /// Clients fail (untrusted, wrong name, unreachable, 30 days left).
    High,
    /// Every client fails now (expired, not yet valid).
    Critical,
}

impl Severity {
    /// Every severity, least first.
    pub const ALL: [Severity; 6] = [
        Severity::Ok,
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// Lower-case name (as in JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Whether a probe with this worst finding fails (exit 1): medium and above.
    pub fn fails(self) -> bool {
        self >= Severity::Medium
    }
}

/// One thing found about an endpoint or a pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable id, e.g. `tls13-offered`, `chain-incomplete`, `cert-expires-30d`.
    pub id: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// One sentence.
    pub message: String,
}

impl Finding {
    /// A finding.
    pub fn new(id: &'static str, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            id,
            severity,
            message: message.into(),
        }
    }
}

/// What every endpoint is probed with.
#[derive(Clone, Debug)]
pub struct Options {
    /// Bound on each network operation (resolution, connect, each handshake), and so on the
    /// whole probe of one endpoint (a few of them in a row).
    pub timeout: Duration,
    /// Trusted CAs: self-signed certificates are the anchors; the others are intermediates
    /// known to exist (to tell a missing intermediate from an unknown CA).
    pub trust: Trust,
    /// The client certificate and key offered when the server asks for one.
    pub client: Option<Arc<CertifiedKey>>,
    /// The name sent as SNI and checked against the certificate (default: the endpoint's
    /// host name, or the topology's host name).
    pub sni: Option<String>,
    /// The instant validity and days left are judged at.
    pub now: OffsetDateTime,
}

/// Certificates the chains are verified against.
#[derive(Clone, Debug, Default)]
pub struct Trust {
    /// Where they come from, in words (`--ca FILE`, the topology's certificate folder).
    pub source: String,
    /// Trust anchors (root CAs).
    pub roots: Vec<CertificateDer<'static>>,
    /// CA certificates that are not roots: intermediates a server should send.
    pub intermediates: Vec<CertificateDer<'static>>,
}

impl Trust {
    /// Splits CA certificates into roots (self-signed) and intermediates; when none is
    /// self-signed, every one is an anchor (a lab that trusts an intermediate directly).
    pub fn from_cas(source: String, cas: Vec<CertificateDer<'static>>) -> Self {
        let (roots, intermediates): (Vec<_>, Vec<_>) =
            cas.into_iter().partition(|der| cert::self_signed(der));
        if roots.is_empty() {
            return Self {
                source,
                roots: intermediates,
                intermediates: Vec::new(),
            };
        }
        Self {
            source,
            roots,
            intermediates,
        }
    }

    /// Whether there is anything to verify against.
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }
}

/// Where a topology places an endpoint: which application and port it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Placement {
    /// Application name.
    pub app: String,
    /// Port ID.
    pub port: String,
    /// The port's listening mode in the topology.
    pub mode: crate::topology::ListenMode,
    /// Whether the port is flagged HA sync.
    pub ha_sync: bool,
    /// The topology host name the application runs on (what its certificate must name).
    pub host_name: String,
    /// The level the port's certificate comes from in the topology (`port`, `application`…).
    pub cert_level: Option<crate::pki::Level>,
    /// The other application of its HA pair.
    pub partner: Option<String>,
}

/// Everything learnt about one endpoint.
#[derive(Clone, Debug, Serialize)]
pub struct EndpointReport {
    /// The endpoint as given (`host:port`).
    pub endpoint: String,
    /// The address connected to, once resolved.
    pub address: Option<String>,
    /// Where the topology places it, in `--topology` mode.
    pub placement: Option<Placement>,
    /// The names the certificate is expected to carry.
    pub expected_names: Vec<String>,
    /// What each protocol version attempt found.
    pub protocols: Vec<handshake::VersionResult>,
    /// The preferred successful (or furthest) handshake: version, cipher, client auth.
    pub negotiated: Option<handshake::Negotiated>,
    /// The chain exactly as the server sent it, leaf first.
    pub chain: Vec<CertFacts>,
    /// The trusted CA that verifies the chain (subject), when one does.
    pub trusted_by: Option<String>,
    /// Findings, in the order judged.
    pub findings: Vec<Finding>,
}

impl EndpointReport {
    /// The worst severity among its findings (ok when it has none).
    pub fn worst(&self) -> Severity {
        worst(&self.findings)
    }

    /// SHA-256 of the leaf as sent, if a chain was seen.
    pub fn leaf_sha256(&self) -> Option<&str> {
        self.chain.first().map(|c| c.sha256.as_str())
    }
}

/// The worst severity of a list of findings.
pub fn worst(findings: &[Finding]) -> Severity {
    findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Ok)
}

/// A whole probe: every endpoint, and the pair checks in topology mode.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Per endpoint, in the order given (topology mode: the application's ports, then its
    /// partner's).
    pub endpoints: Vec<EndpointReport>,
    /// The HA pair checks (empty without a topology).
    pub pair: Vec<Finding>,
    /// Where trusted CAs came from.
    pub trust: String,
}

impl Report {
    /// The worst severity of the whole probe.
    pub fn worst(&self) -> Severity {
        self.endpoints
            .iter()
            .map(EndpointReport::worst)
            .chain(std::iter::once(worst(&self.pair)))
            .max()
            .unwrap_or(Severity::Ok)
    }
}

/// Probes one target: resolve, handshakes, legacy versions, then judges what was seen.
pub fn endpoint(target: &Target, resolve: &Resolve, opts: &Options) -> EndpointReport {
    let mut report = EndpointReport {
        endpoint: target.to_string(),
        address: None,
        placement: target.placement.clone(),
        expected_names: target.expected_names(opts.sni.as_deref()),
        protocols: Vec::new(),
        negotiated: None,
        chain: Vec::new(),
        trusted_by: None,
        findings: Vec::new(),
    };
    let addr = match resolve.address(target, opts.timeout) {
        Ok(addr) => addr,
        Err(finding) => {
            report.findings.push(finding);
            return report;
        }
    };
    report.address = Some(addr.to_string());
    let seen = handshake::probe_versions(addr, target, opts);
    judge::endpoint(&mut report, &seen, opts);
    report
}

/// Probes every target, at most `parallel` at once, and in topology mode judges the pair.
pub fn run(targets: &[Target], resolve: &Resolve, opts: &Options, parallel: usize) -> Report {
    let mut endpoints: Vec<Option<EndpointReport>> = vec![None; targets.len()];
    let chunk = parallel.max(1);
    for (slots, batch) in endpoints.chunks_mut(chunk).zip(targets.chunks(chunk)) {
        std::thread::scope(|s| {
            let handles: Vec<_> = batch
                .iter()
                .map(|t| s.spawn(move || endpoint(t, resolve, opts)))
                .collect();
            for (slot, h) in slots.iter_mut().zip(handles) {
                *slot = h.join().ok();
            }
        });
    }
    let endpoints: Vec<EndpointReport> = endpoints
        .into_iter()
        .zip(targets)
        .map(|(r, t)| {
            r.unwrap_or_else(|| EndpointReport {
                endpoint: t.to_string(),
                address: None,
                placement: t.placement.clone(),
                expected_names: Vec::new(),
                protocols: Vec::new(),
                negotiated: None,
                chain: Vec::new(),
                trusted_by: None,
                findings: vec![Finding::new(
                    "probe-failed",
                    Severity::High,
                    "the probe of this endpoint stopped unexpectedly",
                )],
            })
        })
        .collect();
    let pair = if endpoints.iter().any(|e| e.placement.is_some()) {
        pair::check(&endpoints)
    } else {
        Vec::new()
    };
    Report {
        endpoints,
        pair,
        trust: opts.trust.source.clone(),
    }
}
