//! The shrunk reproduction as a standalone scenario file: [`crate::scenario::to_toml`] of the
//! reduced scenario, its topology path made relative to where the file is written, and a
//! header saying where it came from. Before it is written, the text is loaded back and run:
//! the file is only worth handing over if it fails with the same signature, and [`Written`]
//! says whether it does.

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use super::{ShrinkError, Shrunk, signature_of};
use crate::diag::Source;
use crate::sweep::Signature;

/// A reproduction written to disk.
#[derive(Debug)]
pub struct Written {
    /// Where.
    pub path: PathBuf,
    /// The command that replays it.
    pub replay: String,
    /// What running the written file gives: the shrunk signature when it reproduces.
    pub replays_as: Option<Signature>,
    /// Why the written text could not be loaded back, if it could not.
    pub load_error: Option<String>,
}

impl Written {
    /// Whether running the written file fails with the shrunk signature.
    pub fn reproduces(&self, want: &Signature) -> bool {
        self.load_error.is_none() && self.replays_as.as_ref() == Some(want)
    }
}

/// Writes `shrunk` (shrunk from the scenario file `origin`) to `path`, after loading the text
/// back and running it.
///
/// # Errors
/// [`ShrinkError::Write`] when the scenario has no file form; [`ShrinkError::Io`] when the
/// file or its folder cannot be written.
pub fn write(
    shrunk: &Shrunk,
    origin: &Path,
    path: &Path,
    wall_limit: std::time::Duration,
) -> Result<Written, ShrinkError> {
    let io = |source| ShrinkError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut body = crate::scenario::to_toml(&shrunk.scenario)?;
    if let Some(topology) = &shrunk.scenario.topology_path {
        body = with_topology(&body, &relative(dir, topology))?;
    }
    let replay = format!("hapair run {}", path.display());
    let (replays_as, load_error) = replay_text(&body, path, shrunk.seed, wall_limit);
    let written = Written {
        path: path.to_path_buf(),
        replay,
        replays_as,
        load_error,
    };
    let text = format!("{}{body}", header(shrunk, origin, &written));
    std::fs::write(path, text).map_err(io)?;
    Ok(written)
}

/// The header comment: origin, seed, signature, runs, and the replay command.
fn header(shrunk: &Shrunk, origin: &Path, written: &Written) -> String {
    let mut h = String::new();
    let steps = shrunk.scenario.steps.len();
    let _ = writeln!(
        h,
        "# Shrunk by hapair from {}, seed {}: {} steps (its own and the sweep's drawn faults)",
        origin.display(),
        shrunk.seed,
        shrunk.steps_before,
    );
    let _ = writeln!(
        h,
        "# reduced to {steps} in {} runs{}. Every fault is a step here; nothing is drawn.",
        shrunk.runs,
        if shrunk.exhausted {
            " (the run budget ran out: it may shrink further)"
        } else {
            ""
        },
    );
    let _ = writeln!(h, "# It fails with:");
    for f in &shrunk.signature.0 {
        let _ = writeln!(h, "#   {f}");
    }
    if written.reproduces(&shrunk.signature) {
        let _ = writeln!(h, "# (checked: this file, run, fails the same way)");
    } else {
        let _ = writeln!(
            h,
            "# WARNING: this file, run, does not fail the same way: {}",
            mismatch(written)
        );
    }
    let _ = writeln!(h, "# Replay: {}\n", written.replay);
    h
}

/// What a shrink did, for people: the steps before and after, the runs, the signature, the
/// file and its replay command, and a warning when the file does not replay the failure.
pub fn summary(shrunk: &Shrunk, written: &Written) -> String {
    let mut t = format!(
        "shrunk {} seed {}: {} steps to {} in {} runs{}\n  fails with: {}\n  wrote {}\n  replay: {}\n",
        shrunk.scenario.source.path.display(),
        shrunk.seed,
        shrunk.steps_before,
        shrunk.scenario.steps.len(),
        shrunk.runs,
        if shrunk.exhausted {
            " (run budget spent)"
        } else {
            ""
        },
        shrunk.signature,
        written.path.display(),
        written.replay,
    );
    if !written.reproduces(&shrunk.signature) {
        let _ = writeln!(
            t,
            "  WARNING: the written file does not fail the same way: {}",
            mismatch(written)
        );
    }
    t
}

/// What the written file gave instead of the shrunk signature, in words.
fn mismatch(written: &Written) -> String {
    match (&written.load_error, &written.replays_as) {
        (Some(e), _) => format!("it does not load ({e})"),
        (None, Some(got)) => format!("it fails with `{got}`"),
        (None, None) => "it passes".to_string(),
    }
}

/// Loads `text` as the file at `path` would load, and runs it on `seed`.
fn replay_text(
    text: &str,
    path: &Path,
    seed: u64,
    wall_limit: std::time::Duration,
) -> (Option<Signature>, Option<String>) {
    let source = Source::new(path, text);
    match crate::scenario::parse(source, &crate::topology::load) {
        Ok(s) => (signature_of(&s, seed, wall_limit), None),
        Err(e) => (None, Some(e.to_string())),
    }
}

/// `body` with its `topology = "…"` replaced by `topology`.
fn with_topology(body: &str, topology: &Path) -> Result<String, ShrinkError> {
    let mut doc: toml::Table = toml::from_str(body).map_err(crate::scenario::WriteError::from)?;
    doc.insert(
        "topology".into(),
        topology.to_string_lossy().into_owned().into(),
    );
    Ok(toml::to_string(&doc).map_err(crate::scenario::WriteError::from)?)
}

/// `to` as seen from the folder `from`: relative when both resolve, else absolute.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let (Ok(from), Ok(to)) = (from.canonicalize(), to.canonicalize()) else {
        return std::path::absolute(to).unwrap_or_else(|_| to.to_path_buf());
    };
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..a.len() {
        out.push("..");
    }
    for c in b.iter().skip(common) {
        out.push(c.as_os_str());
    }
    out
}
