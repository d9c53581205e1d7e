//! A progress bar on stderr for long batches watched on a terminal: it counts scenario files,
//! and appears once the batch has taken a second, so short runs print nothing but their
//! results.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The bar of one batch (nothing at all when not wanted).
pub(super) struct Progress {
    bar: Option<indicatif::ProgressBar>,
    shown: AtomicBool,
    started: Instant,
}

impl Progress {
    /// A bar over `files` files, when `wanted` and there is more than one.
    pub(super) fn new(wanted: bool, files: usize) -> Self {
        let bar = (wanted && files > 1).then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(files as u64),
                indicatif::ProgressDrawTarget::hidden(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{elapsed:>4} [{bar:30}] {pos}/{len} {wide_msg}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        Self {
            bar,
            shown: AtomicBool::new(false),
            started: Instant::now(),
        }
    }

    /// Every job of the file at `path` is done.
    pub(super) fn finished(&self, path: &Path) {
        let Some(bar) = &self.bar else { return };
        if self.started.elapsed() >= Duration::from_secs(1)
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        bar.set_message(path.display().to_string());
        bar.inc(1);
    }

    /// The batch is over: the bar goes away.
    pub(super) fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
