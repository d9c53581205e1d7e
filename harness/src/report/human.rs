//! Human output: miette-style excerpts for located problems and findings, one summary line.

use std::fmt::{self, Display, Write as _};
use std::sync::Arc;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan};

use super::FileOutcome;
use crate::diag::{Problem, Source, Span};
use crate::rules::{Finding, Severity};

/// One located message in miette's terms.
#[derive(Debug)]
struct Located {
    code: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    label: String,
    span: Span,
    /// The lines around the span, or none when they are too long to show (a 5 MB value).
    source: Option<Excerpt>,
}

impl Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Located {}

impl Diagnostic for Located {
    fn code<'a>(&'a self) -> Option<Box<dyn Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let label = LabeledSpan::new_with_span(Some(self.label.clone()), self.span);
        Some(Box::new(std::iter::once(label)))
    }
}

/// Longest excerpt shown under a diagnostic; past it the message carries the location alone.
const EXCERPT_BYTES: usize = 4_096;

/// The few lines around a span, standing in for the whole file: miette reads only these, so
/// a diagnostic costs the size of its lines, not of the file (2,500 findings in a 5,000-app
/// topology), and a huge line is never echoed.
#[derive(Debug)]
struct Excerpt {
    name: String,
    text: String,
    /// Byte offset of `text` in the file.
    offset: usize,
    /// 0-based line of `text`'s first line in the file.
    first_line: usize,
}

impl Excerpt {
    /// The span's lines and two on each side, or `None` when they exceed [`EXCERPT_BYTES`].
    fn around(source: &Source, span: Span) -> Option<Self> {
        let text = &source.text;
        let start = span.start.min(text.len());
        let end = span.end.clamp(start, text.len());
        if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            return None;
        }
        let line_start = |i: usize| text[..i].rfind('\n').map_or(0, |j| j.saturating_add(1));
        let line_end = |i: usize| {
            text[i..]
                .find('\n')
                .map_or(text.len(), |j| i.saturating_add(j).saturating_add(1))
        };
        let mut from = line_start(start);
        for _ in 0..2 {
            if from == 0 {
                break;
            }
            from = line_start(from.saturating_sub(1));
        }
        let mut to = line_end(end);
        for _ in 0..2 {
            if to >= text.len() {
                break;
            }
            to = line_end(to);
        }
        if to.saturating_sub(from) > EXCERPT_BYTES {
            return None;
        }
        Some(Self {
            name: source.path.display().to_string(),
            text: text[from..to].to_string(),
            offset: from,
            first_line: source.locate(from).line.saturating_sub(1),
        })
    }
}

impl miette::SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let local =
            miette::SourceSpan::new(span.offset().saturating_sub(self.offset).into(), span.len());
        let inner = self.text.read_span(&local, before, after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            miette::SourceSpan::new(
                inner.span().offset().saturating_add(self.offset).into(),
                inner.span().len(),
            ),
            inner.line().saturating_add(self.first_line),
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// The message, with `file:line:col` when no excerpt can show where.
fn placed(message: &str, source: &Source, span: Span, excerpt: &Option<Excerpt>) -> String {
    if excerpt.is_some() {
        return message.to_string();
    }
    let at = source.locate(span.start);
    format!(
        "{}:{}:{}: {message}",
        source.path.display(),
        at.line,
        at.column
    )
}

/// Renders located diagnostics.
pub struct Renderer {
    handler: GraphicalReportHandler,
}

impl Renderer {
    /// A renderer with or without colour.
    pub fn new(colour: bool) -> Self {
        let theme = if colour {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        Self {
            handler: GraphicalReportHandler::new_themed(theme).with_width(100),
        }
    }

    fn render(&self, out: &mut String, d: &Located) {
        if self.handler.render_report(out, d).is_err() {
            // Rendering into a String only fails on a formatter bug; keep the message.
            let _ = writeln!(out, "{}: {}", d.code, d.message);
        }
    }

    /// A problem that makes a file invalid.
    pub fn problem(&self, out: &mut String, source: &Arc<Source>, p: &Problem) {
        let excerpt = Excerpt::around(source, p.span);
        self.render(
            out,
            &Located {
                code: p.code.to_string(),
                message: placed(&p.message, source, p.span, &excerpt),
                severity: miette::Severity::Error,
                help: p.help.clone(),
                label: "here".to_string(),
                span: p.span,
                source: excerpt,
            },
        );
    }

    /// A rule finding.
    pub fn finding(&self, out: &mut String, source: &Arc<Source>, f: &Finding) {
        let excerpt = Excerpt::around(source, f.span);
        self.render(
            out,
            &Located {
                code: f.rule.to_string(),
                message: placed(&f.message, source, f.span, &excerpt),
                severity: match f.severity {
                    Severity::Error => miette::Severity::Error,
                    Severity::Warning => miette::Severity::Warning,
                },
                help: Some(format!("{} (hapair explain {})", f.fix, f.rule)),
                label: f.severity.as_str().to_string(),
                span: f.span,
                source: excerpt,
            },
        );
    }
}

/// The whole human report of `hapair check`.
pub fn check(outcomes: &[FileOutcome], colour: bool) -> String {
    let r = Renderer::new(colour);
    let mut out = String::new();
    for o in outcomes {
        match o {
            FileOutcome::Checked {
                source, findings, ..
            } => {
                for f in findings {
                    r.finding(&mut out, source, f);
                }
                let (e, w) = (o.count(Severity::Error), o.count(Severity::Warning));
                let verdict = if e > 0 { "FAIL" } else { "ok" };
                let _ = writeln!(
                    out,
                    "{verdict}  {}: {e} error(s), {w} warning(s)",
                    source.path.display()
                );
            }
            FileOutcome::Invalid { source, problems } => {
                for p in problems {
                    r.problem(&mut out, source, p);
                }
                let _ = writeln!(
                    out,
                    "invalid  {}: {} problem(s)",
                    source.path.display(),
                    problems.len()
                );
            }
            FileOutcome::Material { source, error, .. } => {
                let _ = writeln!(
                    out,
                    "invalid  {}: certificates: {error}",
                    source.path.display()
                );
            }
            FileOutcome::Unreadable { path, error } => {
                let _ = writeln!(out, "unreadable  {}: {error}", path.display());
            }
        }
    }
    out
}
