//! Unit tests of the trace: the event words, JSON lines, states.

/// The variants of `Kind` as written in this file, in kebab case.
fn kind_words() -> Vec<String> {
    let source = include_str!("../trace.rs");
    let body = source
        .split_once("pub enum Kind {")
        .and_then(|(_, rest)| rest.split_once("\n}\n"))
        .map(|(body, _)| body)
        .unwrap_or_default();
    body.lines()
        .filter(|l| l.starts_with("    ") && !l.starts_with("     "))
        .filter_map(|l| {
            let name: String = l
                .trim()
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            name.starts_with(|c: char| c.is_ascii_uppercase())
                .then_some(name)
        })
        .map(|name| {
            let mut word = String::new();
            for (i, c) in name.chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    word.push('-');
                }
                word.push(c.to_ascii_lowercase());
            }
            word
        })
        .collect()
}

#[test]
fn event_words_name_every_kind_of_event() {
    let words = kind_words();
    assert!(words.len() > 10, "the enum was not found: {words:?}");
    assert_eq!(
        words,
        super::EVENT_WORDS,
        "EVENT_WORDS must list every variant of Kind, in order, as serde writes it"
    );
    // And serde writes them so: one round trip through JSON.
    let e: super::Kind =
        serde_json::from_str(r#"{"event":"store-cleared"}"#).expect("a known event word");
    assert_eq!(e, super::Kind::StoreCleared);
}

#[test]
fn the_digest_is_the_sha256_of_the_json_lines() {
    use super::{Event, Kind, Trace};
    let trace = Trace {
        events: (0..3)
            .map(|i| Event {
                at_ms: i * 7,
                node: format!("app{i}"),
                kind: Kind::Started { role: None },
            })
            .collect(),
    };
    let whole = ring::digest::digest(&ring::digest::SHA256, trace.to_jsonl().as_bytes());
    let hex: String = whole.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(trace.digest(), hex);
    assert_ne!(Trace { events: Vec::new() }.digest(), hex);
}
