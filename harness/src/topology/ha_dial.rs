//! Which port of the primary-role instance the backup-role instance dials for the HA link. The
//! simulator's HA dialler, the effective TLS table (`pki::endpoint`) and the HA rules all ask
//! here, so that the port a run dials is the one the table shows and the rules judge.
//!
//! Genesys: a T-Server (and any other server) backup dials the HA-sync port, else `default`. A
//! Configuration Server backup dials `default`, unless its `[system] consistent-port-selection`
//! is true: then the HA-sync port, else `default`, else any port, in port order. [S-CSSYS]

use super::{App, AppType, Port, options};

/// The Configuration Server option that makes its backup prefer the HA-sync port.
pub const CONSISTENT_PORT_SELECTION: (&str, &str) = ("system", "consistent-port-selection");

/// Whether `app`'s `[system] consistent-port-selection` is true as the topology writes it
/// (false by default). A run reads the value in force at the backup's start instead
/// (`World::option_flag`); this is the topology's, for the TLS table and the rules.
pub fn consistent_port_selection(app: &App) -> bool {
    let (section, key) = CONSISTENT_PORT_SELECTION;
    options::spec(section, key)
        .is_some_and(|spec| spec.flag(app.option(section, key).map(|v| v.value.as_str())))
}

/// Whether the backup of `listener`'s pair looks for an HA-sync port at all: always, but for a
/// Configuration Server whose `consistent-port-selection` (`consistent`) is false.
pub fn prefers_ha_sync(listener: &App, consistent: bool) -> bool {
    listener.kind.value != AppType::ConfigServer || consistent
}

/// The port the backup-role instance dials on `listener`, the primary-role instance:
/// the HA-sync port, else `default` (a Configuration Server with `consistent`:
/// HA sync, else `default`, else the first port; without: `default`).
///
/// A port that is missing is passed over; a port that is there is dialled however its dials
/// fail. hapair's reading of "consistent": the choice follows the configuration, not which
/// port answers (the documents do not say that a failing port is passed over).
pub fn ha_dial_port(listener: &App, consistent: bool) -> Option<&Port> {
    let default = || listener.port("default");
    if listener.kind.value == AppType::ConfigServer {
        if consistent {
            listener
                .ha_sync_port()
                .or_else(default)
                .or(listener.ports.first())
        } else {
            default()
        }
    } else {
        listener.ha_sync_port().or_else(default)
    }
}

/// The port `dialer`'s backup role dials on `listener`, with `dialer`'s
/// `consistent-port-selection` as the topology writes it.
pub fn configured_ha_dial_port<'a>(dialer: &App, listener: &'a App) -> Option<&'a Port> {
    ha_dial_port(listener, consistent_port_selection(dialer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(kind: &str, ports: &str, consistent: Option<bool>) -> crate::topology::Topology {
        let options = consistent.map_or_else(String::new, |c| {
            format!("[app.a.options.system]\nconsistent-port-selection = \"{c}\"\n")
        });
        let text = format!(
            "name = \"t\"\n[host.h]\nname = \"h.lab\"\n[app.a]\ntype = \"{kind}\"\nhost = \"h\"\n{ports}{options}"
        );
        crate::topology::parse(crate::diag::Source::new("t.toml", &text)).expect("a valid topology")
    }

    const ALL: &str = "[app.a.port.other]\nnumber = 1\n[app.a.port.default]\nnumber = 2\n\
                       [app.a.port.ha]\nnumber = 3\nha-sync = true\n";
    const NO_HA: &str = "[app.a.port.other]\nnumber = 1\n[app.a.port.default]\nnumber = 2\n";
    const ONLY_OTHER: &str = "[app.a.port.other]\nnumber = 1\n[app.a.port.more]\nnumber = 2\n";

    fn chosen(kind: &str, ports: &str, consistent: Option<bool>) -> Option<String> {
        let t = app(kind, ports, consistent);
        let a = t.app("a").expect("app a");
        configured_ha_dial_port(a, a).map(|p| p.id.value.clone())
    }

    #[test]
    fn a_configuration_server_backup_dials_default_unless_consistent_port_selection() {
        let cs = "config-server";
        // false (the default): `default`, even with an HA-sync port there.
        assert_eq!(chosen(cs, ALL, None).as_deref(), Some("default"));
        assert_eq!(chosen(cs, ALL, Some(false)).as_deref(), Some("default"));
        assert_eq!(chosen(cs, ONLY_OTHER, None), None);
        // true: HA sync, then `default`, then the first port.
        assert_eq!(chosen(cs, ALL, Some(true)).as_deref(), Some("ha"));
        assert_eq!(chosen(cs, NO_HA, Some(true)).as_deref(), Some("default"));
        assert_eq!(chosen(cs, ONLY_OTHER, Some(true)).as_deref(), Some("other"));
    }

    #[test]
    fn other_servers_dial_the_ha_sync_port_else_default() {
        assert_eq!(chosen("tserver", ALL, None).as_deref(), Some("ha"));
        assert_eq!(chosen("tserver", NO_HA, None).as_deref(), Some("default"));
        assert_eq!(chosen("tserver", ONLY_OTHER, None), None);
        let t = app("tserver", ALL, None);
        let a = t.app("a").expect("app a");
        assert!(prefers_ha_sync(a, false));
        let t = app("config-server", ALL, None);
        let a = t.app("a").expect("app a");
        assert!(!prefers_ha_sync(a, false) && prefers_ha_sync(a, true));
    }
}
