//! The liveness phase (Step 10): after the last step every fault still active is lifted
//! (`crate::fault::lift`), the run goes on for a bound derived from the topology's own
//! timeouts ([`bound`]) and a little more, and the pair must have converged within the bound
//! and stayed so ([`judge`]): exactly one primary, the HA link synced, every client connected
//! to the primary over the TLS its port demands, nothing acknowledged lost.

mod judge;
mod phase;

/// The bound's module: it lives in `scenario`, whose loading checks `[liveness] within`
/// against it (here it would make a module cycle).
pub use crate::scenario::bound_liveness as bound;
pub use crate::scenario::bound_liveness::{Bound, derive};
pub use judge::judge;
pub use phase::{Phase, SETTLE};
