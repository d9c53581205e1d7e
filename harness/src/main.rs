//! The `hapair` binary: parse the command line, run, map the outcome to an exit code.

#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::expect_used,
    clippy::todo,
    clippy::unimplemented,
    clippy::unreachable
)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = hapair::cli::Cli::parse();
    ExitCode::from(hapair::cli::run(cli).code())
}
