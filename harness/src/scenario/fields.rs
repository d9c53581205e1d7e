//! Readers for the shapes a scenario file repeats: an array of tables (`[[step]]`,
//! `[[expect]]`) and an entry that must hold exactly one of several keys (a step's action, an
//! expectation's kind). The loader and the step decoder both use them.

use toml::de::DeValue;

use crate::diag::{Problem, Span};
use crate::topology::reader::{Reader, Table, Value};

/// The tables of array `key` of `doc`, reporting anything else written there.
pub(super) fn array<'t, 'i>(r: &mut Reader, doc: &'t Table<'i>, key: &str) -> Vec<&'t Value<'i>> {
    match doc.get(key).map(|v| (v, v.get_ref())) {
        None => Vec::new(),
        Some((_, DeValue::Array(items))) => items.iter().collect(),
        Some((v, _)) => {
            r.push(
                Problem::new(
                    "wrong-type",
                    v.span(),
                    format!("`{key}` must be an array of tables"),
                )
                .help(format!("write each as [[{key}]]")),
            );
            Vec::new()
        }
    }
}

/// The single key of `t` among `choices`, reporting none or several.
pub(super) fn one_of(
    r: &mut Reader,
    t: &Table<'_>,
    choices: &[&str],
    what: &str,
    span: Span,
) -> Option<String> {
    let present: Vec<&str> = choices
        .iter()
        .copied()
        .filter(|c| t.get(*c).is_some())
        .collect();
    match present.as_slice() {
        [one] => Some((*one).to_string()),
        [] => {
            r.push(
                Problem::new("missing-key", span, format!("{what} says nothing to do"))
                    .help(format!("use one of: {}", choices.join(", "))),
            );
            None
        }
        _ => {
            r.push(
                Problem::new(
                    "conflict",
                    span,
                    format!("{what} has several of: {}", present.join(", ")),
                )
                .help("one per entry"),
            );
            None
        }
    }
}
