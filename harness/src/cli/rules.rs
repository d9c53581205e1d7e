//! `hapair rules` and `hapair explain ID` (a rule, `options`, or an option: `cli/options.rs`).

use std::fmt::Write as _;

use super::{Format, Outcome, out};
use crate::report;
use crate::rules::{RULES, RuleId, RuleInfo, Severity, rule};

/// Lists the catalogue.
pub(super) fn list(format: Format) -> Outcome {
    let text = match format {
        Format::Json => format!("{}\n", report::json::rules(RULES)),
        Format::Human => RULES
            .iter()
            .map(|r| format!("{:<24} {:<15} {}\n", r.id, severity(r), r.title))
            .collect(),
    };
    out::print_then(&text, Outcome::Held)
}

/// `text` with its first letter upper case (the catalogue's fields start lower case).
fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

fn severity(r: &RuleInfo) -> &'static str {
    match (r.severity, r.mixed) {
        (Severity::Error, true) => "error/warning",
        (s, _) => s.as_str(),
    }
}

/// Prints one rule in full, or the options hapair honours (`options`), or one option.
pub(super) fn explain(id: &str) -> Outcome {
    if id.trim() == "options" {
        return out::print_then(&super::options::table(), Outcome::Held);
    }
    let Some(r) = rule(id) else {
        let specs = super::options::lookup(id);
        if !specs.is_empty() {
            let text: Vec<String> = specs.into_iter().map(super::options::explain).collect();
            return out::print_then(&text.join("\n"), Outcome::Held);
        }
        let rules: Vec<&str> = RuleId::ALL.iter().map(|r| r.as_str()).collect();
        let hint = crate::diag::closest(&id.to_ascii_uppercase(), rules.iter().copied())
            .map(str::to_string)
            .or_else(|| {
                let options: Vec<String> = super::options::names().collect();
                crate::diag::closest(id, options.iter().map(String::as_str)).map(str::to_string)
            })
            .map_or_else(
                || {
                    "run `hapair rules` for the rules, `hapair explain options` for the options"
                        .to_string()
                },
                |c| format!("did you mean {c}?"),
            );
        out::eprint(&format!("hapair: no rule or option `{id}`: {hint}\n"));
        return Outcome::BadInput;
    };
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})\n\n  {}\n", r.id, severity(r), r.title);
    let _ = writeln!(out, "Why:\n  {}\n", r.why);
    let _ = writeln!(out, "Fix:\n  {}\n", r.fix);
    if let Some(consequence) = r.at_run_time {
        let _ = writeln!(out, "What a run shows:\n  {}\n", upper_first(consequence));
    }
    let indent = |s: &str| s.lines().map(|l| format!("    {l}\n")).collect::<String>();
    let _ = writeln!(out, "Breaks it:\n{}", indent(r.bad));
    let _ = write!(out, "Keeps it:\n{}", indent(r.good));
    if r.judged == crate::rules::Judged::Certificates {
        let _ = write!(
            out,
            "\nJudged from certificate content (generated or the lab's PEM files).\n"
        );
    }
    out::print_then(&out, Outcome::Held)
}
