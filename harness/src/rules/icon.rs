//! Interaction Concentrator rules: the two active ICONs of an HA set store the same data from
//! the same source into two identical IDBs through their own DAPs, and `role` values are valid.

use std::collections::BTreeSet;

use super::ha::option_differences;
use super::{Finding, RuleId, Severity, app_obj};
use crate::topology::{App, AppType, IconSet, Topology, icon_role_token};

/// The section and key of the ICON role option.
const ROLE: (&str, &str) = ("callconcentrator", "role");

/// The data roles an ICON stores, as Interaction Concentrator reads its `role` option.
fn effective_roles(app: &App) -> BTreeSet<&'static str> {
    crate::topology::effective_roles(app.option(ROLE.0, ROLE.1).map(|r| r.value.as_str()))
}

pub(super) fn check(t: &Topology, out: &mut Vec<Finding>) {
    for app in t.apps.iter().filter(|a| a.kind.value == AppType::Icon) {
        role_values(app, out);
    }
    for set in &t.icon_sets {
        let icons: Vec<&App> = set.icons.iter().filter_map(|i| t.app(&i.value)).collect();
        let [a, b, ..] = icons[..] else {
            continue;
        };
        identical(a, b, out);
        role_data(set, &icons, out);
        same_source(t, a, b, out);
        dap_each(t, set, &icons, out);
        two_idb(t, a, b, out);
    }
    no_dup_writer(t, out);
}

/// ICON-ROLE-VALUES and ICON-ROLE-LOWERCASE
fn role_values(app: &App, out: &mut Vec<Finding>) {
    let Some(role) = app.option(ROLE.0, ROLE.1) else {
        return;
    };
    for token in role
        .value
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let object = app_obj(&app.name.value);
        if icon_role_token(token).is_none() {
            out.push(
                Finding::new(
                    RuleId::IconRoleValues,
                    role.span,
                    format!(
                        "`{}` has unknown role value `{token}` in `{}`",
                        app.name.value, role.value
                    ),
                )
                .object(object.clone()),
            );
        }
        if token.chars().any(|c| c.is_ascii_uppercase()) {
            out.push(
                Finding::new(
                    RuleId::IconRoleLowercase,
                    role.span,
                    format!("role `{}` of `{}` has an uppercase letter, so ICON stores everything (`all`)", role.value, app.name.value),
                )
                .object(object)
                .severity(Severity::Warning),
            );
        }
    }
}

fn is_log_section(name: &str) -> bool {
    name == "log" || name.starts_with("log-")
}

/// ICON-HA-IDENTICAL (the role option is judged by ICON-HA-ROLE-DATA)
fn identical(a: &App, b: &App, out: &mut Vec<Finding>) {
    for d in option_differences(a, b, |s, k| !is_log_section(s) && (s, k) != ROLE) {
        out.push(
            Finding::new(
                RuleId::IconHaIdentical,
                d.span,
                format!(
                    "option [{}] {} differs between ICONs `{}` and `{}` ({})",
                    d.section, d.key, a.name.value, b.name.value, d.what
                ),
            )
            .object(app_obj(&a.name.value))
            .object(app_obj(&b.name.value)),
        );
    }
}

/// Names in backticks, comma-separated (`none` when empty), for messages.
fn listed<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> String {
    let v: Vec<String> = names
        .into_iter()
        .map(|n| format!("`{}`", n.as_ref()))
        .collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// ICON-HA-ROLE-DATA
fn role_data(set: &IconSet, icons: &[&App], out: &mut Vec<Finding>) {
    let roles: Vec<_> = icons.iter().map(|a| effective_roles(a)).collect();
    let span = |a: &App| a.option(ROLE.0, ROLE.1).map_or(a.name.span, |r| r.span);
    // The first ICON against the first that stores something else.
    let mut each = icons.iter().zip(&roles);
    let differ = each
        .next()
        .and_then(|(a, ra)| each.find(|(_, r)| *r != ra).map(|(b, rb)| (a, ra, b, rb)));
    if let Some((a, ra, b, rb)) = differ {
        out.push(
            Finding::new(
                RuleId::IconHaRoleData,
                span(b),
                format!(
                    "ICONs of set `{}` store different data: `{}` has roles {}, `{}` has {}",
                    set.name.value,
                    a.name.value,
                    listed(ra),
                    b.name.value,
                    listed(rb)
                ),
            )
            .object(app_obj(&a.name.value))
            .object(app_obj(&b.name.value)),
        );
    }
    for (app, have) in icons.iter().zip(&roles) {
        let lacking: Vec<&str> = set
            .stores
            .iter()
            .filter_map(|s| icon_role_token(&s.value))
            .filter(|r| *r != "all" && !have.contains(r))
            .collect();
        if !lacking.is_empty() {
            out.push(
                Finding::new(
                    RuleId::IconHaRoleData,
                    span(app),
                    format!(
                        "`{}` lacks role(s) {} that set `{}` is meant to store",
                        app.name.value,
                        lacking.join(", "),
                        set.name.value
                    ),
                )
                .object(app_obj(&app.name.value)),
            );
        }
    }
}

/// The data sources an ICON connects to, each pair named by its primary.
fn sources(t: &Topology, icon: &App) -> BTreeSet<String> {
    t.connections_from(&icon.name.value)
        .filter_map(|c| t.app(&c.to.value))
        .filter(|a| a.kind.value.is_icon_source())
        .map(|a| {
            t.pair_of(&a.name.value)
                .map_or(a.name.value.clone(), |p| p.primary.name.value.clone())
        })
        .collect()
}

/// The DAPs an ICON writes through.
fn daps<'t>(t: &'t Topology, icon: &App) -> Vec<&'t App> {
    t.connections_from(&icon.name.value)
        .filter_map(|c| t.app(&c.to.value))
        .filter(|a| a.kind.value == AppType::Dap)
        .collect()
}

/// ICON-HA-SAME-SOURCE
fn same_source(t: &Topology, a: &App, b: &App, out: &mut Vec<Finding>) {
    let (sa, sb) = (sources(t, a), sources(t, b));
    if sa != sb {
        out.push(
            Finding::new(
                RuleId::IconHaSameSource,
                b.name.span,
                format!(
                    "ICON `{}` reads {} but `{}` reads {}",
                    a.name.value,
                    listed(&sa),
                    b.name.value,
                    listed(&sb)
                ),
            )
            .object(app_obj(&a.name.value))
            .object(app_obj(&b.name.value)),
        );
    }
}

/// ICON-HA-DAP-EACH
fn dap_each(t: &Topology, set: &IconSet, icons: &[&App], out: &mut Vec<Finding>) {
    let mut seen: Vec<(&str, &str, Option<&str>)> = Vec::new();
    for icon in icons {
        let d = daps(t, icon);
        if d.is_empty() {
            out.push(
                Finding::new(
                    RuleId::IconHaDapEach,
                    icon.name.span,
                    format!(
                        "ICON `{}` of set `{}` has no connection to a DAP",
                        icon.name.value, set.name.value
                    ),
                )
                .object(app_obj(&icon.name.value)),
            );
        }
        for dap in d {
            let db = dap.database.as_ref().map(|d| d.value.as_str());
            if let Some((other, _, _)) = seen
                .iter()
                .find(|(_, n, odb)| *n == dap.name.value || (db.is_some() && *odb == db))
            {
                out.push(
                    Finding::new(
                        RuleId::IconHaDapEach,
                        icon.name.span,
                        format!(
                            "ICONs `{other}` and `{}` share DAP `{}` or its IDB",
                            icon.name.value, dap.name.value
                        ),
                    )
                    .object(app_obj(other))
                    .object(app_obj(&icon.name.value)),
                );
            }
            seen.push((icon.name.value.as_str(), dap.name.value.as_str(), db));
        }
    }
}

/// ICON-HA-TWO-IDB
fn two_idb(t: &Topology, a: &App, b: &App, out: &mut Vec<Finding>) {
    let idb = |icon: &App| {
        daps(t, icon)
            .into_iter()
            .find_map(|d| t.database(&d.database.as_ref()?.value))
    };
    let (Some(a), Some(b)) = (idb(a), idb(b)) else {
        return;
    };
    if a.name.value == b.name.value {
        return; // one IDB for both is ICON-HA-DAP-EACH's finding
    }
    let objects = (
        format!("database:{}", a.name.value),
        format!("database:{}", b.name.value),
    );
    if a.rdbms.value != b.rdbms.value || a.version.value != b.version.value {
        out.push(
            Finding::new(
                RuleId::IconHaTwoIdb,
                b.rdbms.span,
                format!(
                    "IDBs `{}` ({} {}) and `{}` ({} {}) differ in RDBMS type or version",
                    a.name.value,
                    a.rdbms.value,
                    a.version.value,
                    b.name.value,
                    b.rdbms.value,
                    b.version.value
                ),
            )
            .object(&objects.0)
            .object(&objects.1),
        );
    }
    if a.host.value == b.host.value {
        out.push(
            Finding::new(
                RuleId::IconHaTwoIdb,
                b.host.span,
                format!(
                    "IDBs `{}` and `{}` share host `{}`",
                    a.name.value, b.name.value, b.host.value
                ),
            )
            .object(&objects.0)
            .object(&objects.1)
            .severity(Severity::Warning)
            .fix("put the two IDBs on different hosts so that one host failure does not stop both"),
        );
    }
}

/// ICON-NO-DUP-WRITER: ICONs outside a common HA set with the same roles, source and IDB.
fn no_dup_writer(t: &Topology, out: &mut Vec<Finding>) {
    let icons: Vec<&App> = t
        .apps
        .iter()
        .filter(|a| a.kind.value == AppType::Icon)
        .collect();
    let mut rest = icons.as_slice();
    while let Some((a, later)) = rest.split_first() {
        rest = later;
        for b in later {
            let in_one_set = t.icon_sets.iter().any(|s| {
                [a, b]
                    .iter()
                    .all(|x| s.icons.iter().any(|n| n.value == x.name.value))
            });
            if in_one_set
                || effective_roles(a) != effective_roles(b)
                || sources(t, a) != sources(t, b)
            {
                continue;
            }
            let idbs = |x: &App| -> BTreeSet<String> {
                daps(t, x)
                    .iter()
                    .filter_map(|d| d.database.as_ref().map(|d| d.value.clone()))
                    .collect()
            };
            let shared: Vec<String> = idbs(a).intersection(&idbs(b)).cloned().collect();
            if shared.is_empty() {
                continue;
            }
            out.push(
                Finding::new(
                    RuleId::IconNoDupWriter,
                    b.name.span,
                    format!(
                        "ICONs `{}` and `{}` store the same roles from the same source into IDB `{}`: every record is written twice",
                        a.name.value, b.name.value, shared.join(", ")
                    ),
                )
                .object(app_obj(&a.name.value))
                .object(app_obj(&b.name.value)),
            );
        }
    }
}
