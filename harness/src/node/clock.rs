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
//!
//! On real time (the live engine, `hapair run --live --time-scale K`) virtual time runs K times
//! faster than the wall clock: the engine sets the thread's [`Scale`], every wait here lasts
//! 1/K of its virtual length, and node code reads instants with [`instant`] (a virtual
//! instant, K times as far from the start as the real one) instead of `Instant::now()`. Without
//! a scale (the simulation) both are the plain tokio ones, so simulated traces are unchanged.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::net::IpAddr;
use std::rc::Rc;
use std::time::Duration;

use tokio::time::{Instant, error::Elapsed};

use crate::net::Clock;

/// How virtual time relates to real time on this thread: virtual time runs `factor` times
/// faster than real time from `base` on (the live engine's start).
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    /// The real instant at which virtual and real instants coincide.
    pub base: Instant,
    /// How many times faster virtual time runs (1: real time).
    pub factor: u32,
}

thread_local! {
    /// The scale of the live engine running on this thread (`None`: the simulation's time).
    static SCALE: Cell<Option<Scale>> = const { Cell::new(None) };
}

/// Sets this thread's time scale until the guard is dropped (the live engine holds it for its
/// run).
pub fn scaled(scale: Scale) -> ScaleGuard {
    let before = SCALE.with(|s| s.replace(Some(scale)));
    ScaleGuard(before)
}

/// Restores the thread's previous time scale when dropped.
pub struct ScaleGuard(Option<Scale>);

impl Drop for ScaleGuard {
    fn drop(&mut self) {
        SCALE.with(|s| s.set(self.0));
    }
}

fn scale() -> Option<Scale> {
    SCALE.with(Cell::get).filter(|s| s.factor > 1)
}

/// The present as a virtual instant: `Instant::now()` unless the thread runs scaled, then the
/// start plus K times the real time since.
pub fn instant() -> Instant {
    let now = Instant::now();
    match scale() {
        None => now,
        Some(s) => {
            let real = now.saturating_duration_since(s.base);
            s.base
                .checked_add(real.saturating_mul(s.factor))
                .unwrap_or(now)
        }
    }
}

/// The real length of a wait of virtual length `d`.
fn real(d: Duration) -> Duration {
    match scale() {
        None => d,
        Some(s) => d.checked_div(s.factor).unwrap_or(d),
    }
}

/// The real instant of the virtual instant `at`.
fn real_at(at: Instant) -> Instant {
    match scale() {
        None => at,
        Some(s) => {
            let virt = at.saturating_duration_since(s.base);
            s.base.checked_add(real(virt)).unwrap_or(at)
        }
    }
}

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
        tokio::time::sleep(real(d)).await;
    }

    /// `tokio::time::sleep_until`, registered; `at` is a virtual instant ([`instant`]).
    pub async fn sleep_until(&self, at: Instant) {
        let d = at.saturating_duration_since(instant());
        let _held = self.hold(d);
        tokio::time::sleep_until(real_at(at)).await;
    }

    /// `tokio::time::timeout`, registered for as long as the future runs.
    ///
    /// # Errors
    /// [`Elapsed`] when `fut` did not finish within `d`.
    pub async fn timeout<F: Future>(&self, d: Duration, fut: F) -> Result<F::Output, Elapsed> {
        let _held = self.hold(d);
        tokio::time::timeout(real(d), fut).await
    }

    /// A ticker firing now and then every `period` (as `tokio::time::interval`, whose missed
    /// ticks burst).
    pub fn every(&self, period: Duration) -> Every {
        Every {
            timers: self.clone(),
            next: Some(instant()),
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
    async fn a_scaled_thread_waits_a_kth_and_reads_k_times_the_time() {
        let (t, _) = timers();
        let start = Instant::now();
        let guard = scaled(Scale {
            base: start,
            factor: 10,
        });
        t.sleep(Duration::from_secs(1)).await;
        assert_eq!(start.elapsed(), Duration::from_millis(100));
        assert_eq!(instant().duration_since(start), Duration::from_secs(1));
        // A virtual deadline 2 s on is 200 ms of real time away.
        t.sleep_until(instant() + Duration::from_secs(2)).await;
        assert_eq!(start.elapsed(), Duration::from_millis(300));
        let late = t
            .timeout(Duration::from_secs(5), std::future::pending::<()>())
            .await;
        assert!(late.is_err());
        assert_eq!(start.elapsed(), Duration::from_millis(800));
        drop(guard);
        // Unscaled again: the plain tokio instant and waits.
        assert_eq!(instant(), Instant::now());
        t.sleep(Duration::from_secs(1)).await;
        assert_eq!(start.elapsed(), Duration::from_millis(1800));
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
