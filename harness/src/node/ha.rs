//! The HA link of a paired server, both ends: the backup-role instance dials the primary-role
//! instance's HA-sync port (else `default`; a Configuration Server: as its
//! `consistent-port-selection` says, see [`crate::topology::ha_dial`]) and says it is ready
//! ("Backup Ready"); the primary synchronises it and says when it is done ("Full Sync Done"),
//! after which the backup is linked (T-Server's `EventLinkConnected`); then the primary
//! replicates each client event and, in hot standby, acknowledges it once the backup confirms
//! (S-TS-HASYNC).
//!
//! A T-Server's synchronisation replaces the backup's store with the primary's, in chunks at
//! once. A SIP Server's backup first sends the list of calls it holds, and the primary pushes
//! only the missing ones, in batches of `[hapair] sip-call-sync-rate` a second, replicating
//! new events meanwhile (S-SIPS-UPG). Each end tells its instance when the link is up,
//! synchronised and down: a SIP Server's readiness follows (`readiness.rs`).
//!
//! Both ends run `[backup-sync]` ADDP when the server's options say so (`addp.rs`). What the
//! events are and where they are kept is the server's business (`server.rs`,
//! [`Store`](super::store::Store)).

use std::collections::BTreeSet;
use std::rc::Rc;
use std::time::Duration;

use super::Scope;
use super::instance::{HELLO_TIMEOUT, Server, Tx};
use super::session::Session;
use super::{addp, transport};
use crate::net::Net;
use crate::pki::endpoint::{Link, LinkKind, ha_link};
use crate::topology::ha_dial::{CONSISTENT_PORT_SELECTION, ha_dial_port};
use crate::topology::{Purpose, Role};
use crate::trace::{DisconnectReason, Kind};
use crate::wire::{self, Message};

/// How long the backup waits between attempts to reach the primary.
pub(super) const HA_RETRY: Duration = Duration::from_secs(1);

/// Tasks of one HA session (a SIP Server's batches, its readiness timer), aborted with it.
struct Owned(Scope);

impl Drop for Owned {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The primary's end of the HA link, from the backup's hello on.
pub(super) async fn serve<N: Net>(
    s: Rc<Server<N>>,
    mut session: Session,
    from: String,
    port: String,
    tls: bool,
) {
    s.w.emit(
        &s.name,
        Kind::Connected {
            peer: from.clone(),
            port: port.clone(),
            tls,
            purpose: Purpose::HaLink,
        },
    );
    let link = s.link_up();
    let owned = Owned(Scope::default());
    if s.sip {
        // A primary's readiness waits for the delay after the link came up.
        let timed = Rc::clone(&s);
        let delay = s.delay.get();
        owned.0.spawn(async move {
            timed.w.timers.sleep(delay).await;
            timed.refresh();
        });
    }
    let end = End {
        backup: from,
        port,
        tls,
        link,
    };
    // Calls the backup says it holds (a SIP Server's call list).
    let mut held: BTreeSet<String> = BTreeSet::new();
    // ADDP runs on the primary's end of the HA link too ([backup-sync] is the T-Server's own
    // option, whichever role it has): a backup gone silent is noticed, and the primary goes
    // on alone instead of waiting for confirmations that never come.
    let mut addp = addp::backup_sync(&s.w, &s.name, &end.backup);
    addp.start(&session);
    // The role as the server announced it (after its `role-changed` event): a demotion ends
    // this end of the link after the trace says it happened.
    let mut role = s.announced.subscribe();
    let reason = loop {
        let next = tokio::select! {
            biased;
            m = addp.next(&mut session) => m,
            // Made backup (a switchover): this end leaves the link at once, so that the old
            // session is over before the demoted instance dials its new primary.
            Ok(_) = role.wait_for(|r| *r == Some(Role::Backup)) => {
                session.send(Message::RoleNotice { role: Role::Backup });
                break DisconnectReason::Demoted;
            }
        };
        match next {
            Ok(Message::CallList { ids }) => held.extend(ids),
            Ok(Message::BackupReady) => {
                let snapshot = s.store.borrow_mut().snapshot();
                let ids = match snapshot {
                    Ok(ids) => ids,
                    Err(e) => return s.fail(&e),
                };
                if s.sip {
                    // Replicated from now on; what the backup misses follows in batches.
                    let missing: Vec<String> =
                        ids.into_iter().filter(|id| !held.contains(id)).collect();
                    *s.backup.borrow_mut() = Some(session.tx.clone());
                    owned.0.spawn(push(
                        Rc::clone(&s),
                        session.tx.clone(),
                        missing,
                        end.clone(),
                    ));
                } else {
                    let ids = planted(&s, ids);
                    // In chunks within the frame bound: a store of any size synchronises.
                    for chunk in wire::full_sync(ids.iter()) {
                        session.send(chunk);
                    }
                    session.send(Message::SyncDone);
                    *s.backup.borrow_mut() = Some(session.tx.clone());
                    full_sync_done(&s, &end, ids.len());
                }
            }
            Ok(Message::Replicated { id }) => {
                if let Some(client) = s.pending.borrow_mut().remove(&id) {
                    let _ = client.send(Message::Ack { id });
                }
            }
            Ok(_) => {}
            Err(reason) => break reason,
        }
    };
    drop(owned);
    s.backup.borrow_mut().take();
    // The backup is gone. Still primary: the events waiting for it are held by this instance
    // alone now, and acknowledged. Demoted meanwhile (a switchover): they were never confirmed
    // by the new primary, so they stay unacknowledged rather than be promised and lost.
    let waiting = std::mem::take(&mut *s.pending.borrow_mut());
    if s.role_now() == Some(Role::Primary) {
        for (id, client) in waiting {
            let _ = client.send(Message::Ack { id });
        }
    }
    s.w.emit(
        &s.name,
        Kind::Disconnected {
            peer: end.backup,
            port: end.port,
            reason,
        },
    );
    s.link_down(link);
}

/// The events a T-Server's full synchronisation sends: all of them, unless the test-only
/// `[hapair] plant-defect = "resync-drops-last"` plants a resync defect (`tests/shrink.rs`).
fn planted<N: Net>(s: &Server<N>, mut ids: Vec<String>) -> Vec<String> {
    use crate::topology::options::{PLANT_DEFECT, RESYNC_DROPS_LAST};
    let defect = s.w.option(&s.name, "hapair", PLANT_DEFECT);
    if defect.is_some_and(|d| d.eq_ignore_ascii_case(RESYNC_DROPS_LAST)) {
        ids.pop();
    }
    ids
}

/// The primary's end of one HA session, as its synchronisation reports it.
#[derive(Clone)]
struct End {
    backup: String,
    port: String,
    tls: bool,
    link: u64,
}

/// The primary finished synchronising the backup ("Full Sync Done" sent).
fn full_sync_done<N: Net>(s: &Server<N>, end: &End, calls: usize) {
    if s.tserver {
        s.w.emit(
            &s.name,
            Kind::FullSyncDone {
                backup: end.backup.clone(),
                calls,
            },
        );
    }
    s.w.emit(
        &s.name,
        Kind::HaSynced {
            primary: s.name.clone(),
            backup: end.backup.clone(),
            port: end.port.clone(),
            tls: end.tls,
        },
    );
    s.link_synced(end.link);
}

/// SIP Server: the calls the backup misses, `[hapair] sip-call-sync-rate` a second (read when
/// the push starts), then "Full Sync Done".
async fn push<N: Net>(s: Rc<Server<N>>, tx: Tx, missing: Vec<String>, end: End) {
    let rate = crate::topology::options::spec_for(false, "hapair", "sip-call-sync-rate").map_or(
        SIP_CALL_SYNC_RATE,
        |spec| {
            spec.count(
                s.w.option(&s.name, "hapair", "sip-call-sync-rate")
                    .as_deref(),
            )
        },
    );
    let per_batch = usize::try_from(rate).unwrap_or(usize::MAX).max(1);
    let mut batches = missing.chunks(per_batch).peekable();
    while let Some(batch) = batches.next() {
        for ids in wire::chunks(batch) {
            let _ = tx.send(Message::MissingCalls { ids });
        }
        if batches.peek().is_some() {
            s.w.timers.sleep(Duration::from_secs(1)).await;
        }
    }
    let _ = tx.send(Message::SyncDone);
    full_sync_done(&s, &end, missing.len());
}

/// SIP Server calls pushed a second when `[hapair] sip-call-sync-rate` is unset (S-SIPS-UPG).
const SIP_CALL_SYNC_RATE: u64 = 500;

/// The backup-role instance keeps dialling the primary-role instance while it is backup.
///
/// The port is chosen once, when the backup starts dialling: a Configuration Server reads its
/// `[system] consistent-port-selection` then (Genesys: "Changes Take Effect: after restart").
pub(super) async fn dial<N: Net>(s: Rc<Server<N>>) {
    let Some(partner) = s.partner.clone() else {
        return;
    };
    let Some(link) = ha_link_now(&s, &partner) else {
        return;
    };
    loop {
        attempt(&s, &partner, &link).await;
        s.w.timers.sleep(HA_RETRY).await;
    }
}

/// The HA link to `partner` on the port chosen with the options in force now: the
/// precomputed one (what the TLS table shows), unless an `option` step changed the choice.
fn ha_link_now<N: Net>(s: &Server<N>, partner: &str) -> Option<Rc<Link>> {
    let w = &s.w;
    let (section, key) = CONSISTENT_PORT_SELECTION;
    let consistent = w.option_flag(&s.name, section, key);
    let target = w.topology.app(partner)?;
    let port = ha_dial_port(target, consistent)?;
    let listed = w.link(LinkKind::HaLink, &s.name, partner);
    match listed {
        Some(l) if l.port == port.id.value => Some(Rc::new(l.clone())),
        _ => {
            let me = w.topology.app(&s.name)?;
            Some(Rc::new(ha_link(&w.topology, me, target, port)))
        }
    }
}

/// One session of the backup's end, from the dial to its end.
async fn attempt<N: Net>(s: &Rc<Server<N>>, partner: &str, link: &Link) {
    let w = &s.w;
    let port = &link.port;
    // The link says how it opens (`Opening::for_ha_link`): the TLS table shows the same.
    let Some((io, tls)) = transport::dial(w, &s.name, &s.host, link, link.opening).await else {
        return;
    };
    let mut session = Session::start(io, w.timers.clone());
    session.send(Message::Hello {
        from: s.name.clone(),
        purpose: Purpose::HaLink,
    });
    let mut addp = addp::backup_sync(&s.w, &s.name, partner);
    addp.start(&session);
    match w.timers.timeout(HELLO_TIMEOUT, session.rx.recv()).await {
        Ok(Some(Ok(Message::RoleNotice {
            role: Role::Primary,
        }))) => {}
        Ok(Some(Err(e))) if e.class != crate::tls::FailureClass::PeerClosed => {
            w.emit(
                &s.name,
                Kind::HandshakeFailed {
                    peer: partner.to_string(),
                    port: port.clone(),
                    class: e.class,
                    detail: e.detail,
                },
            );
            return;
        }
        _ => return,
    }
    w.emit(
        &s.name,
        Kind::Connected {
            peer: partner.to_string(),
            port: port.clone(),
            tls,
            purpose: Purpose::HaLink,
        },
    );
    let link = s.link_up();
    s.backup_link.set(Some(link));
    let calls = if s.sip {
        // A SIP Server says which calls it holds: the primary pushes only the others.
        let held = s.store.borrow_mut().snapshot();
        let held = match held {
            Ok(ids) => ids,
            Err(e) => return s.fail(&e),
        };
        for ids in wire::chunks(held.iter())
            .into_iter()
            .filter(|c| !c.is_empty())
        {
            session.send(Message::CallList { ids });
        }
        held.len()
    } else {
        0
    };
    session.send(Message::BackupReady);
    if s.tserver {
        w.emit(
            &s.name,
            Kind::BackupReady {
                primary: partner.to_string(),
                calls,
            },
        );
    }
    let reason = loop {
        match addp.next(&mut session).await {
            Ok(Message::FullSync { ids, first }) => {
                let mut store = s.store.borrow_mut();
                let cleared = if first { store.clear() } else { Ok(()) };
                if let Err(e) = cleared.and_then(|()| store.insert_all(&ids)) {
                    drop(store);
                    return s.fail(&e);
                }
                drop(store);
                if first {
                    w.emit(&s.name, Kind::StoreCleared);
                }
                w.emit(&s.name, Kind::Stored { ids });
            }
            Ok(Message::MissingCalls { ids }) => {
                let stored = s.store.borrow_mut().insert_all(&ids);
                if let Err(e) = stored {
                    return s.fail(&e);
                }
                w.emit(&s.name, Kind::Stored { ids });
            }
            Ok(Message::SyncDone) => {
                w.emit(
                    &s.name,
                    Kind::HaSynced {
                        primary: partner.to_string(),
                        backup: s.name.clone(),
                        port: port.clone(),
                        tls,
                    },
                );
                if s.tserver {
                    w.emit(
                        &s.name,
                        Kind::LinkConnected {
                            primary: partner.to_string(),
                        },
                    );
                }
                s.link_synced(link);
            }
            Ok(Message::Replicate { id }) => {
                let stored = s.store.borrow_mut().insert(&id);
                if let Err(e) = stored {
                    return s.fail(&e);
                }
                w.emit(
                    &s.name,
                    Kind::Stored {
                        ids: vec![id.clone()],
                    },
                );
                session.send(Message::Replicated { id });
            }
            // The primary polls a quiet backup too (ADDP on its end): unanswered, it would
            // drop a healthy link whenever no event flows.
            Ok(Message::Ping) => session.send(Message::Pong),
            Ok(Message::RoleNotice { role: Role::Backup }) => {
                break DisconnectReason::PeerIsBackup;
            }
            Ok(_) => {}
            Err(reason) => break reason,
        }
    };
    w.emit(
        &s.name,
        Kind::Disconnected {
            peer: partner.to_string(),
            port: port.clone(),
            reason,
        },
    );
    if s.backup_link.get() == Some(link) {
        s.backup_link.set(None);
    }
    s.link_down(link);
}
