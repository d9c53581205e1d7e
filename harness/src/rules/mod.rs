//! The rule catalogue (DESIGN §4): pure functions from a topology to findings.
//!
//! A finding is data (a rule broken), never an `Err`. Each family of rules lives in its own
//! file; [`catalogue`] holds the stable IDs and their explanations. Rules that judge
//! certificate *content* need the inspected PKI and run only when it is supplied.

mod addp;
pub(crate) mod catalogue;
mod cert;
mod ha;
mod icon;
mod tls;

use serde::Serialize;
use time::OffsetDateTime;

pub use catalogue::{Judged, RULES, RuleId, RuleInfo, rule};
pub(crate) use ha::sync_port_cert;

use crate::diag::Span;
use crate::topology::Topology;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Works, but against a documented recommendation.
    Warning,
    /// Documented as unsupported or failing.
    Error,
}

impl Severity {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One rule broken by a topology.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule, shown as its stable ID, e.g. `HA-SYNC-PORT-CERT`.
    pub rule: RuleId,
    /// Severity of this finding (a rule with two severities picks per finding).
    pub severity: Severity,
    /// What is wrong, naming the objects.
    pub message: String,
    /// Objects involved: `app:NAME`, `port:APP/ID`, `host:KEY`, `connection:FROM->TO`, ….
    pub objects: Vec<String>,
    /// Where in the topology file.
    pub span: Span,
    /// One sentence on how to fix it.
    pub fix: String,
}

impl Finding {
    /// A finding with the rule's catalogue severity and fix.
    pub fn new(rule: RuleId, span: Span, message: impl Into<String>) -> Self {
        let info = rule.info();
        Self {
            rule,
            severity: info.severity,
            message: message.into(),
            objects: Vec::new(),
            span,
            fix: info.fix.to_string(),
        }
    }

    /// Names an object involved.
    #[must_use]
    pub fn object(mut self, object: impl Into<String>) -> Self {
        self.objects.push(object.into());
        self
    }

    /// Overrides the severity.
    #[must_use]
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Overrides the fix with something specific.
    #[must_use]
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = fix.into();
        self
    }
}

/// What certificate rules need beyond the topology: the material endpoints would use, as
/// inspected, and the clock validity is judged at.
pub(crate) struct CertContext<'a> {
    /// The material (generated, or the lab's files).
    pub(crate) material: &'a crate::pki::Material,
    /// The same, read back as certificate facts.
    pub(crate) pki: &'a crate::pki::inspect::Inspected,
    /// The instant validity is judged at.
    pub(crate) clock: OffsetDateTime,
    /// A certificate expiring within this horizon of the clock draws a warning.
    pub(crate) horizon: time::Duration,
}

/// The default warning horizon of TLS-CERT-VALIDITY.
pub(crate) const HORIZON: time::Duration = time::Duration::days(30);

/// Runs every topology-only rule.
pub(crate) fn check(topology: &Topology) -> Vec<Finding> {
    let mut findings = Vec::new();
    ha::check(topology, &mut findings);
    tls::check(topology, &mut findings);
    addp::check(topology, &mut findings);
    icon::check(topology, &mut findings);
    sort(&mut findings);
    findings
}

/// Runs every rule, the certificate-content rules included.
pub(crate) fn check_all(topology: &Topology, certs: &CertContext<'_>) -> Vec<Finding> {
    let mut findings = check(topology);
    cert::check(topology, certs, &mut findings);
    sort(&mut findings);
    findings
}

fn sort(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| (a.span, a.rule, &a.message).cmp(&(b.span, b.rule, &b.message)));
    findings.dedup();
}

/// `app:NAME`.
fn app_obj(name: &str) -> String {
    format!("app:{name}")
}

/// `port:APP/ID`.
fn port_obj(app: &str, id: &str) -> String {
    format!("port:{app}/{id}")
}

/// Runs every rule on `topology` with `material`, the PKI the run uses (made once by the
/// caller, e.g. with [`crate::pki::paths::for_topology`]), judged at `clock`. Pure: it
/// generates nothing and reads no file.
///
/// # Errors
/// A [`crate::pki::PkiError`] when the material cannot be read back as certificate facts.
pub fn judge(
    topology: &Topology,
    material: &crate::pki::Material,
    clock: OffsetDateTime,
) -> Result<Vec<Finding>, crate::pki::PkiError> {
    let pki = crate::pki::inspect::inspect(material)?;
    Ok(check_all(
        topology,
        &CertContext {
            material,
            pki: &pki,
            clock,
            horizon: HORIZON,
        },
    ))
}
