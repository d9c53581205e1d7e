//! Human output: miette-style excerpts for located problems and findings, one summary line.

use std::fmt::{self, Display, Write as _};
use std::sync::Arc;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};

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
    source: NamedSource<String>,
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
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let label = LabeledSpan::new_with_span(Some(self.label.clone()), self.span);
        Some(Box::new(std::iter::once(label)))
    }
}

fn named(source: &Arc<Source>) -> NamedSource<String> {
    NamedSource::new(source.path.display().to_string(), source.text.clone())
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
        self.render(
            out,
            &Located {
                code: p.code.to_string(),
                message: p.message.clone(),
                severity: miette::Severity::Error,
                help: p.help.clone(),
                label: "here".to_string(),
                span: p.span,
                source: named(source),
            },
        );
    }

    /// A rule finding.
    pub fn finding(&self, out: &mut String, source: &Arc<Source>, f: &Finding) {
        self.render(
            out,
            &Located {
                code: f.rule.to_string(),
                message: f.message.clone(),
                severity: match f.severity {
                    Severity::Error => miette::Severity::Error,
                    Severity::Warning => miette::Severity::Warning,
                },
                help: Some(format!("{} (hapair explain {})", f.fix, f.rule)),
                label: f.severity.as_str().to_string(),
                span: f.span,
                source: named(source),
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
