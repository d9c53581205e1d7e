//! The scenario TOML loader: every problem of the file at once, located, like the topology
//! loader it shares its reader with.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use toml::de::{DeTable, DeValue};

use super::fields::{array, one_of};
use super::{Check, Expect, Invariants, Scenario, Step, Timing};
use crate::diag::{Invalid, Problem, ReadError, Source, Span, closest};
use crate::fault::Fault;
use crate::topology::reader::{Reader, Table};
use crate::topology::value::parse_duration;
use crate::topology::{self, Topology};

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The scenario file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The scenario file is not valid.
    #[error(transparent)]
    Invalid(Invalid),
    /// The topology it names is not valid (or not readable).
    #[error("topology of {}: {source}", scenario.display())]
    Topology {
        /// The scenario file.
        scenario: PathBuf,
        /// The topology's own error.
        source: topology::LoadError,
    },
}

/// Loads a scenario file and its topology.
///
/// # Errors
/// [`LoadError`]: unreadable, invalid scenario (every located problem), or invalid topology.
pub fn load(path: &Path) -> Result<Scenario, LoadError> {
    let source = Source::read(path).map_err(|e| match e {
        ReadError::Io(source) => LoadError::Read {
            path: path.to_path_buf(),
            source,
        },
        ReadError::NotText(invalid) => LoadError::Invalid(invalid),
    })?;
    parse(source, &topology::load)
}

/// Loads a scenario from text already read; a `topology = "PATH"` is loaded by `topologies`
/// (given the path joined to the scenario's folder), an inline `[topology]` from the text.
///
/// # Errors
/// As [`load`].
pub fn parse(
    source: Arc<Source>,
    topologies: &dyn Fn(&Path) -> Result<Topology, topology::LoadError>,
) -> Result<Scenario, LoadError> {
    let (doc, syntax) = DeTable::parse_recoverable(&source.text);
    let mut r = Reader::default();
    for e in &syntax {
        r.push(Problem::new(
            "toml-syntax",
            e.span().map_or(Span::default(), Span::from),
            e.message().to_string(),
        ));
    }
    if !syntax.is_empty() {
        return Err(invalid(source, r));
    }
    let doc = doc.get_ref();
    r.keys(
        doc,
        &[
            "name",
            "rehearses",
            "topology",
            "clock",
            "seed",
            "duration",
            "pki",
            "step",
            "expect",
            "invariants",
            "liveness",
            "simulation-only",
        ],
        "the scenario",
    );
    let (topology, topology_path) = match doc.get("topology") {
        None => {
            r.push(
                Problem::new(
                    "missing-key",
                    Span::default(),
                    "the scenario names no `topology`",
                )
                .help("topology = \"topologies/tserver-pair.toml\", or an inline [topology] table"),
            );
            return Err(invalid(source, r));
        }
        Some(v) => match v.get_ref() {
            DeValue::String(p) => {
                let file = source.dir().join(p.as_ref());
                match topologies(&file) {
                    Ok(t) => (t, Some(file)),
                    Err(e) => {
                        return Err(LoadError::Topology {
                            scenario: source.path.clone(),
                            source: e,
                        });
                    }
                }
            }
            DeValue::Table(t) => (topology::load::from_table(&mut r, t, &source), None),
            _ => {
                r.push(Problem::new(
                    "wrong-type",
                    v.span(),
                    "`topology` must be a path or a table",
                ));
                return Err(invalid(source, r));
            }
        },
    };
    let mut topology = topology;
    let mut pki_overrides = Vec::new();
    if let Some(over) = r.opt_table(doc, "pki") {
        let spec = topology::pki::decode_unchecked(&mut r, over, source.dir());
        let names = spec.clone();
        pki_overrides.extend(spec.cas.iter().map(|c| c.span));
        pki_overrides.extend(spec.certs.iter().map(|c| c.span));
        apply_overrides(&mut topology, spec);
        topology::pki::check_issuers(&mut r, &topology.pki, &names);
    }
    let clock = doc
        .get("clock")
        .and_then(|v| topology::pki::instant(&mut r, v, "clock"))
        .unwrap_or_else(|| {
            topology
                .pki
                .clock
                .unwrap_or(time::macros::datetime!(2026-06-01 08:00 UTC))
        });
    let seed = match r.integer(doc, "seed") {
        Some(s) if s.value < 0 => {
            r.push(
                Problem::new("bad-value", s.span, format!("seed {} is negative", s.value))
                    .help("a seed is a whole number from 0"),
            );
            1
        }
        Some(s) => s.value.unsigned_abs(),
        None => 1,
    };
    let steps = super::steps::decode(&mut r, doc, &topology);
    let expects = decode_expects(&mut r, doc, &topology, &steps);
    let invariants = decode_invariants(&mut r, doc);
    let liveness = super::liveness::decode(&mut r, doc, &topology, &steps);
    let simulation_only = r.string(doc, "simulation-only").and_then(|s| {
        let reason = s.value.trim().to_string();
        if reason.is_empty() {
            r.push(
                Problem::new("bad-value", s.span, "`simulation-only` gives no reason")
                    .help("simulation-only = \"needs clock skew of 400 days\""),
            );
            None
        } else {
            Some(reason)
        }
    });
    let explicit = r.duration(doc, "duration");
    let too_long = super::bounds::check(&steps, &expects, explicit.as_ref());
    let over = !too_long.is_empty();
    too_long.into_iter().for_each(|p| r.push(p));
    let needed = needed_duration(&steps, &expects);
    let duration = match explicit {
        Some(d) if d.value < needed && !over => {
            r.push(Problem::new(
                "never-evaluated",
                d.span,
                format!(
                    "the run ends before the last step or deadline ({}s)",
                    needed.as_secs()
                ),
            ));
            d.value
        }
        Some(d) => d.value,
        None => needed.max(Duration::from_secs(30)),
    };
    if !r.problems.is_empty() {
        return Err(invalid(source, r));
    }
    Ok(Scenario {
        name: r.string(doc, "name").map_or_else(
            || {
                source
                    .path
                    .file_stem()
                    .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
            },
            |s| s.value,
        ),
        rehearses: r
            .string(doc, "rehearses")
            .map_or_else(String::new, |s| s.value.trim().to_string()),
        source,
        topology_path,
        topology: std::rc::Rc::new(topology),
        pki_overrides,
        clock,
        seed,
        duration,
        steps,
        expects,
        invariants,
        liveness,
        simulation_only,
    })
}

fn invalid(source: Arc<Source>, mut r: Reader) -> LoadError {
    crate::diag::settle(&mut r.problems);
    LoadError::Invalid(Invalid {
        source_file: source,
        problems: r.problems,
    })
}

/// Scenario `[pki]` entries replace the topology's entries of the same name, or add to them;
/// its `clock` replaces the topology's (the scenario's own `clock` still wins).
fn apply_overrides(t: &mut Topology, over: topology::PkiSpec) {
    if over.clock.is_some() {
        t.pki.clock = over.clock;
    }
    for ca in over.cas {
        match t.pki.cas.iter_mut().find(|c| c.name == ca.name) {
            Some(slot) => *slot = ca,
            None => t.pki.cas.push(ca),
        }
    }
    for cert in over.certs {
        match t.pki.certs.iter_mut().find(|c| c.name == cert.name) {
            Some(slot) => *slot = cert,
            None => t.pki.certs.push(cert),
        }
    }
}

/// Long enough for the last step and the last deadline, plus 10 s to settle.
fn needed_duration(steps: &[Step], expects: &[Expect]) -> Duration {
    let last_step = steps.iter().map(|s| s.at).max().unwrap_or_default();
    let last_deadline = expects
        .iter()
        .map(|e| match &e.timing {
            Timing::Anytime => Duration::ZERO,
            Timing::At(t) => *t,
            Timing::Within { after, within, .. } => after.saturating_add(*within),
        })
        .max()
        .unwrap_or_default();
    last_step
        .max(last_deadline)
        .saturating_add(Duration::from_secs(10))
}

fn decode_invariants(r: &mut Reader, doc: &Table<'_>) -> Invariants {
    let mut inv = Invariants::default();
    if let Some(t) = r.opt_table(doc, "invariants") {
        r.keys(
            t,
            &[
                "switchover-window",
                "no-plaintext-on-secured",
                "faults-take-effect",
                "ha-resyncs-per-minute",
                "split-brain-under-network-fault",
            ],
            "[invariants]",
        );
        if let Some(d) = r.duration(t, "switchover-window") {
            inv.switchover_window = d.value;
        }
        if let Some(b) = r.boolish(t, "no-plaintext-on-secured") {
            inv.no_plaintext = b.value;
        }
        if let Some(b) = r.boolish(t, "faults-take-effect") {
            inv.faults_effective = b.value;
        }
        if let Some(b) = r.boolish(t, "split-brain-under-network-fault") {
            inv.split_brain_under_network_fault = b.value;
        }
        if let Some(v) = t.get("ha-resyncs-per-minute") {
            match v
                .get_ref()
                .as_integer()
                .and_then(|i| i.as_str().parse::<u32>().ok())
            {
                Some(n) if n <= 10_000 => inv.ha_resyncs_per_minute = n,
                _ => r.push(Problem::new(
                    "bad-value",
                    v.span(),
                    "`ha-resyncs-per-minute` is a whole number from 0 (off) to 10000",
                )),
            }
        }
    }
    inv
}

fn decode_expects(r: &mut Reader, doc: &Table<'_>, t: &Topology, steps: &[Step]) -> Vec<Expect> {
    let mut out = Vec::new();
    for item in array(r, doc, "expect") {
        let Some(et) = r.table(item, "expect") else {
            continue;
        };
        let span: Span = item.span().into();
        let mut keys = super::expect::CHECKS.to_vec();
        keys.extend(["at", "after", "within"]);
        r.keys(et, &keys, "an expectation");
        let timing = decode_timing(r, et, steps, span);
        let Some(kind) = one_of(r, et, &super::expect::CHECKS, "an expectation", span) else {
            continue;
        };
        let check = super::expect::decode_check(r, et, t, &kind);
        if let (Some(check), Some(timing)) = (check, timing) {
            if let Some(why) = never_evaluated(&check, &timing, steps) {
                r.push(Problem::new("never-evaluated", span, why));
                continue;
            }
            out.push(Expect {
                check,
                timing,
                span,
            });
        }
    }
    out
}

fn decode_timing(r: &mut Reader, et: &Table<'_>, steps: &[Step], span: Span) -> Option<Timing> {
    let at = r.duration(et, "at");
    let within = r.duration(et, "within");
    let after = r.string(et, "after");
    match (at, after, within) {
        (Some(at), None, None) => Some(Timing::At(at.value)),
        (None, None, None) => Some(Timing::Anytime),
        (None, Some(mark), within) => {
            let start = match steps
                .iter()
                .find(|s| s.label.as_deref() == Some(mark.value.as_str()))
            {
                Some(s) => s.at,
                None => match parse_duration(&mark.value) {
                    Ok(d) => d,
                    Err(_) => {
                        let labels = steps.iter().filter_map(|s| s.label.as_deref());
                        let p = Problem::new(
                            "unknown-label",
                            mark.span,
                            format!("no step is labelled `{}`", mark.value),
                        );
                        r.push(match closest(&mark.value, labels) {
                            Some(c) => p.help(format!("did you mean `{c}`?")),
                            None => p.help(
                                "give the step label = \"…\", or write a time such as \"30s\"",
                            ),
                        });
                        return None;
                    }
                },
            };
            let Some(within) = within else {
                r.push(Problem::new(
                    "missing-key",
                    span,
                    "`after` needs a deadline: within = \"…\"",
                ));
                return None;
            };
            Some(Timing::Within {
                after: start,
                mark: mark.value,
                within: within.value,
            })
        }
        (None, None, Some(w)) => {
            r.push(Problem::new(
                "missing-key",
                w.span,
                "`within` needs `after` (a step label or a time)",
            ));
            None
        }
        (Some(at), _, _) => {
            r.push(Problem::new(
                "conflict",
                at.span,
                "use either `at` or `after`/`within`",
            ));
            None
        }
    }
}

/// Expectations that no trace could ever satisfy or refute.
fn never_evaluated(check: &Check, timing: &Timing, steps: &[Step]) -> Option<String> {
    let traffic = steps
        .iter()
        .any(|s| matches!(s.fault, Fault::Traffic { rate, .. } if rate > 0.0));
    match check {
        Check::NoAckedEventLost(_) if !traffic => {
            Some("no step sends traffic: no event is ever acknowledged, so none can be lost".into())
        }
        Check::Role { .. } if *timing == Timing::Anytime => {
            Some("a role expectation needs `at` or `after`/`within`".into())
        }
        Check::Rejected(_) | Check::Finding { .. } if *timing != Timing::Anytime => {
            Some("static expectations take no time".into())
        }
        Check::TwoPrimaries { .. } if matches!(timing, Timing::At(_)) => Some(
            "two primaries last a while: use `after`/`within` (or no time: the whole run)".into(),
        ),
        Check::Idb(_) if matches!(timing, Timing::At(_)) => Some(
            "IDB expectations judge what the databases hold at the end: no `at` (`after`/`within` \
             judge the call events of that window)"
                .into(),
        ),
        _ => None,
    }
}
