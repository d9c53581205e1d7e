//! JUnit XML of `hapair run`: a testsuite per scenario file, a testcase per expectation and
//! invariant (per seed when several run). Always well-formed XML 1.0: characters XML cannot
//! carry (control characters or U+FFFE in a scenario's name, say) and terminal colour codes
//! are left out (quick-junit strips C0 controls and ANSI escapes, but not U+FFFE or U+FFFF),
//! and failure messages are clipped like every other report's details.

use std::borrow::Cow;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::clip;
use super::run::{FileResult, replay};

/// Whether XML 1.0 can carry `c` at all (even escaped: `&#1;` is not well-formed either).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        || c >= '\u{10000}'
}

/// `text` without the characters XML 1.0 cannot carry, and without terminal colour codes
/// (`ESC [ … m` and the other CSI sequences), whose escape character XML cannot carry either.
pub fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            // Parameters and intermediates run up to a final byte in @..~.
            for d in chars.by_ref() {
                if ('\u{40}'..='\u{7e}').contains(&d) && d != '[' {
                    break;
                }
            }
        } else if xml_char(c) {
            out.push(c);
        }
    }
    out
}

/// [`xml_text`] of a detail clipped by [`clip`].
fn xml_detail(text: &str) -> String {
    xml_text(&clip(text))
}

/// JUnit XML of a run. A test case names its seed (`… [seed N]`) when its file ran more than
/// one.
pub fn junit(results: &[FileResult]) -> String {
    junit_in(results, false)
}

/// [`junit`], every test case naming its seed when `seeded` (a run of several seeds: each
/// shard of it names its seeds alike, even a shard that ran one, so their files merge).
pub fn junit_in(results: &[FileResult], seeded: bool) -> String {
    let mut report = Report::new("hapair");
    for f in results {
        let mut suite = TestSuite::new(xml_text(&f.path.display().to_string()));
        if let Some((error, _)) = &f.error {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(xml_detail(error));
            suite.add_test_case(TestCase::new(
                xml_text(&format!("{}: load", f.name)),
                status,
            ));
        }
        for run in &f.runs {
            for v in &run.verdicts {
                let name: Cow<'_, str> = if seeded || f.runs.len() > 1 {
                    Cow::Owned(format!("{} [seed {}]", v.what, run.seed))
                } else {
                    Cow::Borrowed(&v.what)
                };
                let status = if v.held {
                    TestCaseStatus::success()
                } else {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(xml_detail(&v.detail));
                    s.set_description(xml_text(&format!(
                        "{}\nreplay: {}",
                        clip(&v.detail),
                        replay(&f.path, run.seed)
                    )));
                    s
                };
                let mut case = TestCase::new(xml_detail(&name), status);
                case.set_classname(xml_text(&format!("{}.{}", f.name, v.kind)));
                suite.add_test_case(case);
            }
        }
        report.add_test_suite(suite);
    }
    report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- junit serialisation failed: {e} -->"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_xml_cannot_carry_are_left_out() {
        // Control characters and colour codes go; tab and newline stay.
        assert_eq!(xml_text("a\u{1}b\u{1b}[31mc\td\n"), "abc\td\n");
        assert_eq!(xml_text("\u{fffe}\u{ffff}é😀"), "é😀");
    }
}
