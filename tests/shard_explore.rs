//! `--shard K/N` on the exploration commands and `greatgame merge` of their
//! shards: the merge must write exactly what the unsharded command writes.

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

fn gg() -> Command {
    Command::cargo_bin("greatgame").expect("binary built")
}

fn run(args: &[&str], extra: &[&str], out: &Path) -> std::process::Output {
    gg().args(args)
        .args(extra)
        .arg("--quiet")
        .arg("--out")
        .arg(out)
        .output()
        .expect("runs")
}

fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn bytes(p: &Path) -> Vec<u8> {
    fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn merge(dirs: &[PathBuf], out: &Path) -> std::process::Output {
    gg().arg("merge")
        .args(dirs)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .output()
        .expect("runs")
}

const SWEEP: &[&str] = &[
    "sweep",
    "--lever",
    "recognition=none,formal",
    "--lever",
    "sanctions_relief=0:1:2",
    "--design",
    "lhs",
    "--samples",
    "7",
    "--replications",
    "2",
    "--outcome",
    "gdp_index_2030",
    "--outcome",
    "regime_collapse",
    "--no-charts",
];

/// Three sweep shards merged give the unsharded sweep's files byte for byte.
#[test]
fn sweep_in_three_shards_merges_to_the_unsharded_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    ok(&run(SWEEP, &["--threads", "2"], &whole));
    let mut shards = Vec::new();
    for k in [3, 1, 2] {
        let d = tmp.path().join(format!("s{k}"));
        ok(&run(SWEEP, &["--threads", "1", "--shard", &format!("{k}/3")], &d));
        let m: serde_json::Value = serde_json::from_slice(&bytes(&d.join("manifest.json"))).unwrap();
        assert_eq!(m["status"], "shard");
        assert_eq!(m["complete"], false);
        assert!(!d.join("summary.csv").exists(), "a shard writes no summary");
        shards.push(d);
    }
    let merged = tmp.path().join("merged");
    ok(&merge(&shards, &merged));
    for f in ["experiments.csv", "summary.csv"] {
        assert!(
            bytes(&whole.join(f)) == bytes(&merged.join(f)),
            "{f} differs between the merged and unsharded sweep"
        );
    }
    // 7 points x 2 replications x 4 combinations + header.
    assert_eq!(
        bytes(&merged.join("experiments.csv"))
            .iter()
            .filter(|&&b| b == b'\n')
            .count(),
        57
    );
    let m: serde_json::Value = serde_json::from_slice(&bytes(&merged.join("manifest.json"))).unwrap();
    assert_eq!(m["status"], "complete");
    assert_eq!(m["merged_from"].as_array().map(Vec::len), Some(3));
    assert_eq!(m["design_details"]["experiments"], 56);
}

/// Shards of different sweeps, or an incomplete set, are refused with a reason.
#[test]
fn mismatched_or_missing_sweep_shards_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    ok(&run(SWEEP, &["--shard", "1/2"], &a));
    ok(&run(SWEEP, &["--shard", "2/2", "--seed", "9"], &b));
    let o = merge(&[a.clone(), b], &tmp.path().join("m"));
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("not shards of the same run") && e.contains("seed"), "{e}");
    let o = merge(std::slice::from_ref(&a), &tmp.path().join("m"));
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("missing shard(s) 2/2"), "{e}");
    assert!(!tmp.path().join("m").exists());
    // More shards than design points.
    let o = run(SWEEP, &["--shard", "8/8"], &tmp.path().join("x"));
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("at most 7"));
}

/// Two sensitivity shards (Sobol and Morris) merged give the unsharded runs and indices byte for byte.
#[test]
fn sensitivity_in_two_shards_merges_to_the_unsharded_analysis() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, args) in [
        (
            "sobol",
            &[
                "sensitivity",
                "--samples",
                "5",
                "--outcome",
                "gdp_index_2030",
                "--bootstrap",
                "50",
                "--no-charts",
            ][..],
        ),
        (
            "morris",
            &[
                "sensitivity",
                "--method",
                "morris",
                "--samples",
                "3",
                "--outcome",
                "gdp_index_2030",
                "--bootstrap",
                "50",
                "--no-charts",
            ][..],
        ),
    ] {
        let whole = tmp.path().join(format!("{name}-whole"));
        ok(&run(args, &["--threads", "2"], &whole));
        let shards: Vec<PathBuf> = (1..=2).map(|k| tmp.path().join(format!("{name}-s{k}"))).collect();
        for (k, d) in shards.iter().enumerate() {
            ok(&run(args, &["--threads", "1", "--shard", &format!("{}/2", k + 1)], d));
            assert!(!d.join("indices.csv").exists(), "a shard writes no indices");
        }
        let merged = tmp.path().join(format!("{name}-merged"));
        ok(&merge(&shards, &merged));
        for f in ["runs.csv", "indices.csv", "sensitivity.md"] {
            assert!(
                bytes(&whole.join(f)) == bytes(&merged.join(f)),
                "{name}: {f} differs between the merged and unsharded analysis"
            );
        }
        let m: serde_json::Value = serde_json::from_slice(&bytes(&merged.join("manifest.json"))).unwrap();
        assert_eq!(m["status"], "complete");
        assert_eq!(m["merged_from"].as_array().map(Vec::len), Some(2));
    }
    // Shards of a sweep and of a sensitivity analysis do not mix.
    let sw = tmp.path().join("sw");
    ok(&run(SWEEP, &["--shard", "2/2"], &sw));
    let o = merge(&[tmp.path().join("sobol-s1"), sw], &tmp.path().join("mixed"));
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("kind"));
}
