//! ADDP between two in-memory sessions under paused tokio time: when a side polls, when it
//! gives up, what it asks of its peer, and that timeout 0 is off.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{Addp, Emit, Params};
use crate::node::clock::Timers;
use crate::node::session::Session;
use crate::topology::AddpTrace;
use crate::trace::{DisconnectReason, Kind};
use crate::wire::Message;

/// Trace events with the virtual millisecond they came at.
type Log = Rc<RefCell<Vec<(u64, Kind)>>>;

fn ms(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn log(start: Instant) -> (Log, Emit) {
    let log: Log = Rc::default();
    let into = Rc::clone(&log);
    (
        log,
        Rc::new(move |k| into.borrow_mut().push((ms(start), k))),
    )
}

/// Two connected sessions, `a` and `b`.
fn pair(start: Instant) -> (Session, Session) {
    let (a, b) = tokio::io::duplex(1 << 16);
    let timers = Timers::new(Arc::new(move || start.elapsed()));
    (
        Session::start(Box::new(a), timers.clone()),
        Session::start(Box::new(b), timers),
    )
}

fn secs(n: u64) -> Option<Duration> {
    Some(Duration::from_secs(n))
}

fn poll(peer: &str, timeout_ms: u64) -> Kind {
    Kind::AddpPoll {
        peer: peer.into(),
        timeout_ms,
    }
}

fn answer(peer: &str, timeout_ms: u64) -> Kind {
    Kind::AddpAnswer {
        peer: peer.into(),
        timeout_ms,
    }
}

/// Runs `b`'s side of ADDP (answering polls) until its session ends.
fn serve(mut b: Session, mut addp: Addp) {
    tokio::task::spawn_local(async move { while addp.next(&mut b).await.is_ok() {} });
}

async fn local(f: impl std::future::Future<Output = ()>) {
    tokio::task::LocalSet::new().run_until(f).await;
}

#[tokio::test(start_paused = true)]
async fn a_side_polls_only_after_its_timeout_of_silence() {
    local(async {
        let start = Instant::now();
        let (mut a, b) = pair(start);
        let (events, emit) = log(start);
        let (_, quiet) = log(start);
        let b_tx = b.tx.clone();
        serve(b, Addp::new("a", Params::OFF, quiet));
        let own = Params {
            timeout: secs(5),
            remote: None,
            trace: AddpTrace::Local,
        };
        let mut addp = Addp::new("b", own, emit);
        tokio::task::spawn_local(async move {
            tokio::time::sleep(Duration::from_secs(3)).await;
            let _ = b_tx.send(Message::Request { id: "r".into() });
        });
        // The request at 3 s is life: the first poll comes 5 s after it, not 5 s after start.
        let got = addp.next(&mut a).await;
        assert_eq!(got, Ok(Message::Request { id: "r".into() }));
        assert_eq!(ms(start), 3_000);
        let idle = tokio::time::timeout(Duration::from_secs(12), addp.next(&mut a)).await;
        assert!(idle.is_err(), "answered polls keep the session: {idle:?}");
        assert_eq!(
            *events.borrow(),
            vec![
                (8_000, poll("b", 5_000)),
                (8_000, answer("b", 5_000)),
                (13_000, poll("b", 5_000)),
                (13_000, answer("b", 5_000)),
            ]
        );
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn an_unanswered_poll_loses_the_peer_after_the_timeout_again() {
    local(async {
        let start = Instant::now();
        // `b` is alive as a socket but answers nothing (a powered-off host's stale session).
        let (mut a, _b) = pair(start);
        let (events, emit) = log(start);
        let own = Params {
            timeout: secs(5),
            remote: None,
            trace: AddpTrace::Both,
        };
        let got = Addp::new("b", own, emit).next(&mut a).await;
        assert_eq!(got, Err(DisconnectReason::AddpTimeout));
        assert_eq!(ms(start), 10_000);
        assert_eq!(*events.borrow(), vec![(5_000, poll("b", 5_000))]);
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn the_remote_timeout_makes_the_peer_poll_and_trace() {
    local(async {
        let start = Instant::now();
        let (a, mut b) = pair(start);
        let (a_events, a_emit) = log(start);
        let (b_events, b_emit) = log(start);
        // `a` does not poll itself; it asks `b` to poll every 4 s and to trace it, then
        // goes silent without answering.
        let ask = Params {
            timeout: None,
            remote: secs(4),
            trace: AddpTrace::Remote,
        };
        let mut a_addp = Addp::new("b", ask, a_emit);
        a_addp.start(&a);
        assert_eq!(a_addp.timeout(), None);
        let mut b_addp = Addp::new("a", Params::OFF, b_emit);
        let got = b_addp.next(&mut b).await;
        assert_eq!(got, Err(DisconnectReason::AddpTimeout));
        assert_eq!(ms(start), 8_000);
        assert_eq!(b_addp.timeout(), secs(4));
        assert_eq!(*b_events.borrow(), vec![(4_000, poll("a", 4_000))]);
        assert!(
            a_events.borrow().is_empty(),
            "`a` traces nothing of its own"
        );
        drop(a);
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn the_shorter_of_its_own_and_the_asked_timeout_wins() {
    local(async {
        let start = Instant::now();
        let (a, mut b) = pair(start);
        let (_, emit) = log(start);
        let ask = Params {
            timeout: None,
            remote: secs(3),
            trace: AddpTrace::Off,
        };
        Addp::new("b", ask, Rc::clone(&emit)).start(&a);
        let own = Params {
            timeout: secs(7),
            remote: None,
            trace: AddpTrace::Off,
        };
        let got = Addp::new("a", own, emit).next(&mut b).await;
        assert_eq!(got, Err(DisconnectReason::AddpTimeout));
        assert_eq!(ms(start), 6_000);
        drop(a);
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn timeout_zero_is_off_and_still_answers() {
    local(async {
        let start = Instant::now();
        let (mut a, b) = pair(start);
        let (events, emit) = log(start);
        let off = Params::of_connection(Some(&crate::topology::Addp {
            local: Some(crate::diag::Sp::new(Duration::ZERO, 0..1)),
            remote: Some(crate::diag::Sp::new(Duration::ZERO, 0..1)),
            trace: None,
            span: (0..1).into(),
        }));
        assert_eq!(off, Params::OFF);
        let b_tx = b.tx.clone();
        let mut b = b;
        // The silent side still answers a poll of its peer.
        b_tx.send(Message::Ping).expect("open");
        let mut addp = Addp::new("b", off, emit);
        let idle = tokio::time::timeout(Duration::from_secs(3_600), addp.next(&mut a)).await;
        assert!(idle.is_err(), "no poll, no loss: {idle:?}");
        assert!(events.borrow().is_empty());
        let pong = tokio::time::timeout(Duration::from_secs(1), b.rx.recv()).await;
        assert!(matches!(pong, Ok(Some(Ok(Message::Pong)))), "{pong:?}");
    })
    .await;
}
