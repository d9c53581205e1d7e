//! Merging `hapair.run/1` reports of `hapair run --shard I/N` (the whole document, or the
//! per-scenario `report.json` files of `--out`): every part must come from the same hapair
//! version, seed count and shard count; the scenarios are joined by path and sorted as
//! discovery sorts them, their runs sorted by seed, each seed once; `passed` is recomputed.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::{Gap, MergeError, Mismatch, scenario_key};
use crate::sweep::Shard;

/// One scenario file's entries gathered over the parts.
struct Scenario<'p> {
    /// Its entry in the first part that has it (path, name, error).
    first: &'p Value,
    /// Its runs, by seed, with the part each came from.
    runs: BTreeMap<u64, (&'p Value, &'p Path)>,
    /// Its error in any part, if one had one.
    error: Option<&'p Value>,
}

/// Merges the `hapair.run/1` documents of the shards of one run, each with its file.
///
/// # Errors
/// [`MergeError::Mismatch`] for documents of different runs, [`MergeError::Overlap`] for a
/// scenario's seed held twice, [`MergeError::Incomplete`] for a shard not given or a scenario
/// short of runs, [`MergeError::Empty`] for none.
pub fn merge(parts: &[(&Path, &Value)]) -> Result<Value, MergeError> {
    let Some(&(first_path, first)) = parts.first() else {
        return Err(MergeError::Empty);
    };
    for &(path, doc) in parts.iter().skip(1) {
        for (what, field) in [("version", "version"), ("seeds", "seeds")] {
            same(what, (first_path, first.get(field)), (path, doc.get(field)))?;
        }
        let of = |d: &Value| shard(d).map(|s| s.of);
        if of(first) != of(doc) {
            let count =
                |d: &Value| of(d).map_or("unsharded".to_string(), |n| format!("{n} shards"));
            return Err(mismatch(
                "shard count",
                (first_path, count(first)),
                (path, count(doc)),
            ));
        }
    }
    let mut gaps: Vec<Gap> = match shard(first) {
        Some(Shard { of, .. }) => (1..=of)
            .filter(|&index| {
                !parts
                    .iter()
                    .any(|(_, d)| shard(d).map(|s| s.index) == Some(index))
            })
            .map(|index| Gap::Shard(Shard { index, of }))
            .collect(),
        None => Vec::new(),
    };
    let scenarios = gather(parts)?;
    let seeds = first.get("seeds").and_then(Value::as_u64);
    if gaps.is_empty() {
        if let Some(seeds) = seeds {
            for (path, s) in &scenarios {
                let have = s.runs.len() as u64;
                if s.error.is_none() && have < seeds {
                    gaps.push(Gap::Runs {
                        scenario: path.display().to_string(),
                        shard: None,
                        file: None,
                        missing: seeds.saturating_sub(have),
                        first: Vec::new(),
                    });
                }
            }
        }
    }
    if !gaps.is_empty() {
        return Err(MergeError::Incomplete(gaps));
    }
    let files: Vec<Value> = scenarios.values().map(file).collect();
    let passed = files
        .iter()
        .all(|f| f.get("passed") == Some(&Value::Bool(true)));
    let mut doc = Map::new();
    doc.insert("schema".into(), Value::from(crate::report::run::SCHEMA));
    doc.insert(
        "version".into(),
        first.get("version").cloned().unwrap_or(Value::Null),
    );
    doc.insert("passed".into(), Value::Bool(passed));
    doc.insert("seeds".into(), seeds.map_or(Value::Null, Value::from));
    doc.insert("shard".into(), Value::Null);
    doc.insert("scenarios".into(), Value::Array(files));
    Ok(Value::Object(doc))
}

/// A document's shard, when it names one.
fn shard(doc: &Value) -> Option<Shard> {
    serde_json::from_value(doc.get("shard")?.clone()).ok()
}

/// Every scenario of every part, by path, refusing a seed two parts both ran.
fn gather<'p>(
    parts: &[(&'p Path, &'p Value)],
) -> Result<BTreeMap<&'p Path, Scenario<'p>>, MergeError> {
    let mut out: BTreeMap<&'p Path, Scenario<'p>> = BTreeMap::new();
    for &(path, doc) in parts {
        let files = doc.get("scenarios").and_then(Value::as_array);
        for f in files.into_iter().flatten() {
            let name = f.get("path").and_then(Value::as_str).unwrap_or_default();
            let entry = out.entry(scenario_key(name)).or_insert(Scenario {
                first: f,
                runs: BTreeMap::new(),
                error: None,
            });
            if let Some(error) = f.get("error").filter(|e| !e.is_null()) {
                entry.error.get_or_insert(error);
            }
            for run in f
                .get("runs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let seed = run.get("seed").and_then(Value::as_u64).unwrap_or_default();
                if let Some((_, other)) = entry.runs.insert(seed, (run, path)) {
                    return Err(MergeError::Overlap {
                        what: format!("scenario {name}, seed {seed}"),
                        first_path: other.to_path_buf(),
                        second_path: path.to_path_buf(),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// A scenario's merged entry: its runs in seed order, `passed` recomputed.
fn file(s: &Scenario<'_>) -> Value {
    let runs: Vec<Value> = s.runs.values().map(|(r, _)| (*r).clone()).collect();
    let passed = s.error.is_none()
        && runs
            .iter()
            .all(|r| r.get("passed") == Some(&Value::Bool(true)));
    let mut f = s.first.as_object().cloned().unwrap_or_default();
    f.insert("passed".into(), Value::Bool(passed));
    f.insert("error".into(), s.error.cloned().unwrap_or(Value::Null));
    f.insert("runs".into(), Value::Array(runs));
    Value::Object(f)
}

/// Refuses two values of `what` that differ.
fn same(
    what: &'static str,
    a: (&Path, Option<&Value>),
    b: (&Path, Option<&Value>),
) -> Result<(), MergeError> {
    if a.1 == b.1 {
        return Ok(());
    }
    let text = |v: Option<&Value>| v.map_or("none".to_string(), Value::to_string);
    Err(mismatch(what, (a.0, text(a.1)), (b.0, text(b.1))))
}

fn mismatch(what: &'static str, a: (&Path, String), b: (&Path, String)) -> MergeError {
    MergeError::Mismatch(Box::new(Mismatch {
        kind: "run",
        what,
        first_path: a.0.to_path_buf(),
        first: a.1,
        second_path: b.0.to_path_buf(),
        second: b.1,
    }))
}
