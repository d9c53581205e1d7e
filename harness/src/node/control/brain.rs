//! What the SCS says of a pair's roles, as its log events do (SCS 8.5.100.31 and later):
//! a pair whose primary changes again within `haflip-detect-timeout` (10 s by default) flips
//! too often (10327), until it keeps its roles for that long (10328); both instances reporting
//! primary is a split brain (20622), both backup a no brain (20621), and one of each again is
//! normal (20623). `-1` switches detection off. [S-SCS-RN]
//!
//! Pure bookkeeping over instants and reported roles: the SCS decides when a pair is judged
//! (not while it is changing the roles itself).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::topology::Role;
use crate::trace::Kind;

/// Genesys SCS log events.
const FLAPPING: u32 = 10327;
const STABLE: u32 = 10328;
const NO_BRAIN: u32 = 20621;
const SPLIT_BRAIN: u32 = 20622;
const NORMAL: u32 = 20623;

/// A pair's roles as the SCS last judged them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Split,
    NoBrain,
}

/// Per pair (named by its configured primary): flips and brain states.
#[derive(Default)]
pub(super) struct Brain {
    /// When the pair's primary last changed.
    last_flip: BTreeMap<String, Duration>,
    /// Pairs reported flapping and not yet stable.
    flapping: BTreeSet<String>,
    /// Pairs in split or no brain.
    state: BTreeMap<String, State>,
}

impl Brain {
    /// The SCS changed the primary of `pair` at `now`: flapping if the previous change was
    /// within `window` (`None`: detection off).
    pub(super) fn flipped(
        &mut self,
        pair: &str,
        now: Duration,
        window: Option<Duration>,
    ) -> Option<Kind> {
        let previous = self.last_flip.insert(pair.to_string(), now);
        let window = window?;
        let again = previous.is_some_and(|at| now.saturating_sub(at) < window);
        (again && self.flapping.insert(pair.to_string())).then(|| Kind::HaFlapping {
            app: pair.to_string(),
            log_event: FLAPPING,
        })
    }

    /// Flapping pairs whose primary has not changed for `window` by `now`: stable again.
    pub(super) fn settle(&mut self, now: Duration, window: Option<Duration>) -> Vec<Kind> {
        let Some(window) = window else {
            return Vec::new();
        };
        let calm: Vec<String> = self
            .flapping
            .iter()
            .filter(|p| {
                self.last_flip
                    .get(*p)
                    .is_some_and(|at| now.saturating_sub(*at) >= window)
            })
            .cloned()
            .collect();
        calm.into_iter()
            .map(|p| {
                self.flapping.remove(&p);
                Kind::HaStable {
                    app: p,
                    log_event: STABLE,
                }
            })
            .collect()
    }

    /// Judges `pair` from the roles its two running instances report (`on`: detection on):
    /// the event to log when its state changed.
    pub(super) fn judge(
        &mut self,
        pair: &str,
        roles: (Option<Role>, Option<Role>),
        on: bool,
    ) -> Option<Kind> {
        let now = match roles {
            (Some(Role::Primary), Some(Role::Primary)) => Some(State::Split),
            (Some(Role::Backup), Some(Role::Backup)) => Some(State::NoBrain),
            (Some(_), Some(_)) => None,
            // An instance without a role yet: nothing to say.
            _ => return None,
        };
        if !on {
            self.state.remove(pair);
            return None;
        }
        let before = match now {
            Some(s) => self.state.insert(pair.to_string(), s),
            None => self.state.remove(pair),
        };
        if before == now {
            return None;
        }
        let app = pair.to_string();
        Some(match now {
            Some(State::Split) => Kind::SplitBrain {
                app,
                log_event: SPLIT_BRAIN,
            },
            Some(State::NoBrain) => Kind::NoBrain {
                app,
                log_event: NO_BRAIN,
            },
            None => Kind::HaNormal {
                app,
                log_event: NORMAL,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;
    const WINDOW: Option<Duration> = Some(Duration::from_secs(10));

    #[test]
    fn a_second_flip_within_the_window_is_flapping_until_the_roles_hold() {
        let mut b = Brain::default();
        assert_eq!(
            b.flipped("ts", S(20), WINDOW),
            None,
            "a first flip is no flapping"
        );
        assert_eq!(b.flipped("other", S(25), WINDOW), None, "pairs are apart");
        assert!(matches!(
            b.flipped("ts", S(29), WINDOW),
            Some(Kind::HaFlapping {
                log_event: 10327,
                ..
            })
        ));
        assert_eq!(b.flipped("ts", S(31), WINDOW), None, "said once");
        assert!(
            b.settle(S(40), WINDOW).is_empty(),
            "9 s after the last flip"
        );
        let stable = b.settle(S(41), WINDOW);
        assert!(
            matches!(stable.as_slice(), [Kind::HaStable { app, log_event: 10328 }] if app == "ts")
        );
        assert!(b.settle(S(50), WINDOW).is_empty());
        // Flips 10 s apart are not within the window; -1 (off) says nothing.
        assert_eq!(b.flipped("ts", S(51), WINDOW), None);
        assert_eq!(b.flipped("ts", S(52), None), None);
    }

    #[test]
    fn two_primaries_or_none_are_reported_and_normal_once_resolved() {
        use Role::{Backup, Primary};
        let mut b = Brain::default();
        assert_eq!(b.judge("ts", (Some(Primary), Some(Backup)), true), None);
        assert!(matches!(
            b.judge("ts", (Some(Primary), Some(Primary)), true),
            Some(Kind::SplitBrain {
                log_event: 20622,
                ..
            })
        ));
        assert_eq!(b.judge("ts", (Some(Primary), Some(Primary)), true), None);
        assert_eq!(
            b.judge("ts", (Some(Primary), None), true),
            None,
            "no role: no verdict"
        );
        assert!(matches!(
            b.judge("ts", (Some(Backup), Some(Primary)), true),
            Some(Kind::HaNormal {
                log_event: 20623,
                ..
            })
        ));
        assert!(matches!(
            b.judge("ts", (Some(Backup), Some(Backup)), true),
            Some(Kind::NoBrain {
                log_event: 20621,
                ..
            })
        ));
        assert_eq!(
            b.judge("ts", (Some(Backup), Some(Backup)), false),
            None,
            "off"
        );
        assert_eq!(b.judge("ts", (Some(Primary), Some(Backup)), true), None);
    }
}
