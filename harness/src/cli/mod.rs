//! The command-line front end: clap definitions, and one function per command that turns
//! arguments into an [`Outcome`]. Output goes to stdout; `main` maps the outcome to an exit code.

mod certs;
mod check;
mod input;
mod merge;
mod node;
mod options;
mod out;
mod probe;
mod rehearse;
mod report;
mod rules;
mod run;
mod shrink;
mod sweep;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub use certs::CertsCommand;

/// How a command ended, as DESIGN §7 numbers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything held (exit 0).
    Held,
    /// A rule, expectation or invariant failed (exit 1).
    Failed,
    /// Bad input: usage, an unreadable or invalid file (exit 2).
    BadInput,
    /// The harness itself failed (exit 3).
    Internal,
}

impl Outcome {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Held => 0,
            Outcome::Failed => 1,
            Outcome::BadInput => 2,
            Outcome::Internal => 3,
        }
    }
}

/// Output format of reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people, with source excerpts.
    Human,
    /// Versioned JSON (see docs/json.md).
    Json,
}

/// Severities `--deny` can turn into failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Deny {
    /// Fail (exit 1) on warnings too.
    Warnings,
}

/// hapair: rehearse switchovers of TLS-secured Genesys HA pairs.
#[derive(Debug, Parser)]
#[command(name = "hapair", version, about, propagate_version = true)]
pub struct Cli {
    /// More log output on stderr (-v: debug, -vv: trace); RUST_LOG overrides. Simulation
    /// events carry their virtual time (`at_ms`); no wall-clock stamp is printed.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Log formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Lines for people.
    Text,
    /// JSON lines for machines.
    Json,
}

/// Sends `tracing` output to stderr when asked for (`-v` or `RUST_LOG`).
fn logs(verbose: u8, format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => {
            return if std::env::var_os("RUST_LOG").is_some() {
                init(EnvFilter::from_default_env(), format)
            };
        }
        1 => "hapair=debug",
        _ => "hapair=trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    init(filter, format);
}

fn init(filter: tracing_subscriber::EnvFilter, format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false);
    // A second initialisation (tests calling run twice) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check topology files (or the topologies of scenario files, with their `[pki]`
    /// overrides) against the HA/TLS rule catalogue.
    Check {
        /// Topology or scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Treat warnings as failures.
        #[arg(long, value_enum)]
        deny: Option<Deny>,
        /// Instant certificate validity is judged at, RFC 3339 (default: a scenario's clock,
        /// the topology's `[pki] clock`, else now). Generated certificates are made relative
        /// to it.
        #[arg(long, value_name = "RFC3339", value_parser = parse_clock)]
        clock: Option<OffsetDateTime>,
    },
    /// List the rules of the catalogue.
    Rules {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Explain one rule (what it says, why, a bad and a good example), or list the Genesys
    /// options hapair honours (`options`), or explain one (`addp-timeout`).
    Explain {
        /// Rule ID (e.g. HA-SYNC-PORT-CERT), `options`, or an option (`KEY` or `SECTION.KEY`).
        id: String,
    },
    /// Run scenario files (default: the suite in scenarios/) in the simulator, or on real
    /// loopback sockets and timers (`--live`).
    Run {
        /// Scenario files or folders (folders: every .toml outside `topologies/`).
        #[arg(default_value = "scenarios")]
        paths: Vec<PathBuf>,
        /// Run every scenario with this seed instead of its own.
        #[arg(long, conflicts_with = "seeds")]
        seed: Option<u64>,
        /// Run every scenario with N seeds: its own and the N-1 after it (1 to 100000).
        #[arg(long, value_name = "N", default_value_t = 1,
              value_parser = clap::value_parser!(u64).range(1..=crate::limits::MAX_SEEDS))]
        seeds: u64,
        /// Only scenarios whose path contains this text.
        #[arg(long)]
        filter: Option<String>,
        /// Run only shard I of N (`--shard 2/4`): each scenario's seeds are dealt by offset,
        /// so N machines cover them exactly once (`hapair merge` joins their files).
        #[arg(long, value_name = "I/N")]
        shard: Option<crate::sweep::Shard>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = run::RunFormat::Human)]
        format: run::RunFormat,
        /// Write per-scenario trace.jsonl, report.json, tls-table.json, and a junit.xml and a
        /// report.html for the whole run here.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Scenario runs done at once (default: the number of cores).
        #[arg(long, short = 'j', value_parser = parse_jobs)]
        jobs: Option<usize>,
        /// Wall-clock seconds one scenario run may take before it is stopped and reported
        /// (the rest of the run goes on; exit 3). 1 to 86400.
        #[arg(long, value_name = "SECS", default_value_t = 600,
              value_parser = clap::value_parser!(u64).range(1..=86_400))]
        timeout: u64,
        /// Run on real sockets and timers instead of the simulator: each host on its own
        /// loopback address (127.0.1.1, 127.0.1.2, ...), faults through the in-process fault
        /// proxy. One run per scenario (`--seeds` is refused): a live run is not
        /// deterministic, its seed only draws the switch's calls and lost chunks. Scenarios
        /// marked `simulation-only` are skipped with their reason. Runs one at a time unless
        /// `--jobs` says otherwise.
        #[arg(long, conflicts_with_all = ["seeds", "shard"])]
        live: bool,
        /// With `--live`: virtual time runs K times faster than real time (timeouts shrink K
        /// times; the trace and the expectations stay in the scenario's time). 1 to 1000.
        #[arg(long, value_name = "K", default_value_t = 1, requires = "live",
              value_parser = clap::value_parser!(u32).range(1..=1000))]
        time_scale: u32,
        /// With `--live`: the first host's address instead of 127.0.1.1 (the next hosts count
        /// up from it); the only way to bind anything but 127.0.1.x.
        #[arg(long, value_name = "ADDR", requires = "live")]
        bind: Option<std::net::Ipv4Addr>,
    },
    /// Sweep scenarios over many seeds, each seed adding a fault schedule drawn from it and a
    /// liveness phase; group the failures by signature, and shrink them (`--shrink`).
    Sweep(sweep::Args),
    /// Shrink one failing seed of a sweep to the smallest scenario file that still fails the
    /// same way, and print its replay command.
    Shrink(shrink::Args),
    /// Merge the JSON and JUnit files of a sharded sweep (or run) into one.
    Merge(merge::Args),
    /// Render the HTML or Markdown report of a run again from its `--out` folder.
    Report(report::Args),
    /// Rehearse a rolling change from one topology to another: every intermediate state
    /// run in the simulator, which step breaks which connection, and a safe order.
    Rehearse(rehearse::Args),
    /// Probe real TLS endpoints (protocol versions, cipher, chain, trust, names, key,
    /// days left), and with --topology the HA pair's ports; exit 1 on a medium finding or
    /// worse.
    Probe(probe::Args),
    /// Run one application's host (`--app`) or the SCS (`--scs`) as a process of its own, on
    /// real sockets; the processes find each other through `--dir` (see README, live mode).
    Node(node::NodeArgs),
    /// Merge the traces `hapair node` processes wrote in their folders, by time, and print
    /// them as JSON lines.
    MergeTraces(node::MergeTracesArgs),
    /// The topology's certificates.
    Certs {
        /// What to do with them.
        #[command(subcommand)]
        command: CertsCommand,
    },
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Outcome {
    logs(cli.verbose, cli.log_format);
    match cli.command {
        Command::Check {
            files,
            format,
            deny,
            clock,
        } => check::run(&files, format, deny.is_some(), clock),
        Command::Rules { format } => rules::list(format),
        Command::Explain { id } => rules::explain(&id),
        Command::Certs { command } => certs::run(command),
        Command::Sweep(args) => sweep::execute(&args),
        Command::Shrink(args) => shrink::execute(&args),
        Command::Merge(args) => merge::execute(&args),
        Command::Report(args) => report::execute(&args),
        Command::Rehearse(args) => rehearse::execute(&args),
        Command::Probe(args) => probe::execute(&args),
        Command::Node(args) => node::execute(&args),
        Command::MergeTraces(args) => node::merge_traces(&args),
        Command::Run {
            paths,
            seed,
            seeds,
            filter,
            shard,
            format,
            out,
            jobs,
            timeout,
            live,
            time_scale,
            bind,
        } => run::execute(&run::Options {
            paths,
            seed,
            seeds,
            filter,
            shard,
            format,
            out,
            jobs: jobs.unwrap_or_else(|| {
                if live {
                    1
                } else {
                    crate::runner::pool::default_workers()
                }
            }),
            timeout: std::time::Duration::from_secs(timeout),
            live: live.then(|| crate::live::Options {
                time_scale,
                first: bind.unwrap_or(crate::net::live::FIRST_ADDRESS),
                announce: true,
            }),
        }),
    }
}

/// Parses a `--clock` value (years 1970 to 9899, as a file's `clock`).
fn parse_clock(text: &str) -> Result<OffsetDateTime, String> {
    let text_q = crate::limits::quoted(text);
    let t = OffsetDateTime::parse(text, &Rfc3339).map_err(|e| {
        format!("`{text_q}` is not an RFC 3339 instant such as 2026-06-01T00:00:00Z ({e})")
    })?;
    crate::limits::check_clock(t)?;
    Ok(t)
}

/// Parses `--jobs`: 1 to 1024 threads.
fn parse_jobs(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{}` is not a number of jobs from 1 to 1024",
            crate::limits::quoted(text)
        )),
    }
}

/// Whether stdout is a terminal that takes colour.
fn colour() -> bool {
    use std::io::IsTerminal;
    crate::report::use_colour(std::io::stdout().is_terminal())
}
