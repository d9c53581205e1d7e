//! `hapair probe ENDPOINT... [--topology T --app NAME]`: the arguments turned into a probe plan
//! (targets, trusted CAs, client certificate), the probe run, the report printed, and the exit
//! code taken from the worst finding (0 up to low, 1 from medium, 2 bad input, 3 internal).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;

use super::{Format, Outcome, colour, input, out, parse_clock};
use crate::pki::{paths, pem};
use crate::probe::{self, Options, Resolve, Target, Trust};
use crate::report;
use crate::topology::pki::PemFiles;

/// Endpoints probed at once.
const PARALLEL: usize = 8;

/// Arguments of `hapair probe`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Endpoints: HOST:PORT, IPV4:PORT or [IPV6]:PORT.
    #[arg(value_name = "ENDPOINT")]
    pub endpoints: Vec<String>,
    /// Topology file (or scenario): probe `--app` and its HA partner at the hosts and ports
    /// it gives, and run the pair checks.
    #[arg(long, value_name = "FILE", requires = "app")]
    pub topology: Option<PathBuf>,
    /// The application to probe, with its partner (`--topology`).
    #[arg(long, value_name = "NAME", requires = "topology")]
    pub app: Option<String>,
    /// Connect to ADDR for host NAME (a topology host's name or key), as curl's --resolve.
    #[arg(long = "resolve", value_name = "NAME=ADDR")]
    pub resolve: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Seconds each network step may take (resolving, connecting, each handshake); 1 to 300.
    #[arg(long, value_name = "SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout: u64,
    /// Trusted CA certificates (PEM, several per file allowed): roots anchor, the others are
    /// intermediates a server should send. With `--topology`, the default is the topology's
    /// certificate folder (`--certs`).
    #[arg(long, value_name = "PEM")]
    pub ca: Vec<PathBuf>,
    /// The certificate folder `hapair certs gen` wrote (default: certs/TOPOLOGY-NAME): its
    /// CAs are the trusted CAs when no --ca is given.
    #[arg(long, value_name = "DIR", requires = "topology")]
    pub certs: Option<PathBuf>,
    /// Client certificate (chain, leaf first) for servers that ask for one (mutual TLS).
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<PathBuf>,
    /// The client certificate's private key.
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Name to send as SNI and to check the certificate against (default: the endpoint's
    /// host, or the topology's host name).
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// Instant validity and days left are judged at, RFC 3339 (default: now).
    #[arg(long, value_name = "RFC3339", value_parser = parse_clock)]
    pub clock: Option<OffsetDateTime>,
}

/// Runs `hapair probe`.
pub(super) fn execute(args: &Args) -> Outcome {
    match plan(args) {
        Ok((targets, resolve, opts, notes)) => {
            let mut report = probe::run(&targets, &resolve, &opts, PARALLEL);
            report.pair.splice(0..0, notes);
            let text = match args.format {
                Format::Human => Ok(report::probe::human(&report, colour())),
                Format::Json => report::probe::json(&report, opts.now),
            };
            match text {
                Ok(text) => {
                    let outcome = if report.worst().fails() {
                        Outcome::Failed
                    } else {
                        Outcome::Held
                    };
                    out::print_then(&text, outcome)
                }
                Err(e) => {
                    out::eprint(&format!("error: cannot write the report: {e}\n"));
                    Outcome::Internal
                }
            }
        }
        Err(outcome) => outcome,
    }
}

type Plan = (Vec<Target>, Resolve, Options, Vec<probe::Finding>);

fn bad(message: &str) -> Outcome {
    out::eprint(&format!("error: {message}\n"));
    Outcome::BadInput
}

fn plan(args: &Args) -> Result<Plan, Outcome> {
    let mut resolve = Resolve::parse(&args.resolve).map_err(|e| bad(&e))?;
    let mut targets = args
        .endpoints
        .iter()
        .map(|e| Target::parse(e))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(&e))?;
    let mut notes = Vec::new();
    let mut trust = trust_from_files(&args.ca)?;
    if let (Some(path), Some(app)) = (&args.topology, &args.app) {
        let input = input::load(path).map_err(|outcome| {
            out::print_then(
                &report::human::check(&[outcome], colour()),
                Outcome::BadInput,
            )
        })?;
        let t = input.topology();
        let (placed, found) = probe::pair::plan(t, app, &mut resolve).map_err(|e| bad(&e))?;
        targets.extend(placed);
        notes = found;
        if args.ca.is_empty() {
            trust = trust_from_folder(args.certs.as_deref(), &t.name)?;
        }
    }
    if targets.is_empty() {
        return Err(bad(
            "nothing to probe: give ENDPOINTs (HOST:PORT), or --topology FILE --app NAME",
        ));
    }
    let client = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => Some(client_key(cert, key)?),
        _ => None,
    };
    let opts = Options {
        timeout: Duration::from_secs(args.timeout),
        trust,
        client,
        sni: args.sni.clone(),
        now: args.clock.unwrap_or_else(OffsetDateTime::now_utc),
    };
    Ok((targets, resolve, opts, notes))
}

fn pki_error(e: &crate::pki::PkiError) -> Outcome {
    bad(&e.to_string())
}

fn read_cas(path: &Path) -> Result<Vec<CertificateDer<'static>>, Outcome> {
    let bytes = pem::read_pem_bytes(path).map_err(|e| pki_error(&e))?;
    paths::bundle_from_bytes(path, &bytes).map_err(|e| pki_error(&e))
}

fn trust_from_files(files: &[PathBuf]) -> Result<Trust, Outcome> {
    let mut cas = Vec::new();
    for f in files {
        cas.extend(read_cas(f)?);
    }
    let source = files
        .iter()
        .map(|f| format!("--ca {}", f.display()))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Trust::from_cas(source, dedup(cas)))
}

/// The CAs of a certificate folder: `ca/*.pem` (roots and intermediates) and `ca-bundle.pem`.
fn trust_from_folder(dir: Option<&Path>, topology: &str) -> Result<Trust, Outcome> {
    let (dir, given) = match dir {
        Some(d) => (d.to_path_buf(), true),
        None => match crate::pki::store::default_dir(topology) {
            Ok(d) => (d, false),
            Err(_) => return Ok(Trust::default()),
        },
    };
    if !dir.is_dir() {
        return if given {
            Err(bad(&format!("--certs {}: no such folder", dir.display())))
        } else {
            Ok(Trust::default())
        };
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("ca"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "pem"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let bundle = dir.join("ca-bundle.pem");
    if bundle.is_file() {
        files.push(bundle);
    }
    let mut cas = Vec::new();
    for f in &files {
        cas.extend(read_cas(f)?);
    }
    Ok(Trust::from_cas(
        format!("the CAs of {}", dir.display()),
        dedup(cas),
    ))
}

fn dedup(cas: Vec<CertificateDer<'static>>) -> Vec<CertificateDer<'static>> {
    let mut out: Vec<CertificateDer<'static>> = Vec::new();
    for c in cas {
        if !out.iter().any(|o| o.as_ref() == c.as_ref()) {
            out.push(c);
        }
    }
    out
}

fn client_key(cert: &Path, key: &Path) -> Result<Arc<rustls::sign::CertifiedKey>, Outcome> {
    let files = PemFiles {
        cert: cert.to_path_buf(),
        key: Some(key.to_path_buf()),
    };
    let user = pem::load(&files).map_err(|e| pki_error(&e))?;
    let Some(key_material) = user.key else {
        return Err(bad(&format!("{}: no private key", key.display())));
    };
    let signing = rustls::crypto::ring::sign::any_supported_type(&key_material.der)
        .map_err(|e| bad(&format!("{}: the key cannot sign: {e}", key.display())))?;
    Ok(Arc::new(rustls::sign::CertifiedKey::new(
        user.chain, signing,
    )))
}
