//! The HA link of a paired server, both ends: the backup-role instance dials the primary-role
//! instance's HA-sync port (else `default`), asks for a full synchronisation, then stores what
//! the primary streams; the primary answers with its store in chunks, then replicates each
//! client event and, in hot standby, acknowledges it once the backup confirms.
//!
//! Both ends run `[backup-sync]` ADDP when the server's options say so (`addp.rs`). What the
//! events are and where they are kept is the server's business (`server.rs`,
//! [`Store`](super::store::Store)).

use std::rc::Rc;
use std::time::Duration;

use super::instance::{HELLO_TIMEOUT, Server};
use super::session::Session;
use super::{addp, transport};
use crate::net::Net;
use crate::pki::endpoint::{LinkKind, ha_port};
use crate::topology::{Purpose, Role};
use crate::trace::{DisconnectReason, Kind};
use crate::wire::Message;

/// How long the backup waits between attempts to reach the primary.
pub(super) const HA_RETRY: Duration = Duration::from_secs(1);

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
    let mut addp = addp::backup_sync(&s.w, &s.name, &from);
    addp.start(&session);
    let reason = loop {
        match addp.next(&mut session).await {
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
pub(super) async fn dial<N: Net>(s: Rc<Server<N>>) {
    let Some(partner) = s.partner.clone() else {
        return;
    };
    loop {
        attempt(&s, &partner).await;
        s.w.timers.sleep(HA_RETRY).await;
    }
}

/// One session of the backup's end, from the dial to its end.
async fn attempt<N: Net>(s: &Rc<Server<N>>, partner: &str) {
    let w = &s.w;
    let Some(target) = w.topology.app(partner) else {
        return;
    };
    let Some(port) = ha_port(target) else { return };
    let Some(link) = w.link(LinkKind::HaLink, &s.name, partner) else {
        return;
    };
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
                    port: port.id.value.clone(),
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
            port: port.id.value.clone(),
            tls,
            purpose: Purpose::HaLink,
        },
    );
    session.send(Message::BackupReady);
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
            Ok(Message::SyncDone) => w.emit(
                &s.name,
                Kind::HaSynced {
                    primary: partner.to_string(),
                    backup: s.name.clone(),
                    port: port.id.value.clone(),
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
            port: port.id.value.clone(),
            reason,
        },
    );
}
