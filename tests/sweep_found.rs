//! Situations a sweep of the shipped suite found (`hapair sweep scenarios --seeds 200`), each
//! written down as a scenario that failed before its fix. What was wrong is in hapair, not in
//! the seed: the sweep drew faults a real pair meets, and hapair's verdict was not true.

use std::path::{Path, PathBuf};

use hapair::scenario::{self, Scenario};

fn shipped(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(rel)
}

/// A scenario over the topology `topology` (relative to `scenarios/`) with `body` (steps,
/// expectations, tables) after its header.
fn scenario(topology: &str, duration: &str, body: &str) -> Scenario {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("case.toml");
    let text = format!(
        "name = \"case\"\ntopology = {:?}\nclock = \"2026-06-01T08:00:00Z\"\nseed = 1\n\
         duration = {duration:?}\n\n{body}\n",
        shipped(topology).display().to_string()
    );
    std::fs::write(&path, text).expect("written");
    scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn failed(o: &hapair::execute::Outcome) -> Vec<String> {
    o.verdicts
        .iter()
        .filter(|v| !v.held)
        .map(|v| format!("{}: {}", v.what, v.detail))
        .collect()
}

/// `ha-sync-port-cert-rejected.toml` seeds 10 and 15: the primary refuses its configuration at
/// start-up; a drawn crash of it did nothing (it was not running, and the sweep counts that as
/// a fault that did not take effect), and the restart that lifted the crash was reported as a
/// failure, although the process started and refused its configuration again, as it does at
/// every start.
#[test]
fn a_restart_of_a_process_that_refuses_its_configuration_took_effect() {
    let s = scenario(
        "topologies/bad/ha-sync-port-cert.toml",
        "30s",
        "[[step]]\nat = \"0s\"\ntraffic = { from = \"desk\", rate = \"10/s\" }\n\n\
         [[step]]\nat = \"20s\"\nrestart = \"ts_primary\"\n",
    );
    let o = hapair::execute::execute(&s, 1).expect("runs");
    assert_eq!(failed(&o), Vec::<String>::new());
    assert!(
        o.verdicts
            .iter()
            .any(|v| v.what == "the step at 20s took effect" && v.held),
        "the restart is judged"
    );
}

/// `cert-reissue-with-faults.toml` seed 2 (and 15 more runs of the certificate scenarios): the
/// scenario's own steps leave ts-b with an expired certificate; drawn faults made ts_backup the
/// primary, and the liveness phase failed because the desk could not connect to it. The lift
/// undoes faults, not configuration: a client refused by configuration at every handshake
/// since the lift is named, not failed. A timeout or a reset stays a failure (the second half).
#[test]
fn liveness_does_not_ask_what_the_configuration_refuses() {
    let case = |rotate: &str| {
        format!(
            "[[step]]\nat = \"0s\"\ntraffic = {{ from = \"desk\", rate = \"10/s\" }}\n\n{rotate}\
             [[step]]\nat = \"10s\"\ncrash = \"ts_primary\"\n\n\
             [[step]]\nat = \"12s\"\npartition = [\"desk-1\", \"ts-b\"]\n\n[liveness]\n"
        )
    };
    let expired =
        case("[[step]]\nat = \"5s\"\nrotate = { cert = \"ts-b\", profile = \"expired\" }\n\n");
    let s = scenario("topologies/tserver-pair-scs.toml", "30s", &expired);
    let o = hapair::execute::execute(&s, 1).expect("runs");
    assert_eq!(failed(&o), Vec::<String>::new());
    let desk = |o: &hapair::execute::Outcome| {
        o.verdicts
            .iter()
            .find(|v| v.what.starts_with("liveness: desk is connected"))
            .map(|v| (v.held, v.detail.clone()))
            .expect("the desk's liveness verdict")
    };
    let (_, detail) = desk(&o);
    assert!(
        detail.contains("refused by configuration") && detail.contains("expired"),
        "{detail}"
    );
    // With a good certificate the desk reconnects once the partition is lifted: judged, held.
    let s = scenario("topologies/tserver-pair-scs.toml", "30s", &case(""));
    let o = hapair::execute::execute(&s, 1).expect("runs");
    let (held, detail) = desk(&o);
    assert!(held && detail.starts_with("converged at"), "{detail}");
}

/// `disconnect-switchover-timeout-ride-out.toml` seed 9: the primary's host was powered off for
/// 6 s while the SCS rode out LCA outages (`disconnect-switchover-timeout`). The SCS never saw
/// the process stop, and when the LCA came back it gave the restarted, empty instance its
/// primary role again; the backup then took the empty state on resync and 401 acknowledged
/// events were gone. A primary that comes back with no role restarted: it returns as backup.
#[test]
fn a_primary_restarted_unseen_during_a_ride_out_returns_as_backup() {
    let body = "[[step]]\nat = \"0s\"\noption = { app = \"scs\", section = \"general\", key = \
                \"disconnect-switchover-timeout\", value = 30 }\n\n\
                [[step]]\nat = \"0s\"\ntraffic = { from = \"desk\", rate = \"5/s\" }\n\n\
                [[step]]\nat = \"10s\"\npower-off = \"ts-a\"\n\n\
                [[step]]\nat = \"16s\"\npower-on = \"ts-a\"\n\n\
                [[expect]]\nno-acked-event-lost = true\n\n\
                [[expect]]\nrole = { app = \"ts_backup\", is = \"primary\" }\nafter = \"16s\"\n\
                within = \"20s\"\n";
    let s = scenario("topologies/genesys-ml.toml", "60s", body);
    let o = hapair::execute::execute(&s, 1).expect("runs");
    assert_eq!(failed(&o), Vec::<String>::new());
    assert!(
        o.trace.events.iter().any(|e| matches!(
            &e.kind,
            hapair::trace::Kind::Switchover { reason, .. }
                if *reason == hapair::trace::SwitchoverReason::PrimaryRestarted
        )),
        "the SCS says why it switched over"
    );
}

/// A seed file written by a sweep (`--out`) replays to the sweep's verdicts. The sweep judges
/// a scenario's own expectations on its own run; the written file used to leave
/// `no-acked-event-lost` over the whole run, so a warm-standby loss in the drawn faults (a
/// crash of the primary while events were on the slow HA link, which the sweep judges through
/// its loss classes) failed the replay and not the sweep. The written file now bounds it to the
/// own run (`after = "0s"`, `within` = its duration), and the checker judges such a window on
/// the run as it stood at the window's end.
#[test]
fn a_written_seed_file_judges_own_expectations_as_the_sweep_did() {
    use hapair::fault::Fault;
    use hapair::sweep::{Drawn, Schedule, run_one};
    use std::time::Duration;
    let s = scenario(
        "topologies/tserver-pair-warm.toml",
        "20s",
        "[[step]]\nat = \"0s\"\ntraffic = { from = \"desk\", rate = \"50/s\" }\n\n\
         [[step]]\nat = \"1s\"\nlatency = { between = [\"ts-a\", \"ts-b\"], delay = \"400ms\" }\n\n\
         [[expect]]\nno-acked-event-lost = true\n",
    );
    let fault = |t: &str| -> Fault { toml::from_str(t).unwrap_or_else(|e| panic!("{t}: {e}")) };
    let schedule = Schedule {
        kinds: Vec::new(),
        from: Duration::from_secs(20),
        until: Duration::from_secs(40),
        faults: vec![Drawn {
            at: Duration::from_secs(25),
            fault: fault("crash = \"ts_primary\""),
            lifted: Some((Duration::from_secs(30), fault("restart = \"ts_primary\""))),
        }],
    };
    let swept = run_one(&s, 1, &schedule, Duration::from_secs(120)).expect("the seed runs");
    let own = |o: &hapair::execute::Outcome| -> Vec<bool> {
        o.verdicts
            .iter()
            .filter(|v| v.kind == hapair::check::VerdictKind::Expect)
            .map(|v| v.held)
            .collect()
    };
    assert_eq!(own(&swept), vec![true], "{:?}", failed(&swept));
    let text = hapair::sweep::scenario_text(&s, 1, &schedule, &swept, false).expect("the file");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("seed.toml");
    std::fs::write(&path, &text).expect("written");
    let file = scenario::load(&path).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let replayed = hapair::execute::execute(&file, 1).expect("the file runs");
    assert_eq!(
        replayed.trace.digest(),
        swept.trace.digest(),
        "the same trace"
    );
    assert_eq!(
        own(&replayed),
        own(&swept),
        "{text}\n{:?}",
        failed(&replayed)
    );
    // The crash in the drawn faults did lose acknowledged events: the whole run shows them.
    let whole =
        hapair::check::expectations(&s, &replayed.trace, &replayed.findings, &replayed.idbs);
    assert!(!whole[0].held, "{}", whole[0].detail);
}

/// `two-primaries` takes a window now (what a written seed file gives it), not an instant.
#[test]
fn two_primaries_takes_a_window_and_refuses_an_instant() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("case.toml");
    let text = format!(
        "name = \"case\"\ntopology = {:?}\nclock = \"2026-06-01T08:00:00Z\"\nseed = 1\n\
         duration = \"10s\"\n\n[[expect]]\ntwo-primaries = {{ pair = \"ts_primary\", \
         longer-than = \"1s\" }}\nat = \"5s\"\n",
        shipped("topologies/tserver-pair.toml")
            .display()
            .to_string()
    );
    std::fs::write(&path, text).expect("written");
    let Err(e) = scenario::load(&path) else {
        panic!("an instant is refused")
    };
    let shown = format!("{e:?}");
    assert!(shown.contains("use `after`/`within`"), "{shown}");
}

/// Every seed's written scenario file loads: a sweep of `backup-host-power-off.toml` seed 15
/// wrote a drawn clock skew of 380 days, which `hapair run` refused (at most 366 days), so the
/// replay of a failing seed could not run. 300 seeds at high intensity with every fault kind
/// cover every drawn value.
#[test]
fn every_seed_written_by_a_sweep_loads_again() {
    use hapair::sweep::{FaultKind, Intensity, draw, scenario_text};
    let s =
        scenario::load(&shipped("backup-host-power-off.toml")).unwrap_or_else(|e| panic!("{e}"));
    let outcome = hapair::execute::execute(&s, 1).expect("the scenario runs");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut skews = std::collections::BTreeSet::new();
    for seed in 1..=300 {
        let schedule = draw(&s, seed, &FaultKind::ALL, Intensity::High);
        for d in &schedule.faults {
            if let hapair::fault::Fault::Skew { seconds, .. } = d.fault {
                skews.insert(seconds);
            }
        }
        let text = scenario_text(&s, seed, &schedule, &outcome, false).expect("written");
        let path = dir.path().join(format!("seed-{seed}.toml"));
        std::fs::write(&path, &text).expect("written");
        if let Err(e) = scenario::load(&path) {
            panic!("seed {seed}: {e:?}\n{text}");
        }
    }
    assert_eq!(skews.len(), 6, "every drawn skew was tried: {skews:?}");
}

/// Random loss on a link delays TCP segments (retransmitted), it does not drop them from a
/// stream that stays up: a sweep of the ICON scenarios (seed 59) drew 30% loss between the
/// T-Servers' hosts just as the restarted instance rejoined; the primary's full
/// synchronisation was lost, the receiver waited for that sequence number forever, and the
/// HA link stayed up and never synced, 83 s after every fault was lifted. A real stack
/// resends it.
#[test]
fn random_loss_delays_a_resync_it_does_not_swallow_it() {
    let s = scenario(
        "topologies/tserver-pair.toml",
        "60s",
        "[[step]]\nat = \"0s\"\ntraffic = { from = \"desk\", rate = \"20/s\" }\n\n\
         [[step]]\nat = \"5s\"\nloss = { between = [\"ts-a\", \"ts-b\"], rate = 0.3 }\n\n\
         [[step]]\nat = \"10s\"\ncrash = \"ts_backup\"\n\n\
         [[step]]\nat = \"12s\"\nrestart = \"ts_backup\"\nlabel = \"rejoin\"\n\n\
         [[step]]\nat = \"40s\"\nloss = { between = [\"ts-a\", \"ts-b\"], rate = 0.0 }\n\n\
         [[expect]]\nha-synced = { primary = \"ts_primary\", backup = \"ts_backup\", port = \"ha\", tls = true }\n\
         after = \"rejoin\"\nwithin = \"25s\"\n\n\
         [[expect]]\nno-acked-event-lost = true\n",
    );
    for seed in 1..=5 {
        let o = hapair::execute::execute(&s, seed).expect("the scenario runs");
        assert!(failed(&o).is_empty(), "seed {seed}: {:?}", failed(&o));
    }
}

/// A client restarted (its host powered off and on) goes on numbering its requests: it used
/// to start again at `desk-1`, so every request after the restart was counted as a duplicate
/// of an earlier one and losses were misread (backup-host-power-off seed 67 of a sweep: 1,859
/// "duplicated").
#[test]
fn a_restarted_client_does_not_reuse_request_ids() {
    let s = scenario(
        "topologies/tserver-pair.toml",
        "20s",
        "[[step]]\nat = \"0s\"\ntraffic = { from = \"desk\", rate = \"20/s\" }\n\n\
         [[step]]\nat = \"5s\"\npower-off = \"desk-1\"\n\n\
         [[step]]\nat = \"8s\"\npower-on = \"desk-1\"\n",
    );
    let o = hapair::execute::execute(&s, 1).expect("the scenario runs");
    let mut ids = std::collections::BTreeMap::new();
    for e in &o.trace.events {
        if let hapair::trace::Kind::Requested { id, .. } = &e.kind {
            *ids.entry(id.clone()).or_insert(0) += 1;
        }
    }
    let reused: Vec<_> = ids.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        ids.len() > 200,
        "requests on both sides of the restart: {}",
        ids.len()
    );
    assert!(reused.is_empty(), "request IDs reused: {reused:?}");
}

/// A resynchronisation counts when the backup has it, not when the primary has sent it:
/// `backup-host-power-off.toml` seed 67 of a sweep (122 losses called "other", a bug
/// candidate). Loss on the HA link made the primary drop it (ADDP) and acknowledge events
/// alone; the backup dialled again, the primary sent its full synchronisation, and its host
/// lost power before that arrived. Those events had only ever had one copy, acknowledged
/// while the link was down: unreplicated, as documented. Here the synchronisation is slowed
/// by 800 ms of latency and the primary's host powered off 400 ms after sending it.
#[test]
fn a_resync_still_in_flight_when_the_primary_dies_copied_nothing() {
    let body = |off: Option<u64>| {
        let mut b = String::from(
            "[[step]]\nat = \"0s\"\noption = { app = \"ts_primary\", section = \"backup-sync\", key = \"protocol\", value = \"addp\" }\n\n\
             [[step]]\nat = \"0s\"\noption = { app = \"ts_primary\", section = \"backup-sync\", key = \"addp-timeout\", value = 3 }\n\n\
             [[step]]\nat = \"0s\"\ntraffic = { from = \"desk\", rate = \"20/s\" }\n\n\
             [[step]]\nat = \"5s\"\npartition = [\"ts-a\", \"ts-b\"]\n\n\
             [[step]]\nat = \"14s\"\nlatency = { between = [\"ts-a\", \"ts-b\"], delay = \"800ms\" }\n\n\
             [[step]]\nat = \"15s\"\nheal = [\"ts-a\", \"ts-b\"]\n",
        );
        if let Some(ms) = off {
            b.push_str(&format!(
                "\n[[step]]\nat = \"{ms}ms\"\npower-off = \"ts-a\"\n"
            ));
        }
        b
    };
    let synced = |o: &hapair::execute::Outcome, at: &str| {
        o.trace.events.iter().find_map(|e| match &e.kind {
            hapair::trace::Kind::HaSynced { backup, .. }
                if e.node == at && backup == "ts_backup" && e.at_ms > 15_000 =>
            {
                Some(e.at_ms)
            }
            _ => None,
        })
    };
    let clean = hapair::execute::execute(
        &scenario("topologies/tserver-pair.toml", "60s", &body(None)),
        1,
    )
    .expect("runs");
    let sent = synced(&clean, "ts_primary").expect("the primary resynchronises the backup");
    let got = synced(&clean, "ts_backup").expect("the backup has it");
    assert!(
        got >= sent + 600,
        "the sync takes the latency: sent {sent}, got {got}"
    );
    let o = hapair::execute::execute(
        &scenario(
            "topologies/tserver-pair.toml",
            "60s",
            &body(Some(sent + 400)),
        ),
        1,
    )
    .expect("runs");
    assert_eq!(synced(&o, "ts_backup"), None, "the backup never got it");
    let t = &o.history.total;
    assert!(
        t.lost() > 0,
        "the events acknowledged during the partition are lost"
    );
    assert_eq!(t.lost_other, 0, "no bug candidate: {t:?}");
    assert_eq!(t.lost_unreplicated, t.lost(), "{t:?}");
}

/// An acknowledgement is judged when its server sent it, not when the client read it: a
/// sweep of `mutual-tls-no-client-cert.toml` (seed 83) drew 80% loss between the
/// supervisor and the lone primary (its partner crashed), then a crash of that primary.
/// Acknowledgements it had sent alone reached the supervisor 17 s later, after both
/// instances had restarted and synchronised: 6 losses called "other", a bug candidate,
/// although they had only ever had one copy, acknowledged with the HA link down. Here the
/// acknowledgements are slowed by 3 s of latency instead.
#[test]
fn an_acknowledgement_read_after_its_server_died_was_sent_before() {
    let s = scenario(
        "topologies/tserver-pair.toml",
        "50s",
        "[[step]]\nat = \"0s\"\ntraffic = { from = \"desk\", rate = \"20/s\" }\n\n\
         [[step]]\nat = \"10s\"\ncrash = \"ts_primary\"\n\n\
         [[step]]\nat = \"20s\"\nlatency = { between = [\"desk-1\", \"ts-b\"], delay = \"3s\" }\n\n\
         [[step]]\nat = \"25s\"\ncrash = \"ts_backup\"\n\n\
         [[step]]\nat = \"25200ms\"\nrestart = \"ts_backup\"\n\n\
         [[step]]\nat = \"25400ms\"\nrestart = \"ts_primary\"\n",
    );
    let o = hapair::execute::execute(&s, 1).expect("runs");
    let late = o
        .trace
        .events
        .iter()
        .filter(|e| {
            e.at_ms > 25_000
                && matches!(&e.kind, hapair::trace::Kind::Acknowledged { by, .. } if by == "ts_backup")
        })
        .count();
    assert!(late > 0, "acknowledgements read after their server died");
    let t = &o.history.total;
    assert!(
        t.lost() > 0,
        "what only the crashed instance held is lost: {t:?}"
    );
    assert_eq!(t.lost_other, 0, "no bug candidate: {t:?}");
}
