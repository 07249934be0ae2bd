//! Interrupted sweeps and sensitivity analyses, as a user drives them: killed
//! (`kill -9`) or stopped with Ctrl-C (SIGINT) part-way, then `--resume`d,
//! they must write exactly the files of one uninterrupted run; a leftover
//! run is never silently overwritten, resumed with other options, or mistaken
//! for a result.

mod outputs;

use greatgame::experiment::checkpoint;
use outputs::{files, gg, interrupt, stderr_of, wait_for_progress, wait_for_progress_past, without_run_specific};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};

/// A command line written as one string (no argument has a space).
fn words(s: &str) -> Vec<&str> {
    s.split_whitespace().collect()
}

fn run(args: &[&str], extra: &str, out: &Path) -> Output {
    gg().args(args)
        .args(words(extra))
        .arg("--quiet")
        .arg("--out")
        .arg(out)
        .output()
        .expect("runs")
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", stderr_of(o));
}

fn fails_with(o: &Output, wanted: &[&str]) {
    assert!(!o.status.success(), "should have failed");
    let e = stderr_of(o);
    for w in wanted {
        assert!(e.contains(w), "no `{w}` in: {e}");
    }
}

fn merge(dirs: &[&Path], out: &Path) -> Output {
    gg().arg("merge")
        .args(dirs)
        .args(["--quiet", "--out"])
        .arg(out)
        .output()
        .expect("runs")
}

/// The staging folder of `--out DIR`: `.DIR.partial` beside it.
fn staging_of(out: &Path) -> PathBuf {
    out.with_file_name(format!(".{}.partial", out.file_name().unwrap().to_string_lossy()))
}

/// Start a run that checkpoints after every batch, on one thread (so it is slow enough to interrupt).
fn spawn(args: &[&str], extra: &str, out: &Path) -> Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("greatgame"))
        .args(args)
        .args(words(extra))
        .args(["--quiet", "--threads", "1", "--checkpoint-every", "0", "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts")
}

/// Start a run and kill it (SIGKILL) once it has checkpointed some progress.
fn start_and_kill(args: &[&str], out: &Path) {
    let mut child = spawn(args, "", out);
    wait_for_progress(&staging_of(out), &mut child);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The uninterrupted run of `args` (on two threads) into `dir/name`, to compare with.
fn reference(args: &[&str], extra: &str, dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(name);
    ok(&run(args, &format!("--threads 2 {extra}"), &out));
    out
}

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
            assert_eq!(
                without_run_specific(manifest(a)),
                without_run_specific(manifest(b)),
                "manifest.json differs beyond how the work was done"
            );
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
    if kill {
        start_and_kill(args, out);
    } else {
        let mut child = spawn(args, "", out);
        wait_for_progress(&staging, &mut child);
        interrupt(child);
    }
    assert!(
        !out.exists(),
        "an interrupted run must not leave a folder that looks complete"
    );
    let m = manifest(&staging);
    assert_eq!(m["status"], "incomplete");
    assert_eq!(m["complete"], false);
    let partial = staging.join(format!("{rows}.partial"));
    let (meta, _) = checkpoint::read(&staging.join("checkpoint.bin")).unwrap();
    assert!(
        fs::metadata(&partial).unwrap().len() >= meta.rows_len,
        "the checkpoint records more rows than are on disk"
    );

    let o = run(args, "--resume --threads 2", out);
    ok(&o);
    assert!(stderr_of(&o).contains("resuming at trial"), "{}", stderr_of(&o));
    assert!(!staging.exists());
    let m = manifest(out);
    assert_eq!(m["status"], "complete");
    assert_eq!(m["resumed_at_trials"].as_array().map(Vec::len), Some(1));
}

const SWEEP: &str =
    "sweep --lever recognition=none,formal --samples 400 --replications 2 --seed 3 --outcome gdp_index_2030";

#[test]
fn an_interrupted_sweep_resumes_to_the_same_files() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = words(SWEEP);
    let whole = reference(&sweep, "", tmp.path(), "whole");
    assert!(whole.join("charts").is_dir(), "the comparison covers the charts");
    let out = tmp.path().join("res");

    interrupt_and_resume(&sweep, &out, "experiments.csv", true);
    assert_same_files(&whole, &out);

    fs::remove_dir_all(&out).unwrap();
    start_and_kill(&sweep, &out);
    // A leftover run is reported, never silently overwritten or resumed.
    fails_with(
        &run(&sweep, "", &out),
        &["unfinished sweep", "trials done", "--resume", "--restart"],
    );
    // Resuming with other options is refused, naming them.
    fails_with(
        &run(&words(&SWEEP.replace("400", "300")), "--resume", &out),
        &["cannot resume", "design.samples: 400 vs 300"],
    );
    fails_with(
        &run(&words(&SWEEP.replace("--seed 3", "--seed 4")), "--resume", &out),
        &["seed: 3 vs 4"],
    );
    assert!(
        staging_of(&out).join("checkpoint.bin").is_file(),
        "a refused run keeps the state"
    );
    // Resumed, interrupted again with Ctrl-C after more progress, then finished.
    let mut child = spawn(&sweep, "--resume", &out);
    let before = checkpoint::read(&staging_of(&out).join("checkpoint.bin"))
        .unwrap()
        .0
        .next_chunk;
    wait_for_progress_past(&staging_of(&out), &mut child, Some(before));
    interrupt(child);
    ok(&run(&sweep, "--resume", &out));
    assert_same_files(&whole, &out);
    assert_eq!(manifest(&out)["resumed_at_trials"].as_array().map(Vec::len), Some(2));

    fs::remove_dir_all(&out).unwrap();
    interrupt_and_resume(&sweep, &out, "experiments.csv", false);
    assert_same_files(&whole, &out);

    fails_with(
        &run(&sweep, "--resume", &tmp.path().join("never")),
        &["nothing to resume"],
    );
}

#[test]
fn interrupted_sensitivity_analyses_resume_to_the_same_files() {
    let tmp = tempfile::tempdir().unwrap();
    let sobol = words("sensitivity --samples 256 --outcome gdp_index_2030 --outcome regime_collapse --bootstrap 50");
    let whole = reference(&sobol, "", tmp.path(), "sobol-whole");
    assert!(whole.join("charts").is_dir(), "the comparison covers the charts");
    for kill in [true, false] {
        let out = tmp.path().join(format!("sobol-{kill}"));
        interrupt_and_resume(&sobol, &out, "runs.csv", kill);
        assert_same_files(&whole, &out);
    }
    let again = tmp.path().join("again");
    start_and_kill(&sobol, &again);
    fails_with(
        &run(&sobol, "--resume --method morris", &again),
        &["design.method: \"sobol\" vs \"morris\""],
    );
    fails_with(
        &run(&sobol, "--resume --no-charts", &again),
        &["design.no_charts: false vs true"],
    );

    let morris = words("sensitivity --method morris --samples 256 --outcome gdp_index_2030 --bootstrap 50 --no-charts");
    let whole = reference(&morris, "", tmp.path(), "morris-whole");
    let out = tmp.path().join("morris");
    interrupt_and_resume(&morris, &out, "runs.csv", false);
    assert_same_files(&whole, &out);
}

/// `--restart` discards a leftover run (even one without a usable checkpoint) and starts again.
#[test]
fn restart_discards_a_leftover_exploration() {
    let tmp = tempfile::tempdir().unwrap();
    let args = words("sweep --lever recognition=none,formal --samples 5 --no-charts");
    let whole = reference(&args, "", tmp.path(), "whole");
    let out = tmp.path().join("r");
    let staging = staging_of(&out);
    fs::create_dir_all(&staging).unwrap();
    fs::write(staging.join("checkpoint.bin"), b"garbage").unwrap();
    fails_with(&run(&args, "", &out), &["unfinished sweep without a usable checkpoint"]);
    fails_with(&run(&args, "--resume", &out), &["no usable checkpoint", "--restart"]);
    fails_with(&run(&args, "--resume --restart", &out), &["cannot be used with"]);
    ok(&run(&args, "--restart", &out));
    assert!(!staging.exists());
    assert_same_files(&whole, &out);
    fails_with(
        &run(&args, "--resume", &out),
        &["nothing to resume", "already finished"],
    );
}

/// A shard interrupted and resumed merges with the others into the unsharded result.
#[test]
fn a_resumed_shard_merges_to_the_unsharded_result() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = words(SWEEP);
    let whole = reference(&sweep, "--no-charts", tmp.path(), "whole");
    let first_line = format!("{SWEEP} --no-charts --shard 1/2");
    let first = words(&first_line);
    let (s1, s2) = (tmp.path().join("s1"), tmp.path().join("s2"));
    start_and_kill(&first, &s1);
    ok(&run(&sweep, "--no-charts --shard 2/2", &s2));
    // The killed shard is not a shard yet: merge says how to finish it.
    let merged = tmp.path().join("merged");
    fails_with(&merge(&[&s1, &s2], &merged), &["unfinished", "--resume"]);
    fails_with(
        &run(&sweep, "--no-charts --shard 2/2 --resume", &s1),
        &["shard.index: 1 vs 2"],
    );
    ok(&run(&first, "--resume", &s1));
    let m = manifest(&s1);
    assert_eq!(m["status"], "shard");
    assert_eq!(m["resumed_at_trials"].as_array().map(Vec::len), Some(1));
    ok(&merge(&[&s1, &s2], &merged));
    for f in ["experiments.csv", "summary.csv"] {
        assert!(
            fs::read(whole.join(f)).unwrap() == fs::read(merged.join(f)).unwrap(),
            "{f} differs between the merged and the unsharded sweep"
        );
    }
}
