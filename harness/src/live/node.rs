//! `hapair node`: one host's software as an OS process of its own, so that a pair can span
//! processes, network namespaces or lab machines. The process runs the live engine
//! ([`super::LiveEngine`]) confined to one host: the host of one application (its LCA runs
//! with it, and the other applications the topology places on that host), or the SCS's host.
//! Every other host of the topology is known by name and address but runs elsewhere; the
//! processes find each other through a shared folder ([`crate::net::live::peers`]):
//!
//! - `HOST.addr`: where each host listens, rewritten at every bind, re-read at every dial;
//! - `epoch`: the shared start of virtual time (unix milliseconds), written by the first
//!   process that needs it (or given with `--epoch`), so that every trace is on one time axis;
//! - `certs/`: the key material, made once by the first process (renamed into place) and read
//!   back by the others (private keys 0600, as `hapair certs` writes them);
//! - `NAME.trace.jsonl`: the process's trace (the `--out` trace format), one event a line,
//!   flushed at once; [`merge_traces`] joins them by time.
//!
//! The process runs until SIGTERM or SIGINT, then ends cleanly (exit 0).

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;

use crate::engine::{MANAGEMENT_HOST, Plan};
use crate::net::live::peers::Directory;
use crate::topology::{AppType, Topology};
use crate::trace::{Event, Recorder, Trace};

/// What one node process runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// The host of this application (its LCA and applications).
    App(String),
    /// The Management Layer's SCS (on its host).
    Scs,
}

/// How a node process is set up.
#[derive(Clone, Debug)]
pub struct NodeOptions {
    /// What it runs.
    pub part: Part,
    /// The shared folder.
    pub dir: PathBuf,
    /// The shared epoch (unix ms); `None`: the folder's `epoch` file, made if missing.
    pub epoch: Option<u64>,
    /// Virtual time runs this many times faster than real time.
    pub time_scale: u32,
    /// The host's address (default: 127.0.1.x by the host's place in the topology).
    pub bind: Option<Ipv4Addr>,
    /// The certificates' clock (default: the epoch's day, midnight UTC).
    pub clock: Option<OffsetDateTime>,
    /// Seed of the switch's calls.
    pub seed: u64,
}

/// Why a node could not run.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The command line or the folder's contents are wrong.
    #[error("{0}")]
    BadInput(String),
    /// The harness failed.
    #[error("{0}")]
    Internal(String),
}

/// The name a part's trace file carries: the application's, or `scs`.
pub fn trace_name(part: &Part) -> &str {
    match part {
        Part::App(name) => name,
        Part::Scs => "scs",
    }
}

/// The host (FQDN) a part runs on.
///
/// # Errors
/// [`NodeError::BadInput`] for an application the topology does not have.
pub fn host_of(t: &Topology, part: &Part) -> Result<String, NodeError> {
    let app = match part {
        Part::App(name) => Some(t.app(name).ok_or_else(|| {
            let known: Vec<&str> = t.apps.iter().map(|a| a.name.value.as_str()).collect();
            NodeError::BadInput(format!(
                "the topology has no application `{}` (it has: {})",
                crate::limits::quoted(name),
                known.join(", ")
            ))
        })?),
        Part::Scs => t.apps.iter().find(|a| a.kind.value == AppType::Scs),
    };
    Ok(app
        .and_then(|a| t.host(&a.host.value))
        .map_or_else(|| MANAGEMENT_HOST.to_string(), |h| h.name.value.clone()))
}

/// The shared epoch: `given`, or the folder's `epoch` file (made now if missing: written
/// aside, then linked into place, so that exactly one process makes it).
///
/// # Errors
/// [`NodeError`] when the file cannot be made or read.
pub fn epoch(dir: &Path, given: Option<u64>) -> Result<u64, NodeError> {
    if let Some(e) = given {
        return Ok(e);
    }
    let path = dir.join("epoch");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| NodeError::Internal(format!("the system clock is before 1970: {e}")))?;
    let now = u64::try_from(now.as_millis()).unwrap_or(u64::MAX);
    let tmp = dir.join(format!(".epoch.{}", std::process::id()));
    std::fs::write(&tmp, format!("{now}\n"))
        .map_err(|e| NodeError::Internal(format!("cannot write {}: {e}", tmp.display())))?;
    let linked = std::fs::hard_link(&tmp, &path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(now),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| NodeError::Internal(format!("cannot read {}: {e}", path.display())))?;
            text.trim().parse().map_err(|_| {
                NodeError::BadInput(format!(
                    "{}:1: `{}` is not unix milliseconds",
                    path.display(),
                    crate::limits::quoted(text.trim())
                ))
            })
        }
        Err(e) => Err(NodeError::Internal(format!(
            "cannot make {}: {e}",
            path.display()
        ))),
    }
}

/// The material in `DIR/certs`: the first process makes it in a folder of its own and renames
/// that into place (a rename onto a folder that is there fails, so exactly one wins); every
/// process then reads it back from `DIR/certs`.
fn material(
    t: &Topology,
    dir: &Path,
    clock: OffsetDateTime,
) -> Result<crate::pki::Material, NodeError> {
    let certs = dir.join("certs");
    let pki = |e: crate::pki::PkiError| {
        if e.is_bad_input() {
            NodeError::BadInput(e.to_string())
        } else {
            NodeError::Internal(e.to_string())
        }
    };
    if !certs.is_dir() {
        let mine = dir.join(format!(".certs.{}", std::process::id()));
        crate::pki::store::ensure(&mine, &t.pki, clock).map_err(pki)?;
        if std::fs::rename(&mine, &certs).is_err() {
            let _ = std::fs::remove_dir_all(&mine);
        }
    }
    let (mut m, _) = crate::pki::store::ensure(&certs, &t.pki, clock).map_err(pki)?;
    crate::pki::paths::add_paths(t, &mut m).map_err(pki)?;
    Ok(m)
}

/// The flag SIGTERM and SIGINT set (watched by a thread of its own).
fn on_signal() -> Result<Arc<AtomicBool>, NodeError> {
    use tokio::signal::unix::{SignalKind, signal};
    let flag = Arc::new(AtomicBool::new(false));
    let set = Arc::clone(&flag);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| NodeError::Internal(format!("cannot start a runtime: {e}")))?;
    // The handlers are installed before the node starts: a signal is never missed.
    let (mut term, mut int) = rt
        .block_on(async {
            Ok::<_, std::io::Error>((
                signal(SignalKind::terminate())?,
                signal(SignalKind::interrupt())?,
            ))
        })
        .map_err(|e| NodeError::Internal(format!("cannot watch signals: {e}")))?;
    std::thread::spawn(move || {
        rt.block_on(async {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        });
        set.store(true, Ordering::Relaxed);
    });
    Ok(flag)
}

/// Runs the node until SIGTERM or SIGINT.
///
/// # Errors
/// [`NodeError`] when the folder, the material or the engine cannot be set up, or the engine
/// fails.
pub fn run(topology: Rc<Topology>, o: &NodeOptions) -> Result<(), NodeError> {
    std::fs::create_dir_all(&o.dir)
        .map_err(|e| NodeError::BadInput(format!("cannot make {}: {e}", o.dir.display())))?;
    let host = host_of(&topology, &o.part)?;
    let epoch_ms = epoch(&o.dir, o.epoch)?;
    let epoch_time = UNIX_EPOCH
        .checked_add(Duration::from_millis(epoch_ms))
        .ok_or_else(|| NodeError::BadInput(format!("epoch {epoch_ms} is out of range")))?;
    // The epoch as a real instant of this process (now, if the epoch is in the future).
    let since = SystemTime::now()
        .duration_since(epoch_time)
        .unwrap_or_default();
    let start = std::time::Instant::now().checked_sub(since);
    let clock = match o.clock {
        Some(c) => c,
        None => {
            let secs = i64::try_from(epoch_ms / 1000).unwrap_or(0);
            OffsetDateTime::from_unix_timestamp(secs)
                .map_err(|e| NodeError::BadInput(format!("epoch {epoch_ms}: {e}")))?
                .replace_time(time::Time::MIDNIGHT)
        }
    };
    let material = material(&topology, &o.dir, clock)?;
    let trace_path = o.dir.join(format!("{}.trace.jsonl", trace_name(&o.part)));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&trace_path)
        .map_err(|e| NodeError::BadInput(format!("cannot write {}: {e}", trace_path.display())))?;
    let stop = on_signal()?;
    let mut plan = Plan::new(topology, material, clock, o.seed, Duration::MAX);
    plan.wall_limit = Duration::MAX;
    plan.recorder = Recorder::writing_to(Box::new(file));
    plan.stop = Some(stop);
    let options = super::Options {
        time_scale: o.time_scale.max(1),
        first: crate::net::live::FIRST_ADDRESS,
        announce: true,
    };
    let mut engine =
        super::LiveEngine::new(&plan, options).map_err(|e| NodeError::Internal(e.to_string()))?;
    let _ = writeln!(
        std::io::stderr(),
        "hapair node: {} on {host}, folder {}, epoch {epoch_ms}, trace {}",
        trace_name(&o.part),
        o.dir.display(),
        trace_path.display()
    );
    engine.confine(
        Directory {
            dir: o.dir.clone(),
            host,
        },
        o.bind.map(std::net::IpAddr::V4),
        start,
    );
    crate::engine::run(engine, plan)
        .map(|_| ())
        .map_err(|e| NodeError::Internal(e.to_string()))
}

/// Every event of the `*.trace.jsonl` files in `dirs`, ordered by time (events at the same
/// instant keep their file's order, files taken by name). A last line cut short (a process
/// killed while writing it) is left out.
///
/// # Errors
/// The file and line of an event that cannot be read, or a folder that cannot be listed.
pub fn merge_traces(dirs: &[PathBuf]) -> Result<Trace, NodeError> {
    let mut events: Vec<Event> = Vec::new();
    for dir in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| NodeError::BadInput(format!("cannot list {}: {e}", dir.display())))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(".trace.jsonl"))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| NodeError::BadInput(format!("cannot read {}: {e}", path.display())))?;
            let complete = text.ends_with('\n');
            let lines: Vec<&str> = text.lines().collect();
            for (n, line) in (1_usize..).zip(&lines) {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Event>(line) {
                    Ok(e) => events.push(e),
                    Err(_) if !complete && n == lines.len() => {}
                    Err(e) => {
                        let mut msg = String::new();
                        let _ = write!(msg, "{}:{n}: not a trace event: {e}", path.display());
                        return Err(NodeError::BadInput(msg));
                    }
                }
            }
        }
    }
    events.sort_by_key(|e| e.at_ms);
    Ok(Trace { events })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_merge_by_time_and_a_line_cut_by_a_kill_is_left_out() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ev = |at: u64, node: &str| {
            format!(r#"{{"at_ms":{at},"node":"{node}","event":"started","role":null}}"#)
        };
        let a = format!("{}\n{}\n", ev(5, "a"), ev(30, "a"));
        let b = format!("{}\n{}\n{{\"at_ms\":4", ev(1, "b"), ev(20, "b"));
        std::fs::write(dir.path().join("a.trace.jsonl"), a).expect("write");
        std::fs::write(dir.path().join("b.trace.jsonl"), b).expect("write");
        std::fs::write(dir.path().join("a.addr"), "ip 127.0.1.1\n").expect("write");
        let t = merge_traces(&[dir.path().to_path_buf()]).expect("merged");
        let at: Vec<u64> = t.events.iter().map(|e| e.at_ms).collect();
        assert_eq!(at, [1, 5, 20, 30]);
        // A bad line that is not the last one is an error, with its file and line.
        std::fs::write(dir.path().join("c.trace.jsonl"), "nonsense\n").expect("write");
        let e = merge_traces(&[dir.path().to_path_buf()]).expect_err("bad line");
        assert!(e.to_string().contains("c.trace.jsonl:1:"), "{e}");
    }

    #[test]
    fn the_first_process_writes_the_epoch_and_the_others_read_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = epoch(dir.path(), None).expect("made");
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(epoch(dir.path(), None).expect("read"), first);
        assert_eq!(epoch(dir.path(), Some(7)).expect("given"), 7);
        std::fs::write(dir.path().join("epoch"), "soon\n").expect("write");
        let e = epoch(dir.path(), None).expect_err("bad epoch");
        assert!(e.to_string().contains("epoch:1:"), "{e}");
    }
}
