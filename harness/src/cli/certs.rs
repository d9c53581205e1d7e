//! `hapair certs …`: the topology's certificates. `certs gen` generates (or reuses) the PKI of
//! a topology under `certs/<topology-name>/` and says which files it wrote; key contents are
//! never printed.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, Time};

use super::input::{self, Input};
use super::{Format, Outcome, colour, out, parse_clock};
use crate::pki::store::{self, FileKind, Freshness};
use crate::report;

/// The `certs` subcommands.
#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    /// Generate the topology's CAs and certificates as PEM files (reused while its pki
    /// section, the clock and the user's PEM files are unchanged).
    Gen {
        /// Topology file, or a scenario file (its topology with its `[pki]` overrides).
        topology: PathBuf,
        /// Folder to write to (default: certs/TOPOLOGY-NAME, for a scenario certs/FILE-STEM).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Reference instant for relative validity, RFC 3339 (default: a scenario's clock, the
        /// clock of the topology's pki section, else today 00:00 UTC).
        #[arg(long, value_name = "RFC3339", value_parser = parse_clock)]
        clock: Option<OffsetDateTime>,
    },
    /// Show, for every port, connection and HA link, the certificate, key, trusted CA and TLS
    /// options in force, and the level each came from.
    Show {
        /// Topology file, or a scenario file (its topology with its `[pki]` overrides).
        topology: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Instant validity is shown at, RFC 3339 (default: a scenario's clock, the topology's
        /// pki clock, else now).
        #[arg(long, value_name = "RFC3339", value_parser = parse_clock)]
        clock: Option<OffsetDateTime>,
    },
}

/// Runs a `certs` subcommand.
pub(super) fn run(command: CertsCommand) -> Outcome {
    match command {
        CertsCommand::Gen {
            topology,
            out,
            clock,
        } => gen_certs(&topology, out.as_deref(), clock),
        CertsCommand::Show {
            topology,
            format,
            clock,
        } => show(&topology, format, clock),
    }
}

fn gen_certs(path: &Path, out: Option<&Path>, clock: Option<OffsetDateTime>) -> Outcome {
    let input = match load(path) {
        Ok(input) => input,
        Err(outcome) => return outcome,
    };
    let topology = input.topology();
    let clock = clock
        .or(input.clock())
        .unwrap_or_else(|| OffsetDateTime::now_utc().replace_time(Time::MIDNIGHT));
    let dir = match out {
        Some(dir) => dir.to_path_buf(),
        None => match store::default_dir(&input.certs_name()) {
            Ok(dir) => dir,
            Err(e) => {
                out::eprint("hint: name the folder with --out DIR\n");
                return fail(&e);
            }
        },
    };
    let (material, freshness) = match store::ensure(&dir, &topology.pki, clock) {
        Ok(done) => done,
        Err(e) => return fail_at(&input, &e),
    };
    let files = match store::files(&material) {
        Ok(files) => files,
        Err(e) => return fail(&e),
    };
    let verb = match freshness {
        Freshness::Created => "generated",
        Freshness::Regenerated => "regenerated (the [pki] section, clock or PEM files changed)",
        Freshness::Reused => "reused (unchanged since the last run)",
    };
    let clock_text = clock.format(&Rfc3339).unwrap_or_else(|_| clock.to_string());
    let mut text = format!(
        "{}: {} CA(s), {} certificate(s) {verb}\n  folder {}  clock {clock_text}\n",
        input.certs_name(),
        material.cas.len(),
        material.certs.len(),
        dir.display()
    );
    for f in &files {
        let note = match f.kind {
            FileKind::Key => "  (private key, mode 0600)",
            FileKind::Bundle => "  (root CAs: the trust store)",
            FileKind::Chain => "  (sent in the handshake, leaf first)",
            FileKind::Certificate | FileKind::Stamp => "",
        };
        text.push_str(&format!("  {}{note}\n", dir.join(&f.path).display()));
    }
    out::print_then(&text, Outcome::Held)
}

/// Loads the topology or scenario, printing its problems as `hapair check` does when it is
/// not valid.
fn load(path: &Path) -> Result<Input, Outcome> {
    input::load(path).map_err(|outcome| {
        out::print_then(
            &report::human::check(&[outcome], colour()),
            Outcome::BadInput,
        )
    })
}

/// As [`fail`], prefixed with the place of the `[pki]` entry the error is about.
fn fail_at(input: &Input, e: &crate::pki::PkiError) -> Outcome {
    if let Some((source, span)) = input.locate(e) {
        let l = source.locate(span.start);
        out::eprint(&format!(
            "{}:{}:{}: ",
            source.path.display(),
            l.line,
            l.column
        ));
    }
    fail(e)
}

fn fail(e: &crate::pki::PkiError) -> Outcome {
    out::eprint(&format!("error: {e}\n"));
    if e.is_bad_input() {
        Outcome::BadInput
    } else {
        Outcome::Internal
    }
}

fn show(path: &Path, format: Format, clock: Option<OffsetDateTime>) -> Outcome {
    let input = match load(path) {
        Ok(input) => input,
        Err(outcome) => return outcome,
    };
    let clock = clock
        .or(input.clock())
        .unwrap_or_else(OffsetDateTime::now_utc);
    let render = match format {
        Format::Human => report::table::human,
        Format::Json => report::table::json,
    };
    match report::table::render(input.topology(), clock, render) {
        Ok(text) => out::print_then(&text, Outcome::Held),
        Err(e) => fail_at(&input, &e),
    }
}
