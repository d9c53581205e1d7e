//! One running server instance: the state its listeners and client sessions (`server.rs`) and
//! its HA link (`ha.rs`) share: the serving side starts the HA link, and the HA link needs only
//! this, not the serving side.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc, watch};

use super::readiness::{self, HaState};
use super::store::{Store, StoreError};
use super::{Scope, World};
use crate::net::Net;
use crate::topology::{AppType, Role};
use crate::trace::{Kind, NotReady, StopReason};
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
    /// A T-Server or SIP Server in hot standby: its HA link's handshake is traced in
    /// T-Server's words (`backup-ready`, `full-sync-done`, `link-connected`).
    pub(super) tserver: bool,
    /// A paired SIP Server: it exchanges call lists, pushes missing calls in batches, and
    /// traces its readiness.
    pub(super) sip: bool,
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
    /// The HA link as readiness judges it (either end).
    pub(super) ha: RefCell<HaState>,
    /// The backup's end of the HA link while it is up (aborted, not ended, at a promotion).
    pub(super) backup_link: Cell<Option<u64>>,
    /// The readiness delay, read when the HA link last came up.
    pub(super) delay: Cell<Duration>,
    /// The readiness last traced, with its role.
    pub(super) traced: RefCell<Option<(Role, Vec<NotReady>)>>,
    /// Whether every port it listens on opened.
    pub(super) ports_open: Cell<bool>,
    /// `[TServer] backup-sip-port-check`, read at start: the start-up checks include the
    /// ports being open.
    pub(super) port_check: bool,
    /// It reported `SERVICE_UNAVAILABLE` and has not recovered.
    pub(super) unavailable: Cell<bool>,
}

/// The SIP Server readiness delay when `[hapair] sip-readiness-delay` is unset.
const READINESS_DELAY: Duration = Duration::from_secs(60);

/// Slack added to how long the SCS may take to notice a failure: its one-second checks and
/// the messages between LCA and SCS.
const DETECTION_SLACK: Duration = Duration::from_secs(2);

/// Whether an application type is of the T-Server family (SIP Server is a T-Server).
pub(super) fn is_tserver(kind: AppType) -> bool {
    matches!(kind, AppType::Tserver | AppType::SipServer)
}

impl<N: Net> Server<N> {
    /// The role the SCS gave, as of now.
    pub(super) fn role_now(&self) -> Option<Role> {
        *self.role.borrow()
    }

    /// The HA link (either end) came up: its ID for [`Server::link_synced`] and
    /// [`Server::link_down`]. The readiness delay is read now ("next connection").
    pub(super) fn link_up(&self) -> u64 {
        let delay = self
            .w
            .option_secs(&self.name, "hapair", "sip-readiness-delay")
            .unwrap_or(READINESS_DELAY);
        self.delay.set(delay);
        let id = self.ha.borrow_mut().up(self.w.net.now());
        self.refresh();
        id
    }

    /// Every call of link `id` is synchronised.
    pub(super) fn link_synced(&self, id: u64) {
        self.ha.borrow_mut().synced(id, self.w.net.now());
        self.refresh();
    }

    /// Link `id` ended.
    pub(super) fn link_down(&self, id: u64) {
        self.ha.borrow_mut().down(id, self.w.net.now());
        self.refresh();
    }

    /// A SIP Server traces its readiness when it changes (with what is missing), and leaves
    /// `SERVICE_UNAVAILABLE` once its checks pass.
    pub(super) fn refresh(&self) {
        if !self.sip {
            return;
        }
        let Some(role) = self.role_now() else { return };
        let missing = self
            .ha
            .borrow()
            .missing(role, self.w.net.now(), self.delay.get());
        if self.unavailable.get() && self.failed_checks().is_empty() {
            self.unavailable.set(false);
            self.w.emit(&self.name, Kind::ServiceRunning);
        }
        let fresh = Some((role, missing.clone()));
        if *self.traced.borrow() == fresh {
            return;
        }
        *self.traced.borrow_mut() = fresh;
        self.w.emit(
            &self.name,
            Kind::Readiness {
                value: u8::from(missing.is_empty()),
                role,
                not_ready: missing,
            },
        );
    }

    /// A SIP Server promoted from backup: a double failure when the pair was not ready (judged
    /// as a primary's readiness, as of the failure that caused the switchover).
    pub(super) fn promoted(&self) {
        if !self.sip {
            return;
        }
        let delay = self.delay.get();
        let (missing, up_for) =
            self.ha
                .borrow()
                .at_switchover(self.w.net.now(), delay, self.failure_window());
        if missing.is_empty() {
            return;
        }
        let detail = readiness::describe(&missing, delay, up_for);
        self.w.emit(
            &self.name,
            Kind::DoubleFailure {
                not_ready: missing,
                detail,
            },
        );
    }

    /// How long before a promotion the failure that caused it can have struck: the SCS
    /// notices a silent host after twice the partner host's `[addp] addp-timeout` (a poll,
    /// then as long for its answer), waits `disconnect-switchover-timeout` more, and takes a
    /// moment to act.
    ///
    /// An assumption of hapair's: Genesys does not say when a readiness of 0 "counts".
    fn failure_window(&self) -> Duration {
        let w = &self.w;
        let host_addp = self
            .partner
            .as_deref()
            .and_then(|p| w.topology.app(p))
            .and_then(|a| w.host_option_secs(&a.host.value, "addp", "addp-timeout"))
            .unwrap_or_default();
        let delayed = w
            .topology
            .apps
            .iter()
            .find(|a| a.kind.value == AppType::Scs)
            .and_then(|scs| {
                w.option_secs(&scs.name.value, "general", "disconnect-switchover-timeout")
            })
            .unwrap_or_default();
        host_addp
            .saturating_mul(2)
            .saturating_add(delayed)
            .saturating_add(DETECTION_SLACK)
    }

    /// `[TServer] backup-init-check`: what the backup's start-up checks find missing, in
    /// words (empty: they pass): the HA link up and the calls synchronised, and with
    /// `backup-sip-port-check` its ports open.
    pub(super) fn failed_checks(&self) -> Vec<&'static str> {
        let mut failed: Vec<&'static str> = self
            .ha
            .borrow()
            .missing(Role::Backup, self.w.net.now(), self.delay.get())
            .iter()
            .map(|m| match m {
                NotReady::LinkDown => "the HA link to the primary is not connected",
                NotReady::NotSynced | NotReady::DelayNotPassed => {
                    "the calls are not synchronised with the primary"
                }
            })
            .collect();
        if self.port_check && !self.ports_open.get() {
            failed.push("a port it listens on (its SIP port) could not be opened");
        }
        failed
    }

    /// `[TServer] backup-init-check` timed out: a backup whose checks fail reports
    /// `SERVICE_UNAVAILABLE`.
    pub(super) fn init_check(&self) {
        if self.role_now() != Some(Role::Backup) {
            return;
        }
        let failed = self.failed_checks();
        if failed.is_empty() {
            return;
        }
        self.unavailable.set(true);
        self.w.emit(
            &self.name,
            Kind::ServiceUnavailable {
                detail: format!("start-up checks failed: {}", failed.join("; ")),
            },
        );
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
