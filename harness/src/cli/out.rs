//! Writing to stdout and stderr without panicking. `print!` panics when stdout is closed
//! (`hapair run | head -1`) or cannot take more (`hapair rules > /dev/full`); every command
//! writes through [`print`] instead. A reader that went away ends the output quietly (it has
//! what it wanted, and the command keeps its own exit code); any other write error is one line
//! on stderr and exit 3.

use std::io::{self, Write};

use super::Outcome;

/// Writes `text` to stdout and flushes it.
///
/// # Errors
/// [`Outcome::Internal`], after one line on stderr saying why, when stdout cannot be written
/// for any reason but a closed pipe (a closed pipe is `Ok`: nothing is lost that anyone reads).
pub(super) fn print(text: &str) -> Result<(), Outcome> {
    match write_all(&mut io::stdout().lock(), text) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => {
            eprint(&format!("hapair: cannot write the output: {e}\n"));
            Err(Outcome::Internal)
        }
    }
}

/// [`print`], then the outcome the command reached, unless the output could not be written.
pub(super) fn print_then(text: &str, outcome: Outcome) -> Outcome {
    print(text).err().unwrap_or(outcome)
}

/// Writes `text` to stderr. An error there has nowhere left to be reported: it is dropped.
pub(super) fn eprint(text: &str) {
    let _ = write_all(&mut io::stderr().lock(), text);
}

fn write_all(w: &mut impl Write, text: &str) -> io::Result<()> {
    w.write_all(text.as_bytes())?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Failing(io::ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(self.0))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn write_errors_are_returned_not_panicked() {
        let e = write_all(&mut Failing(io::ErrorKind::BrokenPipe), "x").err();
        assert_eq!(e.map(|e| e.kind()), Some(io::ErrorKind::BrokenPipe));
        let mut ok = Vec::new();
        assert!(write_all(&mut ok, "text").is_ok());
        assert_eq!(ok, b"text");
    }
}
