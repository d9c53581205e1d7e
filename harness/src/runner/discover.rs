//! Finding the scenario files to run: every `.toml` under the folders given, outside folders
//! named `topologies` (they hold the topologies scenarios refer to) and folders that hold a
//! rehearsal example (`from.toml` and `to.toml`, the topologies `hapair rehearse` compares),
//! plus the files given by name. The one copy of this walk: `hapair run` and the test suites use it alike.

use std::path::{Path, PathBuf};

/// Why the paths given could not be turned into a list of scenario files.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// A path given does not exist.
    #[error("{}: no such file or folder", .0.display())]
    Missing(PathBuf),
    /// A folder given, or one below it, could not be read.
    #[error("{}: {source}", path.display())]
    Unreadable {
        /// The path as given (the folder the walk started from).
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Every scenario file under `paths`, sorted, each once: a file given by name is taken as it
/// is; a folder gives every `.toml` below it outside `topologies/` folders.
///
/// Symbolic links to folders are not followed (a link loop would never end); links to files
/// are taken.
///
/// # Errors
/// [`DiscoverError`] for the first path that does not exist or cannot be read.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, DiscoverError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out).map_err(|source| DiscoverError::Unreadable {
                path: p.clone(),
                source,
            })?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(DiscoverError::Missing(p.clone()));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The files whose path contains `text` (all of them without one): `hapair run --filter`.
pub fn matching(files: Vec<PathBuf>, text: Option<&str>) -> Vec<PathBuf> {
    match text {
        None => files,
        Some(text) => files
            .into_iter()
            .filter(|f| f.display().to_string().contains(text))
            .collect(),
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_symlink() && path.is_dir() {
            continue;
        }
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "topologies") && !is_rehearsal(&path) {
                walk(&path, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Whether a folder is a rehearsal example of `hapair rehearse` (a `from.toml` and a
/// `to.toml`: two topologies, not scenarios), which `hapair run` leaves alone.
fn is_rehearsal(dir: &Path) -> bool {
    dir.join("from.toml").is_file() && dir.join("to.toml").is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder under the system's temporary folder.
    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("hapair-discover-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch folder");
        dir
    }

    #[test]
    fn folders_give_their_toml_files_outside_topologies_and_links_to_folders() {
        let dir = scratch("walk");
        for f in [
            "b.toml",
            "a.toml",
            "notes.md",
            "deep/c.toml",
            "topologies/t.toml",
            "rehearse/x/from.toml",
            "rehearse/x/to.toml",
        ] {
            let path = dir.join(f);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
            std::fs::write(&path, "").expect("file");
        }
        // A link back to the folder itself: followed, the walk would never end.
        std::os::unix::fs::symlink(&dir, dir.join("deep/loop")).expect("symlink");
        std::os::unix::fs::symlink(dir.join("a.toml"), dir.join("deep/link.toml"))
            .expect("symlink");
        let found = discover(&[dir.clone(), dir.join("a.toml")]).expect("discovers");
        let names: Vec<String> = found
            .iter()
            .map(|p| p.strip_prefix(&dir).expect("below").display().to_string())
            .collect();
        assert_eq!(names, ["a.toml", "b.toml", "deep/c.toml", "deep/link.toml"]);
        let only = matching(found, Some("deep"));
        assert_eq!(only.len(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_path_is_named() {
        let dir = scratch("missing");
        let gone = dir.join("gone.toml");
        let e = discover(&[dir.clone(), gone.clone()]).expect_err("missing");
        assert!(matches!(&e, DiscoverError::Missing(p) if *p == gone), "{e}");
        assert!(e.to_string().ends_with("gone.toml: no such file or folder"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
