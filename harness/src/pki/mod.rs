//! Certificates: resolving which parameters and certificate each endpoint uses, by the
//! Genesys precedence rules (DESIGN §2–§3), and the key material behind them.

pub mod material;
pub mod resolve;

pub use material::{CaMaterial, KeyMaterial, LeafMaterial, Material};
pub use resolve::{Level, Params, Resolved};
