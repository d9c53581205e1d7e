//! `idb-complete = { set }`: the set lost no call event. Every event a data source distributed
//! in the window, of a role an ICON of the set stores, is in at least one IDB (a data row
//! carries its sequence number; for attached data and virtual-queue events, which leave a row
//! only as options select, a session that took it is enough); and each IDB misses only events
//! of gaps its own session control records: outside the `FEVENT..LEVENT` of its sessions, and
//! not on a session still open at the end (after the last event of a session that then closed,
//! or was left open by a crash, is such a gap). An event an IDB misses while its ICON claims
//! to have been storing is an unrecorded loss, even when the other IDB has it: a downstream
//! ETL would trust that stretch.

use std::collections::{BTreeMap, BTreeSet};

use super::Context;
use crate::check::stored::{
    DATA_ROLES, Distributed, Dss, accounts, contents, distributed, last_writes, sessions,
    stored_seqs,
};
use crate::check::verdict::{Judgement, LIST_BOUND, bounded, thousands};
use crate::scenario::{IdbSet, Member};
use crate::trace::Kind;

/// Why an IDB misses an event that it should hold: inside the `FEVENT..LEVENT` of one of its
/// sessions, or on a session still open when the run ended (its ICON running, no later
/// session). A session the ICON could not close (a crash) ends, for this, when its ICON
/// stopped or its next session began: the gap after its last event is recorded.
fn unrecorded(ss: &[Dss], e: &Distributed<'_>, role: &str, stops: &[u64]) -> Option<String> {
    let own: Vec<&Dss> = ss.iter().filter(|d| d.role == role).collect();
    if let Some(d) = own
        .iter()
        .find(|d| d.range().is_some_and(|(a, b)| a <= e.seq && e.seq <= b))
    {
        return Some(format!(
            "{} inside session {} (seq {}–{})",
            e.words(),
            d.id,
            d.first.unwrap_or_default(),
            d.last.unwrap_or_default()
        ));
    }
    own.iter()
        .enumerate()
        .filter(|(_, d)| d.end.is_none() && d.start <= e.at_ms)
        .filter(|(i, d)| {
            let next = own.get(i.saturating_add(1)).map(|n| n.start);
            let stop = stops.iter().find(|s| **s >= d.start).copied();
            next.or(stop).is_none()
        })
        .find(|(_, d)| d.first.is_none_or(|f| f <= e.seq))
        .map(|(_, d)| open_words(d, e))
}

fn open_words(d: &Dss, e: &Distributed<'_>) -> String {
    match d.last {
        Some(l) => format!(
            "{} after the last event ({l}) of session {}, open since {} ms",
            e.words(),
            d.id,
            d.start
        ),
        None => format!(
            "{} on session {}, open since {} ms, which stored nothing",
            e.words(),
            d.id,
            d.start
        ),
    }
}

/// What one IDB misses: in recorded gaps (covered by another IDB), and unrecorded.
#[derive(Default)]
struct Misses {
    /// (position among the events judged, sequence number).
    gaps: Vec<(usize, u64)>,
    unrecorded: Vec<String>,
    unrecorded_at: Vec<usize>,
}

/// Judges `idb-complete` over the call events distributed in `w`.
pub fn judge(cx: &Context<'_>, set: &IdbSet, w: (u64, u64)) -> Judgement {
    let dbs = match contents(cx.idbs, &set.members) {
        Ok(c) => c,
        Err(why) => return Judgement::plain(false, why),
    };
    let stored_roles: Vec<&str> = set
        .stored()
        .into_iter()
        .filter(|r| DATA_ROLES.contains(r))
        .collect();
    let events: Vec<Distributed<'_>> = distributed(cx.trace, w)
        .into_iter()
        .filter(|e| stored_roles.contains(&e.cti.role()))
        .collect();
    if events.is_empty() {
        return Judgement::plain(
            false,
            format!(
                "no call event of {} was distributed in {}..{} ms: the expectation was never \
                 exercised",
                stored_roles.join(", "),
                w.0,
                w.1
            ),
        );
    }
    let seqs: Vec<BTreeMap<&str, BTreeSet<u64>>> = dbs.iter().map(|c| stored_seqs(c)).collect();
    let control: Vec<Vec<Dss>> = dbs.iter().map(|c| sessions(c)).collect();
    let holds = |i: usize, e: &Distributed<'_>| {
        seqs.get(i)
            .zip(control.get(i))
            .is_some_and(|(s, c)| accounts(s, c, e.cti.role(), e.seq, e.cti))
    };
    let stops: Vec<Vec<u64>> = set.members.iter().map(|m| stopped(cx, &m.icon)).collect();
    let mut lost: Vec<&Distributed<'_>> = Vec::new();
    let mut misses: Vec<Misses> = set.members.iter().map(|_| Misses::default()).collect();
    for (pos, e) in events.iter().enumerate() {
        let held: Vec<usize> = (0..dbs.len()).filter(|i| holds(*i, e)).collect();
        if held.is_empty() {
            lost.push(e);
        }
        for (i, m) in set.members.iter().enumerate() {
            if !m.stores(e.cti.role()) || held.contains(&i) {
                continue;
            }
            let (Some(mine), Some(ss)) = (misses.get_mut(i), control.get(i)) else {
                continue;
            };
            let stops = stops.get(i).map_or(&[][..], Vec::as_slice);
            match unrecorded(ss, e, e.cti.role(), stops) {
                Some(why) => {
                    mine.unrecorded.push(why);
                    mine.unrecorded_at.push(e.index);
                }
                None if !held.is_empty() => mine.gaps.push((pos, e.seq)),
                None => {}
            }
        }
    }
    let undistributed = cx
        .trace
        .events
        .iter()
        .filter(|x| x.at_ms >= w.0 && x.at_ms <= w.1)
        .filter(|x| matches!(&x.kind, Kind::CallEventLost { cti, .. } if stored_roles.contains(&cti.role())))
        .count();
    let mut j = verdict(cx, set, &events, &lost, &misses);
    if undistributed > 0 {
        j.detail.push_str(&format!(
            "; {} event(s) no data-source instance could distribute (call-event-lost) are not \
             the set's to store",
            thousands(undistributed)
        ));
    }
    j
}

/// When `icon`'s process stopped (ms), in order.
fn stopped(cx: &Context<'_>, icon: &str) -> Vec<u64> {
    cx.trace
        .events
        .iter()
        .filter(|e| e.node == icon && matches!(e.kind, Kind::Stopped { .. }))
        .map(|e| e.at_ms)
        .collect()
}

/// The verdict in words, from what each IDB misses.
fn verdict(
    cx: &Context<'_>,
    set: &IdbSet,
    events: &[Distributed<'_>],
    lost: &[&Distributed<'_>],
    misses: &[Misses],
) -> Judgement {
    let total = thousands(events.len());
    let roles = set
        .stored()
        .into_iter()
        .filter(|r| DATA_ROLES.contains(r))
        .collect::<Vec<_>>()
        .join(", ");
    let mut parts: Vec<String> = Vec::new();
    if !lost.is_empty() {
        let words: Vec<String> = lost.iter().map(|e| e.words()).collect();
        parts.push(format!(
            "{} of {total} call events of {roles} are in no IDB: {}",
            thousands(lost.len()),
            bounded(&words)
        ));
    }
    for (m, x) in set.members.iter().zip(misses) {
        if !x.unrecorded.is_empty() {
            parts.push(format!(
                "{} misses {} its session control does not account for: {}",
                m.db,
                thousands(x.unrecorded.len()),
                bounded(&x.unrecorded)
            ));
        }
    }
    let gaps = gap_words(&set.members, misses);
    if parts.is_empty() {
        return Judgement::held(
            format!("{total} call events of {roles} all stored; {gaps}"),
            last_writes(cx.trace, &set.members),
        );
    }
    let mut evidence: Vec<usize> = lost.iter().take(LIST_BOUND).map(|e| e.index).collect();
    for x in misses {
        evidence.extend(x.unrecorded_at.iter().take(LIST_BOUND));
    }
    evidence.sort_unstable();
    evidence.dedup();
    Judgement::plain(false, format!("{}; {gaps}", parts.join("; "))).with_evidence(evidence)
}

/// Gaps as stretches of consecutive events judged (`500–533`): events of roles not judged
/// between them do not split a stretch.
fn stretches(gaps: &[(usize, u64)]) -> Vec<String> {
    let mut out: Vec<(usize, u64, u64)> = Vec::new();
    for (pos, seq) in gaps {
        match out.last_mut() {
            Some((p, _, last)) if p.checked_add(1) == Some(*pos) => {
                *p = *pos;
                *last = *seq;
            }
            _ => out.push((*pos, *seq, *seq)),
        }
    }
    out.into_iter()
        .map(|(_, a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}–{b}")
            }
        })
        .collect()
}

/// `idb_a misses 34 in gaps its session control records (seq 500–533), held by another IDB;
/// idb_b misses none`.
fn gap_words(members: &[Member], misses: &[Misses]) -> String {
    members
        .iter()
        .zip(misses)
        .map(|(m, x)| {
            if x.gaps.is_empty() {
                format!("{} misses none in recorded gaps", m.db)
            } else {
                format!(
                    "{} misses {} in gaps its session control records (seq {}), held by the \
                     other IDB",
                    m.db,
                    thousands(x.gaps.len()),
                    bounded(&stretches(&x.gaps))
                )
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}
