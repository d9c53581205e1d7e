//! The topology loader on arbitrary bytes: UTF-8 decoding, TOML, the model, the reference
//! checks, then (on a topology that loads) the rules without certificate material, and the
//! rendering of every located problem and finding as `hapair check` prints them.
#![no_main]

use std::collections::BTreeMap;

use hapair::diag::Source;
use hapair::pki::Material;
use hapair::report::human::Renderer;

/// The instant the rules judge at (2026-06-01 08:00 UTC, the scenarios' default clock).
const CLOCK: time::OffsetDateTime = time::macros::datetime!(2026-06-01 08:00 UTC);

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let render = Renderer::new(false);
    let mut out = String::new();
    let source = match Source::from_bytes("fuzz/topology.toml", data.to_vec()) {
        Ok(source) => source,
        Err(invalid) => {
            for p in &invalid.problems {
                render.problem(&mut out, &invalid.source_file, p);
            }
            return;
        }
    };
    match hapair::topology::parse(source) {
        Ok(topology) => {
            // No certificate material: making it would generate keys per input (slow), and
            // the PEM target covers reading the user's files.
            let material = Material {
                clock: CLOCK,
                cas: BTreeMap::new(),
                certs: BTreeMap::new(),
            };
            if let Ok(findings) = hapair::rules::judge(&topology, &material, CLOCK) {
                for f in findings {
                    render.finding(&mut out, &topology.source, &f);
                }
            }
        }
        Err(invalid) => {
            assert!(!invalid.problems.is_empty(), "an error names a problem");
            for p in &invalid.problems {
                render.problem(&mut out, &invalid.source_file, p);
            }
        }
    }
});
