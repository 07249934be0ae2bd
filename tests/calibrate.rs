//! `greatgame calibrate` (history matching) and the ensemble the other commands sample from: reproducible
//! from its seed, sharded and merged or interrupted and resumed into the same files, the implausibility on
//! hand-computed values, the shipped ensemble passing the hindcast, runs identical at any thread count with
//! the ensemble on, and a stale ensemble refused with the command that regenerates it.

mod outputs;

use greatgame::calibrate::{Rule, check_implausibility, implausibility};
use greatgame::hindcast::spec::{Check, Stat};
use outputs::{files, gg, stderr_of, wait_for_progress, without_run_specific};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("gg-calibrate-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", stderr_of(o));
}

const SMALL: [&str; 6] = ["--points", "60", "--trials-per-point", "20", "--seed", "7"];

fn calibrate(extra: &[&str], out: &Path) -> Output {
    gg().arg("calibrate")
        .args(SMALL)
        .args(extra)
        .args(["--quiet", "--out"])
        .arg(out)
        .output()
        .expect("runs")
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

/// `b` holds the files of `a` byte for byte, except how the work was done in `manifest.json`.
fn assert_same_files(a: &Path, b: &Path) {
    let fa = files(a);
    assert_eq!(fa, files(b));
    for f in &fa {
        if f == Path::new("manifest.json") {
            assert_eq!(without_run_specific(manifest(a)), without_run_specific(manifest(b)));
        } else {
            assert!(
                fs::read(a.join(f)).unwrap() == fs::read(b.join(f)).unwrap(),
                "{} differs",
                f.display()
            );
        }
    }
}

#[test]
fn implausibility_on_hand_computed_values() {
    // |0.80 − 0.75| / sqrt(0.0004 + 0.0001 + 0.0020) = 0.05 / 0.05 = 1.
    assert!((implausibility(0.80, 0.75, 0.0004, 0.0001, 0.0020) - 1.0).abs() < 1e-12);
    // A two-sided band 0.70–0.80: observed 0.75, sd 0.1/6; no discrepancy, no Monte Carlo variance:
    // the band's edge is at I = 3.
    let band = Check {
        stat: Stat::Mean { series: 0, year: 0 },
        min: Some(0.70),
        max: Some(0.80),
    };
    assert!((check_implausibility(0.80, 0.0, &band, 0.0) - 3.0).abs() < 1e-9);
    // With discrepancy 0.1 of the scale (0.75): sd² = (0.1/6)² + 0.075² → I = 0.05 / 0.076830 = 0.650791.
    let i = check_implausibility(0.80, 0.0, &band, 0.1);
    assert!((i - 0.05 / ((0.1f64 / 6.0).powi(2) + 0.075f64.powi(2)).sqrt()).abs() < 1e-12);
    assert!((i - 0.650_791).abs() < 1e-6, "{i}");
    // A one-sided bound is met exactly: 0 on its side, measured from the bound beyond it.
    let at_most = Check {
        stat: Stat::ProbBy { event: 0, year: 0 },
        min: None,
        max: Some(0.05),
    };
    assert_eq!(check_implausibility(0.04, 0.001, &at_most, 0.1), 0.0);
    // (0.11 − 0.05) / sqrt(0.005² + 0.0004) = 0.06 / 0.0206155 = 2.910428.
    let i = check_implausibility(0.11, 0.0004, &at_most, 0.1);
    assert!((i - 2.910_428).abs() < 1e-6, "{i}");
    let rule = Rule {
        cutoff: 3.0,
        max_cutoff: 3.5,
        discrepancy: 0.1,
    };
    assert!(rule.accepts(&[0.0, 3.4, 2.9]));
    assert!(!rule.accepts(&[0.0, 3.4, 3.1]));
    assert!(!rule.accepts(&[3.6, 0.0]));
}

#[test]
fn same_seed_same_ensemble_and_shards_merge_to_it() {
    let d = tmp("seed");
    let (a, b) = (d.join("a"), d.join("b"));
    ok(&calibrate(&["--threads", "2"], &a));
    ok(&calibrate(&["--threads", "1"], &b));
    assert_same_files(&a, &b);
    let text = fs::read_to_string(a.join("ensemble.ron")).unwrap();
    let f = greatgame::calibrate::EnsembleFile::parse(&text, "a").unwrap();
    assert_eq!((f.seed, f.points, f.trials_per_point), (7, 60, 20));
    assert_eq!(f.members.len() as u64, f.accepted.min(200));
    assert_eq!(f.kept, f.members.len() as u64);
    // Acceptance is about 2% on the merged model, so 60 points may accept none; points.csv (compared above) carries the determinism.
    assert!(f.accepted < 60, "accepted {}", f.accepted);
    assert_eq!(f.scenario_sha256, greatgame::scenario::load(None).unwrap().sha256);
    assert!(f.regenerate.starts_with("greatgame calibrate") && f.regenerate.contains("--seed 7"));
    // Every view's survival counts add up to the points tried and accepted.
    let tried: u64 = f
        .views
        .iter()
        .filter(|v| v.mechanism == f.views[0].mechanism)
        .map(|v| v.tried)
        .sum();
    assert_eq!(tried, 60);
    // Another seed gives another ensemble.
    let c = d.join("c");
    ok(&gg()
        .arg("calibrate")
        .args([
            "--points",
            "60",
            "--trials-per-point",
            "20",
            "--seed",
            "8",
            "--quiet",
            "--out",
        ])
        .arg(&c)
        .output()
        .unwrap());
    assert_ne!(
        fs::read(a.join("points.csv")).unwrap(),
        fs::read(c.join("points.csv")).unwrap()
    );

    // Three shards merged are the unsharded calibration.
    let mut dirs = Vec::new();
    for k in 1..=3 {
        let s = d.join(format!("s{k}"));
        ok(&calibrate(&["--shard", &format!("{k}/3")], &s));
        dirs.push(s);
    }
    let m = d.join("merged");
    ok(&gg()
        .arg("merge")
        .args(&dirs)
        .args(["--quiet", "--out"])
        .arg(&m)
        .output()
        .unwrap());
    assert_same_files(&a, &m);
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn an_interrupted_calibration_resumes_to_the_same_files() {
    let d = tmp("resume");
    let reference = d.join("ref");
    let args = ["--points", "400", "--trials-per-point", "40", "--seed", "3"];
    ok(&gg()
        .arg("calibrate")
        .args(args)
        .args(["--quiet", "--out"])
        .arg(&reference)
        .output()
        .unwrap());
    let out = d.join("run");
    let staging = out.with_file_name(".run.partial");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("greatgame"))
        .arg("calibrate")
        .args(args)
        .args(["--quiet", "--threads", "1", "--checkpoint-every", "0", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_progress(&staging, &mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!out.exists());
    let o = gg()
        .arg("calibrate")
        .args(args)
        .args(["--quiet", "--resume", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    ok(&o);
    assert!(stderr_of(&o).contains("resuming at trial"), "{}", stderr_of(&o));
    let files_a = files(&reference);
    assert_eq!(files_a, files(&out));
    for f in ["points.csv", "ensemble.ron", "calibration.md"] {
        assert!(
            fs::read(reference.join(f)).unwrap() == fs::read(out.join(f)).unwrap(),
            "{f} differs after resume"
        );
    }
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn the_shipped_ensemble_passes_the_hindcast_and_reports_coverage() {
    let d = tmp("hindcast");
    let o = gg()
        .args(["hindcast", "--trials", "10000", "--no-charts", "--quiet", "--out"])
        .arg(d.join("h"))
        .output()
        .unwrap();
    ok(&o);
    // "k of n targets pass" on stderr: every target passes with the ensemble.
    let e = stderr_of(&o);
    let words: Vec<&str> = e.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "targets").expect("a targets count");
    assert_eq!(words[at - 3], words[at - 1], "{e}");
    assert!(
        fs::read_to_string(d.join("h").join("manifest.json"))
            .unwrap()
            .contains("\"ensemble\"")
    );
    let md = fs::read_to_string(d.join("h").join("targets.md")).unwrap();
    assert!(!md.contains("** FAIL"), "{md}");
    assert!(md.contains("share of accepted members"), "{md}");
    let cov = fs::read_to_string(d.join("h").join("ensemble_coverage.csv")).unwrap();
    assert!(cov.lines().any(|l| l.starts_with("coverage,T1,")), "{cov}");
    assert!(cov.lines().any(|l| l.starts_with("survival,")), "{cov}");
    // Without the ensemble the nominal model runs: other numbers.
    let o = gg()
        .args([
            "hindcast",
            "--trials",
            "2000",
            "--no-charts",
            "--quiet",
            "--no-ensemble",
            "--out",
        ])
        .arg(d.join("n"))
        .output()
        .unwrap();
    ok(&o);
    assert!(!d.join("n").join("ensemble_coverage.csv").exists());
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn runs_with_the_ensemble_are_identical_at_any_thread_count() {
    let d = tmp("threads");
    let run = |threads: &str, out: &Path| {
        gg().args([
            "run",
            "--trials",
            "600",
            "--no-charts",
            "--quiet",
            "--threads",
            threads,
            "--out",
        ])
        .arg(out)
        .output()
        .unwrap()
    };
    ok(&run("1", &d.join("one")));
    ok(&run("2", &d.join("two")));
    let a = fs::read(d.join("one").join("trials.csv")).unwrap();
    assert!(a == fs::read(d.join("two").join("trials.csv")).unwrap());
    let m = manifest(&d.join("two"));
    assert!(m["ensemble"]["members"].as_u64().unwrap() > 1, "{m}");
    assert_eq!(m["ensemble"]["sha256"].as_str().unwrap().len(), 64);
    // The ensemble changes the results; --no-ensemble runs the nominal model.
    ok(&gg()
        .args([
            "run",
            "--trials",
            "600",
            "--no-charts",
            "--quiet",
            "--no-ensemble",
            "--out",
        ])
        .arg(d.join("nominal"))
        .output()
        .unwrap());
    assert!(a != fs::read(d.join("nominal").join("trials.csv")).unwrap());
    assert!(manifest(&d.join("nominal")).get("ensemble").is_none());
    let _ = fs::remove_dir_all(&d);
}

/// `sweep`, `sensitivity` and `discover` over the uncertainties draw each trial's member as `run` does: the
/// manifest names the ensemble, the rows are identical at any thread count and differ from the nominal
/// model's; a design over coefficients refuses `--ensemble` (it varies what a member fixes).
#[test]
fn designs_over_the_uncertainties_sample_the_ensemble() {
    let d = tmp("designs");
    let cases: [(&str, &[&str], &str); 3] = [
        (
            "sweep",
            &["--lever", "recognition=none,formal", "--samples", "30"],
            "experiments.csv",
        ),
        ("sensitivity", &["--method", "morris", "--samples", "3"], "runs.csv"),
        (
            "discover",
            &[
                "--where",
                "pakistan_militant_attacks>1000",
                "--samples",
                "40",
                "--method",
                "cart",
                "--folds",
                "0",
            ],
            "experiments.csv",
        ),
    ];
    for (cmd, extra, rows) in cases {
        let run = |threads: &str, flag: Option<&str>, out: &Path| {
            let mut c = gg();
            c.arg(cmd)
                .args(extra)
                .args(["--no-charts", "--quiet", "--threads", threads]);
            if let Some(f) = flag {
                c.arg(f);
            }
            let o = c.arg("--out").arg(out).output().unwrap();
            ok(&o);
        };
        let (one, two, nominal) = (
            d.join(format!("{cmd}-1")),
            d.join(format!("{cmd}-2")),
            d.join(format!("{cmd}-n")),
        );
        run("1", None, &one);
        run("2", None, &two);
        run("2", Some("--no-ensemble"), &nominal);
        let a = fs::read(one.join(rows)).unwrap();
        assert!(
            a == fs::read(two.join(rows)).unwrap(),
            "{cmd}: rows differ between 1 and 2 threads"
        );
        assert!(
            a != fs::read(nominal.join(rows)).unwrap(),
            "{cmd}: the ensemble changed nothing"
        );
        let m = manifest(&two);
        assert!(m["ensemble"]["members"].as_u64().unwrap() > 1, "{cmd}: {m}");
        assert!(manifest(&nominal).get("ensemble").is_none(), "{cmd}");
    }
    let o = gg()
        .args([
            "sweep",
            "--factors",
            "groups",
            "--samples",
            "4",
            "--ensemble",
            "x.ensemble.ron",
            "--quiet",
            "--out",
        ])
        .arg(d.join("coef"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = stderr_of(&o);
    assert!(
        e.contains("--factors uncertainties") && e.contains("drop --ensemble"),
        "{e}"
    );
    assert!(!d.join("coef").exists());
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn a_stale_ensemble_is_refused_with_the_command_that_regenerates_it() {
    let d = tmp("stale");
    let scen = d.join("afg.ron");
    let text = greatgame::scenario::load(None).unwrap().text;
    fs::write(&scen, format!("{text}\n// edited\n")).unwrap();
    fs::write(d.join("afg.ensemble.ron"), greatgame::calibrate::file::DEFAULT_ENSEMBLE).unwrap();
    fs::write(d.join("afg.hindcast.ron"), greatgame::hindcast::spec::DEFAULT_RECORD).unwrap();
    let o = gg()
        .arg("run")
        .arg(&scen)
        .args(["--trials", "10", "--quiet", "--out"])
        .arg(d.join("r"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = stderr_of(&o);
    assert!(
        e.contains("stale") && e.contains("greatgame calibrate") && e.contains("--no-ensemble"),
        "{e}"
    );
    // --no-ensemble runs it.
    ok(&gg()
        .arg("run")
        .arg(&scen)
        .args(["--trials", "10", "--quiet", "--no-charts", "--no-ensemble", "--out"])
        .arg(d.join("r"))
        .output()
        .unwrap());
    let _ = fs::remove_dir_all(&d);
}

/// `--write` replaces an ensemble file greatgame wrote, and refuses any other file, leaving it untouched.
#[test]
fn write_replaces_only_an_ensemble_file() {
    let d = tmp("write");
    let notes = d.join("notes.ron");
    fs::write(&notes, "my own notes\n").unwrap();
    let o = calibrate(&["--write", notes.to_str().unwrap()], &d.join("a"));
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("refusing to overwrite"), "{err}");
    assert_eq!(fs::read_to_string(&notes).unwrap(), "my own notes\n");

    let ens = d.join("mine.ensemble.ron");
    let o = calibrate(&["--write", ens.to_str().unwrap()], &d.join("b"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let first = fs::read_to_string(&ens).unwrap();
    assert_eq!(first, fs::read_to_string(d.join("b").join("ensemble.ron")).unwrap());
    let o = calibrate(&["--write", ens.to_str().unwrap()], &d.join("c"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(fs::read_to_string(&ens).unwrap(), first);
    assert!(!d.join("mine.ensemble.ron.tmp").exists());
}
