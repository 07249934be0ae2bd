//! Quick timing of the engine on the default scenario (one policy, whole horizon).
fn main() {
    let l = greatgame::scenario::load(None).unwrap_or_else(|e| panic!("{e}"));
    let m = &l.model;
    println!("derivative pairs: {}", m.derivative_pairs.len());
    let n = 20_000u64;
    let t = std::time::Instant::now();
    let mut acc = 0.0;
    for k in 0..n {
        let mut st = m.new_trial(1, k);
        while st.turn < m.turns {
            m.step(&mut st, 0);
        }
        acc += st.vars[0];
    }
    let s = t.elapsed().as_secs_f64();
    println!("{:.0} trials/s single thread ({acc:.1})", n as f64 / s);
}
