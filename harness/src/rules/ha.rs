//! Pair rules: HA-sync ports, port matching, Configuration Server pairs, backups, hosts, and
//! clients reaching the backup by port ID.

use super::{Finding, RuleId, Severity, app_obj, port_obj};
use crate::diag::Span;
use crate::topology::{App, AppType, ListenMode, Pair, Port, Redundancy, Topology, ha_dial};

pub(super) fn check(t: &Topology, out: &mut Vec<Finding>) {
    sync_port_cert_all(t, out);
    for pair in t.pairs() {
        port_id_mode_match(pair, out);
        sync_port_secured(pair, out);
        sync_fallback(pair, out);
        if pair.primary.kind.value == AppType::ConfigServer {
            cs_autoupgrade(t, pair, out);
            cs_identical(pair, out);
            cs_warm_only(pair, out);
        }
        backup_same_type(t, pair, out);
        separate_hosts(pair, out);
    }
    client_backup_port_id(t, out);
}

/// HA-SYNC-PORT-CERT
fn sync_port_cert_all(t: &Topology, out: &mut Vec<Finding>) {
    for app in &t.apps {
        for (port, span) in app.ha_sync_port_certificates() {
            out.push(sync_port_cert(app, port, span));
        }
    }
}

/// The HA-SYNC-PORT-CERT finding for `port` of `app`, whose certificate parameters sit at
/// `span` ([`App::ha_sync_port_certificates`]); the node refuses to start with its message.
pub(crate) fn sync_port_cert(app: &App, port: &Port, span: Span) -> Finding {
    Finding::new(
        RuleId::HaSyncPortCert,
        span,
        format!(
            "HA-sync port `{}` of `{}` sets {} at port level, which is not supported",
            port.id.value,
            app.name.value,
            port.security.group_members().join(", ")
        ),
    )
    .object(app_obj(&app.name.value))
    .object(port_obj(&app.name.value, &port.id.value))
}

/// HA-PORT-ID-MODE-MATCH
fn port_id_mode_match(pair: Pair<'_>, out: &mut Vec<Finding>) {
    if pair.redundancy() != Redundancy::HotStandby {
        return;
    }
    for (one, other) in [(pair.primary, pair.backup), (pair.backup, pair.primary)] {
        for port in &one.ports {
            let objects = [app_obj(&one.name.value), app_obj(&other.name.value)];
            match other.port(&port.id.value) {
                None => out.push(
                    Finding::new(
                        RuleId::HaPortIdModeMatch,
                        port.id.span,
                        format!(
                            "`{}` has port `{}` but its partner `{}` has no port with that ID",
                            one.name.value, port.id.value, other.name.value
                        ),
                    )
                    .object(&objects[0])
                    .object(&objects[1])
                    .fix(format!(
                        "declare port `{}` on `{}` too",
                        port.id.value, other.name.value
                    )),
                ),
                // Report a mode mismatch once, from the primary's side.
                Some(twin)
                    if twin.mode.value != port.mode.value && one.name == pair.primary.name =>
                {
                    out.push(
                        Finding::new(
                            RuleId::HaPortIdModeMatch,
                            twin.mode.span,
                            format!(
                                "port `{}` is {} on `{}` but {} on `{}`",
                                port.id.value,
                                port.mode.value.as_str(),
                                one.name.value,
                                twin.mode.value.as_str(),
                                other.name.value
                            ),
                        )
                        .object(&objects[0])
                        .object(&objects[1])
                        .object(port_obj(&other.name.value, &twin.id.value)),
                    );
                }
                Some(_) => {}
            }
        }
    }
}

/// HA-SYNC-PORT-SECURED
fn sync_port_secured(pair: Pair<'_>, out: &mut Vec<Finding>) {
    for (one, other) in [(pair.primary, pair.backup), (pair.backup, pair.primary)] {
        let Some(port) = one.ha_sync_port() else {
            continue;
        };
        let wants_tls =
            port.mode.value.is_tls() || other.ha_sync_port().is_some_and(|p| p.mode.value.is_tls());
        if !wants_tls {
            continue;
        }
        let finding = |span, message: String| {
            Finding::new(RuleId::HaSyncPortSecured, span, message)
                .object(app_obj(&one.name.value))
                .object(app_obj(&other.name.value))
                .object(port_obj(&one.name.value, &port.id.value))
        };
        if port.mode.value != ListenMode::Secured {
            out.push(finding(
                port.mode.span,
                format!(
                    "HA-sync port `{}` of `{}` is {}: a secure HA link needs `secured`",
                    port.id.value,
                    one.name.value,
                    port.mode.value.as_str()
                ),
            ));
        }
        match other.port(&port.id.value) {
            None => out.push(finding(
                port.id.span,
                format!(
                    "`{}` has HA-sync port `{}` but `{}` has no port with that ID",
                    one.name.value, port.id.value, other.name.value
                ),
            )),
            Some(twin) if !twin.ha_sync.value => out.push(finding(
                twin.id.span,
                format!(
                    "port `{}` is HA sync on `{}` but not on `{}`",
                    port.id.value, one.name.value, other.name.value
                ),
            )),
            Some(_) => {}
        }
    }
}

/// HA-SYNC-FALLBACK
fn sync_fallback(pair: Pair<'_>, out: &mut Vec<Finding>) {
    // A Configuration Server backup looks for an HA-sync port only with
    // `consistent-port-selection` (the dialler's own option, in either direction).
    let looks = |dialer: &App, listener: &App| {
        ha_dial::prefers_ha_sync(listener, ha_dial::consistent_port_selection(dialer))
    };
    if !(looks(pair.backup, pair.primary) || looks(pair.primary, pair.backup))
        || pair.primary.ha_sync_port().is_some()
        || pair.backup.ha_sync_port().is_some()
    {
        return;
    }
    let mode = |app: &crate::topology::App| {
        app.port("default")
            .map_or("absent".to_string(), |p| p.mode.value.as_str().to_string())
    };
    out.push(
        Finding::new(
            RuleId::HaSyncFallback,
            pair.primary.name.span,
            format!(
                "no HA-sync port on `{}` or `{}`: the backup dials `default` (`{}`: {}, `{}`: {})",
                pair.primary.name.value,
                pair.backup.name.value,
                pair.primary.name.value,
                mode(pair.primary),
                pair.backup.name.value,
                mode(pair.backup),
            ),
        )
        .object(app_obj(&pair.primary.name.value))
        .object(app_obj(&pair.backup.name.value)),
    );
}

/// HA-CS-AUTOUPGRADE
fn cs_autoupgrade(t: &Topology, pair: Pair<'_>, out: &mut Vec<Finding>) {
    let apps = [pair.primary, pair.backup];
    // TLS is meant when a port listens with TLS or a certificate reaches the application from
    // any level (application, host, or the copy from the primary).
    let wants_tls = apps.iter().any(|a| {
        a.ports.iter().any(|p| p.mode.value.is_tls())
            || crate::pki::resolve::app_identity(t, a)
                .certificate
                .is_some()
    });
    // The backups of a pair with `consistent-port-selection` that dial an HA-sync port both
    // ways do not use `default` for the HA link.
    let off_default = |dialer: &App, listener: &App| {
        ha_dial::configured_ha_dial_port(dialer, listener).is_some_and(|p| p.id.value != "default")
    };
    if !wants_tls
        || (off_default(pair.backup, pair.primary) && off_default(pair.primary, pair.backup))
    {
        return;
    }
    for app in apps {
        let (span, mode) = match app.port("default") {
            Some(p) if p.mode.value == ListenMode::Upgrade => continue,
            Some(p) => (p.mode.span, p.mode.value.as_str()),
            None => (app.name.span, "absent"),
        };
        out.push(
            Finding::new(
                RuleId::HaCsAutoupgrade,
                span,
                format!(
                    "`default` port of Configuration Server `{}` is {mode}: the HA link is secured only when both `default` ports are `upgrade`",
                    app.name.value
                ),
            )
            .object(app_obj(&app.name.value))
            .object(port_obj(&app.name.value, "default")),
        );
    }
}

fn is_log_section(name: &str) -> bool {
    name == "log" || name.starts_with("log-")
}

/// HA-CS-IDENTICAL
fn cs_identical(pair: Pair<'_>, out: &mut Vec<Finding>) {
    for d in option_differences(pair.primary, pair.backup, |s, _| !is_log_section(s)) {
        out.push(
            Finding::new(
                RuleId::HaCsIdentical,
                d.span,
                format!(
                    "option [{}] {} differs between `{}` and `{}` ({})",
                    d.section, d.key, pair.primary.name.value, pair.backup.name.value, d.what
                ),
            )
            .object(app_obj(&pair.primary.name.value))
            .object(app_obj(&pair.backup.name.value)),
        );
    }
}

/// One option that is not the same in two applications.
pub(super) struct OptionDiff {
    pub section: String,
    pub key: String,
    pub what: String,
    pub span: crate::diag::Span,
}

/// Options that differ between `a` and `b`, among those `keep(section, key)` selects.
pub(super) fn option_differences(
    a: &crate::topology::App,
    b: &crate::topology::App,
    keep: impl Fn(&str, &str) -> bool,
) -> Vec<OptionDiff> {
    let mut diffs = Vec::new();
    let flat = |app: &crate::topology::App| {
        app.options
            .iter()
            .flat_map(|s| {
                s.values
                    .iter()
                    .map(move |(k, v)| (s.name.value.clone(), k.clone(), v.clone()))
            })
            .filter(|(s, k, _)| keep(s, &k.value))
            .collect::<Vec<_>>()
    };
    let (fa, fb) = (flat(a), flat(b));
    for (s, k, v) in &fa {
        match fb.iter().find(|(s2, k2, _)| s2 == s && k2.value == k.value) {
            None => diffs.push(OptionDiff {
                section: s.clone(),
                key: k.value.clone(),
                what: format!("set to `{}` on `{}` only", v.value, a.name.value),
                span: k.span,
            }),
            Some((_, _, v2)) if v2.value != v.value => diffs.push(OptionDiff {
                section: s.clone(),
                key: k.value.clone(),
                what: format!("`{}` vs `{}`", v.value, v2.value),
                span: v2.span,
            }),
            Some(_) => {}
        }
    }
    for (s, k, v) in &fb {
        if !fa.iter().any(|(s2, k2, _)| s2 == s && k2.value == k.value) {
            diffs.push(OptionDiff {
                section: s.clone(),
                key: k.value.clone(),
                what: format!("set to `{}` on `{}` only", v.value, b.name.value),
                span: k.span,
            });
        }
    }
    diffs
}

/// HA-CS-WARM-ONLY
fn cs_warm_only(pair: Pair<'_>, out: &mut Vec<Finding>) {
    if pair.redundancy() != Redundancy::HotStandby {
        return;
    }
    let span = [pair.primary, pair.backup]
        .iter()
        .find_map(|a| a.redundancy.as_ref().map(|r| r.span))
        .unwrap_or(pair.primary.name.span);
    out.push(
        Finding::new(
            RuleId::HaCsWarmOnly,
            span,
            format!(
                "Configuration Server pair `{}`/`{}` is hot standby; Configuration Server supports warm standby only",
                pair.primary.name.value, pair.backup.name.value
            ),
        )
        .object(app_obj(&pair.primary.name.value))
        .object(app_obj(&pair.backup.name.value)),
    );
}

/// HA-BACKUP-SAME-TYPE
fn backup_same_type(t: &Topology, pair: Pair<'_>, out: &mut Vec<Finding>) {
    let (p, b) = (pair.primary, pair.backup);
    let Some(backup_ref) = p.backup.as_ref() else {
        return;
    };
    if p.kind.value != b.kind.value {
        out.push(
            Finding::new(
                RuleId::HaBackupSameType,
                backup_ref.span,
                format!(
                    "`{}` ({}) names `{}` ({}) as its backup",
                    p.name.value,
                    p.kind.value.as_str(),
                    b.name.value,
                    b.kind.value.as_str()
                ),
            )
            .object(app_obj(&p.name.value))
            .object(app_obj(&b.name.value)),
        );
    }
    let first = t
        .pairs()
        .find(|q| q.backup.name.value == b.name.value)
        .map(|q| q.primary.name.value.as_str());
    if let Some(first) = first.filter(|f| *f != p.name.value) {
        out.push(
            Finding::new(
                RuleId::HaBackupSameType,
                backup_ref.span,
                format!(
                    "`{}` is already the backup of `{first}`; `{}` cannot share it",
                    b.name.value, p.name.value
                ),
            )
            .object(app_obj(&p.name.value))
            .object(app_obj(first))
            .object(app_obj(&b.name.value))
            .fix("give each primary a backup application of its own"),
        );
    }
}

/// HA-SEPARATE-HOSTS
fn separate_hosts(pair: Pair<'_>, out: &mut Vec<Finding>) {
    if pair.primary.host.value != pair.backup.host.value {
        return;
    }
    out.push(
        Finding::new(
            RuleId::HaSeparateHosts,
            pair.backup.host.span,
            format!(
                "`{}` and its backup `{}` both run on host `{}`",
                pair.primary.name.value, pair.backup.name.value, pair.backup.host.value
            ),
        )
        .object(app_obj(&pair.primary.name.value))
        .object(app_obj(&pair.backup.name.value))
        .object(format!("host:{}", pair.backup.host.value))
        .severity(Severity::Warning),
    );
}

/// CLIENT-BACKUP-PORT-ID
fn client_backup_port_id(t: &Topology, out: &mut Vec<Finding>) {
    for c in &t.connections {
        let (Some(pair), Some(port)) = (t.pair_of(&c.to.value), &c.port) else {
            continue;
        };
        let other = if pair.primary.name.value == c.to.value {
            pair.backup
        } else {
            pair.primary
        };
        if other.port(&port.value).is_none() {
            out.push(
                Finding::new(
                    RuleId::ClientBackupPortId,
                    port.span,
                    format!(
                        "`{}` connects to `{}` on port `{}`, but `{}` has no port with that ID: after a switchover the client cannot follow",
                        c.from.value, c.to.value, port.value, other.name.value
                    ),
                )
                .object(format!("connection:{}->{}", c.from.value, c.to.value))
                .object(app_obj(&other.name.value))
                .fix(format!("declare port `{}` on `{}`", port.value, other.name.value)),
            );
        }
    }
}
