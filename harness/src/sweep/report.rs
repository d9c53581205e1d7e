//! The `hapair.sweep/1` report: what `hapair sweep --format json` prints and `--out` keeps,
//! and what `hapair merge` reads back from the shards. Everything in it but `timing` depends
//! only on the scenarios, the seeds and the hapair version: merging the shards of a sweep
//! gives what one unsharded sweep gives.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{FaultKind, Intensity, Shard, Signature};

/// The report's format name.
pub const FORMAT: &str = "hapair.sweep/1";

/// A whole sweep (or one shard of it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    /// [`FORMAT`].
    pub format: String,
    /// The hapair version that ran it.
    pub version: String,
    /// The fault kinds the seeds drew from (`--faults`).
    pub faults: Vec<FaultKind>,
    /// `--intensity`.
    pub intensity: Intensity,
    /// The first seed of the range (`--start`).
    pub start: u64,
    /// How many seeds the range has (`--seeds`), over all shards.
    pub seeds: u64,
    /// The shard this report covers; `None` for the whole range (or a merge of every shard).
    pub shard: Option<Shard>,
    /// One entry per scenario file and seed run, sorted by file, then seed.
    pub runs: Vec<SeedRun>,
    /// What the runs reached.
    pub coverage: Coverage,
    /// Seeds run twice by `--check-determinism`, and the first difference of each that
    /// differed.
    pub determinism: Vec<Determinism>,
    /// Wall-clock facts (not compared when shards are merged).
    pub timing: Timing,
}

/// One scenario file under one seed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedRun {
    /// The scenario file, as given on the command line.
    pub scenario: String,
    /// The scenario's name.
    pub name: String,
    /// The seed.
    pub seed: u64,
    /// Whether every expectation and invariant held.
    pub passed: bool,
    /// The failure's signature (failed runs).
    pub signature: Option<Signature>,
    /// The trace digest (SHA-256 of the JSON lines), when the run went to its end.
    pub digest: Option<String>,
    /// The drawn schedule, one readable line per fault (failed runs).
    pub schedule: Vec<String>,
    /// Why the run gave no outcome, when it did not.
    pub error: Option<String>,
    /// The command that replays this seed.
    pub replay: String,
    /// The smallest reproduction written by the shrinker, when it ran.
    pub shrunk: Option<String>,
}

/// What a sweep reached: counts per name, summed over runs (so shards add up).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Runs counted.
    pub runs: u64,
    /// Per fault kind: how many drawn faults were applied (a `fault` event).
    pub fired: BTreeMap<String, u64>,
    /// Per fault kind: how many took effect (the fault-effect judgement held).
    pub effective: BTreeMap<String, u64>,
    /// Per failure class reached (handshake failure classes, connect failures, disconnect
    /// reasons): how many runs reached it.
    pub classes: BTreeMap<String, u64>,
    /// Per rule: how many runs found it (static findings and configuration refusals).
    pub rules: BTreeMap<String, u64>,
    /// Per expectation or invariant (its words): how many runs judged it.
    pub judged: BTreeMap<String, u64>,
    /// Per expectation or invariant: how many runs exercised it (it rested on events, or
    /// failed). One judged but never exercised is reported as never exercised.
    pub exercised: BTreeMap<String, u64>,
}

impl Coverage {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Coverage) {
        self.runs = self.runs.saturating_add(other.runs);
        for (mine, theirs) in [
            (&mut self.fired, &other.fired),
            (&mut self.effective, &other.effective),
            (&mut self.classes, &other.classes),
            (&mut self.rules, &other.rules),
            (&mut self.judged, &other.judged),
            (&mut self.exercised, &other.exercised),
        ] {
            for (k, v) in theirs {
                let e = mine.entry(k.clone()).or_insert(0);
                *e = e.saturating_add(*v);
            }
        }
    }
}

/// One seed run twice by `--check-determinism`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Determinism {
    /// The scenario file.
    pub scenario: String,
    /// The seed.
    pub seed: u64,
    /// Whether both traces were the same.
    pub same: bool,
    /// The first differing event (index, and each run's event as JSON), when they differed.
    pub first_difference: Option<String>,
}

/// Wall-clock facts of a sweep.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// Real seconds the sweep took.
    pub wall_secs: f64,
    /// Runs per real second.
    pub seeds_per_sec: f64,
    /// `--jobs`.
    pub jobs: usize,
}
