//! The `calls` step's order to the switch (Step 9, source): what the file form carries, and the
//! bounds the file form and the loader share.

use super::{AppRef, traffic_rate};

/// What a `calls` step orders of the switch (`node/switch.rs`).
#[derive(Clone, Debug, PartialEq)]
pub struct Calls {
    /// An application of the data-source pair (T-Server, SIP Server, Interaction Server).
    pub source: AppRef,
    /// How many calls, 1 to [`MAX_CALLS`](crate::limits::MAX_CALLS).
    pub count: u64,
    /// New calls per second, as `traffic` writes rates (0.001 to 10000).
    pub rate: f64,
    /// Agents logged in to answer them, 1 to [`MAX_CALL_AGENTS`](crate::limits::MAX_CALL_AGENTS).
    pub agents: u64,
    /// Attached-data keys set on each call when it rings, 0 to
    /// [`MAX_CALL_KEYS`](crate::limits::MAX_CALL_KEYS).
    pub keys: u64,
}

impl Calls {
    /// Agents when a step does not say.
    pub const AGENTS: u64 = 10;
    /// Attached-data keys per call when a step does not say.
    pub const KEYS: u64 = 2;

    /// Why the numbers are out of bounds, if they are (the loader says it with a location).
    ///
    /// # Errors
    /// A sentence naming the field and its bounds.
    pub fn check(count: u64, agents: u64, keys: u64) -> Result<(), String> {
        use crate::limits::{MAX_CALL_AGENTS, MAX_CALL_KEYS, MAX_CALLS};
        if !(1..=MAX_CALLS).contains(&count) {
            return Err(format!("`count` is how many calls, 1 to {MAX_CALLS}"));
        }
        if !(1..=MAX_CALL_AGENTS).contains(&agents) {
            return Err(format!("`agents` is 1 to {MAX_CALL_AGENTS} agents"));
        }
        if keys > MAX_CALL_KEYS {
            return Err(format!(
                "`keys` is 0 to {MAX_CALL_KEYS} attached-data keys per call"
            ));
        }
        Ok(())
    }
}

/// What a `calls` step's rate must be.
pub(crate) const CALL_RATE: &str =
    "`rate` is new calls per second, from 0.001 to 10000, e.g. \"50/s\"";

/// `rate = "50/s"` of a `calls` step: as `traffic` writes rates, but never 0 (a step that
/// places no call is a mistake).
pub(crate) fn call_rate(text: &str) -> Option<f64> {
    traffic_rate(text).filter(|r| *r > 0.0)
}
