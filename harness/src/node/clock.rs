//! Every timer a node sets goes through [`Timers`], which keeps the deadlines of the ones still
//! pending. The simulation driver reads the earliest ([`Timers::next`]) to skip idle virtual
//! time: when no timer is due and no message is in flight, nothing can happen, so it steps
//! straight to the tick before the next deadline instead of tick by tick. A timer that bypassed
//! this (a bare `tokio::time::sleep` in node code) would still fire on time, but a message it
//! sent during a long step would arrive late: keep every node timer here.
//!
//! Deadlines are kept per host ([`Timers::next_on`]), so that a step runs only the hosts with
//! something due. Pending deadlines are not the whole story: turmoil wakes some tasks across
//! hosts without a message (a SYN answered or refused, send credit, loopback), and the driver
//! steps one tick after those, running the hosts they woke (`vendor/turmoil/HAPAIR.md`).
//!
//! Deadlines are virtual time since the run started (the network's clock), so the hosts'
//! separate runtimes share one registry.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::net::IpAddr;
use std::rc::Rc;
use std::time::Duration;

use tokio::time::{Instant, error::Elapsed};

use crate::net::Clock;

/// Which host set a timer (`None`: unknown, counts for every host).
type Host = Option<IpAddr>;

/// Pending deadlines, counted, per host.
type Pending = BTreeMap<Host, BTreeMap<Duration, usize>>;

/// The pending timers of one run (cheap to clone: one registry).
#[derive(Clone)]
pub struct Timers {
    now: Clock,
    /// The host the timers of this handle are set on (`None`: unknown).
    host: Host,
    pending: Rc<RefCell<Pending>>,
}

impl Timers {
    /// An empty registry on the clock `now`, its timers set on no known host.
    pub fn new(now: Clock) -> Self {
        Self {
            now,
            host: None,
            pending: Rc::default(),
        }
    }

    /// A handle on the same registry whose timers are set on `host` (each host's nodes hold
    /// their own, as they hold their own network).
    pub fn on(&self, host: Host) -> Self {
        Self {
            host,
            ..self.clone()
        }
    }

    /// The earliest pending deadline (virtual time since the start), if any. A deadline at or
    /// before the present belongs to a timer that fired and whose task has not run yet.
    pub fn next(&self) -> Option<Duration> {
        self.pending
            .borrow()
            .values()
            .filter_map(|d| d.keys().next().copied())
            .min()
    }

    /// The earliest pending deadline of timers set on `host` (or on no known host).
    pub fn next_on(&self, host: IpAddr) -> Option<Duration> {
        let pending = self.pending.borrow();
        [Some(host), None]
            .iter()
            .filter_map(|h| pending.get(h).and_then(|d| d.keys().next().copied()))
            .min()
    }

    /// How many timers are pending.
    pub fn len(&self) -> usize {
        self.pending
            .borrow()
            .values()
            .flat_map(|d| d.values())
            .fold(0, |n, k| n.saturating_add(*k))
    }

    /// Whether no timer is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn hold(&self, after: Duration) -> Held {
        // Past `Duration::MAX` is never: such a deadline stays last.
        let at = (self.now)().saturating_add(after);
        let host = self.host;
        let mut pending = self.pending.borrow_mut();
        let count = pending.entry(host).or_default().entry(at).or_insert(0);
        *count = count.saturating_add(1);
        drop(pending);
        Held {
            pending: Rc::clone(&self.pending),
            host,
            at,
        }
    }

    /// `tokio::time::sleep`, registered.
    pub async fn sleep(&self, d: Duration) {
        let _held = self.hold(d);
        tokio::time::sleep(d).await;
    }

    /// `tokio::time::sleep_until`, registered.
    pub async fn sleep_until(&self, at: Instant) {
        let d = at.saturating_duration_since(Instant::now());
        let _held = self.hold(d);
        tokio::time::sleep_until(at).await;
    }

    /// `tokio::time::timeout`, registered for as long as the future runs.
    ///
    /// # Errors
    /// [`Elapsed`] when `fut` did not finish within `d`.
    pub async fn timeout<F: Future>(&self, d: Duration, fut: F) -> Result<F::Output, Elapsed> {
        let _held = self.hold(d);
        tokio::time::timeout(d, fut).await
    }

    /// A ticker firing now and then every `period` (as `tokio::time::interval`, whose missed
    /// ticks burst).
    pub fn every(&self, period: Duration) -> Every {
        Every {
            timers: self.clone(),
            next: Some(Instant::now()),
            period,
        }
    }
}

/// A registered deadline; dropping it (the timer fired and its task ran, or the task was
/// cancelled) removes it.
struct Held {
    pending: Rc<RefCell<Pending>>,
    host: Host,
    at: Duration,
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut pending = self.pending.borrow_mut();
        let Some(deadlines) = pending.get_mut(&self.host) else {
            return;
        };
        if let Some(n) = deadlines.get_mut(&self.at) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                deadlines.remove(&self.at);
            }
        }
        if deadlines.is_empty() {
            pending.remove(&self.host);
        }
    }
}

/// See [`Timers::every`].
pub struct Every {
    timers: Timers,
    /// The next tick; `None` once it is past what an `Instant` can hold (never comes).
    next: Option<Instant>,
    period: Duration,
}

impl Every {
    /// Waits for the next tick.
    pub async fn tick(&mut self) {
        let Some(at) = self.next else {
            return std::future::pending().await;
        };
        self.timers.sleep_until(at).await;
        self.next = at.checked_add(self.period);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    fn timers() -> (Timers, Arc<AtomicU64>) {
        let ms = Arc::new(AtomicU64::new(0));
        let read = Arc::clone(&ms);
        let clock: Clock = Arc::new(move || Duration::from_millis(read.load(Ordering::Relaxed)));
        (Timers::new(clock), ms)
    }

    #[tokio::test(start_paused = true)]
    async fn a_pending_sleep_is_registered_until_it_ends() {
        let (t, ms) = timers();
        ms.store(100, Ordering::Relaxed);
        assert_eq!(t.next(), None);
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let t2 = t.clone();
                let sleeper = tokio::task::spawn_local(async move {
                    t2.sleep(Duration::from_millis(50)).await;
                });
                tokio::task::yield_now().await;
                assert_eq!(t.next(), Some(Duration::from_millis(150)));
                assert_eq!(t.len(), 1);
                sleeper.await.expect("sleeper");
                assert!(t.is_empty());
            })
            .await;
    }

    #[tokio::test(start_paused = true)]
    async fn deadlines_past_what_time_can_hold_never_come() {
        let (t, ms) = timers();
        ms.store(100, Ordering::Relaxed);
        // Registered at `Duration::MAX` (saturated), not an overflow panic.
        let got = t.timeout(Duration::MAX, async { 7 }).await;
        assert_eq!(got.ok(), Some(7));
        assert!(t.is_empty());
        // The first tick comes now; the next one is past what an `Instant` holds: never.
        let mut every = t.every(Duration::MAX);
        every.tick().await;
        let second = tokio::time::timeout(Duration::from_secs(3600), every.tick()).await;
        assert!(second.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_that_is_beaten_unregisters() {
        let (t, _) = timers();
        let got = t.timeout(Duration::from_secs(3), async { 7 }).await;
        assert_eq!(got.ok(), Some(7));
        assert!(t.is_empty());
        let late = t
            .timeout(Duration::from_millis(10), std::future::pending::<()>())
            .await;
        assert!(late.is_err());
        assert!(t.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn equal_deadlines_are_counted() {
        let (t, _) = timers();
        let a = t.hold(Duration::from_secs(1));
        let b = t.hold(Duration::from_secs(1));
        assert_eq!(t.len(), 2);
        drop(a);
        assert_eq!(t.next(), Some(Duration::from_secs(1)));
        drop(b);
        assert_eq!(t.next(), None);
    }

    #[test]
    fn deadlines_are_kept_per_host() {
        let ms = Arc::new(AtomicU64::new(0));
        let read = Arc::clone(&ms);
        let clock: Clock = Arc::new(move || Duration::from_millis(read.load(Ordering::Relaxed)));
        let t = Timers::new(clock);
        let (a, b): (IpAddr, IpAddr) = ([192, 168, 0, 1].into(), [192, 168, 0, 2].into());
        let on_a = t.on(Some(a)).hold(Duration::from_secs(5));
        let on_b = t.on(Some(b)).hold(Duration::from_secs(2));
        assert_eq!(t.next(), Some(Duration::from_secs(2)));
        assert_eq!(t.next_on(a), Some(Duration::from_secs(5)));
        assert_eq!(t.next_on(b), Some(Duration::from_secs(2)));
        // A timer of no known host counts for every host.
        let anywhere = t.hold(Duration::from_secs(1));
        assert_eq!(t.next_on(a), Some(Duration::from_secs(1)));
        drop((anywhere, on_b));
        assert_eq!(t.next_on(b), None);
        drop(on_a);
        assert!(t.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn every_ticks_now_then_each_period() {
        let (t, _) = timers();
        let start = Instant::now();
        let mut e = t.every(Duration::from_secs(1));
        e.tick().await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        e.tick().await;
        e.tick().await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        assert!(t.is_empty());
    }
}
