//! Sharding as CI machines do it, with the binary as a process: four `hapair sweep --shard K/4`
//! processes run at once, `hapair merge` of their `--out` folders equals one unsharded sweep
//! (JSON but `timing`, JUnit but time attributes), under `--filter` too; `hapair run --shard`
//! alike; and merge refusing shards of different sweeps, overlapping shards, and a missing one.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hapair"));
    c.args(args).env("NO_COLOR", "1").current_dir(repo());
    c
}

fn hapair(args: &[&str]) -> Output {
    command(args).output().expect("the hapair binary runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs `args` + `--shard K/N --out DIR/shard-K` for every K at once; the folders.
fn shards(args: &[&str], n: u64, dir: &Path) -> Vec<PathBuf> {
    let folders: Vec<PathBuf> = (1..=n).map(|k| dir.join(format!("shard-{k}"))).collect();
    let children: Vec<Child> = folders
        .iter()
        .zip(1..)
        .map(|(out, k)| {
            let shard = format!("{k}/{n}");
            let out = out.display().to_string();
            let mut all = args.to_vec();
            all.extend(["--shard", &shard, "--out", &out, "--jobs", "1"]);
            command(&all)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawned")
        })
        .collect();
    for child in children {
        let o = child.wait_with_output().expect("a shard ends");
        assert!(matches!(code(&o), 0 | 1), "{}", text(&o));
    }
    folders
}

/// `hapair merge` of `inputs`, writing `merged.json` and `merged.xml` into `dir`.
fn merge(inputs: &[PathBuf], dir: &Path) -> (Output, PathBuf, PathBuf) {
    let (json, xml) = (dir.join("merged.json"), dir.join("merged.xml"));
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    args.extend([
        "--json".into(),
        json.display().to_string(),
        "--junit".into(),
        xml.display().to_string(),
    ]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    (hapair(&refs), json, xml)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// JSON without the fields that are wall-clock facts.
fn json_sans_time(path: &Path) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("timing");
                m.remove("wall_ms");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v: serde_json::Value = serde_json::from_str(&read(path)).expect("JSON");
    strip(&mut v);
    v
}

/// JUnit XML without its `time="…"` attributes.
fn junit_sans_time(path: &Path) -> String {
    let xml = read(path);
    let mut out = String::new();
    let mut rest = xml.as_str();
    while let Some(at) = rest.find(" time=\"") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 7..];
        rest = after.find('"').map_or("", |end| &after[end + 1..]);
    }
    out.push_str(rest);
    out
}

const SWEEP: [&str; 7] = [
    "sweep",
    "scenarios",
    "--filter",
    "switch-back",
    "--seeds",
    "10",
    "--phase",
];

#[test]
fn four_shards_merge_into_one_unsharded_sweep() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args = SWEEP.to_vec();
    args.push("20");
    let folders = shards(&args, 4, dir.path());
    let whole = dir.path().join("whole");
    let w = whole.display().to_string();
    let mut all = args.clone();
    all.extend(["--out", &w, "--jobs", "1"]);
    let o = hapair(&all);
    assert!(matches!(code(&o), 0 | 1), "{}", text(&o));

    let (o, json, xml) = merge(&folders, dir.path());
    assert!(matches!(code(&o), 0 | 1), "{}", text(&o));
    assert!(text(&o).contains("seeds 1 to 10"), "{}", text(&o));
    let merged = json_sans_time(&json);
    assert_eq!(merged, json_sans_time(&whole.join("sweep.json")));
    let runs = merged["runs"].as_array().expect("runs");
    assert!(runs.len() >= 10, "the filter kept at least one scenario");
    assert!(
        runs.iter().all(|r| r["scenario"]
            .as_str()
            .is_some_and(|s| s.contains("switch-back"))),
        "only what the filter kept"
    );
    assert_eq!(
        junit_sans_time(&xml),
        junit_sans_time(&whole.join("junit.xml"))
    );
}

#[test]
fn a_shard_runs_the_same_seeds_of_a_scenario_whatever_the_filter_keeps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seeds = |filter: &str, out: &str| -> Vec<u64> {
        let path = dir.path().join(out);
        let p = path.display().to_string();
        let o = hapair(&[
            "sweep",
            "scenarios",
            "--filter",
            filter,
            "--seeds",
            "7",
            "--start",
            "20",
            "--phase",
            "20",
            "--shard",
            "2/3",
            "--out",
            &p,
            "--jobs",
            "1",
        ]);
        assert!(matches!(code(&o), 0 | 1), "{}", text(&o));
        let v = json_sans_time(&path.join("sweep.json"));
        v["runs"]
            .as_array()
            .expect("runs")
            .iter()
            .filter(|r| r["scenario"].as_str() == Some("scenarios/switch-back.toml"))
            .filter_map(|r| r["seed"].as_u64())
            .collect()
    };
    // Offsets 1 and 4 of seeds 20..27: the same with one file kept or with several.
    assert_eq!(seeds("switch-back", "one"), [21, 24]);
    assert_eq!(seeds("switch", "several"), [21, 24]);
}

#[test]
fn merge_refuses_other_sweeps_and_overlaps_and_names_a_missing_shard() {
    let dir = tempfile::tempdir().expect("tempdir");
    let args = [
        "sweep",
        "scenarios/switch-back.toml",
        "--seeds",
        "4",
        "--phase",
        "20",
    ];
    let folders = shards(&args, 4, dir.path());
    let path = |f: &PathBuf| f.display().to_string();

    let (o, json, _) = merge(&folders[..3], dir.path());
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(
        text(&o).contains("shard 4/4 is missing: no file of it was given"),
        "{}",
        text(&o)
    );
    assert!(!json.exists(), "nothing merged");

    let twice = [folders[0].clone(), folders[1].clone(), folders[1].clone()];
    let (o, _, _) = merge(&twice, dir.path());
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("both hold shard 2/4"), "{}", text(&o));

    let high = dir.path().join("high");
    let h = path(&high);
    let o = hapair(&[
        "sweep",
        "scenarios/switch-back.toml",
        "--seeds",
        "4",
        "--phase",
        "20",
        "--intensity",
        "high",
        "--shard",
        "3/4",
        "--out",
        &h,
    ]);
    assert!(matches!(code(&o), 0 | 1), "{}", text(&o));
    let mixed = [
        folders[0].clone(),
        folders[1].clone(),
        high,
        folders[3].clone(),
    ];
    let (o, _, _) = merge(&mixed, dir.path());
    assert_eq!(code(&o), 2, "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("intensity differs (medium against high)")
            && t.contains("shard-1/sweep.json")
            && t.contains("high/sweep.json"),
        "{t}"
    );
}

#[test]
fn run_shards_merge_into_one_unsharded_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let args = [
        "run",
        "scenarios",
        "--filter",
        "manual-switchover",
        "--seeds",
        "5",
    ];
    let folders = shards(&args, 3, dir.path());
    let whole = dir.path().join("whole");
    let w = whole.display().to_string();
    let mut all = args.to_vec();
    all.extend(["--out", &w, "--format", "json"]);
    let o = hapair(&all);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let unsharded = dir.path().join("unsharded.json");
    std::fs::write(&unsharded, &o.stdout).expect("written");

    let (o, json, xml) = merge(&folders, dir.path());
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert_eq!(json_sans_time(&json), json_sans_time(&unsharded));
    assert_eq!(
        junit_sans_time(&xml),
        junit_sans_time(&whole.join("junit.xml"))
    );

    let (o, _, _) = merge(&folders[1..], dir.path());
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("shard 1/3 is missing"), "{}", text(&o));
}
