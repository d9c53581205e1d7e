//! Many hosts: the reference pair with hundreds of desktops, each on its own simulated host
//! (the generator is the hosts bench's, `harness/benches/common/desktops.rs`). Every desktop
//! follows the failover; with many hosts, leaving idle hosts and links alone still gives the
//! trace of stepping every host every tick, and one seed one trace.

// The generator also serves the bench, which uses items this test does not.
#[allow(dead_code)]
#[path = "../harness/benches/common/desktops.rs"]
mod desktops;

use std::time::Duration;

use desktops::{CRASH_AT, plan, verify, world};

#[test]
fn three_hundred_desktop_hosts_follow_the_failover() {
    let n = 300;
    let (t, material) = world(n);
    assert_eq!(t.hosts.len(), n + 2);
    let trace = hapair::sim::run(plan(&t, &material, 1)).expect("the simulation runs");
    if let Err(why) = verify(n, &trace) {
        panic!("{why}");
    }
}

#[test]
fn one_seed_one_trace_with_a_hundred_desktop_hosts() {
    let (t, material) = world(100);
    let a = hapair::sim::run(plan(&t, &material, 7)).expect("the simulation runs");
    let b = hapair::sim::run(plan(&t, &material, 7)).expect("the simulation runs");
    assert_eq!(a.digest(), b.digest());
}

#[test]
fn with_many_hosts_skipping_gives_the_trace_of_every_tick() {
    let n = 30;
    let (t, material) = world(n);
    for seed in [1, 2] {
        let run = |skip_idle: bool| {
            let mut p = plan(&t, &material, seed);
            // Through the crash and the promotion; stepping every tick is the slow side.
            p.duration = CRASH_AT + Duration::from_secs(3);
            p.skip_idle = skip_idle;
            hapair::sim::run(p).expect("the simulation runs")
        };
        let (skipped, stepped) = (run(true), run(false));
        let at = skipped
            .events
            .iter()
            .zip(&stepped.events)
            .position(|(a, b)| a != b);
        assert!(
            skipped.digest() == stepped.digest(),
            "seed {seed}: first difference at event {at:?} of {}/{}",
            skipped.events.len(),
            stepped.events.len()
        );
    }
}
