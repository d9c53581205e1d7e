//! Versioned JSON output. The schemas are documented in `docs/json.md`; a change that breaks a
//! consumer bumps the version in the `schema` field.

use serde::Serialize;

use super::FileOutcome;
use crate::diag::{Location, Source};
use crate::rules::{RuleInfo, Severity};

/// Schema identifier of `hapair check --format json`.
pub const CHECK_SCHEMA: &str = "hapair.check/1";
/// Schema identifier of `hapair rules --format json`.
pub const RULES_SCHEMA: &str = "hapair.rules/1";

/// Where a span lies in its file, as every JSON document gives it.
#[derive(Serialize)]
pub(super) struct Where {
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    offset: usize,
    length: usize,
}

/// The [`Where`] of a span.
pub(super) fn locate(source: &Source, span: crate::diag::Span) -> Where {
    let Location { line, column } = source.locate(span.start);
    let end = source.locate(span.end);
    Where {
        line,
        column,
        end_line: end.line,
        end_column: end.column,
        offset: span.start,
        length: span.end.saturating_sub(span.start),
    }
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: Severity,
    message: &'a str,
    objects: &'a [String],
    location: Where,
    fix: &'a str,
}

#[derive(Serialize)]
struct JsonProblem<'a> {
    code: &'a str,
    message: &'a str,
    help: Option<&'a str>,
    location: Option<Where>,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: String,
    /// `checked`, `invalid` or `unreadable`.
    status: &'static str,
    topology: Option<&'a str>,
    errors: usize,
    warnings: usize,
    findings: Vec<JsonFinding<'a>>,
    problems: Vec<JsonProblem<'a>>,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    errors: usize,
    warnings: usize,
    invalid: usize,
}

#[derive(Serialize)]
struct CheckDoc<'a> {
    schema: &'static str,
    version: &'static str,
    files: Vec<JsonFile<'a>>,
    summary: Summary,
}

fn file(o: &FileOutcome) -> JsonFile<'_> {
    let mut f = JsonFile {
        path: String::new(),
        status: "checked",
        topology: None,
        errors: o.count(Severity::Error),
        warnings: o.count(Severity::Warning),
        findings: Vec::new(),
        problems: Vec::new(),
    };
    match o {
        FileOutcome::Checked {
            source,
            topology,
            findings,
        } => {
            f.path = source.path.display().to_string();
            f.topology = Some(topology);
            f.findings = findings
                .iter()
                .map(|x| JsonFinding {
                    rule: x.rule.as_str(),
                    severity: x.severity,
                    message: &x.message,
                    objects: &x.objects,
                    location: locate(source, x.span),
                    fix: &x.fix,
                })
                .collect();
        }
        FileOutcome::Invalid { source, problems } => {
            f.path = source.path.display().to_string();
            f.status = "invalid";
            f.problems = problems
                .iter()
                .map(|p| JsonProblem {
                    code: p.code,
                    message: &p.message,
                    help: p.help.as_deref(),
                    location: Some(locate(source, p.span)),
                })
                .collect();
        }
        FileOutcome::Material { source, error, .. } => {
            f.path = source.path.display().to_string();
            f.status = "invalid";
            f.problems.push(JsonProblem {
                code: "pem",
                message: error,
                help: None,
                location: None,
            });
        }
        FileOutcome::Unreadable { path, error } => {
            f.path = path.display().to_string();
            f.status = "unreadable";
            f.problems.push(JsonProblem {
                code: "unreadable",
                message: error,
                help: None,
                location: None,
            });
        }
    }
    f
}

/// The JSON document of `hapair check --format json`.
pub fn check(outcomes: &[FileOutcome]) -> String {
    let files: Vec<JsonFile<'_>> = outcomes.iter().map(file).collect();
    let summary = Summary {
        files: files.len(),
        errors: files.iter().map(|f| f.errors).sum(),
        warnings: files.iter().map(|f| f.warnings).sum(),
        invalid: outcomes.iter().filter(|o| o.is_bad_input()).count(),
    };
    to_string(&CheckDoc {
        schema: CHECK_SCHEMA,
        version: env!("CARGO_PKG_VERSION"),
        files,
        summary,
    })
}

#[derive(Serialize)]
struct RulesDoc<'a> {
    schema: &'static str,
    rules: &'a [RuleInfo],
}

/// The JSON document of `hapair rules --format json`.
pub fn rules(rules: &[RuleInfo]) -> String {
    to_string(&RulesDoc {
        schema: RULES_SCHEMA,
        rules,
    })
}

/// Serialises a document; our documents hold only strings, numbers and plain structs.
pub fn to_string<T: Serialize>(doc: &T) -> String {
    serde_json::to_string_pretty(doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
