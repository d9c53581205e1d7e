//! Renderers of a [`SweepReport`]: the summary for people ([`human`]: failing seeds grouped
//! by signature, totals, coverage, the determinism check) and JUnit XML ([`junit`]: a test
//! case per scenario and seed). No judging here: the report says it all.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::coverage::never_exercised;
use super::report::{SeedRun, SweepReport};
use super::{FaultKind, Signature};
use crate::report::junit::xml_text;

/// How many seeds a group lists before it says how many more.
const SEEDS_SHOWN: usize = 8;

/// The failing runs of `report` grouped by signature, groups in signature order, runs in
/// report order.
pub fn groups(report: &SweepReport) -> BTreeMap<&Signature, Vec<&SeedRun>> {
    let mut out: BTreeMap<&Signature, Vec<&SeedRun>> = BTreeMap::new();
    for r in &report.runs {
        if let Some(sig) = r.signature.as_ref().filter(|_| !r.passed) {
            out.entry(sig).or_default().push(r);
        }
    }
    out
}

/// Whether every run held and every seed checked twice gave the same trace.
pub fn held(report: &SweepReport) -> bool {
    report.runs.iter().all(|r| r.passed) && report.determinism.iter().all(|d| d.same)
}

/// The summary for people.
pub fn human(report: &SweepReport, colour: bool) -> String {
    let (red, green, off) = if colour {
        ("\u{1b}[31m", "\u{1b}[32m", "\u{1b}[0m")
    } else {
        ("", "", "")
    };
    let mut out = String::new();
    let groups = groups(report);
    for (sig, runs) in &groups {
        let _ = writeln!(out, "{red}FAILED{off} {} run(s): {sig}", runs.len());
        let mut by_file: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        for r in runs {
            by_file.entry(&r.scenario).or_default().push(r.seed);
        }
        for (file, seeds) in by_file {
            let shown: Vec<String> = seeds.iter().take(SEEDS_SHOWN).map(u64::to_string).collect();
            let more = seeds.len().saturating_sub(SEEDS_SHOWN);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {file}: seed {}{more}", shown.join(", "));
        }
        if let Some(first) = runs.first() {
            if let Some(e) = &first.error {
                let _ = writeln!(out, "  error of seed {}: {e}", first.seed);
            }
            let _ = writeln!(out, "  schedule of seed {}:", first.seed);
            for line in &first.schedule {
                let _ = writeln!(out, "    {line}");
            }
            let _ = writeln!(out, "  replay: {}", first.replay);
            if let Some(shrunk) = &first.shrunk {
                let _ = writeln!(out, "  shrunk: {shrunk}");
            }
        }
        out.push('\n');
    }
    for d in report.determinism.iter().filter(|d| !d.same) {
        let _ = writeln!(
            out,
            "{red}NOT DETERMINISTIC{off} {} seed {}: {}",
            d.scenario,
            d.seed,
            d.first_difference.as_deref().unwrap_or("")
        );
    }
    coverage(&mut out, report);
    let failed = report.runs.iter().filter(|r| !r.passed).count();
    let files = report
        .runs
        .iter()
        .map(|r| r.scenario.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let verdict = if held(report) {
        format!("{green}held{off}")
    } else {
        format!("{red}failed{off}")
    };
    let shard = report
        .shard
        .map(|s| format!(" (shard {}/{})", s.index, s.of))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "sweep {verdict}: {} run(s) of {files} scenario(s), seeds {} to {}{shard}, {failed} failed \
         in {} signature(s); {:.1} s, {:.1} seeds/s on {} job(s)",
        report.runs.len(),
        report.start,
        report.start.saturating_add(report.seeds.saturating_sub(1)),
        groups.len(),
        report.timing.wall_secs,
        report.timing.seeds_per_sec,
        report.timing.jobs,
    );
    out
}

/// The coverage lines of the summary.
fn coverage(out: &mut String, report: &SweepReport) {
    let c = &report.coverage;
    let _ = writeln!(out, "coverage over {} run(s):", c.runs);
    let faults: Vec<String> = FaultKind::ALL
        .iter()
        .filter(|k| report.faults.contains(k))
        .map(|k| {
            let fired = c.fired.get(k.name()).copied().unwrap_or(0);
            match k {
                // Their effect is not observable as such: no took-effect count.
                FaultKind::Latency | FaultKind::Loss | FaultKind::ClockSkew | FaultKind::Rotate => {
                    format!("{k} {fired}")
                }
                _ => format!(
                    "{k} {fired}/{}",
                    c.effective.get(k.name()).copied().unwrap_or(0)
                ),
            }
        })
        .collect();
    let _ = writeln!(out, "  faults fired (/took effect): {}", faults.join(", "));
    let counted = |m: &BTreeMap<String, u64>| {
        if m.is_empty() {
            "none".to_string()
        } else {
            m.iter()
                .map(|(k, n)| format!("{k} ({n})"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let _ = writeln!(out, "  failure classes reached: {}", counted(&c.classes));
    let _ = writeln!(out, "  rules reached: {}", counted(&c.rules));
    let never = never_exercised(c);
    let _ = writeln!(
        out,
        "  expectations and invariants: {} judged, {} exercised at least once",
        c.judged.len(),
        c.judged.len().saturating_sub(never.len())
    );
    for (what, judged) in never {
        let _ = writeln!(out, "    never exercised in {judged} run(s): {what}");
    }
    if !report.determinism.is_empty() {
        let same = report.determinism.iter().filter(|d| d.same).count();
        let _ = writeln!(
            out,
            "  determinism: {} seed(s) run twice, {same} gave the same trace",
            report.determinism.len()
        );
    }
}

/// JUnit XML: a test suite per scenario file, a test case per seed; a failure carries the
/// signature, the schedule and the replay command.
pub fn junit(report: &SweepReport) -> String {
    let mut junit = Report::new("hapair sweep");
    let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
    for r in &report.runs {
        let suite = suites
            .entry(&r.scenario)
            .or_insert_with(|| TestSuite::new(xml_text(&r.scenario)));
        let status = if r.passed {
            TestCaseStatus::success()
        } else {
            let kind = if r.error.is_some() {
                NonSuccessKind::Error
            } else {
                NonSuccessKind::Failure
            };
            let mut s = TestCaseStatus::non_success(kind);
            let sig = r
                .signature
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            s.set_message(xml_text(&crate::report::clip(&sig)));
            s.set_description(xml_text(&format!(
                "{}\nschedule:\n{}\nreplay: {}",
                crate::report::clip(&sig),
                r.schedule.join("\n"),
                r.replay
            )));
            s
        };
        let mut case = TestCase::new(xml_text(&format!("{} [seed {}]", r.name, r.seed)), status);
        case.set_classname(xml_text(&format!("{}.sweep", r.name)));
        suite.add_test_case(case);
    }
    for d in report.determinism.iter().filter(|d| !d.same) {
        let suite = suites
            .entry(&d.scenario)
            .or_insert_with(|| TestSuite::new(xml_text(&d.scenario)));
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        s.set_message(xml_text(&crate::report::clip(
            d.first_difference.as_deref().unwrap_or(""),
        )));
        suite.add_test_case(TestCase::new(
            xml_text(&format!("determinism [seed {}]", d.seed)),
            s,
        ));
    }
    for (_, suite) in suites {
        junit.add_test_suite(suite);
    }
    junit
        .to_string()
        .unwrap_or_else(|e| format!("<!-- junit serialisation failed: {e} -->"))
}
