//! hapair: a test harness and simulator for TLS-secured high-availability server pairs of the
//! Genesys Management Framework family.
//!
//! The crate follows the data flow of the design (DESIGN §1):
//!
//! ```text
//! topology.toml ─> topology (located model) ─> rules (findings)
//!                        │
//!                        └─> pki (resolution by precedence, certificates) ─> report
//! ```
//!
//! - [`diag`]: source files, spans and located problems shared by every loader.
//! - [`topology`]: the configuration model and its TOML loader.
//! - [`rules`]: the rule catalogue; pure functions from a topology to findings.
//! - [`pki`]: which security parameters and certificates each endpoint uses.
//! - [`report`]: renderers of outcomes (human, JSON); no checking logic.
//! - [`cli`]: the clap front end; `main.rs` only parses, runs and maps to an exit code.

pub mod check;
pub mod cli;
pub mod diag;
pub mod net;
pub mod node;
pub mod pki;
pub mod report;
pub mod rules;
pub mod scenario;
pub mod sim;
pub mod tls;
pub mod topology;
pub mod trace;
pub mod wire;
