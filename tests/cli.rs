//! The real binary as a process: exit codes, located errors, JSON shape, and `explain` for
//! every rule `rules` lists.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("temp file written");
    path.display().to_string()
}

const PAIR: &str = r#"
[host.a]
name = "a.lab.example"
[host.b]
name = "b.lab.example"
[app.p]
type = "tserver"
host = "a"
backup = "q"
[app.p.port.default]
number = 3000
[app.p.port.ha]
number = 3002
ha-sync = true
[app.q]
type = "tserver"
host = "HOST_Q"
[app.q.port.default]
number = 3100
[app.q.port.ha]
number = 3102
ha-sync = true
"#;

#[test]
fn reference_topology_is_clean_and_exits_0() {
    let o = hapair(&[
        "check",
        &repo("scenarios/topologies/tserver-pair.toml")
            .display()
            .to_string(),
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("0 error(s), 0 warning(s)"));
}

#[test]
fn error_finding_exits_1_and_names_rule_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = PAIR.replace("HOST_Q", "b").replace(
        "[app.p.port.ha]\nnumber = 3002\nha-sync = true",
        "[app.p.port.ha]\nnumber = 3002\nmode = \"secured\"\nha-sync = true\nsecurity = { certificate = \"c\" }",
    ) + "[pki.ca.ca]\n[pki.cert.c]\nissuer = \"ca\"\nhosts = [\"a.lab.example\"]\n";
    let file = write(&dir, "pair.toml", &text);
    let o = hapair(&["check", &file]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("HA-SYNC-PORT-CERT"), "{out}");
    assert!(out.contains("pair.toml:16:28"), "location missing: {out}");
}

#[test]
fn warnings_exit_0_unless_denied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(&dir, "same-host.toml", &PAIR.replace("HOST_Q", "a"));
    let o = hapair(&["check", &file]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("HA-SEPARATE-HOSTS"));
    let o = hapair(&["check", "--deny", "warnings", &file]);
    assert_eq!(code(&o), 1);
}

#[test]
fn invalid_and_unreadable_files_exit_2_with_locations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = write(
        &dir,
        "bad.toml",
        &PAIR
            .replace("HOST_Q", "nowhere")
            .replace("number = 3002", "number = \"x\""),
    );
    let o = hapair(&["check", &bad]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains("there is no host `nowhere`") && out.contains("bad.toml:17:8"),
        "{out}"
    );
    assert!(
        out.contains("must be an integer") && out.contains("bad.toml:13:10"),
        "{out}"
    );

    let o = hapair(&[
        "check",
        &dir.path().join("missing.toml").display().to_string(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).contains("cannot read"));

    // A good file beside a bad one: both reported, bad input wins the exit code.
    let good = repo("scenarios/topologies/cs-pair.toml")
        .display()
        .to_string();
    let o = hapair(&["check", &good, &bad]);
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).contains("cs-pair.toml: 0 error(s)"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(code(&hapair(&["check"])), 2);
    assert_eq!(code(&hapair(&["frobnicate"])), 2);
    assert_eq!(code(&hapair(&["explain", "NO-SUCH-RULE"])), 2);
}

#[test]
fn check_json_has_the_documented_shape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(&dir, "same-host.toml", &PAIR.replace("HOST_Q", "a"));
    let o = hapair(&["check", "--format", "json", &file]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(doc["schema"], "hapair.check/1");
    let f = &doc["files"][0];
    assert_eq!(f["status"], "checked");
    assert_eq!(f["warnings"], 1);
    let finding = &f["findings"][0];
    assert_eq!(finding["rule"], "HA-SEPARATE-HOSTS");
    assert_eq!(finding["severity"], "warning");
    assert_eq!(finding["location"]["line"], 17);
    assert!(finding["objects"].as_array().is_some_and(|a| a.len() >= 2));
    assert!(finding["fix"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(doc["summary"]["warnings"], 1);
}

#[test]
fn explain_works_for_every_listed_rule() {
    let o = hapair(&["rules", "--format", "json"]);
    assert_eq!(code(&o), 0);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    let rules = doc["rules"].as_array().expect("rules array");
    assert_eq!(rules.len(), 32);
    for r in rules {
        let id = r["id"].as_str().expect("id");
        let o = hapair(&["explain", id]);
        let out = stdout(&o);
        assert_eq!(code(&o), 0, "{id}");
        assert!(
            out.starts_with(id)
                && out.contains("Why:")
                && out.contains("Breaks it:")
                && out.contains("Keeps it:"),
            "{out}"
        );
        // The ICON rules say what a run shows when they are broken.
        assert_eq!(
            out.contains("What a run shows:\n  At run time "),
            id.starts_with("ICON-"),
            "{out}"
        );
        assert_eq!(
            r.get("at_run_time").is_some(),
            id.starts_with("ICON-"),
            "{id}"
        );
    }
    let human = stdout(&hapair(&["rules"]));
    assert_eq!(human.lines().count(), 32);
}

#[test]
fn no_colour_off_a_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(&dir, "same-host.toml", &PAIR.replace("HOST_Q", "a"));
    let o = Command::new(env!("CARGO_BIN_EXE_hapair"))
        .args(["check", &file])
        .output()
        .expect("runs");
    assert!(
        !stdout(&o).contains('\u{1b}'),
        "escape codes in piped output"
    );
}

#[test]
fn certs_show_tells_each_endpoint_its_parameters_and_their_levels() {
    let file = repo("scenarios/topologies/tserver-pair.toml")
        .display()
        .to_string();
    let o = hapair(&[
        "certs",
        "show",
        "--format",
        "json",
        "--clock",
        "2026-06-01T08:00:00Z",
        &file,
    ]);
    assert_eq!(code(&o), 0);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(doc["schema"], "hapair.tls-table/1");
    assert_eq!(doc["listeners"].as_array().map(Vec::len), Some(6));
    let links = doc["links"].as_array().expect("links");
    let ids: Vec<&str> = links.iter().filter_map(|l| l["id"].as_str()).collect();
    assert_eq!(
        ids,
        [
            "desk->ts_primary/secure",
            "desk->ts_backup/secure",
            "ts_backup->ts_primary/ha",
            "ts_primary->ts_backup/ha"
        ]
    );
    let desk = &links[1];
    assert_eq!(desk["kind"], "follows-to-backup");
    assert_eq!(desk["checked_name"], "ts-b.lab.example");
    assert_eq!(
        desk["client"]["tls_target_name_check"]["level"],
        "connection"
    );
    assert_eq!(desk["server"]["certificate"]["value"], "ts-b");
    assert_eq!(desk["server"]["certificate"]["level"], "application");
    assert!(
        doc["certificates"]["ts-b"]["sans"]
            .as_array()
            .is_some_and(|s| s[0] == "ts-b.lab.example")
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(!text.contains("PRIVATE KEY"), "key material in the table");
}

#[test]
fn certs_show_marks_the_copy_from_the_primary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "[pki.ca.ca]\n[pki.cert.p]\nissuer = \"ca\"\nhosts = [\"a.lab.example\"]\n{}\n[app.s]\ntype = \"generic-server\"\nhost = \"b\"\n[app.s.port.default]\nnumber = 9\n[[connection]]\nfrom = \"p\"\nto = \"s\"\nsecurity = {{ certificate = \"p\" }}\n",
        PAIR.replace("HOST_Q", "b")
    );
    let file = write(&dir, "copy.toml", &text);
    let o = hapair(&["certs", "show", "--format", "json", &file]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    let ha = doc["links"]
        .as_array()
        .and_then(|l| l.iter().find(|x| x["id"] == "q->p/ha"))
        .expect("HA link from the backup");
    assert_eq!(ha["client"]["certificate"]["value"], "p");
    assert_eq!(ha["client"]["certificate"]["level"], "copied-from-primary");
}

#[test]
fn a_lab_pem_file_that_does_not_load_is_bad_input_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("lab.pem"),
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    )
    .expect("written");
    let text = PAIR.replace("HOST_Q", "b").replace(
        "backup = \"q\"",
        "backup = \"q\"\nsecurity = { certificate = \"lab.pem\", certificate-key = \"lab.key\" }",
    );
    let file = write(&dir, "lab.toml", &text);
    for format in ["human", "json"] {
        let o = hapair(&["check", "--format", format, &file]);
        assert_eq!(code(&o), 2, "{}", stdout(&o));
        assert!(stdout(&o).contains("lab.pem"), "{}", stdout(&o));
    }
}

#[test]
fn connections_to_daps_that_listen_on_no_port_check_clean() {
    let icon_ha = repo("scenarios/topologies/icon-ha.toml")
        .display()
        .to_string();
    let o = hapair(&["check", "--deny", "warnings", &icon_ha]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let o = hapair(&["certs", "show", "--format", "json", &icon_ha]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    let links = doc["links"].as_array().expect("links");
    assert!(
        links
            .iter()
            .all(|l| l["to"] != "dap_a" && l["to"] != "dap_b"),
        "a link to a DAP that listens on no port: {links:?}"
    );
    // Naming a port on a DAP that has none is a located error that says so.
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(&icon_ha)
        .expect("read")
        .replace("to = \"dap_a\"", "to = \"dap_a\"\nport = \"default\"");
    let file = write(&dir, "icon-ha.toml", &text);
    let o = hapair(&["check", &file]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("icon-ha.toml:114:8") && stdout(&o).contains("listens on no port"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_file_that_is_not_text_names_its_first_bad_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, b"name = \"x\"\n[host.a]\nname = \"a\xff\xfe\"\n").expect("written");
    let garbage = dir.path().join("garbage.toml");
    std::fs::write(&garbage, b"\x00\x01\x1b[31m\x9b\x00binary").expect("written");
    for (file, at) in [(&bad, "bad.toml:3:10"), (&garbage, "garbage.toml:1:8")] {
        let o = hapair(&["check", &file.display().to_string()]);
        let out = stdout(&o);
        assert_eq!(code(&o), 2, "{out}");
        assert!(out.contains(at) && out.contains("not UTF-8"), "{out}");
        assert!(
            !out.contains('\u{1b}'),
            "raw escape codes from the file: {out}"
        );
    }
    assert!(stdout(&hapair(&["check", &bad.display().to_string()])).contains("(byte 29)"));

    // A scenario, and a scenario whose topology file is the bad one: located in that file.
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, b"name = \"s\"\ntopology = \"bad.toml\"\n").expect("written");
    let o = hapair(&["run", &scenario.display().to_string()]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert!(stdout(&o).contains("bad.toml:3:10"), "{}", stdout(&o));
    std::fs::write(&scenario, b"name = \"s\xc0\"\n").expect("written");
    let o = hapair(&["run", &scenario.display().to_string()]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert!(stdout(&o).contains("s.toml:1:10"), "{}", stdout(&o));
}

#[test]
fn a_byte_order_mark_and_crlf_line_ends_are_fine() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "\u{feff}{}",
        PAIR.replace("HOST_Q", "b").replace('\n', "\r\n")
    );
    let file = write(&dir, "crlf.toml", &text);
    let o = hapair(&["check", &file]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    // Locations still count lines and columns as an editor shows them.
    let file = write(
        &dir,
        "crlf.toml",
        &text.replace("[app.p]", "colour = 1\r\n[app.p]"),
    );
    let o = hapair(&["check", &file]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert!(stdout(&o).contains("crlf.toml:6:1"), "{}", stdout(&o));
}

#[test]
fn lab_pem_files_with_a_byte_order_mark_and_crlf_load_and_binary_ones_are_located() {
    let dir = tempfile::tempdir().expect("tempdir");
    let topology = repo("scenarios/topologies/tserver-pair.toml")
        .display()
        .to_string();
    let certs = dir.path().join("certs");
    let o = hapair(&[
        "certs",
        "gen",
        "--out",
        &certs.display().to_string(),
        &topology,
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    for (name, from) in [("lab.pem", "ts-a.pem"), ("lab.key", "ts-a.key")] {
        let pem = std::fs::read_to_string(certs.join(from)).expect("generated");
        let text = format!("\u{feff}{}", pem.replace('\n', "\r\n"));
        std::fs::write(dir.path().join(name), text).expect("written");
    }
    let text = PAIR.replace("HOST_Q", "b").replace(
        "backup = \"q\"",
        "backup = \"q\"\nsecurity = { certificate = \"lab.pem\", certificate-key = \"lab.key\" }",
    );
    let file = write(&dir, "lab.toml", &text);
    let o = hapair(&["certs", "show", &file]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));

    // A DER file where PEM is expected: the first byte that is not text, located.
    std::fs::write(dir.path().join("lab.pem"), b"0\x82\x01\x0a\x02\x01").expect("written");
    let o = hapair(&["check", &file]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("lab.pem:1:2 (byte 1): not PEM text"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn check_and_certs_take_a_scenario_with_its_pki_overrides() {
    let dir = tempfile::tempdir().expect("tempdir");
    let topology = repo("scenarios/topologies/tserver-pair.toml");
    let scenario = format!(
        "name = \"s\"\ntopology = \"{}\"\nclock = 2026-07-01T00:00:00Z\n\n[pki.cert.ts-b]\nissuer = \"lab-ca\"\nhosts = [\"ts-b.lab.example\"]\nprofile = \"expired\"\n\n[[step]]\nat = \"1s\"\ncrash = \"ts_primary\"\n",
        topology.display().to_string().replace('\\', "/")
    );
    let file = write(&dir, "s.toml", &scenario);
    // The expired override is judged at the scenario's clock, located in the scenario.
    let o = hapair(&["check", &file]);
    let out = stdout(&o);
    assert_eq!(code(&o), 1, "{out}");
    assert!(
        out.contains("TLS-CERT-VALIDITY") && out.contains("s.toml:5:11"),
        "{out}"
    );
    assert!(out.contains("tserver-pair.toml: 0 error(s)"), "{out}");
    // certs show: the scenario's clock and certificate.
    let o = hapair(&["certs", "show", "--format", "json", &file]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(doc["clock"], "2026-07-01T00:00:00Z");
    let not_after = doc["certificates"]["ts-b"]["not_after"]
        .as_str()
        .unwrap_or_default();
    assert!(
        not_after.starts_with("2026-06-30"),
        "{}",
        doc["certificates"]["ts-b"]
    );
    // certs gen writes the scenario's certificates.
    let out_dir = dir.path().join("certs");
    let o = hapair(&[
        "certs",
        "gen",
        "--out",
        &out_dir.display().to_string(),
        &file,
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).starts_with("s: "), "{}", stdout(&o));
    assert!(out_dir.join("ts-b.pem").exists());

    // An inline topology is located in the scenario file.
    let inline = format!(
        "name = \"i\"\n[topology]\n{}",
        PAIR.replace("HOST_Q", "a")
            .replace("[host.", "[topology.host.")
            .replace("[app.", "[topology.app.")
    );
    let file = write(&dir, "inline.toml", &inline);
    let o = hapair(&["check", "--format", "json", &file]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(doc["files"].as_array().map(Vec::len), Some(1));
    assert_eq!(doc["files"][0]["findings"][0]["rule"], "HA-SEPARATE-HOSTS");
    assert_eq!(doc["files"][0]["findings"][0]["location"]["line"], 19);

    // Bad input: in the scenario, or in its topology file, each located in its own file.
    let file = write(&dir, "bad.toml", &scenario.replace("profile =", "profil ="));
    let never = dir.path().join("never").display().to_string();
    for sub in [
        &["check"][..],
        &["certs", "show"],
        &["certs", "gen", "--out", &never],
    ] {
        let o = hapair(&[sub, &[file.as_str()]].concat());
        assert_eq!(code(&o), 2, "{sub:?}: {}", stdout(&o));
        assert!(
            stdout(&o).contains("bad.toml:8:1"),
            "{sub:?}: {}",
            stdout(&o)
        );
    }
    let bad_topology = write(&dir, "t.toml", &PAIR.replace("HOST_Q", "nowhere"));
    let file = write(&dir, "s2.toml", "topology = \"t.toml\"\n");
    let o = hapair(&["check", &file]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert!(
        stdout(&o).contains(&format!("{bad_topology}:17:8")),
        "{}",
        stdout(&o)
    );
}

/// `certs gen` never writes key material through a symlink planted in the output folder: the
/// link is replaced by a real 0600 file and its target is left as it was; a planted `ca`
/// folder link is refused.
#[test]
fn certs_gen_never_writes_keys_through_a_symlink() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).expect("out");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "not a key\n").expect("victim");
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).expect("mode");
    symlink(&victim, out.join("ts-a.key")).expect("symlink");
    let topology = repo("scenarios/topologies/tserver-pair.toml");
    let o = hapair(&[
        "certs",
        "gen",
        topology.to_str().expect("utf-8 path"),
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "not a key\n"
    );
    let victim_mode = std::fs::metadata(&victim)
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(victim_mode & 0o777, 0o644);
    let key = std::fs::symlink_metadata(out.join("ts-a.key")).expect("key");
    assert!(key.file_type().is_file(), "the link is replaced by a file");
    assert_eq!(key.permissions().mode() & 0o777, 0o600);

    let out2 = dir.path().join("out2");
    std::fs::create_dir(&out2).expect("out2");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).expect("elsewhere");
    symlink(&elsewhere, out2.join("ca")).expect("symlink");
    let o = hapair(&[
        "certs",
        "gen",
        topology.to_str().expect("utf-8 path"),
        "--out",
        out2.to_str().expect("utf-8 path"),
    ]);
    let all = format!("{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
    assert_ne!(code(&o), 0, "{all}");
    assert!(all.contains("is a symlink"), "{all}");
    assert_eq!(std::fs::read_dir(&elsewhere).expect("dir").count(), 0);
}

/// A `[pki.ca]` entry whose PEM file holds a leaf (no CA:TRUE) is refused at its entry, not
/// accepted and then failing every handshake as `unknown-ca`.
#[test]
fn a_leaf_certificate_given_as_a_ca_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("pki");
    let topology = repo("scenarios/topologies/tserver-pair.toml");
    let o = hapair(&[
        "certs",
        "gen",
        topology.to_str().expect("utf-8 path"),
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let leaf = out.join("ts-a.pem").display().to_string();
    let key = out.join("ts-a.key").display().to_string();
    let text = format!(
        "name = \"leaf-as-ca\"\n[pki.ca.lab-ca]\npem = \"{leaf}\"\nkey = \"{key}\"\n\
         [pki.cert.ts-a]\nissuer = \"lab-ca\"\nhosts = [\"ts-a.lab.example\"]\n\
         [host.ts-a]\nname = \"ts-a.lab.example\"\n[app.ts]\ntype = \"tserver\"\nhost = \"ts-a\"\n\
         security = {{ certificate = \"ts-a\", trusted-ca = \"lab-ca\" }}\n\
         [app.ts.port.default]\nnumber = 3000\nmode = \"secured\"\n"
    );
    let file = write(&dir, "leaf-ca.toml", &text);
    let o = hapair(&["check", &file]);
    let all = format!("{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
    assert_eq!(code(&o), 2, "{all}");
    assert!(all.contains("not a CA certificate"), "{all}");
    assert!(all.contains("leaf-ca.toml:2:"), "{all}");
}

/// A 5 MB bad value is named by its place and cut, not echoed: the whole diagnostic stays
/// small (it printed 23 MB before: miette's excerpt showed the whole line).
#[test]
fn a_huge_bad_value_is_not_echoed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(repo("scenarios/topologies/tserver-pair.toml"))
        .expect("reference")
        .replacen(
            "redundancy = \"hot-standby\"",
            &format!("redundancy = \"{}\"", "x".repeat(5_000_000)),
            1,
        );
    let file = write(&dir, "huge.toml", &text);
    let o = hapair(&["check", &file]);
    let out = stdout(&o);
    assert_eq!(code(&o), 2, "{}", &out[..out.len().min(2_000)]);
    assert!(out.len() < 10_000, "{} bytes of diagnostics", out.len());
    assert!(out.contains("huge.toml:38:14"), "{out}");
}
