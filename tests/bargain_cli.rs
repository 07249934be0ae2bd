//! The `bargain` command, called through `cli::bargain::execute` as the binary will call it.

#[path = "bargain_fixtures.rs"]
mod fixtures;

use clap::Parser;
use greatgame::bargain::{Smp, SmpOptions, parse_csv, run};
use greatgame::cli::bargain::{BargainArgs, execute};
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    args: BargainArgs,
}

fn args(file: PathBuf, out: &Path) -> BargainArgs {
    BargainArgs {
        file,
        stochastic: false,
        trials: 1000,
        seed: 1,
        threads: None,
        out: Some(out.to_path_buf()),
    }
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn no_temporaries_left(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp"), "temporary file {name} left behind");
    }
}

#[test]
fn flags_and_defaults() {
    let cli = Cli::parse_from(["bargain", "scen/dummy.csv"]);
    assert_eq!(cli.args.file, PathBuf::from("scen/dummy.csv"));
    assert!(!cli.args.stochastic);
    assert_eq!((cli.args.trials, cli.args.seed, cli.args.threads), (1000, 1, None));
    assert_eq!(cli.args.out_dir(), PathBuf::from("output/bargain/dummy"));
    let cli = Cli::parse_from([
        "bargain",
        "x.csv",
        "--stochastic",
        "--trials",
        "50",
        "--seed",
        "9",
        "--threads",
        "2",
        "--out",
        "elsewhere",
    ]);
    assert!(cli.args.stochastic);
    assert_eq!((cli.args.trials, cli.args.seed, cli.args.threads), (50, 9, Some(2)));
    assert_eq!(cli.args.out_dir(), PathBuf::from("elsewhere"));
}

#[test]
fn deterministic_run_writes_history_files_and_charts() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixtures::write_file(dir.path(), "dummyData_3Dim.csv", fixtures::DUMMY_CSV);
    let out = dir.path().join("out");
    execute(&args(input, &out)).unwrap();

    let (header, rows) = read_csv(&out.join("positions.csv"));
    assert_eq!(header, ["state", "actor", "dimension", "position"]);
    assert_eq!(rows.len(), 11 * 7 * 3);
    assert_eq!(rows[0][..3], ["0", "SActor-00", "Pstn1"]);
    assert!((rows[0][3].parse::<f64>().unwrap() - 75.79).abs() < 1e-12);
    // The last state of SActor-06 on Pstn2 is KTAB's 31.6, at full precision.
    let last = rows
        .iter()
        .find(|r| r[0] == "10" && r[1] == "SActor-06" && r[2] == "Pstn2")
        .unwrap();
    let v: f64 = last[3].parse().unwrap();
    assert!((v - 31.6).abs() <= 0.05 && last[3].len() > 4, "{last:?}");

    let (header, rows) = read_csv(&out.join("probabilities.csv"));
    assert_eq!(header, ["state", "actor", "probability"]);
    assert_eq!(rows.len(), 11 * 7);
    let p: f64 = rows.iter().find(|r| r[0] == "0" && r[1] == "SActor-04").unwrap()[2]
        .parse()
        .unwrap();
    assert!((p - 0.6001).abs() < 1e-4);

    let turn0 = std::fs::read_to_string(out.join("turn0.txt")).unwrap();
    assert!(turn0.starts_with("Raw actor-pos value matrix (risk neutral)\n +1.000  +0.903"));
    assert!(turn0.contains("In turn 0 actor 0 has most advantageous target 6 worth 0.095"));

    for k in 1..=3 {
        let png = std::fs::read(out.join(format!("positions_dim{k}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(png.len() > 10_000, "a chart, not an empty image");
        let svg = std::fs::read_to_string(out.join(format!("positions_dim{k}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains(&format!("Pstn{k}")) && svg.contains("SActor-06"));
    }
    no_temporaries_left(&out);
}

#[test]
fn stochastic_output_does_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixtures::write_file(dir.path(), "soe.csv", fixtures::SOE_CSV);
    let mut outputs = Vec::new();
    for threads in [1, 2] {
        let out = dir.path().join(format!("t{threads}"));
        let a = BargainArgs {
            stochastic: true,
            trials: 24,
            seed: 5,
            threads: Some(threads),
            ..args(input.clone(), &out)
        };
        execute(&a).unwrap();
        no_temporaries_left(&out);
        outputs.push((
            std::fs::read(out.join("final_positions.csv")).unwrap(),
            std::fs::read(out.join("final_quantiles.csv")).unwrap(),
            out,
        ));
    }
    assert_eq!(
        outputs[0].0, outputs[1].0,
        "final_positions.csv differs between 1 and 2 threads"
    );
    assert_eq!(
        outputs[0].1, outputs[1].1,
        "final_quantiles.csv differs between 1 and 2 threads"
    );

    let out = &outputs[0].2;
    let (header, rows) = read_csv(&out.join("final_positions.csv"));
    assert_eq!(header, ["trial", "states", "actor", "dimension", "position"]);
    assert_eq!(rows.len(), 24 * 13 * 2);
    let (header, quantiles) = read_csv(&out.join("final_quantiles.csv"));
    assert_eq!(header, ["actor", "dimension", "p05", "p25", "p50", "p75", "p95"]);
    assert_eq!(quantiles.len(), 13 * 2);
    // The median in final_quantiles.csv is the median of the per-trial positions in final_positions.csv.
    let mut xs: Vec<f64> = rows
        .iter()
        .filter(|r| r[2] == "XJ" && r[3] == "Policy Position")
        .map(|r| r[4].parse().unwrap())
        .collect();
    xs.sort_by(f64::total_cmp);
    assert_eq!(xs.len(), 24);
    let q = &quantiles[0];
    assert_eq!(q[..2], ["XJ", "Policy Position"]);
    let q: Vec<f64> = q[2..].iter().map(|v| v.parse().unwrap()).collect();
    assert!((q[2] - (xs[11] + xs[12]) / 2.0).abs() < 1e-9, "{q:?} vs {xs:?}");
    assert!(q.windows(2).all(|w| w[0] <= w[1]), "quantiles ascend: {q:?}");
    // Stochastic trials differ among themselves.
    let distinct: std::collections::BTreeSet<String> =
        rows.iter().filter(|r| r[2] == "MK").map(|r| r[4].clone()).collect();
    assert!(distinct.len() > 1, "stochastic trials should not all end alike");
    for k in 1..=2 {
        let png = std::fs::read(out.join(format!("final_positions_dim{k}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let svg = std::fs::read_to_string(out.join(format!("final_positions_dim{k}.svg"))).unwrap();
        assert!(svg.contains("24 stochastic trials, seed 5"));
    }
}

#[test]
fn trials_depend_on_seed_and_index_only() {
    let smp = Smp::new(&parse_csv(fixtures::DUMMY_CSV, "d.csv").unwrap(), SmpOptions::default());
    let pool = |t| rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap();
    let ten = pool(1).install(|| run::run_trials(&smp, 10, 3));
    let six = pool(2).install(|| run::run_trials(&smp, 6, 3));
    // The first six of ten trials are the six trials: trial k does not depend on how many trials there are.
    assert_eq!(ten[..6], six[..]);
    // Trial k is the stochastic run with trial_rng(seed, k).
    let h = smp.run_stochastic(&mut run::trial_rng(3, 4));
    assert_eq!(ten[4].final_positions, h.final_positions());
    assert_eq!(ten[4].states, h.num_states());
    // A different seed gives different trials.
    assert_ne!(run::run_trials(&smp, 10, 4), ten);
}

#[test]
fn malformed_input_fails_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = fixtures::DUMMY_CSV.replace(
        "SActor-03, Random Spatial Actor,  75.920",
        "SActor-03, Random Spatial Actor,  lots",
    );
    let input = fixtures::write_file(dir.path(), "bad.csv", &bad);
    let out = dir.path().join("out");
    let err = execute(&args(input, &out)).unwrap_err().to_string();
    assert!(
        err.contains("bad.csv, line 6, column 3 (Power): `lots` is not a number"),
        "{err}"
    );
    assert!(!out.join("positions.csv").exists());
}

#[test]
fn ron_input_runs_like_csv() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = parse_csv(fixtures::SOE_CSV, "soe.csv").unwrap();
    let ron = ron::ser::to_string_pretty(&scenario, ron::ser::PrettyConfig::default()).unwrap();
    let from_ron = fixtures::write_file(dir.path(), "soe.ron", &ron);
    let from_csv = fixtures::write_file(dir.path(), "soe.csv", fixtures::SOE_CSV);
    execute(&args(from_ron, &dir.path().join("ron"))).unwrap();
    execute(&args(from_csv, &dir.path().join("csv"))).unwrap();
    for file in ["positions.csv", "probabilities.csv"] {
        let a = std::fs::read(dir.path().join("ron").join(file)).unwrap();
        let b = std::fs::read(dir.path().join("csv").join(file)).unwrap();
        assert_eq!(a, b, "{file}");
        assert!(!a.is_empty());
    }
}
