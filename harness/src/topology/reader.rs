//! Typed, located reads out of a spanned TOML tree that collect every problem instead of
//! stopping at the first, so a user sees all that is wrong with a file in one run.

use std::time::Duration;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::value::{parse_bool, parse_duration};
use crate::diag::{Problem, Sp, Span, closest};

/// A table of the file.
pub(crate) type Table<'i> = DeTable<'i>;
/// A value of the file.
pub(crate) type Value<'i> = Spanned<DeValue<'i>>;

/// Collects problems while values are read.
#[derive(Default)]
pub(crate) struct Reader {
    /// Everything found wrong so far.
    pub problems: Vec<Problem>,
}

fn span_of<T>(s: &Spanned<T>) -> Span {
    s.span().into()
}

fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

impl Reader {
    /// Records a problem.
    pub fn push(&mut self, p: Problem) {
        self.problems.push(p);
    }

    fn wrong_type(&mut self, v: &Value<'_>, key: &str, want: &str) {
        self.push(Problem::new(
            "wrong-type",
            span_of(v),
            format!("`{key}` must be {want}, not {}", type_name(v.get_ref())),
        ));
    }

    /// Reports every key of `t` not in `allowed`, with a suggestion when one is close.
    pub fn keys(&mut self, t: &Table<'_>, allowed: &[&str], what: &str) {
        self.keys_with(t, allowed, what, &[]);
    }

    /// As [`Reader::keys`], with a help sentence of its own for keys a user may expect to
    /// exist but hapair does not take (`unsupported`: key, help).
    pub fn keys_with(
        &mut self,
        t: &Table<'_>,
        allowed: &[&str],
        what: &str,
        unsupported: &[(&str, &str)],
    ) {
        for (k, _) in t.iter() {
            let name = k.get_ref().as_ref();
            if allowed.contains(&name) {
                continue;
            }
            let p = Problem::new(
                "unknown-key",
                span_of(k),
                format!("unknown key `{name}` in {what}"),
            );
            let p = match (
                unsupported.iter().find(|(key, _)| *key == name),
                closest(name, allowed.iter().copied()),
            ) {
                (Some((_, help)), _) => p.help(*help),
                (None, Some(c)) => p.help(format!("did you mean `{c}`?")),
                (None, None) => p.help(format!("expected one of: {}", allowed.join(", "))),
            };
            self.push(p);
        }
    }

    /// Reads `v` as a table.
    pub fn table<'t, 'i>(&mut self, v: &'t Value<'i>, key: &str) -> Option<&'t Table<'i>> {
        match v.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => {
                self.wrong_type(v, key, "a table");
                None
            }
        }
    }

    /// Reads the table under `key`, if present.
    pub fn opt_table<'t, 'i>(&mut self, t: &'t Table<'i>, key: &str) -> Option<&'t Table<'i>> {
        let v = t.get(key)?;
        self.table(v, key)
    }

    /// Reads a string value.
    pub fn string_value(&mut self, v: &Value<'_>, key: &str) -> Option<Sp<String>> {
        match v.get_ref() {
            DeValue::String(s) => Some(Sp::new(s.to_string(), v.span())),
            _ => {
                self.wrong_type(v, key, "a string");
                None
            }
        }
    }

    /// Reads the string under `key`, if present.
    pub fn string(&mut self, t: &Table<'_>, key: &str) -> Option<Sp<String>> {
        let v = t.get(key)?;
        self.string_value(v, key)
    }

    /// Reads the string under `key`, reporting its absence at `at`.
    pub fn required_string(
        &mut self,
        t: &Table<'_>,
        key: &str,
        at: Span,
        what: &str,
    ) -> Option<Sp<String>> {
        if t.get(key).is_none() {
            self.push(Problem::new(
                "missing-key",
                at,
                format!("{what} has no `{key}`"),
            ));
            return None;
        }
        self.string(t, key)
    }

    /// Reads a scalar as text, the way Configuration Server stores option values.
    pub fn scalar_text(&mut self, v: &Value<'_>, key: &str) -> Option<Sp<String>> {
        let text = match v.get_ref() {
            DeValue::String(s) => s.to_string(),
            DeValue::Integer(i) => i.as_str().to_string(),
            DeValue::Float(f) => f.as_str().to_string(),
            DeValue::Boolean(b) => if *b { "true" } else { "false" }.to_string(),
            _ => {
                self.wrong_type(v, key, "a string, number or boolean");
                return None;
            }
        };
        Some(Sp::new(text, v.span()))
    }

    /// Reads an integer under `key`, if present.
    pub fn integer(&mut self, t: &Table<'_>, key: &str) -> Option<Sp<i64>> {
        let v = t.get(key)?;
        match v.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Some(Sp::new(n, v.span())),
                Err(_) => {
                    self.push(Problem::new(
                        "bad-value",
                        span_of(v),
                        format!("`{key}` is out of range"),
                    ));
                    None
                }
            },
            _ => {
                self.wrong_type(v, key, "an integer");
                None
            }
        }
    }

    /// Reads a Genesys boolean (`true`, `1`, `"1"`, `"yes"`…) under `key`, if present.
    pub fn boolish(&mut self, t: &Table<'_>, key: &str) -> Option<Sp<bool>> {
        let v = t.get(key)?;
        self.boolish_value(v, key)
    }

    /// Reads a Genesys boolean value.
    pub fn boolish_value(&mut self, v: &Value<'_>, key: &str) -> Option<Sp<bool>> {
        let parsed = match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            DeValue::Integer(i) => parse_bool(i.as_str()),
            DeValue::String(s) => parse_bool(s),
            _ => {
                self.wrong_type(v, key, "a boolean (true/false or 1/0)");
                return None;
            }
        };
        if parsed.is_none() {
            self.push(Problem::new(
                "bad-value",
                span_of(v),
                format!("`{key}` must be true/false or 1/0"),
            ));
        }
        parsed.map(|b| Sp::new(b, v.span()))
    }

    /// Reads a duration (`"10s"`, or a number of seconds) under `key`, if present.
    pub fn duration(&mut self, t: &Table<'_>, key: &str) -> Option<Sp<Duration>> {
        let v = t.get(key)?;
        let text = match v.get_ref() {
            DeValue::String(s) => s.to_string(),
            DeValue::Integer(i) => i.as_str().to_string(),
            DeValue::Float(f) => f.as_str().to_string(),
            _ => {
                self.wrong_type(v, key, "a duration such as \"10s\"");
                return None;
            }
        };
        match parse_duration(&text) {
            Ok(d) if d > crate::limits::MAX_DURATION => {
                self.push(
                    Problem::new(
                        "too-long",
                        span_of(v),
                        format!(
                            "`{key}` = {} is over hapair's limit of 366 days",
                            crate::limits::quoted(&text)
                        ),
                    )
                    .help("durations that drive the simulation are at most 366 days"),
                );
                None
            }
            Ok(d) => Some(Sp::new(d, v.span())),
            Err(why) => {
                self.push(Problem::new("bad-duration", span_of(v), why));
                None
            }
        }
    }

    /// Reads an array of strings under `key` (a lone string counts as one element).
    pub fn strings(&mut self, t: &Table<'_>, key: &str) -> Vec<Sp<String>> {
        let Some(v) = t.get(key) else {
            return Vec::new();
        };
        match v.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .filter_map(|item| self.string_value(item, key))
                .collect(),
            DeValue::String(_) => self.string_value(v, key).into_iter().collect(),
            _ => {
                self.wrong_type(v, key, "an array of strings");
                Vec::new()
            }
        }
    }

    /// Reads a string that must be one of `choices`.
    pub fn choice<T: Copy>(
        &mut self,
        t: &Table<'_>,
        key: &str,
        choices: &[(T, &str)],
    ) -> Option<Sp<T>> {
        let s = self.string(t, key)?;
        if let Some((value, _)) = choices.iter().find(|(_, n)| *n == s.value) {
            return Some(Sp::new(*value, s.span));
        }
        let names: Vec<&str> = choices.iter().map(|(_, n)| *n).collect();
        let mut p = Problem::new(
            "bad-value",
            s.span,
            format!("`{}` is not a valid `{key}`", s.value),
        );
        p = match closest(&s.value, names.iter().copied()) {
            Some(c) => p.help(format!("did you mean `{c}`?")),
            None => p.help(format!("expected one of: {}", names.join(", "))),
        };
        self.push(p);
        None
    }
}

/// The entries of a table as (name, value) with the name located.
pub(crate) fn entries<'t, 'i>(
    t: &'t Table<'i>,
) -> impl Iterator<Item = (Sp<String>, &'t Value<'i>)> {
    t.iter()
        .map(|(k, v)| (Sp::new(k.get_ref().to_string(), k.span()), v))
}
