//! `hapair sweep --out DIR`: per failing seed, `DIR/<scenario>/seed-<N>/` with its drawn
//! schedule (`schedule.txt`), its trace (`trace.jsonl`) and the seed's whole scenario
//! (`scenario.toml`: the scenario's own steps and every drawn fault written out, the seed
//! set) that `hapair run` reproduces with no sweep at all. `sweep.json` and `junit.xml` of
//! the whole sweep are the CLI's to write.

use std::path::{Path, PathBuf};

use super::{Schedule, written};
use crate::execute::Outcome;
use crate::scenario::{self, Scenario};

/// Writes the artefacts of a failing seed under `dir` (made if missing). `drawn_missed`:
/// whether a drawn step did not take effect (the sweep does not count that as a failure; the
/// written scenario then leaves `faults-effective` off when its own steps all took effect, so
/// that `hapair run` fails it the same way).
///
/// # Errors
/// The first file that could not be written, or a scenario that could not be written back.
pub fn write_seed(
    dir: &Path,
    s: &Scenario,
    seed: u64,
    schedule: &Schedule,
    outcome: &Outcome,
    drawn_missed: bool,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut lines = schedule.lines().join("\n");
    lines.push('\n');
    std::fs::write(dir.join("schedule.txt"), lines)?;
    std::fs::write(dir.join("trace.jsonl"), outcome.trace.to_jsonl())?;
    let text = scenario_text(s, seed, schedule, outcome, drawn_missed)
        .map_err(|e| std::io::Error::other(format!("scenario.toml: {e}")))?;
    std::fs::write(dir.join("scenario.toml"), text)
}

/// The seed's whole scenario as a file that loads from anywhere: [`written`], its topology
/// path made absolute.
///
/// # Errors
/// Why the scenario could not be written back.
pub fn scenario_text(
    s: &Scenario,
    seed: u64,
    schedule: &Schedule,
    outcome: &Outcome,
    drawn_missed: bool,
) -> Result<String, String> {
    let mut swept = written(s, schedule, seed);
    if drawn_missed && own_steps_took_effect(s, outcome) {
        swept.invariants.faults_effective = false;
    }
    let text = scenario::to_toml(&swept).map_err(|e| e.to_string())?;
    let mut doc: toml::Table = toml::from_str(&text).map_err(|e| e.to_string())?;
    if let Some(toml::Value::String(path)) = doc.get("topology") {
        let p = PathBuf::from(path);
        if crate::topology::is_path(path) && p.is_relative() {
            let base = s.source.path.parent().unwrap_or(Path::new("."));
            let full = std::fs::canonicalize(base.join(&p)).unwrap_or_else(|_| base.join(&p));
            doc.insert(
                "topology".into(),
                toml::Value::String(full.display().to_string()),
            );
        }
    }
    let mut out = format!(
        "# Seed {seed} of a sweep of {}: its own steps, then the faults the seed drew,\n\
         # written out. Replay: hapair run <this file>\n",
        s.source.path.display()
    );
    out.push_str(&toml::to_string(&doc).map_err(|e| e.to_string())?);
    Ok(out)
}

/// Whether every `faults-effective` verdict on `s`'s own steps held (the drawn ones are
/// taken out of `outcome` already).
fn own_steps_took_effect(s: &Scenario, outcome: &Outcome) -> bool {
    let own: Vec<String> = s
        .steps
        .iter()
        .map(|st| crate::check::invariant::step_words(st.at))
        .collect();
    outcome
        .verdicts
        .iter()
        .filter(|v| own.contains(&v.what))
        .all(|v| v.held)
}
