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
    /// Byte offsets of line starts, made at the first [`Source::locate`].
    lines: std::sync::OnceLock<Vec<usize>>,
}

impl Source {
    /// Wraps a path and its text.
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Arc<Self> {
        Arc::new(Self {
            path: path.into(),
            text: text.into(),
            lines: std::sync::OnceLock::new(),
        })
    }

    /// Reads a file from disk: UTF-8 text, a byte-order mark left out; a regular file of at
    /// most [`crate::limits::MAX_TOML_BYTES`].
    ///
    /// # Errors
    /// [`ReadError::Io`] when the file cannot be read (or is no regular file, or too large);
    /// [`ReadError::NotText`] locating the first byte that is not UTF-8.
    pub fn read(path: &Path) -> Result<Arc<Self>, ReadError> {
        let bytes = crate::limits::read_file(path, crate::limits::MAX_TOML_BYTES)?;
        Self::from_bytes(path, bytes).map_err(ReadError::NotText)
    }

    /// Takes a file's bytes as text: a byte-order mark is left out, and the first byte that is
    /// not UTF-8 is a located problem (in a copy of the text with it replaced, for excerpts).
    ///
    /// # Errors
    /// [`Invalid`] with one `not-utf8` problem at the first bad byte.
    pub fn from_bytes(path: impl Into<PathBuf>, mut bytes: Vec<u8>) -> Result<Arc<Self>, Invalid> {
        let bom = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
        bytes.drain(..bom);
        let path = path.into();
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Self::new(path, text)),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let bytes = e.into_bytes();
                let value = bytes.get(at).copied().unwrap_or_default();
                let source = Self::new(path, printable(&String::from_utf8_lossy(&bytes)));
                let Location { line, column } = source.locate(at);
                let byte = at.saturating_add(bom);
                let problem = Problem::new(
                    "not-utf8",
                    at..at.saturating_add('\u{fffd}'.len_utf8()),
                    format!(
                        "not UTF-8 text: the first bad byte (0x{value:02x}) is at line {line}, \
                         column {column} (byte {byte})"
                    ),
                )
                .help(format!(
                    "save the file as UTF-8; bytes count from 0: `xxd -s {byte} -l 16 FILE` shows it"
                ));
                Err(Invalid {
                    source_file: source,
                    problems: vec![problem],
                })
            }
        }
    }

    /// The 1-based line and column (in characters) of a byte offset.
    ///
    /// Lines are found by binary search in an index made once, so locating every problem of a
    /// large file stays linear.
    pub fn locate(&self, offset: usize) -> Location {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let lines = self.lines.get_or_init(|| {
            std::iter::once(0)
                .chain(
                    self.text
                        .match_indices('\n')
                        .map(|(i, _)| i.saturating_add(1)),
                )
                .collect()
        });
        let line = lines.partition_point(|start| *start <= offset).max(1);
        let line_start = lines.get(line.saturating_sub(1)).copied().unwrap_or(0);
        let column = self
            .text
            .get(line_start..offset)
            .map_or(0, |s| s.chars().count())
            .saturating_add(1);
        Location { line, column }
    }

    /// The directory that relative paths inside this file are resolved against.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }
}

/// `text` with control characters (but tab and line ends) replaced by characters of the same
/// length in bytes, so that an excerpt of a binary file cannot drive the terminal and the
/// spans into it still hold.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if c.is_control() && c.len_utf8() == 1 => '.',
            c if c.is_control() => '\u{b7}',
            c => c,
        })
        .collect()
}

/// The UTF-8 byte-order mark some editors write first.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Why a file could not be taken as source text.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be read.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The file is not UTF-8 text; the problem locates the first bad byte.
    #[error(transparent)]
    NotText(Invalid),
}

/// The first byte of `bytes` that a text file cannot hold: not UTF-8, or a control character
/// other than tab, line feed, form feed and carriage return (a binary file).
pub(crate) fn first_binary_byte(bytes: &[u8]) -> Option<usize> {
    let valid = std::str::from_utf8(bytes).map_or_else(|e| e.valid_up_to(), |_| bytes.len());
    bytes
        .iter()
        .take(valid)
        .position(|b| b.is_ascii_control() && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
        .or((valid < bytes.len()).then_some(valid))
}

/// The 1-based line and column (in characters) of a byte offset into bytes that may not be
/// UTF-8 (a bad sequence counts as one character).
pub(crate) fn locate_bytes(bytes: &[u8], offset: usize) -> Location {
    let before = bytes.get(..offset).unwrap_or(bytes);
    let last_line = before.rsplit(|b| *b == b'\n').next().unwrap_or_default();
    Location {
        line: before.split(|b| *b == b'\n').count(),
        column: String::from_utf8_lossy(last_line)
            .chars()
            .count()
            .saturating_add(1),
    }
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    (0..=offset)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
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
            message: crate::limits::shorten_quotes(message.into()),
            span: span.into(),
            help: None,
        }
    }

    /// Adds a help sentence.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(crate::limits::shorten_quotes(help.into()));
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

/// Most problems reported for one file: past them, one more problem says how many were left
/// out (a hostile file with 20,000 mistakes is not rendered 20,000 times).
pub(crate) const MAX_PROBLEMS: usize = 200;

/// Sorts problems in file order, drops duplicates and keeps at most [`MAX_PROBLEMS`], the
/// last of which then says how many more there were.
pub(crate) fn settle(problems: &mut Vec<Problem>) {
    problems.sort_by_key(|p| p.span);
    problems.dedup();
    if let Some(at) = problems.get(MAX_PROBLEMS).map(|p| p.span) {
        let more = problems.len().saturating_sub(MAX_PROBLEMS);
        problems.truncate(MAX_PROBLEMS);
        problems.push(
            Problem::new(
                "too-many-problems",
                at,
                format!("{more} more problem(s) from here on are not shown"),
            )
            .help("fix the ones above and check again"),
        );
    }
}

/// Most candidates [`closest`] compares a word with: a suggestion among thousands of names
/// is rarely the one meant, and comparing with all of them for every problem is quadratic.
const MAX_CANDIDATES: usize = 500;

/// Suggests the closest of `candidates` to `word`, for "did you mean" hints.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let len = word.chars().count();
    candidates
        .into_iter()
        .filter(|c| c.len().abs_diff(len) <= 2.max(c.len() / 3) && c.len() <= 256)
        .take(MAX_CANDIDATES)
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
    fn a_byte_order_mark_is_left_out_and_a_bad_byte_is_located() {
        let s = Source::from_bytes("x.toml", b"\xef\xbb\xbfa = 1\n".to_vec()).expect("text");
        assert_eq!(s.text, "a = 1\n");
        let e = Source::from_bytes(
            "x.toml",
            b"\xef\xbb\xbfa = 1\nb = \"\xc3\xa9\xff\"\n".to_vec(),
        )
        .expect_err("0xff is not UTF-8");
        let p = &e.problems[0];
        assert_eq!(p.code, "not-utf8");
        assert_eq!(
            e.source_file.locate(p.span.start),
            Location { line: 2, column: 7 }
        );
        assert!(
            p.message.contains("line 2, column 7 (byte 16)"),
            "{}",
            p.message
        );
        assert_eq!(&e.source_file.text[p.span.start..p.span.end], "\u{fffd}");
        // Control characters of a binary file do not reach the terminal; offsets hold.
        let e = Source::from_bytes("x", b"\x1b[31m\xc2\x9b\xff".to_vec()).expect_err("binary");
        assert_eq!(e.source_file.text, ".[31m\u{b7}\u{fffd}");
        assert_eq!(e.problems[0].span.start, 7);
    }

    #[test]
    fn binary_bytes_are_found_and_located() {
        assert_eq!(first_binary_byte(b"-----BEGIN X-----\r\nAA==\r\n"), None);
        assert_eq!(first_binary_byte(b"ab\ncd\x00"), Some(5));
        assert_eq!(first_binary_byte(b"ab\n\xe9t\xe9"), Some(3));
        assert_eq!(
            locate_bytes(b"ab\n\xe9t\xe9", 5),
            Location { line: 2, column: 3 }
        );
    }

    #[test]
    fn closest_suggests_near_names_only() {
        let names = ["certificate", "trusted-ca", "tls-mutual"];
        assert_eq!(closest("certficate", names), Some("certificate"));
        assert_eq!(closest("zzz", names), None);
    }
}
