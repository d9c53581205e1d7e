//! `hapair sweep`: drawing schedules (the same seed draws the same, another seed another,
//! `--faults` keeps to its kinds), and the command as a process (the same report twice,
//! shards that add up to the whole, bad input, `--out` artefacts whose scenario.toml `hapair
//! run` replays to the same trace, a replay command that replays, the determinism check).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hapair::fault::Fault;
use hapair::sweep::report::SweepReport;
use hapair::sweep::{FaultKind, Intensity, draw};

fn hapair(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hapair"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the hapair binary runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(name)
}

/// A scenario of the shipped T-Server pair: traffic, a crash of the primary at 5 s, and
/// `body`.
fn scenario(dir: &Path, name: &str, body: &str) -> String {
    let topology = shipped("topologies/tserver-pair.toml");
    let text = format!(
        "name = \"{name}\"\ntopology = \"{}\"\nclock = 2026-06-01T08:00:00Z\nseed = 3\n\
         duration = \"20s\"\n\
         [[step]]\nat = \"0s\"\ntraffic = {{ from = \"desk\", rate = \"10/s\" }}\n\
         [[step]]\nat = \"5s\"\ncrash = \"ts_primary\"\nlabel = \"crash\"\n{body}",
        topology.display()
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).expect("written");
    path.display().to_string()
}

/// An expectation every seed fails: the backup is never primary before the crash.
const FAILS: &str = "[[expect]]\nrole = { app = \"ts_backup\", is = \"primary\" }\n\
                     after = \"1s\"\nwithin = \"2s\"\n";

fn report(o: &Output) -> SweepReport {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "a hapair.sweep/1 report ({e}): {}{}",
            text(&o.stdout),
            text(&o.stderr)
        )
    })
}

/// The report without its wall-clock facts.
fn comparable(mut r: SweepReport) -> SweepReport {
    r.timing = Default::default();
    r
}

#[test]
fn the_same_seed_draws_the_same_schedule_and_another_seed_another() {
    let s = hapair::scenario::load(&shipped("manual-switchover.toml")).expect("loads");
    let a = draw(&s, 7, &[], Intensity::Medium);
    assert_eq!(a, draw(&s, 7, &[], Intensity::Medium));
    assert_eq!(a.lines(), draw(&s, 7, &[], Intensity::Medium).lines());
    assert!(!a.faults.is_empty(), "{:?}", a.lines());
    let others = (8..14)
        .filter(|&seed| draw(&s, seed, &[], Intensity::Medium) != a)
        .count();
    assert_eq!(others, 6, "every other seed draws another schedule");
    // The fault phase starts after the scenario's own run and every fault lies in it.
    for seed in 1..50 {
        let d = draw(&s, seed, &[], Intensity::High);
        assert_eq!(d.from, s.duration);
        assert_eq!(d.until, s.duration + hapair::sweep::PHASE);
        for f in &d.faults {
            let last = d.until - hapair::sweep::draw::SETTLE;
            assert!(d.from <= f.at && f.at <= last, "{:?}", d.lines());
            if let Some((at, _)) = &f.lifted {
                assert!(f.at < *at && *at <= last, "{:?}", d.lines());
            }
        }
    }
}

#[test]
fn faults_crash_draws_only_crashes_and_restarts() {
    let s = hapair::scenario::load(&shipped("manual-switchover.toml")).expect("loads");
    let mut crashes = 0;
    for seed in 1..100 {
        let d = draw(&s, seed, &[FaultKind::Crash], Intensity::High);
        assert_eq!(d.kinds, [FaultKind::Crash]);
        for step in d.steps() {
            assert!(
                matches!(step.fault, Fault::Crash { .. } | Fault::Restart { .. }),
                "{:?}",
                d.lines()
            );
            crashes += usize::from(matches!(step.fault, Fault::Crash { .. }));
        }
    }
    assert!(crashes > 100, "{crashes} crashes drawn");
}

/// A drawn renewal is by the CA the scenario's own steps last re-issued the certificate by:
/// after `ca-rollover.toml` moved ts-a and ts-b to `new-ca` and removed `lab-ca` from every
/// trust store, a renewal by `lab-ca` (the topology's first issuer) was drawn on seed 2, and
/// the desktop could never again reach ts_primary (liveness failed on a fault no operator
/// would make: the sweep's, not the pair's).
#[test]
fn a_drawn_renewal_is_by_the_ca_the_scenario_moved_the_certificate_to() {
    let s = hapair::scenario::load(&shipped("ca-rollover.toml")).expect("loads");
    let mut renewals = 0;
    for seed in 1..60 {
        let d = draw(&s, seed, &[FaultKind::Rotate], Intensity::High);
        for step in d.steps() {
            if let Fault::Rotate { cert, issuer, .. } = &step.fault {
                renewals += 1;
                if cert == "ts-a" || cert == "ts-b" {
                    assert_eq!(issuer.as_deref(), Some("new-ca"), "seed {seed}: {cert}");
                }
            }
        }
    }
    assert!(renewals > 20, "{renewals} renewals drawn");
}

#[test]
fn the_same_sweep_twice_gives_the_same_report_and_shards_add_up_to_it() {
    let file = shipped("manual-switchover.toml");
    let file = file.to_str().expect("utf-8");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = ["sweep", file, "--seeds", "6", "--start", "40"]
            .iter()
            .map(ToString::to_string)
            .collect();
        a.extend(
            ["--format", "json", "-j", "2"]
                .iter()
                .map(ToString::to_string),
        );
        a.extend(extra.iter().map(ToString::to_string));
        a
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let o = hapair(&a);
        assert!(
            [0, 1].contains(&code(&o)),
            "{}{}",
            text(&o.stdout),
            text(&o.stderr)
        );
        comparable(report(&o))
    };
    let whole = run(&[]);
    assert_eq!(whole.runs.len(), 6);
    assert_eq!(whole, run(&[]), "the same seeds: the same report");
    assert!(whole.runs.iter().all(|r| r.digest.is_some()));
    let mut runs = Vec::new();
    let mut coverage = hapair::sweep::report::Coverage::default();
    for shard in ["1/3", "2/3", "3/3"] {
        let part = run(&["--shard", shard]);
        assert_eq!(part.runs.len(), 2, "shard {shard}");
        coverage.add(&part.coverage);
        runs.extend(part.runs);
    }
    runs.sort_by_key(|r| r.seed);
    assert_eq!(runs, whole.runs, "the shards cover the range exactly once");
    assert_eq!(coverage, whole.coverage);
}

#[test]
fn bad_input_exits_2_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = shipped("manual-switchover.toml");
    let good = good.to_str().expect("utf-8");
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"bad\"\ntopology = \"nowhere.toml\"\nduration = 1\n",
    )
    .expect("written");
    let bad = bad.to_str().expect("utf-8");
    let missing = dir.path().join("missing.toml");
    let missing = missing.to_str().expect("utf-8");
    for (args, says) in [
        (
            vec!["sweep", good, "--faults", "crash,meteor"],
            "invalid value 'meteor'",
        ),
        (
            vec!["sweep", good, "--seeds", "0"],
            "0 is not in 1..=100000",
        ),
        (vec!["sweep", missing], "no such file or folder"),
        (vec!["sweep", bad], "cannot sweep"),
        (
            vec!["sweep", good, "--filter", "nothing-matches"],
            "no scenario files",
        ),
    ] {
        let o = hapair(&args);
        assert_eq!(
            code(&o),
            2,
            "{args:?}: {}{}",
            text(&o.stdout),
            text(&o.stderr)
        );
        assert!(
            text(&o.stderr).contains(says),
            "{args:?} should say {says:?}: {}",
            text(&o.stderr)
        );
    }
}

#[test]
fn out_keeps_each_failing_seed_and_its_scenario_replays_it_under_hapair_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = scenario(dir.path(), "planted", FAILS);
    let out = dir.path().join("out");
    let o = hapair(&[
        "sweep",
        &file,
        "--seeds",
        "2",
        "--start",
        "11",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(code(&o), 1, "{}{}", text(&o.stdout), text(&o.stderr));
    let human = text(&o.stdout);
    assert!(
        human.contains("FAILED 2 run(s): expect: ts_backup is primary"),
        "{human}"
    );
    assert!(human.contains("replay: hapair sweep"), "{human}");
    let sweep: SweepReport =
        serde_json::from_slice(&std::fs::read(out.join("sweep.json")).expect("sweep.json"))
            .expect("a report");
    let junit = std::fs::read_to_string(out.join("junit.xml")).expect("junit.xml");
    assert!(
        junit.contains("planted [seed 11]") && junit.contains("<failure"),
        "{junit}"
    );
    for r in &sweep.runs {
        let seed_dir = out.join("planted").join(format!("seed-{}", r.seed));
        let schedule = std::fs::read_to_string(seed_dir.join("schedule.txt")).expect("schedule");
        assert_eq!(schedule.lines().collect::<Vec<_>>(), r.schedule);
        assert!(seed_dir.join("trace.jsonl").is_file());
        let written = seed_dir.join("scenario.toml");
        let written = written.to_str().expect("utf-8");
        // Every drawn fault is written out as a step of its own.
        let toml = std::fs::read_to_string(written).expect("scenario.toml");
        assert_eq!(
            toml.matches("label = \"sweep-").count(),
            schedule.lines().count() - 1 + schedule.lines().filter(|l| l.contains(" at ")).count(),
            "{toml}\n{schedule}"
        );
        let o = hapair(&["run", written, "--format", "json"]);
        assert_eq!(code(&o), 1, "{}{}", text(&o.stdout), text(&o.stderr));
        let run: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        let replayed = &run["scenarios"][0]["runs"][0];
        assert_eq!(
            replayed["trace_digest"].as_str(),
            r.digest.as_deref(),
            "hapair run replays the seed's very trace"
        );
        let mut failed: Vec<&str> = replayed["verdicts"]
            .as_array()
            .expect("verdicts")
            .iter()
            .filter(|v| v["held"] == false)
            .filter_map(|v| v["what"].as_str())
            .collect();
        let signature = r
            .signature
            .as_ref()
            .expect("a failing seed has a signature");
        let mut wanted: Vec<&str> = signature.0.iter().map(|f| f.what.as_str()).collect();
        failed.sort_unstable();
        wanted.sort_unstable();
        assert_eq!(failed, wanted, "it fails the same way");
    }
}

#[test]
fn the_replay_command_replays_the_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = scenario(dir.path(), "replayed", FAILS);
    let o = hapair(&[
        "sweep",
        &file,
        "--seeds",
        "3",
        "--start",
        "20",
        "--faults",
        "crash,partition",
        "--intensity",
        "high",
        "--format",
        "json",
    ]);
    let whole = report(&o);
    let third = &whole.runs[2];
    assert!(
        third
            .replay
            .contains("--faults crash,partition --intensity high"),
        "{}",
        third.replay
    );
    let words: Vec<&str> = third.replay.split(' ').skip(1).collect();
    let mut args = words.clone();
    args.extend(["--format", "json"]);
    let again = report(&hapair(&args));
    assert_eq!(again.runs.len(), 1);
    assert_eq!(again.runs[0].seed, 22);
    assert_eq!(again.runs[0].digest, third.digest);
    assert_eq!(again.runs[0].schedule, third.schedule);
    assert_eq!(again.runs[0].signature, third.signature);
}

#[test]
fn check_determinism_runs_a_sample_twice_and_finds_them_the_same() {
    let file = shipped("manual-switchover.toml");
    let o = hapair(&[
        "sweep",
        file.to_str().expect("utf-8"),
        "--seeds",
        "12",
        "--check-determinism",
        "--format",
        "json",
    ]);
    assert!(
        [0, 1].contains(&code(&o)),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    let r = report(&o);
    let seeds: Vec<u64> = r.determinism.iter().map(|d| d.seed).collect();
    assert_eq!(seeds, [1, 11], "every tenth seed");
    assert!(
        r.determinism
            .iter()
            .all(|d| d.same && d.first_difference.is_none())
    );
}

/// Coverage counts a `never two-primaries`, `no-acked-event-lost` or one-primary verdict as
/// exercised when a promotion put it to the test (it held, resting on that promotion), and
/// leaves out a verdict on the topology as written (a finding), which no schedule can
/// exercise. Both were reported "never exercised" in every sweep.
#[test]
fn coverage_counts_a_held_never_as_exercised_by_a_promotion_and_skips_findings() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let body = "[[expect]]\nnever = { two-primaries = \"ts_primary\" }\n\
                [[expect]]\nno-acked-event-lost = true\n\
                [[expect]]\nfinding = { rule = \"ADDP-GE-10S\", present = false }\n";
    let file = scenario(dir.path(), "promoted", body);
    let o = hapair(&[
        "sweep", &file, "--seeds", "2", "--faults", "latency", "--format", "json",
    ]);
    let r = report(&o);
    let exercised = |what: &str| r.coverage.exercised.get(what).copied().unwrap_or(0);
    assert_eq!(
        exercised("expect: never two primaries in the pair of ts_primary"),
        2,
        "{:?}",
        r.coverage
    );
    assert_eq!(
        exercised("expect: no acknowledged event lost"),
        2,
        "{:?}",
        r.coverage
    );
    assert!(
        r.coverage.judged.keys().all(|k| !k.contains("ADDP-GE-10S")),
        "a finding is no run's coverage: {:?}",
        r.coverage.judged
    );
}
