//! Virtual time for certificate validity: a fixed instant (for `check`), or an epoch plus the
//! elapsed virtual time of a simulation, so that expiry happens at the same virtual instant in
//! every replay.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::UnixTime;
use rustls::time_provider::TimeProvider;
use time::OffsetDateTime;

/// The clock rustls judges validity by.
#[derive(Clone)]
pub struct VirtualTime {
    epoch: OffsetDateTime,
    elapsed: Arc<dyn Fn() -> time::Duration + Send + Sync>,
}

impl VirtualTime {
    /// Always `at`.
    pub fn fixed(at: OffsetDateTime) -> Self {
        Self {
            epoch: at,
            elapsed: Arc::new(|| time::Duration::ZERO),
        }
    }

    /// `epoch` plus whatever `elapsed` says (a simulation's virtual clock).
    pub fn following(
        epoch: OffsetDateTime,
        elapsed: impl Fn() -> Duration + Send + Sync + 'static,
    ) -> Self {
        Self::following_signed(epoch, move || {
            time::Duration::try_from(elapsed()).unwrap_or(time::Duration::MAX)
        })
    }

    /// `epoch` plus a signed offset (virtual time plus a host's clock skew, which may be
    /// negative and larger than the time elapsed: the host's clock is then before `epoch`).
    pub fn following_signed(
        epoch: OffsetDateTime,
        offset: impl Fn() -> time::Duration + Send + Sync + 'static,
    ) -> Self {
        Self {
            epoch,
            elapsed: Arc::new(offset),
        }
    }

    /// The current virtual instant (the last representable instant past year 9999; the
    /// loaders bound clocks, skews and durations so that this does not happen).
    pub fn now(&self) -> OffsetDateTime {
        let d = (self.elapsed)();
        self.epoch.checked_add(d).unwrap_or_else(|| {
            if d.is_negative() {
                time::PrimitiveDateTime::MIN.assume_utc()
            } else {
                time::PrimitiveDateTime::MAX.assume_utc()
            }
        })
    }

    /// As a shareable rustls time provider.
    pub fn provider(&self) -> Arc<dyn TimeProvider> {
        Arc::new(self.clone())
    }
}

impl fmt::Debug for VirtualTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VirtualTime({})", self.now())
    }
}

impl TimeProvider for VirtualTime {
    fn current_time(&self) -> Option<UnixTime> {
        let secs = u64::try_from(self.now().unix_timestamp()).ok()?;
        Some(UnixTime::since_unix_epoch(Duration::from_secs(secs)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn following_time_moves_with_the_simulation() {
        let epoch = time::macros::datetime!(2026-06-01 08:00 UTC);
        let ticks = Arc::new(AtomicU64::new(0));
        let t = {
            let ticks = Arc::clone(&ticks);
            VirtualTime::following(epoch, move || {
                Duration::from_secs(ticks.load(Ordering::Relaxed))
            })
        };
        assert_eq!(t.now(), epoch);
        ticks.store(45, Ordering::Relaxed);
        let unix = t.current_time().map(|u| u.as_secs());
        assert_eq!(unix, Some((epoch.unix_timestamp() + 45) as u64));
        assert_eq!(VirtualTime::fixed(epoch).now(), epoch);
    }

    #[test]
    fn a_negative_offset_goes_before_the_epoch_and_overflow_saturates() {
        let epoch = time::macros::datetime!(2026-06-01 08:00 UTC);
        let t = VirtualTime::following_signed(epoch, || time::Duration::days(-2));
        assert_eq!(t.now(), time::macros::datetime!(2026-05-30 08:00 UTC));
        let t = VirtualTime::following(epoch, || Duration::MAX);
        assert_eq!(t.now().year(), 9999);
    }
}
