//! Isolation of a failing run: a panic inside one scenario run (a defect of hapair's) becomes
//! that run's internal error instead of ending the batch, and is not printed in the middle of
//! the results. Panics outside a run keep the hook they had (a test's failing assertion is
//! still printed).

use std::cell::{Cell, RefCell};
use std::path::Path;
use std::sync::Once;

/// Environment variable that makes the run of every file whose path contains its value panic,
/// so that tests can prove the isolation through the binary.
const TEST_PANIC: &str = "HAPAIR_TEST_PANIC";

thread_local! {
    /// Whether this thread is inside [`isolated`] (the hook stays quiet then).
    static INSIDE: Cell<bool> = const { Cell::new(false) };
    /// Where the last panic inside a run on this thread happened (the hook records it).
    static PANIC_AT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`, one scenario run of the file at `path`; a panic inside it comes back as `Err`
/// with what it said and where (`panic at FILE:LINE: MESSAGE`).
///
/// # Errors
/// The panic's message, when `f` panicked.
#[allow(clippy::panic)] // the test hook's whole purpose: a panic on request
pub fn isolated<T>(path: &Path, f: impl FnOnce() -> T) -> Result<T, String> {
    quiet_hook();
    let inject = std::env::var(TEST_PANIC)
        .ok()
        .filter(|t| !t.is_empty() && path.display().to_string().contains(t.as_str()));
    let was_inside = INSIDE.with(|i| i.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if inject.is_some() {
            panic!("{TEST_PANIC} asked for a panic");
        }
        f()
    }));
    INSIDE.with(|i| i.set(was_inside));
    result.map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_string());
        match PANIC_AT.with(|p| p.borrow_mut().take()) {
            Some(at) => format!("panic at {at}: {what}"),
            None => format!("panic: {what}"),
        }
    })
}

/// Installs, once per process, a panic hook that only notes where a panic inside a run
/// happened, and hands every other panic to the hook installed before it.
fn quiet_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let before = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if INSIDE.with(Cell::get) {
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()));
                PANIC_AT.with(|p| *p.borrow_mut() = at);
            } else {
                before(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_becomes_an_error_with_its_place() {
        let e = isolated(Path::new("x.toml"), || -> u32 { panic!("boom {}", 7) })
            .expect_err("panicked");
        assert!(e.starts_with("panic at "), "{e}");
        assert!(e.contains("isolate.rs:") && e.ends_with(": boom 7"), "{e}");
        assert_eq!(isolated(Path::new("x.toml"), || 5), Ok(5));
        assert!(!INSIDE.with(Cell::get));
    }
}
