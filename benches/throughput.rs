//! Trial throughput on the default scenario.
//!
//! Run with `cargo bench --bench throughput`. Targets (issue 17): ≥ 20,000 trials/s per core for one policy over
//! 2021Q3–2030Q4 with the full model (not met: `runner_2048_trials_by_feature` shows why), ≥ 1.8× on two cores,
//! ≤ 200 MB peak for 1,000,000 trials with `--no-trials-file` (measured on the binary with `/usr/bin/time -v`).

use divan::{Bencher, black_box};
use greatgame::experiment::{Design, RunOptions, run};
use greatgame::model::Model;
use std::sync::OnceLock;

fn main() {
    divan::main();
}

fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| greatgame::scenario::load(None).expect("default scenario").model)
}

/// One trial, one policy (status_quo), the whole horizon (38 quarterly turns).
#[divan::bench]
fn one_trial_whole_horizon(b: Bencher) {
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

/// The same without the scenario's bargaining rounds: the difference is the cost of bargaining (two stochastic SMP
/// rounds of seven bargainers on three dimensions).
#[divan::bench]
fn one_trial_whole_horizon_no_bargaining(b: Bencher) {
    static M: OnceLock<Model> = OnceLock::new();
    let m = M.get_or_init(|| {
        let mut m = model().clone();
        m.bargaining = None;
        m
    });
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

/// One turn with all nine actors deciding (divide by 9 for an upper bound
/// on the cost of one actor decision).
#[divan::bench]
fn one_turn(b: Bencher) {
    let m = model();
    let mut st = m.new_trial(1, 0);
    let start = st.clone();
    b.bench_local(|| {
        if st.turn >= m.turns {
            st = start.clone();
        }
        m.step(&mut st, 0);
    });
}

/// 2,048 trials of one policy through the parallel runner (no files, no charts).
#[divan::bench(args = [1, 2], sample_count = 10)]
fn runner_2048_trials(b: Bencher, threads: usize) {
    runner_2048(b, model(), 0, threads);
}

/// 2,048 trials of `policy` on `threads` workers through the runner, no files, no charts, nothing kept.
fn runner_2048(b: Bencher, m: &Model, policy: usize, threads: usize) {
    let design = Design {
        policies: vec![policy],
        trials: 2048,
        seed: 1,
    };
    let opts = RunOptions {
        threads,
        progress: false,
        fans: false,
        keep_values: 0,
        decision_state: false,
    };
    b.bench_local(|| black_box(run(m, &design, &opts, None).unwrap().stats.len()));
}

/// The full model as `greatgame run` runs it: the built-in scenario prepared as the command prepares it (history
/// anchored to the known present, each trial on its member of the calibrated ensemble), 2,048 trials of the
/// baseline through the parallel runner, no files. The gap to `runner_2048_trials` is the cost of anchoring and of
/// the ensemble (200 compiled models: the runner groups each batch's trials by member to keep one warm in cache).
#[divan::bench(args = [1, 2], sample_count = 10)]
fn runner_2048_trials_full_model(b: Bencher, threads: usize) {
    static P: OnceLock<Model> = OnceLock::new();
    let m = P.get_or_init(|| {
        let p = greatgame::experiment::prepare::prepare(&greatgame::experiment::prepare::PrepareOptions {
            command: "run",
            quiet: true,
            ..Default::default()
        })
        .expect("the built-in scenario prepares");
        assert!(p.loaded.model.ensemble.is_some() && p.loaded.model.present.is_some());
        p.loaded.model
    });
    runner_2048(b, m, m.baseline, threads);
}

/// What each feature of the full model costs: the full model (`full_model`) without its ensemble, without its
/// anchoring to the known present (`free_history`), without its bargaining rounds (the settled positions stay at
/// their starting values), and without all three (`core`: the decisions, events and state updates alone). The
/// ratios, not the absolute times, say where a faster engine would have to come from; the target of 20,000
/// trials/s is 102 ms here.
#[divan::bench(args = ["full", "no_ensemble", "free_history", "no_bargaining", "core"], sample_count = 10)]
fn runner_2048_trials_by_feature(b: Bencher, variant: &str) {
    static P: OnceLock<Model> = OnceLock::new();
    let full = P.get_or_init(|| {
        greatgame::experiment::prepare::prepare(&greatgame::experiment::prepare::PrepareOptions {
            command: "run",
            quiet: true,
            ..Default::default()
        })
        .expect("the built-in scenario prepares")
        .loaded
        .model
    });
    let mut m = full.clone();
    let no_bargaining = |m: &mut Model| {
        m.bargaining = None;
        if let Some(members) = &m.ensemble {
            let mut members = members.as_ref().clone();
            members.iter_mut().for_each(|x| x.bargaining = None);
            m.ensemble = Some(std::sync::Arc::new(members));
        }
    };
    match variant {
        "full" => {}
        "no_ensemble" => m.ensemble = None,
        "free_history" => m.present = None,
        "no_bargaining" => no_bargaining(&mut m),
        _ => {
            m.ensemble = None;
            m.present = None;
            no_bargaining(&mut m);
        }
    }
    // The members carry the anchoring of the model they were attached to.
    m.sync_members();
    runner_2048(b, &m, m.baseline, 1);
}

/// All six policies sharing the pre-decision history, 512 trials.
#[divan::bench(sample_count = 10)]
fn runner_512_trials_all_policies(b: Bencher) {
    let m = model();
    let design = Design {
        policies: (0..m.policies.len()).collect(),
        trials: 512,
        seed: 1,
    };
    let opts = RunOptions {
        threads: 1,
        progress: false,
        fans: true,
        keep_values: 512,
        decision_state: false,
    };
    b.bench_local(|| black_box(run(m, &design, &opts, None).unwrap().stats.len()));
}
