//! Roles over time, read from `role-changed` and `stopped` events.

use std::collections::BTreeMap;

use crate::trace::{Kind, Trace};
use crate::wire::Role;

/// Every server's role, changing over virtual time.
#[derive(Debug, Default)]
pub struct Timeline {
    /// Per application: (time in ms, role or `None` when not running), in order.
    changes: BTreeMap<String, Vec<(u64, Option<Role>)>>,
}

impl Timeline {
    /// Reads the timeline off a trace.
    pub fn of(trace: &Trace) -> Self {
        let mut t = Self::default();
        for e in &trace.events {
            let role = match &e.kind {
                Kind::RoleChanged { to, .. } => Some(*to),
                Kind::Stopped { .. } | Kind::Started { .. } => None,
                _ => continue,
            };
            t.changes
                .entry(e.node.clone())
                .or_default()
                .push((e.at_ms, role));
        }
        t
    }

    /// The role of `app` at `at_ms` (after every event stamped at or before it).
    pub fn at(&self, app: &str, at_ms: u64) -> Option<Role> {
        self.changes
            .get(app)?
            .iter()
            .take_while(|(t, _)| *t <= at_ms)
            .last()
            .and_then(|(_, r)| *r)
    }

    /// When `app` first took `role` at or after `after_ms`.
    pub fn first(&self, app: &str, role: Role, after_ms: u64) -> Option<u64> {
        self.changes
            .get(app)?
            .iter()
            .find(|(t, r)| *t >= after_ms && *r == Some(role))
            .map(|(t, _)| *t)
    }

    /// Applications in the timeline.
    pub fn apps(&self) -> impl Iterator<Item = &str> {
        self.changes.keys().map(String::as_str)
    }
}

/// Intervals `[start, end)` in ms during which both `a` and `b` were primary.
pub fn primaries_windows(trace: &Trace, a: &str, b: &str) -> Vec<(u64, u64)> {
    let t = Timeline::of(trace);
    let mut times: Vec<u64> = [a, b]
        .iter()
        .filter_map(|x| t.changes.get(*x))
        .flatten()
        .map(|(at, _)| *at)
        .collect();
    times.sort_unstable();
    times.dedup();
    let end = trace.events.last().map_or(0, |e| e.at_ms + 1);
    let mut out: Vec<(u64, u64)> = Vec::new();
    for (i, at) in times.iter().enumerate() {
        let both = t.at(a, *at) == Some(Role::Primary) && t.at(b, *at) == Some(Role::Primary);
        if !both {
            continue;
        }
        let until = times.get(i + 1).copied().unwrap_or(end);
        match out.last_mut() {
            Some(last) if last.1 == *at => last.1 = until,
            _ => out.push((*at, until)),
        }
    }
    out
}
