//! `idb-roles = { set }`: the set stores what its `stores` promises. Every promised role is
//! selected by the `role` option of at least one of its ICONs (a role none stores is a failure
//! naming it, whatever the traffic); and every call event of a promised role that a data
//! source distributed in the window while an ICON of the set had a session up with that
//! instance (the trace's sessions, not the ICONs' own records) is in one of the set's IDBs
//! (as `idb-complete` counts it: a row carries it, or a session took an option-shaped event).
//! With `missing`, it holds when exactly those promised roles are stored by no ICON (a
//! rehearsed misconfiguration), and names them.

use std::collections::BTreeSet;

use super::Context;
use crate::check::session::Session;
use crate::check::stored::{
    DATA_ROLES, Distributed, accounts, contents, distributed, last_writes, sessions, stored_seqs,
};
use crate::check::verdict::{Judgement, LIST_BOUND, bounded, thousands};
use crate::scenario::IdbSet;

/// Judges `idb-roles` of `set` over the call events distributed in `w`.
pub fn judge(cx: &Context<'_>, set: &IdbSet, missing: &[String], w: (u64, u64)) -> Judgement {
    let unstored: Vec<&str> = set
        .promised
        .iter()
        .copied()
        .filter(|r| set.members.iter().all(|m| !m.stores(r)))
        .collect();
    let roles_of = set
        .members
        .iter()
        .map(|m| format!("{}: {}", m.icon, m.roles.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    if !missing.is_empty() {
        let want: BTreeSet<&str> = missing.iter().map(String::as_str).collect();
        let got: BTreeSet<&str> = unstored.iter().copied().collect();
        let stored = match got.is_empty() {
            true => "an ICON of it stores every one".to_string(),
            false => format!(
                "no ICON of it stores {}",
                got.iter().copied().collect::<Vec<_>>().join(", ")
            ),
        };
        return Judgement::plain(
            want == got,
            format!(
                "set {} promises {}; {stored} ({roles_of})",
                set.name,
                set.promised.join(", ")
            ),
        );
    }
    if !unstored.is_empty() {
        return Judgement::plain(
            false,
            format!(
                "set {} promises {} but no ICON of it stores {} ({roles_of})",
                set.name,
                set.promised.join(", "),
                unstored.join(", ")
            ),
        );
    }
    let dbs = match contents(cx.idbs, &set.members) {
        Ok(c) => c,
        Err(why) => return Judgement::plain(false, why),
    };
    let up: Vec<Session> = crate::check::session::sessions(cx.trace)
        .into_iter()
        .filter(|s| set.members.iter().any(|m| m.icon == s.from))
        .collect();
    let watched = |e: &Distributed<'_>| {
        up.iter()
            .any(|s| s.to == e.node && s.up_during((e.at_ms, e.at_ms)))
    };
    let events: Vec<Distributed<'_>> = distributed(cx.trace, w)
        .into_iter()
        .filter(|e| set.promised.contains(&e.cti.role()) && watched(e))
        .collect();
    let held: Vec<_> = dbs.iter().map(|c| (stored_seqs(c), sessions(c))).collect();
    let lost: Vec<&Distributed<'_>> = events
        .iter()
        .filter(|e| {
            !held
                .iter()
                .any(|(s, c)| accounts(s, c, e.cti.role(), e.seq, e.cti))
        })
        .collect();
    let with_events: BTreeSet<&str> = events.iter().map(|e| e.cti.role()).collect();
    let quiet: Vec<&str> = set
        .promised
        .iter()
        .copied()
        .filter(|r| !with_events.contains(r))
        .collect();
    let quiet_words = match quiet.len() {
        0 => String::new(),
        _ => format!(
            "; no event of {} while an ICON was connected{}",
            quiet.join(", "),
            if quiet.iter().any(|r| !DATA_ROLES.contains(r)) {
                " (hapair's data sources carry gcc, gud and gls events only)"
            } else {
                ""
            }
        ),
    };
    if lost.is_empty() {
        return Judgement::held(
            format!(
                "every promised role is stored ({roles_of}); {} call events of them, \
                 distributed while an ICON was connected, all in an IDB{quiet_words}",
                thousands(events.len())
            ),
            last_writes(cx.trace, &set.members),
        );
    }
    let words: Vec<String> = lost.iter().map(|e| e.words()).collect();
    Judgement::plain(
        false,
        format!(
            "{} of {} call events of promised roles, distributed while an ICON of set {} was \
             connected, are in no IDB: {}",
            thousands(lost.len()),
            thousands(events.len()),
            set.name,
            bounded(&words)
        ),
    )
    .with_evidence(lost.iter().take(LIST_BOUND).map(|e| e.index).collect())
}
