//! Reports of `hapair run`: one human line per scenario with the detail of failures and the
//! command that replays them, versioned JSON, and JUnit XML (a testsuite per scenario file, a
//! testcase per expectation and invariant).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::clip;
use super::json::{Where, locate};
use crate::check::{Judged, LIST_BOUND, Miss, Verdict, VerdictKind, thousands};
use crate::diag::{Source, Span};
use crate::execute::Outcome;
use crate::rules::{Finding, Severity};
use crate::shard::Shard;
use crate::trace::Event;

/// Schema identifier of `hapair run --format json` and of per-scenario `report.json`.
pub const SCHEMA: &str = "hapair.run/1";

/// One scenario file's result: its runs (one per seed), or why it could not run.
pub struct FileResult {
    /// The scenario file.
    pub path: PathBuf,
    /// The scenario's name (the file stem when it did not load).
    pub name: String,
    /// Runs, one per seed.
    pub runs: Vec<Outcome>,
    /// Why it did not run: bad input (exit 2), or the harness failed (exit 3).
    pub error: Option<(String, bool)>,
}

impl FileResult {
    /// Whether every run passed.
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.runs.iter().all(Outcome::passed)
    }
}

/// The seeds a run covers, as its JSON states them so that `hapair merge` can tell whether the
/// shards of a run (`hapair run --shard I/N`) cover them all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Range {
    /// How many seeds each scenario runs (`--seeds`; 1 with `--seed`), over all shards.
    pub seeds: Option<u64>,
    /// The shard this run is (`--shard`).
    pub shard: Option<Shard>,
}

/// The command that replays a run.
pub fn replay(path: &Path, seed: u64) -> String {
    format!("hapair run {} --seed {seed}", path.display())
}

/// Human text: a line per scenario and seed; under the first, the topology's static findings;
/// failures in detail. Lists stop at [`LIST_BOUND`] items, a detail at [`TEXT_BOUND`]
/// characters (`--format json` has them all, each detail clipped alike).
///
/// [`TEXT_BOUND`]: super::TEXT_BOUND
pub fn human(results: &[FileResult], colour: bool) -> String {
    let (red, green, off) = if colour {
        ("\u{1b}[31m", "\u{1b}[32m", "\u{1b}[0m")
    } else {
        ("", "", "")
    };
    let mut out = String::new();
    for f in results {
        if let Some((error, _)) = &f.error {
            let _ = writeln!(
                out,
                "{red}ERROR{off} {} ({}): {}",
                f.name,
                f.path.display(),
                clip(error)
            );
            continue;
        }
        for (i, run) in f.runs.iter().enumerate() {
            let (word, c) = if run.passed() {
                ("PASS", green)
            } else {
                ("FAIL", red)
            };
            let held = run.verdicts.iter().filter(|v| v.held).count();
            let _ = writeln!(
                out,
                "{c}{word}{off} {} ({}, seed {}, {}/{} held, {} handshakes, {} ms)",
                f.name,
                f.path.display(),
                run.seed,
                held,
                run.verdicts.len(),
                run.handshakes,
                run.wall.as_millis()
            );
            if i == 0 {
                findings(&mut out, run);
            }
            history(&mut out, &run.history);
            failures(&mut out, run, red, off);
            if !run.passed() {
                let _ = writeln!(out, "  replay: {}", replay(&f.path, run.seed));
            }
        }
    }
    let runs: usize = results.iter().map(|f| f.runs.len()).sum();
    let failed: usize = results
        .iter()
        .map(|f| f.runs.iter().filter(|r| !r.passed()).count())
        .sum();
    let errors = results.iter().filter(|f| f.error.is_some()).count();
    let _ = writeln!(
        out,
        "{} passed, {failed} failed{}",
        runs.saturating_sub(failed),
        if errors > 0 {
            format!(", {errors} could not run")
        } else {
            String::new()
        }
    );
    out
}

/// The clients' histories in one line, when there was traffic: requests in three values,
/// losses by class, duplicates, and the worst wait across a switchover.
fn history(out: &mut String, h: &crate::check::history::History) {
    let c = &h.total;
    if c.requests == 0 {
        return;
    }
    let worst = h
        .clients
        .iter()
        .flat_map(|x| x.switchovers.iter().map(move |s| (x, s)))
        .max_by_key(|(_, s)| s.max_ms);
    let _ = writeln!(
        out,
        "  requests: {} ok, {} failed, {} unknown; lost {} ({} double failure, {} unreplicated, \
         {} other), {} duplicated{}",
        thousands(c.ok),
        thousands(c.failed),
        thousands(c.unknown),
        thousands(c.lost()),
        thousands(c.lost_double_failure),
        thousands(c.lost_unreplicated),
        thousands(c.lost_other),
        thousands(c.duplicated),
        worst.map_or_else(String::new, |(x, s)| format!(
            "; switchover at {} ms: {} waited p50 {} / p99 {} / max {} ms over {} request(s)",
            s.at_ms, x.client, s.p50_ms, s.p99_ms, s.max_ms, s.count
        ))
    );
}

/// The topology's static findings, errors first, one line each: severity, rule, message and
/// where (`hapair check FILE` shows them with excerpts).
fn findings(out: &mut String, run: &Outcome) {
    let mut all: Vec<_> = run.located_findings().collect();
    all.sort_by_key(|(f, _)| std::cmp::Reverse(f.severity));
    for (f, source) in all.iter().take(LIST_BOUND) {
        let line = source.locate(f.span.start).line;
        let _ = writeln!(
            out,
            "  {} {}: {} ({}:{line})",
            f.severity.as_str(),
            f.rule,
            clip(&f.message),
            source.path.display()
        );
    }
    if all.len() > LIST_BOUND {
        let _ = writeln!(
            out,
            "  and {} more finding(s)",
            thousands(all.len().saturating_sub(LIST_BOUND))
        );
    }
}

/// The first failed verdicts with what the trace shows and a few trace lines.
fn failures(out: &mut String, run: &Outcome, red: &str, off: &str) {
    let failed: Vec<_> = run.verdicts.iter().filter(|v| !v.held).collect();
    for v in failed.iter().take(LIST_BOUND) {
        let at = v.line.map_or(String::new(), |l| format!(" (line {l})"));
        let _ = writeln!(
            out,
            "  {red}✗{off} {} {}{at}\n    trace shows: {}",
            v.kind,
            clip(&v.what),
            clip(&v.detail)
        );
        for e in &v.excerpt {
            let _ = writeln!(
                out,
                "      {:>7} ms {:<14} {}",
                e.at_ms,
                e.node,
                clip(&serde_json::to_string(&e.kind).unwrap_or_default())
            );
        }
    }
    if failed.len() > LIST_BOUND {
        let _ = writeln!(
            out,
            "  and {} more failure(s) (--format json lists them all)",
            thousands(failed.len().saturating_sub(LIST_BOUND))
        );
    }
}

#[derive(Serialize)]
struct JsonRun<'a> {
    seed: u64,
    passed: bool,
    wall_ms: u128,
    handshakes: usize,
    events: usize,
    trace_digest: String,
    replay: String,
    /// The clients' requests in three values, losses, duplicates, switchover latency.
    history: &'a crate::check::history::History,
    verdicts: Vec<JsonVerdict<'a>>,
    findings: Vec<JsonFinding<'a>>,
}

/// A verdict with its detail clipped at [`TEXT_BOUND`](super::TEXT_BOUND) characters.
#[derive(Serialize)]
struct JsonVerdict<'a> {
    kind: VerdictKind,
    what: Cow<'a, str>,
    held: bool,
    detail: Cow<'a, str>,
    line: Option<usize>,
    excerpt: &'a [Event],
    /// The instant judged (`at = "…"` expectations), else null.
    at_ms: Option<u64>,
    /// The window judged, ends included (an instant: one ms); null for the topology alone.
    window: Option<JsonWindow>,
    /// The events the verdict rests on: indices into the run's trace.
    evidence: &'a [usize],
    /// The nearest miss of a failure, when something came close.
    miss: Option<&'a Miss>,
}

#[derive(Serialize)]
struct JsonWindow {
    from_ms: u64,
    to_ms: u64,
}

/// A static finding, located in the file it lies in.
#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: Severity,
    message: Cow<'a, str>,
    objects: &'a [String],
    span: Span,
    fix: &'a str,
    file: String,
    location: Where,
}

fn json_verdict(v: &Verdict) -> JsonVerdict<'_> {
    JsonVerdict {
        kind: v.kind,
        what: clip(&v.what),
        held: v.held,
        detail: clip(&v.detail),
        line: v.line,
        excerpt: &v.excerpt,
        at_ms: match v.judged {
            Judged::Instant(t) => Some(t),
            _ => None,
        },
        window: v
            .judged
            .window()
            .map(|(from_ms, to_ms)| JsonWindow { from_ms, to_ms }),
        evidence: &v.evidence,
        miss: v.miss.as_ref(),
    }
}

fn json_finding<'a>(f: &'a Finding, source: &Source) -> JsonFinding<'a> {
    JsonFinding {
        rule: f.rule.as_str(),
        severity: f.severity,
        message: clip(&f.message),
        objects: &f.objects,
        span: f.span,
        fix: &f.fix,
        file: source.path.display().to_string(),
        location: locate(source, f.span),
    }
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: String,
    name: &'a str,
    passed: bool,
    error: Option<Cow<'a, str>>,
    runs: Vec<JsonRun<'a>>,
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    schema: &'static str,
    version: &'static str,
    passed: bool,
    /// [`Range::seeds`].
    seeds: Option<u64>,
    /// [`Range::shard`].
    shard: Option<Shard>,
    scenarios: Vec<JsonFile<'a>>,
}

fn json_file(f: &FileResult) -> JsonFile<'_> {
    JsonFile {
        path: f.path.display().to_string(),
        name: &f.name,
        passed: f.passed(),
        error: f.error.as_ref().map(|(e, _)| clip(e)),
        runs: f
            .runs
            .iter()
            .map(|r| JsonRun {
                seed: r.seed,
                passed: r.passed(),
                wall_ms: r.wall.as_millis(),
                handshakes: r.handshakes,
                events: r.trace.events.len(),
                trace_digest: r.trace.digest(),
                replay: replay(&f.path, r.seed),
                history: &r.history,
                verdicts: r.verdicts.iter().map(json_verdict).collect(),
                findings: r
                    .located_findings()
                    .map(|(x, source)| json_finding(x, source))
                    .collect(),
            })
            .collect(),
    }
}

/// The JSON document of a whole run.
pub fn json(results: &[FileResult]) -> String {
    json_in(results, Range::default())
}

/// The JSON document of a whole run covering `range`.
pub fn json_in(results: &[FileResult], range: Range) -> String {
    super::json::to_string(&JsonDoc {
        schema: SCHEMA,
        version: env!("CARGO_PKG_VERSION"),
        passed: results.iter().all(FileResult::passed),
        seeds: range.seeds,
        shard: range.shard,
        scenarios: results.iter().map(json_file).collect(),
    })
}

/// The JSON report of one scenario file (`--out DIR/NAME/report.json`) of a run covering
/// `range`.
pub fn json_one(f: &FileResult, range: Range) -> String {
    json_in(std::slice::from_ref(f), range)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    fn outcome(findings: usize, failures: usize, detail: &str) -> Outcome {
        let source = Source::new("t.toml", "a = 1\nb = 2\n");
        let found: Vec<Finding> = (0..findings)
            .map(|i| {
                Finding::new(
                    crate::rules::RuleId::HaSeparateHosts,
                    Span::from(6..7),
                    format!("finding {i}"),
                )
            })
            .collect();
        Outcome {
            seed: 1,
            finding_files: found.iter().map(|_| Arc::clone(&source)).collect(),
            findings: found,
            trace: crate::trace::Trace::default(),
            verdicts: (0..failures)
                .map(|i| Verdict {
                    kind: VerdictKind::Expect,
                    what: format!("check {i}"),
                    held: false,
                    judged: Judged::Window(0, 1_000),
                    evidence: vec![i],
                    miss: None,
                    detail: detail.to_string(),
                    line: Some(i + 1),
                    excerpt: Vec::new(),
                })
                .collect(),
            wall: Duration::ZERO,
            handshakes: 0,
            stats: crate::sim::Stats::default(),
            idbs: Default::default(),
            history: Default::default(),
        }
    }

    fn result(o: Outcome) -> FileResult {
        FileResult {
            path: PathBuf::from("s.toml"),
            name: "s".into(),
            runs: vec![o],
            error: None,
        }
    }

    #[test]
    fn findings_and_failures_are_bounded_and_details_clipped_everywhere() {
        let long = "x".repeat(super::super::TEXT_BOUND + 500);
        let results = [result(outcome(13, 12, &long))];
        let text = human(&results, false);
        assert!(
            text.contains("  warning HA-SEPARATE-HOSTS: finding 0 (t.toml:2)"),
            "{text}"
        );
        assert!(
            text.contains("finding 9 (") && !text.contains("finding 10 ("),
            "{text}"
        );
        assert!(text.contains("  and 3 more finding(s)\n"), "{text}");
        assert_eq!(text.matches("  ✗ expect").count(), LIST_BOUND, "{text}");
        assert!(text.contains("  and 2 more failure(s)"), "{text}");
        assert!(text.contains("… (500 more characters)"), "{text}");
        assert!(!text.contains(&long), "{text}");

        let doc: serde_json::Value = serde_json::from_str(&json(&results)).expect("JSON");
        let run = &doc["scenarios"][0]["runs"][0];
        assert_eq!(run["verdicts"].as_array().map(Vec::len), Some(12));
        assert_eq!(run["findings"].as_array().map(Vec::len), Some(13));
        assert_eq!(run["findings"][0]["file"], "t.toml");
        assert_eq!(run["findings"][0]["location"]["line"], 2);
        // What was judged, as data beside the words.
        let v3 = &run["verdicts"][3];
        assert_eq!(v3["kind"], "expect");
        assert_eq!(
            v3["window"],
            serde_json::json!({ "from_ms": 0, "to_ms": 1_000 })
        );
        assert!(v3["at_ms"].is_null() && v3["miss"].is_null(), "{v3}");
        assert_eq!(v3["evidence"], serde_json::json!([3]));
        let detail = run["verdicts"][0]["detail"].as_str().unwrap_or_default();
        assert!(detail.ends_with("… (500 more characters)"), "{detail}");

        let xml = crate::report::junit::junit(&results);
        assert!(xml.contains("… (500 more characters)") && !xml.contains(&long));
    }
}
