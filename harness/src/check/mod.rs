//! Checks over a trace: the questions expectations and invariants ask (what role did an
//! application have, which acknowledged events did the pair lose, when were there two
//! primaries). Checkers only read the trace; they never change anything.

pub mod loss;
pub mod roles;
pub mod session;

pub use loss::lost_acknowledged;
pub use roles::{State, Timeline, primaries_windows};
pub use session::{Session, sessions, subject_matches};
