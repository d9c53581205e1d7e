//! Renderers of outcomes: human text with source excerpts, versioned JSON, JUnit, and the
//! HTML and Markdown reports of a run (`html`, `md`) over one `model` read from what `--out`
//! writes. Renderers only present what checks decided; they decide nothing.

pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod md;
pub mod model;
pub mod probe;
pub mod run;
pub mod table;
pub mod timeline;

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use crate::diag::{Problem, Source};
use crate::rules::{Finding, Severity};

/// What became of one file given to `hapair check`.
#[derive(Debug)]
pub enum FileOutcome {
    /// Loaded and judged.
    Checked {
        /// The file.
        source: Arc<Source>,
        /// The topology's name.
        topology: String,
        /// Findings, in file order.
        findings: Vec<Finding>,
    },
    /// Read, but not a valid topology.
    Invalid {
        /// The file.
        source: Arc<Source>,
        /// Every problem found.
        problems: Vec<Problem>,
    },
    /// Loaded, but its certificate material could not be made or loaded (a lab PEM file that
    /// does not load, say).
    Material {
        /// The topology file.
        source: Arc<Source>,
        /// What went wrong, naming the file at fault.
        error: String,
        /// Whether the harness itself failed (exit 3) rather than the input (exit 2).
        internal: bool,
    },
    /// Not readable at all.
    Unreadable {
        /// The path as given.
        path: PathBuf,
        /// Why.
        error: String,
    },
}

impl FileOutcome {
    /// Number of findings of a severity.
    pub fn count(&self, severity: Severity) -> usize {
        match self {
            FileOutcome::Checked { findings, .. } => {
                findings.iter().filter(|f| f.severity == severity).count()
            }
            _ => 0,
        }
    }

    /// Whether the file could not be judged.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, FileOutcome::Checked { .. })
    }
}

/// Whether output should be coloured: never under `NO_COLOR`, never off a terminal.
pub fn use_colour(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// How many characters of one detail (what the trace shows, a finding's message, an error) a
/// report prints before "… (N more characters)".
pub const TEXT_BOUND: usize = 2_000;

/// `text` up to [`TEXT_BOUND`] characters, then how many more there are.
pub fn clip(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(TEXT_BOUND) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => {
            let more = text[cut..].chars().count();
            Cow::Owned(format!(
                "{}… ({} more characters)",
                &text[..cut],
                crate::check::thousands(more)
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_clipped_at_a_character_boundary() {
        assert_eq!(clip("short"), "short");
        let exact = "é".repeat(TEXT_BOUND);
        assert_eq!(clip(&exact), exact.as_str());
        let long = format!("{}{}", "é".repeat(TEXT_BOUND), "x".repeat(1_234));
        let c = clip(&long);
        assert!(c.starts_with(&"é".repeat(TEXT_BOUND)), "{c}");
        assert!(c.ends_with("é… (1,234 more characters)"), "{c}");
    }
}
