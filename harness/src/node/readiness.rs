//! A server instance's view of its HA link, as SIP Server judges its readiness (S-SIPS-UPG):
//! a primary is ready when the HA link is up, the calls are synchronised and the readiness
//! delay has passed since the link came up; a backup when the link is up and the calls are
//! synchronised. A switchover while the pair is not ready is a double failure.
//!
//! Pure bookkeeping on virtual times: the HA link's ends (`ha.rs`) report the link up,
//! synchronised and down; the instance (`instance.rs`) asks what is missing and traces it.

use std::time::Duration;

use crate::topology::Role;
use crate::trace::NotReady;

/// One HA link as an instance saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Link {
    /// Which link (a later link replaces an earlier one that has not ended yet).
    id: u64,
    /// When it came up.
    since: Duration,
    /// When its calls were all synchronised.
    synced: Option<Duration>,
}

/// The last link lost, as it was just before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Lost {
    at: Duration,
    link: Link,
}

/// An instance's HA link history, as far as readiness needs it.
#[derive(Debug, Default)]
pub(super) struct HaState {
    link: Option<Link>,
    lost: Option<Lost>,
    next: u64,
}

impl HaState {
    /// A link came up at `now`; its ID for the later reports.
    pub(super) fn up(&mut self, now: Duration) -> u64 {
        self.next = self.next.saturating_add(1);
        self.link = Some(Link {
            id: self.next,
            since: now,
            synced: None,
        });
        self.next
    }

    /// Link `id` has every call synchronised at `now` (nothing if it is no longer the link).
    pub(super) fn synced(&mut self, id: u64, now: Duration) {
        if let Some(l) = self.link.as_mut().filter(|l| l.id == id) {
            l.synced.get_or_insert(now);
        }
    }

    /// Link `id` ended at `now` (nothing if a later link replaced it).
    pub(super) fn down(&mut self, id: u64, now: Duration) {
        if let Some(link) = self.link.filter(|l| l.id == id) {
            self.link = None;
            self.lost = Some(Lost { at: now, link });
        }
    }

    /// What keeps an instance in `role` from being ready at `now` (empty: ready), `delay`
    /// being the primary's readiness delay.
    pub(super) fn missing(&self, role: Role, now: Duration, delay: Duration) -> Vec<NotReady> {
        match self.link {
            None => vec![NotReady::LinkDown],
            Some(link) => link_missing(link, role, now, delay),
        }
    }

    /// What the pair lacked when a switchover promoted this instance at `now`, judged as a
    /// primary's readiness (the instance is about to be one): as of now while the link is up;
    /// as of the instant before the link went down when it went down at most `window` ago
    /// (the failure that caused the switchover can have ended the link before the SCS
    /// reacted; that loss is part of the same failure, not a second one).
    ///
    /// Also says how long the link had been up at that instant, if it was.
    pub(super) fn at_switchover(
        &self,
        now: Duration,
        delay: Duration,
        window: Duration,
    ) -> (Vec<NotReady>, Option<Duration>) {
        let (link, at) = match (self.link, self.lost) {
            (Some(link), _) => (link, now),
            (None, Some(lost)) if now.saturating_sub(lost.at) <= window => (lost.link, lost.at),
            (None, _) => return (vec![NotReady::LinkDown], None),
        };
        (
            link_missing(link, Role::Primary, at, delay),
            Some(at.saturating_sub(link.since)),
        )
    }
}

/// What an up `link` lacks for an instance in `role` at `at`.
fn link_missing(link: Link, role: Role, at: Duration, delay: Duration) -> Vec<NotReady> {
    let mut missing = Vec::new();
    if link.synced.is_none_or(|done| done > at) {
        missing.push(NotReady::NotSynced);
    }
    if role == Role::Primary && at.saturating_sub(link.since) < delay {
        missing.push(NotReady::DelayNotPassed);
    }
    missing
}

/// What `missing` means, in words, for a `double-failure` event.
pub(super) fn describe(missing: &[NotReady], delay: Duration, up_for: Option<Duration>) -> String {
    let words: Vec<String> = missing
        .iter()
        .map(|m| match m {
            NotReady::LinkDown => "the HA link was down".to_string(),
            NotReady::NotSynced => "the calls were not all synchronised".to_string(),
            NotReady::DelayNotPassed => match up_for {
                Some(up) => format!(
                    "the readiness delay ({} s) had not passed since the HA link came up ({} s before)",
                    delay.as_secs(),
                    up.as_secs()
                ),
                None => format!(
                    "the readiness delay ({} s) had not passed since the HA link came up",
                    delay.as_secs()
                ),
            },
        })
        .collect();
    format!(
        "switched over while readiness was 0: {}",
        words.join(", and ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELAY: Duration = Duration::from_secs(60);
    const WINDOW: Duration = Duration::from_secs(20);

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    #[test]
    fn a_backup_is_ready_once_linked_and_synced_and_a_primary_after_the_delay_too() {
        let mut ha = HaState::default();
        assert_eq!(ha.missing(Role::Backup, s(0), DELAY), [NotReady::LinkDown]);
        assert_eq!(ha.missing(Role::Primary, s(0), DELAY), [NotReady::LinkDown]);
        let id = ha.up(s(1));
        assert_eq!(ha.missing(Role::Backup, s(2), DELAY), [NotReady::NotSynced]);
        assert_eq!(
            ha.missing(Role::Primary, s(2), DELAY),
            [NotReady::NotSynced, NotReady::DelayNotPassed]
        );
        ha.synced(id, s(13));
        assert!(ha.missing(Role::Backup, s(13), DELAY).is_empty());
        assert_eq!(
            ha.missing(Role::Primary, s(60), DELAY),
            [NotReady::DelayNotPassed],
            "59 s after the link came up"
        );
        assert!(ha.missing(Role::Primary, s(61), DELAY).is_empty());
        ha.down(id, s(70));
        assert_eq!(ha.missing(Role::Backup, s(70), DELAY), [NotReady::LinkDown]);
    }

    #[test]
    fn a_late_report_of_a_replaced_link_changes_nothing() {
        let mut ha = HaState::default();
        let old = ha.up(s(0));
        let new = ha.up(s(5));
        ha.synced(old, s(6));
        assert_eq!(ha.missing(Role::Backup, s(6), DELAY), [NotReady::NotSynced]);
        ha.down(old, s(7));
        assert_eq!(
            ha.missing(Role::Backup, s(7), DELAY),
            [NotReady::NotSynced],
            "the newer link is still up"
        );
        ha.synced(new, s(8));
        assert!(ha.missing(Role::Backup, s(8), DELAY).is_empty());
        assert_eq!(
            ha.missing(Role::Primary, s(64), DELAY),
            [NotReady::DelayNotPassed],
            "the delay counts from the newer link"
        );
        assert!(ha.missing(Role::Primary, s(65), DELAY).is_empty());
    }

    #[test]
    fn a_switchover_is_judged_as_of_the_failure_that_caused_it() {
        let mut ha = HaState::default();
        let id = ha.up(s(0));
        ha.synced(id, s(2));
        // Link still up at the promotion (a manual switchover).
        assert_eq!(
            ha.at_switchover(s(30), DELAY, WINDOW),
            (vec![NotReady::DelayNotPassed], Some(s(30)))
        );
        assert!(ha.at_switchover(s(90), DELAY, WINDOW).0.is_empty());
        // The primary crashed at 100 s: its link ended a moment before the SCS promoted.
        ha.down(id, s(100));
        assert_eq!(
            ha.at_switchover(s(101), DELAY, WINDOW),
            (vec![], Some(s(100)))
        );
        // The link had been down long before the promotion: a double failure.
        assert_eq!(
            ha.at_switchover(s(200), DELAY, WINDOW),
            (vec![NotReady::LinkDown], None)
        );
        // Never linked at all.
        assert_eq!(
            HaState::default().at_switchover(s(5), DELAY, WINDOW).0,
            [NotReady::LinkDown]
        );
    }

    #[test]
    fn a_link_lost_mid_synchronisation_is_judged_unsynchronised() {
        let mut ha = HaState::default();
        let id = ha.up(s(0));
        ha.down(id, s(70));
        assert_eq!(
            ha.at_switchover(s(71), DELAY, WINDOW).0,
            [NotReady::NotSynced]
        );
    }

    #[test]
    fn the_words_name_each_missing_condition() {
        let text = describe(
            &[NotReady::NotSynced, NotReady::DelayNotPassed],
            DELAY,
            Some(s(23)),
        );
        assert_eq!(
            text,
            "switched over while readiness was 0: the calls were not all synchronised, and the \
             readiness delay (60 s) had not passed since the HA link came up (23 s before)"
        );
        assert!(describe(&[NotReady::LinkDown], DELAY, None).contains("HA link was down"));
    }
}
