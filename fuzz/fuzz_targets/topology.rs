//! The topology loader on arbitrary bytes: UTF-8 decoding, TOML, the model, the reference
//! checks, then (on a topology that loads) the topology-only rules, and the rendering of
//! every located problem and finding as `hapair check` prints them.
#![no_main]

use hapair::diag::Source;
use hapair::report::human::Renderer;

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
            for f in hapair::rules::check(&topology) {
                render.finding(&mut out, &topology.source, &f);
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
