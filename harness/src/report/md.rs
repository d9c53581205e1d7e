//! `--format md`: a Markdown summary for a pull-request comment. A table of every scenario and
//! seed, then per failing run its failed verdicts with the nearest miss, the replay command and
//! a Mermaid sequence diagram of its switchover, bounded to [`DIAGRAM_BOUND`] lines.

use std::fmt::Write as _;

use super::model::{Model, Run, Scenario};
use super::timeline::{self, Band, Timeline};
use crate::check::LIST_BOUND;

/// At most this many messages and notes in one sequence diagram.
pub const DIAGRAM_BOUND: usize = 40;

/// Two ends' records of one closed session are this close in time (ms).
const CLOSE_SLACK_MS: u64 = 100;

/// At most this many failing runs shown in detail.
pub const FAILING_BOUND: usize = 5;

/// Text in Markdown: HTML's special characters as entities, Markdown's escaped, one line.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            '|' | '*' | '_' | '[' | ']' | '`' | '\\' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text in a Mermaid label: what would end or break a line left out.
fn label(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ';' | '#' | '\n' | '\r' | '<' | '>' | '&' | '"' | '`' => ' ',
            c => c,
        })
        .collect()
}

/// The Markdown of a model.
pub fn render(model: &Model) -> String {
    let mut out = String::new();
    let runs: Vec<_> = model.runs().collect();
    let failed = runs.iter().filter(|(_, r)| !r.passed).count();
    let errors = model.scenarios.iter().filter(|s| s.error.is_some()).count();
    let _ = writeln!(
        out,
        "## hapair: {} passed, {failed} failed{}\n",
        runs.len().saturating_sub(failed),
        if errors > 0 {
            format!(", {errors} could not run")
        } else {
            String::new()
        }
    );
    out.push_str("| | scenario | seed | held | handshakes | wall |\n|---|---|---|---|---|---|\n");
    for s in &model.scenarios {
        if let Some(e) = &s.error {
            let _ = writeln!(out, "| ⚠️ | {} | | {} | | |", text(&s.name), text(e));
        }
        for r in &s.runs {
            let held = r.verdicts.iter().filter(|v| v.held).count();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {held}/{} | {} | wall {} ms |",
                if r.passed { "✅" } else { "❌" },
                text(&s.name),
                r.seed,
                r.verdicts.len(),
                r.handshakes,
                r.wall_ms
            );
        }
    }
    let failing: Vec<_> = runs.iter().filter(|(_, r)| !r.passed).collect();
    for (s, r) in failing.iter().take(FAILING_BOUND) {
        failure(&mut out, s, r);
    }
    if failing.len() > FAILING_BOUND {
        let _ = writeln!(
            out,
            "\nand {} more failing run(s): the HTML report has them all.",
            failing.len().saturating_sub(FAILING_BOUND)
        );
    }
    out
}

/// A failing run: its failed verdicts, the replay command, its sequence diagram.
fn failure(out: &mut String, s: &Scenario, r: &Run) {
    let _ = writeln!(out, "\n### ❌ {} (seed {})\n", text(&s.name), r.seed);
    let failed: Vec<_> = r.verdicts.iter().filter(|v| !v.held).collect();
    for v in failed.iter().take(LIST_BOUND) {
        let line = v.line.map_or(String::new(), |l| format!(" (line {l})"));
        let when = match v.span() {
            Some((a, b)) if a == b => format!(" at {a} ms"),
            Some((a, b)) => format!(" in {a}–{b} ms"),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "- ✗ {} {}{line}{when}: {}",
            v.kind,
            text(&v.what),
            text(&v.detail)
        );
        if let Some(m) = v.miss_text() {
            let _ = writeln!(out, "  - nearest miss {}", text(&m));
        }
    }
    if failed.len() > LIST_BOUND {
        let _ = writeln!(
            out,
            "- and {} more failure(s)",
            failed.len().saturating_sub(LIST_BOUND)
        );
    }
    let _ = writeln!(out, "\nreplay: `{}`", r.replay.replace('`', "'"));
    if !r.events.is_empty() {
        out.push_str("\n```mermaid\n");
        out.push_str(&diagram(&timeline::timeline(&r.events)));
        out.push_str("```\n");
    }
}

/// A Mermaid sequence diagram of a timeline: faults, roles, switchovers, failed handshakes and
/// broken sessions, in time order, at most [`DIAGRAM_BOUND`] lines of them.
pub fn diagram(t: &Timeline) -> String {
    let mut out = String::from("sequenceDiagram\n");
    let apps: Vec<&str> = t.lanes.iter().map(|l| l.app.as_str()).collect();
    let id = |app: &str| apps.iter().position(|a| *a == app).map(|i| format!("a{i}"));
    for (i, app) in apps.iter().enumerate() {
        let _ = writeln!(out, "  participant a{i} as {}", label(app));
    }
    if !t.switchovers.is_empty() {
        out.push_str("  participant scs as SCS\n");
    }
    let first = || id(apps.first().copied().unwrap_or_default());
    let mut items: Vec<(u64, String)> = Vec::new();
    let mut closed: Vec<((&str, &str), &str, u64)> = Vec::new();
    let mut faults = t.faults.clone();
    timeline::close(&mut faults, t.end);
    for f in &faults {
        let over = id(&f.target).or_else(first);
        if let Some(over) = over {
            let lifted = f
                .lifted_by
                .as_ref()
                .map_or(String::new(), |l| format!(" until {} ms ({l})", f.to));
            items.push((
                f.from,
                format!(
                    "Note over {over}: {} ms {} {}{lifted}",
                    f.from,
                    label(&f.name),
                    label(&f.target)
                ),
            ));
        }
    }
    for (i, lane) in t.lanes.iter().enumerate() {
        for (from, _, band) in lane.bands.iter().filter(|b| b.0 > 0) {
            let word = match band {
                Band::Primary => "primary",
                Band::Backup => "backup",
                Band::Running => "running",
                Band::Down => "down",
            };
            items.push((*from, format!("Note over a{i}: {from} ms {word}")));
        }
        let mut last = None;
        for f in &lane.failed {
            let key = (f.peer.as_str(), f.class.as_str());
            if last == Some(key) {
                continue;
            }
            last = Some(key);
            let msg = format!(
                "handshake failed on {}: {}",
                label(&f.port),
                label(&f.class)
            );
            items.push((
                f.at,
                match id(&f.peer) {
                    Some(p) => format!("{p}--x a{i}: {} ms {msg}", f.at),
                    None => format!("Note over a{i}: {} ms {msg} ({})", f.at, label(&f.peer)),
                },
            ));
        }
        for b in lane
            .bars
            .iter()
            .filter(|b| b.ended.is_some() && b.to < t.end)
        {
            if let (Some(p), Some(why)) = (id(&b.peer), &b.ended) {
                // Both ends record a closed session: draw it once.
                let pair = if lane.app <= b.peer {
                    (lane.app.as_str(), b.peer.as_str())
                } else {
                    (b.peer.as_str(), lane.app.as_str())
                };
                let again = closed.iter().any(|(x, port, at): &(_, &str, u64)| {
                    *x == pair && *port == b.port && at.abs_diff(b.to) <= CLOSE_SLACK_MS
                });
                if again {
                    continue;
                }
                closed.push((pair, &b.port, b.to));
                items.push((
                    b.to,
                    format!(
                        "a{i}--x {p}: {} ms {} closed: {}",
                        b.to,
                        label(&b.port),
                        label(why)
                    ),
                ));
            }
        }
    }
    for (at, promote, reason) in &t.switchovers {
        if let Some(p) = id(promote) {
            items.push((
                *at,
                format!("scs->>{p}: {at} ms switchover: {}", label(reason)),
            ));
        }
    }
    items.sort_by_key(|(at, _)| *at);
    items.dedup_by(|a, b| a.1 == b.1);
    for (_, line) in items.iter().take(DIAGRAM_BOUND) {
        let _ = writeln!(out, "  {line}");
    }
    if items.len() > DIAGRAM_BOUND {
        let _ = writeln!(
            out,
            "  Note over a0: and {} more (see report.html)",
            items.len().saturating_sub(DIAGRAM_BOUND)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_cannot_break_the_markdown_or_the_diagram() {
        assert_eq!(text("a|b <script>&"), "a\\|b &lt;script&gt;&amp;");
        assert_eq!(label("x; y\n#z"), "x  y  z");
    }

    #[test]
    fn a_diagram_is_bounded() {
        use crate::trace::{Event, FaultName, Kind};
        let mut events = vec![Event {
            at_ms: 0,
            node: "ts_a".into(),
            kind: Kind::Started { role: None },
        }];
        events.extend((1..500).map(|i| Event {
            at_ms: i,
            node: "sim".into(),
            kind: Kind::Fault {
                fault: FaultName::Step(if i % 2 == 0 { "crash" } else { "restart" }.into()),
                target: "ts_a".into(),
            },
        }));
        let d = diagram(&timeline::timeline(&events));
        // The header, one participant, the bound, and the line saying how many were left out.
        assert_eq!(d.lines().count(), 1 + 1 + DIAGRAM_BOUND + 1, "{d}");
        assert!(d.ends_with("more (see report.html)\n"), "{d}");
    }
}
