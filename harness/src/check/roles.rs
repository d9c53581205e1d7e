//! Roles over time, read from `started`, `role-changed` and `stopped` events.

use std::collections::BTreeMap;

use crate::topology::Role;
use crate::trace::{Kind, State, Trace};

/// Every server's role, changing over virtual time.
#[derive(Debug, Default)]
pub struct Timeline {
    /// Per application: (time in ms, state, index of the event in the trace), in order.
    changes: BTreeMap<String, Vec<(u64, State, usize)>>,
}

impl Timeline {
    /// Reads the timeline off a trace.
    pub fn of(trace: &Trace) -> Self {
        Self::of_events(&trace.events)
    }

    /// Reads the timeline off the first events of a trace.
    pub fn of_events(events: &[crate::trace::Event]) -> Self {
        let mut t = Self::default();
        for (i, e) in events.iter().enumerate() {
            let state = match &e.kind {
                Kind::RoleChanged { to, .. } => State::In(*to),
                Kind::Stopped { .. } => State::Stopped,
                Kind::Started { .. } => State::NoRole,
                _ => continue,
            };
            t.changes
                .entry(e.node.clone())
                .or_default()
                .push((e.at_ms, state, i));
        }
        t
    }

    /// The role of `app` at `at_ms` (after every event stamped at or before it).
    pub fn at(&self, app: &str, at_ms: u64) -> Option<Role> {
        self.state_at(app, at_ms).role()
    }

    /// What `app` is doing at `at_ms` (after every event stamped at or before it); stopped
    /// before it first starts.
    pub fn state_at(&self, app: &str, at_ms: u64) -> State {
        self.changes
            .get(app)
            .and_then(|c| c.iter().take_while(|(t, ..)| *t <= at_ms).last())
            .map_or(State::Stopped, |(_, s, _)| *s)
    }

    /// The event (its index in the trace) that put `app` in the state it has at `at_ms`;
    /// `None` before it first started.
    pub fn cause(&self, app: &str, at_ms: u64) -> Option<usize> {
        self.changes
            .get(app)
            .and_then(|c| c.iter().take_while(|(t, ..)| *t <= at_ms).last())
            .map(|(.., i)| *i)
    }

    /// When `app` first took `role` at or after `after_ms`.
    pub fn first(&self, app: &str, role: Role, after_ms: u64) -> Option<u64> {
        self.first_state(app, State::In(role), after_ms)
    }

    /// When `app` was first in `state` at or after `after_ms` (already in it then counts).
    pub fn first_state(&self, app: &str, state: State, after_ms: u64) -> Option<u64> {
        if self.state_at(app, after_ms) == state {
            return Some(after_ms);
        }
        self.changes
            .get(app)?
            .iter()
            .find(|(t, s, _)| *t > after_ms && *s == state)
            .map(|(t, ..)| *t)
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
        .map(|(at, ..)| *at)
        .collect();
    times.sort_unstable();
    times.dedup();
    let end = trace.events.last().map_or(0, |e| e.at_ms.saturating_add(1));
    let mut out: Vec<(u64, u64)> = Vec::new();
    let mut times = times.iter().peekable();
    while let Some(at) = times.next() {
        let both = t.at(a, *at) == Some(Role::Primary) && t.at(b, *at) == Some(Role::Primary);
        if !both {
            continue;
        }
        let until = times.peek().map_or(end, |next| **next);
        match out.last_mut() {
            Some(last) if last.1 == *at => last.1 = until,
            _ => out.push((*at, until)),
        }
    }
    out
}

/// Indices of the events in `w` that made `a` or `b` primary, beyond the pair's first primary
/// of the run: the promotions (switchovers, restarts into the role) that put a verdict about
/// the pair's primaries or its acknowledged events to the test. A held verdict rests on them;
/// a run without any never exercised it (the sweep's coverage).
pub fn promotions(trace: &Trace, a: &str, b: &str, w: (u64, u64)) -> Vec<usize> {
    trace
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            (e.node == a || e.node == b)
                && matches!(
                    e.kind,
                    Kind::RoleChanged {
                        to: Role::Primary,
                        ..
                    }
                )
        })
        .skip(1)
        .filter(|(_, e)| e.at_ms >= w.0 && e.at_ms <= w.1)
        .map(|(i, _)| i)
        .collect()
}
