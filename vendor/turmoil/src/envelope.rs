use std::{fmt::Display, net::SocketAddr};

use bytes::Bytes;
use tokio::sync::oneshot;

#[derive(Debug)]
pub(crate) struct Envelope {
    pub(crate) src: SocketAddr,
    pub(crate) dst: SocketAddr,
    pub(crate) message: Protocol,
}

/// Supported network protocols.
#[derive(Debug)]
pub enum Protocol {
    Tcp(Segment),
    Udp(Datagram),
}

/// UDP datagram.
#[derive(Clone, Debug)]
pub struct Datagram(pub Bytes);

/// This is a simplification of real TCP.
///
/// We implement just enough to ensure fidelity and provide knobs for real world
/// scenarios, but we skip a ton of complexity (e.g. checksums, flow control,
/// etc) because said complexity isn't useful in tests.
#[derive(Debug)]
pub enum Segment {
    Syn(Syn),
    Data(u64, Bytes),
    Fin(u64),
    Rst,
}

#[derive(Debug)]
pub struct Syn {
    pub(crate) ack: Option<oneshot::Sender<()>>,
    /// (hapair patch.) The dialling host, woken when the SYN is answered or
    /// dropped.
    origin: std::net::IpAddr,
    /// (hapair patch.) Lost on the way (`Syn::lose`): nobody is woken.
    lost: bool,
}

impl Syn {
    /// (hapair patch.) Wraps the dialler's oneshot.
    pub(crate) fn new(ack: oneshot::Sender<()>, origin: std::net::IpAddr) -> Self {
        Self {
            ack: Some(ack),
            origin,
            lost: false,
        }
    }

    /// (hapair patch.) The network lost the SYN (a partition, a powered-off
    /// host): the dialler gets no answer at all, neither accepted nor refused,
    /// and waits for its own timeout, as over a real network.
    pub(crate) fn lose(mut self) {
        self.lost = true;
        if let Some(ack) = self.ack.take() {
            crate::world::leave_unanswered(ack);
        }
    }

    /// (hapair patch.) Answers the SYN: the dialler's connect completes.
    pub(crate) fn answer(mut self) -> Result<(), ()> {
        self.ack.take().map_or(Err(()), |ack| ack.send(()))
    }
}

/// (hapair patch.) Whether answered or dropped (no listener, a full accept
/// queue, a crashed host), a SYN wakes its dialler on another host without a
/// message: a hidden wake-up. A lost SYN wakes nobody.
impl Drop for Syn {
    fn drop(&mut self) {
        if !self.lost {
            crate::world::note_hidden_wake(Some(self.origin));
        }
    }
}

/// (hapair patch.) Drops a message the network lost: a SYN among them is
/// left unanswered ([`Syn::lose`]).
pub(crate) fn lose(message: Protocol) {
    if let Protocol::Tcp(Segment::Syn(syn)) = message {
        syn.lose();
    }
}

impl Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Protocol::Tcp(segment) => Display::fmt(segment, f),
            Protocol::Udp(datagram) => Display::fmt(&datagram, f),
        }
    }
}

impl Display for Datagram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        hex("UDP", &self.0, f)
    }
}

impl Display for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Segment::Syn(_) => write!(f, "TCP SYN"),
            Segment::Data(_, data) => hex("TCP", data, f),
            Segment::Fin(_) => write!(f, "TCP FIN"),
            Segment::Rst => write!(f, "TCP RST"),
        }
    }
}

pub(crate) fn hex(
    protocol: &str,
    bytes: &Bytes,
    f: &mut std::fmt::Formatter<'_>,
) -> std::fmt::Result {
    write!(f, "{protocol} [")?;

    for (i, &b) in bytes.iter().enumerate() {
        if i < bytes.len() - 1 {
            write!(f, "{b:#2X}, ")?;
        } else {
            write!(f, "{b:#2X}")?;
        }
    }

    write!(f, "]")
}
