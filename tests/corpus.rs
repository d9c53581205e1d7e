//! The malformed-input corpus (`tests/corpus/`, listed in `cases.toml`), each case run as the
//! real binary: it must exit with its documented code, say what is wrong and where (file and
//! line, or the path or flag), and do so within seconds, never panicking nor hanging. Inputs
//! too large to commit, FIFOs and symbolic-link loops are made here at run time; arbitrary
//! bytes into the three loaders are property tests.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A child that has not ended after this is killed and the case fails.
const TIMEOUT: Duration = Duration::from_secs(10);

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus")
}

/// Exit code and stdout+stderr of `hapair ARGS` run in `dir`, killed after [`TIMEOUT`].
fn run(dir: &Path, args: &[String]) -> Result<(i32, String, Duration), String> {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hapair"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    // Drain both pipes on threads, so that a large output cannot block the child.
    let mut out = child.stdout.take().ok_or("no stdout")?;
    let mut err = child.stderr.take().ok_or("no stderr")?;
    let o = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("hung: killed after {TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut text = String::from_utf8_lossy(&o.join().unwrap_or_default()).into_owned();
    text.push_str(&String::from_utf8_lossy(&e.join().unwrap_or_default()));
    Ok((status.code().unwrap_or(-1), text, started.elapsed()))
}

/// Checks one run against its expectation; a sentence on what is wrong.
fn judge(
    name: &str,
    got: Result<(i32, String, Duration), String>,
    exit: i32,
    contains: &str,
    at: Option<&str>,
) -> Option<String> {
    let (code, text, _) = match got {
        Ok(g) => g,
        Err(e) => return Some(format!("{name}: {e}")),
    };
    let short: String = text.chars().take(1500).collect();
    if code == 101 || text.contains("panicked") {
        return Some(format!("{name}: panicked (exit {code}):\n{short}"));
    }
    if code != exit {
        return Some(format!("{name}: exit {code}, expected {exit}:\n{short}"));
    }
    if !text.contains(contains) {
        return Some(format!("{name}: no `{contains}` in:\n{short}"));
    }
    if let Some(at) = at.filter(|a| !text.contains(a)) {
        return Some(format!("{name}: no location `{at}` in:\n{short}"));
    }
    None
}

#[test]
fn every_corpus_case_exits_with_its_code_a_message_and_a_place() {
    let manifest =
        std::fs::read_to_string(corpus().join("cases.toml")).expect("tests/corpus/cases.toml");
    let doc: toml::Table = toml::from_str(&manifest).expect("cases.toml parses");
    let cases = doc
        .get("case")
        .and_then(|c| c.as_array())
        .expect("[[case]] entries");
    let malformed = cases
        .iter()
        .filter(|c| c.get("exit").and_then(toml::Value::as_integer) != Some(0))
        .count();
    assert!(malformed >= 100, "only {malformed} malformed cases");
    let cases: Vec<&toml::Value> = cases.iter().collect();
    let failures: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = cases
            .chunks(cases.len().div_ceil(2))
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .filter_map(|c| {
                            let name = c.get("name").and_then(|v| v.as_str()).unwrap_or("?");
                            let args: Vec<String> = c
                                .get("args")
                                .and_then(|a| a.as_array())
                                .map(|a| {
                                    a.iter()
                                        .filter_map(|x| x.as_str().map(String::from))
                                        .collect()
                                })
                                .unwrap_or_default();
                            let exit = c.get("exit").and_then(|v| v.as_integer()).unwrap_or(2);
                            let contains = c.get("contains").and_then(|v| v.as_str()).unwrap_or("");
                            let at = c.get("at").and_then(|v| v.as_str());
                            judge(
                                name,
                                run(&corpus(), &args),
                                i32::try_from(exit).unwrap_or(2),
                                contains,
                                at,
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// Writes `text` under a temporary folder and checks it.
fn check_file(name: &str, text: &[u8], exit: i32, contains: &str) -> Duration {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(name), text).expect("write");
    let got = run(dir.path(), &["check".into(), name.into()]);
    let took = got.as_ref().map_or(TIMEOUT, |g| g.2);
    if let Some(why) = judge(name, got, exit, contains, Some(&format!("{name}:"))) {
        panic!("{why}");
    }
    took
}

#[test]
fn large_hostile_files_are_refused_quickly() {
    let huge = format!(
        "[app.x]\ntype = \"{}\"\nhost = \"h\"\n",
        "x".repeat(5 << 20)
    );
    check_file("value-5mb.toml", huge.as_bytes(), 2, "more characters)");
    let many: String = (0..20_000)
        .map(|i| format!("[app.a{i}]\ntype = \"tsrever\"\nhost = \"nowhere{i}\"\n\n"))
        .collect();
    check_file("many-bad-apps.toml", many.as_bytes(), 2, "limit of 5000");
    let many: String = (0..4_000)
        .map(|i| format!("[app.a{i}]\ntype = \"tsrever\"\nhost = \"nowhere{i}\"\n\n"))
        .collect();
    let took = check_file("4000-bad-apps.toml", many.as_bytes(), 2, "more problem(s)");
    assert!(took < Duration::from_secs(5), "4000 bad apps took {took:?}");
    let hosts: String = (0..5_001)
        .map(|i| format!("[host.h{i}]\nname = \"h{i}.example\"\n"))
        .collect();
    check_file("too-many-hosts.toml", hosts.as_bytes(), 2, "limit of 5000");
    let line = format!("name = \"x\"\n{} = 1\n", "a".repeat(200_000));
    check_file("long-line.toml", line.as_bytes(), 2, "unknown key");
    let big = vec![b'#'; (10 << 20) + 1];
    check_file("big.toml", &big, 2, "over hapair's limit of 10 MiB");
}

#[test]
fn a_topology_of_thousands_of_objects_is_judged_in_linear_time() {
    let mut text = String::new();
    for i in 0..4_000 {
        text.push_str(&format!("[host.h{i}]\nname = \"h{i}.example\"\n"));
    }
    for i in (0..4_000).step_by(2) {
        let j = i + 1;
        text.push_str(&format!(
            "[app.a{i}]\ntype = \"tserver\"\nhost = \"h{i}\"\nbackup = \"a{j}\"\n\
             [app.a{i}.port.default]\nnumber = 3000\n\
             [app.a{j}]\ntype = \"tserver\"\nhost = \"h{j}\"\n\
             [app.a{j}.port.default]\nnumber = 3000\n"
        ));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("big.toml"), text).expect("write");
    let args = ["check", "--format", "json", "big.toml"].map(String::from);
    let (code, out, took) = run(dir.path(), &args).expect("ran");
    assert_eq!(code, 0, "{}", out.chars().take(500).collect::<String>());
    // Cubic lookups took minutes here; linear ones well under a second.
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn a_pem_file_over_its_limit_is_refused_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = "QUFB".repeat(16) + "\n";
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}-----END CERTIFICATE-----\n",
        body.repeat(20_000)
    );
    std::fs::write(dir.path().join("big.pem"), pem).expect("write");
    let topo = "[pki.ca.lab]\npem = \"big.pem\"\n[host.a]\nname = \"a.example\"\n";
    std::fs::write(dir.path().join("t.toml"), topo).expect("write");
    let got = run(dir.path(), &["check".into(), "t.toml".into()]);
    if let Some(why) = judge(
        "big.pem",
        got,
        2,
        "over hapair's limit of 1 MiB",
        Some("big.pem"),
    ) {
        panic!("{why}");
    }
}

#[test]
fn a_soak_of_48_hours_loads_and_a_week_and_a_second_does_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = std::fs::read_to_string(corpus().join("scenario/ok.toml")).expect("ok.toml");
    let topology = corpus().join("base/topology.toml");
    let with = |duration: &str| {
        base.replace("../base/topology.toml", &topology.display().to_string())
            .replace("seed = 1", &format!("seed = 1\nduration = \"{duration}\""))
    };
    let path = dir.path().join("soak.toml");
    std::fs::write(&path, with("48h")).expect("write");
    let s = hapair::scenario::load(&path).expect("48 h is allowed");
    assert_eq!(s.duration, Duration::from_secs(48 * 3600));
    std::fs::write(&path, with("604801s")).expect("write");
    match hapair::scenario::load(&path) {
        Err(hapair::scenario::LoadError::Invalid(i)) => {
            assert!(
                i.problems
                    .iter()
                    .any(|p| p.message.contains("limit of 7 days"))
            );
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a week and a second loaded"),
    }
}

#[test]
fn a_ca_of_the_users_files_without_its_key_is_located_at_its_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A real CA made at run time (nothing key-like is committed); its key is left behind.
    let gen_topology = "[pki.ca.lab]\nsubject = \"CN=Lab\"\n[host.a]\nname = \"a.example\"\n";
    std::fs::write(dir.path().join("gen.toml"), gen_topology).expect("write");
    let args = ["certs", "gen", "gen.toml", "--out", "made"].map(String::from);
    let (code, out, _) = run(dir.path(), &args).expect("ran");
    assert_eq!(code, 0, "{out}");
    let ca = walk(&dir.path().join("made"))
        .into_iter()
        .find(|p| {
            p.extension().is_some_and(|e| e == "pem")
                && std::fs::read_to_string(p)
                    .is_ok_and(|t| t.contains("BEGIN CERTIFICATE") && !t.contains("PRIVATE KEY"))
                && p.to_string_lossy().contains("lab")
        })
        .expect("the CA certificate was written");
    std::fs::copy(&ca, dir.path().join("ca.pem")).expect("copy");
    let topology = "[pki.ca.lab]\npem = \"ca.pem\"\n\n[pki.cert.a]\nissuer = \"lab\"\n\
                    hosts = [\"a.example\"]\n[host.a]\nname = \"a.example\"\n";
    std::fs::write(dir.path().join("t.toml"), topology).expect("write");
    let got = run(dir.path(), &["check".into(), "t.toml".into()]);
    if let Some(why) = judge(
        "CA without key",
        got,
        2,
        "whose PEM files have no private key",
        Some("t.toml:4:"),
    ) {
        panic!("{why}");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[cfg(unix)]
#[test]
fn fifos_are_refused_not_waited_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["t.toml", "ca.pem"] {
        let made = Command::new("mkfifo")
            .arg(dir.path().join(name))
            .status()
            .is_ok_and(|s| s.success());
        if !made {
            eprintln!("no mkfifo: skipped");
            return;
        }
    }
    let got = run(dir.path(), &["check".into(), "t.toml".into()]);
    if let Some(why) = judge(
        "fifo topology",
        got,
        2,
        "not a regular file",
        Some("t.toml"),
    ) {
        panic!("{why}");
    }
    let topo = "[pki.ca.lab]\npem = \"ca.pem\"\n[host.a]\nname = \"a.example\"\n";
    std::fs::write(dir.path().join("p.toml"), topo).expect("write");
    let got = run(dir.path(), &["check".into(), "p.toml".into()]);
    if let Some(why) = judge("fifo pem", got, 2, "not a regular file", Some("ca.pem")) {
        panic!("{why}");
    }
}

#[cfg(unix)]
#[test]
fn run_does_not_follow_symlink_loops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sub = dir.path().join("s");
    std::fs::create_dir(&sub).expect("mkdir");
    std::os::unix::fs::symlink("..", sub.join("up")).expect("symlink");
    std::os::unix::fs::symlink(".", sub.join("here")).expect("symlink");
    std::fs::write(sub.join("bad.toml"), "seed = -1\n").expect("write");
    let got = run(dir.path(), &["run".into(), "s".into()]);
    if let Some(why) = judge(
        "symlink loop",
        got,
        2,
        "names no `topology`",
        Some("bad.toml"),
    ) {
        panic!("{why}");
    }
}

mod properties {
    //! Arbitrary bytes and TOML-ish text into the four loaders (topology, scenario, PEM, wire
    //! frames are in `wire.rs`): a result or a located error, never a panic. The fuzz targets
    //! (`fuzz/`, docs/fuzzing.md) run the same entry points for far longer on nightly.

    use std::path::Path;

    use hapair::diag::{Invalid, Source};
    use proptest::prelude::*;

    /// Text made of TOML's own pieces, so that the loaders get past the syntax more often.
    fn tomlish() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("[host.a]\n".to_string()),
            Just("[app.x]\n".to_string()),
            Just("[app.x.port.default]\n".to_string()),
            Just("[[step]]\n".to_string()),
            Just("[[expect]]\n".to_string()),
            Just("[[connection]]\n".to_string()),
            Just("[pki.ca.c]\n".to_string()),
            Just("[pki.cert.k]\n".to_string()),
            Just("[app.x.options.backup-sync]\n".to_string()),
            Just("topology = { host = { a = { name = \"a\" } } }\n".to_string()),
            Just("topology = \"../base/topology.toml\"\n".to_string()),
            "(name|type|host|at|number|hosts|subject|addp-timeout|crash|skew|traffic|within|after|seed|clock|duration|backup|to|from|not-after) = (\"[a-z0-9.:%-]{0,8}\"|-?[0-9]{1,20}|[0-9]{1,4}[.][0-9]|true|\\[\"[a-z]{0,3}\"\\]|\\{ [a-z]{1,4} = \"[0-9a-z/-]{0,6}\" \\}|2026-06-01T08:00:00Z|9999-12-31T23:59:59Z)\n",
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    /// An error names at least one problem, each inside the file's text.
    fn located(invalid: &Invalid) -> Result<(), TestCaseError> {
        prop_assert!(!invalid.problems.is_empty(), "an error without a problem");
        let len = invalid.source_file.text.len();
        for p in &invalid.problems {
            prop_assert!(
                p.span.start <= p.span.end && p.span.end <= len,
                "{} at {:?} outside the {len} bytes of the file",
                p.code,
                p.span
            );
        }
        Ok(())
    }

    fn topology(bytes: Vec<u8>) -> Result<(), TestCaseError> {
        match Source::from_bytes("p.toml", bytes) {
            Err(invalid) => located(&invalid),
            Ok(source) => match hapair::topology::parse(source) {
                Ok(_) => Ok(()),
                Err(invalid) => located(&invalid),
            },
        }
    }

    /// The corpus's base topology for `topology = "../base/topology.toml"`; any other path is
    /// not found (no file is read).
    fn base(path: &Path) -> Result<hapair::topology::Topology, hapair::topology::LoadError> {
        if path == Path::new("scenario/../base/topology.toml") {
            let text = include_str!("corpus/base/topology.toml");
            Ok(hapair::topology::parse(Source::new(path, text))?)
        } else {
            Err(hapair::topology::LoadError::Read {
                path: path.to_path_buf(),
                source: std::io::ErrorKind::NotFound.into(),
            })
        }
    }

    fn scenario(bytes: &[u8]) -> Result<(), TestCaseError> {
        use hapair::scenario::LoadError;
        let result = Source::from_bytes("scenario/s.toml", bytes.to_vec())
            .map_err(LoadError::Invalid)
            .and_then(|source| hapair::scenario::parse(source, &base));
        match result {
            Ok(_) | Err(LoadError::Read { .. }) => Ok(()),
            Err(LoadError::Invalid(invalid)) => located(&invalid),
            Err(LoadError::Topology { source, .. }) => {
                prop_assert!(
                    matches!(source, hapair::topology::LoadError::Read { .. }),
                    "the base topology failed: {source}"
                );
                Ok(())
            }
        }
    }

    /// The PEM loader's three readings of one file (chain, key, CA bundle); every error
    /// names the file.
    fn pem(bytes: &[u8]) -> Result<(), TestCaseError> {
        use hapair::pki::{paths, pem};
        let path = Path::new("lab/x.pem");
        let chain = pem::chain_from_bytes(path, bytes).err();
        let key = pem::key_from_bytes(path, bytes).err();
        let bundle = paths::bundle_from_bytes(path, bytes).err();
        for e in [chain, key, bundle].into_iter().flatten() {
            prop_assert!(e.to_string().contains("lab/x.pem"), "unlocated: {e}");
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn topology_loader_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            topology(bytes)?;
        }

        #[test]
        fn topology_loader_never_panics_on_tomlish(text in tomlish()) {
            topology(text.into_bytes())?;
        }

        #[test]
        fn scenario_loader_never_panics(text in tomlish(), bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            scenario(text.as_bytes())?;
            scenario(&bytes)?;
        }

        #[test]
        fn pem_loader_never_panics(
            kind in "(CERTIFICATE|PRIVATE KEY|EC PRIVATE KEY|RSA PRIVATE KEY|X)",
            body in "[A-Za-z0-9+/=\r\n -]{0,200}",
            bytes in proptest::collection::vec(any::<u8>(), 0..256),
        ) {
            pem(format!("-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n").as_bytes())?;
            pem(&bytes)?;
        }

        #[test]
        fn pem_loader_never_panics_on_der(
            kind in "(CERTIFICATE|PRIVATE KEY|EC PRIVATE KEY|RSA PRIVATE KEY)",
            der in proptest::collection::vec(any::<u8>(), 0..512),
        ) {
            // Valid base64 around arbitrary DER: the certificate and key parsers get the bytes.
            pem(::pem::encode(&::pem::Pem::new(kind, der)).as_bytes())?;
        }
    }
}
