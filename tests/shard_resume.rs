//! Runs across machines and interrupted runs, as a user drives them:
//! `run --shard K/N` + `merge` and `run --resume` must give exactly the files
//! of one uninterrupted, unsharded run.

mod outputs;

use outputs::{files, gg, interrupt, stderr_of, wait_for_progress, without_run_specific};
use serde_json::Value;
use std::fs;
use std::path::Path;

fn run_ok(args: &[&str], out: &Path) {
    let o = gg()
        .arg("run")
        .args(args)
        .args(["--quiet", "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "run {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `b` holds exactly the files of `a`, byte-identical except the run-specific
/// manifest fields in `manifest.json` and `summary.json` (compared as JSON
/// with those fields removed; everything else in them must be equal).
fn assert_same_results(a: &Path, b: &Path) {
    let fa = files(a);
    assert_eq!(
        fa,
        files(b),
        "different sets of files in {} and {}",
        a.display(),
        b.display()
    );
    assert!(fa.iter().any(|f| f == Path::new("trials.csv")));
    for f in &fa {
        let (x, y) = (fs::read(a.join(f)).unwrap(), fs::read(b.join(f)).unwrap());
        let name = f.to_string_lossy();
        if name == "summary.json" || name == "manifest.json" {
            let mut jx: Value = serde_json::from_slice(&x).unwrap();
            let mut jy: Value = serde_json::from_slice(&y).unwrap();
            if name == "summary.json" {
                jx["manifest"] = without_run_specific(jx["manifest"].take());
                jy["manifest"] = without_run_specific(jy["manifest"].take());
                // The statistics themselves: identical text at full precision.
                assert_eq!(
                    serde_json::to_string(&jx["policies"]).unwrap(),
                    serde_json::to_string(&jy["policies"]).unwrap()
                );
            } else {
                jx = without_run_specific(jx);
                jy = without_run_specific(jy);
            }
            assert_eq!(jx, jy, "{name} differs beyond run-specific fields");
        } else {
            assert!(x == y, "{name} differs between {} and {}", a.display(), b.display());
        }
    }
}

#[test]
fn three_shards_merged_equal_the_unsharded_run() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // 1500 trials = 6 chunks; 3 shards of 2 chunks, the last one short (220 trials).
    let whole = t.join("whole");
    run_ok(&["--trials", "1500", "--seed", "11", "--threads", "2"], &whole);
    let mut shards = Vec::new();
    for k in [3, 1, 2] {
        let d = t.join(format!("shard{k}"));
        run_ok(
            &[
                "--trials",
                "1500",
                "--seed",
                "11",
                "--threads",
                "1",
                "--shard",
                &format!("{k}/3"),
            ],
            &d,
        );
        let m: Value = serde_json::from_str(&fs::read_to_string(d.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(m["status"], "shard");
        assert_eq!(m["complete"], false);
        assert_eq!(m["shard"]["index"], k);
        assert_eq!(m["shard"]["count"], 3);
        assert!(
            !d.join("summary.json").exists(),
            "a shard must not look like a complete run"
        );
        shards.push(d);
    }
    let m1: Value = serde_json::from_str(&fs::read_to_string(t.join("shard2/manifest.json")).unwrap()).unwrap();
    assert_eq!(
        (m1["shard"]["first_trial"].as_u64(), m1["shard"]["end_trial"].as_u64()),
        (Some(512), Some(1024))
    );

    let merged = t.join("merged");
    let o = gg()
        .arg("merge")
        .args(&shards) // in the order 3, 1, 2: merge sorts them
        .args(["--quiet", "--out"])
        .arg(&merged)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_same_results(&whole, &merged);
    let m: Value = serde_json::from_str(&fs::read_to_string(merged.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["status"], "complete");
    assert_eq!(m["complete"], true);
    let from = m["merged_from"].as_array().unwrap();
    assert_eq!(from.len(), 3);
    assert_eq!(from[0]["shard"], "1/3");
    assert_eq!(from[2]["end_trial"], 1500);
    assert!(from.iter().all(|s| s["wall_time_seconds"].as_f64().unwrap() > 0.0));

    // Shards that do not make one whole run are refused with a reason.
    let err = |dirs: &[&Path]| {
        let o = gg()
            .arg("merge")
            .args(dirs)
            .args(["--quiet", "--out"])
            .arg(t.join("bad"))
            .output()
            .unwrap();
        assert!(!o.status.success());
        assert!(!t.join("bad").exists());
        stderr_of(&o)
    };
    let e = err(&[&shards[0], &shards[1]]);
    assert!(e.contains("missing shard(s) 2/3"), "{e}");
    let e = err(&[&shards[0], &shards[1], &shards[1], &shards[2]]);
    assert!(e.contains("shard 1/3 is given twice"), "{e}");
    let e = err(&[&shards[0], &shards[1], &whole]);
    assert!(e.contains("is a complete run, not a shard"), "{e}");
    let other = t.join("other-seed");
    run_ok(
        &["--trials", "1500", "--seed", "12", "--shard", "2/3", "--no-charts"],
        &other,
    );
    let e = err(&[&shards[0], &shards[1], &other]);
    assert!(
        e.contains("not shards of the same run") && e.contains("seed: 11 vs 12"),
        "{e}"
    );
    let e = err(&[&t.join("nowhere")]);
    assert!(e.contains("does not exist"), "{e}");
    // Damage is detected, not merged.
    fs::OpenOptions::new()
        .append(true)
        .open(shards[1].join("trials.csv"))
        .unwrap()
        .set_len(100)
        .unwrap();
    let e = err(&[&shards[0], &shards[1], &shards[2]]);
    assert!(e.contains("damaged"), "{e}");
}

#[test]
fn bad_shard_arguments_are_explained() {
    let tmp = tempfile::tempdir().unwrap();
    for (shard, want) in [("4/3", "K/N"), ("x", "K/N"), ("0/2", "K/N"), ("5/5", "at most 4 shard")] {
        let o = gg()
            .args(["run", "--trials", "1000", "--quiet", "--shard", shard, "--out"])
            .arg(tmp.path().join("s"))
            .output()
            .unwrap();
        assert!(!o.status.success());
        assert!(stderr_of(&o).contains(want), "{shard}: {}", stderr_of(&o));
    }
}

#[test]
fn killed_or_interrupted_runs_resume_to_the_same_results() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let common = [
        "--trials",
        "5000",
        "--seed",
        "5",
        "--policy",
        "status_quo",
        "--policy",
        "rubin_regional_realism",
    ];
    let whole = t.join("whole");
    run_ok(&common, &whole);

    let bin = assert_cmd::cargo::cargo_bin("greatgame");
    let out = t.join("res");
    let staging = t.join(".res.partial");
    let spawn = || {
        std::process::Command::new(&bin)
            .arg("run")
            .args(common)
            .args(["--quiet", "--threads", "1", "--checkpoint-every", "0", "--out"])
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };

    // kill -9 after the first checkpoint with progress.
    let mut child = spawn();
    wait_for_progress(&staging, &mut child);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        !out.exists(),
        "a killed run must not leave a folder that looks complete"
    );
    let m: Value = serde_json::from_str(&fs::read_to_string(staging.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["status"], "incomplete");
    assert_eq!(m["complete"], false);

    // A leftover run is reported, never silently overwritten or resumed.
    let o = gg()
        .arg("run")
        .args(common)
        .args(["--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = stderr_of(&o);
    assert!(
        e.contains("unfinished run") && e.contains("--resume") && e.contains("--restart"),
        "{e}"
    );
    assert!(
        staging.join("checkpoint.bin").exists(),
        "the state must survive a refused run"
    );
    // Resuming with other settings is refused with the difference.
    let other_seed = common.map(|a| if a == "5" { "6" } else { a });
    let o = gg()
        .arg("run")
        .args(other_seed)
        .args(["--resume", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(stderr_of(&o).contains("seed: 5 vs 6"), "{}", stderr_of(&o));

    let o = gg()
        .arg("run")
        .args(common)
        .args(["--resume", "--threads", "2", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert!(stderr_of(&o).contains("resuming at trial"));
    assert!(!staging.exists());
    assert_same_results(&whole, &out);
    let m: Value = serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["status"], "complete");
    assert_eq!(m["resumed_at_trials"].as_array().unwrap().len(), 1);

    // Ctrl-C (SIGINT): stops after the batch, says how to resume, exit code 130.
    fs::remove_dir_all(&out).unwrap();
    let mut child = spawn();
    wait_for_progress(&staging, &mut child);
    interrupt(child);
    assert!(!out.exists());
    let o = gg()
        .arg("run")
        .args(common)
        .args(["--resume", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_same_results(&whole, &out);

    // --resume with nothing to resume, and --restart of a leftover run.
    let o = gg()
        .arg("run")
        .args(common)
        .args(["--resume", "--quiet", "--out"])
        .arg(t.join("never"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(stderr_of(&o).contains("nothing to resume"), "{}", stderr_of(&o));
}

#[test]
fn restart_discards_a_leftover_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let staging = tmp.path().join(".r.partial");
    fs::create_dir_all(&staging).unwrap();
    fs::write(staging.join("checkpoint.bin"), b"garbage").unwrap();
    let args = ["--trials", "300", "--no-charts", "--policy", "status_quo"];
    let o = gg()
        .arg("run")
        .args(args)
        .args(["--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        stderr_of(&o).contains("without a usable checkpoint"),
        "{}",
        stderr_of(&o)
    );
    let o = gg()
        .arg("run")
        .args(args)
        .args(["--resume", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(stderr_of(&o).contains("--restart"), "{}", stderr_of(&o));
    run_ok(&[&args[..], &["--restart"]].concat(), &out);
    assert!(out.join("summary.json").exists() && !staging.exists());
}
