//! The HA link of a paired server, both ends: the backup-role instance dials the primary-role
//! instance's HA-sync port (else `default`; a Configuration Server: as its
//! `consistent-port-selection` says, see [`crate::topology::ha_dial`]), asks for a full synchronisation, then stores what
//! the primary streams; the primary answers with its store in chunks, then replicates each
//! client event and, in hot standby, acknowledges it once the backup confirms.
//!
//! Both ends run `[backup-sync]` ADDP when the server's options say so. What the events are and
//! where they are kept is the server's business (`server.rs`, [`Store`](super::store::Store)).

use std::rc::Rc;
use std::time::Duration;

use super::instance::{HELLO_TIMEOUT, Server};
use super::session::Session;
use super::transport;
use crate::net::Net;
use crate::pki::endpoint::{Link, LinkKind, ha_link};
use crate::topology::ha_dial::{CONSISTENT_PORT_SELECTION, ha_dial_port};
use crate::topology::{Purpose, Role};
use crate::trace::{DisconnectReason, Kind};
use crate::wire::Message;

/// How long the backup waits between attempts to reach the primary.
pub(super) const HA_RETRY: Duration = Duration::from_secs(1);

/// Whether this server runs ADDP on the HA link: `[backup-sync] protocol = addp`, read when
/// a connection is established (Genesys: "Changes Take Effect: When the next connection is
/// established").
fn addp_on<N: Net>(s: &Server<N>) -> bool {
    s.w.option(&s.name, "backup-sync", "protocol")
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("addp"))
}

/// How long this server waits on the HA link before polling (`[backup-sync] addp-timeout`
/// seconds, 0 or unset: no ADDP), read at every wait (Genesys: "Changes Take Effect:
/// Immediately").
fn addp_timeout<N: Net>(s: &Server<N>) -> Option<Duration> {
    let secs: u64 =
        s.w.option(&s.name, "backup-sync", "addp-timeout")?
            .trim()
            .parse()
            .ok()?;
    (secs > 0).then(|| Duration::from_secs(secs))
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
    // ADDP runs on the primary's end of the HA link too ([backup-sync] is the T-Server's own
    // option, whichever role it has): a backup gone silent is noticed, and the primary goes
    // on alone instead of waiting for confirmations that never come.
    let addp = addp_on(&s);
    let reason = loop {
        let wait = if addp { addp_timeout(&s) } else { None };
        match session.next(wait).await {
            Ok(Message::BackupReady) => {
                let snapshot = s.store.borrow_mut().snapshot();
                let ids = match snapshot {
                    Ok(ids) => ids,
                    Err(e) => return s.fail(&e),
                };
                // In chunks within the frame bound: a store of any size synchronises.
                for chunk in crate::wire::full_sync(ids.iter()) {
                    session.send(chunk);
                }
                session.send(Message::SyncDone);
                *s.backup.borrow_mut() = Some(session.tx.clone());
                s.w.emit(
                    &s.name,
                    Kind::HaSynced {
                        primary: s.name.clone(),
                        backup: from.clone(),
                        port: port.clone(),
                        tls,
                    },
                );
            }
            Ok(Message::Replicated { id }) => {
                if let Some(client) = s.pending.borrow_mut().remove(&id) {
                    let _ = client.send(Message::Ack { id });
                }
            }
            Ok(Message::Ping) => session.send(Message::Pong),
            Ok(_) => {}
            Err(reason) => break reason,
        }
    };
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
            peer: from,
            port,
            reason,
        },
    );
}

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
    session.send(Message::BackupReady);
    let addp = addp_on(s);
    let reason = loop {
        let wait = if addp { addp_timeout(s) } else { None };
        match session.next(wait).await {
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
            Ok(Message::SyncDone) => w.emit(
                &s.name,
                Kind::HaSynced {
                    primary: partner.to_string(),
                    backup: s.name.clone(),
                    port: port.clone(),
                    tls,
                },
            ),
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
}
