//! Scalar value syntaxes shared by topology and scenario files: durations (`10s`, `500ms`,
//! a bare number of seconds as Genesys options write them) and Genesys booleans (`1`/`0`).

use std::time::Duration;

/// The longest duration any syntax takes (100 years, e.g. a CA's validity); values that
/// drive the simulation are bounded tighter (`crate::limits`).
const MAX_SECS: f64 = 100.0 * 365.25 * 86_400.0;

/// Parses `500ms`, `10s`, `2m`, `1h`, `1.5s`, or a bare number of seconds.
///
/// # Errors
/// A sentence saying what is wrong, for a located problem.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.starts_with('-') {
        return Err(format!(
            "`{}` is negative: a duration is 0 or more",
            crate::limits::quoted(text)
        ));
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale = match unit.trim() {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        other => {
            return Err(format!(
                "unknown unit `{}` (use ms, s, m, h or d)",
                crate::limits::quoted(other)
            ));
        }
    };
    let value: f64 = number.parse().map_err(|_| {
        format!(
            "`{}` is not a duration (e.g. `500ms`, `10s`, `2m`)",
            crate::limits::quoted(text)
        )
    })?;
    let secs = value * scale;
    if !secs.is_finite() || secs > MAX_SECS {
        return Err(format!(
            "`{}` is too long a duration (at most 100 years)",
            crate::limits::quoted(text)
        ));
    }
    Duration::try_from_secs_f64(secs).map_err(|e| format!("`{}`: {e}", crate::limits::quoted(text)))
}

/// Parses a Genesys boolean option value: `1`/`0`, `true`/`false`, `yes`/`no`.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Formats a duration the way files write them.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// Formats an instant as RFC 3339 (`2026-06-01T08:00:00Z`).
pub fn format_instant(t: time::OffsetDateTime) -> String {
    use time::format_description::well_known::Rfc3339;
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_every_unit() {
        let table = [
            ("10s", 10_000),
            ("500ms", 500),
            ("2m", 120_000),
            ("1h", 3_600_000),
            ("9", 9_000),
            ("1.5s", 1_500),
        ];
        for (text, ms) in table {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_millis(ms)),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_durations_say_why() {
        assert!(
            parse_duration("10 parsecs")
                .expect_err("bad unit")
                .contains("unit")
        );
        assert!(
            parse_duration("s")
                .expect_err("no number")
                .contains("not a duration")
        );
        assert!(parse_duration("1e999").is_err());
        assert!(parse_duration("999999999999s").is_err());
        assert!(
            parse_duration("-10")
                .expect_err("negative")
                .contains("negative")
        );
    }

    #[test]
    fn genesys_booleans() {
        assert_eq!(parse_bool("1"), Some(true));
        assert_eq!(parse_bool("FALSE"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
    }
}
