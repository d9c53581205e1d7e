//! PKI generation cost: `hapair::pki::generate` on the reference topologies
//! (`scenarios/topologies/*.toml`) against rcgen's own cost of one leaf (a P-256 key and a
//! certificate signed by a ready CA, called directly), measured interleaved in the same run.
//!
//! The per-leaf time of a topology is a whole `generate` (its CAs included) divided by its
//! leaves; the target is a ratio of at most 1.5 to rcgen's per-leaf cost. Run with
//! `cargo bench --bench pki` (or `ci/bench`). Under `cargo test` (no `--bench` argument) it
//! runs each measurement once, as a smoke test.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hapair::topology::{self, Topology};
use rcgen::{
    BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use time::OffsetDateTime;
use time::macros::datetime;

/// The reference instant: fixed, so runs are comparable.
const CLOCK: OffsetDateTime = datetime!(2030-06-01 08:00:00 UTC);

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let rounds = if benching { 300 } else { 1 };
    let topologies = reference_topologies();
    let ca = rcgen_ca();
    println!(
        "pki generation, median of {rounds} rounds (release build: {})",
        !cfg!(debug_assertions)
    );
    println!(
        "{:<16} {:>6} {:>4} {:>12} {:>12} {:>12} {:>12} {:>7} {:>7}",
        "topology",
        "leaves",
        "CAs",
        "per run",
        "CAs alone",
        "per leaf",
        "rcgen/leaf",
        "ratio",
        "no-CA"
    );
    let mut worst: Option<f64> = None;
    for t in &topologies {
        let leaves = t.pki.certs.len();
        let cas_only = hapair::topology::PkiSpec {
            certs: Vec::new(),
            ..t.pki.clone()
        };
        let mut ours = Vec::with_capacity(rounds);
        let mut cas = Vec::with_capacity(rounds);
        let mut theirs = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            ours.push(time(|| {
                let m = hapair::pki::generate(&t.pki, CLOCK).expect("reference PKI generates");
                std::hint::black_box(m);
            }));
            cas.push(time(|| {
                let m = hapair::pki::generate(&cas_only, CLOCK).expect("reference CAs generate");
                std::hint::black_box(m);
            }));
            // As many direct rcgen leaves as the topology has, interleaved to share the noise.
            for i in 0..leaves.max(1) {
                theirs.push(time(|| {
                    std::hint::black_box(rcgen_leaf(&ca, i));
                }));
            }
        }
        let run = median(&mut ours);
        let ca_run = median(&mut cas);
        let baseline = median(&mut theirs);
        if leaves == 0 {
            println!(
                "{:<16} {:>6} {:>4} {:>12} {:>12} {:>12} {:>12} {:>7} {:>7}",
                t.name,
                0,
                t.pki.cas.len(),
                us(run),
                us(ca_run),
                "-",
                us(baseline),
                "-",
                "-"
            );
            continue;
        }
        let per_leaf = run / leaves as u32;
        let ratio = per_leaf.as_secs_f64() / baseline.as_secs_f64();
        let leaf_alone = run.saturating_sub(ca_run) / leaves as u32;
        let ratio_alone = leaf_alone.as_secs_f64() / baseline.as_secs_f64();
        worst = Some(worst.map_or(ratio, |w: f64| w.max(ratio)));
        println!(
            "{:<16} {:>6} {:>4} {:>12} {:>12} {:>12} {:>12} {:>6.2}x {:>6.2}x",
            t.name,
            leaves,
            t.pki.cas.len(),
            us(run),
            us(ca_run),
            us(per_leaf),
            us(baseline),
            ratio,
            ratio_alone
        );
    }
    if !benching {
        println!("smoke run (cargo test): one round of a debug build, not a measurement");
        return;
    }
    if let Some(w) = worst {
        let verdict = if w <= 1.5 { "within" } else { "above" };
        println!(
            "worst ratio {w:.2}x: {verdict} the 1.5x target (per-leaf times include the topology's CAs)"
        );
    }
}

/// The topology files of `scenarios/topologies/`, in name order.
fn reference_topologies() -> Vec<Topology> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/topologies");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/topologies exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| topology::load(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect()
}

/// A ready CA, as rcgen's own example makes one.
fn rcgen_ca() -> Issuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().expect("P-256 key");
    Issuer::new(params, key)
}

/// One leaf straight from rcgen: a P-256 key and a certificate signed by `ca`.
fn rcgen_leaf(
    ca: &Issuer<'static, KeyPair>,
    i: usize,
) -> rustls_pki_types::CertificateDer<'static> {
    let key = KeyPair::generate().expect("P-256 key");
    let mut params =
        CertificateParams::new(vec![format!("leaf-{i}.lab.example")]).expect("valid name");
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.signed_by(&key, ca).expect("signs").der().clone()
}

fn time(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}
