//! The options table: values checked, typos caught, defaults filled in on reads.
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
    assert!(value("backup-sync", &sp("sync-reconnect-tout"), &sp("x")).is_none());
    assert!(value("confserv", &sp("addp-timout"), &sp("x")).is_none());
}

#[test]
fn values_of_read_options_are_checked() {
    let bad = |s: &str, k: &str, v: &str| value(s, &sp(k), &sp(v)).is_some();
    assert!(bad("backup-sync", "protocol", "adpp"));
    assert!(!bad("backup-sync", "protocol", "ADDP"));
    assert!(bad("backup-sync", "addp-timeout", "-10"));
    assert!(bad("backup-sync", "addp-timeout", "18446744073709551615"));
    assert!(bad("backup-sync", "addp-remote-timeout", "ten"));
    assert!(!bad("backup-sync", "addp-timeout", "0"));
    assert!(!bad("backup-sync", "addp-timeout", "3600"));
    assert!(bad("backup-sync", "addp-timeout", "3601"));
    assert!(bad("backup-sync", "addp-trace", "verbose"));
    assert!(!bad("general", "haflip-detect-timeout", "-1"));
    assert!(bad("general", "haflip-detect-timeout", "0"));
    assert!(!bad("system", "consistent-port-selection", "TRUE"));
    assert!(bad("system", "consistent-port-selection", "maybe"));
    assert!(bad("TServer", "backup-init-check-timeout", "14"));
}

#[test]
fn reads_fill_in_the_documented_default_and_off_values() {
    let timeout = spec("backup-sync", "addp-timeout").expect("honoured");
    assert_eq!(timeout.secs(None), None, "0 by default: off");
    assert_eq!(timeout.secs(Some("5")), Some(Duration::from_secs(5)));
    let host = spec_for(true, "addp", "addp-timeout").expect("honoured");
    assert_eq!(host.secs(None), Some(Duration::from_secs(9)));
    let flip = spec("general", "haflip-detect-timeout").expect("honoured");
    assert_eq!(flip.secs(None), Some(Duration::from_secs(10)));
    assert_eq!(flip.secs(Some("-1")), None);
    let cps = spec("system", "consistent-port-selection").expect("honoured");
    assert!(!cps.flag(None));
    assert!(cps.flag(Some("yes")));
    let port_check = spec("TServer", "backup-sip-port-check").expect("honoured");
    assert!(port_check.flag(None));
    let delay = spec("hapair", "sip-readiness-delay").expect("honoured");
    assert_eq!(delay.secs(None), Some(Duration::from_secs(60)));
    assert_eq!(delay.secs(Some("0")), Some(Duration::ZERO), "0: no delay");
    let rate = spec("hapair", "sip-call-sync-rate").expect("honoured");
    assert_eq!(rate.count(None), 500);
    assert!(rate.check("199").is_err() && rate.check("1000").is_ok());
}

#[test]
fn every_default_is_a_valid_value_and_no_option_is_listed_twice() {
    for (i, s) in HONOURED.iter().enumerate() {
        assert!(s.check(s.default).is_ok(), "[{}] {}", s.section, s.key);
        let again = HONOURED
            .iter()
            .skip(i.saturating_add(1))
            .any(|o| o.section == s.section && o.key == s.key && o.owner == s.owner);
        assert!(!again, "[{}] {} twice", s.section, s.key);
    }
}
