//! Decoding `[liveness]`: the liveness phase a scenario asks for (`crate::check::liveness`).
//! `[liveness]` alone bounds convergence by the topology's own timeouts; `within = "90s"`
//! sets the bound, which may not be shorter than the least the topology allows (the longest
//! client `reconnect-timeout`: a client that lost its server at the lift waits it out).
//! `baseline = "45s"` names the instant whose state the pair must get back to (the first step
//! when unset); a sweep's reproduction writes it, its faults starting after the scenario's own
//! run.

use toml::de::DeValue;

use super::{Liveness, Step};
use crate::diag::Problem;
use crate::fault::duration_text;
use crate::topology::Topology;
use crate::topology::reader::{Reader, Table};

/// The `[liveness]` table of `doc`, if any, with located problems for a bad one.
pub fn decode(r: &mut Reader, doc: &Table<'_>, t: &Topology, steps: &[Step]) -> Option<Liveness> {
    let v = doc.get("liveness")?;
    let span = crate::diag::Span::from(v.span());
    let DeValue::Table(table) = v.get_ref() else {
        r.push(Problem::new(
            "wrong-type",
            span,
            "`liveness` is a table: `[liveness]`, with `within = \"90s\"` or nothing",
        ));
        return None;
    };
    r.keys(table, &["within", "baseline"], "[liveness]");
    let within = r.duration(table, "within");
    let baseline = r.duration(table, "baseline");
    if let Some(w) = &within {
        let bound = crate::check::liveness::derive(t, steps);
        if w.value.is_zero() || w.value < bound.minimum {
            r.push(Problem::new(
                "bad-value",
                w.span,
                format!(
                    "`within` is {}, shorter than the least this topology allows ({}: a client \
                     that lost its server waits its reconnect-timeout before it dials again); \
                     the derived bound is {}",
                    duration_text(w.value),
                    duration_text(bound.minimum.max(std::time::Duration::from_millis(1))),
                    bound.formula()
                ),
            ));
        }
    }
    Some(Liveness {
        within: within.map(|w| w.value),
        span: Some(span),
        baseline: baseline.map(|b| b.value),
    })
}
