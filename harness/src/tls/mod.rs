//! TLS: rustls configurations built from an endpoint's resolved parameters and material, a
//! virtual-time [`TimeProvider`](rustls::time_provider::TimeProvider), and the one
//! classification of handshake failures that traces and expectations use.
//!
//! Everything uses the ring provider and no process-wide default; resumption is disabled so
//! every connection performs (and judges) a full handshake.

pub(crate) mod classify;
pub(crate) mod config;
pub(crate) mod keys;
pub mod memory;
pub mod sides;
pub(crate) mod time;
pub(crate) mod verify;

pub use classify::{FailureClass, classify, describe};
pub use config::{ClientSide, Identity, ServerSide, TlsError, client_config, server_config};
pub use time::VirtualTime;
