//! An established session: a reader task that turns frames into messages and a writer task
//! that sends them, so that owners can wait on messages with timeouts (ADDP, `addp.rs`)
//! without ever cancelling a half-read frame. Dropping the [`Session`] closes the connection.

use tokio::io::{ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::clock::Timers;
use super::transport::Io;
use crate::tls::FailureClass;
use crate::wire::{self, Message};

/// A live connection.
pub struct Session {
    /// Messages from the peer; an `Err` ends the stream.
    pub rx: mpsc::UnboundedReceiver<Result<Message, Ended>>,
    /// Messages to the peer.
    pub tx: mpsc::UnboundedSender<Message>,
    reader: JoinHandle<()>,
    /// ADDP's waits go through these (see [`Addp`](super::addp::Addp)).
    pub(super) timers: Timers,
}

impl Session {
    /// Starts the reader and writer of `io`; ADDP's waits go through `timers`.
    pub fn start(io: Io, timers: Timers) -> Self {
        let (rd, wr) = tokio::io::split(io);
        let (in_tx, rx) = mpsc::unbounded_channel();
        let (tx, out_rx) = mpsc::unbounded_channel();
        let reader = tokio::task::spawn_local(read_loop(rd, in_tx));
        tokio::task::spawn_local(write_loop(wr, out_rx));
        Self {
            rx,
            tx,
            reader,
            timers,
        }
    }

    /// Sends a message (silently dropped when the connection is gone: the reader reports).
    pub fn send(&self, m: Message) {
        let _ = self.tx.send(m);
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Why a session's stream ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ended {
    /// Classified: `peer-closed` for an ordinary close, a TLS class when the peer's TLS stack
    /// refused us after the handshake (mutual TLS in 1.3 shows here).
    pub class: FailureClass,
    /// In words.
    pub detail: String,
}

async fn read_loop(mut rd: ReadHalf<Io>, out: mpsc::UnboundedSender<Result<Message, Ended>>) {
    loop {
        let next = wire::read(&mut rd).await.map_err(|e| reason(&e));
        let end = next.is_err();
        if out.send(next).is_err() || end {
            return;
        }
    }
}

async fn write_loop(mut wr: WriteHalf<Io>, mut rx: mpsc::UnboundedReceiver<Message>) {
    while let Some(m) = rx.recv().await {
        if wire::write(&mut wr, &m).await.is_err() {
            return;
        }
    }
    // Every sender is gone: close our direction so the peer sees the end.
    let _ = tokio::io::AsyncWriteExt::shutdown(&mut wr).await;
}

/// Classifies a read failure. A reset (the peer's host reset the connection: its process
/// died) is `reset`; an ordinary close `peer-closed`.
pub fn reason(e: &wire::WireError) -> Ended {
    match e {
        wire::WireError::Closed(io)
            if io.kind() == std::io::ErrorKind::ConnectionReset
                && crate::tls::classify(io) == FailureClass::PeerClosed =>
        {
            Ended {
                class: FailureClass::Reset,
                detail: crate::tls::describe(io),
            }
        }
        wire::WireError::Closed(io) => Ended {
            class: crate::tls::classify(io),
            detail: crate::tls::describe(io),
        },
        // A TLS record read as a length prefix: the server speaks TLS to a plain dialler.
        wire::WireError::Oversized(len) if matches!(len >> 16, 0x1503 | 0x1603) => Ended {
            class: FailureClass::PlaintextOnSecured,
            detail: "the server answered with TLS: the port is secured".into(),
        },
        other => Ended {
            class: FailureClass::Other,
            detail: other.to_string(),
        },
    }
}
