//! Drawing a seed's fault schedule ([`draw`]): swarm style, the seed first picks which of the
//! fault kinds asked for are on (each with probability 1/2, at least one) and how often each
//! comes, then draws the faults themselves, their targets taken from the topology, their
//! times inside the fault phase that follows the scenario's own run.
//!
//! Deterministic: everything comes from the seed through [`SplitMix`], nothing else (the
//! shrinker and `hapair sweep --start N --seeds 1` rely on drawing the same schedule again).
//! Targets are only what the model supports and what makes sense: crashes and switchovers on
//! the servers of pairs, power-off on hosts that run applications (not the SCS's host: the
//! model has no SCS failover), network faults between hosts that have links, clock skews on
//! hosts that run applications, rotations of generated certificates (a clean renewal by the
//! certificate's own CA). Two drawn faults never hold the same target at once (a second crash
//! of a process already down would test nothing), and a switchover is ordered only when both
//! servers of its pair (and their hosts) have been left alone for [`CALM`].

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::Duration;

use super::{Drawn, FaultKind, Intensity, Schedule};
use crate::fault::{Fault, Order};
use crate::scenario::Scenario;
use crate::splitmix::SplitMix;
use crate::topology::{AppType, Topology};

/// How long the fault phase lasts unless asked otherwise (virtual time).
pub const PHASE: Duration = Duration::from_secs(60);

/// The [`SplitMix`] stream a sweep draws from ("SWEEP"), apart from the switch's streams.
const STREAM: u64 = 0x53_5745_4550;

/// The probability that a fault is lifted within the fault phase (else the liveness phase
/// lifts it).
const LIFTED: f64 = 0.8;

/// How long before the end of the fault phase the last fault starts or is lifted: what a
/// scenario file needs after its last step (the loader asks for 10 s), so that the seed's
/// scenario written back loads.
pub const SETTLE: Duration = Duration::from_secs(10);

/// How long the servers and hosts of a pair are left alone before a drawn switchover.
const CALM: Duration = Duration::from_secs(30);

/// Latency a lifted `latency` fault leaves on its link: the simulator's shortest.
const LATENCY_LIFTED: Duration = Duration::from_millis(1);

/// Clock skews drawn, in seconds: some that TLS validity notices (two days back, before a
/// generated leaf's `not-before`; 366 days on, after its `not-after` a year on), some it
/// does not. Each one a scenario file may write (at most 366 days), so that a seed's written
/// file loads.
const SKEWS: [i64; 6] = [-172_800, -3_600, -30, 30, 600, 31_622_400];

/// Latencies drawn, in milliseconds.
const DELAYS: [u64; 5] = [20, 100, 400, 1_500, 5_000];

/// Loss rates drawn.
const LOSSES: [f64; 4] = [0.01, 0.1, 0.3, 0.8];

/// The schedule `seed` draws for `s` over the default fault phase ([`PHASE`]); see
/// [`draw_for`].
pub fn draw(s: &Scenario, seed: u64, kinds: &[FaultKind], intensity: Intensity) -> Schedule {
    draw_for(s, seed, kinds, intensity, PHASE)
}

/// The schedule `seed` draws for `s`: faults of `kinds` (all of them when empty) from the end
/// of the scenario's own run (`from = s.duration`) for `phase`, none starting or lifted in
/// its last [`SETTLE`]. The same arguments always give the same schedule.
pub fn draw_for(
    s: &Scenario,
    seed: u64,
    kinds: &[FaultKind],
    intensity: Intensity,
    phase: Duration,
) -> Schedule {
    let mut targets = Targets::of(&s.topology);
    for step in &s.steps {
        if let Fault::Rotate {
            cert,
            issuer: Some(ca),
            ..
        } = &step.fault
        {
            targets.issuers.insert(cert.clone(), ca.clone());
        }
    }
    let mut g = SplitMix::new(seed, STREAM);
    let from = s.duration;
    let until = from.saturating_add(phase);
    let on = swarm(&mut g, kinds, &targets);
    let mut schedule = Schedule {
        kinds: on.iter().map(|(k, _)| *k).collect(),
        from,
        until,
        faults: Vec::new(),
    };
    let (count, length) = shape(intensity);
    let count = g.between(count.0, count.1);
    let last = until.saturating_sub(SETTLE).max(from);
    let span_ms = millis(last.saturating_sub(from));
    let mut drawn: Vec<Held> = Vec::new();
    for _ in 0..count {
        let Some(kind) = weighted(&mut g, &on) else {
            break;
        };
        // Faults start and are lifted at least SETTLE before the phase ends.
        let at = from.saturating_add(Duration::from_millis(g.between(0, span_ms)));
        let len = Duration::from_millis(g.between(length.0, length.1));
        let lift_at = at.saturating_add(len);
        let lifted = g.chance(LIFTED) && lift_at <= last;
        let Some((fault, lift, holds)) = fault_of(&mut g, kind, &targets, &s.topology) else {
            continue;
        };
        let end = match (&lift, lifted) {
            (Some(_), true) => lift_at,
            (Some(_), false) => until,
            (None, _) => at,
        };
        // An operator orders a switchover of a pair that has been left alone for a while:
        // not into a backup still resynchronising after a crash or power-off.
        let start = if kind == FaultKind::Switchover {
            at.saturating_sub(CALM)
        } else {
            at
        };
        let held = Held {
            drawn: Drawn {
                at,
                fault,
                lifted: lift.filter(|_| lifted).map(|l| (lift_at, l)),
            },
            holds,
            start,
            end,
        };
        if drawn.iter().all(|other| !held.clashes(other)) {
            drawn.push(held);
        }
    }
    drawn.sort_by_key(|h| h.drawn.at);
    schedule.faults = drawn.into_iter().map(|h| h.drawn).collect();
    schedule
}

/// Per intensity: how many faults (least, most), and how long each lasts in ms (least, most).
fn shape(intensity: Intensity) -> ((u64, u64), (u64, u64)) {
    match intensity {
        Intensity::Low => ((1, 2), (1_000, 5_000)),
        Intensity::Medium => ((2, 5), (2_000, 15_000)),
        Intensity::High => ((4, 10), (5_000, 30_000)),
    }
}

/// The kinds the swarm turns on, each with its weight: each kind asked for that has a target
/// in the topology, with probability 1/2; at least one when any has a target.
fn swarm(g: &mut SplitMix, kinds: &[FaultKind], targets: &Targets) -> Vec<(FaultKind, f64)> {
    let asked: BTreeSet<FaultKind> = if kinds.is_empty() {
        FaultKind::ALL.into_iter().collect()
    } else {
        kinds.iter().copied().collect()
    };
    let possible: Vec<FaultKind> = asked.into_iter().filter(|k| targets.has(*k)).collect();
    let mut on: Vec<(FaultKind, f64)> = Vec::new();
    for &k in &possible {
        let chosen = g.chance(0.5);
        let weight = 0.2 + 0.8 * g.unit();
        if chosen {
            on.push((k, weight));
        }
    }
    if on.is_empty() {
        if let Some(&k) = g.pick(&possible) {
            on.push((k, 1.0));
        }
    }
    on
}

/// A kind drawn by weight.
fn weighted(g: &mut SplitMix, on: &[(FaultKind, f64)]) -> Option<FaultKind> {
    let total: f64 = on.iter().map(|(_, w)| w).sum();
    let mut x = g.unit() * total;
    for (k, w) in on {
        if x < *w {
            return Some(*k);
        }
        x -= w;
    }
    on.last().map(|(k, _)| *k)
}

/// A fault of `kind` on a drawn target, the step that lifts it (none for instantaneous
/// ones), and what it holds while active (`app:X`, `host:H`, `link:A|B`, …).
fn fault_of(
    g: &mut SplitMix,
    kind: FaultKind,
    t: &Targets,
    topology: &Topology,
) -> Option<(Fault, Option<Fault>, Vec<String>)> {
    Some(match kind {
        FaultKind::Crash => {
            let app = g.pick(&t.servers)?.clone();
            let host = topology.app(&app).map(|a| a.host.value.clone());
            let mut holds = vec![format!("app:{app}")];
            holds.extend(host.map(|h| format!("host:{h}")));
            (
                Fault::Crash {
                    app: app.as_str().into(),
                },
                Some(Fault::Restart { app: app.into() }),
                holds,
            )
        }
        FaultKind::PowerOff => {
            let host = g.pick(&t.power)?.clone();
            let mut holds = vec![format!("host:{host}")];
            holds.extend(
                topology
                    .apps
                    .iter()
                    .filter(|a| a.host.value == host)
                    .map(|a| format!("app:{}", a.name.value)),
            );
            (
                Fault::PowerOff {
                    host: host.as_str().into(),
                },
                Some(Fault::PowerOn { host: host.into() }),
                holds,
            )
        }
        FaultKind::Partition | FaultKind::Hold | FaultKind::Latency | FaultKind::Loss => {
            let (a, b) = g.pick(&t.links)?.clone();
            let key = format!("{a}|{b}");
            let (x, y) = (a.as_str().into(), b.as_str().into());
            let (x2, y2) = (a.as_str().into(), b.as_str().into());
            match kind {
                FaultKind::Partition => (
                    Fault::Partition { a: x, b: y },
                    Some(Fault::Heal { a: x2, b: y2 }),
                    vec![format!("link:{key}")],
                ),
                FaultKind::Hold => (
                    Fault::Hold { a: x, b: y },
                    Some(Fault::Release { a: x2, b: y2 }),
                    vec![format!("link:{key}")],
                ),
                FaultKind::Latency => (
                    Fault::Latency {
                        a: x,
                        b: y,
                        delay: Duration::from_millis(*g.pick(&DELAYS)?),
                    },
                    Some(Fault::Latency {
                        a: x2,
                        b: y2,
                        delay: LATENCY_LIFTED,
                    }),
                    vec![format!("latency:{key}")],
                ),
                _ => (
                    Fault::Loss {
                        a: x,
                        b: y,
                        rate: *g.pick(&LOSSES)?,
                    },
                    Some(Fault::Loss {
                        a: x2,
                        b: y2,
                        rate: 0.0,
                    }),
                    vec![format!("loss:{key}")],
                ),
            }
        }
        FaultKind::ClockSkew => {
            let host = g.pick(&t.hosts)?.clone();
            let seconds = *g.pick(&SKEWS)?;
            (
                Fault::Skew {
                    host: host.as_str().into(),
                    seconds,
                },
                Some(Fault::Skew {
                    host: host.as_str().into(),
                    seconds: 0,
                }),
                vec![format!("skew:{host}")],
            )
        }
        FaultKind::Switchover => {
            let (primary, backup) = g.pick(&t.pairs)?.clone();
            let mut holds = vec![format!("app:{primary}"), format!("app:{backup}")];
            for app in [&primary, &backup] {
                holds.extend(topology.app(app).map(|a| format!("host:{}", a.host.value)));
            }
            (
                Fault::Switchover {
                    order: Order::Pair(primary.into()),
                },
                None,
                holds,
            )
        }
        FaultKind::Rotate => {
            let cert = g.pick(&t.certs)?.clone();
            (
                Fault::Rotate {
                    cert: cert.clone(),
                    issuer: t.issuers.get(&cert).cloned(),
                    profile: None,
                },
                None,
                vec![format!("cert:{cert}")],
            )
        }
    })
}

/// A drawn fault with what it holds (`app:X`, `host:H`, `link:A|B`, …) and over which
/// interval.
struct Held {
    drawn: Drawn,
    holds: Vec<String>,
    start: Duration,
    end: Duration,
}

impl Held {
    /// Whether the two hold a target in common over overlapping intervals.
    fn clashes(&self, other: &Held) -> bool {
        self.start <= other.end
            && other.start <= self.end
            && self.holds.iter().any(|h| other.holds.contains(h))
    }
}

/// What a topology offers each kind of fault.
#[derive(Debug, Default)]
struct Targets {
    /// The servers of every pair (crash).
    servers: Vec<String>,
    /// Every pair, primary then backup (switchover).
    pairs: Vec<(String, String)>,
    /// Hosts that run applications, the SCS's excepted (power-off).
    power: Vec<String>,
    /// Hosts that run applications (clock skew).
    hosts: Vec<String>,
    /// Pairs of hosts with a link between them: a connection, an HA link, the SCS's link to
    /// an LCA (partition, hold, latency, loss).
    links: Vec<(String, String)>,
    /// Generated certificates with an issuer (rotate).
    certs: Vec<String>,
    /// The CA each certificate was last re-issued by in the scenario's own steps (a CA
    /// rollover): a drawn renewal by "its own CA" is by that one, not the one the topology
    /// first names, which the clients may no longer trust.
    issuers: std::collections::BTreeMap<String, String>,
}

impl Targets {
    fn of(t: &Topology) -> Self {
        let host_of = |app: &str| t.app(app).map(|a| a.host.value.clone());
        let mut links = BTreeSet::new();
        let mut link = |a: Option<String>, b: Option<String>| {
            if let (Some(a), Some(b)) = (a, b) {
                if a != b {
                    links.insert(if a < b { (a, b) } else { (b, a) });
                }
            }
        };
        let mut pairs = Vec::new();
        let mut servers = Vec::new();
        for p in t.pairs() {
            let (a, b) = (p.primary.name.value.clone(), p.backup.name.value.clone());
            link(host_of(&a), host_of(&b));
            if p.primary.is_server() && p.backup.is_server() {
                servers.extend([a.clone(), b.clone()]);
                pairs.push((a, b));
            }
        }
        for c in &t.connections {
            let from = host_of(&c.from.value);
            link(from.clone(), host_of(&c.to.value));
            if let Some(p) = t.pair_of(&c.to.value) {
                link(from, Some(p.backup.host.value.clone()));
            }
        }
        let scs = t
            .apps
            .iter()
            .find(|a| a.kind.value == AppType::Scs)
            .map(|a| a.host.value.clone());
        let hosts: Vec<String> = t
            .hosts
            .iter()
            .map(|h| h.key.value.clone())
            .filter(|h| t.apps.iter().any(|a| a.host.value == *h))
            .collect();
        if let Some(scs) = &scs {
            for h in &hosts {
                link(Some(scs.clone()), Some(h.clone()));
            }
        }
        Targets {
            servers,
            pairs,
            power: hosts
                .iter()
                .filter(|h| Some(*h) != scs.as_ref())
                .cloned()
                .collect(),
            hosts,
            links: links.into_iter().collect(),
            certs: t
                .pki
                .certs
                .iter()
                .filter(|c| c.pem.is_none() && c.issuer.is_some())
                .map(|c| c.name.clone())
                .collect(),
            issuers: std::collections::BTreeMap::new(),
        }
    }

    /// Whether the topology offers `kind` a target.
    fn has(&self, kind: FaultKind) -> bool {
        match kind {
            FaultKind::Crash => !self.servers.is_empty(),
            FaultKind::Switchover => !self.pairs.is_empty(),
            FaultKind::PowerOff => !self.power.is_empty(),
            FaultKind::ClockSkew => !self.hosts.is_empty(),
            FaultKind::Rotate => !self.certs.is_empty(),
            FaultKind::Partition | FaultKind::Hold | FaultKind::Latency | FaultKind::Loss => {
                !self.links.is_empty()
            }
        }
    }
}

/// Whole milliseconds of `d` (saturating).
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Drawn {
    /// The fault in one readable line: `  62.400s  crash ts_primary (restart at 70.100s)`.
    pub fn line(&self) -> String {
        let mut out = format!("{:>9.3}s  {}", self.at.as_secs_f64(), words(&self.fault));
        match (&self.lifted, &self.fault) {
            (Some((at, lift)), _) => {
                let _ = write!(out, " ({} at {:.3}s)", lift_word(lift), at.as_secs_f64());
            }
            (None, Fault::Switchover { .. } | Fault::Rotate { .. }) => {}
            (None, _) => out.push_str(" (left to the liveness phase)"),
        }
        out
    }
}

impl Schedule {
    /// One readable line per fault ([`Drawn::line`]), after a line naming the kinds on.
    pub fn lines(&self) -> Vec<String> {
        let kinds: Vec<&str> = self.kinds.iter().map(|k| k.name()).collect();
        let mut out = vec![format!(
            "fault phase {:.3}s to {:.3}s, kinds on: {}",
            self.from.as_secs_f64(),
            self.until.as_secs_f64(),
            kinds.join(", ")
        )];
        out.extend(self.faults.iter().map(Drawn::line));
        out
    }
}

/// A drawn fault in words.
fn words(f: &Fault) -> String {
    match f {
        Fault::Crash { app } => format!("crash {app}"),
        Fault::PowerOff { host } => format!("power-off {host}"),
        Fault::Partition { a, b } => format!("partition {a} {b}"),
        Fault::Hold { a, b } => format!("hold {a} {b}"),
        Fault::Latency { a, b, delay } => format!("latency {a} {b} {}ms", delay.as_millis()),
        Fault::Loss { a, b, rate } => format!("loss {a} {b} {}%", rate * 100.0),
        Fault::Skew { host, seconds } => format!("clock-skew {host} {seconds:+}s"),
        Fault::Switchover { order } => format!("switchover {}", order.app()),
        Fault::Rotate { cert, .. } => format!("rotate {cert}"),
        other => other.name().to_string(),
    }
}

/// What lifting a fault is called.
fn lift_word(f: &Fault) -> &'static str {
    match f {
        Fault::Restart { .. } => "restart",
        Fault::PowerOn { .. } => "power-on",
        Fault::Heal { .. } => "heal",
        Fault::Release { .. } => "release",
        Fault::Latency { .. } => "latency lifted",
        Fault::Loss { .. } => "loss lifted",
        Fault::Skew { .. } => "skew lifted",
        other => other.name(),
    }
}
