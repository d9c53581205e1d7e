//! A topology's material and static findings, made once per topology and clock on a thread
//! and reused by its next runs: the seeds of `hapair run --seeds N` and of a sweep run the
//! same scenario (the same `Rc<Topology>`) again and again, and generating its keys (RSA 2048
//! takes tens of milliseconds a key) and judging its rules again for every seed gave nothing
//! new. Material depends on the topology, the clock and the PEM files it names (read once
//! per thread: a file edited during a long sweep is not read again), never on the seed; the
//! trace does not depend on key bytes (a run's digest is the same with fresh keys: the
//! `--check-determinism` rerun starts from fresh material, [`forget`], to show it), so reuse
//! changes no verdict and no trace.
//!
//! An entry holds an `Rc` of its topology, so no other topology can take its address while
//! the entry lives: pointer equality is identity. Errors are not kept: a topology whose PEM
//! files could not be read is read again by its next run.

use std::cell::RefCell;
use std::rc::Rc;

use time::OffsetDateTime;

use crate::pki::{Material, PkiError};
use crate::rules::Finding;
use crate::topology::Topology;

/// How many topologies a thread keeps (a sweep of a whole folder goes file by file on each
/// worker; more entries would only hold memory).
const KEPT: usize = 8;

struct Entry {
    topology: Rc<Topology>,
    clock: OffsetDateTime,
    material: Material,
    findings: Vec<Finding>,
}

thread_local! {
    static KEPT_ENTRIES: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

/// The material (generated, and the PEM files named by path) and the static findings of
/// `topology` at `clock`: made by the first call on this thread, cloned by the next ones.
///
/// # Errors
/// A [`PkiError`] of generation, of reading a user's file, or of inspecting the material.
pub(crate) fn material_and_findings(
    topology: &Rc<Topology>,
    clock: OffsetDateTime,
) -> Result<(Material, Vec<Finding>), PkiError> {
    let found = KEPT_ENTRIES.with_borrow(|entries| {
        entries
            .iter()
            .find(|e| Rc::ptr_eq(&e.topology, topology) && e.clock == clock)
            .map(|e| (e.material.clone(), e.findings.clone()))
    });
    if let Some(found) = found {
        return Ok(found);
    }
    let material = crate::pki::paths::for_topology(topology, clock)?;
    let findings = crate::rules::judge(topology, &material, clock)?;
    KEPT_ENTRIES.with_borrow_mut(|entries| {
        if entries.len() >= KEPT {
            entries.remove(0);
        }
        entries.push(Entry {
            topology: Rc::clone(topology),
            clock,
            material: material.clone(),
            findings: findings.clone(),
        });
    });
    Ok((material, findings))
}

/// Lets go of everything this thread keeps: its next run of any topology generates (and
/// reads) its material again.
pub fn forget() {
    KEPT_ENTRIES.with_borrow_mut(Vec::clear);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topology() -> Rc<Topology> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios/topologies/tserver-pair.toml");
        Rc::new(crate::topology::load(&path).expect("the reference topology loads"))
    }

    fn leaves(m: &Material) -> Vec<Vec<u8>> {
        m.certs.values().map(|l| l.cert.to_vec()).collect()
    }

    #[test]
    fn the_same_topology_and_clock_reuse_one_material_and_anything_else_makes_its_own() {
        let clock = time::macros::datetime!(2026-06-01 08:00 UTC);
        let t = topology();
        let (first, findings) = material_and_findings(&t, clock).expect("material");
        let (again, findings_again) = material_and_findings(&t, clock).expect("material");
        assert!(!leaves(&first).is_empty());
        // Keys and certificates are fresh at every generation: equal bytes mean reuse.
        assert_eq!(leaves(&first), leaves(&again));
        assert_eq!(findings, findings_again);
        let later = clock + time::Duration::days(1);
        let (other_clock, _) = material_and_findings(&t, later).expect("material");
        assert_ne!(leaves(&first), leaves(&other_clock));
        let twin = topology();
        let (other_topology, _) = material_and_findings(&twin, clock).expect("material");
        assert_ne!(leaves(&first), leaves(&other_topology));
    }

    #[test]
    fn a_thread_keeps_a_bounded_number_of_topologies() {
        let clock = time::macros::datetime!(2026-06-01 08:00 UTC);
        let first = topology();
        let (kept, _) = material_and_findings(&first, clock).expect("material");
        for _ in 0..KEPT {
            let (_, _) = material_and_findings(&topology(), clock).expect("material");
        }
        assert_eq!(KEPT_ENTRIES.with_borrow(Vec::len), KEPT);
        let (again, _) = material_and_findings(&first, clock).expect("material");
        assert_ne!(leaves(&kept), leaves(&again), "the oldest entry was let go");
        forget();
        let (fresh, _) = material_and_findings(&first, clock).expect("material");
        assert_ne!(leaves(&again), leaves(&fresh), "forget lets everything go");
    }
}
