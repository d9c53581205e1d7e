//! The Genesys options hapair honours, in one table ([`HONOURED`]): each with its documented
//! section, name, default, values, where it takes effect and the document that says so.
//! Values are checked where they are written (a topology's `[app.X.options.SECTION]` or
//! `[host.X.options.SECTION]`, or an `option` step), a section or key a typo away from an
//! honoured one is reported with a did-you-mean, and nodes read them typed through
//! [`Spec::secs`], [`Spec::flag`] and [`Spec::text`] with the default filled in. Every other
//! option stays free-form text.

use std::time::Duration;

use super::AppType;
use crate::diag::{Problem, Sp, closest};
use crate::limits::quoted;

/// Which configuration object carries an option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// A Host object (`[host.X.options.SECTION]`): read by the LCA and the SCS.
    Host,
    /// Application objects of these types (`[app.X.options.SECTION]`).
    App(&'static [AppType]),
}

/// What values an option takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Values {
    /// Whole seconds from `min` to `max`; `0` is off when `zero_off`, `-1` is off when
    /// `minus_one_off`.
    Secs {
        /// Smallest value that is not "off".
        min: u64,
        /// Largest value.
        max: u64,
        /// `0` switches the function off.
        zero_off: bool,
        /// `-1` switches the function off.
        minus_one_off: bool,
    },
    /// A whole number from `min` to `max`.
    Count {
        /// Smallest value.
        min: u64,
        /// Largest value.
        max: u64,
    },
    /// `true`/`false` (also `yes`/`no`, `on`/`off`, `1`/`0`, as Genesys accepts).
    Flag,
    /// One of these words (case-insensitive).
    Choice(&'static [&'static str]),
}

/// When Genesys documents that a change takes effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// At the application's (next) start.
    AtStart,
    /// When the next connection is established.
    NextConnection,
    /// At once.
    Immediately,
}

impl Effect {
    /// In words, as `hapair explain options` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::AtStart => "at start",
            Effect::NextConnection => "next connection",
            Effect::Immediately => "immediately",
        }
    }
}

/// One option hapair honours.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Who carries it.
    pub owner: Owner,
    /// Section name, as Genesys spells it.
    pub section: &'static str,
    /// Option name.
    pub key: &'static str,
    /// The documented default, as Configuration Manager would show it.
    pub default: &'static str,
    /// What values it takes.
    pub values: Values,
    /// When a change takes effect (where hapair reads it).
    pub effect: Effect,
    /// What it does in hapair, in one sentence.
    pub what: &'static str,
    /// The document that says so (a short name from `notes/genesys-options.md`, and a URL).
    pub source: &'static str,
}

const TSERVERS: &[AppType] = &[AppType::Tserver, AppType::SipServer];
const SIP: &[AppType] = &[AppType::SipServer];
const CS: &[AppType] = &[AppType::ConfigServer];
const SCS: &[AppType] = &[AppType::Scs];
const CLIENTS: &[AppType] = &[AppType::Client];
const ICON: &[AppType] = &[AppType::Icon];

const ADDP_SECS: Values = Values::Secs {
    min: 1,
    max: 3_600,
    zero_off: true,
    minus_one_off: false,
};
/// `addp-trace`: the four levels first, then the synonyms Genesys accepts.
const ADDP_TRACE: Values = Values::Choice(&[
    "off", "local", "remote", "full", "false", "no", "on", "true", "yes", "both",
]);

const S_ADDP_HOST: &str =
    "S-ADDP-HOST https://docs.genesys.com/Documentation:FR:CORM:HostADDPSect:Current";
const S_TS_BSYNC: &str =
    "S-TS-BSYNC https://docs.genesys.com/Documentation/TS/8.1.1/TSCSTA/TCBackupSyncSection";
const S_SCS_RN: &str = "S-SCS-RN https://docs.genesys.com/Documentation/RN/8.5.x/scs85rn/scs85KI";
const S_MLFAULTS: &str = "S-MLFAULTS https://docs.genesys.com/Documentation/FR/latest/MLUG/Faults";
const S_CSSYS: &str =
    "S-CSSYS https://enu.docs.genesys.com/Documentation:FR:CORM:CSSystemSect:Current";
const S_IW_BC: &str = "S-IW-BC https://docs.genesys.com/Documentation:IW:Dep:BusContDisRec:8.5.1, \
     psdk-src (ClientConfigurationHelper, github.com/i4way-hong/gen_outbound_gateway)";
/// The option is the PSDK warm standby's; its default is the server info's `Attempts` default.
const S_WS_ATTEMPTS: &str = "S-CFGSRV76 https://docs.genesys.com/Special:Repository/Configuration_Platform_SDK_76_Java_API_Reference.zip?id=f5bd546d-6799-4c28-9a43-ea82171629a4 \
     (Attempts, 1), S-IW-BC, psdk-src";
const S_SIPS_HAOPT: &str =
    "S-SIPS-HAOPT https://docs.genesys.com/Documentation/SIPS/latest/HADeployment/ConfOptionsHA";
const S_SIPS_UPG: &str =
    "S-SIPS-UPG https://docs.genesys.com/Documentation/SIPS/latest/HADeployment/Upgrade";
const S_ICON_ADATA: &str =
    "S-ICON-ADATA https://docs.genesys.com/Documentation/ICON/8.1.5/Dep/cfgAdata";
const S_ICON_HA: &str = "S-ICON-HA https://docs.genesys.com/Documentation/ICON/latest/UG/HAModel";
/// hapair's own test switches: no Genesys document, the test that needs them.
const S_HAPAIR_TEST: &str = "HAPAIR-TEST tests/shrink.rs (a planted defect, not a Genesys option)";

/// `[hapair] plant-defect`: a defect planted in the node code on purpose, for the shrinker's
/// test (`tests/shrink.rs`). Test-only: no real deployment has it.
pub const PLANT_DEFECT: &str = "plant-defect";
/// `plant-defect = "resync-drops-last"`: a primary T-Server's full synchronisation of a
/// backup leaves out the last event of its store (`node/ha.rs`).
pub const RESYNC_DROPS_LAST: &str = "resync-drops-last";

/// Every option hapair honours. `tests/options.rs` holds the defaults to the documents' and
/// README's table to this one.
pub const HONOURED: &[Spec] = &[
    Spec {
        owner: Owner::Host,
        section: "addp",
        key: "addp-timeout",
        default: "9",
        values: ADDP_SECS,
        effect: Effect::NextConnection,
        what: "the SCS polls this host's LCA after this much silence and, unanswered as long again, fails over every application on the host",
        source: S_ADDP_HOST,
    },
    Spec {
        owner: Owner::Host,
        section: "addp",
        key: "addp-remote-timeout",
        default: "0",
        values: ADDP_SECS,
        effect: Effect::NextConnection,
        what: "the LCA is asked to poll the SCS after this much silence too (0: it does not)",
        source: S_ADDP_HOST,
    },
    Spec {
        owner: Owner::Host,
        section: "addp",
        key: "addp-trace",
        default: "off",
        values: ADDP_TRACE,
        effect: Effect::NextConnection,
        what: "ADDP polls and answers on the SCS-LCA connection appear in the trace",
        source: S_ADDP_HOST,
    },
    Spec {
        owner: Owner::App(SCS),
        section: "general",
        key: "disconnect-switchover-timeout",
        default: "0",
        values: Values::Secs {
            min: 0,
            max: 3_600,
            zero_off: false,
            minus_one_off: false,
        },
        effect: Effect::Immediately,
        what: "after losing an LCA, the SCS waits this long for it to come back before failing over the host's applications (manual switchovers are not delayed)",
        source: S_MLFAULTS,
    },
    Spec {
        owner: Owner::App(SCS),
        section: "general",
        key: "haflip-detect-timeout",
        default: "10",
        values: Values::Secs {
            min: 1,
            max: 3_600,
            zero_off: false,
            minus_one_off: true,
        },
        effect: Effect::Immediately,
        what: "a pair whose roles flip again within this window is reported as flapping (SCS events 10327/10328), two primaries or none as split brain or no brain (20621-20623); -1 turns detection off",
        source: S_SCS_RN,
    },
    Spec {
        owner: Owner::App(CS),
        section: "system",
        key: "consistent-port-selection",
        default: "false",
        values: Values::Flag,
        effect: Effect::AtStart,
        what: "true: the backup Configuration Server dials the primary's HA-sync port, then `default`, then any port; false: `default`",
        source: S_CSSYS,
    },
    Spec {
        owner: Owner::App(TSERVERS),
        section: "backup-sync",
        key: "protocol",
        default: "default",
        values: Values::Choice(&["default", "addp"]),
        effect: Effect::NextConnection,
        what: "`addp` runs ADDP on the HA link with the timeouts below",
        source: S_TS_BSYNC,
    },
    Spec {
        owner: Owner::App(TSERVERS),
        section: "backup-sync",
        key: "addp-timeout",
        default: "0",
        values: ADDP_SECS,
        effect: Effect::Immediately,
        what: "this server polls its HA peer after this much silence and drops the link when the poll goes unanswered as long (0: off)",
        source: S_TS_BSYNC,
    },
    Spec {
        owner: Owner::App(TSERVERS),
        section: "backup-sync",
        key: "addp-remote-timeout",
        default: "0",
        values: ADDP_SECS,
        effect: Effect::Immediately,
        what: "the HA peer is asked to poll after this much silence (0: off)",
        source: S_TS_BSYNC,
    },
    Spec {
        owner: Owner::App(TSERVERS),
        section: "backup-sync",
        key: "addp-trace",
        default: "off",
        values: ADDP_TRACE,
        effect: Effect::NextConnection,
        what: "ADDP polls and answers on the HA link appear in the trace",
        source: S_TS_BSYNC,
    },
    Spec {
        owner: Owner::App(SIP),
        section: "TServer",
        key: "backup-init-check",
        default: "false",
        values: Values::Flag,
        effect: Effect::AtStart,
        what: "the backup SIP Server checks its start-up (HA link connected, calls synchronised, SIP port) and, when a check still fails after backup-init-check-timeout, reports SERVICE_UNAVAILABLE (trace: service-unavailable) until they pass (service-running)",
        source: S_SIPS_HAOPT,
    },
    Spec {
        owner: Owner::App(SIP),
        section: "TServer",
        key: "backup-init-check-timeout",
        default: "60",
        values: Values::Secs {
            min: 15,
            max: 3_600,
            zero_off: false,
            minus_one_off: false,
        },
        effect: Effect::AtStart,
        what: "how long after its start the backup's start-up checks may take before it reports SERVICE_UNAVAILABLE",
        source: S_SIPS_HAOPT,
    },
    Spec {
        owner: Owner::App(SIP),
        section: "TServer",
        key: "backup-sip-port-check",
        default: "true",
        values: Values::Flag,
        effect: Effect::AtStart,
        what: "with backup-init-check, the start-up checks include the SIP port being open (hapair has no separate SIP port: every port the server listens on counts)",
        source: S_SIPS_HAOPT,
    },
    // Step 8, item 4 (clients): a client with a `[warm-standby]` section reconnects as a
    // Platform SDK warm-standby client (node/reconnect.rs).
    Spec {
        owner: Owner::App(CLIENTS),
        section: "warm-standby",
        key: "retry-delay",
        default: "10",
        values: Values::Secs {
            min: 1,
            max: 3_600,
            zero_off: false,
            minus_one_off: false,
        },
        effect: Effect::NextConnection,
        what: "a warm-standby client waits this long before each reconnection attempt, one server of the pair at a time; the primary's Reconnect Timeout overrides it when set",
        source: S_IW_BC,
    },
    Spec {
        owner: Owner::App(CLIENTS),
        section: "warm-standby",
        key: "attempts",
        default: "1",
        values: Values::Count {
            min: 1,
            max: crate::limits::MAX_RECONNECT_ATTEMPTS,
        },
        effect: Effect::NextConnection,
        what: "a warm-standby client tries one server this many times in a row before it turns to the other of the pair (unset: the server info's Attempts)",
        source: S_WS_ATTEMPTS,
    },
    // Step 8, item 5 (T-Server / SIP Server hot standby). The document gives these values but
    // no option names: the names, in a section of hapair's own, are hapair's.
    Spec {
        owner: Owner::App(SIP),
        section: "hapair",
        key: "sip-readiness-delay",
        default: "60",
        values: Values::Secs {
            min: 0,
            max: 3_600,
            zero_off: false,
            minus_one_off: false,
        },
        effect: Effect::NextConnection,
        what: "hapair's name (Genesys documents the 60 s, not an option): a primary SIP Server's readiness is 1 only this long after the HA link came up; a switchover before it is a double failure",
        source: S_SIPS_UPG,
    },
    Spec {
        owner: Owner::App(SIP),
        section: "hapair",
        key: "sip-call-sync-rate",
        default: "500",
        values: Values::Count {
            min: 200,
            max: 1_000,
        },
        effect: Effect::NextConnection,
        what: "hapair's name (Genesys documents the rate, not an option): calls a second the primary SIP Server pushes to a backup that reconnects, of those the backup's call list lacks",
        source: S_SIPS_UPG,
    },
    // Step 10 (shrink): hapair's own and test-only. A defect planted on purpose, so that a
    // test can show a sweep finding it and the shrinker reducing it (tests/shrink.rs).
    Spec {
        owner: Owner::App(&[AppType::Tserver]),
        section: "hapair",
        key: PLANT_DEFECT,
        default: "none",
        values: Values::Choice(&["none", RESYNC_DROPS_LAST]),
        effect: Effect::NextConnection,
        what: "hapair's own option, test-only (a planted defect, never a Genesys behaviour): resync-drops-last makes a primary T-Server's full synchronisation of a backup leave out the last event of its store",
        source: S_HAPAIR_TEST,
    },
    // Step 9 (ICON): options that shape what an ICON stores in its IDB (node/icon/rows.rs).
    Spec {
        owner: Owner::App(ICON),
        section: "callconcentrator",
        key: "adata-userdata-history",
        default: "none",
        values: Values::Choice(&["none", "first", "last", "all"]),
        effect: Effect::AtStart,
        what: "with role gud, which values of an attached-data key G_USERDATA_HISTORY gets: none, the first, the last (at the call's end) or all; hapair has no specification file, so every key is one it does not list",
        source: S_ICON_ADATA,
    },
    Spec {
        owner: Owner::App(ICON),
        section: "hapair",
        key: "icon-vq-monitoring",
        default: "true",
        values: Values::Flag,
        effect: Effect::AtStart,
        what: "hapair's own option (ICON monitors the Virtual Queue DNs of its switch, which hapair does not model; no ICON option was found): with role gcc, G_VIRTUAL_QUEUE gets the calls' queued and diverted events",
        source: S_ICON_HA,
    },
];

/// Documented options of sections hapair reads that it does not honour: free-form, and never
/// reported as a typo of an honoured one.
const DOCUMENTED_OTHERS: &[(&str, &str)] = &[
    ("backup-sync", "sync-reconnect-tout"),
    ("backup-sync", "network-provided-address"),
    ("backup-sync", "client-connect-timeout"),
];

/// The honoured option `[section] key`, if any.
pub fn spec(section: &str, key: &str) -> Option<&'static Spec> {
    HONOURED
        .iter()
        .find(|s| s.section == section && s.key == key)
}

/// The honoured option of this owner kind (host or application) with this section and key.
pub fn spec_for(host: bool, section: &str, key: &str) -> Option<&'static Spec> {
    HONOURED
        .iter()
        .find(|s| s.section == section && s.key == key && (s.owner == Owner::Host) == host)
}

fn sections() -> impl Iterator<Item = &'static str> {
    let mut names: Vec<&str> = HONOURED.iter().map(|s| s.section).collect();
    names.dedup();
    names.into_iter()
}

impl Spec {
    /// The value's text, or the default when unset.
    pub fn text<'a>(&'a self, value: Option<&'a str>) -> &'a str {
        value.map_or(self.default, str::trim)
    }

    /// A seconds option read: `None` when the function is off (0 or -1 where documented so);
    /// an unreadable value (checked at load, so only from an API caller) reads as the default.
    pub fn secs(&self, value: Option<&str>) -> Option<Duration> {
        let parse = |t: &str| t.trim().parse::<i64>().ok();
        let n = parse(self.text(value)).or_else(|| parse(self.default))?;
        match self.values {
            Values::Secs {
                zero_off,
                minus_one_off,
                ..
            } => {
                if (n == 0 && zero_off) || (n == -1 && minus_one_off) || n < 0 {
                    None
                } else {
                    Some(Duration::from_secs(n.unsigned_abs()))
                }
            }
            _ => (n > 0).then(|| Duration::from_secs(n.unsigned_abs())),
        }
    }

    /// A count option read (the default when unset or unreadable).
    pub fn count(&self, value: Option<&str>) -> u64 {
        let parse = |t: &str| t.trim().parse::<u64>().ok();
        parse(self.text(value))
            .or_else(|| parse(self.default))
            .unwrap_or(0)
    }

    /// A flag option read (the default when unset or unreadable).
    pub fn flag(&self, value: Option<&str>) -> bool {
        flag_value(self.text(value)).or_else(|| flag_value(self.default)) == Some(true)
    }

    /// Whether `text` is a valid value; `Err` says what is.
    fn check(&self, text: &str) -> Result<(), String> {
        let text = text.trim();
        match self.values {
            Values::Secs {
                min,
                max,
                zero_off,
                minus_one_off,
            } => {
                let ok = match text.parse::<i64>() {
                    Ok(0) if zero_off => true,
                    Ok(-1) if minus_one_off => true,
                    Ok(n) => u64::try_from(n).is_ok_and(|n| (min..=max).contains(&n)),
                    Err(_) => false,
                };
                let off = match (zero_off, minus_one_off) {
                    (true, _) => " (0: off)",
                    (_, true) => " (-1: off)",
                    _ => "",
                };
                ok.then_some(())
                    .ok_or_else(|| format!("a whole number of seconds from {min} to {max}{off}"))
            }
            Values::Count { min, max } => text
                .parse::<u64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .map(|_| ())
                .ok_or_else(|| format!("a whole number from {min} to {max}")),
            Values::Flag => flag_value(text)
                .map(|_| ())
                .ok_or_else(|| "`true` or `false`".to_string()),
            Values::Choice(words) => {
                if words.iter().any(|w| text.eq_ignore_ascii_case(w)) {
                    return Ok(());
                }
                let hint = closest(&text.to_ascii_lowercase(), words.iter().copied())
                    .map_or_else(String::new, |c| format!(" (did you mean `{c}`?)"));
                let list: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
                Err(match &list[..] {
                    [a, b] => format!("{a} or {b}{hint}"),
                    _ => format!("one of {}{hint}", list.join(", ")),
                })
            }
        }
    }

    /// The values in words, for `hapair explain options`.
    pub fn values_text(&self) -> String {
        match self.values {
            Values::Secs {
                min,
                max,
                zero_off,
                minus_one_off,
            } => {
                let off = match (zero_off, minus_one_off) {
                    (true, _) => ", 0 = off",
                    (_, true) => ", -1 = off",
                    _ => "",
                };
                format!("{min}-{max} s{off}")
            }
            Values::Count { min, max } => format!("{min}-{max}"),
            Values::Flag => "true | false".into(),
            Values::Choice(words) if words.len() > 4 => {
                format!(
                    "{} (or synonyms)",
                    words
                        .iter()
                        .take(4)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(" | ")
                )
            }
            Values::Choice(words) => words.join(" | "),
        }
    }

    /// Who carries it, in words.
    pub fn owner_text(&self) -> String {
        match self.owner {
            Owner::Host => "host".into(),
            Owner::App(types) => types
                .iter()
                .filter_map(|t| AppType::ALL.iter().find(|(k, _)| k == t).map(|(_, n)| *n))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// Genesys's spellings of a boolean option value.
fn flag_value(text: &str) -> Option<bool> {
    let t = text.trim().to_ascii_lowercase();
    match t.as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// A section name a typo away from a section hapair reads.
pub(crate) fn section(name: &Sp<String>) -> Option<Problem> {
    if sections().any(|s| s == name.value) {
        return None;
    }
    let near = closest(&name.value, sections())?;
    Some(
        Problem::new(
            "unknown-option",
            name.span,
            format!(
                "option section `{}` looks like a typo of `{near}`, which hapair reads",
                name.value
            ),
        )
        .help(format!("did you mean `{near}`?")),
    )
}

/// A key of a section hapair reads: a typo of a read key, or a bad value of one.
pub(crate) fn value(section: &str, key: &Sp<String>, value: &Sp<String>) -> Option<Problem> {
    let keys: Vec<&str> = HONOURED
        .iter()
        .filter(|s| s.section == section)
        .map(|s| s.key)
        .collect();
    if keys.is_empty() {
        return None;
    }
    let Some(spec) = spec(section, &key.value) else {
        if DOCUMENTED_OTHERS.contains(&(section, key.value.as_str())) {
            return None;
        }
        let near = closest(&key.value, keys.iter().copied())?;
        return Some(
            Problem::new(
                "unknown-option",
                key.span,
                format!(
                    "option `{}` of [{section}] looks like a typo of `{near}`, which hapair reads",
                    key.value
                ),
            )
            .help(format!("did you mean `{near}`?")),
        );
    };
    let why = spec.check(&value.value).err()?;
    Some(Problem::new(
        "bad-value",
        value.span,
        format!(
            "[{section}] {} = `{}` is not valid: it is {why}",
            key.value,
            quoted(&value.value)
        ),
    ))
}

#[cfg(test)]
mod tests;
