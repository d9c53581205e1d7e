//! The Genesys options hapair honours, held to three things in one table: the defaults the
//! Genesys documents give (`DOCUMENTED`, copied from `../shared/notes/genesys-options.md` with
//! its source names), the code's table (`topology::options::HONOURED`), and the README's table
//! (re-written with `HAPAIR_BLESS=1 cargo test --test options`). `hapair explain options`, the
//! binary as a process, prints every one with its default.

use std::path::Path;
use std::process::Command;

use hapair::topology::options::{HONOURED, Owner};

/// (object, section, option, documented default, source): the defaults as the documents state
/// them. A new honoured option needs a row here, with the document it comes from.
const DOCUMENTED: &[(&str, &str, &str, &str, &str)] = &[
    ("host", "addp", "addp-timeout", "9", "S-ADDP-HOST"),
    ("host", "addp", "addp-remote-timeout", "0", "S-ADDP-HOST"),
    ("host", "addp", "addp-trace", "off", "S-ADDP-HOST"),
    (
        "app",
        "general",
        "disconnect-switchover-timeout",
        "0",
        "S-MLFAULTS",
    ),
    ("app", "general", "haflip-detect-timeout", "10", "S-SCS-RN"),
    (
        "app",
        "system",
        "consistent-port-selection",
        "false",
        "S-CSSYS",
    ),
    ("app", "backup-sync", "protocol", "default", "S-TS-BSYNC"),
    ("app", "backup-sync", "addp-timeout", "0", "S-TS-BSYNC"),
    (
        "app",
        "backup-sync",
        "addp-remote-timeout",
        "0",
        "S-TS-BSYNC",
    ),
    ("app", "backup-sync", "addp-trace", "off", "S-TS-BSYNC"),
    (
        "app",
        "TServer",
        "backup-init-check",
        "false",
        "S-SIPS-HAOPT",
    ),
    (
        "app",
        "TServer",
        "backup-init-check-timeout",
        "60",
        "S-SIPS-HAOPT",
    ),
    (
        "app",
        "TServer",
        "backup-sip-port-check",
        "true",
        "S-SIPS-HAOPT",
    ),
    // Step 8, item 4 (clients).
    ("app", "warm-standby", "retry-delay", "10", "S-IW-BC"),
    ("app", "warm-standby", "attempts", "1", "S-CFGSRV76"),
    // Step 8, item 5: values S-SIPS-UPG documents without an option name (hapair's names).
    ("app", "hapair", "sip-readiness-delay", "60", "S-SIPS-UPG"),
    ("app", "hapair", "sip-call-sync-rate", "500", "S-SIPS-UPG"),
    // Step 9 (ICON): S-ICON-ADATA's option; virtual-queue monitoring is hapair's own name.
    (
        "app",
        "callconcentrator",
        "adata-userdata-history",
        "none",
        "S-ICON-ADATA",
    ),
    ("app", "hapair", "icon-vq-monitoring", "true", "S-ICON-HA"),
    // Step 10 (shrink): hapair's own test-only switch, a planted defect (no Genesys document).
    ("app", "hapair", "plant-defect", "none", "HAPAIR-TEST"),
];

fn object(owner: Owner) -> &'static str {
    match owner {
        Owner::Host => "host",
        Owner::App(_) => "app",
    }
}

#[test]
fn every_honoured_option_has_its_documented_default_and_source() {
    for s in HONOURED {
        let row = DOCUMENTED
            .iter()
            .find(|d| d.0 == object(s.owner) && d.1 == s.section && d.2 == s.key);
        let Some((_, _, _, default, source)) = row else {
            panic!(
                "[{}] {} is honoured but has no documented row in tests/options.rs",
                s.section, s.key
            );
        };
        assert_eq!(s.default, *default, "[{}] {}", s.section, s.key);
        assert!(
            s.source.starts_with(source),
            "[{}] {}: source {} is not {source}",
            s.section,
            s.key,
            s.source
        );
    }
    for d in DOCUMENTED {
        assert!(
            HONOURED
                .iter()
                .any(|s| object(s.owner) == d.0 && s.section == d.1 && s.key == d.2),
            "[{}] {} is documented here but not honoured",
            d.1,
            d.2
        );
    }
}

/// The README's table, rendered from the code's.
fn markdown() -> String {
    let mut out = String::from(
        "| object | section | option | default | values | takes effect | what hapair does with it |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for s in HONOURED {
        out.push_str(&format!(
            "| {} | `[{}]` | `{}` | `{}` | {} | {} | {} |\n",
            s.owner_text(),
            s.section,
            s.key,
            s.default,
            s.values_text().replace('|', "\\|"),
            s.effect.as_str(),
            s.what.replace('|', "\\|")
        ));
    }
    out
}

#[test]
fn the_readme_lists_every_honoured_option_with_its_default() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md is readable");
    let begin = "<!-- options:begin (generated: HAPAIR_BLESS=1 cargo test --test options) -->\n";
    let end = "<!-- options:end -->";
    let (head, rest) = readme
        .split_once(begin)
        .expect("README has the options:begin marker");
    let (table, tail) = rest
        .split_once(end)
        .expect("README has the options:end marker");
    let want = markdown();
    if std::env::var_os("HAPAIR_BLESS").is_some() {
        std::fs::write(&path, format!("{head}{begin}{want}{end}{tail}")).expect("README written");
        return;
    }
    assert_eq!(
        table, want,
        "README's options table differs from topology::options::HONOURED: \
         re-write it with HAPAIR_BLESS=1 cargo test --test options"
    );
}

#[test]
fn explain_options_prints_every_honoured_option_with_its_default() {
    let out = Command::new(env!("CARGO_BIN_EXE_hapair"))
        .args(["explain", "options"])
        .env("NO_COLOR", "1")
        .output()
        .expect("the hapair binary runs");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for s in HONOURED {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("[{}]", s.section)) && l.contains(s.key))
            .unwrap_or_else(|| panic!("[{}] {} missing from:\n{text}", s.section, s.key));
        assert!(
            line.split_whitespace().any(|w| w == s.default),
            "default {} missing from `{line}`",
            s.default
        );
    }
    let one = Command::new(env!("CARGO_BIN_EXE_hapair"))
        .args(["explain", "haflip-detect-timeout"])
        .output()
        .expect("the hapair binary runs");
    let text = String::from_utf8_lossy(&one.stdout);
    assert!(text.contains("Default:       10"), "{text}");
    assert!(text.contains("S-SCS-RN"), "{text}");
}
