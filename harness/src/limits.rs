//! Bounds on what hapair takes as input, so that no file, flag or value can make it read,
//! allocate or simulate without end: file sizes (checked before reading, and read with a
//! limit), regular files only (a FIFO or device would block or never end), objects per
//! topology, virtual time per scenario, seeds per run, sessions per simulated listener, and the
//! length of a value quoted back in a message. README's "Limits" section lists them with their
//! messages.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

/// Largest topology or scenario file read (10 MiB).
pub const MAX_TOML_BYTES: u64 = 10 * 1024 * 1024;
/// Largest PEM file read (1 MiB).
pub const MAX_PEM_BYTES: u64 = 1024 * 1024;
/// Most hosts, and most applications, one topology may declare.
pub const MAX_OBJECTS: usize = 5_000;
/// Longest virtual run of one scenario (7 days; the soak scenarios need 24 h).
pub const MAX_SCENARIO: Duration = Duration::from_secs(7 * 86_400);
/// Longest single duration a file may write (366 days): ADDP and reconnect timeouts, delays.
pub const MAX_DURATION: Duration = Duration::from_secs(366 * 86_400);
/// Most seeds one `hapair run` runs per scenario.
pub const MAX_SEEDS: u64 = 100_000;
/// Most sessions one listening port of a simulated server holds open at once; a connection
/// past it is closed as soon as it is accepted, and the trace says so (`session-limit`).
/// Every application of the largest topology ([`MAX_OBJECTS`]) connected to one port four
/// times over still fits (a client redialling holds a second session until the server sees
/// the first one end): only a runaway reconnect loop reaches it. Genesys documents no such
/// number; an operating system's file-descriptor limit plays that part on real hosts.
pub const MAX_SESSIONS_PER_LISTENER: usize = 4 * MAX_OBJECTS;
/// Most reconnection attempts a server's `reconnect-attempts` may ask of a client before it
/// tries the other server of the pair (Genesys documents 1 as the recommended value).
pub const MAX_RECONNECT_ATTEMPTS: u64 = 1_000;
/// Most calls one `calls` step places (each is about a dozen call events in the trace: the
/// largest step stays well inside a run's bound on events).
pub const MAX_CALLS: u64 = 100_000;
/// Most agents one `calls` step logs in.
pub const MAX_CALL_AGENTS: u64 = 10_000;
/// Most attached-data keys a `calls` step attaches to each call.
pub const MAX_CALL_KEYS: u64 = 50;
/// Longest value quoted back in a message, in characters; longer ones are cut.
pub const MAX_QUOTED: usize = 200;

/// Earliest clock a file or `--clock` may set (certificate times before 1970 have no Unix time).
pub const MIN_CLOCK_YEAR: i32 = 1970;
/// Latest clock year: a clock plus a 100-year certificate validity plus a run still fits
/// before year 9999, the last an X.509 time (and the date type) can hold.
pub const MAX_CLOCK_YEAR: i32 = 9_899;

/// Whether a clock is in [`MIN_CLOCK_YEAR`]..=[`MAX_CLOCK_YEAR`]; else why not.
///
/// # Errors
/// A sentence for a located problem or a usage error.
pub fn check_clock(t: time::OffsetDateTime) -> Result<(), String> {
    if (MIN_CLOCK_YEAR..=MAX_CLOCK_YEAR).contains(&t.year()) {
        Ok(())
    } else {
        Err(format!(
            "a clock is from year {MIN_CLOCK_YEAR} to {MAX_CLOCK_YEAR}, not {}: later ones \
             would push certificate and simulation times past year 9999",
            t.year()
        ))
    }
}

/// Reads a whole regular file of at most `limit` bytes.
///
/// The file's kind and size are checked before it is opened (a FIFO would block the open, a
/// device such as `/dev/zero` never ends), and it is read through a limit (it may grow).
///
/// # Errors
/// An I/O error whose message says what is wrong: not a regular file (a folder, a FIFO, a
/// device), larger than the limit, or the operating system's reason.
pub fn read_file(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind};
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        let kind = if meta.is_dir() {
            "a folder"
        } else {
            "not a regular file (a FIFO, socket or device)"
        };
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("it is {kind}; hapair reads regular files only"),
        ));
    }
    let too_big = |size: u64| {
        Error::new(
            ErrorKind::InvalidData,
            format!(
                "it is {size} bytes, over hapair's limit of {} for this kind of file",
                bytes(limit)
            ),
        )
    };
    if meta.len() > limit {
        return Err(too_big(meta.len()));
    }
    let mut out = Vec::new();
    std::fs::File::open(path)?
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(too_big(out.len() as u64));
    }
    Ok(out)
}

/// `10 MiB`, `1 MiB`, `512 bytes`.
fn bytes(n: u64) -> String {
    if n >= 1024 * 1024 && n % (1024 * 1024) == 0 {
        format!("{} MiB", n / (1024 * 1024))
    } else {
        format!("{n} bytes")
    }
}

/// `text` cut to [`MAX_QUOTED`] characters, saying how much was left out.
pub fn quoted(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_QUOTED) {
        None => text.into(),
        Some((at, _)) => {
            let rest = text[at..].chars().count();
            format!("{}… ({rest} more characters)", &text[..at]).into()
        }
    }
}

/// Every `` `…` `` span of a message longer than [`MAX_QUOTED`] characters, cut: a 5 MB value
/// is not echoed whole.
pub fn shorten_quotes(message: String) -> String {
    if message.len() <= MAX_QUOTED {
        return message;
    }
    let mut out = String::with_capacity(MAX_QUOTED * 4);
    for (i, part) in message.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        out.push_str(&quoted(part));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_in_messages() {
        let long = "x".repeat(5_000);
        let m = shorten_quotes(format!("`{long}` is not a valid `type`"));
        assert!(m.len() < 300, "{m}");
        assert!(
            m.contains("(4800 more characters)` is not a valid `type`"),
            "{m}"
        );
        assert_eq!(shorten_quotes("short `x`".into()), "short `x`");
        assert_eq!(quoted("é".repeat(201).as_str()).chars().count(), 200 + 21);
    }

    #[test]
    fn only_bounded_regular_files_are_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = read_file(dir.path(), 10).expect_err("a folder");
        assert!(e.to_string().contains("a folder"), "{e}");
        let f = dir.path().join("f");
        std::fs::write(&f, "12345").expect("write");
        assert_eq!(read_file(&f, 5).expect("fits"), b"12345");
        let e = read_file(&f, 4).expect_err("too big");
        assert!(e.to_string().contains("5 bytes, over"), "{e}");
        #[cfg(unix)]
        {
            let e = read_file(Path::new("/dev/zero"), 10).expect_err("a device");
            assert!(e.to_string().contains("not a regular file"), "{e}");
        }
    }
}
