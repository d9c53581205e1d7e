//! The parallel map under every batch: items handed out one at a time to a fixed number of
//! worker threads, results handed back on the calling thread in item order, each as soon as
//! it and every item before it are done. Results therefore do not depend on `workers`, only
//! the time they take does.
//!
//! Each worker keeps a state of its own, made on its thread (it need not be `Send`): a batch
//! keeps the scenario it loaded last there, since a loaded scenario shares its topology
//! through an `Rc`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// Runs `work` on every item (with its index) over at most `workers` threads (at least one),
/// each thread with a state made by `state`, and hands every item and its result to `done`
/// on the calling thread, in item order.
///
/// A panic in `work` ends that worker; the other workers finish their items and the panic is
/// raised again here once they have. Callers that must survive a panicking item catch it
/// inside `work`, as a batch does for every job.
pub fn stream_with<T, S, R>(
    items: &[T],
    workers: usize,
    state: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, usize, &T) -> R + Sync,
    mut done: impl FnMut(&T, R),
) where
    T: Sync,
    R: Send,
{
    let next = AtomicUsize::new(0);
    let (send, receive) = mpsc::channel::<(usize, R)>();
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1).min(items.len()) {
            let send = send.clone();
            let (next, state, work) = (&next, &state, &work);
            scope.spawn(move || {
                let mut mine = state();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { return };
                    if send.send((i, work(&mut mine, i, item))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(send);
        // Results that came before their turn wait here until every earlier one is handed on.
        let mut early = BTreeMap::new();
        let mut turn = 0;
        for (i, result) in receive {
            early.insert(i, result);
            while let Some(result) = early.remove(&turn) {
                if let Some(item) = items.get(turn) {
                    done(item, result);
                }
                turn = turn.saturating_add(1);
            }
        }
    });
}

/// `work` applied to every item over at most `workers` threads; the results in item order.
pub fn map<T, R>(items: &[T], workers: usize, work: impl Fn(&T) -> R + Sync) -> Vec<R>
where
    T: Sync,
    R: Send,
{
    let mut out = Vec::with_capacity(items.len());
    stream_with(
        items,
        workers,
        || (),
        |(), _, item| work(item),
        |_, r| out.push(r),
    );
    out
}

/// The number of workers to use when none is asked for: the cores available, or 1.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_item_order_whatever_the_workers() {
        let items: Vec<u64> = (0..200).collect();
        // Later items finish first: the order must come from the items, not the clock.
        let work = |&n: &u64| {
            std::thread::sleep(std::time::Duration::from_micros((200 - n) * 20));
            n * n
        };
        let expected: Vec<u64> = items.iter().map(|n| n * n).collect();
        for workers in [1, 2, 7, 500] {
            assert_eq!(map(&items, workers, work), expected, "{workers} workers");
        }
        assert!(map(&[] as &[u64], 4, work).is_empty());
    }

    #[test]
    fn each_worker_keeps_its_own_state_and_results_stream_in_order() {
        let items: Vec<usize> = (0..50).collect();
        let mut seen = Vec::new();
        stream_with(
            &items,
            3,
            || std::rc::Rc::new(std::cell::Cell::new(0usize)),
            |count, i, &item| {
                count.set(count.get() + 1);
                assert_eq!(i, item);
                (item, count.get())
            },
            |&item, (result, _)| seen.push((item, result)),
        );
        assert_eq!(seen, items.iter().map(|&i| (i, i)).collect::<Vec<_>>());
    }

    #[test]
    fn a_panicking_item_is_raised_again_after_the_others() {
        let items: Vec<u32> = (0..10).collect();
        let result = std::panic::catch_unwind(|| {
            map(&items, 2, |&n| {
                assert_ne!(n, 3, "item 3 fails");
                n
            })
        });
        assert!(result.is_err());
    }
}
