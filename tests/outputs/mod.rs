//! Helpers for the CLI tests that interrupt runs and compare whole output
//! folders (`shard_resume.rs`, `resume_explore.rs`).
#![allow(dead_code)]

use assert_cmd::Command;
use greatgame::experiment::checkpoint;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Output};
use std::time::{Duration, Instant};

pub fn gg() -> Command {
    Command::cargo_bin("greatgame").expect("binary built")
}

pub fn stderr_of(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Manifest fields that legitimately differ between runs that computed the
/// same numbers: how the work was done (command line, timings, threads, the
/// shards merged, the trials at which a run was resumed).
pub const RUN_SPECIFIC: [&str; 6] = [
    "command_line",
    "wall_time_seconds",
    "trials_per_second",
    "threads",
    "merged_from",
    "resumed_at_trials",
];

pub fn without_run_specific(mut m: Value) -> Value {
    let obj = m.as_object_mut().expect("manifest is an object");
    for k in RUN_SPECIFIC {
        obj.remove(k);
    }
    m
}

/// Every file under `dir` (recursively), by relative path.
pub fn files(dir: &Path) -> Vec<PathBuf> {
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

/// Wait until the checkpoint in `staging` says the run has done more than
/// `after` units (default: none), and is not finished.
pub fn wait_for_progress_past(staging: &Path, child: &mut Child, after: Option<u64>) {
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
pub fn wait_for_progress(staging: &Path, child: &mut Child) {
    wait_for_progress_past(staging, child, None);
}

/// Ctrl-C (SIGINT) to a running command: it must stop after its batch with
/// exit code 130 and say how to resume.
pub fn interrupt(child: Child) {
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
