//! A rehearsal for people (text, Markdown) and machines (`hapair.rehearse/1` JSON), and the
//! `--out` folder: `default/` and `suggested/` with one scenario per step (each naming its
//! state's topology in `topologies/`), `report.json` and `report.md`.

use std::fmt::Write as _;
use std::path::Path;

use super::running::StepRun;
use super::{PlanRun, Rehearsal, RehearseError};

/// The JSON document.
///
/// # Errors
/// A message when it cannot be serialised.
pub fn json(r: &Rehearsal) -> Result<String, String> {
    serde_json::to_string_pretty(r)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| e.to_string())
}

/// The text for people (`md`: Markdown).
pub fn text(r: &Rehearsal, md: bool) -> String {
    let mut s = String::new();
    let h = |level: usize| {
        if md {
            "#".repeat(level) + " "
        } else {
            String::new()
        }
    };
    let _ = writeln!(
        s,
        "{}Rehearsal of {} -> {} (seed {})\n",
        h(1),
        r.from,
        r.to,
        r.seed
    );
    let _ = writeln!(s, "{}What changes", h(2));
    for a in &r.changes {
        let _ = writeln!(s, "- {}:", a.app);
        for c in &a.changes {
            let _ = writeln!(
                s,
                "  - {}: {} -> {}",
                c.path,
                c.from.as_deref().unwrap_or("(unset)"),
                c.to.as_deref().unwrap_or("(unset)")
            );
        }
    }
    for (old, new) in &r.renamed {
        let _ = writeln!(
            s,
            "- (TO's `{old}` differs from FROM's: it is `{new}` in the intermediate states)"
        );
    }
    s.push('\n');
    plan(&mut s, "Default order", &r.default, md);
    for p in &r.tried {
        let title = if p.safe {
            "Suggested order (proven by running it)"
        } else {
            "Tried, breaks too"
        };
        plan(&mut s, title, p, md);
    }
    let verdict = if r.default.safe {
        "SAFE: the default order breaks nothing.".to_string()
    } else if let Some(p) = r.suggested() {
        format!(
            "The default order BREAKS (step {}); the suggested order is safe: {}.",
            first_broken(&r.default).map_or(0, |s| s.number),
            p.why
        )
    } else {
        "UNSAFE: the default order breaks, and no order tried is safe.".to_string()
    };
    let _ = writeln!(s, "{}Verdict\n{verdict}", h(2));
    s
}

fn first_broken(p: &PlanRun) -> Option<&StepRun> {
    p.steps.iter().find(|s| !s.safe)
}

fn plan(s: &mut String, title: &str, p: &PlanRun, md: bool) {
    let h = if md { "## " } else { "" };
    let _ = writeln!(
        s,
        "{h}{title}: {}{}",
        p.plan.order.join(", "),
        if p.plan.trust_first {
            " (new CAs trusted first)"
        } else if p.plan.relax_first {
            " (sec-protocol left empty first)"
        } else {
            ""
        }
    );
    let _ = writeln!(s, "({})", p.why);
    for st in &p.steps {
        let _ = writeln!(
            s,
            "{}step {}: {} [{}] -> {}",
            if md { "- " } else { "  " },
            st.number,
            st.words,
            if st.safe { "safe" } else { "BREAKS" },
            st.file
        );
        let pad = if md { "  - " } else { "      " };
        for l in &st.links {
            let what = if l.ha {
                format!("HA link {} -> {}", l.from, l.to)
            } else {
                format!(
                    "{} -> {}{}",
                    l.from,
                    l.to,
                    l.port.as_ref().map(|p| format!(":{p}")).unwrap_or_default()
                )
            };
            let how = if l.held {
                "holds".to_string()
            } else if l.classes.is_empty() {
                "breaks (no session)".to_string()
            } else {
                format!("breaks ({})", l.classes.join(", "))
            };
            let _ = writeln!(s, "{pad}{what}: {how}");
        }
        if st.acked_lost > 0 {
            let _ = writeln!(s, "{pad}{} acknowledged request(s) lost", st.acked_lost);
        }
        for i in &st.invariants_failed {
            let _ = writeln!(s, "{pad}invariant: {i}");
        }
        if !st.trust_both.is_empty() && !st.findings.is_empty() {
            let _ = writeln!(
                s,
                "{pad}(trusting both CAs: {}; the findings below judge the written topology, which names one)",
                st.trust_both.join(", ")
            );
        }
        for f in &st.findings {
            let _ = writeln!(s, "{pad}finding {} ({}): {}", f.rule, f.severity, f.message);
        }
    }
    s.push('\n');
}

/// Writes the `--out` folder.
///
/// # Errors
/// [`RehearseError::Io`] when a file cannot be written.
pub fn write(r: &Rehearsal, out: &Path) -> Result<(), RehearseError> {
    let io = |path: &Path, e: std::io::Error| RehearseError::Io {
        path: path.to_path_buf(),
        error: e.to_string(),
    };
    let mut plans = vec![("default", &r.default)];
    if let Some(p) = r.suggested() {
        plans.push(("suggested", p));
    }
    for (name, p) in plans {
        let dir = out.join(name);
        let topo = dir.join("topologies");
        std::fs::create_dir_all(&topo).map_err(|e| io(&topo, e))?;
        for st in &p.steps {
            let path = dir.join(&st.file);
            std::fs::write(&path, &st.scenario_text).map_err(|e| io(&path, e))?;
            let path = topo.join(&st.file);
            std::fs::write(&path, &st.topology_text).map_err(|e| io(&path, e))?;
        }
    }
    let path = out.join("report.json");
    let j = json(r).map_err(RehearseError::Internal)?;
    std::fs::write(&path, j).map_err(|e| io(&path, e))?;
    let path = out.join("report.md");
    std::fs::write(&path, text(r, true)).map_err(|e| io(&path, e))?;
    Ok(())
}
