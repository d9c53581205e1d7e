//! `--check-determinism`: which seeds run twice ([`sampled`]), and where two traces of one
//! seed part ([`first_difference`]). The same scenario, seed and schedule must give the same
//! trace, event for event; a difference is a defect of hapair's, named by its first event.

use crate::trace::Trace;

/// How many seeds of a sweep are checked at most (each costs a second run).
pub const MOST: u64 = 1_000;

/// Whether the seed at `offset` (from `--start`) of a range of `seeds` runs twice: every
/// tenth (offsets 0, 10, 20, …, so at least the first), at most [`MOST`] of them, spread
/// over the whole range.
pub fn sampled(offset: u64, seeds: u64) -> bool {
    let tenths = seeds.div_ceil(10).max(1);
    let step = if tenths > MOST {
        seeds.div_ceil(MOST).max(1)
    } else {
        10
    };
    offset.checked_rem(step) == Some(0)
}

/// The first event where `a` and `b` differ: its index and each trace's event as a JSON line
/// (`(end of trace)` where one is shorter). `None` when they are the same.
pub fn first_difference(a: &Trace, b: &Trace) -> Option<String> {
    let line = |t: &Trace, i: usize| {
        t.events.get(i).map_or_else(
            || "(end of trace)".to_string(),
            |e| serde_json::to_string(e).unwrap_or_default(),
        )
    };
    let n = a.events.len().max(b.events.len());
    (0..n)
        .find(|&i| a.events.get(i) != b.events.get(i))
        .map(|i| {
            format!(
                "event {i}: first run {}; second run {}",
                line(a, i),
                line(b, i)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Event, Kind};

    fn event(at_ms: u64, node: &str) -> Event {
        Event {
            at_ms,
            node: node.into(),
            kind: Kind::StoreCleared,
        }
    }

    #[test]
    fn the_first_differing_event_is_named() {
        let a = Trace {
            events: vec![event(1, "x"), event(2, "y")],
        };
        assert_eq!(first_difference(&a, &a.clone()), None);
        let mut b = a.clone();
        b.events[1] = event(3, "y");
        let d = first_difference(&a, &b).expect("they differ");
        assert!(d.starts_with("event 1: first run {"), "{d}");
        assert!(
            d.contains("\"at_ms\":2") && d.contains("\"at_ms\":3"),
            "{d}"
        );
        b.events.truncate(1);
        let d = first_difference(&a, &b).expect("one is shorter");
        assert!(d.ends_with("second run (end of trace)"), "{d}");
    }

    #[test]
    fn every_tenth_seed_is_sampled_and_at_most_a_thousand() {
        let count = |seeds| (0..seeds).filter(|&o| sampled(o, seeds)).count();
        assert_eq!(count(1), 1);
        assert_eq!(count(25), 3);
        assert_eq!(count(100_000), 1_000);
        assert!(count(99_999) <= 1_000);
    }
}
