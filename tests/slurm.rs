//! Opt-in (GREATGAME_SLURM_TESTS=1, as root, with Debian's slurmctld, slurmd, slurm-client and
//! munge installed): the Slurm example in `examples/slurm/` on a single-node Slurm started for
//! the test — a 3-task job array of shards and a dependent merge job must reproduce an
//! unsharded run. See `examples/slurm/local-test.sh`.

#[test]
fn slurm_job_array_and_merge_match_the_unsharded_run() {
    if std::env::var_os("GREATGAME_SLURM_TESTS").is_none() {
        eprintln!("skipped: set GREATGAME_SLURM_TESTS=1 to run the single-node Slurm test");
        return;
    }
    let bin = assert_cmd::cargo::cargo_bin("greatgame");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/slurm/local-test.sh");
    let out = std::process::Command::new("bash")
        .arg(script)
        .arg(&bin)
        .output()
        .expect("bash runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the Slurm test failed or could not run:\n{text}");
    assert!(text.contains("PASS"), "{text}");
}
