//! How faults write durations, rates and clock skews in files, and read them back: the
//! texts the file form ([`Entry`](super::Entry)) and the scenario loader share.

use std::time::Duration;

use crate::topology::value::parse_duration;

/// A duration as files write it: whole seconds as `"30s"`, anything finer as decimal seconds
/// (`"1.5s"`, `"0.000250001s"`). The loader reads it back to the same nanosecond: always below
/// about 104 days, and beyond for every duration it read itself (the nearest `f64` is the one
/// it came from).
pub(crate) fn duration_text(d: Duration) -> String {
    let nanos = d.subsec_nanos();
    if nanos == 0 {
        return format!("{}s", d.as_secs());
    }
    let fraction = format!("{nanos:09}");
    format!("{}.{}s", d.as_secs(), fraction.trim_end_matches('0'))
}

/// A rate as `traffic` writes it: Rust's shortest text that reads back to the same number.
pub(super) fn rate_text(rate: f64) -> String {
    format!("{rate}/s")
}

/// `by = "400d"` or `"-1h"`, in whole seconds, at most 366 days either way.
///
/// # Errors
/// Why the text is not such a skew.
pub(crate) fn skew_seconds(by: &str) -> Result<i64, String> {
    let (negative, text) = by.strip_prefix('-').map_or((false, by), |x| (true, x));
    let d = parse_duration(text.trim_start_matches('+'))?;
    if d > crate::limits::MAX_DURATION {
        return Err("a clock skew is at most 366 days either way".into());
    }
    let secs = i64::try_from(d.as_secs()).map_err(|_| "a clock skew this long".to_string())?;
    Ok(if negative {
        secs.saturating_neg()
    } else {
        secs
    })
}

/// `rate = "20/s"`: 0 (off) or 0.001 to 10000 requests per second.
pub(crate) fn traffic_rate(text: &str) -> Option<f64> {
    match text.trim_end_matches("/s").trim().parse::<f64>() {
        Ok(x) if x == 0.0 || (0.001..=10_000.0).contains(&x) => Some(x),
        _ => None,
    }
}
