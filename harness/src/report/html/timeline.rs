//! A run's timeline as inline SVG: a lane per application (`data-kind="lane"`) with its role
//! bands (`role-primary`, `role-backup`, `role-running`, `role-down`), its sessions as bars
//! (`conn-tls` with the version, `conn-plain`; `conn-broken` where one closed), failed
//! handshakes (`handshake-failed`, with their class); faults as shaded windows across the lanes
//! (`fault-window`) or lines (`fault-step`); switchovers as dashed lines; each verdict pinned at
//! the instant or window it judged (`expect-pass`, `expect-fail`), a failure's nearest miss as
//! a ring (`expect-miss`). Every mark carries a `<title>` (its tooltip); verdicts, faults and
//! failed handshakes take the keyboard focus. Then the clients' latency as a chart.

use std::fmt::Write as _;

use super::esc;
use crate::report::model::Verdict;
use crate::report::timeline::{Timeline, close};

const WIDTH: f64 = 1200.0;
const LEFT: f64 = 170.0;
const RIGHT: f64 = 20.0;
const LANE: f64 = 40.0;
const ROW: f64 = 14.0;
/// At most this many verdict rows under the lanes.
const VERDICT_ROWS: usize = 60;

/// Maps virtual ms to x.
struct Scale {
    end: f64,
}

impl Scale {
    fn x(&self, ms: u64) -> f64 {
        LEFT + (ms as f64) / self.end * (WIDTH - LEFT - RIGHT)
    }

    /// A width of at least 2 px, so that an instant shows.
    fn w(&self, from: u64, to: u64) -> f64 {
        (self.x(to) - self.x(from)).max(2.0)
    }
}

/// A tick step giving about ten ticks over `end` ms.
fn tick(end: u64) -> u64 {
    let raw = end / 10;
    [
        100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000,
        600_000, 1_800_000, 3_600_000,
    ]
    .into_iter()
    .find(|s| *s >= raw)
    .unwrap_or(3_600_000)
}

/// The timeline of one run.
pub(super) fn svg(out: &mut String, n: usize, t: &Timeline, verdicts: &[Verdict]) {
    let mut faults = t.faults.clone();
    close(&mut faults, t.end);
    let windows: Vec<_> = faults.iter().filter(|f| f.to > f.from).collect();
    let steps: Vec<_> = faults.iter().filter(|f| f.to == f.from).collect();
    let pinned: Vec<&Verdict> = verdicts
        .iter()
        .filter(|v| v.span().is_some())
        .take(VERDICT_ROWS)
        .collect();
    let top = 24.0 + ROW * windows.len() as f64;
    let lanes_end = top + LANE * t.lanes.len() as f64;
    let height = lanes_end + 24.0 + ROW * pinned.len() as f64 + 10.0;
    let s = Scale {
        end: t.end.max(1) as f64,
    };
    let _ = writeln!(
        out,
        "<h3>Timeline</h3>\n<figure><svg class=\"timeline\" id=\"timeline-{n}\" \
         width=\"{WIDTH}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {WIDTH} {height:.0}\" role=\"img\" aria-labelledby=\"timeline-{n}-title\">\
         <title id=\"timeline-{n}-title\">Timeline: {} applications over {} ms</title>",
        t.lanes.len(),
        t.end
    );
    axis(out, &s, t.end, height);
    for (i, f) in windows.iter().enumerate() {
        let y = 20.0 + ROW * i as f64;
        let lifted = f
            .lifted_by
            .as_ref()
            .map_or("not lifted".to_string(), |l| format!("lifted by {l}"));
        let _ = writeln!(
            out,
            "<g tabindex=\"0\"><title>{} {}: {}–{} ms, {}</title>\
             <rect class=\"fault-window\" data-kind=\"fault-window\" data-fault=\"{}\" \
             x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{} {}</text></g>",
            esc(&f.name),
            esc(&f.target),
            f.from,
            f.to,
            esc(&lifted),
            esc(&f.name),
            s.x(f.from),
            s.w(f.from, f.to),
            lanes_end - y,
            s.x(f.from) + 3.0,
            y + 10.0,
            esc(&f.name),
            esc(&f.target)
        );
    }
    for (i, lane) in t.lanes.iter().enumerate() {
        lane_svg(out, &s, top + LANE * i as f64, t.end, lane);
    }
    for f in &steps {
        let _ = writeln!(
            out,
            "<g tabindex=\"0\"><title>{} {} at {} ms</title><line class=\"fault-step\" \
             data-kind=\"fault-step\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top:.1}\" y2=\"{lanes_end:.1}\"/></g>",
            esc(&f.name),
            esc(&f.target),
            f.from,
            x = s.x(f.from)
        );
    }
    for (at, promote, reason) in &t.switchovers {
        let _ = writeln!(
            out,
            "<g><title>switchover at {at} ms: {} promoted ({})</title><line class=\"switchover\" \
             data-kind=\"switchover\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top:.1}\" y2=\"{lanes_end:.1}\"/></g>",
            esc(promote),
            esc(reason),
            x = s.x(*at)
        );
    }
    pins(out, &s, lanes_end + 24.0, &pinned);
    out.push_str("</svg>\n");
    legend(out);
    out.push_str("</figure>\n");
}

/// The time axis: a tick and a label every [`tick`] ms.
fn axis(out: &mut String, s: &Scale, end: u64, height: f64) {
    let step = tick(end);
    let mut at = 0;
    while at <= end {
        let x = s.x(at);
        let _ = write!(
            out,
            "<line class=\"axis\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"12\" y2=\"{height:.0}\"/>\
             <text x=\"{x:.1}\" y=\"10\">{}</text>",
            label_ms(at)
        );
        at = at.saturating_add(step);
    }
    out.push('\n');
}

fn label_ms(ms: u64) -> String {
    if ms % 1_000 == 0 {
        format!("{} s", ms / 1_000)
    } else {
        format!("{:.1} s", ms as f64 / 1_000.0)
    }
}

/// One application's lane: name, role bands, sessions, failed handshakes.
fn lane_svg(out: &mut String, s: &Scale, y: f64, end: u64, lane: &crate::report::timeline::Lane) {
    let app = esc(&lane.app);
    let _ = writeln!(
        out,
        "<g class=\"lane\" data-kind=\"lane\" data-app=\"{app}\">\
         <line class=\"lane-line\" x1=\"0\" x2=\"{WIDTH}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
         <text x=\"4\" y=\"{:.1}\">{app}</text>",
        y + LANE - 2.0,
        y + LANE - 2.0,
        y + 14.0
    );
    for (from, to, band) in &lane.bands {
        let word = band.as_str();
        let _ = writeln!(
            out,
            "<rect class=\"{word}\" data-kind=\"{word}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" \
             height=\"12\"><title>{app}: {} {from}–{to} ms</title></rect>",
            s.x(*from),
            y + 4.0,
            s.w(*from, *to),
            word.trim_start_matches("role-")
        );
    }
    for (k, b) in lane.bars.iter().enumerate() {
        let by = y + 19.0 + 5.0 * (k % 3) as f64;
        let (class, badge) = match &b.tls {
            Some(v) if v == "tls" => ("conn-tls", "TLS".to_string()),
            Some(v) => ("conn-tls", format!("TLS {v}")),
            None => ("conn-plain", "plaintext".to_string()),
        };
        let ended = b
            .ended
            .as_ref()
            .map_or(String::new(), |e| format!(", closed: {e}"));
        let _ = writeln!(
            out,
            "<rect class=\"{class}\" data-kind=\"{class}\" x=\"{:.1}\" y=\"{by:.1}\" width=\"{:.1}\" \
             height=\"4\"><title>{app} ↔ {} on {}: {badge}, {}–{} ms{}</title></rect>",
            s.x(b.from),
            s.w(b.from, b.to),
            esc(&b.peer),
            esc(&b.port),
            b.from,
            b.to,
            esc(&ended)
        );
        if let (Some(why), true) = (&b.ended, b.to < end) {
            let x = s.x(b.to);
            let _ = writeln!(
                out,
                "<line class=\"conn-broken\" data-kind=\"conn-broken\" x1=\"{x:.1}\" \
                 x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"><title>{app} ↔ {} on {} closed at {} ms: \
                 {}</title></line>",
                by - 2.0,
                by + 6.0,
                esc(&b.peer),
                esc(&b.port),
                b.to,
                esc(why)
            );
        }
    }
    // Per port, the TLS badge of its first session (or the plaintext mark), under the name.
    let mut ports: Vec<(&str, String)> = Vec::new();
    for b in &lane.bars {
        if !ports.iter().any(|(p, _)| *p == b.port) {
            let badge = match b.tls.as_deref() {
                Some("tls") => "TLS".to_string(),
                Some(v) => format!("TLS {v}"),
                None => "plaintext".to_string(),
            };
            ports.push((&b.port, badge));
        }
    }
    if !ports.is_empty() {
        let words: Vec<String> = ports
            .iter()
            .take(2)
            .map(|(p, b)| format!("{p}: {b}"))
            .collect();
        let more = if ports.len() > 2 { ", …" } else { "" };
        let _ = writeln!(
            out,
            "<text class=\"badge\" x=\"4\" y=\"{:.1}\">{}{more}</text>",
            y + 28.0,
            esc(&words.join(", "))
        );
    }
    for f in &lane.failed {
        let x = s.x(f.at);
        let _ = writeln!(
            out,
            "<g tabindex=\"0\"><title>{app}: handshake with {} on {} failed at {} ms: {} ({})</title>\
             <rect class=\"handshake-failed\" data-kind=\"handshake-failed\" data-class=\"{}\" \
             x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\" transform=\"rotate(45 {x:.1} {:.1})\"/></g>",
            esc(&f.peer),
            esc(&f.port),
            f.at,
            esc(&f.class),
            esc(&f.detail),
            esc(&f.class),
            x - 4.0,
            y + 18.0,
            y + 22.0
        );
    }
    out.push_str("</g>\n");
}

/// Each verdict with an instant or window, a row each, green or red.
fn pins(out: &mut String, s: &Scale, top: f64, pinned: &[&Verdict]) {
    let _ = writeln!(
        out,
        "<text x=\"4\" y=\"{:.1}\">expectations</text>",
        top - 8.0
    );
    for (i, v) in pinned.iter().enumerate() {
        let Some((from, to)) = v.span() else {
            continue;
        };
        let class = if v.held { "expect-pass" } else { "expect-fail" };
        let y = top + ROW * i as f64;
        let miss = v
            .miss_text()
            .map_or(String::new(), |m| format!("; nearest miss {m}"));
        let _ = writeln!(
            out,
            "<g tabindex=\"0\"><title>{} {}: {} ({from}–{to} ms): {}{}</title>\
             <rect class=\"{class}\" data-kind=\"{class}\" x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" \
             height=\"10\"/><text x=\"4\" y=\"{:.1}\">{}</text></g>",
            esc(&v.kind),
            if v.held { "held" } else { "FAILED" },
            esc(&v.what),
            esc(&v.detail),
            esc(&miss),
            s.x(from),
            s.w(from, to),
            y + 9.0,
            esc(&short(&v.what))
        );
        if let Some(at) = v.miss_at() {
            let _ = writeln!(
                out,
                "<g tabindex=\"0\"><title>nearest miss of {}: {}</title><circle class=\"expect-miss\" \
                 data-kind=\"expect-miss\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\"/></g>",
                esc(&v.what),
                esc(&v.miss_text().unwrap_or_default()),
                s.x(at),
                y + 5.0
            );
        }
    }
}

/// The first 26 characters of a text, for a row label.
fn short(text: &str) -> String {
    match text.char_indices().nth(26) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

fn legend(out: &mut String) {
    out.push_str("<figcaption class=\"legend\">");
    for (class, word) in [
        ("role-primary", "primary"),
        ("role-backup", "backup"),
        ("role-running", "running, no role"),
        ("role-down", "down"),
        ("conn-tls", "TLS session"),
        ("conn-plain", "plaintext session"),
        ("conn-broken", "session closed"),
        ("handshake-failed", "failed handshake"),
        ("fault-window", "fault active"),
        ("expect-pass", "held"),
        ("expect-fail", "failed"),
        ("expect-miss", "nearest miss"),
    ] {
        let _ = write!(
            out,
            "<span><svg class=\"swatch\" width=\"14\" height=\"10\"><rect class=\"{class}\" \
             width=\"14\" height=\"10\"/></svg>{word}</span>"
        );
    }
    out.push_str("</figcaption>\n");
}

/// The clients' request latency: each request's wait at the instant it was sent (the worst of
/// each slice when there are many), switchovers as dashed lines.
pub(super) fn latency(out: &mut String, t: &Timeline) {
    if t.latency.is_empty() {
        return;
    }
    let worst = t.latency.iter().map(|p| p.1).max().unwrap_or(0).max(1);
    let (h, base) = (140.0, 120.0);
    let s = Scale {
        end: t.end.max(1) as f64,
    };
    let _ = writeln!(
        out,
        "<h3>Client request latency</h3>\n<svg class=\"latency\" data-kind=\"latency\" \
         width=\"{WIDTH}\" height=\"{h}\" \
         viewBox=\"0 0 {WIDTH} {h}\" role=\"img\"><title>Request latency, worst {worst} ms</title>\
         <line class=\"axis\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{base}\" y2=\"{base}\"/>\
         <text x=\"4\" y=\"14\">{worst} ms</text><text x=\"4\" y=\"{base}\">0 ms</text>",
        WIDTH - RIGHT
    );
    for (at, _, _) in &t.switchovers {
        let x = s.x(*at);
        let _ = write!(
            out,
            "<line class=\"switchover\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"4\" y2=\"{base}\"/>"
        );
    }
    for (at, wait) in &t.latency {
        let y = base - (*wait as f64) / (worst as f64) * (base - 10.0);
        let _ = write!(
            out,
            "<circle class=\"latency-point\" cx=\"{:.1}\" cy=\"{y:.1}\" r=\"2\"><title>sent at {at} ms, \
             waited {wait} ms</title></circle>",
            s.x(*at)
        );
    }
    out.push_str("\n</svg>\n");
}
