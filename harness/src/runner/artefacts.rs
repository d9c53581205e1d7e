//! `hapair run --out DIR`: per scenario file a folder with `trace.jsonl` (one per seed when
//! several run), `report.json` and `tls-table.json`, and `junit.xml` and `report.html` for the
//! whole run (`hapair report DIR` renders the latter again from the folder). A
//! scenario whose topology has databases also keeps each run's IDBs there:
//! `seed-<N>/idb/<database key>.sqlite` ([`idb_dir`]), written while the run goes.
//!
//! The folder is checked before the batch runs ([`prepare`]): a place that cannot take the
//! artefacts is bad input, not a failure after the run.
//!
//! A folder is named after its file's stem (`DIR/switch-back/`). Files that share a stem
//! (`a/x.toml`, `b/x.toml`) are told apart by their paths below the folder they have in
//! common, `/` written `__` (`DIR/a__x/`, `DIR/b__x/`); a name still taken gets `-2`, `-3`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use crate::report::model;
use crate::report::run::{self, FileResult};

/// Checks, before anything runs, that `dir` is a folder hapair can write into (made if
/// missing).
///
/// # Errors
/// Why not: it is a file (`/dev/null`, say), or a place that cannot be written.
pub fn prepare(dir: &Path) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    if dir.exists() && !dir.is_dir() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "it exists and is not a folder",
        ));
    }
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(".hapair-write-test");
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(&probe)
}

/// Writes the artefacts of `results`, a run covering `range`, under `dir`, with each file's
/// TLS table from `tables` ([`model::tls_tables`]).
///
/// # Errors
/// The first file or folder that could not be written.
pub fn write(
    dir: &Path,
    results: &[FileResult],
    range: run::Range,
    tables: &[Option<String>],
) -> std::io::Result<()> {
    private_dir(dir)?;
    let paths: Vec<&Path> = results.iter().map(|f| f.path.as_path()).collect();
    for ((f, name), table) in results.iter().zip(folders(&paths)).zip(tables) {
        let base = dir.join(name);
        private_dir(&base)?;
        std::fs::write(base.join("report.json"), run::json_one(f, range))?;
        for r in &f.runs {
            let name = if f.runs.len() > 1 {
                format!("trace-seed-{}.jsonl", r.seed)
            } else {
                "trace.jsonl".to_string()
            };
            std::fs::write(base.join(name), r.trace.to_jsonl())?;
        }
        if let Some(text) = table {
            std::fs::write(base.join("tls-table.json"), text)?;
        }
    }
    let model = model::Model::of_results(results, range, tables);
    std::fs::write(dir.join("report.html"), crate::report::html::render(&model))?;
    let seeded = range.seeds.is_some_and(|n| n > 1);
    std::fs::write(
        dir.join("junit.xml"),
        crate::report::junit::junit_in(results, seeded),
    )
}

/// A folder of run artefacts, readable by its owner only (0700): traces name hosts, ports and
/// certificate subjects of the user's lab.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// The folder of the IDBs of the run of the scenario in `folder` (one of [`folders`]) under
/// `seed`.
pub fn idb_dir(folder: &Path, seed: u64) -> PathBuf {
    folder.join(format!("seed-{seed}")).join("idb")
}

fn stem(path: &Path) -> String {
    path.file_stem().map_or_else(
        || "scenario".to_string(),
        |s| s.to_string_lossy().into_owned(),
    )
}

/// The folder name of each path, unique among them (see the module's description).
pub fn folders(paths: &[&Path]) -> Vec<String> {
    let mut by_stem: BTreeMap<String, Vec<(usize, &Path)>> = BTreeMap::new();
    for (i, p) in paths.iter().enumerate() {
        by_stem.entry(stem(p)).or_default().push((i, p));
    }
    let mut names: Vec<String> = paths.iter().map(|p| stem(p)).collect();
    for group in by_stem.values().filter(|g| g.len() > 1) {
        let parts: Vec<Vec<String>> = group.iter().map(|(_, p)| words(p)).collect();
        let shortest = parts.iter().map(Vec::len).min().unwrap_or(0);
        let common = parts.first().map_or(0, |first| {
            first
                .iter()
                .take(shortest.saturating_sub(1))
                .enumerate()
                .take_while(|(k, w)| parts.iter().all(|p| p.get(*k) == Some(*w)))
                .count()
        });
        for ((i, _), p) in group.iter().zip(&parts) {
            if let (Some(name), Some(tail)) = (names.get_mut(*i), p.get(common..)) {
                *name = tail.join("__");
            }
        }
    }
    let mut taken = BTreeSet::new();
    names
        .into_iter()
        .map(|name| {
            std::iter::once(name.clone())
                .chain((2_usize..).map(|n| format!("{name}-{n}")))
                .find(|unique| taken.insert(unique.clone()))
                .unwrap_or(name)
        })
        .collect()
}

/// A path's folders and its file stem, as words for a folder name.
fn words(path: &Path) -> Vec<String> {
    let mut out: Vec<String> = path
        .parent()
        .unwrap_or_else(|| Path::new(""))
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_string()),
            _ => None,
        })
        .collect();
    out.push(stem(path));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn names(paths: &[&str]) -> Vec<String> {
        let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        folders(&refs)
    }

    #[test]
    fn folders_are_stems_unless_two_files_share_one() {
        assert_eq!(names(&["s/one.toml", "s/two.toml"]), ["one", "two"]);
        assert_eq!(
            names(&["/tmp/s/a/x.toml", "/tmp/s/b/x.toml", "/tmp/s/y.toml"]),
            ["a__x", "b__x", "y"]
        );
        assert_eq!(
            names(&["s/x.toml", "s/deep/er/x.toml"]),
            ["x", "deep__er__x"]
        );
        // A stem that looks like a derived name still gets a folder of its own.
        assert_eq!(
            names(&["s/a/x.toml", "s/b/x.toml", "s/a__x.toml"]),
            ["a__x", "b__x", "a__x-2"]
        );
    }
}
