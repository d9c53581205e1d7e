//! What judging concludes: a [`Verdict`] per expectation and invariant, typed (its kind, the
//! stretch of virtual time it judged, the events it rests on, the nearest miss) with the
//! sentence users read rendered from those. Lists in details are bounded so that a run with
//! 25,000 losses still prints a readable line.

use std::fmt;

use serde::Serialize;

use crate::tls::FailureClass;
use crate::trace::Event;

/// How many items of a list a detail names before "and N more".
pub const LIST_BOUND: usize = 10;

/// Whether a verdict judges an expectation of the scenario or an always-on invariant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VerdictKind {
    /// An `[[expect]]` of the scenario file.
    Expect,
    /// An invariant every run keeps (`[invariants]` tunes them).
    Invariant,
}

impl VerdictKind {
    /// `expect` or `invariant`, as reports name it.
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Expect => "expect",
            VerdictKind::Invariant => "invariant",
        }
    }
}

impl fmt::Display for VerdictKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The stretch of virtual time a verdict judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judged {
    /// One instant (`at = "30s"`), in ms.
    Instant(u64),
    /// A window, both ends included, in ms (`after` + `within`, or the whole run).
    Window(u64, u64),
    /// No time at all: the topology as written (`hapair check`'s findings).
    Topology,
}

impl Judged {
    /// The window in ms (an instant is a window of one ms; the topology, none).
    pub fn window(self) -> Option<(u64, u64)> {
        match self {
            Judged::Instant(t) => Some((t, t)),
            Judged::Window(a, b) => Some((a, b)),
            Judged::Topology => None,
        }
    }
}

/// How the nearest thing the trace shows differs from what was wanted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Differs {
    /// A session on another port.
    Port {
        /// The port it ran on.
        got: String,
        /// The port wanted.
        want: String,
    },
    /// A plain session where TLS was wanted.
    Plain,
    /// A TLS session where a plain one was wanted.
    NotPlain {
        /// Its TLS version.
        version: String,
    },
    /// A TLS session with another version than the one wanted.
    Version {
        /// Its version, when known.
        got: Option<String>,
    },
    /// The listener's certificate subject lacks an attribute wanted.
    Subject {
        /// The subject it had.
        got: String,
        /// The attributes wanted.
        want: String,
    },
    /// The listener sent no certificate.
    NoCertificate,
    /// A matching session, but it opened after the window.
    Late {
        /// When it opened (ms).
        opened_ms: u64,
        /// The window's end (ms).
        deadline_ms: u64,
    },
    /// A matching session, but it ended before the window.
    Early {
        /// When it opened (ms).
        opened_ms: u64,
        /// When it ended (ms).
        closed_ms: u64,
        /// The window's start (ms).
        start_ms: u64,
    },
    /// A matching session up in the window, but opened before it (a new one was wanted).
    Old {
        /// When it opened (ms).
        opened_ms: u64,
        /// The window's start (ms).
        start_ms: u64,
    },
    /// A refusal, of another class.
    Class {
        /// The class recorded.
        got: FailureClass,
    },
    /// Acknowledged, by another server.
    Server {
        /// The server that acknowledged.
        got: String,
    },
    /// The right thing at another time (the miss's `at_ms`), outside the window.
    Outside,
    /// Not converged when the run ended (the liveness phase): what was still wrong.
    Unconverged {
        /// The state at the end, in words.
        state: String,
    },
    /// A link died another way (`refused`, not `timed-out`).
    Reason {
        /// The reason recorded.
        got: String,
        /// The reason wanted.
        want: String,
    },
}

impl fmt::Display for Differs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Differs::Port { got, want } => write!(f, "on port `{got}`, not `{want}`"),
            Differs::Plain => f.write_str("in plain text (TLS off)"),
            Differs::NotPlain { version } => write!(f, "under TLS {version}, not plain"),
            Differs::Version { got } => write!(f, "under TLS {}", got.as_deref().unwrap_or("?")),
            Differs::Subject { got, want } => write!(f, "peer subject was `{got}`, not `{want}`"),
            Differs::NoCertificate => f.write_str("the peer sent no certificate"),
            Differs::Late {
                opened_ms,
                deadline_ms,
            } => write!(
                f,
                "a matching session opened only at {opened_ms} ms, after {deadline_ms} ms"
            ),
            Differs::Early {
                opened_ms,
                closed_ms,
                start_ms,
            } => write!(
                f,
                "a matching session was up from {opened_ms} to {closed_ms} ms, before \
                 {start_ms} ms"
            ),
            Differs::Old {
                opened_ms,
                start_ms,
            } => write!(
                f,
                "a matching session was up during the window, but it opened at {opened_ms} ms, \
                 before {start_ms} ms"
            ),
            Differs::Class { got } => write!(f, "as {got}"),
            Differs::Server { got } => write!(f, "by {got}"),
            Differs::Outside => f.write_str("outside the window"),
            Differs::Reason { got, want } => write!(f, "{got}, not {want}"),
            Differs::Unconverged { state } => write!(f, "still {state} at the end of the run"),
        }
    }
}

/// The nearest miss of a failed expectation: what the trace shows closest to what was wanted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Miss {
    /// When it happened (virtual ms).
    pub at_ms: u64,
    /// How it differs from what was wanted.
    #[serde(flatten)]
    pub differs: Differs,
    /// The events that show it (indices into the trace).
    pub events: Vec<usize>,
}

/// The verdict on one expectation or invariant.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// Expectation or invariant.
    pub kind: VerdictKind,
    /// What was checked, in words.
    pub what: String,
    /// Held or not.
    pub held: bool,
    /// The instant or window judged.
    pub judged: Judged,
    /// The events the verdict rests on (indices into the trace): what shows it held, or the
    /// violation itself.
    pub evidence: Vec<usize>,
    /// The nearest miss, when it failed and something came close.
    pub miss: Option<Miss>,
    /// What the trace shows instead (failures), or the evidence (held), in words: rendered
    /// from the fields above.
    pub detail: String,
    /// Line of the expectation (or step) in the scenario file; `None` for invariants of the
    /// whole run.
    pub line: Option<usize>,
    /// A few events around the failure.
    pub excerpt: Vec<Event>,
}

/// What a checker concludes; its caller adds what was checked, the window and the line.
#[derive(Clone, Debug, Default)]
pub struct Judgement {
    /// Held or not.
    pub held: bool,
    /// In words.
    pub detail: String,
    /// The events it rests on (indices into the trace).
    pub evidence: Vec<usize>,
    /// The nearest miss.
    pub miss: Option<Miss>,
    /// A few events around a failure.
    pub excerpt: Vec<Event>,
}

impl Judgement {
    /// Held, shown by these events.
    pub fn held(detail: String, evidence: Vec<usize>) -> Self {
        Self {
            held: true,
            detail,
            evidence,
            ..Self::default()
        }
    }

    /// Failed, with a few events around it.
    pub fn failed(detail: String, excerpt: Vec<Event>) -> Self {
        Self {
            held: false,
            detail,
            excerpt,
            ..Self::default()
        }
    }

    /// Held or not as `held` says, with nothing to show but words.
    pub fn plain(held: bool, detail: String) -> Self {
        Self {
            held,
            detail,
            ..Self::default()
        }
    }

    /// The same, held or not as `held` says.
    pub fn held_if(mut self, held: bool) -> Self {
        self.held = held;
        self
    }

    /// The same, resting on these events.
    pub fn with_evidence(mut self, evidence: Vec<usize>) -> Self {
        self.evidence = evidence;
        self
    }

    /// The same, with this nearest miss.
    pub fn with_miss(mut self, miss: Option<Miss>) -> Self {
        self.miss = miss;
        self
    }
}

/// The first [`LIST_BOUND`] items, then how many more there are.
pub fn bounded<T: AsRef<str>>(items: &[T]) -> String {
    let shown: Vec<&str> = items.iter().take(LIST_BOUND).map(AsRef::as_ref).collect();
    let more = items.len().saturating_sub(LIST_BOUND);
    if more == 0 {
        shown.join(", ")
    } else {
        format!("{}, and {} more", shown.join(", "), thousands(more))
    }
}

/// A count with thousands separators (`24,899`).
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && digits.len().saturating_sub(i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Windows as `19002–35007, …`, bounded like every list of a detail.
pub fn spans<'a>(windows: impl IntoIterator<Item = &'a (u64, u64)>) -> String {
    let shown: Vec<String> = windows
        .into_iter()
        .map(|(a, b)| format!("{a}–{b}"))
        .collect();
    bounded(&shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_bounded() {
        let ids: Vec<String> = (1..=24_909).map(|i| format!("desk-{i}")).collect();
        let text = bounded(&ids);
        assert!(text.starts_with("desk-1, desk-2,"), "{text}");
        assert!(text.ends_with("desk-10, and 24,899 more"), "{text}");
        assert_eq!(bounded(&["a", "b"]), "a, b");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }
}
