//! One running server instance: the state its listeners and client sessions (`server.rs`) and
//! its HA link (`ha.rs`) share: the serving side starts the HA link, and the HA link needs only
//! this, not the serving side.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc, watch};

use super::store::{Store, StoreError};
use super::{Scope, World};
use crate::net::Net;
use crate::topology::Role;
use crate::trace::{Kind, StopReason};
use crate::wire::Message;

/// How long a peer has to say hello.
pub(super) const HELLO_TIMEOUT: Duration = Duration::from_secs(3);

/// Where a session's messages go.
pub(super) type Tx = mpsc::UnboundedSender<Message>;

/// One running server instance: what its listeners, its role and its HA link share.
pub(super) struct Server<N: Net> {
    pub(super) w: Rc<World<N>>,
    pub(super) name: String,
    /// Host key, for the TLS clock of its handshakes.
    pub(super) host: String,
    /// The other instance of its pair, if paired.
    pub(super) partner: Option<String>,
    /// Hot standby: a client event is acknowledged once the backup has it.
    pub(super) hot: bool,
    pub(super) role: watch::Receiver<Option<Role>>,
    /// The role as announced: set by the role task once it has recorded a change, so that a
    /// session waiting for the first role continues after the `role-changed` event, in one
    /// order however the runtime happens to poll the two tasks.
    pub(super) announced: watch::Sender<Option<Role>>,
    /// The client events this instance holds.
    pub(super) store: RefCell<Box<dyn Store>>,
    /// Every client session, told of each role change.
    pub(super) clients: RefCell<Vec<Tx>>,
    /// The primary's end of the HA link, while a backup is synchronised.
    pub(super) backup: RefCell<Option<Tx>>,
    /// Hot standby: events replicated but not yet confirmed, with the client to acknowledge.
    pub(super) pending: RefCell<BTreeMap<String, Tx>>,
    pub(super) scope: Scope,
    /// Told when the process must end (its store failed).
    pub(super) stopped: Notify,
}

impl<N: Net> Server<N> {
    /// The role the SCS gave, as of now.
    pub(super) fn role_now(&self) -> Option<Role> {
        *self.role.borrow()
    }

    /// The store failed: the process stops rather than acknowledge what it may not hold.
    pub(super) fn fail(&self, e: &StoreError) {
        self.w.emit(
            &self.name,
            Kind::Stopped {
                reason: StopReason::StoreFailed {
                    error: e.to_string(),
                },
            },
        );
        self.stopped.notify_one();
    }
}
