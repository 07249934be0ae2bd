//! `greatgame discover`'s checks on its own findings, as a user runs them: PRIM's
//! resampling stability (`--resamples`, `--resample-share`) and CART's
//! cross-validated pruning (`--folds`).

use assert_cmd::Command;
use std::fs;
use std::path::Path;

fn run(args: &[&str], out: &Path) -> std::process::Output {
    Command::cargo_bin("greatgame")
        .expect("binary built")
        .arg("discover")
        // The nominal coefficients: these tests check PRIM's and CART's own checks on a design whose condition
        // the uncertainties drive; with the ensemble, the member drawn per trial adds noise the boxes cannot
        // capture (tests/calibrate.rs covers discover with the ensemble).
        .arg("--no-ensemble")
        .args(args)
        .arg("--quiet")
        .arg("--out")
        .arg(out)
        .output()
        .expect("runs")
}

fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn header(p: &Path) -> Vec<String> {
    read(p).lines().next().unwrap().split(',').map(String::from).collect()
}

const WHERE: [&str; 2] = ["--where", "pakistan_militant_attacks>1100"];

#[test]
fn stability_and_pruning_are_reported_and_identical_at_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let args = [&WHERE[..], &["--samples", "300", "--resamples", "12", "--seed", "4"]].concat();
    ok(&run(&[&args[..], &["--threads", "1"]].concat(), &a));
    ok(&run(&[&args[..], &["--threads", "2", "--no-charts"]].concat(), &b));
    for f in [
        "prim_stability.csv",
        "prim_resamples.csv",
        "cart_pruning.csv",
        "cart_leaves.csv",
        "discover.md",
    ] {
        assert_eq!(
            read(&a.join(f)),
            read(&b.join(f)),
            "{f} differs between 1 and 2 threads"
        );
    }
    assert_eq!(
        header(&a.join("prim_stability.csv")),
        [
            "uncertainty",
            "in_chosen_box",
            "in_simplified_box",
            "reproducibility",
            "reproducibility_simplified"
        ]
    );
    // One row per uncertainty, shares in [0, 1].
    let stab = read(&a.join("prim_stability.csv"));
    let boxes = read(&a.join("prim_box.csv"));
    assert_eq!(stab.lines().count(), boxes.lines().count());
    for line in stab.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        for v in &f[3..5] {
            let x: f64 = v.parse().unwrap();
            assert!((0.0..=1.0).contains(&x), "{line}");
        }
    }
    let res = read(&a.join("prim_resamples.csv"));
    assert_eq!(res.lines().count(), 13, "a header and 12 resamples");
    assert_eq!(
        header(&a.join("prim_resamples.csv"))[..6],
        [
            "resample",
            "box",
            "coverage_in",
            "density_in",
            "coverage_out",
            "density_out"
        ]
    );
    let pruning = read(&a.join("cart_pruning.csv"));
    assert_eq!(
        pruning.lines().next().unwrap(),
        "subtree,alpha,leaves,brier,cv_brier,cv_se,lowest_cv,chosen"
    );
    // Exactly one chosen subtree; the last subtree is the root alone.
    let rows: Vec<Vec<&str>> = pruning.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.iter().filter(|r| r[7] == "1").count(), 1);
    assert_eq!(rows.last().unwrap()[2], "1");
    // The pruned tree's leaves are the ones listed.
    let chosen_leaves: usize = rows.iter().find(|r| r[7] == "1").unwrap()[2].parse().unwrap();
    assert_eq!(read(&a.join("cart_leaves.csv")).lines().count(), chosen_leaves + 1);
    let md = read(&a.join("discover.md"));
    for want in [
        "### Stability: PRIM on 12 random subsamples",
        "of the 300 experiments",
        "Out of sample",
        "10-fold cross-validation",
        "1-SE rule",
        "| subtree | α | leaves |",
    ] {
        assert!(md.contains(want), "missing `{want}` in\n{md}");
    }
    assert!(a.join("charts/prim_stability.png").is_file());
    assert!(a.join("charts/prim_stability.svg").is_file());
    let manifest = read(&a.join("manifest.json"));
    assert!(
        manifest.contains("\"resamples\": 12") && manifest.contains("\"folds\": 10"),
        "{manifest}"
    );
    // Another seed draws other subsamples.
    let c = tmp.path().join("c");
    let other = [
        &WHERE[..],
        &["--samples", "300", "--resamples", "12", "--seed", "5", "--no-charts"],
    ]
    .concat();
    ok(&run(&other, &c));
    assert_ne!(read(&a.join("prim_resamples.csv")), read(&c.join("prim_resamples.csv")));
}

#[test]
fn zero_resamples_and_zero_folds_skip_the_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    ok(&run(
        &[
            &WHERE[..],
            &["--samples", "120", "--resamples", "0", "--folds", "0", "--no-charts"],
        ]
        .concat(),
        &out,
    ));
    assert!(!out.join("prim_stability.csv").exists());
    assert!(!out.join("prim_resamples.csv").exists());
    assert!(!out.join("cart_pruning.csv").exists());
    let md = read(&out.join("discover.md"));
    assert!(
        !md.contains("Stability") && md.contains("not pruned (`--folds 0`)"),
        "{md}"
    );
    // --method cart runs no resampling by default.
    let cart = tmp.path().join("cart");
    ok(&run(
        &[&WHERE[..], &["--samples", "120", "--method", "cart", "--no-charts"]].concat(),
        &cart,
    ));
    assert!(!cart.join("prim_stability.csv").exists() && cart.join("cart_pruning.csv").is_file());
}

#[test]
fn bad_resampling_and_pruning_options_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("never");
    let cases: [(&[&str], &str); 5] = [
        (&["--folds", "1"], "--folds must be 0"),
        (&["--samples", "50", "--folds", "60"], "--folds must be 0"),
        (&["--resample-share", "1.5"], "--resample-share must lie in (0, 1)"),
        (
            &["--method", "cart", "--resamples", "10"],
            "--resamples checks PRIM's box",
        ),
        (&["--method", "prim", "--folds", "5"], "--folds prunes the CART tree"),
    ];
    for (extra, want) in cases {
        let o = run(&[&WHERE[..], extra].concat(), &out);
        assert!(!o.status.success(), "{extra:?} should fail");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{extra:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!out.exists(), "{extra:?} left output");
    }
}

#[test]
fn with_box_the_resamples_match_its_coverage_and_the_summary_names_reproducibility() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b");
    let o = run(
        &[
            &WHERE[..],
            &["--samples", "200", "--box", "5", "--resamples", "5", "--no-charts"],
        ]
        .concat(),
        &out,
    );
    ok(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("kept by the simplified boxes of 5 resamples"), "{err}");
    // Box 5's coverage is the rule the resamples follow (row 0 is the header, then boxes 0, 1, ...).
    let traj = read(&out.join("prim_trajectory.csv"));
    let cov: f64 = traj.lines().nth(6).unwrap().split(',').nth(1).unwrap().parse().unwrap();
    let md = read(&out.join("discover.md"));
    let want = format!("the densest with coverage ≥ {}", greatgame::analysis::prim::short(cov));
    assert!(md.contains(&want), "missing `{want}` in\n{md}");
    assert_eq!(read(&out.join("prim_resamples.csv")).lines().count(), 6);
}
