//! Domain words the running system speaks: the role a server instance plays in its pair, why a
//! connection is opened, and the data roles of an Interaction Concentrator. The wire protocol,
//! the trace and the nodes name them; they are defined here, with the model they describe.

use serde::{Deserialize, Serialize};

/// The role a server instance plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Serves clients and leads replication.
    Primary,
    /// Follows the primary.
    Backup,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Primary => "primary",
            Role::Backup => "backup",
        })
    }
}

/// Why a connection is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// A client session.
    Client,
    /// The backup-role instance's HA link to the primary-role instance.
    HaLink,
    /// A Local Control Agent reporting to the Solution Control Server.
    Control,
}

/// Data roles an ICON can take (`svc` is always on and never written).
pub const ICON_ROLES: [&str; 6] = ["cfg", "gcc", "gls", "gud", "gos", "lrm"];

/// The canonical form of one ICON role token (`gcc`, `all`), or `None` for an unknown value.
/// A leading `~` (exclusion) and letter case are ignored here.
pub fn icon_role_token(token: &str) -> Option<&'static str> {
    let t = token.trim().trim_start_matches('~').to_ascii_lowercase();
    if t == "all" {
        return Some("all");
    }
    ICON_ROLES.iter().copied().find(|r| *r == t)
}

/// The data roles an ICON stores, as Interaction Concentrator reads its `[callconcentrator]
/// role` option (`None`: unset, which is `all`): comma-separated roles; a `~` prefix excludes a
/// role (only exclusions: every other role); an uppercase letter anywhere turns the option
/// into `all`, as the product does; unknown values are ignored. `svc` is always on and not
/// listed. The rules (`rules/icon.rs`) and the running ICON (`node/icon`) share this reading.
pub fn effective_roles(role: Option<&str>) -> std::collections::BTreeSet<&'static str> {
    let all = || ICON_ROLES.iter().copied().collect();
    let Some(role) = role else {
        return all();
    };
    if role.chars().any(|c| c.is_ascii_uppercase()) {
        return all();
    }
    let mut set = std::collections::BTreeSet::new();
    let mut excluded = std::collections::BTreeSet::new();
    for token in role.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        match (token.starts_with('~'), icon_role_token(token)) {
            (false, Some("all")) => set.extend(ICON_ROLES),
            (false, Some(r)) => {
                set.insert(r);
            }
            (true, Some(r)) => {
                excluded.insert(r);
            }
            (_, None) => {}
        }
    }
    if set.is_empty() && !excluded.is_empty() {
        set.extend(ICON_ROLES);
    }
    set.retain(|r| !excluded.contains(r));
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_and_purpose_keep_their_wire_names() {
        let json = serde_json::to_string(&(Role::Primary, Role::Backup, Purpose::HaLink))
            .expect("plain enums serialise");
        assert_eq!(json, r#"["primary","backup","ha-link"]"#);
        assert_eq!(Role::Backup.to_string(), "backup");
    }

    #[test]
    fn icon_role_tokens_ignore_case_and_exclusion() {
        assert_eq!(icon_role_token(" ~GUD "), Some("gud"));
        assert_eq!(icon_role_token("All"), Some("all"));
        assert_eq!(icon_role_token("gcb"), None);
    }

    #[test]
    fn effective_roles_follow_the_documented_option() {
        let roles = |v: Option<&str>| effective_roles(v).into_iter().collect::<Vec<_>>();
        let all = ["cfg", "gcc", "gls", "gos", "gud", "lrm"];
        assert_eq!(roles(None), all);
        assert_eq!(roles(Some("gcc,gud")), ["gcc", "gud"]);
        assert_eq!(roles(Some("gcc,GUD")), all, "an uppercase letter is `all`");
        assert_eq!(roles(Some("~gud")), ["cfg", "gcc", "gls", "gos", "lrm"]);
        assert_eq!(roles(Some("all,~gls")), ["cfg", "gcc", "gos", "gud", "lrm"]);
        assert_eq!(
            roles(Some("gcb")),
            Vec::<&str>::new(),
            "unknown values are ignored"
        );
    }
}
