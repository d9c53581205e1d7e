//! The file `check` and `certs` take: a topology, or a scenario (told apart by its
//! `topology`, `[[step]]` or `[[expect]]`), whose topology, inline or referenced, is taken
//! with the scenario's `[pki]` overrides and clock: the certificates the scenario will run with.

use std::path::Path;

use time::OffsetDateTime;

use crate::diag::{ReadError, Source};
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
