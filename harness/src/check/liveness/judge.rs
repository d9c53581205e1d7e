//! Judging the liveness phase at the end of the run: per pair, one primary and one backup,
//! the HA link synced, every client connected to the primary over the TLS its port demands,
//! nothing acknowledged lost; each converged by the deadline (the lift plus the bound) and
//! still so at the end. Only what the pair had at the baseline (a sweep's: the end of the
//! scenario's own run) is asked of it: a link not synced then, a client not connected then (a
//! scenario that rehearses a refused handshake, say), a pair whose instances never took a
//! role, is not judged, and the verdict says so; an event lost by then is the scenario's own.
//! A warm-standby pair loses events at a switchover by design (the backup holds none of
//! them), so its losses are named, not failed.

use super::phase::Phase;
use crate::check::history::{LossClass, classify};
use crate::check::loss::{lost_acknowledged, lost_acknowledged_at};
use crate::check::roles::Timeline;
use crate::check::session::{Session, sessions};
use crate::check::verdict::{Differs, Judged, Miss, Verdict, VerdictKind, bounded, thousands};
use crate::fault::duration_text;
use crate::scenario::Scenario;
use crate::topology::{Pair, Redundancy, Role, Topology};
use crate::trace::{Kind, State, Trace};

/// What one condition found: converged since (ms) and the events that show it, or what was
/// still wrong at the end.
enum Found {
    /// Held from this instant to the end.
    Since(u64, Vec<usize>),
    /// Still wrong at the end.
    Wrong(String),
    /// Nothing to judge (it never held before the faults).
    Exempt(String),
}

/// The liveness verdicts of a run of `s` (the phase already applied) with `phase`.
pub fn judge(s: &Scenario, trace: &Trace, phase: &Phase) -> Vec<Verdict> {
    let end = phase.end_ms();
    let roles = Timeline::of(trace);
    let all = sessions(trace);
    let lost = lost_acknowledged(&s.topology, trace);
    let before = lost_acknowledged_at(&s.topology, trace, phase.baseline_ms);
    let classes = classify(&s.topology, trace);
    let mut out = Vec::new();
    for pair in s.topology.pairs() {
        let (p, b) = (&pair.primary.name.value, &pair.backup.name.value);
        let name = format!("{p}/{b}");
        let settled = settled(&roles, trace, p, b, phase.baseline_ms, end);
        let primary = match &settled {
            Found::Since(..) => [p, b]
                .into_iter()
                .find(|m| roles.at(m, end) == Some(Role::Primary)),
            _ => None,
        };
        out.push(verdict(
            phase,
            format!("{name} has one primary and one backup"),
            settled,
        ));
        out.push(verdict(
            phase,
            format!("the HA link of {name} is synced"),
            synced(&s.topology, &all, pair, primary, phase.baseline_ms).unless_refused(
                trace,
                primary,
                phase.lift_ms,
                |primary| {
                    if primary == p { b } else { p }
                },
            ),
        ));
        for c in s
            .topology
            .connections
            .iter()
            .filter(|c| c.to.value == *p || c.to.value == *b)
        {
            let client = &c.from.value;
            out.push(verdict(
                phase,
                format!("{client} is connected to the primary of {name}"),
                served(&s.topology, &all, client, pair, primary, phase.baseline_ms).unless_refused(
                    trace,
                    primary,
                    phase.lift_ms,
                    |_| client,
                ),
            ));
        }
        let acked = trace
            .events
            .iter()
            .filter(|e| matches!(&e.kind, Kind::Acknowledged { by, .. } if by == p || by == b))
            .count();
        let old = before.get(p.as_str()).cloned().unwrap_or_default();
        let missing: Vec<&String> = lost
            .get(p.as_str())
            .into_iter()
            .flatten()
            .filter(|id| !old.contains(id))
            .collect();
        let of = |c: LossClass| -> Vec<String> {
            missing
                .iter()
                .filter(|id| classes.get(id.as_str()) == Some(&c))
                .map(|id| (*id).clone())
                .collect()
        };
        let (double, unreplicated, other) = (
            of(LossClass::DoubleFailure),
            of(LossClass::Unreplicated),
            of(LossClass::Other),
        );
        let named = format!(
            "{} double failure(s) (every instance holding them went down), {} acknowledged \
             while the HA link was not synced",
            thousands(double.len()),
            thousands(unreplicated.len())
        );
        let found = if missing.is_empty() {
            Found::Since(0, Vec::new())
        } else if pair.redundancy() == Redundancy::WarmStandby {
            Found::Exempt(format!(
                "{} acknowledged event(s) lost: warm standby keeps no copy on the backup, so a \
                 switchover loses what only the primary held (by design)",
                thousands(missing.len())
            ))
        } else if other.is_empty() {
            Found::Exempt(format!("lost only as documented: {named}"))
        } else {
            Found::Wrong(format!(
                "{} of {} acknowledged event(s) lost with the HA link synced and a holder \
                 still up: {} (besides {named})",
                thousands(other.len()),
                thousands(acked),
                bounded(&other)
            ))
        };
        out.push(verdict(
            phase,
            format!("no acknowledged event of {name} lost"),
            found,
        ));
    }
    out
}

impl Found {
    /// A connection still wrong at the end is not judged when every handshake its dialler
    /// (`from`, given the primary) tried with the primary since the lift was refused for a
    /// reason of configuration (a certificate expired, not trusted, naming another host; no
    /// client certificate; no common protocol version): the lift undoes faults, not
    /// configuration, and the static findings and the TLS table name the cause. A scenario
    /// that leaves a certificate expired (`cert-reissue-with-faults.toml`) converges as far as
    /// its configuration lets it; a timeout or a reset is no excuse.
    fn unless_refused<'a>(
        self,
        trace: &Trace,
        primary: Option<&'a String>,
        lift: u64,
        from: impl Fn(&'a str) -> &'a str,
    ) -> Self {
        let (Found::Wrong(state), Some(primary)) = (&self, primary) else {
            return self;
        };
        let dialler = from(primary.as_str());
        let mut last = None;
        for e in trace
            .events
            .iter()
            .filter(|e| e.at_ms >= lift && e.node == dialler)
        {
            match &e.kind {
                Kind::HandshakeOk { peer, .. } if peer == primary => return self,
                Kind::HandshakeFailed {
                    peer,
                    class,
                    detail,
                    ..
                } if peer == primary => last = Some((*class, detail)),
                _ => {}
            }
        }
        match last {
            Some((class, detail)) if class.is_configuration() => Found::Exempt(format!(
                "{state}: every handshake of {dialler} with {primary} since the lift was \
                 refused by configuration, last `{}` ({detail}); the lift undoes faults, not \
                 configuration",
                class.as_str()
            )),
            _ => self,
        }
    }
}

/// The verdict on one condition.
fn verdict(phase: &Phase, what: String, found: Found) -> Verdict {
    let bound = duration_text(phase.within);
    let (held, detail, evidence, miss) = match found {
        Found::Since(at, ev) if at <= phase.deadline_ms => (
            true,
            if at <= phase.lift_ms {
                "held through the lift".to_string()
            } else {
                format!(
                    "converged at {at} ms, {} ms after the lift",
                    at.saturating_sub(phase.lift_ms)
                )
            },
            ev,
            None,
        ),
        Found::Since(at, ev) => (
            false,
            format!(
                "converged only at {at} ms, after the bound ({bound} from the lift at {} ms: \
                 {} ms); derived bound: {}",
                phase.lift_ms,
                phase.deadline_ms,
                phase.derived.formula()
            ),
            ev.clone(),
            Some(Miss {
                at_ms: at,
                differs: Differs::Late {
                    opened_ms: at,
                    deadline_ms: phase.deadline_ms,
                },
                events: ev,
            }),
        ),
        Found::Wrong(state) => (
            false,
            format!(
                "not converged {bound} after the lift at {} ms: still {state} at the end \
                 ({} ms); derived bound: {}",
                phase.lift_ms,
                phase.end_ms(),
                phase.derived.formula()
            ),
            Vec::new(),
            Some(Miss {
                at_ms: phase.end_ms(),
                differs: Differs::Unconverged { state },
                events: Vec::new(),
            }),
        ),
        Found::Exempt(why) => (true, format!("not judged: {why}"), Vec::new(), None),
    };
    Verdict {
        kind: VerdictKind::Invariant,
        what: format!("liveness: {what} within {bound} of the lift"),
        held,
        judged: Judged::Window(phase.lift_ms, phase.end_ms()),
        evidence,
        miss,
        detail,
        line: phase.line,
        excerpt: Vec::new(),
    }
}

/// Whether `p`/`b` are one primary and one backup at the end, and since when.
fn settled(roles: &Timeline, trace: &Trace, p: &str, b: &str, base: u64, end: u64) -> Found {
    let had_role = |m: &str| {
        trace
            .events
            .iter()
            .any(|e| e.node == m && e.at_ms <= base && matches!(e.kind, Kind::RoleChanged { .. }))
    };
    let (rp, rb) = (had_role(p), had_role(b));
    if !rp && !rb {
        return Found::Exempt(format!("neither {p} nor {b} took a role before {base} ms"));
    }
    let (sp, sb) = (roles.state_at(p, end), roles.state_at(b, end));
    let primaries = [sp, sb]
        .iter()
        .filter(|s| **s == State::In(Role::Primary))
        .count();
    let ok = if rp && rb {
        primaries == 1 && [sp, sb].contains(&State::In(Role::Backup))
    } else {
        primaries == 1
    };
    if !ok {
        return Found::Wrong(format!("{p} {} and {b} {}", words(sp), words(sb)));
    }
    let causes: Vec<usize> = [p, b].iter().filter_map(|m| roles.cause(m, end)).collect();
    let since = causes
        .iter()
        .filter_map(|i| trace.events.get(*i).map(|e| e.at_ms))
        .max()
        .unwrap_or(0);
    Found::Since(since, causes)
}

fn words(s: State) -> &'static str {
    match s {
        State::Stopped => "stopped",
        State::NoRole => "without a role",
        State::In(Role::Primary) => "primary",
        State::In(Role::Backup) => "backup",
    }
}

/// Whether the HA link from the backup to `primary` is up and synced at the end, under the
/// TLS the primary's HA port demands.
fn synced(
    t: &Topology,
    all: &[Session],
    pair: Pair<'_>,
    primary: Option<&String>,
    base: u64,
) -> Found {
    let (p, b) = (&pair.primary.name.value, &pair.backup.name.value);
    let then = all.iter().any(|s| {
        ((s.from == *p && s.to == *b) || (s.from == *b && s.to == *p))
            && s.synced.is_some_and(|at| at <= base)
            && s.closed.is_none_or(|c| c > base)
    });
    if !then {
        return Found::Exempt(format!(
            "the HA link of {p}/{b} was not synced at {base} ms"
        ));
    }
    let Some(primary) = primary else {
        return Found::Wrong("no single primary to sync from".into());
    };
    let backup = if primary == p { b } else { p };
    let up: Vec<&Session> = all
        .iter()
        .filter(|s| s.from == *backup && s.to == *primary && s.closed.is_none())
        .collect();
    let demands = |s: &Session| {
        t.app(primary)
            .and_then(|a| a.port(&s.port))
            .is_none_or(|port| port.mode.value.is_tls() == s.tls)
    };
    match up.iter().find(|s| s.synced.is_some() && demands(s)) {
        Some(s) => Found::Since(s.synced.unwrap_or(s.opened), s.events()),
        None => Found::Wrong(match up.first() {
            Some(s) if !demands(s) => format!(
                "the HA link from {backup} to {primary} up on `{}` with TLS {}, not as the port \
                 demands",
                s.port,
                if s.tls { "on" } else { "off" }
            ),
            Some(s) => format!(
                "the HA link from {backup} to {primary} up since {} ms but not synced",
                s.opened
            ),
            None => format!("no HA link from {backup} to {primary}"),
        }),
    }
}

/// Whether `client` holds a session to `primary` at the end, under the TLS its port demands.
fn served(
    t: &Topology,
    all: &[Session],
    client: &str,
    pair: Pair<'_>,
    primary: Option<&String>,
    base: u64,
) -> Found {
    let members = [&pair.primary.name.value, &pair.backup.name.value];
    let then = all.iter().any(|s| {
        s.from == client
            && members.contains(&&s.to)
            && s.opened <= base
            && s.closed.is_none_or(|c| c > base)
    });
    if !then {
        return Found::Exempt(format!(
            "{client} was not connected to the pair at {base} ms"
        ));
    }
    let Some(primary) = primary else {
        return Found::Wrong("no single primary to connect to".into());
    };
    let demands = |s: &Session| {
        t.app(primary)
            .and_then(|a| a.port(&s.port))
            .is_none_or(|port| port.mode.value.is_tls() == s.tls)
    };
    let up: Vec<&Session> = all
        .iter()
        .filter(|s| s.from == client && s.to == *primary && s.closed.is_none())
        .collect();
    match up.iter().find(|s| demands(s)) {
        Some(s) => Found::Since(s.opened, s.events()),
        None => Found::Wrong(match up.first() {
            Some(s) => format!(
                "{client} connected to {primary} on `{}` with TLS {}, not as the port demands",
                s.port,
                if s.tls { "on" } else { "off" }
            ),
            None => format!("{client} not connected to {primary}"),
        }),
    }
}
