//! `hapair sweep --shrink`: the first failing seed of each signature (per scenario file)
//! shrunk, its reproduction written beside the seed's artefacts
//! (`DIR/<scenario>/seed-<N>/shrunk.toml`) and recorded in its [`SeedRun::shrunk`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{Options, Progress, shrink, summary, write};
use crate::sweep::report::{SeedRun, SweepReport};
use crate::sweep::{Plan, Signature, draw_for};

/// Shrinks the first failing seed of each signature of `report` (as `plan` swept it) into
/// `dir`, setting its `shrunk` to the file's path under `dir`. `say` hears a line per
/// reproduction written, per shrink that could not be done, and per step of progress.
///
/// Returns whether every shrink was done and its file replays the same failure.
pub fn shrink_sweep(
    plan: &Plan,
    report: &mut SweepReport,
    dir: &Path,
    options: &Options,
    say: &mut dyn FnMut(&str),
) -> bool {
    let paths: Vec<&Path> = plan.files.iter().map(PathBuf::as_path).collect();
    let folders = crate::runner::artefacts::folders(&paths);
    let mut seen: BTreeSet<(String, Signature)> = BTreeSet::new();
    let mut all_good = true;
    for run in &mut report.runs {
        let Some(signature) = run.signature.clone() else {
            continue;
        };
        if run.error.is_some() || !seen.insert((run.scenario.clone(), signature.clone())) {
            continue;
        }
        let place = plan
            .files
            .iter()
            .zip(&folders)
            .find(|(p, _)| p.display().to_string() == run.scenario);
        let Some((path, folder)) = place else {
            continue;
        };
        let relative = Path::new(folder)
            .join(format!("seed-{}", run.seed))
            .join("shrunk.toml");
        match one(
            plan,
            path,
            run,
            &signature,
            &dir.join(&relative),
            options,
            say,
        ) {
            Ok(true) => run.shrunk = Some(relative.display().to_string()),
            Ok(false) => {
                run.shrunk = Some(relative.display().to_string());
                all_good = false;
            }
            Err(e) => {
                say(&format!(
                    "hapair: cannot shrink {} seed {}: {e}",
                    run.scenario, run.seed
                ));
                all_good = false;
            }
        }
    }
    all_good
}

/// Shrinks one seed into `out`; whether the written file replays the same failure.
fn one(
    plan: &Plan,
    path: &Path,
    run: &SeedRun,
    want: &Signature,
    out: &Path,
    options: &Options,
    say: &mut dyn FnMut(&str),
) -> Result<bool, String> {
    let s = crate::scenario::load(path).map_err(|e| e.to_string())?;
    let schedule = draw_for(&s, run.seed, &plan.kinds, plan.intensity, plan.phase);
    let name = format!("{} seed {}", run.scenario, run.seed);
    let mut last: Option<(super::Pass, usize)> = None;
    let mut hear = |p: &Progress| {
        if last != Some((p.pass, p.steps)) {
            last = Some((p.pass, p.steps));
            say(&format!("shrinking {name}: {p}"));
        }
    };
    let shrunk =
        shrink(&s, run.seed, &schedule, want, options, &mut hear).map_err(|e| e.to_string())?;
    let written = write(&shrunk, path, out, options.wall_limit).map_err(|e| e.to_string())?;
    let good = written.reproduces(want);
    say(summary(&shrunk, &written).trim_end());
    Ok(good)
}
