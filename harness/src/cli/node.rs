//! `hapair node`: one application's host (or the SCS) as a process of its own, finding the
//! other processes through a shared folder ([`crate::live::node`]); and `hapair merge-traces`:
//! the traces those processes wrote, as one, ordered by time.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::rc::Rc;

use time::OffsetDateTime;

use super::{Outcome, out};
use crate::live::node::{self, NodeError, NodeOptions, Part};

/// `hapair node`'s arguments.
#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    /// The topology (or a scenario, for its topology).
    #[arg(long, value_name = "FILE")]
    pub topology: PathBuf,
    /// Run this application's host: its LCA, and the applications the topology places there.
    #[arg(
        long,
        value_name = "NAME",
        required_unless_present = "scs",
        conflicts_with = "scs"
    )]
    pub app: Option<String>,
    /// Run the Management Layer's SCS (on its host).
    #[arg(long)]
    pub scs: bool,
    /// The folder the processes share: addresses (`HOST.addr`), the epoch, the certificates,
    /// and each process's trace (`NAME.trace.jsonl`).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// The shared start of virtual time, unix milliseconds (default: the folder's `epoch`
    /// file, written by the first process).
    #[arg(long, value_name = "MS")]
    pub epoch: Option<u64>,
    /// Virtual time runs K times faster than real time (as `run --live`). 1 to 1000.
    #[arg(long, value_name = "K", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub time_scale: u32,
    /// The host's address instead of 127.0.1.x (its place among the topology's hosts).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<Ipv4Addr>,
    /// The certificates' clock (default: the epoch's day at midnight UTC; every process of
    /// the folder must use the same).
    #[arg(long, value_parser = super::parse_clock)]
    pub clock: Option<OffsetDateTime>,
    /// Seed of the switch's calls.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// `hapair merge-traces`'s arguments.
#[derive(Debug, clap::Args)]
pub struct MergeTracesArgs {
    /// Folders holding `*.trace.jsonl` files (`hapair node --dir`).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
}

fn failed(e: &NodeError, what: &str) -> Outcome {
    out::eprint(&format!("hapair {what}: {e}\n"));
    match e {
        NodeError::BadInput(_) => Outcome::BadInput,
        NodeError::Internal(_) => Outcome::Internal,
    }
}

/// Runs `hapair node` until SIGTERM or SIGINT.
pub(super) fn execute(args: &NodeArgs) -> Outcome {
    let input = match super::input::load(&args.topology) {
        Ok(input) => input,
        Err(outcome) => {
            return out::print_then(
                &crate::report::human::check(&[outcome], super::colour()),
                Outcome::BadInput,
            );
        }
    };
    let part = match &args.app {
        Some(name) => Part::App(name.clone()),
        None => Part::Scs,
    };
    let options = NodeOptions {
        part,
        dir: args.dir.clone(),
        epoch: args.epoch,
        time_scale: args.time_scale,
        bind: args.bind,
        clock: args.clock.or(input.clock()),
        seed: args.seed,
    };
    let topology = match input {
        super::input::Input::Topology(t) => Rc::new(*t),
        super::input::Input::Scenario(s) => Rc::clone(&s.topology),
    };
    match node::run(topology, &options) {
        Ok(()) => Outcome::Held,
        Err(e) => failed(&e, "node"),
    }
}

/// Prints the merged trace as JSON lines.
pub(super) fn merge_traces(args: &MergeTracesArgs) -> Outcome {
    match node::merge_traces(&args.dirs) {
        Ok(trace) => out::print_then(&trace.to_jsonl(), Outcome::Held),
        Err(e) => failed(&e, "merge-traces"),
    }
}
