//! `--format html` and `report.html`: one self-contained page (inline CSS and SVG, no script,
//! nothing fetched) with an index of every scenario and seed, then per run its timeline
//! ([`timeline`]), its verdicts with the nearest miss, the clients' latency, the effective TLS
//! table, the static findings and the replay command. Every text from the user or the trace
//! goes through [`esc`].

mod tables;
mod timeline;

use std::fmt::Write as _;

use super::model::{Model, Run, Scenario};

/// Text (or an attribute value) in HTML: `&`, `<`, `>`, `"` and `'` as entities.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --pass: #1a7f37; --fail: #cf222e; --primary: #2f6fdb; --backup: #9a6dd7;
  --running: #8c959f; --down: #eaeef2; --ink: #1f2328; --muted: #59636e; }
body { font: 14px/1.45 system-ui, sans-serif; color: var(--ink); margin: 1.5rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2.5rem; }
h3 { font-size: 1rem; margin-top: 1.2rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #d0d7de; padding: .2rem .5rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre, .mono { font-family: ui-monospace, monospace; font-size: 12px; }
pre { background: #f6f8fa; padding: .5rem; overflow-x: auto; }
.pass { color: var(--pass); font-weight: 600; } .fail { color: var(--fail); font-weight: 600; }
a:focus, [tabindex]:focus { outline: 2px solid #0969da; outline-offset: 1px; }
svg text { font: 11px system-ui, sans-serif; fill: var(--ink); }
svg .axis { stroke: #d0d7de; } svg .lane-line { stroke: #eaeef2; }
.role-primary { fill: var(--primary); } .role-backup { fill: var(--backup); }
.role-running { fill: var(--running); } .role-down { fill: var(--down); stroke: #afb8c1; }
.conn-tls { fill: #4ac26b; } .conn-broken { stroke: var(--ink); stroke-width: 2; }
svg text.badge { font-size: 9px; fill: var(--muted); } .conn-plain { fill: #fff; stroke: #bf8700; stroke-dasharray: 3 2; }
.handshake-failed { fill: var(--fail); stroke: #fff; }
.fault-window { fill: #bf8700; fill-opacity: .13; stroke: #bf8700; stroke-opacity: .5; }
.fault-step { stroke: #bf8700; stroke-width: 2; }
.expect-pass { fill: var(--pass); } .expect-fail { fill: var(--fail); }
.expect-miss { fill: #fff; stroke: var(--fail); stroke-width: 2; }
.switchover { stroke: var(--ink); stroke-dasharray: 4 3; }
.latency-point { fill: #0969da; }
.legend span { display: inline-block; margin-right: 1rem; }
.swatch { display: inline-block; width: .9rem; height: .7rem; margin-right: .3rem; vertical-align: middle; }
section.run { break-before: page; }
@media print { body { margin: 0; } a { color: inherit; text-decoration: none; }
  section.run { break-before: page; } svg { max-width: 100%; height: auto; } }
"#;

/// The page of a model.
pub fn render(model: &Model) -> String {
    let mut out = String::with_capacity(64 * 1024);
    out.push_str(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>hapair report</title>\n<style>",
    );
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n");
    index(&mut out, model);
    let mut n = 0_usize;
    for s in &model.scenarios {
        if let Some(e) = &s.error {
            let _ = writeln!(
                out,
                "<section class=\"run\" data-kind=\"error\"><h2>{} — could not run</h2>\
                 <p class=\"fail\">{}</p></section>",
                esc(&s.name),
                esc(e)
            );
        }
        for r in &s.runs {
            run(&mut out, n, s, r);
            n = n.saturating_add(1);
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// The index: every scenario and seed with its result, verdicts and durations.
fn index(out: &mut String, model: &Model) {
    let runs: Vec<_> = model.runs().collect();
    let failed = runs.iter().filter(|(_, r)| !r.passed).count();
    let _ = writeln!(
        out,
        "<header><h1>hapair report</h1><p><span class=\"pass\">{} passed</span>, \
         <span class=\"fail\">{failed} failed</span></p></header>",
        runs.len().saturating_sub(failed)
    );
    out.push_str(
        "<nav aria-label=\"index\"><table id=\"index\"><thead><tr><th>result</th>\
         <th>scenario</th><th>seed</th><th>held</th><th>virtual</th><th>wall</th></tr>\
         </thead><tbody>\n",
    );
    for (n, (s, r)) in runs.iter().enumerate() {
        let held = r.verdicts.iter().filter(|v| v.held).count();
        let virt = r.events.iter().map(|e| e.at_ms).max().unwrap_or(0);
        let _ = writeln!(
            out,
            "<tr data-passed=\"{}\"><td class=\"{}\">{}</td><td><a href=\"#run-{n}\">{}</a></td>\
             <td class=\"num\">{}</td><td class=\"num\">{held}/{}</td>\
             <td class=\"num\">{} ms</td><td class=\"num\">{} ms</td></tr>",
            r.passed,
            if r.passed { "pass" } else { "fail" },
            if r.passed { "PASS" } else { "FAIL" },
            esc(&s.name),
            r.seed,
            r.verdicts.len(),
            virt,
            r.wall_ms
        );
    }
    out.push_str("</tbody></table></nav>\n");
}

/// One run: heading, timeline, verdicts, latency, TLS table, findings, replay.
fn run(out: &mut String, n: usize, s: &Scenario, r: &Run) {
    let (class, word) = if r.passed {
        ("pass", "PASS")
    } else {
        ("fail", "FAIL")
    };
    let _ = writeln!(
        out,
        "<section class=\"run\" id=\"run-{n}\" data-passed=\"{}\">\n\
         <h2><span class=\"{class}\">{word}</span> {} — seed {}</h2>\n\
         <p class=\"mono\">{} · trace {} · {} handshakes · wall {} ms</p>",
        r.passed,
        esc(&s.name),
        r.seed,
        esc(&s.path),
        esc(r.trace_digest.get(..12).unwrap_or(&r.trace_digest)),
        r.handshakes,
        r.wall_ms
    );
    if r.events.is_empty() {
        out.push_str("<p>No trace was kept for this run.</p>\n");
    } else {
        let t = super::timeline::timeline(&r.events);
        timeline::svg(out, n, &t, &r.verdicts);
        timeline::latency(out, &t);
    }
    tables::verdicts(out, &r.verdicts);
    if let Some(tls) = &s.tls {
        tables::tls(out, tls);
    }
    tables::findings(out, &r.findings);
    let _ = writeln!(
        out,
        "<h3>Replay</h3>\n<pre><code>{}</code></pre>\n</section>",
        esc(&r.replay)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
