//! The rolling order: which application changes when, and the switchovers between.
//!
//! Genesys's documented order for a pair: change the backup, restart it, switch over to it,
//! change the former primary, restart it. Here a pair member whose turn comes while it is the
//! primary is switched away from first, so the default order (the backup, then the primary)
//! gives exactly that sequence. Pairs go first (in FROM's file order), then the other servers,
//! then the clients; a plan file (`order = ["desk", "ts_backup", …]`, `trust-first = true`)
//! overrides the order of applications, and may ask for the new CAs to be trusted everywhere
//! first (the old ones are then dropped at the end), or for every `sec-protocol` that changes
//! to be left empty first (`relax-first = true`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use super::RehearseError;
use super::diff::Diff;
use crate::diag::{Invalid, Problem, ReadError, Source, Span};
use crate::topology::{AppType, Topology};

/// What an application's configuration is at a moment of the rollout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Today's configuration.
    From,
    /// Today's, with `sec-protocol` left empty (the highest common version from TLS 1.2).
    Relaxed,
    /// Today's, also trusting the CAs it will trust after the rollout.
    TrustBoth,
    /// The new one, still trusting the CAs it trusted today.
    ToTrustBoth,
    /// The new configuration.
    To,
}

impl Level {
    /// Whether the application's tables come from TO.
    pub fn is_to(self) -> bool {
        matches!(self, Level::ToTrustBoth | Level::To)
    }

    /// In words.
    pub fn words(self) -> &'static str {
        match self {
            Level::From => "today's configuration",
            Level::Relaxed => "today's configuration with sec-protocol left empty",
            Level::TrustBoth => "today's configuration, trusting the new CAs too",
            Level::ToTrustBoth => "the new configuration, still trusting the old CAs",
            Level::To => "the new configuration",
        }
    }
}

/// One step of a rollout.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "action")]
pub enum Action {
    /// The application is stopped, its configuration changed, and it is started again.
    Change {
        /// The application.
        app: String,
        /// Its configuration afterwards.
        level: Level,
    },
    /// The operator switches the pair over to `to`.
    Switchover {
        /// The instance that becomes primary.
        to: String,
    },
}

impl Action {
    /// In words.
    pub fn words(&self) -> String {
        match self {
            Action::Change { app, level } => {
                format!("change {app} to {} and restart it", level.words())
            }
            Action::Switchover { to } => format!("switch over to {to}"),
        }
    }
}

/// A way to roll: the order of applications, and whether the new CAs are trusted first.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Plan {
    /// Applications in the order they change.
    pub order: Vec<String>,
    /// Whether every trust store gets the new CAs first, and loses the old ones last.
    pub trust_first: bool,
    /// Whether every application whose `sec-protocol` changes goes through an empty one
    /// first (not with `trust_first`).
    pub relax_first: bool,
}

/// The state of the rollout: each application's level, and each pair's current primary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// Level per application.
    pub levels: BTreeMap<String, Level>,
    /// Current primary, keyed by the pair's configured primary.
    pub primary: BTreeMap<String, String>,
}

impl State {
    /// Everything as today, every configured primary in service.
    pub fn start(t: &Topology) -> Self {
        Self {
            levels: t
                .apps
                .iter()
                .map(|a| (a.name.value.clone(), Level::From))
                .collect(),
            primary: t
                .pairs()
                .map(|p| (p.primary.name.value.clone(), p.primary.name.value.clone()))
                .collect(),
        }
    }

    /// The level of an application.
    pub fn level(&self, app: &str) -> Level {
        self.levels.get(app).copied().unwrap_or(Level::From)
    }

    /// The current primary of `app`'s pair, if it is in one.
    pub fn primary_of(&self, t: &Topology, app: &str) -> Option<String> {
        let pair = t.pair_of(app)?;
        self.primary.get(&pair.primary.name.value).cloned()
    }
}

/// The default order: each pair's backup then its primary (FROM's file order), the other
/// servers, then the clients; `clients_first` puts the clients before everything.
pub fn default_order(t: &Topology, clients_first: bool) -> Vec<String> {
    let mut pairs = Vec::new();
    for p in t.pairs() {
        pairs.push(p.backup.name.value.clone());
        pairs.push(p.primary.name.value.clone());
    }
    let servers = t
        .apps
        .iter()
        .filter(|a| a.kind.value != AppType::Client && t.pair_of(&a.name.value).is_none())
        .map(|a| a.name.value.clone());
    let clients: Vec<String> = t
        .apps
        .iter()
        .filter(|a| a.kind.value == AppType::Client)
        .map(|a| a.name.value.clone())
        .collect();
    let mut order = Vec::new();
    if clients_first {
        order.extend(clients.iter().cloned());
    }
    order.extend(pairs);
    order.extend(servers);
    if !clients_first {
        order.extend(clients);
    }
    order
}

/// The steps of a plan, each with the state after it.
pub fn steps(diff: &Diff, plan: &Plan) -> Vec<(Action, State)> {
    let t = &diff.from.topology;
    let mut state = State::start(t);
    let mut out = Vec::new();
    let phases: &[Level] = if plan.trust_first {
        &[Level::TrustBoth, Level::ToTrustBoth, Level::To]
    } else if plan.relax_first {
        &[Level::Relaxed, Level::To]
    } else {
        &[Level::To]
    };
    for &phase in phases {
        for app in &plan.order {
            if !differs(diff, app, state.level(app), phase) {
                continue;
            }
            if let Some(pair) = t.pair_of(app) {
                let (p, b) = (&pair.primary.name.value, &pair.backup.name.value);
                if state.primary.get(p) == Some(app) {
                    let other = if app == p { b } else { p };
                    state.primary.insert(p.clone(), other.clone());
                    out.push((Action::Switchover { to: other.clone() }, state.clone()));
                }
            }
            state.levels.insert(app.clone(), phase);
            out.push((
                Action::Change {
                    app: app.clone(),
                    level: phase,
                },
                state.clone(),
            ));
        }
    }
    out
}

/// Whether moving `app` from level `a` to level `b` changes anything it runs with.
pub fn differs(diff: &Diff, app: &str, a: Level, b: Level) -> bool {
    let Some(d) = diff.app(app) else {
        return false;
    };
    (a.is_to() != b.is_to() && !d.changes.is_empty())
        || ((a == Level::Relaxed) != (b == Level::Relaxed) && relaxes(diff, app))
        || trust(diff, app, a) != trust(diff, app, b)
}

/// Whether an application's `sec-protocol` is set today and changes: going through an empty
/// one keeps it talking to peers on either value.
pub fn relaxes(diff: &Diff, app: &str) -> bool {
    diff.app(app).is_some_and(|d| {
        d.changes
            .iter()
            .any(|c| c.path.ends_with("sec-protocol") && c.from.is_some())
    })
}

/// The CAs an application trusts at a level.
pub fn trust(diff: &Diff, app: &str, level: Level) -> BTreeSet<String> {
    let Some(d) = diff.app(app) else {
        return BTreeSet::new();
    };
    match level {
        Level::From | Level::Relaxed => d.trust_from.clone(),
        Level::To => d.trust_to.clone(),
        Level::TrustBoth | Level::ToTrustBoth => d.trust_from.union(&d.trust_to).cloned().collect(),
    }
}

/// Whether any application trusts other CAs after the rollout.
pub fn trust_changes(diff: &Diff) -> bool {
    diff.apps.iter().any(|a| a.trust_from != a.trust_to)
}

/// Reads a plan file: `order` (application names; the ones it leaves out follow in the
/// default order) and `trust-first`.
///
/// # Errors
/// [`RehearseError`] with the file and line of what is wrong.
pub fn read_plan(path: &Path, t: &Topology) -> Result<Plan, RehearseError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case")]
    struct File {
        #[serde(default)]
        order: Vec<toml::Spanned<String>>,
        #[serde(default)]
        trust_first: bool,
        #[serde(default)]
        relax_first: bool,
    }
    let source = Source::read(path).map_err(|e| match e {
        ReadError::Io(e) => RehearseError::Unreadable {
            path: path.to_path_buf(),
            error: format!("cannot read {}: {e}", path.display()),
        },
        ReadError::NotText(i) => RehearseError::Invalid(i),
    })?;
    let problem = |span: Span, message: String| {
        RehearseError::Invalid(Invalid {
            source_file: Arc::clone(&source),
            problems: vec![Problem::new("bad-plan", span, message).help(
                "a plan is `order = [\"APP\", …]` (applications of FROM), `trust-first = true|false` and `relax-first = true|false`",
            )],
        })
    };
    let file: File = toml::from_str(&source.text).map_err(|e| {
        let span = e.span().map_or(Span::default(), Span::from);
        problem(span, e.message().to_string())
    })?;
    let mut order = Vec::new();
    for name in &file.order {
        if t.app(name.get_ref()).is_none() {
            return Err(problem(
                Span::from(name.span()),
                format!("`{}` is not an application of FROM", name.get_ref()),
            ));
        }
        if order.contains(name.get_ref()) {
            return Err(problem(
                Span::from(name.span()),
                format!("`{}` is listed twice", name.get_ref()),
            ));
        }
        order.push(name.get_ref().clone());
    }
    for app in default_order(t, false) {
        if !order.contains(&app) {
            order.push(app);
        }
    }
    if file.trust_first && file.relax_first {
        return Err(problem(
            Span::default(),
            "`trust-first` and `relax-first` cannot be combined: rehearse one change, then the other"
                .to_string(),
        ));
    }
    Ok(Plan {
        order,
        trust_first: file.trust_first,
        relax_first: file.relax_first,
    })
}
