//! The data the HTML and Markdown reports render: a run's `hapair.run/1` document, each run's
//! trace and each scenario's TLS table. Built from what a run has in memory
//! ([`Model::of_results`]) by going through the very JSON `--out` writes, or read back from an
//! `--out` folder ([`Model::read`], `hapair report DIR`), so that both render alike.
//!
//! It renders nothing and judges nothing: the verdicts are the run's.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::run::{self, FileResult};
use crate::trace::{Event, Trace};

/// Why an `--out` folder could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A `report.json` is not a `hapair.run/1` document.
    #[error("{path}: not a hapair.run/1 report: {detail}")]
    Report {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        detail: String,
    },
    /// A trace has a line that is not an event.
    #[error("{path}:{line}: not a trace event: {detail}")]
    Trace {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// What the parser said.
        detail: String,
    },
    /// The folder holds no scenario folder with a `report.json`.
    #[error("{path}: no scenario folder with a report.json (the folder of `hapair run --out`)")]
    Empty {
        /// The folder.
        path: PathBuf,
    },
}

/// Everything a report shows, scenario by scenario.
#[derive(Debug, Default)]
pub struct Model {
    /// Scenario files, in run order.
    pub scenarios: Vec<Scenario>,
}

/// One scenario file of a run.
#[derive(Debug, Deserialize)]
pub struct Scenario {
    /// The file, as the run named it.
    pub path: String,
    /// The scenario's name.
    pub name: String,
    /// Whether every run passed.
    pub passed: bool,
    /// Why it could not run.
    pub error: Option<String>,
    /// Its runs, one per seed.
    pub runs: Vec<Run>,
    /// The effective TLS table (`hapair.tls-table/1`), when the scenario loads.
    #[serde(skip)]
    pub tls: Option<serde_json::Value>,
}

/// One seed of a scenario.
#[derive(Debug, Deserialize)]
pub struct Run {
    /// The seed.
    pub seed: u64,
    /// Whether every verdict held.
    pub passed: bool,
    /// Wall-clock ms the run took (volatile).
    pub wall_ms: u64,
    /// TLS handshakes completed.
    pub handshakes: u64,
    /// The trace's digest.
    pub trace_digest: String,
    /// The command that replays it.
    pub replay: String,
    /// Verdicts on expectations and invariants.
    pub verdicts: Vec<Verdict>,
    /// The topology's static findings.
    pub findings: Vec<Finding>,
    /// The trace (empty when its file is missing).
    #[serde(skip)]
    pub events: Vec<Event>,
}

/// A verdict as `hapair.run/1` states it.
#[derive(Debug, Deserialize)]
pub struct Verdict {
    /// `expect` or `invariant`.
    pub kind: String,
    /// What was checked.
    pub what: String,
    /// Whether it held.
    pub held: bool,
    /// What the trace shows.
    pub detail: String,
    /// The scenario file's line of an expectation.
    pub line: Option<usize>,
    /// The instant judged.
    pub at_ms: Option<u64>,
    /// The window judged.
    pub window: Option<Window>,
    /// The nearest miss of a failure: `at_ms` and how it differs.
    pub miss: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Verdict {
    /// The window judged: a window, an instant (one ms), or none.
    pub fn span(&self) -> Option<(u64, u64)> {
        match (&self.window, self.at_ms) {
            (Some(w), _) => Some((w.from_ms, w.to_ms)),
            (None, Some(t)) => Some((t, t)),
            (None, None) => None,
        }
    }

    /// The instant of the nearest miss, when there is one.
    pub fn miss_at(&self) -> Option<u64> {
        self.miss.as_ref()?.get("at_ms")?.as_u64()
    }

    /// The nearest miss in words: `at N ms: key value, …`.
    pub fn miss_text(&self) -> Option<String> {
        let m = self.miss.as_ref()?;
        let at = m.get("at_ms").and_then(serde_json::Value::as_u64);
        let rest: Vec<String> = m
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "at_ms" | "events"))
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k} {s}"),
                other => format!("{k} {other}"),
            })
            .collect();
        Some(match at {
            Some(t) => format!("at {t} ms: {}", rest.join(", ")),
            None => rest.join(", "),
        })
    }
}

/// A judged window, ends included.
#[derive(Debug, Deserialize)]
pub struct Window {
    /// Start (virtual ms).
    pub from_ms: u64,
    /// End (virtual ms).
    pub to_ms: u64,
}

/// A static finding.
#[derive(Debug, Deserialize)]
pub struct Finding {
    /// Rule ID.
    pub rule: String,
    /// `error`, `warning` or `info`.
    pub severity: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// The file it lies in.
    pub file: String,
}

#[derive(Deserialize)]
struct Doc {
    schema: String,
    scenarios: Vec<Scenario>,
}

fn parse_doc(text: &str, path: &Path) -> Result<Vec<Scenario>, ModelError> {
    let bad = |detail: String| ModelError::Report {
        path: path.to_path_buf(),
        detail,
    };
    let doc: Doc = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    if doc.schema != run::SCHEMA {
        return Err(bad(format!("schema is {:?}", doc.schema)));
    }
    Ok(doc.scenarios)
}

impl Model {
    /// The model of a run's results, through the `report.json` each scenario's `--out` folder
    /// gets, with the traces in memory and each file's TLS table from `tables` (one per file,
    /// from [`tls_tables`]).
    pub fn of_results(
        results: &[FileResult],
        range: run::Range,
        tables: &[Option<String>],
    ) -> Model {
        let mut scenarios = Vec::new();
        for (i, f) in results.iter().enumerate() {
            let text = run::json_one(f, range);
            // The document is ours; a scenario that does not parse back is left out rather
            // than failing the run's report.
            let Ok(parsed) = parse_doc(&text, &f.path) else {
                continue;
            };
            for mut s in parsed {
                for (run, outcome) in s.runs.iter_mut().zip(&f.runs) {
                    run.events = outcome.trace.events.clone();
                }
                s.tls = tables
                    .get(i)
                    .and_then(Option::as_deref)
                    .and_then(|t| serde_json::from_str(t).ok());
                scenarios.push(s);
            }
        }
        Model::sorted(scenarios)
    }

    /// Scenarios in path order, the one order both a run and its folder can give (a folder
    /// is named after its file's stem, which does not sort as the paths do).
    fn sorted(mut scenarios: Vec<Scenario>) -> Model {
        scenarios.sort_by(|a, b| a.path.cmp(&b.path));
        Model { scenarios }
    }

    /// Reads back an `--out` folder: each sub-folder with a `report.json`, its traces
    /// (`trace.jsonl`, or `trace-seed-N.jsonl` per seed) and `tls-table.json`.
    ///
    /// # Errors
    /// A file that cannot be read or parsed, or a folder with no scenario in it.
    pub fn read(dir: &Path) -> Result<Model, ModelError> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| ModelError::Read {
                path: path.to_path_buf(),
                source,
            })
        };
        let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|source| ModelError::Read {
                path: dir.to_path_buf(),
                source,
            })?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("report.json").is_file())
            .collect();
        folders.sort();
        let mut scenarios = Vec::new();
        for folder in folders {
            let report = folder.join("report.json");
            for mut s in parse_doc(&read(&report)?, &report)? {
                let single = s.runs.len() == 1;
                for r in &mut s.runs {
                    let name = if single {
                        "trace.jsonl".to_string()
                    } else {
                        format!("trace-seed-{}.jsonl", r.seed)
                    };
                    let path = folder.join(name);
                    if path.is_file() {
                        r.events = Trace::from_jsonl(&read(&path)?)
                            .map_err(|(line, e)| ModelError::Trace {
                                path: path.clone(),
                                line,
                                detail: e.to_string(),
                            })?
                            .events;
                    }
                }
                let table = folder.join("tls-table.json");
                if table.is_file() {
                    s.tls = serde_json::from_str(&read(&table)?).ok();
                }
                scenarios.push(s);
            }
        }
        if scenarios.is_empty() {
            return Err(ModelError::Empty {
                path: dir.to_path_buf(),
            });
        }
        Ok(Model::sorted(scenarios))
    }

    /// Every run of every scenario, with its scenario.
    pub fn runs(&self) -> impl Iterator<Item = (&Scenario, &Run)> {
        self.scenarios
            .iter()
            .flat_map(|s| s.runs.iter().map(move |r| (s, r)))
    }
}

/// Each file's effective TLS table as `tls-table.json` holds it (an `{"error": …}` object when
/// its material cannot be made), or none when the scenario does not load. Generated
/// certificates are made anew by each call: every view of one run (the page, the folder) must
/// come from one call, or their serials and fingerprints differ.
pub fn tls_tables(results: &[FileResult]) -> Vec<Option<String>> {
    results
        .iter()
        .map(|f| {
            let s = crate::scenario::load(&f.path).ok()?;
            Some(
                super::table::render(&s.topology, s.clock, super::table::json)
                    .unwrap_or_else(|e| format!("{{\"error\": {:?}}}\n", e.to_string())),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(report: &str, trace: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = dir.path().join("s");
        std::fs::create_dir(&s).expect("mkdir");
        std::fs::write(s.join("report.json"), report).expect("write");
        std::fs::write(s.join("trace.jsonl"), trace).expect("write");
        dir
    }

    const RUN: &str = r#"{"schema": "hapair.run/1", "scenarios": [{"path": "s.toml",
        "name": "s", "passed": true, "error": null, "runs": [{"seed": 1, "passed": true,
        "wall_ms": 3, "handshakes": 0, "trace_digest": "d", "replay": "r",
        "verdicts": [], "findings": []}]}]}"#;

    #[test]
    fn a_folder_reads_back_or_says_which_file_is_wrong() {
        let good = folder(
            RUN,
            "{\"at_ms\": 5, \"node\": \"a\", \"event\": \"store-cleared\"}\n",
        );
        let m = Model::read(good.path()).expect("reads");
        let runs: Vec<_> = m.runs().collect();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs.first().map(|(_, r)| r.events.len()), Some(1));

        let other = folder(&RUN.replace("hapair.run/1", "hapair.sweep/1"), "");
        let e = Model::read(other.path()).err().map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|e| e.contains("schema is \"hapair.sweep/1\"")),
            "{e:?}"
        );

        let bad = folder(RUN, "\n{\"at_ms\": 1}\n");
        let e = Model::read(bad.path()).err().map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|e| e.contains("trace.jsonl:2: not a trace event")),
            "{e:?}"
        );

        let empty = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            Model::read(empty.path()),
            Err(ModelError::Empty { .. })
        ));
    }
}
