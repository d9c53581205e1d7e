//! Certificates: resolving which parameters and certificate each endpoint uses, by the
//! Genesys precedence rules (DESIGN §2–§3).

pub mod resolve;

pub use resolve::{Level, Params, Resolved};
