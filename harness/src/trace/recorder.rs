//! The recorder nodes append events to: in memory for the run, and, for `hapair node`, also
//! to a file, one JSON line an event, flushed at once.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use super::{Event, Kind};

/// Where nodes append events; cheap to clone (one simulation, one thread).
#[derive(Clone, Default)]
pub struct Recorder {
    events: Rc<RefCell<Vec<Event>>>,
    /// Where each event is also written as a JSON line, flushed at once (`hapair node`).
    sink: Option<Rc<RefCell<Box<dyn std::io::Write>>>>,
}

impl Recorder {
    /// A recorder that also writes each event to `sink` as one JSON line, flushed at once (a
    /// process killed mid-run leaves every event recorded before).
    pub fn writing_to(sink: Box<dyn std::io::Write>) -> Self {
        Self {
            events: Rc::default(),
            sink: Some(Rc::new(RefCell::new(sink))),
        }
    }

    /// Appends an event stamped `at`.
    pub fn emit(&self, at: Duration, node: &str, kind: Kind) {
        let at_ms = u64::try_from(at.as_millis()).unwrap_or(u64::MAX);
        tracing::debug!(target: "hapair::trace", at_ms, node, ?kind);
        let event = Event {
            at_ms,
            node: node.to_string(),
            kind,
        };
        if let Some(sink) = &self.sink {
            use std::io::Write as _;
            let mut line = serde_json::to_string(&event).unwrap_or_default();
            line.push('\n');
            let mut sink = sink.borrow_mut();
            if let Err(e) = sink.write_all(line.as_bytes()).and_then(|()| sink.flush()) {
                tracing::warn!("cannot write the trace: {e}");
            }
        }
        self.events.borrow_mut().push(event);
    }

    /// How many events are recorded.
    pub fn len(&self) -> usize {
        self.events.borrow().len()
    }

    /// Whether nothing is recorded yet.
    pub fn is_empty(&self) -> bool {
        self.events.borrow().is_empty()
    }

    /// Everything recorded so far.
    pub fn events(&self) -> Vec<Event> {
        self.events.borrow().clone()
    }
}
