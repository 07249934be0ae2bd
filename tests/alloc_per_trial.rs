//! Allocations per trial (issue 17): the turn loop of a trial allocates nothing once the trial state exists —
//! decisions, state update, events and the in-trial bargaining rounds all work in buffers the state carries — and
//! a whole trial through the runner's `TrialDriver` allocates only a bounded, small number of times (the trial's
//! state, its fork per policy and the outcome recorder's per-trial work), independent of the number of turns.
//!
//! A counting global allocator in its own test binary; the count is per thread, so tests running in parallel do
//! not see each other's allocations.

use greatgame::experiment::runner::TrialDriver;
use greatgame::model::Model;
use greatgame::scenario::{DEFAULT_SCENARIO, load_str};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: the allocator can run while a thread's locals are being torn down.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator; the wrapper only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

fn model() -> Model {
    load_str(DEFAULT_SCENARIO, "afghanistan.ron")
        .expect("default loads")
        .model
}

#[test]
fn the_turn_loop_allocates_nothing() {
    let m = model();
    assert!(
        m.bargaining.is_some(),
        "the default scenario bargains: the test covers the rounds"
    );
    let policies: Vec<usize> = (0..m.policies.len()).collect();
    let mut rounds = 0;
    for trial in 0..20 {
        // As the runner does: the history under the baseline up to the decision date, then a fork per policy.
        let mut st = m.new_trial(11, trial);
        let before = allocations();
        while st.turn < m.decision_turn {
            m.step(&mut st, m.baseline);
        }
        let history = allocations() - before;
        assert_eq!(
            history, 0,
            "trial {trial}: {history} allocations in {} turns of history",
            m.decision_turn
        );
        for &p in &policies {
            let mut s = st.clone();
            let before = allocations();
            while s.turn < m.turns {
                m.step(&mut s, p);
            }
            let after = allocations() - before;
            assert_eq!(
                after, 0,
                "trial {trial}, policy {p}: {after} allocations after the fork"
            );
            rounds += s.bargaining_rounds;
        }
    }
    assert!(rounds > 0, "bargaining rounds ran inside the measured loops");
}

#[test]
fn a_whole_trial_allocates_a_bounded_number_of_times() {
    let m = model();
    let mut driver = TrialDriver::new(&m);
    let policies = [0usize];
    let mut per_trial = Vec::new();
    for trial in 0..30 {
        let before = allocations();
        // As the runner starts trials: in the buffers of the driver's finished ones.
        let st = driver.start(&m, 5, trial);
        driver.run_trial(&m, st, &policies, &mut |_, _| {}, &mut |_, _, _| {});
        per_trial.push(allocations() - before);
    }
    // What starting a trial costs: its state and buffers, allocated once per trial.
    let before = allocations();
    let st = m.new_trial(5, 1000);
    let start = allocations() - before;
    drop(st);
    // The first trial grows the driver's buffers and its state; after it, a trial restarts a finished trial's
    // state in place (the runner's anchoring retries restart theirs the same way) and allocates nothing, whatever
    // its luck, the number of turns (38) or of bargaining steps (up to 36).
    let steady = &per_trial[1..];
    let max = *steady.iter().max().unwrap();
    eprintln!(
        "allocations: starting a trial {start}; whole trials (first {}): {steady:?}",
        per_trial[0]
    );
    assert!(
        steady.iter().all(|&n| n == max),
        "the count depends on the trial's path: {per_trial:?}"
    );
    assert!(
        max == 0 && start > 0,
        "a trial allocated {max} times, starting one {start}: {per_trial:?}"
    );
}
