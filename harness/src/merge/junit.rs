//! Merging JUnit XML (read and written by quick-junit): the test suites of one name become one
//! (in the order the files list them), their test cases ordered by the seed their name carries (`… [seed N]`, `seed N`), cases
//! without one first, each file's order kept otherwise; every count (`tests`, `failures`,
//! `errors`, `skipped`) is recomputed from the cases, suite and case times are summed. A case
//! without a seed that several shards repeat (a scenario that could not load, reported by each)
//! is kept once.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use quick_junit::{Report, TestCase, TestSuite};

use super::MergeError;

/// Merges the JUnit reports of the shards of one sweep (or run), each with its file.
///
/// # Errors
/// [`MergeError::Overlap`] when two files hold the same seeded case of the same suite.
pub fn merge(parts: &[(&Path, &Report)]) -> Result<Report, MergeError> {
    // Suites in the order the files list them (every shard lists its suites alike).
    let mut suites: Vec<(&str, Vec<(&Path, &TestSuite)>)> = Vec::new();
    for &(path, report) in parts {
        for suite in &report.test_suites {
            let name = suite.name.as_str();
            match suites.iter_mut().find(|(n, _)| *n == name) {
                Some((_, same)) => same.push((path, suite)),
                None => suites.push((name, vec![(path, suite)])),
            }
        }
    }
    let name = parts
        .iter()
        .find_map(|(_, r)| r.name.clone())
        .map_or_else(|| "hapair".to_string(), |n| n.as_str().to_string());
    let mut report = Report::new(name);
    for (_, same) in &suites {
        report.add_test_suite(merge_suite(same)?);
    }
    if let Some(time) = parts.iter().fold(None, |acc, (_, r)| sum(acc, r.time)) {
        report.set_time(time);
    }
    Ok(report)
}

/// One suite out of its parts (every one of the same name).
fn merge_suite(parts: &[(&Path, &TestSuite)]) -> Result<TestSuite, MergeError> {
    let Some((_, first)) = parts.first() else {
        return Ok(TestSuite::new("hapair"));
    };
    let mut cases: Vec<(Option<u64>, &TestCase, &Path)> = Vec::new();
    let mut seeded: BTreeMap<(String, String, u64), &Path> = BTreeMap::new();
    for &(path, suite) in parts {
        for case in &suite.test_cases {
            let seed = seed_of(case.name.as_str());
            let class = case
                .classname
                .as_ref()
                .map_or(String::new(), |c| c.as_str().to_string());
            match seed {
                Some(seed) => {
                    let key = (case.name.as_str().to_string(), class, seed);
                    if let Some(other) = seeded.insert(key, path) {
                        return Err(MergeError::Overlap {
                            what: format!(
                                "test case `{}` of suite `{}`",
                                case.name.as_str(),
                                suite.name.as_str()
                            ),
                            first_path: other.to_path_buf(),
                            second_path: path.to_path_buf(),
                        });
                    }
                }
                None if cases
                    .iter()
                    .any(|(s, c, _)| s.is_none() && same_case(c, case)) =>
                {
                    continue;
                }
                None => {}
            }
            cases.push((seed, case, path));
        }
    }
    cases.sort_by_key(|(seed, _, _)| *seed);
    let mut suite = TestSuite::new(first.name.clone());
    suite.timestamp = first.timestamp;
    suite.properties = first.properties.clone();
    suite.extra = first.extra.clone();
    suite.system_out = first.system_out.clone();
    suite.system_err = first.system_err.clone();
    suite.add_test_cases(cases.into_iter().map(|(_, c, _)| c.clone()));
    suite.time = parts.iter().fold(None, |acc, (_, s)| sum(acc, s.time));
    Ok(suite)
}

/// Whether two cases are one case reported twice (times aside).
fn same_case(a: &TestCase, b: &TestCase) -> bool {
    a.name == b.name && a.classname == b.classname && a.status == b.status
}

/// The seed a case's name carries: the number after its last `seed `.
pub fn seed_of(name: &str) -> Option<u64> {
    let (_, after) = name.rsplit_once("seed ")?;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Two optional times added (`None` only when both are).
fn sum(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.saturating_add(b)),
        (a, b) => a.or(b),
    }
}
