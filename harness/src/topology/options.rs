//! The Genesys options hapair itself reads (`[backup-sync] protocol`, `addp-timeout`,
//! `addp-remote-timeout`): their values are checked where they are written, in a topology's
//! `[app.X.options.SECTION]` or an `option` step, and a section or key a typo away from one
//! of them is reported with a did-you-mean. Every other option stays free-form text.

use crate::diag::{Problem, Sp, closest};
use crate::limits::quoted;

/// The option sections hapair reads, with the keys it reads in each.
const KNOWN: [(&str, &[&str]); 1] = [(
    "backup-sync",
    &["protocol", "addp-timeout", "addp-remote-timeout"],
)];

/// Other keys of `[backup-sync]` Genesys documents: free-form, and no typo of a read key.
const OTHER_BACKUP_SYNC: [&str; 4] = [
    "addp-trace",
    "sync-reconnect-tout",
    "network-provided-address",
    "client-connect-timeout",
];

/// Longest ADDP timeout Genesys documents for `[backup-sync]` (seconds).
const MAX_ADDP_SECS: u64 = 3_600;

/// A section name a typo away from a section hapair reads.
pub(crate) fn section(name: &Sp<String>) -> Option<Problem> {
    if KNOWN.iter().any(|(s, _)| *s == name.value) {
        return None;
    }
    let near = closest(&name.value, KNOWN.iter().map(|(s, _)| *s))?;
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
    let (_, keys) = KNOWN.iter().find(|(s, _)| *s == section)?;
    if !keys.contains(&key.value.as_str()) {
        if OTHER_BACKUP_SYNC.contains(&key.value.as_str()) {
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
    }
    let text = value.value.trim();
    let why = match key.value.as_str() {
        "protocol" => (!["default", "addp"]
            .iter()
            .any(|p| text.eq_ignore_ascii_case(p)))
        .then(|| {
            let hint = closest(&text.to_ascii_lowercase(), ["default", "addp"])
                .map_or_else(String::new, |c| format!(" (did you mean `{c}`?)"));
            format!("`default` or `addp`{hint}")
        }),
        _ => match text.parse::<u64>() {
            Ok(n) if n <= MAX_ADDP_SECS => None,
            _ => Some(format!(
                "a whole number of seconds from 0 (off) to {MAX_ADDP_SECS}"
            )),
        },
    }?;
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
mod tests {
    use super::*;

    fn sp(s: &str) -> Sp<String> {
        Sp::new(s.to_string(), 0..1)
    }

    #[test]
    fn typos_of_read_options_are_caught_and_others_left_alone() {
        assert!(section(&sp("backup-snyc")).is_some());
        assert!(section(&sp("backup-sync")).is_none());
        assert!(section(&sp("confserv")).is_none());
        let p = value("backup-sync", &sp("addp-timout"), &sp("10")).expect("typo");
        assert_eq!(p.help.as_deref(), Some("did you mean `addp-timeout`?"));
        assert!(value("backup-sync", &sp("addp-trace"), &sp("full")).is_none());
        assert!(value("confserv", &sp("addp-timout"), &sp("x")).is_none());
    }

    #[test]
    fn values_of_read_options_are_checked() {
        let bad = |k: &str, v: &str| value("backup-sync", &sp(k), &sp(v)).is_some();
        assert!(bad("protocol", "adpp"));
        assert!(!bad("protocol", "ADDP"));
        assert!(bad("addp-timeout", "-10"));
        assert!(bad("addp-timeout", "18446744073709551615"));
        assert!(bad("addp-remote-timeout", "ten"));
        assert!(!bad("addp-timeout", "0"));
        assert!(!bad("addp-timeout", "3600"));
    }
}
