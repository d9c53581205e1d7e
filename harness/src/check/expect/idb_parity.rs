//! `idb-parity = { set, differ }`: the two IDBs of an ICON set hold the same rows wherever both
//! ICONs were storing. The windows come from each IDB's own session control, as a downstream
//! ETL would read them: the `FEVENT..LEVENT` sequence ranges of its `G_DSS_*_PROVIDER`
//! sessions; within the windows the two share, every compared table's rows (those whose `SEQ`
//! lies in them) are matched by key. Differences are listed by table and key with both values,
//! each table's count first and its first few rows after, so that a clipped detail still says
//! which tables differ. With `differ`, the IDBs must differ in exactly those tables.

use std::collections::{BTreeMap, BTreeSet};

use super::Context;
use crate::check::stored::{column, contents, distributed, last_writes, seq_of, sessions};
use crate::check::verdict::{Judgement, LIST_BOUND, bounded, thousands};
use crate::idb::{Contents, TableDef, Value, schema};
use crate::scenario::IdbSet;

/// Sequence ranges, both ends included, sorted and disjoint.
type Windows = Vec<(u64, u64)>;

/// The sequence ranges an IDB's session control says its ICON stored, merged.
fn windows(c: &Contents) -> Windows {
    let mut ranges: Vec<(u64, u64)> = sessions(c).iter().filter_map(|d| d.range()).collect();
    ranges.sort_unstable();
    let mut out: Windows = Vec::new();
    for (a, b) in ranges {
        match out.last_mut() {
            Some((_, end)) if a <= end.saturating_add(1) => *end = (*end).max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// The ranges both `x` and `y` cover.
fn intersect(x: &[(u64, u64)], y: &[(u64, u64)]) -> Windows {
    let mut out = Vec::new();
    for (a, b) in x {
        for (c, d) in y {
            let (lo, hi) = ((*a).max(*c), (*b).min(*d));
            if lo <= hi {
                out.push((lo, hi));
            }
        }
    }
    out.sort_unstable();
    out
}

fn inside(ws: &[(u64, u64)], s: u64) -> bool {
    ws.iter().any(|(a, b)| *a <= s && s <= *b)
}

/// How one table differs between the two IDBs.
#[derive(Default)]
struct TableDiff {
    /// Rows compared (keys seen in either IDB).
    compared: usize,
    /// Keys only in the first IDB.
    only_a: usize,
    /// Keys only in the second.
    only_b: usize,
    /// Keys in both with other values.
    changed: usize,
    /// The first differing rows in words.
    rows: Vec<String>,
    /// Their sequence numbers.
    seqs: Vec<u64>,
}

impl TableDiff {
    fn count(&self) -> usize {
        self.only_a
            .saturating_add(self.only_b)
            .saturating_add(self.changed)
    }
}

/// `CALLID='c1' DN='5001'`: the columns `cols` of `row`.
fn words(t: &TableDef, row: &[Value], cols: impl Fn(&str) -> bool) -> String {
    t.columns
        .iter()
        .zip(row)
        .filter(|(c, _)| cols(c.name))
        .map(|(c, v)| format!("{}={v}", c.name))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Compares `t`'s rows of the two IDBs whose `SEQ` lies in `ws`.
fn compare(t: &TableDef, dbs: [&Contents; 2], names: [&str; 2], ws: &[(u64, u64)]) -> TableDiff {
    let keyed = |c: &Contents| -> BTreeMap<Vec<Value>, Vec<Value>> {
        let key: Vec<usize> = t.key.iter().filter_map(|k| column(t, k)).collect();
        c.rows(t.name)
            .iter()
            .filter(|r| seq_of(t, r).is_some_and(|s| inside(ws, s)))
            .map(|r| {
                (
                    key.iter().filter_map(|i| r.get(*i)).cloned().collect(),
                    r.clone(),
                )
            })
            .collect()
    };
    let (a, b) = (keyed(dbs[0]), keyed(dbs[1]));
    let keys: BTreeSet<&Vec<Value>> = a.keys().chain(b.keys()).collect();
    let mut d = TableDiff {
        compared: keys.len(),
        ..TableDiff::default()
    };
    let is_key = |n: &str| t.key.contains(&n);
    for k in keys {
        let (ra, rb) = (a.get(k), b.get(k));
        let (row, text) = match (ra, rb) {
            (Some(x), Some(y)) if x == y => continue,
            (Some(x), Some(y)) => {
                d.changed = d.changed.saturating_add(1);
                let changed: Vec<String> = t
                    .columns
                    .iter()
                    .zip(x.iter().zip(y))
                    .filter(|(_, (p, q))| p != q)
                    .map(|(c, (p, q))| {
                        format!("{} {p} in {}, {q} in {}", c.name, names[0], names[1])
                    })
                    .collect();
                (
                    x,
                    format!("{}: {}", words(t, x, is_key), changed.join(", ")),
                )
            }
            (Some(x), None) | (None, Some(x)) => {
                let (n, side) = if ra.is_some() {
                    (&mut d.only_a, names[0])
                } else {
                    (&mut d.only_b, names[1])
                };
                *n = n.saturating_add(1);
                let rest = words(t, x, |n| !is_key(n));
                (x, format!("{} only in {side}: {rest}", words(t, x, is_key)))
            }
            (None, None) => continue,
        };
        if d.rows.len() < LIST_BOUND {
            d.rows.push(text);
            d.seqs.extend(seq_of(t, row));
        }
    }
    d
}

/// Judges `idb-parity` of `set`, expecting the tables `differ` to differ, over the call events
/// distributed in `clip` (the whole run when `None`).
pub fn judge(
    cx: &Context<'_>,
    set: &IdbSet,
    differ: &[String],
    clip: Option<(u64, u64)>,
) -> Judgement {
    let dbs = match contents(cx.idbs, &set.members) {
        Ok(c) => c,
        Err(why) => return Judgement::plain(false, why),
    };
    let ([a, b], [ma, mb]) = (&dbs[..], &set.members[..]) else {
        return Judgement::plain(false, "parity compares the IDBs of two ICONs".into());
    };
    let names = [ma.db.as_str(), mb.db.as_str()];
    let (wa, wb) = (windows(a), windows(b));
    let mut ws = intersect(&wa, &wb);
    if let Some(w) = clip {
        let seqs: Vec<u64> = distributed(cx.trace, w).iter().map(|e| e.seq).collect();
        let span = seqs.iter().min().zip(seqs.iter().max());
        ws = span.map_or_else(Vec::new, |(lo, hi)| intersect(&ws, &[(*lo, *hi)]));
    }
    if ws.is_empty() {
        let rec = |n: &str, w: &Windows| match w.len() {
            0 => format!("{n} records no session that stored an event"),
            _ => format!("{n} stored seq {}", bounded(&spans(w))),
        };
        return Judgement::plain(
            false,
            format!(
                "no window in which both ICONs stored events, nothing compared: {}; {}",
                rec(names[0], &wa),
                rec(names[1], &wb)
            ),
        );
    }
    let diffs: Vec<(&TableDef, TableDiff)> = schema::TABLES
        .iter()
        .filter(|t| t.compared)
        .map(|t| (t, compare(t, [*a, *b], names, &ws)))
        .collect();
    verdict(cx, set, names, &ws, &diffs, differ)
}

/// Windows in words (`1–40`, `52`).
fn spans(ws: &[(u64, u64)]) -> Vec<String> {
    ws.iter()
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}–{b}")
            }
        })
        .collect()
}

/// The verdict in words from each table's differences.
fn verdict(
    cx: &Context<'_>,
    set: &IdbSet,
    names: [&str; 2],
    ws: &[(u64, u64)],
    diffs: &[(&TableDef, TableDiff)],
    differ: &[String],
) -> Judgement {
    let over = format!("over seq {}", bounded(&spans(ws)));
    let differing: Vec<&(&TableDef, TableDiff)> =
        diffs.iter().filter(|(_, d)| d.count() > 0).collect();
    let got: BTreeSet<&str> = differing.iter().map(|(t, _)| t.name).collect();
    let want: BTreeSet<&str> = differ.iter().map(String::as_str).collect();
    let summary = |(t, d): &&(&TableDef, TableDiff)| {
        let mut parts = Vec::new();
        for (n, side) in [(d.only_a, names[0]), (d.only_b, names[1])] {
            if n > 0 {
                parts.push(format!("{} only in {side}", thousands(n)));
            }
        }
        if d.changed > 0 {
            parts.push(format!("{} changed", thousands(d.changed)));
        }
        format!(
            "{} {} of {} rows ({})",
            t.name,
            thousands(d.count()),
            thousands(d.compared),
            parts.join(", ")
        )
    };
    let listed: Vec<String> = differing.iter().map(summary).collect();
    let rows: Vec<String> = differing
        .iter()
        .map(|(t, d)| format!("{}: {}", t.name, bounded_of(&d.rows, d.count())))
        .collect();
    let (a, b) = (names[0], names[1]);
    if got == want {
        let rows_compared: usize = diffs.iter().map(|(_, d)| d.compared).sum();
        let detail = if want.is_empty() {
            format!(
                "{a} and {b} agree on {} rows of {} tables {over}",
                thousands(rows_compared),
                diffs.len()
            )
        } else {
            format!(
                "{a} and {b} differ in exactly {}, as expected, {over}: {} — {}",
                listed_names(&got),
                listed.join("; "),
                rows.join(" — ")
            )
        };
        return Judgement::held(detail, last_writes(cx.trace, &set.members));
    }
    let mut parts = Vec::new();
    if !differing.is_empty() {
        parts.push(format!(
            "{a} and {b} differ in {} {over}: {}",
            listed_names(&got),
            listed.join("; ")
        ));
    }
    let agree: Vec<&str> = want.difference(&got).copied().collect();
    if !agree.is_empty() {
        parts.push(format!(
            "{} expected to differ but agree {over}",
            listed_names(&agree.iter().copied().collect())
        ));
    }
    if differing.is_empty() {
        parts.push(format!("every table agrees {over}"));
    }
    let mut detail = parts.join("; ");
    if !rows.is_empty() {
        detail.push_str(&format!(" — {}", rows.join(" — ")));
    }
    Judgement::plain(false, detail).with_evidence(evidence(cx, &differing))
}

/// The first rows, then how many more differ.
fn bounded_of(rows: &[String], total: usize) -> String {
    let more = total.saturating_sub(rows.len());
    if more == 0 {
        rows.join("; ")
    } else {
        format!("{}; and {} more", rows.join("; "), thousands(more))
    }
}

fn listed_names(names: &BTreeSet<&str>) -> String {
    names.iter().copied().collect::<Vec<_>>().join(", ")
}

/// The call events behind the first differing rows of each table.
fn evidence(cx: &Context<'_>, differing: &[&(&TableDef, TableDiff)]) -> Vec<usize> {
    let seqs: BTreeSet<u64> = differing
        .iter()
        .flat_map(|(_, d)| d.seqs.iter().copied())
        .collect();
    distributed(cx.trace, (0, u64::MAX))
        .iter()
        .filter(|e| seqs.contains(&e.seq))
        .map(|e| e.index)
        .collect()
}
