//! `two-primaries = { pair, longer-than }`: the pair had two primaries for at least that
//! long (a split-brain the scenario rehearses; it also excuses the one-primary invariant).
//! With a window, only the part of each two-primary window inside it counts.

use std::time::Duration;

use super::Context;
use crate::check::roles::primaries_windows;
use crate::check::verdict::{Judgement, spans};

/// Judges `two primaries in pair for over longer_than`, inside `clip` when given.
pub fn judge(
    cx: &Context<'_>,
    pair: &str,
    longer_than: Duration,
    clip: Option<(u64, u64)>,
) -> Judgement {
    let partner = cx
        .scenario
        .topology
        .pair_of(pair)
        .map(|p| p.backup.name.value.clone())
        .unwrap_or_default();
    let mut windows = primaries_windows(cx.trace, pair, &partner);
    if let Some((from, to)) = clip {
        windows = windows
            .into_iter()
            .map(|(a, b)| (a.max(from), b.min(to)))
            .filter(|(a, b)| a < b)
            .collect();
    }
    let ms = u64::try_from(longer_than.as_millis()).unwrap_or(u64::MAX);
    let held = windows.iter().any(|(a, b)| b.saturating_sub(*a) >= ms);
    Judgement::plain(
        held,
        if windows.is_empty() {
            "no two-primary window".into()
        } else {
            format!("two-primary windows (ms): {}", spans(&windows))
        },
    )
}
