//! The Management Layer: a Local Control Agent on every host starts and watches the host's
//! applications (it sees a process die at once) and listens on the host's `lcaport` (4999 by
//! default); the Solution Control Server connects to every LCA and watches it through ADDP
//! (the host's `[addp]` options: `addp-timeout` 9 s by default), gives each instance its
//! role, promotes the backup when the primary's process or host dies, and carries out manual
//! switchovers. Losing an LCA fails over every primary of its host, after the SCS's
//! `disconnect-switchover-timeout`; the SCS reports a flapping pair, a split brain and a no
//! brain (`haflip-detect-timeout`). Windows with two primaries or none happen as in the real
//! system (a partitioned primary keeps its role until it hears from the SCS again).
//! [S-MLFAULTS], [S-ADDP-HOST], [S-SCS-RN]

mod brain;
mod lca;
mod scs;

use std::rc::Rc;
use std::time::Duration;

use super::World;
use crate::net::Net;

/// How long the SCS waits before it dials a lost (or not yet reached) LCA again: undocumented,
/// hapair's choice.
const REDIAL: Duration = Duration::from_secs(1);

/// Everything one host runs: its LCA (and so its applications), and the SCS if it lives here
/// (alone on the management host hapair adds when the topology places no SCS).
pub async fn host<N: Net>(w: Rc<World<N>>, host_key: String, runs_scs: bool) {
    if runs_scs {
        tokio::task::spawn_local(scs::run(Rc::clone(&w)));
    }
    if w.topology.host(&host_key).is_some() {
        lca::run(w, host_key).await;
    } else {
        std::future::pending::<()>().await;
    }
}
