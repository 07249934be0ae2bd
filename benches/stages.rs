//! Per-stage costs of one turn on the default scenario (issue 17): an actor decision round, the state update,
//! events, one bargaining round, and a whole trial, each timed on a mid-trial state (the decision date, 2026Q1,
//! after the shared history). Divan reports medians; compare two commits side by side for ratios.
//!
//! `cargo bench --bench stages` (a few seconds per stage: keep it short on a shared machine).

use divan::{Bencher, black_box};
use greatgame::model::Model;
use greatgame::model::sim::{Stage, TrialState};
use std::sync::OnceLock;

fn main() {
    divan::main();
}

fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| greatgame::scenario::load(None).expect("default scenario").model)
}

/// Trial 3 at the decision date under the baseline: every mechanism has had time to move off its initial values.
fn mid_trial() -> TrialState {
    let m = model();
    let mut st = m.new_trial(1, 3);
    while st.turn < m.decision_turn {
        m.step(&mut st, m.baseline);
    }
    st
}

fn stage(b: Bencher, which: Stage) {
    let m = model();
    let mut st = mid_trial();
    b.bench_local(|| {
        m.run_stage(&mut st, which);
        black_box(st.vars[0])
    });
}

/// Every actor (and line of effort) chooses: option values, derivatives of event hazards, softmax, draws.
#[divan::bench(sample_count = 200)]
fn decision(b: Bencher) {
    stage(b, Stage::Decision);
}

/// Reversion, drift, lever and action effects, noise, clamping.
#[divan::bench(sample_count = 200)]
fn state_update(b: Bencher) {
    stage(b, Stage::StateUpdate);
}

/// Hazards, draws and consequences of every event.
#[divan::bench(sample_count = 200)]
fn events(b: Bencher) {
    stage(b, Stage::Events);
}

/// One stochastic bargaining round (7 bargainers, 3 dimensions, up to 6 steps) and its outputs.
#[divan::bench(sample_count = 100)]
fn bargaining_round(b: Bencher) {
    stage(b, Stage::Bargaining);
}

/// A whole trial under one policy: 38 turns, six bargaining rounds (no anchoring: the library model carries no
/// present; the run command adds it).
#[divan::bench(sample_count = 50)]
fn whole_trial(b: Bencher) {
    let m = model();
    let mut k = 0u64;
    b.bench_local(|| {
        let mut st = m.new_trial(1, k);
        k += 1;
        while st.turn < m.turns {
            m.step(&mut st, 0);
        }
        black_box(st.vars[0])
    });
}

/// A whole trial as `run` runs it: through the runner's `TrialDriver`, the history anchored to the known present
/// (retries of rejected histories included: about 1.7 histories per trial), the trial's state restarted in the
/// buffers of the previous one. Without the calibrated ensemble (that needs the command's loading).
#[divan::bench(sample_count = 50)]
fn whole_trial_anchored(b: Bencher) {
    static M: OnceLock<Model> = OnceLock::new();
    let m = M.get_or_init(|| {
        let mut m = greatgame::scenario::load(None).expect("default scenario").model;
        let anchor = greatgame::present::Anchor::for_scenario(&m, None)
            .expect("the built-in present resolves")
            .expect("the built-in scenario has a present");
        m.present = Some(std::sync::Arc::new(anchor));
        m
    });
    let mut driver = greatgame::experiment::runner::TrialDriver::new(m);
    let policies = [0usize];
    let mut k = 0u64;
    b.bench_local(|| {
        let st = driver.start(m, 1, k);
        k += 1;
        driver.run_trial(m, st, &policies, &mut |_, _| {}, &mut |_, s, _| {
            black_box(s.vars[0]);
        });
    });
}
