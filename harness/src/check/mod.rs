//! Judging a run: each expectation of the scenario and each invariant against the trace,
//! into typed [`Verdict`]s. One file per expectation kind (`expect/`) and per invariant
//! (`invariant/`), over views of the trace that several of them share: roles over time
//! (`roles`), sessions (`session`), acknowledged events lost (`loss`), what the IDBs of an
//! ICON set stored (`stored`). Checkers match the trace's typed events, never their words, and
//! only read: they change nothing.

pub mod evidence;
pub mod expect;
pub mod history;
pub mod invariant;
pub mod liveness;
pub mod loss;
pub mod loss_class;
pub mod roles;
pub mod session;
pub mod stored;
pub mod verdict;

pub use expect::{Context, expectations};
pub use invariant::invariants;
pub use loss::lost_acknowledged;
pub use roles::{Timeline, primaries_windows};
pub use session::{Session, sessions, subject_matches};
pub use verdict::{
    Differs, Judged, Judgement, LIST_BOUND, Miss, Verdict, VerdictKind, bounded, thousands,
};
