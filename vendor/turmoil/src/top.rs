use crate::envelope::{lose, Envelope, Protocol, Segment}; // (hapair patch.) lose, Segment
use crate::host::Host;
use crate::rt::Rt;
use crate::{config, TRACING_TARGET};

use crate::fast::{IndexMap, IndexSet};
use rand::{Rng, RngCore};
use rand_distr::{Distribution, Exp};
use std::collections::{BTreeMap, VecDeque};
use std::io::{Error, ErrorKind, Result};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::time::Instant;

// (hapair patch.) TCP retransmission across an explicit partition.
mod retransmit;

/// Describes the network topology.
pub(crate) struct Topology {
    config: config::Link,

    /// Specific configuration overrides between specific hosts.
    ///
    /// (hapair patch.) Created lazily, on first use (a message, a partition, a
    /// setting), between registered hosts: with every pair linked up front, a
    /// step cost the square of the hosts (the cube when looking for messages).
    links: IndexMap<Pair, Link>,

    /// (hapair patch.) Registered hosts, in registration order, with the links
    /// holding messages ready for each (keyed by the other host's registration
    /// index: the order in which upstream, linking every pair at registration,
    /// iterated them, so deliveries keep their order).
    hosts: IndexMap<IpAddr, BTreeMap<usize, Pair>>,

    /// (hapair patch.) Links with messages in flight or held: the only ones a
    /// tick can change.
    busy: IndexSet<Pair>,

    /// We don't use a Rt for async. Right now, we just use it to tick time
    /// forward in the same way we do it elsewhere. We'd like to represent
    /// network state with async in the future.
    rt: Rt<'static>,
}

/// This type is used as the key in the [`Topology::links`] map. See [`new`]
/// which orders the addrs, such that this type uniquely identifies the link
/// between two hosts on the network.
#[derive(Debug, Clone, Hash, Eq, PartialEq)]
struct Pair(IpAddr, IpAddr);

impl Pair {
    fn new(a: IpAddr, b: IpAddr) -> Pair {
        assert_ne!(a, b);

        if a < b {
            Pair(a, b)
        } else {
            Pair(b, a)
        }
    }
}

/// An iterator for the network topology, providing access to all active links
/// in the simulated network.
pub struct LinksIter<'a> {
    iter: indexmap::map::IterMut<'a, Pair, Link>,
}

/// An iterator for the link, providing access to sent messages that have not
/// yet been delivered.
pub struct LinkIter<'a> {
    a: IpAddr,
    b: IpAddr,
    now: Instant,
    iter: std::collections::vec_deque::IterMut<'a, Sent>,
}

impl LinkIter<'_> {
    /// The [`IpAddr`] pair for the link. Always ordered to uniquely identify
    /// the link.
    pub fn pair(&self) -> (IpAddr, IpAddr) {
        (self.a, self.b)
    }

    /// Schedule all messages on the link for delivery the next time the
    /// simulation steps, consuming the iterator.
    pub fn deliver_all(self) {
        for sent in self {
            sent.deliver();
        }
    }
}

/// Provides a reference to a message that is currently inflight on the network
/// from one host to another.
pub struct SentRef<'a> {
    src: SocketAddr,
    dst: SocketAddr,
    now: Instant,
    sent: &'a mut Sent,
}

impl SentRef<'_> {
    /// The (src, dst) [`SocketAddr`] pair for the message.
    pub fn pair(&self) -> (SocketAddr, SocketAddr) {
        (self.src, self.dst)
    }

    /// The message [`Protocol`].
    pub fn protocol(&self) -> &Protocol {
        &self.sent.protocol
    }

    /// Schedule the message for delivery the next time the simulation steps,
    /// consuming the item.
    pub fn deliver(self) {
        self.sent.deliver(self.now);
    }
}

impl<'a> Iterator for LinksIter<'a> {
    type Item = LinkIter<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let (pair, link) = self.iter.next()?;

        Some(LinkIter {
            a: pair.0,
            b: pair.1,
            now: link.now,
            iter: link.sent.iter_mut(),
        })
    }
}

impl<'a> Iterator for LinkIter<'a> {
    type Item = SentRef<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let sent = self.iter.next()?;

        Some(SentRef {
            src: sent.src,
            dst: sent.dst,
            now: self.now,
            sent,
        })
    }
}

/// A two-way link between two hosts on the network.
struct Link {
    /// The state of the link from node 'a' to node 'b'.
    /// Of the two nodes attached to a link, 'a' is the
    /// one whose ip address sorts smallest.
    state_a_b: State,
    /// The state of the link from node 'b' to node 'a'.
    /// Of the two nodes attached to a link, 'b' is the
    /// one whose ip address sorts greatest.
    state_b_a: State,

    /// Optional, per-link configuration.
    config: config::Link,

    /// Sent messages that are either scheduled for delivery in the future
    /// or are on hold.
    sent: VecDeque<Sent>,

    /// Messages that are ready to be delivered.
    deliverable: IndexMap<IpAddr, VecDeque<Envelope>>,

    /// The current network time, moved forward with [`Link::tick`].
    now: Instant,
}

/// States that a link between two nodes can be in.
#[derive(Clone, Copy)]
enum State {
    /// The link is healthy.
    Healthy,

    /// The link was explicitly partitioned.
    ExplicitPartition,

    /// The link was randomly partitioned.
    RandPartition,

    /// Messages are being held indefinitely.
    Hold,
}

impl Topology {
    pub(crate) fn new(config: config::Link) -> Topology {
        Topology {
            config,
            links: IndexMap::default(),
            hosts: IndexMap::default(),
            busy: IndexSet::default(),
            rt: Rt::no_software(),
        }
    }

    /// (hapair patch.) Registers a host; its links to the others are created
    /// when first used (upstream registered a link to every existing host).
    pub(crate) fn register_host(&mut self, addr: IpAddr) {
        assert!(self.hosts.insert(addr, BTreeMap::new()).is_none());
    }

    /// (hapair patch.) The link between two registered hosts, created on first
    /// use, its clock brought to the network's (only busy links are ticked).
    fn link_mut(&mut self, pair: &Pair) -> Option<&mut Link> {
        if !self.links.contains_key(pair) {
            if !(self.hosts.contains_key(&pair.0) && self.hosts.contains_key(&pair.1)) {
                return None;
            }
            self.links.insert(pair.clone(), Link::new(self.rt.now()));
        }
        let now = self.rt.now();
        let link = self.links.get_mut(pair)?;
        link.now = now;
        Some(link)
    }

    /// (hapair patch.) After a link changed: whether it is busy, and for which
    /// of its ends it holds messages ready.
    fn note(&mut self, pair: &Pair) {
        let Some(link) = self.links.get(pair) else {
            return;
        };
        if link.sent.is_empty() {
            self.busy.swap_remove(pair);
        } else {
            self.busy.insert(pair.clone());
        }
        for (end, other) in [(pair.0, pair.1), (pair.1, pair.0)] {
            if link.deliverable.get(&end).is_some_and(|q| !q.is_empty()) {
                let Some(index) = self.hosts.get_index_of(&other) else {
                    continue;
                };
                if let Some(ready) = self.hosts.get_mut(&end) {
                    ready.insert(index, pair.clone());
                }
            }
        }
    }

    pub(crate) fn set_max_message_latency(&mut self, value: Duration) {
        self.config.latency_mut().max_message_latency = value;
    }

    pub(crate) fn set_link_message_latency(&mut self, a: IpAddr, b: IpAddr, value: Duration) {
        let pair = Pair::new(a, b);
        // (hapair patch.) The link may be created here: borrow the global first.
        let global = self.config.latency().clone();
        let latency = self.get_link_mut(&pair).latency(&global);
        latency.min_message_latency = value;
        latency.max_message_latency = value;
    }

    pub(crate) fn set_link_max_message_latency(&mut self, a: IpAddr, b: IpAddr, value: Duration) {
        let pair = Pair::new(a, b);
        // (hapair patch.) As above.
        let global = self.config.latency().clone();
        self.get_link_mut(&pair).latency(&global).max_message_latency = value;
    }

    pub(crate) fn set_message_latency_curve(&mut self, value: f64) {
        self.config.latency_mut().latency_distribution = Exp::new(value).unwrap();
    }

    pub(crate) fn set_fail_rate(&mut self, value: f64) {
        self.config.message_loss_mut().fail_rate = value;
    }

    pub(crate) fn set_link_fail_rate(&mut self, a: IpAddr, b: IpAddr, value: f64) {
        let pair = Pair::new(a, b);
        // (hapair patch.) As above.
        let global = self.config.message_loss().clone();
        self.get_link_mut(&pair).message_loss(&global).fail_rate = value;
    }

    // Send a `message` from `src` to `dst`. This method returns immediately,
    // and message delivery happens at a later time (or never, if the link is
    // broken).
    pub(crate) fn enqueue_message(
        &mut self,
        rand: &mut dyn RngCore,
        src: SocketAddr,
        dst: SocketAddr,
        message: Protocol,
    ) -> Result<()> {
        // (hapair patch.) The link is created on first use, and noted after.
        let pair = Pair::new(src.ip(), dst.ip());
        let config = self.config.clone();
        if let Some(link) = self.link_mut(&pair) {
            let result = link.enqueue_message(&config, rand, src, dst, message);
            self.note(&pair);
            result
        } else {
            Err(Error::new(
                ErrorKind::ConnectionRefused,
                "Connection refused",
            ))
        }
    }

    // Move messages from any network links to the `dst` host.
    //
    // (hapair patch.) Only the links holding messages ready for `dst`, in the
    // order upstream iterated all of `dst`'s links.
    pub(crate) fn deliver_messages(&mut self, rand: &mut dyn RngCore, dst: &mut Host) {
        let ready = match self.hosts.get_mut(&dst.addr) {
            Some(ready) => std::mem::take(ready),
            None => return,
        };
        let config = self.config.clone();
        for pair in ready.into_values() {
            if let Some(link) = self.link_mut(&pair) {
                link.deliver_messages(&config, rand, dst);
            }
            self.note(&pair);
        }
    }

    pub(crate) fn hold(&mut self, a: IpAddr, b: IpAddr) {
        let pair = Pair::new(a, b);
        self.get_link_mut(&pair).hold();
        self.note(&pair);
    }

    // (hapair patch.) `rand` draws the latency of what a partition swallowed:
    // a release heals the link too.
    pub(crate) fn release(&mut self, rand: &mut dyn RngCore, a: IpAddr, b: IpAddr) {
        let pair = Pair::new(a, b);
        let config = self.config.clone();
        self.get_link_mut(&pair).release(&config, rand);
        self.note(&pair);
    }

    pub(crate) fn partition(&mut self, a: IpAddr, b: IpAddr) {
        let pair = Pair::new(a, b);
        self.get_link_mut(&pair).explicit_partition();
        self.note(&pair);
    }

    pub(crate) fn partition_oneway(&mut self, a: IpAddr, b: IpAddr) {
        let pair = Pair::new(a, b);
        self.get_link_mut(&pair).partition_oneway(a, b);
        self.note(&pair);
    }

    // (hapair patch.) The segments a partition swallowed are retransmitted:
    // `rand` draws their latency.
    pub(crate) fn repair(&mut self, rand: &mut dyn RngCore, a: IpAddr, b: IpAddr) {
        let pair = Pair::new(a, b);
        let config = self.config.clone();
        self.get_link_mut(&pair).explicit_repair(&config, rand);
        self.note(&pair);
    }

    pub(crate) fn repair_oneway(&mut self, rand: &mut dyn RngCore, a: IpAddr, b: IpAddr) {
        let pair = Pair::new(a, b);
        let config = self.config.clone();
        self.get_link_mut(&pair).repair_oneway(&config, rand, a, b);
        self.note(&pair);
    }

    /// (hapair patch.) Forgets the segments the host `src` was to retransmit
    /// (on the connection `conn`, local then remote address, if given): the
    /// connection was reset, or the host lost power. A connection's are on its
    /// one link; a host's on every link it has.
    pub(crate) fn forget_retransmissions(
        &mut self,
        src: IpAddr,
        conn: Option<(SocketAddr, SocketAddr)>,
    ) {
        let pairs: Vec<Pair> = match conn {
            Some((local, remote)) if local.ip() != remote.ip() => {
                vec![Pair::new(local.ip(), remote.ip())]
            }
            // Loopback has no link.
            Some(_) => Vec::new(),
            None => self
                .links
                .keys()
                .filter(|p| p.0 == src || p.1 == src)
                .cloned()
                .collect(),
        };
        for pair in pairs {
            if let Some(link) = self.links.get_mut(&pair) {
                link.sent.retain(|s| {
                    let from = match conn {
                        Some((local, remote)) => s.src == local && s.dst == remote,
                        None => s.src.ip() == src,
                    };
                    !(from && s.lost_since.is_some())
                });
            }
            self.note(&pair);
        }
    }

    pub(crate) fn tick_by(&mut self, duration: Duration) {
        // (hapair patch.) Only the clock moves: no software runs here.
        self.rt.advance(duration);
        // (hapair patch.) Only busy links: an idle one has nothing to move,
        // and its clock is brought up to date when it is next used.
        let busy: Vec<Pair> = self.busy.iter().cloned().collect();
        let now = self.rt.now();
        for pair in busy {
            if let Some(link) = self.links.get_mut(&pair) {
                link.tick(now);
            }
            self.note(&pair);
        }
    }

    /// (hapair patch.) Whether messages wait to be handed to `addr`.
    pub(crate) fn has_deliverable(&self, addr: IpAddr) -> bool {
        self.hosts.get(&addr).is_some_and(|ready| !ready.is_empty())
    }

    /// (hapair patch.) The network's clock.
    pub(crate) fn now(&self) -> Instant {
        self.rt.now()
    }

    /// (hapair patch.) The earliest instant at which a message in flight
    /// becomes deliverable. Held messages are not counted, nor messages that
    /// are already deliverable: those reach their host in the current step,
    /// or wait for a crashed host to come back.
    pub(crate) fn next_delivery(&self) -> Option<Instant> {
        self.busy
            .iter()
            .filter_map(|pair| self.links.get(pair))
            .flat_map(|link| {
                link.sent.iter().filter_map(|sent| match sent.status {
                    DeliveryStatus::DeliverAfter(at) => Some(at),
                    DeliveryStatus::Hold => None,
                    // (hapair patch.) Its connection is aborted then.
                    DeliveryStatus::Lost => sent.lost_since.map(|s| s + retransmit::abort_after()),
                })
            })
            .min()
    }

    pub(crate) fn iter_mut(&mut self) -> LinksIter<'_> {
        // (hapair patch.) Idle links are not ticked: bring every clock up to
        // date, and count every link busy, as the caller may deliver any.
        let now = self.rt.now();
        for (pair, link) in &mut self.links {
            link.now = now;
            self.busy.insert(pair.clone());
        }
        LinksIter {
            iter: self.links.iter_mut(),
        }
    }

    #[inline]
    fn get_link_mut(&mut self, pair: &Pair) -> &mut Link {
        // (hapair patch.) Created on first use (`link_mut`).
        self.link_mut(pair)
            .unwrap_or_else(|| panic!("unable to find link between {pair:?}"))
    }
}

/// Represents a message sent between two hosts on the network.
/// (hapair patch.) How late a TCP segment lost to random loss (`fail_rate`)
/// arrives: a real stack retransmits it after its retransmission timeout
/// (Linux's minimum, `TCP_RTO_MIN`, 200 ms), and the receiver's reordering by
/// sequence number holds back what follows it, as on a real path. Upstream
/// dropped it: the receiver then waited for that sequence number forever, and
/// the connection stayed up with nothing delivered again.
const RETRANSMIT: Duration = Duration::from_millis(200);

/// (hapair patch.) Whether a lost segment is sent again by TCP: data and FIN
/// are; a SYN's loss is left to the dialler's timeout, a RST is not resent.
fn retransmitted(p: &Protocol) -> bool {
    matches!(p, Protocol::Tcp(Segment::Data(..) | Segment::Fin(_)))
}

struct Sent {
    src: SocketAddr,
    dst: SocketAddr,
    status: DeliveryStatus,
    protocol: Protocol,
    /// (hapair patch.) When an explicit partition first swallowed it: its
    /// sender retransmits it (`retransmit`).
    lost_since: Option<Instant>,
}

impl Sent {
    fn deliver(&mut self, now: Instant) {
        self.status = DeliveryStatus::DeliverAfter(now);
    }
}

enum DeliveryStatus {
    DeliverAfter(Instant),
    Hold,
    /// (hapair patch.) Swallowed by an explicit partition, to be retransmitted
    /// once it is healed (`Sent::lost_since`, `retransmit`).
    Lost,
}

impl Link {
    fn new(now: Instant) -> Link {
        Link {
            state_a_b: State::Healthy,
            state_b_a: State::Healthy,
            config: config::Link::default(),
            sent: VecDeque::new(),
            deliverable: IndexMap::default(),
            now,
        }
    }

    fn enqueue_message(
        &mut self,
        global_config: &config::Link,
        rand: &mut dyn RngCore,
        src: SocketAddr,
        dst: SocketAddr,
        message: Protocol,
    ) -> Result<()> {
        tracing::trace!(target: TRACING_TARGET, ?src, ?dst, protocol = %message, "Send");

        self.rand_partition_or_repair(global_config, rand);
        let result = self.enqueue(global_config, rand, src, dst, message);
        self.process_deliverables();
        result
    }

    fn get_state_for_message(&self, src: IpAddr, dst: IpAddr) -> State {
        // Between each pair of ip-addresses there can exist a link.
        // A link between two such pairs can be constructed as
        // Pair::new(x,y) or Pair::new(y,x). These two expressions create
        // the exact same link. We denote one of the ends of the link as 'a',
        // and the other 'b'. 'a' is always the one that compares smaller, i.e,
        // `a < b` holds.
        if src < dst {
            self.state_a_b
        } else {
            self.state_b_a
        }
    }

    // src -> link -> dst
    //        ^-- you are here!
    //
    // Messages may be dropped, sit on the link for a while (due to latency, or
    // because the link has stalled), or be delivered immediately.
    // Link will return an Err(()) if the socket buffer is full.
    fn enqueue(
        &mut self,
        global_config: &config::Link,
        rand: &mut dyn RngCore,
        src: SocketAddr,
        dst: SocketAddr,
        message: Protocol,
    ) -> Result<()> {
        let state = self.get_state_for_message(src.ip(), dst.ip());
        let status = match state {
            State::Healthy => {
                let delay = self.delay(global_config.latency(), rand);
                let mut at = self.now + delay;
                // (hapair patch.) A RST has no sequence number to be put back in
                // order by: it must not overtake what the same socket sent before
                // it (a TLS alert, a last frame), as it cannot on a real path.
                if matches!(message, Protocol::Tcp(Segment::Rst)) {
                    let before = self.sent.iter().filter(|s| s.src == src && s.dst == dst);
                    if let Some(last) = before
                        .filter_map(|s| match s.status {
                            DeliveryStatus::DeliverAfter(t) => Some(t),
                            DeliveryStatus::Hold | DeliveryStatus::Lost => None,
                        })
                        .max()
                    {
                        at = at.max(last);
                    }
                }
                DeliveryStatus::DeliverAfter(at)
            }
            // Only A->B is blocked, so B can send, so we can send if src is B
            State::Hold => {
                tracing::trace!(target: TRACING_TARGET,?src, ?dst, protocol = %message, "Hold");
                DeliveryStatus::Hold
            }
            // (hapair patch.) Random loss: TCP data and FINs arrive late,
            // retransmitted (`retransmitted`), instead of never.
            State::RandPartition if retransmitted(&message) => {
                let delay = self.delay(global_config.latency(), rand);
                DeliveryStatus::DeliverAfter(self.now + delay + RETRANSMIT)
            }
            // (hapair patch.) An explicit partition: TCP data and FINs wait for
            // their retransmission after the heal (`retransmit`).
            State::ExplicitPartition if retransmitted(&message) => {
                self.sent.push_back(Sent {
                    src,
                    dst,
                    status: DeliveryStatus::Lost,
                    protocol: message,
                    lost_since: Some(self.now),
                });
                return Ok(());
            }
            _ => {
                tracing::trace!(target: TRACING_TARGET,?src, ?dst, protocol = %message, "Drop");
                // (hapair patch.) A lost SYN is not refused: no answer at all.
                crate::envelope::lose(message);
                return Ok(());
            }
        };

        let sent = Sent {
            src,
            dst,
            status,
            protocol: message,
            lost_since: None,
        };

        self.sent.push_back(sent);
        Ok(())
    }

    fn tick(&mut self, now: Instant) {
        self.now = now;
        self.process_deliverables();
        // (hapair patch.) A sender out of retransmissions aborts its connection.
        if self.abort_expired() {
            self.process_deliverables();
        }
    }

    /// (hapair patch.) The connections whose swallowed segments were not
    /// retransmitted in time (`retransmit::abort_after`) are aborted by their
    /// sender's stack: their segments are forgotten, and the sender's socket
    /// is reset (a RST handed to it from its own side, whatever the link's
    /// state: its reads fail with `ConnectionReset`, where a real stack says
    /// `ETIMEDOUT`). Says whether any was.
    fn abort_expired(&mut self) -> bool {
        let now = self.now;
        let mut aborted: Vec<(SocketAddr, SocketAddr, Instant)> = Vec::new();
        for s in &self.sent {
            if let (DeliveryStatus::Lost, Some(since)) = (&s.status, s.lost_since) {
                let at = since + retransmit::abort_after();
                if at <= now && !aborted.iter().any(|(a, b, _)| *a == s.src && *b == s.dst) {
                    aborted.push((s.src, s.dst, at));
                }
            }
        }
        for &(src, dst, at) in &aborted {
            self.sent
                .retain(|s| !(s.src == src && s.dst == dst && s.lost_since.is_some()));
            self.sent.push_back(Sent {
                src: dst,
                dst: src,
                status: DeliveryStatus::DeliverAfter(at),
                protocol: Protocol::Tcp(Segment::Rst),
                lost_since: None,
            });
        }
        !aborted.is_empty()
    }

    /// (hapair patch.) After a heal (of both ways, or of `from`'s way only):
    /// each connection's swallowed segments arrive with its first
    /// retransmission from now on (`retransmit`), all of them then, as its
    /// receiver puts them back in order.
    fn retransmit_after_heal(
        &mut self,
        global_config: &config::Link,
        rand: &mut dyn RngCore,
        from: Option<IpAddr>,
    ) {
        let now = self.now;
        let mut first: Vec<(SocketAddr, SocketAddr, Instant)> = Vec::new();
        for s in &self.sent {
            if !matches!(s.status, DeliveryStatus::Lost) || from.is_some_and(|f| s.src.ip() != f) {
                continue;
            }
            let Some(since) = s.lost_since else { continue };
            match first.iter_mut().find(|(a, b, _)| *a == s.src && *b == s.dst) {
                Some(f) => f.2 = f.2.min(since),
                None => first.push((s.src, s.dst, since)),
            }
        }
        for (src, dst, since) in first {
            // Past the last retransmission: left to be aborted.
            let Some(at) = retransmit::next_after(since, now) else {
                continue;
            };
            let at = at + self.delay(global_config.latency(), rand);
            for s in self.sent.iter_mut() {
                if s.src == src && s.dst == dst && matches!(s.status, DeliveryStatus::Lost) {
                    s.status = DeliveryStatus::DeliverAfter(at);
                }
            }
        }
    }

    fn process_deliverables(&mut self) {
        // TODO: `drain_filter` is not yet stable, and so we have a low quality
        // implementation here that avoids clones.
        let mut deliverable = 0;
        for i in 0..self.sent.len() {
            let index = i - deliverable;
            let sent = &self.sent[index];
            if let DeliveryStatus::DeliverAfter(time) = sent.status {
                if time <= self.now {
                    let sent = self.sent.remove(index).unwrap();
                    let envelope = Envelope {
                        src: sent.src,
                        dst: sent.dst,
                        message: sent.protocol,
                    };
                    self.deliverable
                        .entry(sent.dst.ip())
                        .or_default()
                        .push_back(envelope);
                    deliverable += 1;
                }
            }
        }
    }

    // FIXME: This implementation does not respect message delivery order. If
    // host A and host B are ordered (by addr), and B sends before A, then this
    // method will deliver A's message before B's.
    fn deliver_messages(
        &mut self,
        global_config: &config::Link,
        rand: &mut dyn RngCore,
        host: &mut Host,
    ) {
        let deliverable = self
            .deliverable
            .entry(host.addr)
            .or_default()
            .drain(..)
            .collect::<Vec<Envelope>>();

        for message in deliverable {
            let (src, dst) = (message.src, message.dst);
            if let Err(message) = host.receive_from_network(message) {
                let _ = self.enqueue_message(global_config, rand, dst, src, message);
            }
        }
    }

    // Randomly break or repair this link.
    fn rand_partition_or_repair(&mut self, global_config: &config::Link, rand: &mut dyn RngCore) {
        let do_rand = self.rand_partition(global_config.message_loss(), rand);
        match (self.state_a_b, self.state_b_a) {
            (State::Healthy, _) | (_, State::Healthy) if do_rand => {
                self.state_a_b = State::RandPartition;
                self.state_b_a = State::RandPartition;

                // (hapair patch.) Messages in flight are lost: a SYN among
                // them gets no answer (`lose`), instead of a refusal. TCP
                // data and FINs are retransmitted (`retransmitted`): late,
                // not gone.
                let now = self.now;
                let sent = std::mem::take(&mut self.sent);
                for mut s in sent {
                    if retransmitted(&s.protocol) {
                        if let DeliveryStatus::DeliverAfter(t) = s.status {
                            s.status = DeliveryStatus::DeliverAfter(t.max(now) + RETRANSMIT);
                        }
                        self.sent.push_back(s);
                    } else {
                        lose(s.protocol);
                    }
                }
            }
            (State::RandPartition, _) | (_, State::RandPartition)
                if self.rand_repair(global_config.message_loss(), rand) =>
            {
                self.release(global_config, rand);
            }
            _ => {}
        }
    }

    fn hold(&mut self) {
        self.state_a_b = State::Hold;
        self.state_b_a = State::Hold;

        for sent in &mut self.sent {
            sent.status = DeliveryStatus::Hold;
        }
    }

    // This link becomes healthy, and any held messages are scheduled for delivery.
    // (hapair patch.) The link is healthy again: what an explicit partition
    // swallowed is retransmitted too (`retransmit_after_heal`).
    fn release(&mut self, global_config: &config::Link, rand: &mut dyn RngCore) {
        self.state_a_b = State::Healthy;
        self.state_b_a = State::Healthy;
        for sent in &mut self.sent {
            if let DeliveryStatus::Hold = sent.status {
                sent.deliver(self.now);
            }
        }
        self.retransmit_after_heal(global_config, rand, None);
    }

    fn explicit_partition(&mut self) {
        self.state_a_b = State::ExplicitPartition;
        self.state_b_a = State::ExplicitPartition;
        self.swallow(None);
    }

    /// (hapair patch.) Messages in flight (from `from` only, if given) are
    /// lost: a SYN among them gets no answer (`lose`), instead of a refusal;
    /// TCP data and FINs wait to be retransmitted after the heal (`retransmit`).
    /// Held messages stay held.
    fn swallow(&mut self, from: Option<IpAddr>) {
        let now = self.now;
        for mut s in std::mem::take(&mut self.sent) {
            let hit = from.is_none_or(|f| s.src.ip() == f);
            if !hit || matches!(s.status, DeliveryStatus::Hold) {
                self.sent.push_back(s);
            } else if retransmitted(&s.protocol) {
                s.status = DeliveryStatus::Lost;
                s.lost_since.get_or_insert(now);
                self.sent.push_back(s);
            } else {
                lose(s.protocol);
            }
        }
    }

    fn partition_oneway(&mut self, from: IpAddr, to: IpAddr) {
        if from < to {
            self.state_a_b = State::ExplicitPartition;
        } else {
            self.state_b_a = State::ExplicitPartition;
        }

        // (hapair patch.) As a two-way partition does, for `from`'s messages.
        self.swallow(Some(from));
    }

    fn repair_oneway(
        &mut self,
        global_config: &config::Link,
        rand: &mut dyn RngCore,
        from: IpAddr,
        to: IpAddr,
    ) {
        if from < to {
            self.state_a_b = State::Healthy;
        } else {
            self.state_b_a = State::Healthy;
        }
        self.retransmit_after_heal(global_config, rand, Some(from));
    }

    // Repair the link, without releasing any held messages.
    // (hapair patch.) What the partition swallowed is retransmitted.
    fn explicit_repair(&mut self, global_config: &config::Link, rand: &mut dyn RngCore) {
        self.state_a_b = State::Healthy;
        self.state_b_a = State::Healthy;
        self.retransmit_after_heal(global_config, rand, None);
    }

    /// Should the link be randomly partitioned
    fn rand_partition(&self, global: &config::MessageLoss, rand: &mut dyn RngCore) -> bool {
        let config = self.config.message_loss.as_ref().unwrap_or(global);
        let fail_rate = config.fail_rate;
        fail_rate > 0.0 && rand.random_bool(fail_rate)
    }

    fn rand_repair(&self, global: &config::MessageLoss, rand: &mut dyn RngCore) -> bool {
        let config = self.config.message_loss.as_ref().unwrap_or(global);
        let repair_rate = config.repair_rate;
        repair_rate > 0.0 && rand.random_bool(repair_rate)
    }

    fn delay(&self, global: &config::Latency, rand: &mut dyn RngCore) -> Duration {
        let config = self.config.latency.as_ref().unwrap_or(global);

        let mult = config.latency_distribution.sample(rand);
        let range = (config.max_message_latency - config.min_message_latency).as_millis() as f64;
        let delay = config.min_message_latency + Duration::from_millis((range * mult) as _);

        std::cmp::min(delay, config.max_message_latency)
    }

    fn latency(&mut self, global: &config::Latency) -> &mut config::Latency {
        self.config.latency.get_or_insert_with(|| global.clone())
    }

    fn message_loss(&mut self, global: &config::MessageLoss) -> &mut config::MessageLoss {
        self.config
            .message_loss
            .get_or_insert_with(|| global.clone())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Link;

    use super::*;

    #[test]
    #[should_panic(expected = "unable to find link between Pair(10.0.0.1, 192.168.0.1)")]
    fn link_access_gives_useful_panic_message() {
        let mut topo = Topology::new(Link::default());
        topo.hold("10.0.0.1".parse().unwrap(), "192.168.0.1".parse().unwrap());
    }
}
