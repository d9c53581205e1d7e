//! What one seed's run reached ([`reduce`]): the drawn faults that fired and took effect, the
//! failure classes, the rules, the expectations and invariants judged and exercised. A run is
//! reduced to its [`Coverage`] and its verdicts as soon as it ends: a sweep of 100,000 seeds
//! keeps no trace.
//!
//! A drawn fault that happened to hit nothing (a partition between hosts that were idle) is
//! not a failure of the pair: its `faults-effective` verdict is taken out of the run's
//! verdicts here and counted as coverage instead ([`take_drawn_effects`]).

use std::collections::{BTreeMap, BTreeSet};

use super::report::Coverage;
use super::{FaultKind, Schedule};
use crate::check::invariant::step_words;
use crate::check::verdict::{Judged, Verdict};
use crate::execute::Outcome;
use crate::fault::Fault;
use crate::trace::{FaultName, Kind};

/// The sweep's kind of a drawn fault (`None` for the steps that lift one).
pub fn kind_of(fault: &Fault) -> Option<FaultKind> {
    Some(match fault {
        Fault::Crash { .. } => FaultKind::Crash,
        Fault::PowerOff { .. } => FaultKind::PowerOff,
        Fault::Partition { .. } => FaultKind::Partition,
        Fault::Hold { .. } => FaultKind::Hold,
        Fault::Latency { .. } => FaultKind::Latency,
        Fault::Loss { .. } => FaultKind::Loss,
        Fault::Skew { .. } => FaultKind::ClockSkew,
        Fault::Switchover { .. } => FaultKind::Switchover,
        Fault::Rotate { .. } => FaultKind::Rotate,
        _ => return None,
    })
}

/// Takes the `faults-effective` verdicts of `schedule`'s steps (its faults and their lifting)
/// out of `verdicts`, and gives, per drawn fault in order, whether it took effect (`None`:
/// its kind's effect is not judged), and whether any step of the schedule (a lifting one
/// too) did not.
///
/// The scenario's own steps all come before the fault phase (`schedule.from`), so a verdict's
/// words (`the step at 62.4s took effect`) tell a drawn step's apart from theirs.
pub fn take_drawn_effects(
    verdicts: &mut Vec<Verdict>,
    schedule: &Schedule,
) -> (Vec<Option<bool>>, bool) {
    let mut by_words: BTreeMap<String, bool> = BTreeMap::new();
    let drawn_words: BTreeSet<String> = schedule
        .steps()
        .iter()
        .filter(|st| st.at >= schedule.from)
        .map(|st| step_words(st.at))
        .collect();
    verdicts.retain(|v| {
        if v.kind.as_str() == "invariant" && drawn_words.contains(&v.what) {
            let e = by_words.entry(v.what.clone()).or_insert(true);
            *e = *e && v.held;
            false
        } else {
            true
        }
    });
    let effects = schedule
        .faults
        .iter()
        .map(|d| by_words.get(&step_words(d.at)).copied())
        .collect();
    (effects, by_words.values().any(|held| !held))
}

/// The coverage of one run: `outcome` (its drawn steps' verdicts already taken out), and
/// `effects` from [`take_drawn_effects`].
pub fn of_run(outcome: &Outcome, schedule: &Schedule, effects: &[Option<bool>]) -> Coverage {
    let mut c = Coverage {
        runs: 1,
        ..Coverage::default()
    };
    // A step's `fault` event comes at its instant, or the tick after it.
    let applied: Vec<(u64, &str)> = outcome
        .trace
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            Kind::Fault {
                fault: FaultName::Step(name),
                ..
            } => Some((e.at_ms, name.as_str())),
            _ => None,
        })
        .collect();
    for (d, effect) in schedule.faults.iter().zip(effects) {
        let Some(kind) = kind_of(&d.fault) else {
            continue;
        };
        let at = u64::try_from(d.at.as_millis()).unwrap_or(u64::MAX);
        let name = d.fault.name();
        if applied
            .iter()
            .any(|(t, n)| *n == name && (at..at.saturating_add(1_000)).contains(t))
        {
            bump(&mut c.fired, kind.name());
        }
        if *effect == Some(true) {
            bump(&mut c.effective, kind.name());
        }
    }
    let mut classes = BTreeSet::new();
    let mut rules: BTreeSet<String> = outcome
        .findings
        .iter()
        .map(|f| f.rule.to_string())
        .collect();
    for e in &outcome.trace.events {
        match &e.kind {
            Kind::HandshakeFailed { class, .. } => {
                classes.insert(format!("handshake: {class}"));
            }
            Kind::ConnectFailed { reason, .. } => {
                classes.insert(format!("connect: {reason}"));
            }
            Kind::Disconnected { reason, .. } => {
                classes.insert(format!("disconnect: {reason}"));
            }
            Kind::ConfigRejected { rule, .. } => {
                rules.insert(format!("{rule} (refused)"));
            }
            _ => {}
        }
    }
    for k in classes {
        bump(&mut c.classes, &k);
    }
    for k in rules {
        bump(&mut c.rules, &k);
    }
    let mut judged = BTreeSet::new();
    let mut exercised = BTreeSet::new();
    // A verdict on the topology as written (a static finding) is the same under every seed:
    // no schedule can exercise it, so it is left out rather than reported as never exercised.
    for v in outcome
        .verdicts
        .iter()
        .filter(|v| v.judged != Judged::Topology)
    {
        let name = format!("{}: {}", v.kind.as_str(), v.what);
        if !v.held || !v.evidence.is_empty() {
            exercised.insert(name.clone());
        }
        judged.insert(name);
    }
    for k in judged {
        bump(&mut c.judged, &k);
    }
    for k in exercised {
        bump(&mut c.exercised, &k);
    }
    c
}

/// Adds one to `name`'s count.
fn bump(map: &mut BTreeMap<String, u64>, name: &str) {
    let e = map.entry(name.to_string()).or_insert(0);
    *e = e.saturating_add(1);
}

/// Expectations and invariants `c` judged but never exercised, with how often they were
/// judged: what an Antithesis "sometimes" assertion would report.
pub fn never_exercised(c: &Coverage) -> Vec<(&str, u64)> {
    c.judged
        .iter()
        .filter(|(k, _)| c.exercised.get(*k).copied().unwrap_or(0) == 0)
        .map(|(k, n)| (k.as_str(), *n))
        .collect()
}
