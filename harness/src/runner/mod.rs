//! Running scenarios in bulk: which files ([`discover`]), under which seeds ([`Seeds`]), on
//! how many threads ([`Batch::workers`]), each run isolated from the others' failures, with a
//! progress bar, and the artefacts of `--out` ([`artefacts`]). `hapair run` and the test
//! suites call this; one run of one scenario under one seed is
//! [`crate::execute::execute_limited`].
//!
//! A batch is a list of jobs, each a scenario file under a seed; [`run`] streams their
//! reports back in job order whatever the number of workers, [`run_files`] gathers them per
//! file as `hapair run` reports them. Nothing here renders or picks an exit code: that is the
//! CLI's.

pub mod artefacts;
mod batch;
mod discover;
mod isolate;
mod job;
pub mod pool;
mod progress;

pub use batch::{Batch, Seeds, run, run_files};
pub use discover::{DiscoverError, discover, matching};
pub use isolate::isolated;
pub use job::{Failure, Job, JobReport, JobResult, Seed};
