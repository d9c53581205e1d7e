//! `finding = { rule, severity, present }`: `hapair check` reports that rule (of that
//! severity), or does not (`present = false`). Judges the topology, not the trace.

use super::Context;
use crate::check::verdict::{Judgement, bounded};
use crate::rules::Severity;

/// Judges `finding rule present|absent`.
pub fn judge(cx: &Context<'_>, rule: &str, severity: Option<Severity>, present: bool) -> Judgement {
    let hits: Vec<String> = cx
        .findings
        .iter()
        .filter(|f| f.rule == rule && severity.is_none_or(|s| f.severity == s))
        .map(|f| f.message.clone())
        .collect();
    let detail = if hits.is_empty() {
        format!("no {rule} finding")
    } else {
        bounded(&hits)
    };
    Judgement::plain(hits.is_empty() != present, detail)
}
