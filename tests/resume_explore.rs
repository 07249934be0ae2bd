//! Interrupted sweeps and sensitivity analyses, as a user drives them: killed
//! (`kill -9`) or stopped with Ctrl-C (SIGINT) part-way, then `--resume`d,
//! they must write exactly the files of one uninterrupted run; a leftover
//! run is never silently overwritten, resumed with other options, or mistaken
//! for a result.

use assert_cmd::Command;
use greatgame::experiment::checkpoint;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

fn gg() -> Command {
    Command::cargo_bin("greatgame").expect("binary built")
}

fn run(args: &[&str], extra: &[&str], out: &Path) -> Output {
    gg().args(args)
        .args(extra)
        .arg("--quiet")
        .arg("--out")
        .arg(out)
        .output()
        .expect("runs")
}

fn stderr_of(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", stderr_of(o));
}

fn fails_with(o: &Output, wanted: &[&str]) -> String {
    assert!(!o.status.success(), "should have failed");
    let e = stderr_of(o);
    for w in wanted {
        assert!(e.contains(w), "no `{w}` in: {e}");
    }
    e
}

/// The staging folder of `--out DIR`: `.DIR.partial` beside it.
fn staging_of(out: &Path) -> PathBuf {
    out.with_file_name(format!(".{}.partial", out.file_name().unwrap().to_string_lossy()))
}

/// Start a run that checkpoints after every batch, on one thread (so it is slow enough to interrupt).
fn spawn(args: &[&str], out: &Path) -> Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("greatgame"))
        .args(args)
        .args(["--quiet", "--threads", "1", "--checkpoint-every", "0", "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts")
}

/// Wait until the run's checkpoint says it has done more than `after` units (and is not finished).
fn wait_for_progress_past(staging: &Path, child: &mut Child, after: Option<u64>) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok((meta, _)) = checkpoint::read(&staging.join("checkpoint.bin"))
            && meta.next_chunk > after.unwrap_or(meta.span.start)
        {
            assert!(
                !meta.finished(),
                "the run finished before it could be interrupted; make it bigger"
            );
            return;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it checkpointed progress"
        );
        assert!(Instant::now() < deadline, "no checkpoint after 120 s");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Wait until the run has checkpointed some progress (not just its start).
fn wait_for_progress(staging: &Path, child: &mut Child) {
    wait_for_progress_past(staging, child, None);
}

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// Manifest fields that say how the work was done, not what was computed.
const RUN_SPECIFIC: [&str; 6] = [
    "command_line",
    "wall_time_seconds",
    "trials_per_second",
    "threads",
    "merged_from",
    "resumed_at_trials",
];

fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

/// `b` holds exactly the files of `a`, byte for byte, except the run-specific
/// fields of `manifest.json` (the rest of it must be equal too).
fn assert_same_files(a: &Path, b: &Path) {
    let fa = files(a);
    assert_eq!(fa, files(b), "different files in {} and {}", a.display(), b.display());
    for f in &fa {
        if f == Path::new("manifest.json") {
            let (mut x, mut y) = (manifest(a), manifest(b));
            for k in RUN_SPECIFIC {
                x.as_object_mut().unwrap().remove(k);
                y.as_object_mut().unwrap().remove(k);
            }
            assert_eq!(x, y, "manifest.json differs beyond how the work was done");
        } else {
            assert!(
                fs::read(a.join(f)).unwrap() == fs::read(b.join(f)).unwrap(),
                "{} differs between {} and {}",
                f.display(),
                a.display(),
                b.display()
            );
        }
    }
}

/// Interrupt a run of `args` into `out` (SIGKILL if `kill`, else SIGINT) after
/// some progress; check what is left behind; resume it on two threads.
fn interrupt_and_resume(args: &[&str], out: &Path, rows: &str, kill: bool) {
    let staging = staging_of(out);
    let mut child = spawn(args, out);
    wait_for_progress(&staging, &mut child);
    if kill {
        child.kill().unwrap();
        child.wait().unwrap();
    } else {
        let st = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(130), "{}", stderr_of(&o));
        let e = stderr_of(&o);
        assert!(e.contains("interrupted after") && e.contains("--resume"), "{e}");
    }
    assert!(!out.exists(), "an interrupted run must not leave a folder that looks complete");
    let m = manifest(&staging);
    assert_eq!(m["status"], "incomplete");
    assert_eq!(m["complete"], false);
    assert!(staging.join(format!("{rows}.partial")).is_file());
    let (meta, _) = checkpoint::read(&staging.join("checkpoint.bin")).unwrap();
    let on_disk = fs::metadata(staging.join(format!("{rows}.partial"))).unwrap().len();
    assert!(on_disk >= meta.rows_len, "the checkpoint records more rows than are on disk");

    let o = run(args, &["--resume", "--threads", "2"], out);
    ok(&o);
    assert!(stderr_of(&o).contains("resuming at trial"), "{}", stderr_of(&o));
    assert!(!staging.exists());
    let m = manifest(out);
    assert_eq!(m["status"], "complete");
    assert_eq!(m["resumed_at_trials"].as_array().map(Vec::len), Some(1));
}

const SWEEP: &[&str] = &[
    "sweep",
    "--lever",
    "recognition=none,formal",
    "--samples",
    "400",
    "--replications",
    "2",
    "--seed",
    "3",
    "--outcome",
    "gdp_index_2030",
];

#[test]
fn an_interrupted_sweep_resumes_to_the_same_files() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    ok(&run(SWEEP, &["--threads", "2"], &whole));
    assert!(whole.join("charts").is_dir(), "the comparison covers the charts");
    let out = tmp.path().join("res");

    interrupt_and_resume(SWEEP, &out, "experiments.csv", true);
    assert_same_files(&whole, &out);

    fs::remove_dir_all(&out).unwrap();
    let mut child = spawn(SWEEP, &out);
    wait_for_progress(&staging_of(&out), &mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    // A leftover run is reported, never silently overwritten or resumed.
    fails_with(
        &run(SWEEP, &[], &out),
        &["unfinished sweep", "trials done", "--resume", "--restart"],
    );
    // Resuming with other options is refused, naming them.
    let changed = |from: &str, to: &'static str| -> Vec<&str> {
        SWEEP.iter().map(|a| if *a == from { to } else { *a }).collect()
    };
    fails_with(
        &run(&changed("400", "300"), &["--resume"], &out),
        &["cannot resume", "design.samples: 400 vs 300"],
    );
    fails_with(&run(&changed("3", "4"), &["--resume"], &out), &["seed: 3 vs 4"]);
    assert!(staging_of(&out).join("checkpoint.bin").is_file(), "a refused run keeps the state");
    // Resumed twice: interrupted again with Ctrl-C, then finished.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("greatgame"))
        .args(SWEEP)
        .args(["--quiet", "--resume", "--threads", "1", "--checkpoint-every", "0", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let before = checkpoint::read(&staging_of(&out).join("checkpoint.bin")).unwrap().0.next_chunk;
    wait_for_progress_past(&staging_of(&out), &mut child, Some(before));
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr_of(&o));
    ok(&run(SWEEP, &["--resume"], &out));
    assert_same_files(&whole, &out);
    assert_eq!(manifest(&out)["resumed_at_trials"].as_array().map(Vec::len), Some(2));

    fs::remove_dir_all(&out).unwrap();
    interrupt_and_resume(SWEEP, &out, "experiments.csv", false);
    assert_same_files(&whole, &out);

    fails_with(
        &run(SWEEP, &["--resume"], &tmp.path().join("never")),
        &["nothing to resume"],
    );
}

#[test]
fn interrupted_sensitivity_analyses_resume_to_the_same_files() {
    let tmp = tempfile::tempdir().unwrap();
    let sobol: &[&str] = &[
        "sensitivity",
        "--samples",
        "150",
        "--outcome",
        "gdp_index_2030",
        "--outcome",
        "regime_collapse",
        "--bootstrap",
        "50",
    ];
    let whole = tmp.path().join("sobol-whole");
    ok(&run(sobol, &["--threads", "2"], &whole));
    assert!(whole.join("charts").is_dir());
    for kill in [true, false] {
        let out = tmp.path().join(format!("sobol-{kill}"));
        interrupt_and_resume(sobol, &out, "runs.csv", kill);
        assert_same_files(&whole, &out);
    }
    let mut child = spawn(sobol, &tmp.path().join("again"));
    wait_for_progress(&staging_of(&tmp.path().join("again")), &mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    fails_with(
        &run(sobol, &["--resume", "--method", "morris"], &tmp.path().join("again")),
        &["design.method: \"sobol\" vs \"morris\""],
    );
    fails_with(
        &run(sobol, &["--resume", "--no-charts"], &tmp.path().join("again")),
        &["design.no_charts: false vs true"],
    );

    let morris: &[&str] = &[
        "sensitivity",
        "--method",
        "morris",
        "--samples",
        "150",
        "--outcome",
        "gdp_index_2030",
        "--bootstrap",
        "50",
        "--no-charts",
    ];
    let whole = tmp.path().join("morris-whole");
    ok(&run(morris, &["--threads", "2"], &whole));
    let out = tmp.path().join("morris");
    interrupt_and_resume(morris, &out, "runs.csv", false);
    assert_same_files(&whole, &out);
}

/// `--restart` discards a leftover run (even one without a usable checkpoint) and starts again.
#[test]
fn restart_discards_a_leftover_exploration() {
    let tmp = tempfile::tempdir().unwrap();
    let args: &[&str] = &["sweep", "--lever", "recognition=none,formal", "--samples", "5", "--no-charts"];
    let whole = tmp.path().join("whole");
    ok(&run(args, &[], &whole));
    let out = tmp.path().join("r");
    let staging = staging_of(&out);
    fs::create_dir_all(&staging).unwrap();
    fs::write(staging.join("checkpoint.bin"), b"garbage").unwrap();
    fails_with(&run(args, &[], &out), &["unfinished sweep without a usable checkpoint"]);
    fails_with(&run(args, &["--resume"], &out), &["no usable checkpoint", "--restart"]);
    fails_with(&run(args, &["--resume", "--restart"], &out), &["cannot be used with"]);
    ok(&run(args, &["--restart"], &out));
    assert!(!staging.exists());
    assert_same_files(&whole, &out);
    fails_with(
        &run(args, &["--resume"], &out),
        &["nothing to resume", "already finished"],
    );
}

/// A shard interrupted and resumed merges with the others into the unsharded result.
#[test]
fn a_resumed_shard_merges_to_the_unsharded_result() {
    let tmp = tempfile::tempdir().unwrap();
    let args: Vec<&str> = SWEEP.iter().copied().chain(["--no-charts"]).collect();
    let whole = tmp.path().join("whole");
    ok(&run(&args, &[], &whole));
    let s1 = tmp.path().join("s1");
    let first: Vec<&str> = args.iter().copied().chain(["--shard", "1/2"]).collect();
    let mut child = spawn(&first, &s1);
    wait_for_progress(&staging_of(&s1), &mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    // The leftover shard is not a shard yet: merge says to resume it.
    let s2 = tmp.path().join("s2");
    ok(&run(&args, &["--shard", "2/2"], &s2));
    let merged = tmp.path().join("merged");
    let o = gg()
        .arg("merge")
        .args([&s1, &s2])
        .args(["--quiet", "--out"])
        .arg(&merged)
        .output()
        .unwrap();
    fails_with(&o, &["unfinished", "--resume"]);
    let other_shard: Vec<&str> = args.iter().copied().chain(["--shard", "2/2"]).collect();
    fails_with(&run(&other_shard, &["--resume"], &s1), &["shard.index: 1 vs 2"]);
    let o = run(&first, &["--resume"], &s1);
    ok(&o);
    let m = manifest(&s1);
    assert_eq!(m["status"], "shard");
    assert_eq!(m["resumed_at_trials"].as_array().map(Vec::len), Some(1));
    let o = gg()
        .arg("merge")
        .args([&s1, &s2])
        .args(["--quiet", "--out"])
        .arg(&merged)
        .output()
        .unwrap();
    ok(&o);
    for f in ["experiments.csv", "summary.csv"] {
        assert!(
            fs::read(whole.join(f)).unwrap() == fs::read(merged.join(f)).unwrap(),
            "{f} differs between the merged and the unsharded sweep"
        );
    }
}
