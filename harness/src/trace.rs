//! The trace: typed events stamped with virtual time. Nodes append; checks and reports read.
//! It is the only thing checkers look at, and it serialises as JSON lines.
//!
//! Nothing random or wall-clock reaches an event: the same scenario, seed and version give the
//! same trace (TLS record bytes never appear in it).

use serde::{Deserialize, Serialize};

use crate::tls::FailureClass;
use crate::topology::{ListenMode, Role};

mod reason;
mod recorder;

pub use reason::{
    ConnectFailure, DialError, DisconnectReason, FaultName, NotReady, StopReason, SwitchoverReason,
    SwitchoverRefusal, Undistributed, Unsent,
};
pub use recorder::Recorder;

/// One thing that happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Virtual milliseconds since the simulation started.
    pub at_ms: u64,
    /// Who saw it: an application, `lca@HOST`, `scs`, or `sim` for injected faults.
    pub node: String,
    /// What happened.
    #[serde(flatten)]
    pub kind: Kind,
}

/// The kinds of events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Kind {
    /// An application process started.
    Started {
        /// The role it starts in (servers) or none (clients).
        role: Option<Role>,
    },
    /// An application process stopped.
    Stopped {
        /// Why.
        reason: StopReason,
    },
    /// A server's role changed (or was first given: `from` is empty).
    RoleChanged {
        /// Previous role.
        from: Option<Role>,
        /// New role.
        to: Role,
    },
    /// A port is listening.
    Listening {
        /// Port ID.
        port: String,
        /// Port number.
        number: u16,
        /// Listening mode.
        mode: ListenMode,
    },
    /// A dial is attempted.
    ConnectAttempt {
        /// Target application.
        to: String,
        /// Port ID.
        port: String,
        /// Whether the dial opens with TLS at once (a dial to an upgrade port starts plain:
        /// false, then `plain-start` and `start-tls`).
        tls: bool,
    },
    /// A dial failed before any TLS (`refused`, `timed-out`, `reset`, `unreachable`, …).
    ConnectFailed {
        /// Target application.
        to: String,
        /// Port ID.
        port: String,
        /// Why.
        reason: ConnectFailure,
    },
    /// A TLS handshake completed.
    HandshakeOk {
        /// The other application.
        peer: String,
        /// Port ID.
        port: String,
        /// `1.2` or `1.3`.
        version: String,
        /// Cipher suite.
        cipher: String,
        /// Subject of the peer's certificate, if it sent one.
        peer_subject: Option<String>,
    },
    /// A TLS handshake (or the plain/TLS agreement around it) failed.
    HandshakeFailed {
        /// The other application (or its address when unknown).
        peer: String,
        /// Port ID.
        port: String,
        /// Classification.
        class: FailureClass,
        /// The underlying error, in words.
        detail: String,
    },
    /// A session is established (after the handshake, if any, and registration).
    Connected {
        /// The other application.
        peer: String,
        /// Port ID.
        port: String,
        /// Whether it runs under TLS.
        tls: bool,
        /// Why it exists.
        purpose: crate::topology::Purpose,
    },
    /// A listener closed a connection as soon as it accepted it: it already held as many
    /// sessions open as hapair lets one listener hold
    /// ([`MAX_SESSIONS_PER_LISTENER`](crate::limits::MAX_SESSIONS_PER_LISTENER)).
    SessionLimit {
        /// Port ID.
        port: String,
        /// The dialling host (its application is not known before it says hello).
        peer: String,
        /// The bound reached.
        limit: usize,
        /// The same, in words.
        reason: String,
    },
    /// A session ended.
    Disconnected {
        /// The other application.
        peer: String,
        /// Port ID.
        port: String,
        /// Why.
        reason: DisconnectReason,
    },
    /// Plain-protocol bytes were received on a session (the invariant "no plaintext byte on a
    /// secured port" reads this).
    PlainSession {
        /// The other application.
        peer: String,
        /// Port ID.
        port: String,
        /// Listening mode of the port.
        mode: ListenMode,
    },
    /// The HA link is synchronised (full sync done).
    HaSynced {
        /// The primary.
        primary: String,
        /// The backup.
        backup: String,
        /// Port ID of the link.
        port: String,
        /// Whether the link runs under TLS.
        tls: bool,
    },
    /// The primary accepted a client event.
    Accepted {
        /// Event ID.
        id: String,
    },
    /// An instance stored events (accepted, replicated, or by full sync).
    Stored {
        /// Event IDs.
        ids: Vec<String>,
    },
    /// An instance lost its memory (a restart).
    StoreCleared,
    /// A client got an acknowledgement.
    Acknowledged {
        /// Event ID.
        id: String,
        /// The server that acknowledged.
        by: String,
    },
    /// A fault or step took effect.
    Fault {
        /// What (`crash`, `power-off`, `partition`, …, or the SCS's `host-lost (ADDP)`).
        fault: FaultName,
        /// On what.
        target: String,
    },
    /// A node refused its configuration.
    ConfigRejected {
        /// The rule that refuses it.
        rule: String,
        /// In words.
        detail: String,
    },
    /// The SCS decided a switchover.
    Switchover {
        /// New primary.
        promote: String,
        /// Why.
        reason: SwitchoverReason,
    },
    /// The SCS refused a manual switchover (the instance is already primary, or cannot be).
    SwitchoverRefused {
        /// The application the order named.
        app: String,
        /// Why.
        reason: SwitchoverRefusal,
    },
    // Step 8, items 3 and 4 (Configuration Server pair, clients): the upgrade of a plain
    // session to TLS, a warm-standby backup turning a client away, a client's switch to the
    // other server of a pair.
    /// A dial to an upgrade port connected in plain text: the dialler speaks the plain protocol
    /// first, and asks to switch to TLS on this same connection.
    PlainStart {
        /// Target application.
        to: String,
        /// Port ID.
        port: String,
    },
    /// The listener agreed to switch this plain connection to TLS (start-TLS): the TLS
    /// handshake follows on the same connection.
    StartTls {
        /// Target application.
        to: String,
        /// Port ID.
        port: String,
        /// Always true: the connection runs under TLS from here on.
        tls: bool,
    },
    /// A server turned a client session away.
    ClientRefused {
        /// The client application.
        peer: String,
        /// Port ID.
        port: String,
        /// Why, in words (`backup of a warm-standby pair accepts no client sessions`).
        reason: String,
    },
    /// A client gave up on one server of a warm-standby pair and turns to the other: it dials
    /// `to` next, after `wait_ms`.
    EndpointSwitch {
        /// The server it leaves.
        from: String,
        /// The server it dials next.
        to: String,
        /// Port ID (the same on both servers).
        port: String,
        /// Attempts made on the server it leaves since its last session (a lost session
        /// counts as one).
        attempts: u64,
        /// How long it waits before dialling `to` (ms).
        wait_ms: u64,
    },
    // T-Server / SIP Server hot standby (Step 8, item 5).
    /// T-Server hot standby: the backup told the primary it is ready for synchronisation
    /// ("Backup Ready").
    BackupReady {
        /// The primary it told.
        primary: String,
        /// The calls (events) the backup already holds: a SIP Server sends their list, and
        /// the primary pushes only the missing ones; a T-Server's are replaced (0).
        calls: usize,
    },
    /// T-Server hot standby: the primary finished the backup's synchronisation and told it so
    /// ("Full Sync Done").
    FullSyncDone {
        /// The backup.
        backup: String,
        /// How many calls (events) the synchronisation carried.
        calls: usize,
    },
    /// T-Server hot standby: the backup is synchronised with the primary and says so to its
    /// clients (`EventLinkConnected`).
    LinkConnected {
        /// The primary.
        primary: String,
    },
    /// A SIP Server's readiness changed (`readiness` of `/server?sipServer`): 1 when ready to
    /// be switched over, 0 when not, with what is missing.
    Readiness {
        /// 1 or 0.
        value: u8,
        /// The role it is judged in (a primary also waits for the readiness delay).
        role: Role,
        /// What is missing, as one text (`calls-not-synced, readiness-delay-not-passed`;
        /// empty when ready), so that a `logged` expectation matches it as written.
        #[serde(with = "reason::not_ready_list")]
        not_ready: Vec<NotReady>,
    },
    /// A SIP Server became primary while the pair was not ready: a second failure on top of
    /// the one that is not yet repaired (calls may be lost).
    DoubleFailure {
        /// What was missing when the switchover happened, as one text.
        #[serde(with = "reason::not_ready_list")]
        not_ready: Vec<NotReady>,
        /// The same, in words.
        detail: String,
    },
    /// A backup SIP Server reports `SERVICE_UNAVAILABLE` to its LCA: its start-up checks
    /// (`[TServer] backup-init-check`) did not pass in time.
    ServiceUnavailable {
        /// Which checks failed, in words.
        detail: String,
    },
    /// A SIP Server that reported `SERVICE_UNAVAILABLE` passed its checks: it reports
    /// `SERVICE_RUNNING` again.
    ServiceRunning,
    // Step 8, items 1 and 2: ADDP polls, and what the SCS says of a pair's roles.
    /// ADDP: nothing came from the peer for `timeout_ms`, so this side polled it (traced when
    /// `addp-trace` asks for this side).
    AddpPoll {
        /// The other side (an application, `lca@HOST`, `scs`).
        peer: String,
        /// The silence that made it poll, and the time the peer has to answer.
        timeout_ms: u64,
    },
    /// ADDP: the peer answered this side's poll in time.
    AddpAnswer {
        /// The other side.
        peer: String,
        /// The timeout the poll ran under.
        timeout_ms: u64,
    },
    /// SCS: a pair's primary changed again within `haflip-detect-timeout` of the previous
    /// change (Genesys SCS log event 10327, "flips mode too often").
    HaFlapping {
        /// The pair, by its configured primary.
        app: String,
        /// The Genesys log event number.
        log_event: u32,
    },
    /// SCS: a flapping pair kept its roles for `haflip-detect-timeout` (log event 10328).
    HaStable {
        /// The pair, by its configured primary.
        app: String,
        /// The Genesys log event number.
        log_event: u32,
    },
    /// SCS: both instances of a pair report themselves primary (log event 20622).
    SplitBrain {
        /// The pair, by its configured primary.
        app: String,
        /// The Genesys log event number.
        log_event: u32,
    },
    /// SCS: both running instances of a pair report themselves backup (log event 20621).
    NoBrain {
        /// The pair, by its configured primary.
        app: String,
        /// The Genesys log event number.
        log_event: u32,
    },
    /// SCS: a pair in split or no brain has one primary and one backup again (log event
    /// 20623).
    HaNormal {
        /// The pair, by its configured primary.
        app: String,
        /// The Genesys log event number.
        log_event: u32,
    },
    // Interaction Concentrator (Step 9).
    /// A data source's primary distributed a call event to its clients, with the pair's event
    /// sequence number.
    CallEvent {
        /// The pair's event sequence number.
        seq: u64,
        /// The event.
        cti: crate::cti::CtiEvent,
    },
    /// An ICON committed a batch to its IDB.
    IdbWritten {
        /// The `[database.KEY]`.
        db: String,
        /// Rows written.
        rows: u64,
        /// Lowest and highest event sequence number among them (none for control rows only).
        first_seq: Option<u64>,
        /// Highest event sequence number.
        last_seq: Option<u64>,
    },
    /// An ICON's batch was refused by its IDB (or it has none): the database's own words.
    IdbFailed {
        /// The `[database.KEY]`.
        db: String,
        /// What the database said.
        detail: String,
    },
    // Step 9, source: the switch's call traffic.
    /// The switch's call event reached no client: no instance of the pair could distribute
    /// it (logged by `switch`). Its `seq` is used up: the numbering shows the gap.
    CallEventLost {
        /// The pair, by its configured primary.
        pair: String,
        /// The event's sequence number.
        seq: u64,
        /// The event.
        cti: crate::cti::CtiEvent,
        /// Why no instance distributed it.
        reason: Undistributed,
    },
    // Step 9, part icon: the ICON's persistent queue.
    /// An ICON's persistent queue is full (its IDB refused for too long): it stops taking
    /// events, from `seq` on, until the queue drains; its session control shows the gap.
    IdbQueueFull {
        /// The `[database.KEY]`.
        db: String,
        /// Rows queued.
        rows: u64,
        /// The first event not taken.
        seq: u64,
    },
    // Step 10: client histories.
    /// A client sent a request to the server it holds for primary (Step 10: client histories;
    /// an answer is `acknowledged`, none at all leaves it unknown).
    Requested {
        /// Request (event) ID.
        id: String,
        /// The server it was sent to.
        to: String,
    },
    /// A client's request could not be sent, and the client knew it at once.
    RequestFailed {
        /// Request (event) ID.
        id: String,
        /// Why.
        reason: Unsent,
    },
}

/// The event word of every [`Kind`], as the trace writes it (`"event": "…"`): what a
/// `logged` expectation may name. A unit test keeps it equal to the enum.
pub const EVENT_WORDS: &[&str] = &[
    "started",
    "stopped",
    "role-changed",
    "listening",
    "connect-attempt",
    "connect-failed",
    "handshake-ok",
    "handshake-failed",
    "connected",
    "session-limit",
    "disconnected",
    "plain-session",
    "ha-synced",
    "accepted",
    "stored",
    "store-cleared",
    "acknowledged",
    "fault",
    "config-rejected",
    "switchover",
    "switchover-refused",
    // Step 8, items 3 and 4.
    "plain-start",
    "start-tls",
    "client-refused",
    "endpoint-switch",
    // T-Server / SIP Server hot standby (Step 8, item 5).
    "backup-ready",
    "full-sync-done",
    "link-connected",
    "readiness",
    "double-failure",
    "service-unavailable",
    "service-running",
    // Step 8, items 1 and 2.
    "addp-poll",
    "addp-answer",
    "ha-flapping",
    "ha-stable",
    "split-brain",
    "no-brain",
    "ha-normal",
    // Interaction Concentrator (Step 9).
    "call-event",
    "idb-written",
    "idb-failed",
    // Step 9, source.
    "call-event-lost",
    // Step 9, part icon.
    "idb-queue-full",
    // Step 10: client histories.
    "requested",
    "request-failed",
];

/// What an application process is doing at an instant, as the trace shows it (`started`,
/// `role-changed` and `stopped` events). A `role` expectation names one
/// (`is = "primary" | "backup" | "none" | "stopped"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Not running (never started, crashed, powered off, or refused its configuration).
    Stopped,
    /// Running without a role (just started, the SCS has not spoken yet, or a client).
    NoRole,
    /// Running in this role.
    In(Role),
}

impl State {
    /// The role, when it has one.
    pub fn role(self) -> Option<Role> {
        match self {
            State::In(r) => Some(r),
            _ => None,
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            State::Stopped => "stopped",
            State::NoRole => "running without a role",
            State::In(Role::Primary) => "primary",
            State::In(Role::Backup) => "backup",
        })
    }
}

/// A finished trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// Events in the order they happened.
    pub events: Vec<Event>,
}

impl Trace {
    /// JSON lines, one event a line.
    pub fn to_jsonl(&self) -> String {
        let mut out = String::new();
        for e in &self.events {
            out.push_str(&serde_json::to_string(e).unwrap_or_default());
            out.push('\n');
        }
        out
    }

    /// Reads JSON lines back.
    ///
    /// # Errors
    /// The first line that is not an event, with its 1-based number.
    pub fn from_jsonl(text: &str) -> Result<Self, (usize, serde_json::Error)> {
        let events = (1..)
            .zip(text.lines())
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(n, l)| serde_json::from_str(l).map_err(|e| (n, e)))
            .collect::<Result<_, _>>()?;
        Ok(Self { events })
    }

    /// A stable digest of the trace, for determinism checks: the SHA-256 of
    /// [`Trace::to_jsonl`], fed line by line instead of built as one string.
    pub fn digest(&self) -> String {
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        let mut line = Vec::new();
        for e in &self.events {
            line.clear();
            if serde_json::to_writer(&mut line, e).is_ok() {
                context.update(&line);
            }
            context.update(b"\n");
        }
        let d = context.finish();
        d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Events of one node.
    pub fn of<'a>(&'a self, node: &'a str) -> impl Iterator<Item = &'a Event> {
        self.events.iter().filter(move |e| e.node == node)
    }
}

#[cfg(test)]
mod tests;
