//! Why things happened, as types: the reasons events carry (a process stopped, a session
//! ended, a dial failed, the SCS switched over or refused to). Checkers match these variants,
//! never their words.
//!
//! Each reason serialises as the phrase traces have always carried (`"process crashed"`,
//! `"addp-timeout"`, …), so a trace's JSON, and its digest, do not depend on this typing.
//! Reading a trace back accepts exactly those phrases; anything else is an error, not a guess.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::tls::FailureClass;

/// An enum of unit variants, each written as one fixed phrase in traces.
macro_rules! phrases {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $phrase:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The phrase traces carry.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $phrase, )+
                }
            }

            /// The variant a trace's phrase names.
            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::parse(&text).ok_or_else(|| unknown::<D>(stringify!($name), &text))
            }
        }
    };
}

fn unknown<'de, D: Deserializer<'de>>(what: &str, text: &str) -> D::Error {
    serde::de::Error::custom(format!("`{text}` is no {what} hapair writes"))
}

/// Serialises through `Display`, reads back through `parse` (reasons with a detail field).
macro_rules! as_text {
    ($name:ident) => {
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::parse(&text).ok_or_else(|| unknown::<D>(stringify!($name), &text))
            }
        }
    };
}

/// Why an application process (or the SCS) stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// A `crash` step killed it: `process crashed`.
    Crashed,
    /// Its host was powered off: `host powered off`.
    PoweredOff,
    /// It refused its own configuration (a `config-rejected` event precedes this):
    /// `configuration rejected`.
    ConfigRejected,
    /// An LCA could not open its listener on the host's `lcaport` (the SCS dials it):
    /// `cannot listen`.
    ScsCannotListen,
    /// A server could not listen on one of its ports:
    /// `cannot listen on port PORT: ERROR`.
    CannotListen {
        /// Port ID.
        port: String,
        /// The network's error, in its words.
        error: String,
    },
    /// The instance's replicated store failed: `store failed: ERROR`.
    StoreFailed {
        /// The store's error, in its words.
        error: String,
    },
}

const CANNOT_LISTEN_ON: &str = "cannot listen on port ";
const STORE_FAILED: &str = "store failed: ";

impl StopReason {
    /// The reason a trace's phrase names.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "process crashed" => StopReason::Crashed,
            "host powered off" => StopReason::PoweredOff,
            "configuration rejected" => StopReason::ConfigRejected,
            "cannot listen" => StopReason::ScsCannotListen,
            _ => {
                if let Some(error) = text.strip_prefix(STORE_FAILED) {
                    return Some(StopReason::StoreFailed {
                        error: error.to_string(),
                    });
                }
                let (port, error) = text.strip_prefix(CANNOT_LISTEN_ON)?.split_once(": ")?;
                StopReason::CannotListen {
                    port: port.to_string(),
                    error: error.to_string(),
                }
            }
        })
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Crashed => f.write_str("process crashed"),
            StopReason::PoweredOff => f.write_str("host powered off"),
            StopReason::ConfigRejected => f.write_str("configuration rejected"),
            StopReason::ScsCannotListen => f.write_str("cannot listen"),
            StopReason::CannotListen { port, error } => {
                write!(f, "{CANNOT_LISTEN_ON}{port}: {error}")
            }
            StopReason::StoreFailed { error } => write!(f, "{STORE_FAILED}{error}"),
        }
    }
}

as_text!(StopReason);

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The stream failed, classified as handshake failures are (`peer-closed` for an
    /// ordinary close, `reset` when the peer's host reset it because the process behind it
    /// died; a TLS class when the peer's TLS stack refused us after the handshake).
    Failed(FailureClass),
    /// The session's reader is gone: `closed`.
    Closed,
    /// The peer stayed silent through an ADDP ping and a second timeout: `addp-timeout`.
    AddpTimeout,
    /// The HA link's far end announced it is backup too: `peer is backup`.
    PeerIsBackup,
    /// The primary's end of an HA link whose instance was made backup: it leaves the link
    /// (its new primary is the peer, which it dials afresh): `demoted`.
    Demoted,
}

impl DisconnectReason {
    /// The reason a trace's phrase names.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "closed" => DisconnectReason::Closed,
            "addp-timeout" => DisconnectReason::AddpTimeout,
            "peer is backup" => DisconnectReason::PeerIsBackup,
            "demoted" => DisconnectReason::Demoted,
            _ => DisconnectReason::Failed(
                FailureClass::ALL
                    .iter()
                    .find(|(_, name)| *name == text)
                    .map(|(c, _)| *c)?,
            ),
        })
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DisconnectReason::Failed(class) => class.as_str(),
            DisconnectReason::Closed => "closed",
            DisconnectReason::AddpTimeout => "addp-timeout",
            DisconnectReason::PeerIsBackup => "peer is backup",
            DisconnectReason::Demoted => "demoted",
        })
    }
}

as_text!(DisconnectReason);

phrases! {
    /// Why a dial failed at the network, before any TLS.
    pub enum DialError {
        /// The host answered with a reset: it is up, and nothing listens on the port (the
        /// process crashed, never started, or refused its configuration): `refused`.
        Refused => "refused",
        /// The connection was reset or aborted while it opened: `reset`.
        Reset => "reset",
        /// No answer within the dial deadline (a partition, a powered-off host): `timed-out`.
        TimedOut => "timed-out",
        /// No route to the host: `unreachable`.
        Unreachable => "unreachable",
        /// The host name resolves to nothing: `unknown host`.
        UnknownHost => "unknown host",
        /// Any other network error: `failed`.
        Failed => "failed",
        /// An upgrade port did not accept `StartTls`: `start-tls refused`.
        StartTlsRefused => "start-tls refused",
        /// The server did not answer the client's hello in time: `no answer to hello`.
        NoAnswerToHello => "no answer to hello",
        /// The server closed the session before answering the hello: `closed before hello`.
        ClosedBeforeHello => "closed before hello",
        /// The server is the backup of a warm-standby pair, which serves no client: it
        /// answered the hello so and closed: `backup accepts no clients`.
        BackupAcceptsNoClients => "backup accepts no clients",
    }
}

/// Why a dial failed before any TLS handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectFailure {
    /// The network or the session opening failed.
    Dial(DialError),
    /// The dialler's TLS configuration could not be built: `tls configuration: ERROR`.
    TlsConfiguration(String),
    /// The name the dialler checks is no valid server name: `bad server name: ERROR`.
    BadServerName(String),
}

const TLS_CONFIGURATION: &str = "tls configuration: ";
const BAD_SERVER_NAME: &str = "bad server name: ";

impl ConnectFailure {
    /// The failure a trace's phrase names.
    pub fn parse(text: &str) -> Option<Self> {
        if let Some(e) = text.strip_prefix(TLS_CONFIGURATION) {
            return Some(ConnectFailure::TlsConfiguration(e.to_string()));
        }
        if let Some(e) = text.strip_prefix(BAD_SERVER_NAME) {
            return Some(ConnectFailure::BadServerName(e.to_string()));
        }
        DialError::parse(text).map(ConnectFailure::Dial)
    }
}

impl From<DialError> for ConnectFailure {
    fn from(e: DialError) -> Self {
        ConnectFailure::Dial(e)
    }
}

impl fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectFailure::Dial(e) => f.write_str(e.as_str()),
            ConnectFailure::TlsConfiguration(e) => write!(f, "{TLS_CONFIGURATION}{e}"),
            ConnectFailure::BadServerName(e) => write!(f, "{BAD_SERVER_NAME}{e}"),
        }
    }
}

as_text!(ConnectFailure);

phrases! {
    /// Why the SCS promoted an instance.
    pub enum SwitchoverReason {
        /// The primary's process stopped.
        PrimaryStopped => "the primary's process stopped",
        /// The primary's host went silent (its LCA missed the ADDP deadline).
        PrimaryHostSilent => "the primary's host stopped answering ADDP",
        /// The primary's process came back with no role while the SCS had not seen it stop
        /// (its host was lost and came back within `disconnect-switchover-timeout`): it lost
        /// its state, and its running backup takes over.
        PrimaryRestarted => "the primary's process restarted unseen",
        /// An operator's order, confirmed by the old primary stepping down.
        Manual => "manual switchover",
        /// An operator's order, carried out when the old primary did not confirm in time.
        ManualUnconfirmed => "manual switchover (the primary did not confirm it stepped down)",
    }
}

impl SwitchoverReason {
    /// Whether an operator ordered it (a `switchover` step), rather than a failure.
    pub fn is_manual(self) -> bool {
        matches!(
            self,
            SwitchoverReason::Manual | SwitchoverReason::ManualUnconfirmed
        )
    }
}

phrases! {
    /// Why the SCS refused a manual switchover.
    pub enum SwitchoverRefusal {
        /// Another switchover of the pair is waiting for its step-down.
        UnderWay => "a switchover of this pair is under way",
        /// Neither instance is primary.
        NoPrimary => "the pair has no primary to switch from",
        /// The instance named is primary already.
        AlreadyPrimary => "it is primary already",
        /// The instance to promote is down.
        NotRunning => "the instance to promote is not running",
    }
}

phrases! {
    /// Why the switch's call event reached no client (`call-event-lost`): no instance of the
    /// data-source pair could distribute it.
    pub enum Undistributed {
        /// An instance runs, but none is primary (the SCS has not promoted the backup yet).
        NoPrimary => "no-primary",
        /// No instance of the pair runs (crashed, powered off, or not started yet).
        NoneRunning => "none-running",
    }
}

phrases! {
    /// Why a client's request was not sent (`request-failed`): the client knew at once that it
    /// failed, as a PSDK client does when it has no connection to send on.
    pub enum Unsent {
        /// The client held no session to a primary of the pair it sends to.
        NoPrimary => "no-primary",
    }
}

/// What a `fault` event reports: an injected fault (a step), or a loss the SCS noticed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultName {
    /// The SCS lost a host's LCA (no ADDP answer): `host-lost (ADDP)`.
    HostLost,
    /// A step took effect, by its name in the plan (`crash`, `partition`, `clock-skew`, …).
    Step(String),
}

const HOST_LOST: &str = "host-lost (ADDP)";

impl FaultName {
    /// The name a trace's `fault` field carries.
    pub fn parse(text: &str) -> Option<Self> {
        Some(if text == HOST_LOST {
            FaultName::HostLost
        } else {
            FaultName::Step(text.to_string())
        })
    }

    /// The name in the trace.
    pub fn as_str(&self) -> &str {
        match self {
            FaultName::HostLost => HOST_LOST,
            FaultName::Step(name) => name,
        }
    }
}

impl fmt::Display for FaultName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

as_text!(FaultName);

phrases! {
    /// What keeps a SIP Server instance from being ready (its `readiness`, which SIP Server
    /// publishes over HTTP at `/server?sipServer`): the HA link, the calls, the delay.
    pub enum NotReady {
        /// The HA link to the peer is not connected: `ha-link-down`.
        LinkDown => "ha-link-down",
        /// The calls are not all synchronised yet: `calls-not-synced`.
        NotSynced => "calls-not-synced",
        /// A primary: the readiness delay has not passed since the HA link came up:
        /// `readiness-delay-not-passed`.
        DelayNotPassed => "readiness-delay-not-passed",
    }
}

/// A list of [`NotReady`] as one text in traces: the phrases joined by `, ` (empty: ready).
pub(super) mod not_ready_list {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::{NotReady, unknown};

    const SEPARATOR: &str = ", ";

    /// Writes the phrases joined.
    pub(in crate::trace) fn serialize<S: Serializer>(
        list: &[NotReady],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let words: Vec<&str> = list.iter().map(|n| n.as_str()).collect();
        s.serialize_str(&words.join(SEPARATOR))
    }

    /// Reads them back; a phrase hapair never writes is an error.
    pub(in crate::trace) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<NotReady>, D::Error> {
        let text = String::deserialize(d)?;
        if text.is_empty() {
            return Ok(Vec::new());
        }
        text.split(SEPARATOR)
            .map(|w| NotReady::parse(w).ok_or_else(|| unknown::<D>("NotReady", w)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every reason reads back from the phrase it writes.
    fn round_trip<T>(value: T)
    where
        T: Serialize + for<'de> Deserialize<'de> + PartialEq + fmt::Debug,
    {
        let json = serde_json::to_string(&value).unwrap_or_default();
        let back: Result<T, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(value), "{json}");
    }

    #[test]
    fn reasons_write_the_phrases_traces_carry_and_read_them_back() {
        let cases = [
            (
                serde_json::to_string(&StopReason::CannotListen {
                    port: "ha".into(),
                    error: "address in use: 7001".into(),
                }),
                "\"cannot listen on port ha: address in use: 7001\"",
            ),
            (
                serde_json::to_string(&DisconnectReason::Failed(FailureClass::PeerClosed)),
                "\"peer-closed\"",
            ),
            (
                serde_json::to_string(&DisconnectReason::PeerIsBackup),
                "\"peer is backup\"",
            ),
            (
                serde_json::to_string(&ConnectFailure::Dial(DialError::TimedOut)),
                "\"timed-out\"",
            ),
            (
                serde_json::to_string(&FaultName::HostLost),
                "\"host-lost (ADDP)\"",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got.ok().as_deref(), Some(want));
        }
        for r in [
            StopReason::Crashed,
            StopReason::PoweredOff,
            StopReason::ConfigRejected,
            StopReason::ScsCannotListen,
            StopReason::StoreFailed {
                error: "disk full".into(),
            },
            StopReason::CannotListen {
                port: "ha".into(),
                error: "in use: twice".into(),
            },
        ] {
            round_trip(r);
        }
        for (c, _) in FailureClass::ALL {
            round_trip(DisconnectReason::Failed(c));
        }
        for r in [
            DisconnectReason::Closed,
            DisconnectReason::AddpTimeout,
            DisconnectReason::PeerIsBackup,
        ] {
            round_trip(r);
        }
        DialError::ALL
            .iter()
            .for_each(|r| round_trip(ConnectFailure::Dial(*r)));
        round_trip(ConnectFailure::TlsConfiguration("no key: x".into()));
        round_trip(ConnectFailure::BadServerName("empty".into()));
        SwitchoverReason::ALL.iter().for_each(|r| round_trip(*r));
        SwitchoverRefusal::ALL.iter().for_each(|r| round_trip(*r));
        NotReady::ALL.iter().for_each(|r| round_trip(*r));
        Undistributed::ALL.iter().for_each(|r| round_trip(*r));
        Unsent::ALL.iter().for_each(|r| round_trip(*r));
        round_trip(FaultName::HostLost);
        round_trip(FaultName::Step("partition".into()));
    }

    #[test]
    fn a_not_ready_list_is_one_text_that_reads_back() {
        use crate::topology::Role;
        use crate::trace::Kind;
        let failure = Kind::DoubleFailure {
            not_ready: vec![NotReady::NotSynced, NotReady::DelayNotPassed],
            detail: "x".into(),
        };
        let json = serde_json::to_string(&failure).unwrap_or_default();
        assert!(
            json.contains(r#""not_ready":"calls-not-synced, readiness-delay-not-passed""#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Kind>(&json).ok(), Some(failure));
        let ready = Kind::Readiness {
            value: 1,
            role: Role::Primary,
            not_ready: Vec::new(),
        };
        let json = serde_json::to_string(&ready).unwrap_or_default();
        assert!(json.contains(r#""not_ready":"""#), "{json}");
        assert_eq!(serde_json::from_str::<Kind>(&json).ok(), Some(ready));
        let unknown = r#"{"event":"readiness","value":0,"role":"backup","not_ready":"link-down"}"#;
        assert!(serde_json::from_str::<Kind>(unknown).is_err());
    }

    #[test]
    fn a_phrase_hapair_never_writes_is_an_error() {
        assert!(serde_json::from_str::<StopReason>("\"process crashed!\"").is_err());
        assert!(serde_json::from_str::<DisconnectReason>("\"gone\"").is_err());
        assert!(serde_json::from_str::<ConnectFailure>("\"refused \"").is_err());
        assert!(serde_json::from_str::<DialError>("\"tls configuration: x\"").is_err());
        assert!(serde_json::from_str::<SwitchoverReason>("\"manual\"").is_err());
    }
}
