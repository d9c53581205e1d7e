//! The scenario loader on arbitrary bytes, against the shipped topologies: a
//! `topology = "PATH"` naming one of them (as the shipped scenarios do) gets it, embedded
//! here; any other path is "not found" without touching the file system, so the fuzzer
//! never reads a file. An inline `[topology]` table is loaded from the input itself.
#![no_main]

use std::path::Path;

use hapair::diag::Source;
use hapair::report::human::Renderer;
use hapair::scenario::LoadError;
use hapair::topology::{self, Topology};

/// The scenario's folder: relative topology paths are joined to it.
const DIR: &str = "fuzz/scenarios";

/// The topologies the shipped scenarios (and tests/corpus/scenario/) name, by the path they
/// write.
const TOPOLOGIES: &[(&str, &str)] = &[
    (
        "topologies/tserver-pair.toml",
        include_str!("../../scenarios/topologies/tserver-pair.toml"),
    ),
    (
        "topologies/tserver-pair-warm.toml",
        include_str!("../../scenarios/topologies/tserver-pair-warm.toml"),
    ),
    (
        "topologies/tserver-pair-scs.toml",
        include_str!("../../scenarios/topologies/tserver-pair-scs.toml"),
    ),
    (
        "topologies/cs-pair.toml",
        include_str!("../../scenarios/topologies/cs-pair.toml"),
    ),
    (
        "topologies/icon-ha.toml",
        include_str!("../../scenarios/topologies/icon-ha.toml"),
    ),
    (
        "../base/topology.toml",
        include_str!("../../tests/corpus/base/topology.toml"),
    ),
];

fn shipped(path: &Path) -> Result<Topology, topology::LoadError> {
    let relative = path.strip_prefix(DIR).ok().and_then(Path::to_str);
    match TOPOLOGIES.iter().find(|(name, _)| Some(*name) == relative) {
        Some((_, text)) => Ok(topology::parse(Source::new(path, *text))?),
        None => Err(topology::LoadError::Read {
            path: path.to_path_buf(),
            source: std::io::ErrorKind::NotFound.into(),
        }),
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let render = Renderer::new(false);
    let mut out = String::new();
    let result = Source::from_bytes(format!("{DIR}/scenario.toml"), data.to_vec())
        .map_err(LoadError::Invalid)
        .and_then(|source| hapair::scenario::parse(source, &shipped));
    match result {
        Ok(_) | Err(LoadError::Read { .. }) => {}
        Err(LoadError::Invalid(invalid)) => {
            assert!(!invalid.problems.is_empty(), "an error names a problem");
            for p in &invalid.problems {
                render.problem(&mut out, &invalid.source_file, p);
            }
        }
        Err(LoadError::Topology { source, .. }) => {
            // Only a path that is not shipped: every shipped topology loads.
            assert!(
                matches!(source, topology::LoadError::Read { .. }),
                "a shipped topology failed: {source}"
            );
        }
    }
});
