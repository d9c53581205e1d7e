//! `hapair explain options` and `hapair explain OPTION`: the Genesys options hapair honours
//! (`topology::options::HONOURED`), with their defaults, values, when a change takes effect,
//! what they do in the simulation and the document that says so.

use std::fmt::Write as _;

use crate::topology::options::{HONOURED, Spec};

/// The table of every honoured option, one line each.
pub(super) fn table() -> String {
    let mut out = String::from(
        "Genesys options hapair honours (topology: [app.NAME.options.SECTION] or \
         [host.KEY.options.SECTION]; scenario: an `option` step):\n\n",
    );
    let _ = writeln!(
        out,
        "{:<22} {:<16} {:<30} {:<8} {:<16} takes effect",
        "object", "section", "option", "default", "values"
    );
    for s in HONOURED {
        let _ = writeln!(
            out,
            "{:<22} {:<16} {:<30} {:<8} {:<16} {}",
            s.owner_text(),
            format!("[{}]", s.section),
            s.key,
            s.default,
            s.values_text(),
            s.effect.as_str()
        );
    }
    out.push_str("\n`hapair explain OPTION` (e.g. `hapair explain addp-timeout` or `backup-sync.addp-timeout`) says what each does.\n");
    out
}

/// The honoured options `name` designates: `KEY` (every section with that key) or
/// `SECTION.KEY` / `[SECTION]KEY`, without regard to case (an explanation is forgiving; the
/// loader is not).
pub(super) fn lookup(name: &str) -> Vec<&'static Spec> {
    let name = name.trim();
    let (section, key) = match name.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((s, k)) => (Some(s), k.trim()),
        None => match name.split_once('.') {
            Some((s, k)) => (Some(s), k),
            None => (None, name),
        },
    };
    HONOURED
        .iter()
        .filter(|s| {
            s.key.eq_ignore_ascii_case(key)
                && section.is_none_or(|x| x.eq_ignore_ascii_case(s.section))
        })
        .collect()
}

/// One option in full.
pub(super) fn explain(s: &Spec) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "[{}] {}  ({})\n", s.section, s.key, s.owner_text());
    let _ = writeln!(out, "  {}\n", s.what);
    let _ = writeln!(out, "Default:       {}", s.default);
    let _ = writeln!(out, "Values:        {}", s.values_text());
    let _ = writeln!(out, "Takes effect:  {}", s.effect.as_str());
    let _ = writeln!(out, "Source:        {}", s.source);
    out
}

/// Every name `explain` knows as an option (keys and `section.key`), for did-you-mean.
pub(super) fn names() -> impl Iterator<Item = String> {
    HONOURED
        .iter()
        .flat_map(|s| [s.key.to_string(), format!("{}.{}", s.section, s.key)])
        .chain(std::iter::once("options".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_found_by_key_or_section_and_key() {
        assert_eq!(
            lookup("addp-timeout").len(),
            2,
            "host [addp] and [backup-sync]"
        );
        assert_eq!(lookup("backup-sync.addp-timeout").len(), 1);
        assert_eq!(lookup("[addp]addp-timeout").len(), 1);
        assert!(lookup("no-such-option").is_empty());
        assert_eq!(lookup("ADDP-TIMEOUT").len(), 2);
        assert_eq!(lookup("tserver.backup-init-check").len(), 1);
        let text = explain(lookup("haflip-detect-timeout")[0]);
        assert!(text.contains("Default:       10"), "{text}");
        assert!(table().contains("consistent-port-selection"));
    }
}
