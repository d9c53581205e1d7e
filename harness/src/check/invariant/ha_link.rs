//! The HA link of a pair does not flap (`[invariants] ha-resyncs-per-minute`, 5 by default):
//! no more full resynchronisations than that within any minute. A link that drops right after
//! every resync (a state transfer the peer refuses, say) otherwise looks "connected" most of
//! the time while nothing is replicated.

use crate::check::evidence::indexed;
use crate::check::verdict::{Judged, Verdict, VerdictKind};
use crate::trace::{Event, Kind, Trace};

/// The verdict on the link between `a` and `b`, over the whole run (last event at `end`).
pub fn judge(trace: &Trace, a: &str, b: &str, limit: u32, end: u64) -> Verdict {
    // Each resync counted once, by the instance that was backup for it.
    let syncs: Vec<(usize, &Event)> = indexed(trace)
        .filter(|(_, e)| {
            matches!(&e.kind, Kind::HaSynced { backup, primary, .. }
                if e.node == *backup && (backup == a && primary == b || backup == b && primary == a))
        })
        .collect();
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let burst = syncs.windows(limit.saturating_add(1)).find(|w| {
        let (first, last) = (w.first().map(|x| x.1.at_ms), w.last().map(|x| x.1.at_ms));
        last.unwrap_or(0).saturating_sub(first.unwrap_or(0)) < 60_000
    });
    let first_last = burst.and_then(|w| Some((w.first()?.1.at_ms, w.last()?.1.at_ms)));
    Verdict {
        kind: VerdictKind::Invariant,
        what: format!("the HA link of {a}/{b} does not flap (at most {limit} resyncs a minute)"),
        held: burst.is_none(),
        judged: match first_last {
            Some((from, to)) => Judged::Window(from, to),
            None => Judged::Window(0, end),
        },
        evidence: burst
            .map(|w| w.iter().map(|(i, _)| *i).collect())
            .unwrap_or_default(),
        miss: None,
        detail: match (burst, first_last) {
            (Some(w), Some((from, to))) => format!(
                "{} resyncs between {from} ms and {to} ms: the link keeps dropping after it \
                 syncs",
                w.len()
            ),
            _ => format!("{} resync(s) in the run", syncs.len()),
        },
        line: None,
        excerpt: burst
            .map(|w| w.iter().take(3).map(|(_, e)| (*e).clone()).collect())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synced(at_ms: u64, node: &str) -> Event {
        Event {
            at_ms,
            node: node.into(),
            kind: Kind::HaSynced {
                primary: "p".into(),
                backup: "b".into(),
                port: "ha".into(),
                tls: true,
            },
        }
    }

    #[test]
    fn an_ha_link_that_resyncs_every_second_is_flapping() {
        // What a refused state transfer looked like: synced, dropped 1 ms later, every second.
        // Both ends report each resync; only the backup's report counts.
        let events = (0..10)
            .flat_map(|i| [synced(1_000 * i, "b"), synced(1_000 * i, "p")])
            .collect();
        let v = judge(&Trace { events }, "p", "b", 5, 9_000);
        assert!(!v.held, "{}", v.detail);
        assert!(
            v.detail.contains("6 resyncs between 0 ms and 5000 ms"),
            "{}",
            v.detail
        );
        // The backup's six reports, and the minute they fall in.
        assert_eq!(v.evidence, vec![0, 2, 4, 6, 8, 10]);
        assert_eq!(v.judged, Judged::Window(0, 5_000));
    }

    #[test]
    fn resyncs_spread_over_minutes_are_no_flapping() {
        let events = (0..10).map(|i| synced(20_000 * i, "b")).collect();
        let v = judge(&Trace { events }, "p", "b", 5, 180_000);
        assert!(v.held, "{}", v.detail);
        assert_eq!(v.detail, "10 resync(s) in the run");
        assert!(v.evidence.is_empty());
        let v = judge(&Trace { events: Vec::new() }, "b", "p", 5, 0);
        assert!(v.held);
    }
}
