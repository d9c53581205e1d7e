//! An application process, by role: its listeners (the serving side, `server.rs`, which every
//! server type has), its outbound connections (the dialling side, `dialer.rs`, which every
//! application with a `[[connection]]` from it has, servers included) and, in a pair, its HA
//! link (`ha.rs`, run by the serving side as its role says). A pure client is an application
//! with outbound connections and no listeners.
//!
//! This file only composes the sides; what each does is in its own file.

use std::rc::Rc;

use tokio::sync::watch;

use super::dialer::Dialer;
use super::{Scope, World, server};
use crate::net::Net;
use crate::topology::{AppType, Role};
use crate::trace::Kind;

/// Runs application `name` until its task is aborted (a crash), its configuration is refused or
/// its store fails. `role` is the role the SCS gives it, which only the serving side reads.
pub(super) async fn run<N: Net>(
    w: Rc<World<N>>,
    name: String,
    role: watch::Receiver<Option<Role>>,
    scope: Scope,
) {
    let Some(app) = w.topology.app(&name) else {
        return;
    };
    let serving = if app.is_server() {
        let Some(s) = server::start(&w, app, role, scope.clone()).await else {
            return;
        };
        Some(s)
    } else {
        w.emit(&name, Kind::Started { role: None });
        None
    };
    // An ICON stores what its data-source sessions hear.
    let feed = (app.kind.value == AppType::Icon).then(|| {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        scope.spawn(super::icon::run(Rc::clone(&w), name.clone(), rx));
        tx
    });
    // After the listeners: a server's peers may dial it while it dials its own servers.
    let dialer = Dialer::start(&w, app, &scope, feed.as_ref());
    match serving {
        Some(s) => {
            // A server that dials nothing spawns nothing: its run is as it was before servers
            // dialled.
            if !dialer.is_idle() {
                scope.spawn(dialer.run(Rc::clone(&w)));
            }
            server::serve(s).await;
        }
        None => dialer.run(w).await,
    }
}
