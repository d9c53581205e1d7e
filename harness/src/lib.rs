//! hapair: a test harness and simulator for TLS-secured high-availability server pairs of the
//! Genesys Management Framework family.
//!
//! The crate follows the data flow of the design (DESIGN §1):
//!
//! ```text
//! topology.toml ─┐                                   ┌─> report: human | json | junit
//! scenario.toml ─┼─> load (spans) ─> rules ─> plan ──┤
//! PEM files ─────┘        │            │             └─> sim: nodes over net (turmoil) + TLS
//!                    diagnostics   findings                │
//!                                                  trace (typed events, virtual time)
//!                                                          └─> check / verdicts
//! ```
//!
//! - [`diag`]: source files, spans and located problems shared by every loader.
//! - [`topology`]: the configuration model and its TOML loader.
//! - [`rules`]: the rule catalogue; pure functions from a topology to findings.
//! - [`pki`]: resolution by precedence, generated and user certificates, endpoints and links.
//! - [`tls`]: rustls configurations, virtual time, the classification of handshake failures.
//! - [`net`]: the network seam (turmoil today; real sockets slot in beside it).
//! - [`wire`]: the simulated servers' framed protocol.
//! - [`node`]: applications by role (listeners, outbound connections, HA link), LCA and SCS;
//!   generic over [`net::Net`].
//! - [`fault`]: the faults a run injects, as data (scenario files, plans, sweeps).
//! - [`engine`]: the engine seam: the world of nodes assembled on an engine, steps applied at
//!   their instants (faults on nodes through the board, on the network through the engine).
//! - [`sim`]: the simulated engine (turmoil): a topology, steps and a seed in, a trace out.
//! - [`live`]: the live engine: the same world on real loopback sockets and real timers,
//!   time scaled (`hapair run --live`).
//! - [`trace`]: typed events stamped with virtual time; the only input of checks.
//! - [`check`]: judging a run: each expectation and invariant against the trace, into typed
//!   verdicts (one file per expectation kind and per invariant).
//! - [`scenario`]: scenario files (steps, expectations, invariant settings) and running them.
//! - [`execute`]: one scenario under one seed: its PKI once, the rules, the engine, the
//!   verdicts.
//! - [`runner`]: running in bulk: discovery, seeds, parallel jobs, isolation, artefacts.
//! - [`shrink`]: a sweep's failing seed reduced to the smallest scenario file that fails
//!   the same way.
//! - [`probe`]: `hapair probe`: the TLS facts of real endpoints and the HA pair checks, from
//!   real rustls handshakes (no simulation).
//! - [`report`]: renderers (human, JSON, JUnit, the TLS table); no checking logic.
//! - [`cli`]: the clap front end; `main.rs` only parses, runs and maps to an exit code.

// No panic on what a user or a peer feeds hapair: library code (not its unit tests, which
// may `expect` and index freely) does checked or saturating arithmetic, `.get()` instead of
// indexing, returns errors instead of panicking, and leaves no `todo!()` (`unwrap_used` is a
// workspace lint).
#![cfg_attr(
    not(test),
    deny(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::expect_used,
        clippy::todo,
        clippy::unimplemented,
        clippy::unreachable
    )
)]

// Same scenario + seed → same trace needs turmoil to seed every host runtime's RNG, which
// tokio only allows under `--cfg tokio_unstable` (`.cargo/config.toml`). A `RUSTFLAGS`
// environment variable replaces that file's flags silently, so refuse such a build outright.
#[cfg(not(tokio_unstable))]
compile_error!(
    "hapair must be built with `--cfg tokio_unstable` (its traces are deterministic only then). \
     `.cargo/config.toml` sets it, but a RUSTFLAGS environment variable replaces that setting: \
     unset RUSTFLAGS, or include the flag, e.g. RUSTFLAGS=\"--cfg tokio_unstable -D warnings\"."
);

pub mod check;
pub mod cli;
pub mod cti;
pub mod diag;
pub mod engine;
pub mod execute;
pub mod fault;
pub mod idb;
pub mod limits;
pub mod live;
pub mod merge;
pub mod net;
pub mod node;
pub mod pki;
pub mod probe;
pub mod rehearse;
pub mod report;
pub mod rules;
pub mod runner;
pub mod scenario;
pub mod shard;
pub mod shrink;
pub mod sim;
pub mod splitmix;
pub mod sweep;
pub mod tls;
pub mod topology;
pub mod trace;
pub mod wire;
