//! `rejected = "RULE"`: the topology is refused with that rule, by `hapair check` (an error
//! finding) or by a node refusing its configuration at run time.

use super::Context;
use crate::check::evidence::indexed;
use crate::check::verdict::Judgement;
use crate::rules::Severity;
use crate::trace::Kind;

/// Judges `topology rejected with rule`.
pub fn judge(cx: &Context<'_>, rule: &str) -> Judgement {
    let static_hit = cx
        .findings
        .iter()
        .any(|f| f.rule == rule && f.severity == Severity::Error);
    let node_hit = indexed(cx.trace)
        .find(|(_, x)| matches!(&x.kind, Kind::ConfigRejected { rule: r, .. } if r == rule));
    let detail = match (static_hit, node_hit) {
        (_, Some((_, x))) => format!(
            "{} refused its configuration ({rule}) at {} ms",
            x.node, x.at_ms
        ),
        (true, None) => format!("hapair check reports {rule} as an error"),
        (false, None) => {
            format!("neither hapair check nor any node refused the topology with {rule}")
        }
    };
    Judgement::plain(static_hit || node_hit.is_some(), detail)
        .with_evidence(node_hit.map(|(i, _)| i).into_iter().collect())
}
