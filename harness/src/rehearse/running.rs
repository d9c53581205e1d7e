//! One step of a rollout, run: the state's topology and a scenario of the step written as
//! ordinary hapair files (the scenario names its topology in `topologies/`), loaded back by
//! the scenario loader and run in the simulator with the pair's clients connected and sending.
//! What held and what broke is read from the verdicts and the trace: each connection the step
//! checks, with the handshake failure classes seen on it after the step's action; what was
//! acknowledged and lost; the invariants.
//!
//! The file written for a step that breaks expects what the run showed (the refusals by
//! class), so that it passes in the simulator and says in the lab whether the prediction
//! holds; its header says so.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use super::RehearseError;
use super::diff::Diff;
use super::order::{Action, State};
use super::state;
use crate::topology::{AppType, Topology};
use crate::trace::Kind;

/// When the step's action happens, in seconds.
const ACTION_S: u64 = 20;
/// How long after a restart it waits before the process comes back.
const DOWN_S: u64 = 5;
/// How long the connections have to come back.
const WITHIN_S: u64 = 30;

/// A connection a step checks.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Link {
    /// The dialling application (the backup of an HA link).
    pub from: String,
    /// The application it must reach (the primary).
    pub to: String,
    /// The port, for a client connection.
    pub port: Option<String>,
    /// Whether it is the pair's HA link.
    pub ha: bool,
    /// Whether it came up after the step's action.
    pub held: bool,
    /// The handshake failure classes seen between the two after the action.
    pub classes: Vec<String>,
}

/// A static finding of the state's topology.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Found {
    /// The rule.
    pub rule: String,
    /// `error` or `warning`.
    pub severity: String,
    /// What it says.
    pub message: String,
}

/// One step, run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StepRun {
    /// 1-based.
    pub number: usize,
    /// What the step does.
    pub action: Action,
    /// In words.
    pub words: String,
    /// The scenario file's name (in the plan's folder).
    pub file: String,
    /// Static findings of the state after the step.
    pub findings: Vec<Found>,
    /// The connections checked.
    pub links: Vec<Link>,
    /// Acknowledged requests lost (any class).
    pub acked_lost: usize,
    /// Applications that trust both the old and the new CAs in this state (a `trust` step of
    /// the scenario: the static findings, judging the written topology, do not see it).
    pub trust_both: Vec<String>,
    /// Invariants that failed, in words.
    pub invariants_failed: Vec<String>,
    /// Whether nothing broke.
    pub safe: bool,
    /// The scenario text written for the step (the topology path relative to its folder).
    #[serde(skip)]
    pub scenario_text: String,
    /// The state's topology text.
    #[serde(skip)]
    pub topology_text: String,
}

/// Runs step `number` (`action`, leaving `after`; `before` is the state it starts from) in
/// `dir` (the scenario there, the topology in `dir/topologies`).
///
/// # Errors
/// [`RehearseError`] when the files cannot be written or the run cannot be made.
pub fn run_step(
    diff: &Diff,
    number: usize,
    (action, before, after): (&Action, &State, &State),
    dir: &Path,
    seed: u64,
) -> Result<StepRun, RehearseError> {
    let t = &diff.from.topology;
    let stem = format!("{number:02}-{}", slug(action));
    let topo_dir = dir.join("topologies");
    std::fs::create_dir_all(&topo_dir).map_err(|e| io(&topo_dir, e))?;
    let topology_text = state::topology_text(diff, after, &format!("rehearse-{stem}"))
        .map_err(RehearseError::Internal)?;
    let topo_path = topo_dir.join(format!("{stem}.toml"));
    std::fs::write(&topo_path, &topology_text).map_err(|e| io(&topo_path, e))?;
    let links = links(t, action, after);
    let script = Script::new(diff, action, before, after, &stem);
    let path = dir.join(format!("{stem}.toml"));
    let text = script.text(&links, None, seed);
    std::fs::write(&path, &text).map_err(|e| io(&path, e))?;
    let scenario = crate::scenario::load(&path).map_err(|e| {
        RehearseError::Internal(format!("the scenario written for step {number}: {e}"))
    })?;
    let outcome = crate::execute::execute(&scenario, seed).map_err(RehearseError::Run)?;
    let action_ms = ACTION_S.saturating_mul(1000);
    let mut judged = Vec::new();
    for (i, l) in links.iter().enumerate() {
        let held = outcome.verdicts.get(i).is_some_and(|v| v.held);
        let classes: BTreeSet<String> = outcome
            .trace
            .events
            .iter()
            .filter(|e| e.at_ms >= action_ms)
            .filter_map(|e| match &e.kind {
                Kind::HandshakeFailed { peer, class, .. }
                    if (e.node == l.from && *peer == l.to)
                        || (e.node == l.to && *peer == l.from) =>
                {
                    Some(class.as_str().to_string())
                }
                _ => None,
            })
            .collect();
        judged.push(Link {
            held,
            classes: classes.into_iter().collect(),
            ..l.clone()
        });
    }
    let c = &outcome.history.total;
    let acked_lost = c
        .lost_double_failure
        .saturating_add(c.lost_unreplicated)
        .saturating_add(c.lost_other);
    let expects = links.len().saturating_add(1);
    let invariants_failed: Vec<String> = outcome
        .verdicts
        .iter()
        .skip(expects)
        .filter(|v| !v.held)
        .map(|v| format!("{}: {}", v.what, v.detail))
        .collect();
    let safe = outcome.passed();
    let lost_held = outcome.verdicts.get(links.len()).is_some_and(|v| v.held);
    let off: Vec<&'static str> = outcome
        .verdicts
        .iter()
        .skip(expects)
        .filter(|v| !v.held)
        .filter_map(|v| switch_for(&v.what))
        .collect();
    let scenario_text = if safe {
        text
    } else {
        let seen = Observed {
            acked_lost,
            lost_held,
            off,
        };
        let observed = script.text(&judged, Some(&seen), seed);
        std::fs::write(&path, &observed).map_err(|e| io(&path, e))?;
        observed
    };
    Ok(StepRun {
        number,
        words: action.words(),
        action: action.clone(),
        file: format!("{stem}.toml"),
        findings: outcome
            .findings
            .iter()
            .map(|f| Found {
                rule: f.rule.to_string(),
                severity: f.severity.as_str().to_string(),
                message: f.message.clone(),
            })
            .collect(),
        links: judged,
        acked_lost,
        trust_both: state::overlays(diff, after)
            .into_iter()
            .map(|(app, _)| app)
            .collect(),
        invariants_failed,
        safe,
        scenario_text,
        topology_text,
    })
}

/// What a run that broke showed, for the file that expects it.
struct Observed {
    /// Acknowledged requests lost.
    acked_lost: usize,
    /// Whether `no-acked-event-lost` held (it fails too when nothing was acknowledged).
    lost_held: bool,
    /// The `[invariants]` switches of the invariants that failed.
    off: Vec<&'static str>,
}

/// The `[invariants]` key that switches off a failed invariant, by its wording.
fn switch_for(what: &str) -> Option<&'static str> {
    if what.contains("took effect") {
        Some("faults-take-effect")
    } else if what.contains("plain") {
        Some("no-plaintext-on-secured")
    } else {
        None
    }
}

fn io(path: &Path, e: std::io::Error) -> RehearseError {
    RehearseError::Io {
        path: path.to_path_buf(),
        error: e.to_string(),
    }
}

fn slug(action: &Action) -> String {
    match action {
        Action::Change { app, .. } => format!("change-{app}"),
        Action::Switchover { to } => format!("switchover-to-{to}"),
    }
}

/// The connections a step checks, after its action: the HA link of the pair it touches
/// (its backup to its primary), and every client connection to the pair or server it
/// touches (to its primary); for a client, its own connections.
fn links(t: &Topology, action: &Action, after: &State) -> Vec<Link> {
    let link = |from: &str, to: &str, port: Option<String>, ha: bool| Link {
        from: from.to_string(),
        to: to.to_string(),
        port,
        ha,
        held: false,
        classes: Vec::new(),
    };
    let target = |to: &str| after.primary_of(t, to).unwrap_or_else(|| to.to_string());
    let app = match action {
        Action::Change { app, .. } => app.as_str(),
        Action::Switchover { to } => to.as_str(),
    };
    let mut out = Vec::new();
    if t.app(app).is_some_and(|a| a.kind.value == AppType::Client) {
        for c in t.connections_from(app) {
            let to = target(&c.to.value);
            out.push(link(
                app,
                &to,
                c.port.as_ref().map(|p| p.value.clone()),
                false,
            ));
        }
        return out;
    }
    let members: Vec<String> = match t.pair_of(app) {
        Some(p) => {
            let (pn, bn) = (&p.primary.name.value, &p.backup.name.value);
            let primary = target(pn);
            let backup = if primary == *pn { bn } else { pn };
            out.push(link(backup, &primary, None, true));
            vec![pn.clone(), bn.clone()]
        }
        None => vec![app.to_string()],
    };
    for c in &t.connections {
        if members.contains(&c.to.value) && !members.contains(&c.from.value) {
            let to = target(&c.to.value);
            out.push(link(
                &c.from.value,
                &to,
                c.port.as_ref().map(|p| p.value.clone()),
                false,
            ));
        }
    }
    out
}

/// A step's scenario: its setup and action, ready to be written with its expectations.
struct Script<'a> {
    diff: &'a Diff,
    action: &'a Action,
    before: &'a State,
    after: &'a State,
    stem: &'a str,
}

impl<'a> Script<'a> {
    fn new(
        diff: &'a Diff,
        action: &'a Action,
        before: &'a State,
        after: &'a State,
        stem: &'a str,
    ) -> Self {
        Self {
            diff,
            action,
            before,
            after,
            stem,
        }
    }

    /// The scenario text: expecting every link to hold (`observed` `None`), or what the run
    /// showed (`Some(acked lost)`, the links judged).
    fn text(&self, links: &[Link], observed: Option<&Observed>, seed: u64) -> String {
        let t = &self.diff.from.topology;
        let mut s = String::new();
        self.header(&mut s, links, observed);
        let _ = writeln!(
            s,
            "name = {}\nrehearses = {}\ntopology = {}\nseed = {seed}\nduration = \"{}s\"\n",
            quote(&format!("rehearse step {}", self.stem)),
            quote(&self.action.words()),
            quote(&format!("topologies/{}.toml", self.stem)),
            ACTION_S
                .saturating_add(DOWN_S)
                .saturating_add(WITHIN_S)
                .saturating_add(15),
        );
        for (app, cas) in state::overlays(self.diff, self.after) {
            let list: Vec<String> = cas.iter().map(|c| quote(c)).collect();
            let _ = writeln!(
                s,
                "[[step]]\nat = \"0s\"\ntrust = {{ app = {}, trusted-ca = [{}] }}\n",
                quote(&app),
                list.join(", ")
            );
        }
        for a in t.apps.iter().filter(|a| a.kind.value == AppType::Client) {
            if t.connections_from(&a.name.value).next().is_some() {
                let _ = writeln!(
                    s,
                    "[[step]]\nat = \"0s\"\ntraffic = {{ from = {}, rate = \"10/s\" }}\n",
                    quote(&a.name.value)
                );
            }
        }
        // The roles as the rollout left them: a pair already switched over is switched
        // over at the start.
        for (configured, current) in &self.before.primary {
            if configured != current {
                let _ = writeln!(
                    s,
                    "[[step]]\nat = \"5s\"\nswitchover = {{ to = {} }}\n",
                    quote(current)
                );
            }
        }
        match self.action {
            Action::Change { app, .. } => {
                let _ = writeln!(
                    s,
                    "[[step]]\nat = \"{ACTION_S}s\"\ncrash = {}\n\n[[step]]\nat = \"{}s\"\nrestart = {}\nlabel = \"action\"\n",
                    quote(app),
                    ACTION_S.saturating_add(DOWN_S),
                    quote(app)
                );
            }
            Action::Switchover { to } => {
                let _ = writeln!(
                    s,
                    "[[step]]\nat = \"{ACTION_S}s\"\nswitchover = {{ to = {} }}\nlabel = \"action\"\n",
                    quote(to)
                );
            }
        }
        for l in links {
            let _ = writeln!(s, "{}", expectation(l, observed.is_some()));
        }
        if observed.is_none_or(|o| o.lost_held) {
            let _ = writeln!(s, "[[expect]]\nno-acked-event-lost = true\n");
        }
        if let Some(o) = observed.filter(|o| !o.off.is_empty()) {
            let _ = writeln!(s, "[invariants]");
            for key in &o.off {
                let _ = writeln!(s, "{key} = false");
            }
        }
        s
    }

    fn header(&self, s: &mut String, links: &[Link], observed: Option<&Observed>) {
        let d = &self.diff;
        let _ = writeln!(
            s,
            "# Written by `hapair rehearse {} {}`: step {} of a rollout.",
            d.from.source.path.display(),
            d.to.source.path.display(),
            self.stem
        );
        let _ = writeln!(
            s,
            "# Field situation: the pair is part-way through a rolling change; this step: {}.",
            self.action.words()
        );
        if let Action::Change { app, .. } = self.action {
            if let Some(a) = d.app(app) {
                for c in a.changes.iter().take(12) {
                    let _ = writeln!(
                        s,
                        "#   {app} {}: {} -> {}",
                        c.path,
                        c.from.as_deref().unwrap_or("(unset)"),
                        c.to.as_deref().unwrap_or("(unset)")
                    );
                }
            }
        }
        let _ = writeln!(
            s,
            "# In a real deployment the operator does this with every other application as the \
             topology in topologies/{}.toml describes it, clients connected and sending.",
            self.stem
        );
        match observed {
            None => {
                let _ = writeln!(
                    s,
                    "# Expectations: after the step every connection below comes back and \
                     nothing acknowledged is lost."
                );
            }
            Some(o) => {
                let _ = writeln!(
                    s,
                    "# Expectations: this step BREAKS the rollout; the expectations state what \
                     the rehearsal predicts (refusals by class{}), so a run that passes \
                     confirms the prediction.",
                    if o.acked_lost > 0 {
                        ", not that nothing acknowledged is lost"
                    } else {
                        ""
                    }
                );
                if !o.off.is_empty() {
                    let _ = writeln!(
                        s,
                        "#   invariants that failed are switched off below: {}",
                        o.off.join(", ")
                    );
                }
                for l in links.iter().filter(|l| !l.held) {
                    let _ = writeln!(
                        s,
                        "#   broken: {} -> {}{} ({})",
                        l.from,
                        l.to,
                        if l.ha { " (HA link)" } else { "" },
                        if l.classes.is_empty() {
                            "no session, no handshake failure".to_string()
                        } else {
                            l.classes.join(", ")
                        }
                    );
                }
            }
        }
        s.push('\n');
    }
}

/// The expectation of a link: it comes back, or (observed and broken) it is refused by the
/// first class seen.
fn expectation(l: &Link, observed: bool) -> String {
    let port = l
        .port
        .as_ref()
        .map(|p| format!(", port = {}", quote(p)))
        .unwrap_or_default();
    let window = format!("after = \"action\"\nwithin = \"{WITHIN_S}s\"\n");
    if observed && !l.held {
        return match l.classes.first() {
            Some(class) => format!(
                "[[expect]]\nrefused = {{ from = {}, to = {}{port}, class = {} }}\n{window}",
                quote(&l.from),
                quote(&l.to),
                quote(class)
            ),
            None => format!(
                "# {} -> {}: no session within {WITHIN_S}s, and no handshake failure to expect.\n",
                l.from, l.to
            ),
        };
    }
    if l.ha {
        format!(
            "[[expect]]\nha-synced = {{ primary = {}, backup = {} }}\n{window}",
            quote(&l.to),
            quote(&l.from)
        )
    } else {
        format!(
            "[[expect]]\nconnected = {{ from = {}, to = {}{port} }}\n{window}",
            quote(&l.from),
            quote(&l.to)
        )
    }
}

fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}
