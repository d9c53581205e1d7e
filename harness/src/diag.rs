//! Source files, byte spans, and located problems.
//!
//! Every user-visible complaint about an input file (a TOML syntax error, an unknown key, a
//! dangling reference) is a [`Problem`] carrying a [`Span`] into a [`Source`]. Renderers turn
//! them into excerpts; this module only locates. Findings of the rule catalogue reuse [`Span`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

/// A loaded input file: its path as the user named it, and its text.
#[derive(Debug)]
pub struct Source {
    /// The path as given on the command line or in a referencing file; shown in messages.
    pub path: PathBuf,
    /// The whole text, kept so that spans can be turned into lines and excerpts later.
    pub text: String,
}

impl Source {
    /// Wraps a path and its text.
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Arc<Self> {
        Arc::new(Self {
            path: path.into(),
            text: text.into(),
        })
    }

    /// Reads a file from disk.
    ///
    /// # Errors
    /// The underlying I/O error when the file cannot be read or is not UTF-8.
    pub fn read(path: &Path) -> std::io::Result<Arc<Self>> {
        let text = std::fs::read_to_string(path)?;
        Ok(Self::new(path, text))
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn locate(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Location { line, column }
    }

    /// The directory that relative paths inside this file are resolved against.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A half-open byte range into a [`Source`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl From<std::ops::Range<usize>> for Span {
    fn from(r: std::ops::Range<usize>) -> Self {
        Self {
            start: r.start,
            end: r.end,
        }
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(s: Span) -> Self {
        (s.start, s.end.saturating_sub(s.start)).into()
    }
}

/// A value together with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sp<T> {
    /// The decoded value.
    pub value: T,
    /// Where the value was written in its source file.
    pub span: Span,
}

impl<T> Sp<T> {
    /// Pairs a value with its span.
    pub fn new(value: T, span: impl Into<Span>) -> Self {
        Self {
            value,
            span: span.into(),
        }
    }
}

impl<T: fmt::Display> fmt::Display for Sp<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

/// A 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

/// One thing wrong with an input file, located.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable code for the class of problem (`unknown-key`, `wrong-type`, …).
    pub code: &'static str,
    /// One sentence saying what is wrong.
    pub message: String,
    /// Where it is wrong.
    pub span: Span,
    /// What to do about it, when there is something specific to say.
    pub help: Option<String>,
}

impl Problem {
    /// A problem without help text.
    pub fn new(code: &'static str, span: impl Into<Span>, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            span: span.into(),
            help: None,
        }
    }

    /// Adds a help sentence.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Everything wrong with one file, reported at once.
#[derive(Debug, thiserror::Error)]
#[error("{} has {} problem(s)", .source_file.path.display(), .problems.len())]
pub struct Invalid {
    /// The file the problems are in.
    pub source_file: Arc<Source>,
    /// The problems, in file order.
    pub problems: Vec<Problem>,
}

/// Suggests the closest of `candidates` to `word`, for "did you mean" hints.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_counts_lines_and_characters() {
        let s = Source::new("x.toml", "a = 1\nbé = 2\n");
        assert_eq!(s.locate(0), Location { line: 1, column: 1 });
        assert_eq!(s.locate(6), Location { line: 2, column: 1 });
        // 'é' is two bytes: the '=' after "bé " is the 4th character.
        assert_eq!(s.locate(10), Location { line: 2, column: 4 });
        assert_eq!(s.locate(999).line, 3);
    }

    #[test]
    fn closest_suggests_near_names_only() {
        let names = ["certificate", "trusted-ca", "tls-mutual"];
        assert_eq!(closest("certficate", names), Some("certificate"));
        assert_eq!(closest("zzz", names), None);
    }
}
