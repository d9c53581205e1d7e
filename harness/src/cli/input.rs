//! The file `check` and `certs` take: a topology, or a scenario (told apart by its
//! `topology`, `[[step]]` or `[[expect]]`), whose topology, inline or referenced, is taken
//! with the scenario's `[pki]` overrides and clock: the certificates the scenario will run with.

use std::path::Path;

use time::OffsetDateTime;

use crate::diag::{ReadError, Source, Span};
use crate::pki::PkiError;
use crate::report::FileOutcome;
use crate::rules::Finding;
use crate::scenario::{self, Scenario};
use crate::topology::{self, Topology};

/// A loaded topology or scenario.
pub(super) enum Input {
    /// A topology file.
    Topology(Box<Topology>),
    /// A scenario file, its topology loaded with it.
    Scenario(Box<Scenario>),
}

impl Input {
    /// The topology, with a scenario's `[pki]` overrides applied.
    pub fn topology(&self) -> &Topology {
        match self {
            Input::Topology(t) => t,
            Input::Scenario(s) => &s.topology,
        }
    }

    /// The clock a scenario runs at; for a topology, its `[pki] clock`, if any.
    pub fn clock(&self) -> Option<OffsetDateTime> {
        match self {
            Input::Topology(t) => t.pki.clock,
            Input::Scenario(s) => Some(s.clock),
        }
    }

    /// The name of the default certificate folder: the topology's name, or for a scenario
    /// (whose overrides make other certificates) its file stem.
    pub fn certs_name(&self) -> String {
        match self {
            Input::Topology(t) => t.name.clone(),
            Input::Scenario(s) => s
                .source
                .path
                .file_stem()
                .map_or_else(|| s.name.clone(), |n| n.to_string_lossy().into_owned()),
        }
    }

    /// Findings as outcomes, one per file they are located in: a scenario with a topology
    /// file of its own reports both (the scenario's `[pki]` entries are in the scenario).
    pub fn outcomes(&self, findings: Vec<Finding>) -> Vec<FileOutcome> {
        let t = self.topology();
        let checked = |source, findings| FileOutcome::Checked {
            source,
            topology: t.name.clone(),
            findings,
        };
        match self {
            Input::Topology(t) => vec![checked(t.source.clone(), findings)],
            Input::Scenario(s) if s.topology_path.is_none() => {
                vec![checked(s.source.clone(), findings)]
            }
            Input::Scenario(s) => {
                let (own, theirs): (Vec<Finding>, Vec<Finding>) = findings
                    .into_iter()
                    .partition(|f| std::sync::Arc::ptr_eq(s.source_of(f.span), &s.source));
                vec![
                    checked(s.topology.source.clone(), theirs),
                    checked(s.source.clone(), own),
                ]
            }
        }
    }

    /// Where in the user's files the `[pki]` entry behind a material error is written: the
    /// CA or certificate it names, or the one whose PEM file it names.
    pub fn locate(&self, e: &PkiError) -> Option<(std::sync::Arc<Source>, Span)> {
        let pki = &self.topology().pki;
        let by_name = |name: &str| {
            pki.cas
                .iter()
                .map(|c| (c.name.as_str(), c.span))
                .chain(pki.certs.iter().map(|c| (c.name.as_str(), c.span)))
                .find(|(n, _)| *n == name)
                .map(|(_, s)| s)
        };
        let by_path = |path: &Path| {
            pki.cas
                .iter()
                .map(|c| (c.pem.as_ref(), c.span))
                .chain(pki.certs.iter().map(|c| (c.pem.as_ref(), c.span)))
                .find(|(pem, _)| {
                    pem.is_some_and(|p| p.cert == path || p.key.as_deref() == Some(path))
                })
                .map(|(_, s)| s)
        };
        let span = match e {
            PkiError::Unreadable { path, .. }
            | PkiError::MalformedPem { path, .. }
            | PkiError::NotText { path, .. }
            | PkiError::NoCertificate { path }
            | PkiError::BadCertificate { path, .. }
            | PkiError::NotCa { path }
            | PkiError::NoKey { path, .. }
            | PkiError::BadKey { path, .. }
            | PkiError::ChainOrder { path, .. } => by_path(path),
            PkiError::KeyMismatch { cert, .. } => by_path(cert),
            PkiError::NotIssuedBy { name, .. }
            | PkiError::Subject { name, .. }
            | PkiError::Host { name, .. }
            | PkiError::NoName { name }
            | PkiError::Validity { name, .. }
            | PkiError::UnknownIssuer { name, .. }
            | PkiError::NoIssuer { name }
            | PkiError::IssuerCycle { name }
            | PkiError::IssuerWithoutKey { name, .. }
            | PkiError::DuplicateName { name }
            | PkiError::BadFileName { name } => by_name(name),
            _ => None,
        }?;
        let source = match self {
            Input::Topology(t) => t.source.clone(),
            Input::Scenario(s) => s.source_of(span).clone(),
        };
        Some((source, span))
    }

    /// A material error as a located problem of the file that declares the entry, when it is
    /// the user's (bad input) and can be located.
    pub fn material_problem(&self, e: &PkiError) -> Option<FileOutcome> {
        if !e.is_bad_input() {
            return None;
        }
        let (source, span) = self.locate(e)?;
        Some(FileOutcome::Invalid {
            source,
            problems: vec![crate::diag::Problem::new(
                "bad-certificate",
                span,
                e.to_string(),
            )],
        })
    }

    /// The file to blame for certificate material that cannot be made.
    pub fn source(&self) -> std::sync::Arc<Source> {
        match self {
            Input::Topology(t) => t.source.clone(),
            Input::Scenario(s) => s.source.clone(),
        }
    }
}

/// Loads a topology or scenario file; what is wrong with it as the outcome to report.
pub(super) fn load(path: &Path) -> Result<Input, FileOutcome> {
    let unreadable = |error: String| FileOutcome::Unreadable {
        path: path.to_path_buf(),
        error,
    };
    let invalid = |i: crate::diag::Invalid| FileOutcome::Invalid {
        source: i.source_file,
        problems: i.problems,
    };
    let source = match Source::read(path) {
        Ok(s) => s,
        Err(ReadError::NotText(i)) => return Err(invalid(i)),
        Err(ReadError::Io(e)) => {
            return Err(unreadable(format!("cannot read {}: {e}", path.display())));
        }
    };
    if !scenario::is_scenario(&source.text) {
        return topology::parse(source)
            .map(|t| Input::Topology(Box::new(t)))
            .map_err(invalid);
    }
    match scenario::load(path) {
        Ok(s) => Ok(Input::Scenario(Box::new(s))),
        Err(scenario::LoadError::Invalid(i)) => Err(invalid(i)),
        Err(scenario::LoadError::Topology {
            source: topology::LoadError::Invalid(i),
            ..
        }) => Err(invalid(i)),
        Err(e) => Err(unreadable(e.to_string())),
    }
}
