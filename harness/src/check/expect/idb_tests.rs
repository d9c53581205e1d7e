//! Judging the IDB expectations of the reference ICON HA set (`icon-ha.toml`) over hand-made
//! traces and database contents: parity with and without `differ`, completeness with a gap
//! recorded or not, role coverage, bounded lists, and databases that could not be read.

use std::collections::BTreeMap;
use std::path::Path;

use super::expectations;
use crate::check::verdict::Verdict;
use crate::cti::CtiEvent;
use crate::idb::{Contents, IdbError, Idbs, Value, schema};
use crate::scenario::{Scenario, load};
use crate::topology::Purpose;
use crate::trace::{Event, Kind, Trace};

/// The scenario of `expects` on the reference set, its topology text edited by `edit`.
fn scenario(expects: &str, edit: (&str, &str)) -> Scenario {
    let reference =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/topologies/icon-ha.toml");
    let text = std::fs::read_to_string(reference).expect("the reference topology");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let topology = dir.path().join("icon-ha.toml");
    std::fs::write(&topology, text.replace(edit.0, edit.1)).expect("written");
    let path = dir.path().join("s.toml");
    let text = format!(
        "name = \"t\"\ntopology = \"{}\"\nduration = \"60s\"\n{expects}",
        topology.display().to_string().replace('\\', "/")
    );
    std::fs::write(&path, text).expect("written");
    load(&path).expect("the scenario loads")
}

fn judge(expects: &str, events: Vec<Event>, idbs: &Idbs) -> Vec<Verdict> {
    let s = scenario(expects, ("", ""));
    expectations(&s, &Trace { events }, &[], idbs)
}

fn at(at_ms: u64, node: &str, kind: Kind) -> Event {
    Event {
        at_ms,
        node: node.into(),
        kind,
    }
}

/// Odd sequence numbers ring a new call, even ones attach data to it.
fn cti(seq: u64) -> CtiEvent {
    let call = format!("c{}", seq.div_ceil(2));
    if seq % 2 == 1 {
        CtiEvent::Ringing {
            call,
            dn: "5001".into(),
            ani: "100".into(),
            dnis: "200".into(),
        }
    } else {
        CtiEvent::DataChanged {
            call,
            key: "k".into(),
            value: format!("v{seq}"),
        }
    }
}

/// Call events `seqs`, one per second from 1 s (seq 1 at 1,000 ms).
fn calls(seqs: impl IntoIterator<Item = u64>) -> Vec<Event> {
    seqs.into_iter()
        .map(|seq| {
            at(
                seq.saturating_mul(1_000),
                "ts_primary",
                Kind::CallEvent { seq, cti: cti(seq) },
            )
        })
        .collect()
}

/// An IDB builder, rows kept in key order as a real database reads them back.
#[derive(Default)]
struct Db(BTreeMap<&'static str, Vec<Vec<Value>>>);

impl Db {
    fn row(mut self, table: &str, values: Vec<Value>) -> Self {
        let t = schema::table(table).expect("a table of the subset");
        let rows = self.0.entry(t.name).or_default();
        rows.push(values);
        rows.sort();
        self
    }

    /// The rows an ICON stores for the events `seqs`.
    fn events(mut self, seqs: impl IntoIterator<Item = u64>) -> Self {
        for seq in seqs {
            self = match cti(seq) {
                CtiEvent::Ringing {
                    call,
                    dn,
                    ani,
                    dnis,
                } => self
                    .row(
                        "G_CALL",
                        vec![call.as_str().into(), seq.into(), ani.into(), dnis.into()],
                    )
                    .row(
                        "G_PARTY_HISTORY",
                        vec![seq.into(), call.into(), dn.into(), "ringing".into()],
                    ),
                CtiEvent::DataChanged { call, key, value } => self.row(
                    "G_USERDATA_HISTORY",
                    vec![seq.into(), call.into(), key.into(), value.into()],
                ),
                _ => self,
            };
        }
        self
    }

    /// A session of both gcc and gud: `(start, end)` in ms, `(first, last)` event.
    fn session(mut self, id: u64, time: (u64, Option<u64>), seqs: (u64, u64)) -> Self {
        for table in ["G_DSS_GCC_PROVIDER", "G_DSS_GUD_PROVIDER"] {
            self = self.row(
                table,
                vec![
                    id.into(),
                    "icon".into(),
                    "ts_primary".into(),
                    "ts_primary".into(),
                    Value::Int(if id == 1 { 1 } else { 2 }),
                    time.0.into(),
                    time.1.into(),
                    seqs.0.into(),
                    seqs.1.into(),
                ],
            );
        }
        self
    }

    fn done(self) -> Result<Contents, IdbError> {
        Ok(Contents(self.0))
    }
}

fn idbs(a: Db, b: Db) -> Idbs {
    [("idb_a".into(), a.done()), ("idb_b".into(), b.done())].into()
}

/// Both IDBs holding events 1–20 over one session each.
fn healthy() -> Idbs {
    idbs(
        Db::default()
            .events(1..=20)
            .session(1, (500, None), (1, 20)),
        Db::default()
            .events(1..=20)
            .session(1, (600, None), (1, 20)),
    )
}

const PARITY: &str = "[[expect]]\nidb-parity = { set = \"voice\" }\n";
const COMPLETE: &str = "[[expect]]\nidb-complete = { set = \"voice\" }\n";

fn one(expects: &str, events: Vec<Event>, idbs: &Idbs) -> Verdict {
    judge(expects, events, idbs).remove(0)
}

#[test]
fn parity_holds_when_both_idbs_hold_the_same_rows() {
    let v = one(PARITY, calls(1..=20), &healthy());
    assert!(v.held, "{}", v.detail);
    assert_eq!(v.what, "the IDBs of ICON set voice hold the same rows");
    assert!(
        v.detail
            .contains("idb_a and idb_b agree on 30 rows of 7 tables over seq 1–20"),
        "{}",
        v.detail
    );
}

/// idb_b stores no attached data and another ANI for call c3.
fn diverging() -> Idbs {
    let mut b = Db::default()
        .events((1..=20).filter(|s| s % 2 == 1 && *s != 5))
        .session(1, (600, None), (1, 20));
    b = b.row(
        "G_CALL",
        vec!["c3".into(), 5u64.into(), "999".into(), "200".into()],
    );
    b = b.row(
        "G_PARTY_HISTORY",
        vec![5u64.into(), "c3".into(), "5001".into(), "ringing".into()],
    );
    idbs(
        Db::default()
            .events(1..=20)
            .session(1, (500, None), (1, 20)),
        b,
    )
}

#[test]
fn parity_fails_naming_each_table_and_key_with_both_values() {
    let v = one(PARITY, calls(1..=20), &diverging());
    assert!(!v.held);
    let d = &v.detail;
    assert!(
        d.starts_with(
            "idb_a and idb_b differ in G_CALL, G_USERDATA_HISTORY over seq 1–20: G_CALL 1 of 10 \
             rows (1 changed); G_USERDATA_HISTORY 10 of 10 rows (10 only in idb_a)"
        ),
        "{d}"
    );
    assert!(
        d.contains("G_CALL: CALLID='c3': ANI '100' in idb_a, '999' in idb_b"),
        "{d}"
    );
    assert!(
        d.contains("G_USERDATA_HISTORY: SEQ=2 only in idb_a: CALLID='c1' KEYNAME='k' VALUE='v2'"),
        "{d}"
    );
    // The evidence is the call events behind the differing rows.
    assert_eq!(v.evidence.len(), 11, "{:?}", v.evidence);
}

#[test]
fn parity_with_differ_holds_on_exactly_those_tables() {
    let both = "[[expect]]\nidb-parity = { set = \"voice\", differ = [\"G_USERDATA_HISTORY\", \
                \"G_CALL\"] }\n";
    let v = one(both, calls(1..=20), &diverging());
    assert!(v.held, "{}", v.detail);
    assert!(
        v.detail.starts_with(
            "idb_a and idb_b differ in exactly G_CALL, G_USERDATA_HISTORY, as expected"
        ),
        "{}",
        v.detail
    );
    let fewer = "[[expect]]\nidb-parity = { set = \"voice\", differ = [\"G_USERDATA_HISTORY\"] }\n";
    let v = one(fewer, calls(1..=20), &diverging());
    assert!(!v.held);
    assert!(
        v.detail.contains("differ in G_CALL, G_USERDATA_HISTORY"),
        "{}",
        v.detail
    );
    let other = "[[expect]]\nidb-parity = { set = \"voice\", differ = [\"G_LOGIN_SESSION\"] }\n";
    let v = one(other, calls(1..=20), &healthy());
    assert!(!v.held);
    assert!(
        v.detail.starts_with(
            "G_LOGIN_SESSION expected to differ but agree over seq 1–20; every table agrees"
        ),
        "{}",
        v.detail
    );
}

#[test]
fn parity_lists_ten_rows_per_table_then_a_count() {
    let a = Db::default()
        .events(1..=60)
        .session(1, (500, None), (1, 60));
    let b = Db::default()
        .events((1..=60).filter(|s| s % 2 == 1))
        .session(1, (600, None), (1, 60));
    let v = one(PARITY, calls(1..=60), &idbs(a, b));
    assert!(!v.held);
    let rows = v.detail.matches(" only in idb_a: ").count();
    assert_eq!(rows, 10, "{}", v.detail);
    assert!(
        v.detail.ends_with("VALUE='v20'; and 20 more"),
        "{}",
        v.detail
    );
    assert_eq!(v.evidence.len(), 10);
}

#[test]
fn parity_compares_only_the_windows_both_session_controls_record() {
    // idb_a's ICON was away for seq 11–14 (its sessions say so); idb_b has them, and rows of
    // idb_b before idb_a's first session are outside every common window too.
    let a = Db::default()
        .events((3..=10).chain(15..=20))
        .session(1, (2_500, Some(10_500)), (3, 10))
        .session(2, (14_500, None), (15, 20));
    let b = Db::default()
        .events(1..=20)
        .session(1, (500, None), (1, 20));
    let v = one(PARITY, calls(1..=20), &idbs(a, b));
    assert!(v.held, "{}", v.detail);
    assert!(v.detail.ends_with("over seq 3–10, 15–20"), "{}", v.detail);
    // Without session control there is no window to compare in: never a vacuous pass.
    let none = idbs(Db::default().events(1..=20), Db::default().events(1..=20));
    let v = one(PARITY, calls(1..=20), &none);
    assert!(!v.held);
    assert!(
        v.detail.starts_with(
            "no window in which both ICONs stored events, nothing compared: idb_a records no \
             session that stored an event"
        ),
        "{}",
        v.detail
    );
}

#[test]
fn a_database_that_could_not_be_read_is_a_failed_verdict_saying_why() {
    let mut broken = healthy();
    broken.insert(
        "idb_b".into(),
        Err(IdbError::Unavailable {
            db: "idb_b".into(),
            detail: "file is not a database".into(),
        }),
    );
    for expects in [PARITY, COMPLETE] {
        let v = one(expects, calls(1..=20), &broken);
        assert!(!v.held);
        assert_eq!(
            v.detail,
            "cannot judge: IDB idb_b is unavailable: file is not a database (the IDB of icon_b)"
        );
    }
    let v = one(COMPLETE, calls(1..=20), &BTreeMap::new());
    assert!(!v.held);
    assert!(
        v.detail
            .contains("IDB idb_a of icon_a was not read after the run"),
        "{}",
        v.detail
    );
}

#[test]
fn completeness_holds_when_each_gap_is_recorded_and_covered() {
    let a = Db::default()
        .events((1..=10).chain(15..=20))
        .session(1, (500, Some(10_500)), (1, 10))
        .session(2, (14_500, None), (15, 20));
    let v = one(COMPLETE, calls(1..=20), &idbs(a, healthy_b()));
    assert!(v.held, "{}", v.detail);
    assert_eq!(v.what, "ICON set voice stored every call event");
    assert_eq!(
        v.detail,
        "20 call events of gcc, gud all stored; idb_a misses 4 in gaps its session control \
         records (seq 11–14), held by the other IDB; idb_b misses none in recorded gaps"
    );
}

fn healthy_b() -> Db {
    Db::default()
        .events(1..=20)
        .session(1, (600, None), (1, 20))
}

#[test]
fn completeness_fails_on_an_event_in_no_idb_and_on_an_unrecorded_miss() {
    // Seq 13 is in neither IDB; idb_a misses 7 inside its own session's range.
    let a = Db::default()
        .events((1..=20).filter(|s| *s != 7 && *s != 13))
        .session(1, (500, None), (1, 20));
    let b = Db::default()
        .events((1..=20).filter(|s| *s != 13))
        .session(1, (600, None), (1, 20));
    let v = one(COMPLETE, calls(1..=20), &idbs(a, b));
    assert!(!v.held);
    assert!(
        v.detail.starts_with(
            "1 of 20 call events of gcc, gud are in no IDB: seq 13 (ringing c7); idb_a misses 2 \
             its session control does not account for: seq 7 (ringing c4) inside session 1 \
             (seq 1–20), seq 13 (ringing c7) inside session 1"
        ),
        "{}",
        v.detail
    );
    assert_eq!(v.evidence, vec![6, 12]);
}

#[test]
fn attached_data_options_leave_no_row_yet_a_session_that_took_the_event_accounts_for_it() {
    // Neither ICON stores attached data (`adata-userdata-history = none`): the even events
    // leave no row, but both sessions took them.
    let odd = || (1..=20).filter(|s| s % 2 == 1);
    let a = Db::default().events(odd()).session(1, (500, None), (1, 20));
    let b = Db::default().events(odd()).session(1, (600, None), (1, 20));
    let v = one(COMPLETE, calls(1..=20), &idbs(a, b));
    assert!(v.held, "{}", v.detail);
    // After both sessions closed, an event is lost: no row, and no session took it.
    let a = Db::default()
        .events(1..=9)
        .session(1, (500, Some(9_500)), (1, 9));
    let b = Db::default()
        .events(1..=9)
        .session(1, (600, Some(9_600)), (1, 9));
    let v = one(COMPLETE, calls(1..=10), &idbs(a, b));
    assert!(!v.held);
    assert!(
        v.detail
            .starts_with("1 of 10 call events of gcc, gud are in no IDB: seq 10 (data-changed c5)"),
        "{}",
        v.detail
    );
}

#[test]
fn an_event_after_the_last_of_a_session_still_open_is_not_a_recorded_gap() {
    let a = Db::default()
        .events(1..=10)
        .session(1, (500, None), (1, 10));
    let v = one(COMPLETE, calls(1..=20), &idbs(a, healthy_b()));
    assert!(!v.held);
    assert!(
        v.detail.starts_with(
            "idb_a misses 10 its session control does not account for: seq 11 (ringing c6) \
             after the last event (10) of session 1, open since 500 ms"
        ),
        "{}",
        v.detail
    );
    // After the last event of a session that then closed, it is a recorded gap.
    let a = Db::default()
        .events(1..=10)
        .session(1, (500, Some(10_400)), (1, 10));
    let v = one(COMPLETE, calls(1..=20), &idbs(a, healthy_b()));
    assert!(v.held, "{}", v.detail);
}

#[test]
fn completeness_without_call_events_was_never_exercised() {
    let v = one(COMPLETE, Vec::new(), &healthy());
    assert!(!v.held);
    assert!(
        v.detail.ends_with("the expectation was never exercised"),
        "{}",
        v.detail
    );
}

/// An ICON's session to the T-Server primary, up from `from` ms.
fn connected(icon: &str, from: u64) -> [Event; 2] {
    [
        at(
            from,
            icon,
            Kind::ConnectAttempt {
                to: "ts_primary".into(),
                port: "default".into(),
                tls: false,
            },
        ),
        at(
            from,
            icon,
            Kind::Connected {
                peer: "ts_primary".into(),
                port: "default".into(),
                tls: false,
                purpose: Purpose::Client,
            },
        ),
    ]
}

#[test]
fn role_coverage_judges_what_the_set_promises() {
    const ROLES: &str = "[[expect]]\nidb-roles = { set = \"voice\" }\n";
    let mut events = connected("icon_a", 500).to_vec();
    events.extend(calls(1..=20));
    let v = one(ROLES, events.clone(), &healthy());
    assert!(v.held, "{}", v.detail);
    assert_eq!(v.what, "ICON set voice stores what it promises (gcc, gud)");
    assert!(v.detail.contains("20 call events of them"), "{}", v.detail);
    // An event distributed while an ICON was connected, in no IDB.
    let a = Db::default().events((1..=20).filter(|s| *s != 4));
    let b = Db::default().events((1..=20).filter(|s| *s != 4));
    let v = one(ROLES, events.clone(), &idbs(a, b));
    assert!(!v.held);
    assert!(
        v.detail.ends_with("are in no IDB: seq 4 (data-changed c2)"),
        "{}",
        v.detail
    );
    // Before any ICON was connected, an event is not the set's to store.
    let mut late = connected("icon_b", 4_500).to_vec();
    late.extend(calls(1..=20));
    let a = Db::default().events(5..=20);
    let v = one(ROLES, late, &idbs(a, Db::default().events(5..=20)));
    assert!(v.held, "{}", v.detail);
    // A set whose ICONs lack a promised role fails naming it, whatever the traffic.
    let s = scenario(ROLES, ("role = \"gcc,gud\"", "role = \"gcc\""));
    let v = expectations(&s, &Trace { events }, &[], &healthy()).remove(0);
    assert!(!v.held);
    assert_eq!(
        v.detail,
        "set voice promises gcc, gud but no ICON of it stores gud (icon_a: gcc; icon_b: gcc)"
    );
}

#[test]
fn role_coverage_with_missing_holds_on_exactly_the_roles_named() {
    const MISSING: &str = "[[expect]]\nidb-roles = { set = \"voice\", missing = [\"gud\"] }\n";
    let mut events = connected("icon_a", 500).to_vec();
    events.extend(calls(1..=20));
    let trace = Trace { events };
    // Both ICONs lack gud, as the scenario says: held, naming it.
    let s = scenario(MISSING, ("role = \"gcc,gud\"", "role = \"gcc\""));
    let v = expectations(&s, &trace, &[], &healthy()).remove(0);
    assert!(v.held, "{}", v.detail);
    assert_eq!(v.what, "no ICON of set voice stores exactly gud");
    assert_eq!(
        v.detail,
        "set voice promises gcc, gud; no ICON of it stores gud (icon_a: gcc; icon_b: gcc)"
    );
    // The set stores gud after all: the rehearsed misconfiguration is not there.
    let s = scenario(MISSING, ("", ""));
    let v = expectations(&s, &trace, &[], &healthy()).remove(0);
    assert!(!v.held);
    assert_eq!(
        v.detail,
        "set voice promises gcc, gud; an ICON of it stores every one (icon_a: gcc, gud; icon_b: gcc, gud)"
    );
}

#[test]
fn a_session_left_open_by_a_crash_ends_when_its_icon_stopped() {
    // icon_a crashed at 10.5 s (its session keeps no end time) and came back at 14.5 s.
    let a = Db::default()
        .events((1..=10).chain(15..=20))
        .session(1, (500, None), (1, 10))
        .session(2, (14_500, None), (15, 20));
    let v = one(COMPLETE, calls(1..=20), &idbs(a, healthy_b()));
    assert!(v.held, "{}", v.detail);
    // Never back: the crash itself ends the session.
    let a = Db::default()
        .events(1..=10)
        .session(1, (500, None), (1, 10));
    let mut events = calls(1..=20);
    events.push(at(
        10_500,
        "icon_a",
        Kind::Stopped {
            reason: crate::trace::StopReason::Crashed,
        },
    ));
    events.sort_by_key(|e| e.at_ms);
    let v = one(COMPLETE, events, &idbs(a, healthy_b()));
    assert!(v.held, "{}", v.detail);
    assert!(
        v.detail
            .contains("idb_a misses 10 in gaps its session control records (seq 11–20)"),
        "{}",
        v.detail
    );
}

#[test]
fn an_event_no_instance_distributed_is_not_the_sets_to_store() {
    let mut events = calls((1..=20).filter(|s| *s != 11));
    events.push(at(
        11_000,
        "switch",
        Kind::CallEventLost {
            pair: "ts_primary".into(),
            seq: 11,
            cti: cti(11),
            reason: crate::trace::Undistributed::NoPrimary,
        },
    ));
    events.sort_by_key(|e| e.at_ms);
    let a = Db::default()
        .events((1..=20).filter(|s| *s != 11))
        .session(1, (500, None), (1, 20));
    let b = Db::default()
        .events((1..=20).filter(|s| *s != 11))
        .session(1, (600, None), (1, 20));
    let v = one(COMPLETE, events, &idbs(a, b));
    assert!(v.held, "{}", v.detail);
    assert!(
        v.detail.ends_with(
            "; 1 event(s) no data-source instance could distribute (call-event-lost) are not \
             the set's to store"
        ),
        "{}",
        v.detail
    );
}
