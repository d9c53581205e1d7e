//! [`Net`] over real tokio TCP sockets on loopback: the live engine's network
//! (`hapair run --live`). Each host of the topology gets its own loopback address (127.0.1.1,
//! 127.0.1.2, … in the order hosts are added, or from `--bind ADDR` on), and every socket of
//! that host is bound to it explicitly: listeners, and the local end of every dial, so that an
//! accepting node knows its peer's host by the source address, as in the simulation. Host
//! names resolve through the fabric's own table, never DNS; the TLS host names stay the
//! topology's (SNI and certificate checks are the simulation's).
//!
//! Ports: a topology port may be privileged or taken, so each (host, port) is mapped to a real
//! port: the topology's own when it is free on that address, else an ephemeral one; the
//! mapping is kept for a listener bound again (a restart) and listed by [`Fabric::listening`].
//!
//! Faults act in the fabric, at both ends of every link between hosts (the in-process fault
//! proxy): each stream gates what it reads and writes by its link's state. A partition: a new
//! dial waits unanswered (it ends at the dialler's own timeout), established streams stall both
//! ways. Held: a dial waits, established streams read nothing until the release (the kernel
//! buffers, then delivers). Latency: each chunk read is delivered `delay` later. Loss: a chunk
//! is delivered a retransmission timeout late with the link's failure rate, as the simulation
//! does (`vendor/turmoil/HAPAIR.md`). A powered-off host is cut off from every other. The
//! streams of a [`Process`] that died are reset (`SO_LINGER` 0, then closed: the peer reads a
//! reset), as the kernel resets a crashed process's connections.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::future::Future as _;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::Notify;
use tokio::time::{Instant, Sleep};

pub mod peers;

use super::{Clock, Net, Process};
use crate::splitmix::SplitMix;

/// The retransmission timeout a lost chunk is delayed by (virtual time), as in the simulation.
const RTO: Duration = Duration::from_millis(200);

/// The first loopback address hosts get, unless `--bind` gives another.
pub const FIRST_ADDRESS: Ipv4Addr = Ipv4Addr::new(127, 0, 1, 1);

/// The state of the link between two hosts.
#[derive(Clone, Copy, Debug, Default)]
struct Link {
    partitioned: bool,
    held: bool,
    latency: Duration,
    loss: f64,
}

/// One host: its name, address and whether it is powered.
#[derive(Debug)]
struct Host {
    name: String,
    ip: IpAddr,
    powered: bool,
}

/// The live network shared by every host of a run: addresses, the port mapping, the links'
/// states, and the scaled clock.
pub struct Fabric {
    hosts: RefCell<Vec<Host>>,
    /// (host, topology port) → the real address listened on.
    ports: RefCell<BTreeMap<(String, u16), SocketAddr>>,
    /// Links by host indexes, lower first.
    links: RefCell<BTreeMap<(usize, usize), Link>>,
    /// Streams stalled by a link's state, woken at every change.
    stalled: RefCell<Vec<Waker>>,
    /// Dials waiting for a link, woken at every change.
    changed: Notify,
    /// The real instant virtual time starts at (set by [`Fabric::start`]).
    start: Arc<OnceLock<std::time::Instant>>,
    /// Virtual time runs this many times faster than real time.
    factor: u32,
    /// The first host's address (`--bind`), the next hosts' counting up from it.
    first: Ipv4Addr,
    /// Draws of lost chunks.
    rng: RefCell<SplitMix>,
    /// The peer directory of `hapair node` (hosts in other processes), if any.
    peers: RefCell<Option<peers::Directory>>,
}

impl Fabric {
    /// A fabric whose hosts count up from `first`, its virtual time `factor` times real time.
    pub fn new(first: Ipv4Addr, factor: u32, seed: u64) -> Rc<Self> {
        Rc::new(Self {
            hosts: RefCell::default(),
            ports: RefCell::default(),
            links: RefCell::default(),
            stalled: RefCell::default(),
            changed: Notify::new(),
            start: Arc::new(OnceLock::new()),
            factor: factor.max(1),
            first,
            rng: RefCell::new(SplitMix::new(seed, 0x11FE)),
            peers: RefCell::new(None),
        })
    }

    /// Adds the host `name` with the next address; says where it is (an address past the
    /// block's end is refused).
    ///
    /// # Errors
    /// An [`io::Error`] when the addresses run out.
    pub fn add(&self, name: &str) -> io::Result<(usize, IpAddr)> {
        let mut hosts = self.hosts.borrow_mut();
        let i = hosts.len();
        let ip = u32::from(self.first)
            .checked_add(u32::try_from(i).unwrap_or(u32::MAX))
            .map(Ipv4Addr::from)
            .ok_or_else(|| io::Error::other("no address left for another host"))?;
        hosts.push(Host {
            name: name.to_string(),
            ip: IpAddr::V4(ip),
            powered: true,
        });
        Ok((i, IpAddr::V4(ip)))
    }

    /// Virtual time started at the real instant `at` (a shared epoch).
    pub fn start_at(&self, at: std::time::Instant) {
        let _ = self.start.set(at);
    }

    /// Virtual time starts now.
    pub fn start(&self) {
        let _ = self.start.set(std::time::Instant::now());
    }

    /// The real instant virtual time started at, if it did.
    pub fn started(&self) -> Option<std::time::Instant> {
        self.start.get().copied()
    }

    /// How many times faster virtual time runs.
    pub fn factor(&self) -> u32 {
        self.factor
    }

    /// The virtual time as a thread-safe function: real time since the start times the factor.
    pub fn clock(&self) -> Clock {
        let start = Arc::clone(&self.start);
        let factor = self.factor;
        Arc::new(move || {
            start
                .get()
                .map_or(Duration::ZERO, |s| s.elapsed().saturating_mul(factor))
        })
    }

    /// The real length of a virtual duration.
    pub fn real(&self, d: Duration) -> Duration {
        d.checked_div(self.factor).unwrap_or(d)
    }

    /// Every listener bound so far: (host, topology port, real address).
    pub fn listening(&self) -> Vec<(String, u16, SocketAddr)> {
        self.ports
            .borrow()
            .iter()
            .map(|((h, p), a)| (h.clone(), *p, *a))
            .collect()
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.hosts.borrow().iter().position(|h| h.name == name)
    }

    fn by_ip(&self, ip: IpAddr) -> Option<(usize, String)> {
        let known = self
            .hosts
            .borrow()
            .iter()
            .enumerate()
            .find(|(_, h)| h.ip == ip)
            .map(|(i, h)| (i, h.name.clone()));
        known.or_else(|| {
            let d = self.peers.borrow().clone()?;
            let name = peers::host_of(&d.dir, ip)?;
            Some((self.index(&name)?, name))
        })
    }

    fn key(a: usize, b: usize) -> (usize, usize) {
        (a.min(b), a.max(b))
    }

    fn link(&self, a: usize, b: usize) -> Link {
        self.links
            .borrow()
            .get(&Self::key(a, b))
            .copied()
            .unwrap_or_default()
    }

    fn powered(&self, i: usize) -> bool {
        self.hosts.borrow().get(i).is_some_and(|h| h.powered)
    }

    /// Whether nothing passes between `a` and `b` (a partition, or either host off).
    fn cut(&self, a: usize, b: usize) -> bool {
        self.link(a, b).partitioned || !self.powered(a) || !self.powered(b)
    }

    /// Changes the link between the hosts named `a` and `b`, then wakes whoever waits on it.
    pub fn set(&self, a: &str, b: &str, change: impl FnOnce(&mut LinkChange)) {
        let (Some(x), Some(y)) = (self.index(a), self.index(b)) else {
            return;
        };
        {
            let mut links = self.links.borrow_mut();
            let link = links.entry(Self::key(x, y)).or_default();
            let mut c = LinkChange(*link);
            change(&mut c);
            *link = c.0;
        }
        self.wake();
    }

    /// Powers the host `name` on or off (off: cut off from every other host; on: its links'
    /// partitions repaired, as the simulation's power-on does).
    pub fn power(&self, name: &str, on: bool) {
        let Some(i) = self.index(name) else { return };
        if let Some(h) = self.hosts.borrow_mut().get_mut(i) {
            h.powered = on;
        }
        if on {
            for ((a, b), link) in self.links.borrow_mut().iter_mut() {
                if *a == i || *b == i {
                    link.partitioned = false;
                }
            }
        }
        self.wake();
    }

    fn wake(&self) {
        for w in self.stalled.borrow_mut().drain(..) {
            w.wake();
        }
        self.changed.notify_waiters();
    }

    /// When a chunk read now on the link `a`–`b` is delivered (real instant).
    fn due(&self, a: usize, b: usize) -> Instant {
        let link = self.link(a, b);
        let mut delay = link.latency;
        if link.loss > 0.0 && self.rng.borrow_mut().chance(link.loss) {
            delay = delay.saturating_add(RTO);
        }
        let now = Instant::now();
        now.checked_add(self.real(delay)).unwrap_or(now)
    }
}

/// A change to a link's state ([`Fabric::set`]).
pub struct LinkChange(Link);

impl LinkChange {
    /// Partitioned (`true`) or repaired.
    pub fn partition(&mut self, on: bool) {
        self.0.partitioned = on;
    }
    /// Held (`true`) or released.
    pub fn hold(&mut self, on: bool) {
        self.0.held = on;
    }
    /// One-way latency.
    pub fn latency(&mut self, d: Duration) {
        self.0.latency = d;
    }
    /// Failure rate (0–1).
    pub fn loss(&mut self, rate: f64) {
        self.0.loss = rate.clamp(0.0, 1.0);
    }
}

/// The live network, seen from one host.
#[derive(Clone)]
pub struct LiveNet {
    fabric: Rc<Fabric>,
    /// This host's index in the fabric.
    here: usize,
    name: String,
    ip: IpAddr,
}

impl LiveNet {
    /// The network as the host `name` (added to `fabric` at `here`, address `ip`) sees it.
    pub fn on(fabric: Rc<Fabric>, here: usize, name: &str, ip: IpAddr) -> Self {
        Self {
            fabric,
            here,
            name: name.to_string(),
            ip,
        }
    }

    fn stream(&self, inner: TcpStream, there: Option<usize>) -> LiveStream {
        let _ = inner.set_nodelay(true);
        LiveStream {
            inner: Some(inner),
            owner: Process::current(),
            fabric: Rc::clone(&self.fabric),
            here: self.here,
            there,
            queue: VecDeque::new(),
            timer: None,
            eof: Cell::new(false),
        }
    }

    async fn bind_on(&self, port: u16) -> io::Result<TcpListener> {
        let key = (self.name.clone(), port);
        let mapped = self.fabric.ports.borrow().get(&key).map(SocketAddr::port);
        for real in [mapped, Some(port), Some(0)].into_iter().flatten() {
            if let Ok(l) = TcpListener::bind((self.ip, real)).await {
                let addr = l.local_addr()?;
                self.fabric.ports.borrow_mut().insert(key, addr);
                self.fabric.publish(&self.name);
                return Ok(l);
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            format!("cannot listen on {} (port {port})", self.ip),
        ))
    }
}

impl Net for LiveNet {
    type Stream = LiveStream;
    type Listener = TcpListener;

    async fn bind(&self, port: u16) -> io::Result<TcpListener> {
        self.bind_on(port).await
    }

    async fn accept(&self, listener: &TcpListener) -> io::Result<(LiveStream, String)> {
        let (stream, addr) = listener.accept().await?;
        let (there, peer) = match self.fabric.by_ip(addr.ip()) {
            Some((i, name)) => (Some(i), name),
            None => (None, addr.ip().to_string()),
        };
        Ok((self.stream(stream, there), peer))
    }

    async fn connect(&self, host: &str, port: u16) -> io::Result<LiveStream> {
        let there = self.fabric.index(host).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("no host named {host}"))
        })?;
        // A dial across a cut or held link goes unanswered until the link is back.
        loop {
            let waiting = self.fabric.changed.notified();
            let link = self.fabric.link(self.here, there);
            if !self.fabric.cut(self.here, there) && !link.held {
                break;
            }
            waiting.await;
        }
        let latency = self.fabric.link(self.here, there).latency;
        if !latency.is_zero() {
            tokio::time::sleep(self.fabric.real(latency)).await;
        }
        let to = self.fabric.target(host, port).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::ConnectionRefused,
                format!("nothing listens on {host}:{port}"),
            )
        })?;
        let socket = match to {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        socket.bind(SocketAddr::new(self.ip, 0))?;
        let stream = socket.connect(to).await?;
        Ok(self.stream(stream, Some(there)))
    }

    fn now(&self) -> Duration {
        (self.fabric.clock())()
    }

    fn clock(&self) -> Clock {
        self.fabric.clock()
    }

    fn here(&self) -> Option<IpAddr> {
        Some(self.ip)
    }
}

/// A real TCP stream between two hosts, gated by its link's state, reset when its process is
/// dead.
pub struct LiveStream {
    /// The socket (`None` once reset).
    inner: Option<TcpStream>,
    /// The process whose task opened the stream (`None`: the LCA's, the SCS's).
    owner: Option<Process>,
    fabric: Rc<Fabric>,
    here: usize,
    /// The peer's host (`None`: not a host of the fabric, no link applies).
    there: Option<usize>,
    /// Chunks read but not yet due (latency, loss), with their real instant.
    queue: VecDeque<(Instant, Vec<u8>)>,
    /// The wait for the first queued chunk.
    timer: Option<Pin<Box<Sleep>>>,
    /// The peer's end was read (queued behind the chunks).
    eof: Cell<bool>,
}

/// What the tasks of a dead process get from its streams while they are being cancelled.
fn dead() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "the process is dead")
}

impl LiveStream {
    /// Resets the socket when its process is dead (or its host is off); says whether it did.
    fn reset_if_dead(&mut self) -> bool {
        let dead =
            self.owner.as_ref().is_some_and(Process::is_dead) || !self.fabric.powered(self.here);
        if dead {
            if let Some(s) = self.inner.take() {
                let _ = s.set_zero_linger();
                drop(s);
            }
        }
        dead || self.inner.is_none()
    }

    /// The link's state when one applies: (nothing passes, reads held, delayed).
    fn gate(&self) -> (bool, bool, bool) {
        match self.there {
            None => (false, false, false),
            Some(t) => {
                let link = self.fabric.link(self.here, t);
                (
                    self.fabric.cut(self.here, t),
                    link.held,
                    !link.latency.is_zero() || link.loss > 0.0,
                )
            }
        }
    }

    fn stall(&self, cx: &Context<'_>) {
        let mut stalled = self.fabric.stalled.borrow_mut();
        if !stalled.iter().any(|w| w.will_wake(cx.waker())) {
            stalled.push(cx.waker().clone());
        }
    }

    /// Reads what the socket has into the queue, each chunk due when the link says.
    fn fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut chunk = [0_u8; 16 * 1024];
        loop {
            if self.eof.get() {
                return Poll::Pending;
            }
            let Some(inner) = self.inner.as_mut() else {
                return Poll::Ready(Err(dead()));
            };
            let mut buf = ReadBuf::new(&mut chunk);
            match Pin::new(inner).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) => {
                    let data = buf.filled().to_vec();
                    if data.is_empty() {
                        self.eof.set(true);
                    }
                    let due = self.fabric.due(self.here, self.there.unwrap_or(self.here));
                    // TCP keeps order: never before the chunk ahead.
                    let due = self.queue.back().map_or(due, |(b, _)| due.max(*b));
                    self.queue.push_back((due, data));
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Delivers the first queued chunk when it is due.
    fn deliver(&mut self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let Some((due, _)) = self.queue.front() else {
            // Past the peer's end, every read reads the end again.
            return if self.eof.get() {
                Poll::Ready(Ok(()))
            } else {
                Poll::Pending
            };
        };
        let due = *due;
        if due > Instant::now() {
            let timer = self
                .timer
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(due)));
            timer.as_mut().reset(due);
            return match timer.as_mut().poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(()) => {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            };
        }
        let Some((_, mut data)) = self.queue.pop_front() else {
            return Poll::Pending;
        };
        let n = data.len().min(buf.remaining());
        let rest = data.split_off(n);
        buf.put_slice(&data);
        if !rest.is_empty() {
            self.queue.push_front((due, rest));
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for LiveStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.reset_if_dead() {
            return Poll::Ready(Err(dead()));
        }
        let (cut, held, delayed) = self.gate();
        if cut || held {
            self.stall(cx);
            return Poll::Pending;
        }
        if !delayed && self.queue.is_empty() {
            let Some(inner) = self.inner.as_mut() else {
                return Poll::Ready(Err(dead()));
            };
            return Pin::new(inner).poll_read(cx, buf);
        }
        if let Poll::Ready(Err(e)) = self.fill(cx) {
            return Poll::Ready(Err(e));
        }
        self.deliver(cx, buf)
    }
}

impl LiveStream {
    /// The real stream, when a write may go on now: a dead process's stream is reset, a cut
    /// link stalls the writer (until the link changes).
    fn writable(&mut self, cx: &Context<'_>) -> Poll<io::Result<Pin<&mut TcpStream>>> {
        if self.reset_if_dead() {
            return Poll::Ready(Err(dead()));
        }
        if self.gate().0 {
            self.stall(cx);
            return Poll::Pending;
        }
        match self.inner.as_mut() {
            Some(inner) => Poll::Ready(Ok(Pin::new(inner))),
            None => Poll::Ready(Err(dead())),
        }
    }
}

impl AsyncWrite for LiveStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        std::task::ready!(self.writable(cx))?.poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.writable(cx))?.poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.writable(cx))?.poll_shutdown(cx)
    }
}

impl Drop for LiveStream {
    fn drop(&mut self) {
        self.reset_if_dead();
    }
}
