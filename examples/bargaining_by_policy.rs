//! Mean settled bargaining positions by policy in selected years, and the cost of bargaining:
//! `cargo run --release --example bargaining_by_policy -- [TRIALS] [SCENARIO]` (default: the built-in scenario).
//!
//! Reads the variables written by the default scenario's bargaining rounds at the end of each listed year, averaged
//! over trials (common random numbers: trial k sees the same draws under every policy).
use std::time::Instant;

fn main() {
    let trials: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(500);
    let path = std::env::args().nth(2).map(std::path::PathBuf::from);
    let m = greatgame::scenario::load(path.as_deref())
        .unwrap_or_else(|e| panic!("{e}"))
        .model;
    let outputs: Vec<usize> = match &m.bargaining {
        Some(b) => b.outputs.iter().map(|o| o.var as usize).collect(),
        None => panic!("the scenario declares no bargaining"),
    };
    let years = [2026, 2027, 2030];
    let turns: Vec<u32> = years
        .iter()
        .map(|y| {
            (0..m.turns)
                .rfind(|&t| m.calendar.year(t).floor() as i32 == *y)
                .unwrap()
        })
        .collect();
    println!("{} trials; mean settled position (0-1) at the end of each year", trials);
    print!("{:<30}", "policy");
    for y in years {
        for &v in &outputs {
            print!(" {:>8}", format!("{}{}", short(&m.vars[v].id), y % 100));
        }
    }
    println!();
    let mut plain = m.clone();
    plain.bargaining = None;
    let started = Instant::now();
    for k in 0..trials {
        let mut st = plain.new_trial(1, k);
        while st.turn < plain.turns {
            plain.step(&mut st, 0);
        }
    }
    let base = started.elapsed().as_secs_f64() / trials as f64 * 1e6;
    println!("without bargaining: {base:.0} us per trial (status_quo)");
    for (p, pol) in m.policies.iter().enumerate() {
        let (mut rounds, mut steps) = (0u64, 0u64);
        let mut us_first = [0.0; 3];
        let mut sums = vec![0.0; years.len() * outputs.len()];
        let started = Instant::now();
        for k in 0..trials {
            let mut st = m.new_trial(1, k);
            while st.turn < m.turns {
                m.step(&mut st, p);
                if st.bargaining_rounds == 1 && st.turn == m.decision_turn + 1 {
                    for (k, x) in us_first.iter_mut().enumerate() {
                        *x += st.settled[k];
                    }
                }
                if st.turn == m.turns {
                    rounds += u64::from(st.bargaining_rounds);
                    steps += u64::from(st.bargaining_steps);
                }
                if let Some(i) = turns.iter().position(|&t| t == st.turn - 1) {
                    for (j, &v) in outputs.iter().enumerate() {
                        sums[i * outputs.len() + j] += st.vars[v];
                    }
                }
            }
        }
        let per_trial = started.elapsed().as_secs_f64() / trials as f64 * 1e6;
        print!("{:<30}", pol.id);
        for s in &sums {
            print!(" {:>8.3}", s / trials as f64);
        }
        println!(
            "   ({per_trial:.0} us/trial, {:.1} steps/round; US settles at {:.2} {:.2} {:.2} in the first round)",
            steps as f64 / rounds.max(1) as f64,
            us_first[0] / trials as f64,
            us_first[1] / trials as f64,
            us_first[2] / trials as f64
        );
    }
}

fn short(id: &str) -> String {
    id.replace("engagement_", "e_")
        .replace("consensus", "all")
        .replace("ct_conditionality_settled", "ct_tal")
        .replace("relief_all", "relief")
}
