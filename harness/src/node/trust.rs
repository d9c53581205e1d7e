//! Trusted CAs changed at run time: an operator edits an application's (or a host's)
//! `trusted-ca` while the pair runs, as during a CA rollover (old and new CA trusted, then the
//! old one removed). The change takes effect at the next handshake the application makes or
//! accepts; sessions in place keep running.
//!
//! A change sits at the level it was made at, so the usual precedence still holds: a
//! `trusted-ca` set at a more specific level (the port, the connection) still wins over a
//! changed application or host, and a changed application over a changed host. Under `group`
//! resolution the certificate group comes from one level: a change at a level the group does
//! not come from is hidden, as the same edit in Configuration Manager would be.

use super::World;
use crate::net::Net;
use crate::pki::{Level, Params};
use crate::topology::{App, Resolution};

pub use crate::fault::Scope;

/// The level a resolved parameter came from, when it came from one at all.
fn level<T>(r: Option<&crate::pki::Resolved<T>>) -> Option<Level> {
    r.map(|r| r.level)
}

/// Which level's change is in force for `params` of `app`, or `None` when the configured
/// trust stands: `changed(scope)` says whether a step changed that scope.
fn effective(
    app: &App,
    params: &Params,
    mode: Resolution,
    changed: impl Fn(&Scope) -> bool,
) -> Option<Scope> {
    let specific = |l: Option<Level>| matches!(l, Some(Level::Port | Level::Connection));
    let trust = level(params.trusted_ca.as_ref());
    // The level the value (per-parameter) or the whole group (group) comes from.
    let from = match mode {
        Resolution::PerParameter => trust,
        Resolution::Group => [
            level(params.certificate.as_ref()),
            level(params.certificate_key.as_ref()),
            trust,
        ]
        .into_iter()
        .flatten()
        .next(),
    };
    if specific(from) {
        return None;
    }
    let app_scope = Scope::App(app.name.value.as_str().into());
    if changed(&app_scope) {
        return Some(app_scope);
    }
    let host_scope = Scope::Host(app.host.value.as_str().into());
    (changed(&host_scope) && matches!(from, None | Some(Level::Host))).then_some(host_scope)
}

impl<N: Net> World<N> {
    /// The trusted CAs `app` uses with `params` after a run-time change, or `None` when the
    /// configured `trusted-ca` stands.
    pub fn trust_override(&self, app: &App, params: &Params) -> Option<Vec<String>> {
        let changes = self.board.trust.borrow();
        if changes.is_empty() {
            return None;
        }
        let scope = effective(app, params, self.topology.resolution, |s| {
            changes.contains_key(s)
        })?;
        changes.get(&scope).cloned()
    }
}

#[cfg(test)]
mod tests;
