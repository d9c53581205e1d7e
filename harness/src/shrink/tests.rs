//! The reduction on a small synthetic case: a probe that "fails" exactly when a known set of
//! steps and values is present, so that what the passes keep can be stated exactly.

use std::time::Duration;

use super::case::Case;
use super::reduce::{Pass, Probe, Progress, Reducer, ddmin};
use crate::diag::Span;
use crate::fault::{AppRef, Fault, HostRef, Order};
use crate::scenario::{Check, Expect, Step, Timing};
use crate::sweep::{Drawn, Failed, Schedule, Signature};
use crate::topology::Role;
use crate::trace::State;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn step(at: u64, label: Option<&str>, fault: Fault) -> Step {
    Step {
        at: secs(at),
        label: label.map(str::to_string),
        fault,
        span: Span::default(),
    }
}

fn crash(app: &str) -> Fault {
    Fault::Crash {
        app: AppRef::new(app),
    }
}

fn restart(app: &str) -> Fault {
    Fault::Restart {
        app: AppRef::new(app),
    }
}

fn expect(check: Check, timing: Timing) -> Expect {
    Expect {
        check,
        timing,
        span: Span::default(),
    }
}

fn lost() -> Expect {
    expect(Check::NoAckedEventLost(true), Timing::Anytime)
}

/// The signature the synthetic failure has: the lost-event expectation.
fn want() -> Signature {
    Signature(vec![Failed {
        kind: "expect".into(),
        what: lost().describe(),
        class: String::new(),
    }])
}

/// Own steps: traffic 20/s, a latency, a labelled crash of `x` (an expectation is timed after
/// it); drawn: a crash of `a` lifted by its restart, a partition lifted by a heal, a
/// switchover. Expectations: one after `crash-x`, the lost-event one, one at 3 s.
fn case() -> Case {
    let (h1, h2) = (HostRef::new("h1"), HostRef::new("h2"));
    let own = vec![
        step(
            0,
            None,
            Fault::Traffic {
                from: AppRef::new("desk"),
                rate: 20.0,
            },
        ),
        step(
            1,
            Some("slow"),
            Fault::Latency {
                a: h1.clone(),
                b: h2.clone(),
                delay: Duration::from_millis(200),
            },
        ),
        step(2, Some("crash-x"), crash("x")),
    ];
    let schedule = Schedule {
        kinds: Vec::new(),
        from: secs(5),
        until: secs(40),
        faults: vec![
            Drawn {
                at: secs(10),
                fault: crash("a"),
                lifted: Some((secs(14), restart("a"))),
            },
            Drawn {
                at: secs(12),
                fault: Fault::Partition {
                    a: h1.clone(),
                    b: h2.clone(),
                },
                lifted: Some((secs(20), Fault::Heal { a: h1, b: h2 })),
            },
            Drawn {
                at: secs(16),
                fault: Fault::Switchover {
                    order: Order::Pair(AppRef::new("a")),
                },
                lifted: None,
            },
        ],
    };
    let expects = vec![
        expect(
            Check::Role {
                app: "b".into(),
                is: State::In(Role::Primary),
            },
            Timing::Within {
                after: secs(2),
                mark: "crash-x".into(),
                within: secs(1),
            },
        ),
        lost(),
        expect(
            Check::Served {
                client: "desk".into(),
                by: "a".into(),
            },
            Timing::At(secs(3)),
        ),
    ];
    Case::of(&own, &expects, secs(30), &schedule)
}

/// Fails (holds) when a crash of `a` at 5 s or later, a switchover after it, traffic of at
/// least 4/s and the lost-event expectation are all there; counts the cases it saw.
#[derive(Default)]
struct Synthetic {
    seen: Vec<Case>,
}

impl Probe for &mut Synthetic {
    fn holds(&mut self, case: &Case) -> Option<bool> {
        self.seen.push(case.clone());
        let steps = case.steps();
        let crash_a = steps
            .iter()
            .find(|s| s.fault == crash("a"))
            .map(|s| s.at)
            .filter(|at| *at >= secs(5));
        let switchover = steps
            .iter()
            .find(|s| matches!(s.fault, Fault::Switchover { .. }))
            .map(|s| s.at);
        let traffic = steps
            .iter()
            .any(|s| matches!(s.fault, Fault::Traffic { rate, .. } if rate >= 4.0));
        let named = case
            .expects
            .iter()
            .any(|e| e.describe() == lost().describe());
        Some(matches!((crash_a, switchover), (Some(c), Some(s)) if s > c) && traffic && named)
    }
}

fn reduce(probe: &mut Synthetic, max_runs: usize) -> (Case, usize, bool) {
    let want = want();
    let mut lines = Vec::<Progress>::new();
    let mut hear = |p: &Progress| lines.push(*p);
    let r = Reducer::new(probe, &want, max_runs, &mut hear);
    let (out, runs, exhausted) = {
        let mut r = r;
        (r.reduce(case(), false), r.runs(), r.exhausted())
    };
    assert_eq!(lines.len(), runs, "one progress line per run");
    assert!(lines.windows(2).all(|w| w[0].runs < w[1].runs));
    (out, runs, exhausted)
}

#[test]
fn the_synthetic_failure_shrinks_to_its_three_steps_and_one_expectation() {
    let mut probe = Synthetic::default();
    assert_eq!(
        (&mut probe).holds(&case()),
        Some(true),
        "the full case fails"
    );
    let (out, runs, exhausted) = reduce(&mut probe, 200);
    assert!(!exhausted);
    assert!(runs < 200, "{runs} runs");
    let names: Vec<&str> = out.steps().iter().map(|s| s.fault.name()).collect();
    assert_eq!(names, ["traffic", "crash", "switchover"]);
    let descr: Vec<String> = out.expects.iter().map(Expect::describe).collect();
    assert_eq!(
        descr,
        [lost().describe()],
        "only the named expectation is left"
    );
    let steps = out.steps();
    // Simplified: the traffic slower (but at least the 4/s the failure needs), the crash
    // earlier (but not before 5 s), the switchover right after it, the run shorter.
    assert!(
        matches!(steps[0].fault, Fault::Traffic { rate, .. } if (4.0..20.0).contains(&rate)),
        "{:?}",
        steps[0].fault
    );
    assert!(
        steps[1].at >= secs(5) && steps[1].at < secs(10),
        "{:?}",
        steps[1].at
    );
    assert!(steps[2].at > steps[1].at && steps[2].at < secs(16));
    assert!(out.duration < secs(40) && out.duration >= steps[2].at);
    // The first pass removed drawn faults whole: no case it tried kept a fault and dropped
    // its lifting, or the other way round (later passes may).
    let partition = |c: &Case| {
        c.steps()
            .iter()
            .any(|x| matches!(x.fault, Fault::Partition { .. }))
    };
    let heal = |c: &Case| {
        c.steps()
            .iter()
            .any(|x| matches!(x.fault, Fault::Heal { .. }))
    };
    let own_intact = |c: &Case| {
        c.steps()
            .iter()
            .any(|x| x.label.as_deref() == Some("crash-x"))
    };
    assert!(
        probe
            .seen
            .iter()
            .filter(|c| own_intact(c))
            .all(|c| partition(c) == heal(c))
    );
}

#[test]
fn a_step_whose_label_a_named_expectation_uses_stays_without_a_run() {
    let mut c = case();
    // The lost-event expectation is now timed after the own crash of `x`.
    c.expects[1].timing = Timing::Within {
        after: secs(2),
        mark: "crash-x".into(),
        within: secs(30),
    };
    let named = |e: &Expect| matches!(e.check, Check::NoAckedEventLost(_));
    let crash_x = c
        .units
        .iter()
        .position(|u| u.steps[0].label.as_deref() == Some("crash-x"))
        .expect("the case has crash-x");
    assert!(c.without(&[crash_x], &named).is_none());
    let other = c.without(&[0], &named).expect("the traffic can go");
    assert_eq!(other.expects.len(), 3);
    // An expectation the signature does not name goes with the step.
    let unnamed = |_: &Expect| false;
    let without = c.without(&[crash_x], &unnamed).expect("nothing named");
    assert_eq!(
        without.expects.len(),
        1,
        "both expectations after crash-x went"
    );
}

#[test]
fn shrinking_is_deterministic_and_bounded() {
    let (a, runs_a, _) = reduce(&mut Synthetic::default(), 200);
    let (b, runs_b, _) = reduce(&mut Synthetic::default(), 200);
    assert_eq!(runs_a, runs_b);
    assert_eq!(format!("{:?}", a.steps()), format!("{:?}", b.steps()));
    let mut few = Synthetic::default();
    let (small, runs, exhausted) = reduce(&mut few, 4);
    assert!(exhausted);
    assert_eq!(runs, 4);
    assert_eq!(few.seen.len(), 4, "no run past the budget");
    assert!(
        small.step_count() <= case().step_count(),
        "what a cut-short shrink keeps still holds"
    );
    assert_eq!((&mut Synthetic::default()).holds(&small), Some(true));
}

#[test]
fn ddmin_finds_the_two_items_a_failure_needs() {
    let mut calls = 0;
    let kept = ddmin((0..16).collect(), &mut |keep: &[usize]| {
        calls += 1;
        keep.contains(&3) && keep.contains(&11)
    });
    assert_eq!(kept, [3, 11]);
    assert!(calls < 40, "{calls} tests");
    let mut none = 0;
    assert_eq!(
        ddmin((0..5).collect(), &mut |_: &[usize]| {
            none += 1;
            true
        }),
        Vec::<usize>::new()
    );
    assert_eq!(none, 1, "everything removable: one test");
}

#[test]
fn passes_have_names_for_progress_lines() {
    for p in [Pass::Faults, Pass::Steps, Pass::Expects, Pass::Simplify] {
        assert!(!p.name().is_empty());
    }
}
