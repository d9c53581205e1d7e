//! A failure's signature: which expectations and invariants failed, and how. Seeds with the
//! same signature are one finding; the shrinker keeps a reproduction only while its signature
//! stays the same.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::execute::Outcome;

/// One failed verdict, as a signature names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Failed {
    /// `expect`, `invariant` (liveness verdicts are invariants of the phase), or `error` (the
    /// run itself failed: panicked, stopped by the wall-clock limit).
    pub kind: String,
    /// What was checked, in the verdict's words.
    pub what: String,
    /// How it failed: the nearest miss's kind (`late`, `class`, …), or empty.
    pub class: String,
}

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.what)?;
        if !self.class.is_empty() {
            write!(f, " [{}]", self.class)?;
        }
        Ok(())
    }
}

/// The failed verdicts of a run, sorted and without repeats.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Signature(pub Vec<Failed>);

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join("; "))
    }
}

impl Signature {
    /// The signature of a run that gave no outcome (`kind = error`).
    pub fn error(what: impl Into<String>) -> Self {
        Signature(vec![Failed {
            kind: "error".into(),
            what: what.into(),
            class: String::new(),
        }])
    }
}

/// The signature of `outcome`, or `None` when every verdict held.
pub fn signature(outcome: &Outcome) -> Option<Signature> {
    let mut failed: Vec<Failed> = outcome
        .verdicts
        .iter()
        .filter(|v| !v.held)
        .map(|v| Failed {
            kind: v.kind.as_str().to_string(),
            what: v.what.clone(),
            class: v
                .miss
                .as_ref()
                .and_then(|m| serde_json::to_value(&m.differs).ok())
                .and_then(|j| j.get("by").and_then(|b| b.as_str().map(str::to_string)))
                .unwrap_or_default(),
        })
        .collect();
    failed.sort();
    failed.dedup();
    (!failed.is_empty()).then_some(Signature(failed))
}
