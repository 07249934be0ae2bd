//! The runner executes each batch's trials grouped by ensemble member (`experiment/member_order.rs`) and puts their
//! results back in trial order. With the built-in ensemble attached, the kept outcome values must be exactly those
//! of running every trial one after another in one driver, and every output must be the same at any thread count
//! (different thread counts make different batches, so the trials run in different orders).

use greatgame::experiment::prepare::{PrepareOptions, prepare};
use greatgame::experiment::runner::TrialDriver;
use greatgame::experiment::{Design, RunOptions, run};

#[test]
fn trials_grouped_by_member_give_the_results_of_trial_order() {
    let p = prepare(&PrepareOptions {
        command: "run",
        quiet: true,
        ..Default::default()
    })
    .unwrap();
    let m = &p.loaded.model;
    let members = m.ensemble.as_ref().expect("the built-in ensemble").len();
    assert!(members > 1);
    let design = Design {
        policies: vec![m.baseline, (m.baseline + 1) % m.policies.len()],
        trials: 600,
        seed: 5,
    };
    let go = |threads| {
        let mut rows = Vec::new();
        let opts = RunOptions {
            threads,
            progress: false,
            fans: true,
            keep_values: design.trials,
            decision_state: false,
        };
        let r = run(m, &design, &opts, Some(&mut rows)).unwrap();
        (rows, r.stats, r.fans, r.values)
    };
    let one = go(1);
    let three = go(3);
    assert!(one.0 == three.0, "trials.csv rows differ between 1 and 3 threads");
    assert!(one.1 == three.1, "statistics differ between 1 and 3 threads");
    assert!(one.2 == three.2, "fan histograms differ between 1 and 3 threads");
    assert!(one.3 == three.3, "kept values differ between 1 and 3 threads");

    // The reference: every trial in order, in one driver, on its member.
    let (np, no) = (design.policies.len(), m.outcomes.len());
    let mut want = vec![vec![Vec::new(); no]; np];
    let mut driver = TrialDriver::new(m);
    let mut seen = std::collections::BTreeSet::new();
    for trial in 0..design.trials {
        seen.insert(m.member_index(design.seed, trial));
        let member = m.member(design.seed, trial);
        let st = driver.start(member, design.seed, trial);
        driver.run_trial(member, st, &design.policies, &mut |_, _| {}, &mut |slot, _, v| {
            for (o, x) in v.iter().enumerate() {
                want[slot][o].push(*x);
            }
        });
    }
    assert!(
        seen.len() > 100,
        "the trials should spread over many members ({} seen)",
        seen.len()
    );
    for (slot, (got_slot, want_slot)) in one.3.iter().zip(&want).enumerate() {
        for ((got, expected), outcome) in got_slot.iter().zip(want_slot).zip(&m.outcomes) {
            assert_eq!(got.len(), expected.len());
            let same = got.iter().zip(expected).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(
                same,
                "outcome `{}` of policy slot {slot} differs from trial order",
                outcome.id
            );
        }
    }
}
