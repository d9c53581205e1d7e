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
}
