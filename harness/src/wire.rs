//! The simulated servers' framed protocol: a 4-byte big-endian length, then a JSON message,
//! at most [`MAX_FRAME`] bytes. A malformed or oversized frame is a [`WireError`] that closes
//! that connection with a recorded reason; it never panics a node.
//!
//! The messages stand for what Genesys servers exchange (registration, HA synchronisation,
//! replicated events and acknowledgements, ADDP keep-alive, role notices) and, on upgrade
//! ports, an explicit start-TLS exchange of hapair's own (the real switch is undocumented).

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::topology::{Purpose, Role};

/// Largest frame accepted, length prefix excluded.
pub const MAX_FRAME: usize = 64 * 1024;

/// Every message of the protocol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "m", rename_all = "kebab-case")]
pub enum Message {
    /// First message on every connection: who dials, and why.
    Hello {
        /// Application (or `scs`, dialling an LCA) that dials.
        from: String,
        /// Why.
        purpose: Purpose,
    },
    /// Upgrade ports: the client asks to switch this socket to TLS.
    StartTls,
    /// Upgrade ports: the server agrees; TLS starts with the next byte.
    StartTlsOk,
    /// A server tells a peer its current role.
    RoleNotice {
        /// The role.
        role: Role,
    },
    /// A client request that becomes an event.
    Request {
        /// Client-unique event ID.
        id: String,
    },
    /// The primary acknowledges an event to the client.
    Ack {
        /// The event ID.
        id: String,
    },
    /// Hot standby: the backup is ready for full synchronisation.
    BackupReady,
    /// Full synchronisation: the events the primary holds, in as many chunks as the frame
    /// bound needs ([`full_sync`]); the first chunk replaces the backup's store.
    FullSync {
        /// Event IDs of this chunk.
        ids: Vec<String>,
        /// The first chunk of a full synchronisation.
        #[serde(default)]
        first: bool,
    },
    /// Full synchronisation done; streaming follows.
    SyncDone,
    /// One event replicated to the backup.
    Replicate {
        /// The event ID.
        id: String,
    },
    /// The backup stored a replicated event.
    Replicated {
        /// The event ID.
        id: String,
    },
    /// ADDP keep-alive request.
    Ping,
    /// ADDP keep-alive reply.
    Pong,
    /// LCA → SCS: an application's state on this host.
    AppState {
        /// Application.
        app: String,
        /// Running or not.
        running: bool,
        /// Its role, when running.
        role: Option<Role>,
    },
    /// SCS → LCA: report every application's state again (the SCS had lost this host).
    StateQuery,
    /// SCS → LCA: give an application this role.
    SetRole {
        /// Application.
        app: String,
        /// Role.
        role: Role,
    },
    /// LCA → SCS: the application now has this role (the SCS waits for a demotion to be
    /// applied before it promotes the peer in a manual switchover).
    RoleApplied {
        /// Application.
        app: String,
        /// Role.
        role: Role,
    },
    // SIP Server call synchronisation (Step 8, item 5).
    /// SIP Server backup → primary, before `BackupReady`: calls the backup already holds, in
    /// as many chunks as the frame bound needs ([`chunks`]); the primary pushes only the
    /// others.
    CallList {
        /// Event (call) IDs of this chunk.
        ids: Vec<String>,
    },
    /// SIP Server primary → backup: one batch of the calls the backup misses (at most the
    /// call-sync rate per second); `SyncDone` follows the last.
    MissingCalls {
        /// Event (call) IDs of this batch.
        ids: Vec<String>,
    },
    /// ADDP, at the start of a connection (and again when the option changes): the side that
    /// runs ADDP asks its peer to poll it after `timeout_ms` of silence too (Genesys's remote
    /// timeout; 0: the peer is not asked to poll), and whether to trace its polls.
    AddpRequest {
        /// The remote timeout, in milliseconds.
        timeout_ms: u64,
        /// The peer traces its polls (`addp-trace` = `remote` or `full`).
        trace: bool,
    },
    /// A data source → its clients (an ICON): one call event with the pair's event sequence
    /// number.
    CallEvent {
        /// The pair's event sequence number.
        seq: u64,
        /// The event.
        cti: crate::cti::CtiEvent,
    },
}

/// How many bytes of event IDs one full-synchronisation chunk carries: half a frame, which
/// leaves room for the JSON around them whatever the IDs are.
const SYNC_CHUNK_BYTES: usize = MAX_FRAME / 2;

/// A full synchronisation of `ids` as frames that each fit the frame bound: at least one
/// chunk (an empty store is synchronised too), the first marked.
pub fn full_sync<'a>(ids: impl IntoIterator<Item = &'a String>) -> Vec<Message> {
    chunks(ids)
        .into_iter()
        .enumerate()
        .map(|(i, ids)| Message::FullSync { ids, first: i == 0 })
        .collect()
}

/// `ids` cut into lists that each fit a frame once wrapped in a message: at least one list
/// (empty when `ids` is), in order.
pub fn chunks<'a>(ids: impl IntoIterator<Item = &'a String>) -> Vec<Vec<String>> {
    let mut chunks: Vec<Vec<String>> = vec![Vec::new()];
    let mut bytes: usize = 0;
    for id in ids {
        // Quotes, comma, and JSON escapes at worst double an ID's length.
        let cost = id.len().saturating_mul(2).saturating_add(3);
        if bytes.saturating_add(cost) > SYNC_CHUNK_BYTES
            && chunks.last().is_some_and(|c| !c.is_empty())
        {
            chunks.push(Vec::new());
            bytes = 0;
        }
        bytes = bytes.saturating_add(cost);
        if let Some(c) = chunks.last_mut() {
            c.push(id.clone());
        }
    }
    chunks
}

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The peer closed (or reset) the connection, or the transport failed.
    #[error("connection closed: {0}")]
    Closed(#[from] std::io::Error),
    /// The length prefix exceeds [`MAX_FRAME`].
    #[error("frame of {0} bytes exceeds the {MAX_FRAME}-byte limit")]
    Oversized(usize),
    /// The payload is not a message.
    #[error("malformed frame: {0}")]
    Malformed(String),
}

/// Encodes one frame.
pub fn encode(m: &Message) -> Vec<u8> {
    // Serialising these plain enums to JSON cannot fail; an empty payload would be refused
    // by the peer as malformed rather than panic anything.
    let body = serde_json::to_vec(m).unwrap_or_default();
    let mut out = Vec::with_capacity(body.len().saturating_add(4));
    out.extend_from_slice(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// Decodes a frame's payload.
///
/// # Errors
/// [`WireError::Malformed`] when it is not a message.
pub fn decode(payload: &[u8]) -> Result<Message, WireError> {
    serde_json::from_slice(payload).map_err(|e| WireError::Malformed(e.to_string()))
}

/// Whether the first bytes of a connection are a TLS handshake record (a ClientHello), which
/// a plain-protocol reader must not mistake for a length prefix.
pub fn looks_like_tls(first: &[u8]) -> bool {
    matches!(first, [0x16, 0x03, minor, ..] if *minor <= 0x04)
}

/// Writes one frame.
///
/// # Errors
/// The transport's error; `InvalidInput` for a message over [`MAX_FRAME`], which the peer
/// would refuse (the sender learns of it, not only the receiver).
pub async fn write<W: AsyncWrite + Unpin + ?Sized>(w: &mut W, m: &Message) -> std::io::Result<()> {
    let frame = encode(m);
    let payload = frame.len().saturating_sub(4);
    if payload > MAX_FRAME {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            WireError::Oversized(payload),
        ));
    }
    w.write_all(&frame).await?;
    w.flush().await
}

/// Reads one frame.
///
/// # Errors
/// [`WireError`]: closed, oversized or malformed.
pub async fn read<R: AsyncRead + Unpin + ?Sized>(r: &mut R) -> Result<Message, WireError> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(WireError::Oversized(len));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).await?;
    decode(&body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Vec<Message> {
        vec![
            Message::Hello {
                from: "desk".into(),
                purpose: Purpose::Client,
            },
            Message::StartTls,
            Message::RoleNotice { role: Role::Backup },
            Message::Request {
                id: "desk-1".into(),
            },
            Message::FullSync {
                ids: vec!["a".into(), "b".into()],
                first: true,
            },
            Message::AppState {
                app: "ts".into(),
                running: true,
                role: Some(Role::Primary),
            },
            Message::Ping,
            Message::AddpRequest {
                timeout_ms: 10_000,
                trace: true,
            },
        ]
    }

    #[tokio::test]
    async fn frames_round_trip_through_a_stream() {
        let mut buf = Vec::new();
        for m in sample() {
            write(&mut buf, &m).await.expect("write to a Vec");
        }
        let mut rd = &buf[..];
        for m in sample() {
            assert_eq!(read(&mut rd).await.expect("a frame"), m);
        }
        assert!(matches!(read(&mut rd).await, Err(WireError::Closed(_))));
    }

    #[tokio::test]
    async fn oversized_and_malformed_frames_are_errors() {
        let mut big = (MAX_FRAME as u32 + 1).to_be_bytes().to_vec();
        big.extend_from_slice(b"{}");
        assert!(matches!(
            read(&mut &big[..]).await,
            Err(WireError::Oversized(_))
        ));
        let mut bad = 3u32.to_be_bytes().to_vec();
        bad.extend_from_slice(b"{x}");
        assert!(matches!(
            read(&mut &bad[..]).await,
            Err(WireError::Malformed(_))
        ));
        // A ClientHello read as a length is oversized, and recognisable before that.
        let hello = [0x16, 0x03, 0x01, 0x02, 0x00];
        assert!(looks_like_tls(&hello));
        assert!(matches!(
            read(&mut &hello[..]).await,
            Err(WireError::Oversized(_))
        ));
    }

    #[tokio::test]
    async fn scripted_peer_sees_the_exact_bytes() {
        // tokio-test's scripted I/O: the node writes exactly one frame and reads the reply.
        let reply = encode(&Message::Pong);
        let mut io = tokio_test::io::Builder::new()
            .write(&encode(&Message::Ping))
            .read(&reply[..4])
            .read(&reply[4..])
            .build();
        write(&mut io, &Message::Ping)
            .await
            .expect("scripted write");
        assert_eq!(read(&mut io).await.expect("scripted read"), Message::Pong);
    }

    #[tokio::test]
    async fn a_full_sync_of_any_size_fits_the_frame_bound() {
        // 100,000 events: one frame would be about 1.3 MB, twenty times the bound.
        let ids: Vec<String> = (0..100_000).map(|i| format!("desk-{i}")).collect();
        let chunks = full_sync(&ids);
        assert!(chunks.len() > 1);
        let mut back = Vec::new();
        for (i, m) in chunks.iter().enumerate() {
            let mut buf = Vec::new();
            write(&mut buf, m).await.expect("every chunk fits a frame");
            let Message::FullSync { ids, first } = read(&mut &buf[..]).await.expect("decodes")
            else {
                panic!("a full-sync chunk");
            };
            assert_eq!(first, i == 0);
            back.extend(ids);
        }
        assert_eq!(back, ids);
        assert_eq!(
            full_sync(&Vec::new()),
            vec![Message::FullSync {
                ids: Vec::new(),
                first: true
            }]
        );
    }

    #[tokio::test]
    async fn an_oversized_message_is_refused_by_the_writer() {
        let ids: Vec<String> = (0..10_000).map(|i| format!("desk-{i}")).collect();
        let mut buf = Vec::new();
        let err = write(&mut buf, &Message::FullSync { ids, first: true })
            .await
            .expect_err("over the bound");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(buf.is_empty());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
            let _ = rt.block_on(read(&mut &bytes[..]));
        }

        #[test]
        fn requests_round_trip(id in "[a-z0-9-]{0,40}") {
            let m = Message::Request { id };
            let frame = encode(&m);
            prop_assert_eq!(decode(&frame[4..]).expect("decodes"), m);
        }
    }
}
