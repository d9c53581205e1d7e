//! ADDP rules: keep-alive configured on both sides of server-to-server links, and timeouts
//! long enough not to fire under ordinary delay.

use std::time::Duration;

use super::{Finding, RuleId, app_obj};
use crate::diag::Sp;
use crate::topology::{Topology, value::format_duration};

const FLOOR: Duration = Duration::from_secs(10);

pub(super) fn check(t: &Topology, out: &mut Vec<Finding>) {
    for c in &t.connections {
        let Some(addp) = &c.addp else { continue };
        let object = format!("connection:{}->{}", c.from.value, c.to.value);
        let server_to_server = [&c.from, &c.to]
            .iter()
            .all(|n| t.app(&n.value).is_some_and(crate::topology::App::is_server));
        if server_to_server && addp.local.is_some() != addp.remote.is_some() {
            let set = if addp.local.is_some() {
                "local"
            } else {
                "remote"
            };
            out.push(
                Finding::new(
                    RuleId::AddpBothSides,
                    addp.span,
                    format!("{object} is server-to-server but sets only the {set} ADDP timeout"),
                )
                .object(object.clone()),
            );
        }
        for d in [&addp.local, &addp.remote].into_iter().flatten() {
            below_floor(d, &object, out);
        }
    }
    for app in &t.apps {
        let local = app.option("backup-sync", "addp-timeout");
        let remote = app.option("backup-sync", "addp-remote-timeout");
        let uses_addp = app
            .option("backup-sync", "protocol")
            .is_some_and(|p| p.value.eq_ignore_ascii_case("addp"));
        let object = format!("{} [backup-sync]", app_obj(&app.name.value));
        if uses_addp && local.is_some() != remote.is_some() {
            let span = local.or(remote).map_or(app.name.span, |v| v.span);
            out.push(
                Finding::new(
                    RuleId::AddpBothSides,
                    span,
                    format!("{object} sets only one of addp-timeout and addp-remote-timeout for the HA link"),
                )
                .object(object.clone()),
            );
        }
        for v in [local, remote].into_iter().flatten() {
            // Genesys writes these options as whole seconds.
            if let Ok(secs) = v.value.trim().parse::<u64>() {
                below_floor(&Sp::new(Duration::from_secs(secs), v.span), &object, out);
            }
        }
    }
}

fn below_floor(d: &Sp<Duration>, object: &str, out: &mut Vec<Finding>) {
    if d.value >= FLOOR || d.value.is_zero() {
        return;
    }
    out.push(
        Finding::new(
            RuleId::AddpGe10s,
            d.span,
            format!(
                "{object}: ADDP timeout {} is below 10s and invites false disconnects under delay",
                format_duration(d.value)
            ),
        )
        .object(object.to_string()),
    );
}
