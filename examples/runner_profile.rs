//! Profile the parallel runner (one policy, no files): `cargo run --release --example runner_profile`.
fn main() {
    let m = greatgame::scenario::load(None).unwrap_or_else(|e| panic!("{e}")).model;
    let design = greatgame::experiment::Design {
        policies: vec![0],
        trials: 20_000,
        seed: 1,
    };
    let opts = greatgame::experiment::RunOptions {
        threads: 1,
        progress: false,
        fans: false,
        keep_values: 0,
        decision_state: false,
    };
    let r = greatgame::experiment::run(&m, &design, &opts, None).unwrap();
    println!("{:.0} trials/s on 1 thread", 20_000.0 / r.elapsed.as_secs_f64());
}
