//! `hapair merge`: the files of the shards of one sweep (or one run) read back and joined into
//! the files one unsharded sweep would have written. It owns reading the shards' files (or the
//! `--out` folders holding them), telling their kinds apart, and the merge rules of each kind:
//! [`sweep`] (`hapair.sweep/1`), [`run`] (`hapair.run/1`), [`junit`] (JUnit XML).
//!
//! A merge refuses what would give a wrong answer: files of different sweeps (version, fault
//! set, intensity, range, format), a seed two shards both ran, and a range the shards given do
//! not cover (a missing shard is named, never merged around).

pub mod junit;
pub mod run;
pub mod sweep;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::sweep::Shard;
use crate::sweep::report::{FORMAT as SWEEP_FORMAT, SweepReport};

/// The files a shard's `--out` folder holds that `hapair merge` reads.
pub const SWEEP_FILE: &str = "sweep.json";
/// JUnit XML in a `--out` folder.
pub const JUNIT_FILE: &str = "junit.xml";
/// A scenario's `hapair.run/1` report, one folder below a `hapair run --out` folder.
pub const RUN_FILE: &str = "report.json";

/// Why shards could not be merged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// A file or folder could not be read.
    #[error("{}: {source}", path.display())]
    Unreadable {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is none of the kinds hapair merges.
    #[error("{}: {why}", path.display())]
    Unrecognised {
        /// The file.
        path: PathBuf,
        /// What it is not, or where it fails to parse.
        why: String,
    },
    /// Two files that cannot be of the same sweep (or run).
    #[error("{0}")]
    Mismatch(Box<Mismatch>),
    /// Two shards ran the same scenario under the same seed (or one shard was given twice).
    #[error(
        "{} and {} overlap: both hold {what}; were the same shard, or a shard and the whole range, given twice?",
        first_path.display(),
        second_path.display()
    )]
    Overlap {
        /// What both hold (`scenario x.toml, seed 7`, `shard 2/4`).
        what: String,
        /// The first file.
        first_path: PathBuf,
        /// The second.
        second_path: PathBuf,
    },
    /// The shards given do not cover the range: which shards, and which runs, are missing.
    #[error("{}", Gaps(.0))]
    Incomplete(Vec<Gap>),
    /// Nothing to merge.
    #[error("no files to merge: give the shards' sweep.json, junit.xml or their --out folders")]
    Empty,
}

impl MergeError {
    /// Whether the error says the shards given are not all of them (exit 1: the merge found a
    /// hole in the sweep), rather than that the input is wrong (exit 2).
    pub fn is_incomplete(&self) -> bool {
        matches!(self, MergeError::Incomplete(_))
    }
}

/// Two files that cannot be shards of one sweep (or run), and what differs.
#[derive(Debug)]
pub struct Mismatch {
    /// `sweep`, `run` or `report`.
    pub kind: &'static str,
    /// What differs (`version`, `faults`, `intensity`, `start`, `seeds`, `shard count`…).
    pub what: &'static str,
    /// The first file.
    pub first_path: PathBuf,
    /// Its value.
    pub first: String,
    /// The second file.
    pub second_path: PathBuf,
    /// Its value.
    pub second: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} and {} are not shards of one {}: {} differs ({} against {})",
            self.first_path.display(),
            self.second_path.display(),
            self.kind,
            self.what,
            self.first,
            self.second
        )
    }
}

/// A hole in the range the shards were to cover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gap {
    /// No file of this shard was given.
    Shard(Shard),
    /// A scenario lacks runs: its seeds, and the shard that should have run them.
    Runs {
        /// The scenario file.
        scenario: String,
        /// The shard that deals those seeds (`None`: an unsharded file).
        shard: Option<Shard>,
        /// The files of that shard, when it was given.
        file: Option<PathBuf>,
        /// How many seeds are missing.
        missing: u64,
        /// The first few of them.
        first: Vec<u64>,
    },
}

impl fmt::Display for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gap::Shard(s) => write!(f, "shard {s} is missing: no file of it was given"),
            Gap::Runs {
                scenario,
                shard,
                file,
                missing,
                first,
            } => {
                write!(f, "{scenario}: {missing} seed(s) not run")?;
                if !first.is_empty() {
                    let seeds: Vec<String> = first.iter().map(u64::to_string).collect();
                    let more = if *missing > first.len() as u64 {
                        ", …"
                    } else {
                        ""
                    };
                    write!(f, " ({}{more})", seeds.join(", "))?;
                }
                match (shard, file) {
                    (Some(s), Some(file)) => write!(
                        f,
                        "; shard {s} ({}) lacks them: was it run with other scenarios or another --filter?",
                        file.display()
                    ),
                    (Some(s), None) => write!(f, "; they are shard {s}'s"),
                    (None, _) => Ok(()),
                }
            }
        }
    }
}

/// The gaps, one line each.
struct Gaps<'a>(&'a [Gap]);

impl fmt::Display for Gaps<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the shards given do not cover the range (nothing was merged):")?;
        for gap in self.0 {
            write!(f, "\n  {gap}")?;
        }
        Ok(())
    }
}

/// How many missing seeds a [`Gap::Runs`] lists.
const GAP_LIST: usize = 5;

/// One file read back.
#[derive(Clone, Debug)]
pub enum Doc {
    /// A `hapair.sweep/1` report.
    Sweep(Box<SweepReport>),
    /// A `hapair.run/1` report (kept as JSON: its types only serialise).
    Run(serde_json::Value),
    /// JUnit XML.
    Junit(Box<quick_junit::Report>),
}

/// A file read back, with its path for messages.
#[derive(Clone, Debug)]
pub struct Input {
    /// Where it was read.
    pub path: PathBuf,
    /// What it holds.
    pub doc: Doc,
}

/// What a merge gives: the merged JSON (when JSON files were given) and JUnit (when JUnit
/// files were).
#[derive(Clone, Debug, Default)]
pub struct Merged {
    /// The merged JSON report.
    pub json: Option<Json>,
    /// The merged JUnit report.
    pub junit: Option<quick_junit::Report>,
}

/// A merged JSON report.
#[derive(Clone, Debug)]
pub enum Json {
    /// `hapair.sweep/1`.
    Sweep(Box<SweepReport>),
    /// `hapair.run/1`.
    Run(serde_json::Value),
}

impl Json {
    /// The document as text.
    pub fn render(&self) -> String {
        match self {
            // As `hapair sweep --out` writes it.
            Json::Sweep(r) => format!("{}\n", crate::report::json::to_string(r)),
            Json::Run(v) => crate::report::json::to_string(v),
        }
    }
}

/// Reads every file given, a folder standing for the files it holds ([`SWEEP_FILE`],
/// [`JUNIT_FILE`], and the [`RUN_FILE`] of each folder below it).
///
/// # Errors
/// [`MergeError`] for the first path that cannot be read or is not a file hapair merges, or
/// a folder holding none.
pub fn read(paths: &[PathBuf]) -> Result<Vec<Input>, MergeError> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let files = folder(path)?;
            if files.is_empty() {
                return Err(MergeError::Unrecognised {
                    path: path.clone(),
                    why: format!(
                        "the folder holds no {SWEEP_FILE}, {JUNIT_FILE} or */{RUN_FILE}: \
                         give the --out folder of a shard"
                    ),
                });
            }
            for file in files {
                out.push(read_file(&file)?);
            }
        } else {
            out.push(read_file(path)?);
        }
    }
    if out.is_empty() {
        return Err(MergeError::Empty);
    }
    Ok(out)
}

/// The files of a shard's `--out` folder that a merge reads, in a stable order.
fn folder(dir: &Path) -> Result<Vec<PathBuf>, MergeError> {
    let unreadable = |source| MergeError::Unreadable {
        path: dir.to_path_buf(),
        source,
    };
    let mut files: Vec<PathBuf> = [SWEEP_FILE, JUNIT_FILE]
        .iter()
        .map(|name| dir.join(name))
        .filter(|p| p.is_file())
        .collect();
    let mut below = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let report = entry.map_err(unreadable)?.path().join(RUN_FILE);
        if report.is_file() {
            below.push(report);
        }
    }
    below.sort();
    files.extend(below);
    Ok(files)
}

/// Reads one file and tells its kind by its content.
fn read_file(path: &Path) -> Result<Input, MergeError> {
    let text = std::fs::read_to_string(path).map_err(|source| MergeError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let unrecognised = |why: String| MergeError::Unrecognised {
        path: path.to_path_buf(),
        why,
    };
    let doc = if text.trim_start().starts_with('<') {
        let report = quick_junit::Report::deserialize_from_str(&text)
            .map_err(|e| unrecognised(format!("not JUnit XML hapair can read: {e}")))?;
        Doc::Junit(Box::new(report))
    } else {
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| unrecognised(format!("neither JSON nor XML (line {}: {e})", e.line())))?;
        if value.get("format").and_then(|f| f.as_str()) == Some(SWEEP_FORMAT) {
            let report: SweepReport = serde_json::from_value(value).map_err(|e| {
                unrecognised(format!("a {SWEEP_FORMAT} report hapair cannot read: {e}"))
            })?;
            Doc::Sweep(Box::new(report))
        } else if value.get("schema").and_then(|f| f.as_str()) == Some(crate::report::run::SCHEMA) {
            Doc::Run(value)
        } else {
            let named = value
                .get("format")
                .or_else(|| value.get("schema"))
                .and_then(|f| f.as_str())
                .map_or_else(
                    || "no format".to_string(),
                    |f| format!("`{}`", crate::limits::quoted(f)),
                );
            return Err(unrecognised(format!(
                "JSON of {named}: hapair merges {SWEEP_FORMAT} and {} reports",
                crate::report::run::SCHEMA
            )));
        }
    };
    Ok(Input {
        path: path.to_path_buf(),
        doc,
    })
}

/// Merges what was read: the JSON files into one (all of one kind), the JUnit files into one.
///
/// # Errors
/// [`MergeError`] when the files are not shards of one sweep (or run), overlap, or leave a
/// part of the range uncovered ([`MergeError::Incomplete`]).
pub fn merge(inputs: &[Input]) -> Result<Merged, MergeError> {
    let mut sweeps = Vec::new();
    let mut runs = Vec::new();
    let mut junits = Vec::new();
    for input in inputs {
        match &input.doc {
            Doc::Sweep(r) => sweeps.push((input.path.as_path(), r.as_ref())),
            Doc::Run(v) => runs.push((input.path.as_path(), v)),
            Doc::Junit(r) => junits.push((input.path.as_path(), r.as_ref())),
        }
    }
    if let (Some((sweep_path, _)), Some((run_path, _))) = (sweeps.first(), runs.first()) {
        return Err(MergeError::Mismatch(Box::new(Mismatch {
            kind: "report",
            what: "format",
            first_path: sweep_path.to_path_buf(),
            first: SWEEP_FORMAT.to_string(),
            second_path: run_path.to_path_buf(),
            second: crate::report::run::SCHEMA.to_string(),
        })));
    }
    let json = if !sweeps.is_empty() {
        Some(Json::Sweep(Box::new(sweep::merge(&sweeps)?)))
    } else if !runs.is_empty() {
        Some(Json::Run(run::merge(&runs)?))
    } else {
        None
    };
    let junit = if junits.is_empty() {
        None
    } else {
        Some(junit::merge(&junits)?)
    };
    Ok(Merged { json, junit })
}

/// The shards given against the `of` expected: an [`MergeError::Overlap`] for one given twice,
/// and a [`Gap::Shard`] for each one missing. `shards` pairs each shard with its file.
fn shard_gaps(of: u64, shards: &[(Shard, &Path)]) -> Result<Vec<Gap>, MergeError> {
    let mut seen: std::collections::BTreeMap<u64, &Path> = std::collections::BTreeMap::new();
    for (shard, path) in shards {
        if let Some(first) = seen.insert(shard.index, path) {
            return Err(MergeError::Overlap {
                what: format!("shard {shard}"),
                first_path: first.to_path_buf(),
                second_path: path.to_path_buf(),
            });
        }
    }
    Ok((1..=of)
        .filter(|index| !seen.contains_key(index))
        .map(|index| Gap::Shard(Shard { index, of }))
        .collect())
}

/// A scenario's path as the sort key of runs: the order `hapair sweep` and `hapair run` list
/// files in (paths sorted by component, as discovery sorts them).
fn scenario_key(scenario: &str) -> &Path {
    Path::new(scenario)
}

#[cfg(test)]
mod tests;
