//! Certificates: resolving which parameters and certificate each endpoint uses, by the
//! Genesys precedence rules (DESIGN §2–§3), and the key material behind them: generated with
//! rcgen (`generate`), loaded from the user's PEM files (`pem`), written to and reused from the
//! certificate folder (`store`), and read back for display (`inspect`).

pub mod endpoint;
pub(crate) mod error;
pub(crate) mod generate;
pub mod inspect;
mod keygen;
mod layout;
pub(crate) mod material;
pub mod paths;
pub mod pem;
pub(crate) mod resolve;
pub(crate) mod store;
pub(crate) mod subject;

pub use error::PkiError;
pub use generate::{Reissue, generate, reissue};
pub use inspect::{CertInfo, Inspected, inspect};
pub use material::{CaMaterial, KeyMaterial, LeafMaterial, Material};
pub use resolve::{Level, Params, Resolved};
pub use store::{Freshness, ensure};

#[cfg(test)]
mod testkit;
