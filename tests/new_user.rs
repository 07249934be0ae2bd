//! What a new user meets first, run as they would run it (issue 13, points 3, 4 and 7): the README's sample
//! bargaining input, `greatgame init` and the edit-and-run loop, the line that says which scenario a command
//! used, and the messages for a mistyped subcommand, a negative number and a missing file.

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

fn gg() -> Command {
    Command::cargo_bin("greatgame").expect("binary built")
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every file named `name` under `dir`.
fn find(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            found.extend(find(&p, name));
        } else if p.file_name().is_some_and(|n| n == name) {
            found.push(p);
        }
    }
    found
}

/// The manifest's `scenario` and `scenario_sha256` of a finished `run`.
fn manifest_scenario(out: &Path) -> (String, String) {
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    (
        json["scenario"].as_str().unwrap().to_string(),
        json["scenario_sha256"].as_str().unwrap().to_string(),
    )
}

/// A small, quick `run` in `cwd`, into `out`.
fn small_run(cwd: &Path, scenario: Option<&Path>, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut c = gg();
    c.current_dir(cwd).arg("run");
    if let Some(s) = scenario {
        c.arg(s);
    }
    c.args([
        "--trials",
        "20",
        "--policy",
        "status_quo",
        "--no-charts",
        "--no-trials-file",
        "--out",
    ])
    .arg(out)
    .args(extra);
    c.output().unwrap()
}

// ------------------------------------------------------------------ point 3

#[test]
fn the_readme_bargain_command_runs_on_the_shipped_sample() {
    // The README says, from the top of the checkout: greatgame bargain examples/ktab/dummyData_3Dim.csv
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("examples/ktab")).unwrap();
    fs::copy(
        repo("examples/ktab/dummyData_3Dim.csv"),
        tmp.path().join("examples/ktab/dummyData_3Dim.csv"),
    )
    .unwrap();
    let o = gg()
        .current_dir(tmp.path())
        .args(["bargain", "examples/ktab/dummyData_3Dim.csv"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("History of actor positions over time:"));
    // Wherever the default output folder is, it holds the history: 11 states x 7 actors x 3 dimensions.
    let positions = find(tmp.path(), "positions.csv");
    assert_eq!(positions.len(), 1, "{positions:?}");
    assert_eq!(
        fs::read_to_string(&positions[0]).unwrap().lines().count(),
        1 + 11 * 7 * 3
    );
    assert!(repo("examples/ktab/README.md").is_file());
}

// ------------------------------------------------------------------ point 4

#[test]
fn init_writes_an_editable_copy_that_validates() {
    let tmp = tempfile::tempdir().unwrap();
    let o = gg().current_dir(tmp.path()).arg("init").output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let dir = tmp.path().join("my-scenario");
    for (name, shipped) in [
        ("afghanistan.ron", "scenarios/afghanistan.ron"),
        ("afghanistan.hindcast.ron", "scenarios/afghanistan.hindcast.ron"),
    ] {
        assert_eq!(
            fs::read_to_string(dir.join(name)).unwrap(),
            fs::read_to_string(repo(shipped)).unwrap(),
            "{name} is the built-in text"
        );
    }
    let said = stdout(&o);
    assert!(
        said.contains("greatgame validate my-scenario/afghanistan.ron"),
        "{said}"
    );
    assert!(said.contains("greatgame run my-scenario/afghanistan.ron"), "{said}");
    assert!(said.contains("my-scenario/afghanistan.hindcast.ron"), "{said}");
    let o = gg()
        .current_dir(tmp.path())
        .args(["validate", "my-scenario/afghanistan.ron"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("my-scenario/afghanistan.ron: ok"));

    // A folder given by name, created if missing.
    let other = tmp.path().join("course/week1");
    let o = gg().arg("init").arg(&other).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(other.join("afghanistan.ron").is_file() && other.join("afghanistan.hindcast.ron").is_file());
}

#[test]
fn init_never_overwrites_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mine");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("afghanistan.ron"), "my edits").unwrap();
    let o = gg().arg("init").arg(&dir).output().unwrap();
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("afghanistan.ron already exists"), "{err}");
    assert!(err.contains("never overwrites"), "{err}");
    assert!(err.contains("greatgame init OTHER_DIR"), "{err}");
    assert_eq!(fs::read_to_string(dir.join("afghanistan.ron")).unwrap(), "my edits");
    assert!(
        !dir.join("afghanistan.hindcast.ron").exists(),
        "a refusal writes nothing"
    );

    // The record alone existing is refused the same way, and the scenario is not written either.
    let dir2 = tmp.path().join("mine2");
    fs::create_dir(&dir2).unwrap();
    fs::write(dir2.join("afghanistan.hindcast.ron"), "my record").unwrap();
    let o = gg().arg("init").arg(&dir2).output().unwrap();
    assert!(!o.status.success());
    assert!(stderr(&o).contains("afghanistan.hindcast.ron already exists"));
    assert!(!dir2.join("afghanistan.ron").exists());
    assert_eq!(
        fs::read_to_string(dir2.join("afghanistan.hindcast.ron")).unwrap(),
        "my record"
    );

    // A second init into the same folder is refused: the first copy may have been edited since.
    let dir3 = tmp.path().join("mine3");
    assert!(gg().arg("init").arg(&dir3).output().unwrap().status.success());
    let o = gg().arg("init").arg(&dir3).output().unwrap();
    assert!(!o.status.success());
}

#[test]
fn run_says_which_scenario_it_used() {
    let tmp = tempfile::tempdir().unwrap();
    // The built-in scenario, from a folder with no scenario file in it: the line, no note.
    let out = tmp.path().join("builtin");
    let o = small_run(tmp.path(), None, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (name, sha) = manifest_scenario(&out);
    assert_eq!(name, "built-in afghanistan");
    let err = stderr(&o);
    assert!(
        err.contains(&format!("scenario: built-in afghanistan (sha256 {}…)", &sha[..12])),
        "{err}"
    );
    assert!(!err.contains("note:"), "{err}");

    // A copy, edited, run by path: the path and the edited text's hash.
    assert!(
        gg().current_dir(tmp.path())
            .args(["init", "mine"])
            .output()
            .unwrap()
            .status
            .success()
    );
    let path = Path::new("mine/afghanistan.ron");
    let text = fs::read_to_string(tmp.path().join(path)).unwrap();
    fs::write(tmp.path().join(path), format!("// edited for class\n{text}")).unwrap();
    let out2 = tmp.path().join("edited");
    let o = small_run(tmp.path(), Some(path), &out2, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (name2, sha2) = manifest_scenario(&out2);
    assert_eq!(name2, "mine/afghanistan.ron");
    assert_ne!(sha2, sha, "the edit changed the hash");
    assert!(
        stderr(&o).contains(&format!("scenario: mine/afghanistan.ron (sha256 {}…)", &sha2[..12])),
        "{}",
        stderr(&o)
    );

    // --quiet drops the line.
    let o = small_run(tmp.path(), None, &tmp.path().join("quiet"), &["--quiet"]);
    assert!(o.status.success());
    assert!(!stderr(&o).contains("scenario:"), "{}", stderr(&o));

    // The other commands that load a scenario say it the same way.
    for args in [&["validate"][..], &["list"], &["validate", "mine/afghanistan.ron"]] {
        let o = gg().current_dir(tmp.path()).args(args).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        let want = if args.len() == 1 {
            "scenario: built-in afghanistan (sha256 "
        } else {
            "scenario: mine/afghanistan.ron (sha256 "
        };
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
    let o = gg()
        .current_dir(tmp.path())
        .args([
            "wargame",
            "new",
            "--teams",
            "us,taliban",
            "--game",
            "game1",
            "--key-out",
            "game1.key",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("scenario: built-in afghanistan (sha256 "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_edited_scenario_in_the_working_folder_is_pointed_out() {
    let tmp = tempfile::tempdir().unwrap();
    let scenarios = tmp.path().join("scenarios");
    fs::create_dir(&scenarios).unwrap();
    let shipped = fs::read_to_string(repo("scenarios/afghanistan.ron")).unwrap();

    // An unedited copy (a fresh checkout): nothing to say.
    fs::write(scenarios.join("afghanistan.ron"), &shipped).unwrap();
    let o = small_run(tmp.path(), None, &tmp.path().join("same"), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("note:"), "{}", stderr(&o));

    // Edited: the run still uses the built-in copy, and says so, with the command that uses the edit.
    fs::write(scenarios.join("afghanistan.ron"), format!("// my change\n{shipped}")).unwrap();
    let out = tmp.path().join("edited");
    let o = small_run(tmp.path(), None, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("note: scenarios/afghanistan.ron differs from the built-in scenario"),
        "{err}"
    );
    assert!(err.contains("used the built-in one"), "{err}");
    assert!(err.contains("greatgame run scenarios/afghanistan.ron"), "{err}");
    assert_eq!(manifest_scenario(&out).0, "built-in afghanistan");

    // The note is a warning, so --quiet keeps it; other commands name themselves in it.
    let o = small_run(tmp.path(), None, &tmp.path().join("quiet"), &["--quiet"]);
    assert!(
        stderr(&o).contains("note: scenarios/afghanistan.ron differs"),
        "{}",
        stderr(&o)
    );
    let o = gg().current_dir(tmp.path()).arg("validate").output().unwrap();
    assert!(
        stderr(&o).contains("greatgame validate scenarios/afghanistan.ron"),
        "{}",
        stderr(&o)
    );

    // ./afghanistan.ron is looked at too; given a path, nothing is pointed out.
    fs::write(tmp.path().join("afghanistan.ron"), format!("// another\n{shipped}")).unwrap();
    let o = gg().current_dir(tmp.path()).arg("validate").output().unwrap();
    assert!(stderr(&o).contains("note: afghanistan.ron differs"), "{}", stderr(&o));
    let o = gg()
        .current_dir(tmp.path())
        .args(["validate", "scenarios/afghanistan.ron"])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(!stderr(&o).contains("note:"), "{}", stderr(&o));
}

// ------------------------------------------------------------------ point 7

#[test]
fn a_mistyped_subcommand_gets_a_suggestion() {
    let o = gg().arg("rnu").output().unwrap();
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("tip: a similar subcommand exists: 'run'"),
        "{}",
        stderr(&o)
    );
    let o = gg().arg("valdiate").output().unwrap();
    assert!(stderr(&o).contains("'validate'"), "{}", stderr(&o));
    let o = gg().args(["wargame", "reprot"]).output().unwrap();
    assert!(stderr(&o).contains("'report'"), "{}", stderr(&o));
}

#[test]
fn negative_numbers_are_refused_in_words() {
    let o = gg().args(["run", "--trials", "-5"]).output().unwrap();
    assert!(!o.status.success());
    assert_eq!(
        stderr(&o),
        "error: invalid value '-5' for '--trials <TRIALS>': must be a positive whole number (1, 2, 3, …), not \
         negative\n\nFor more information, try '--help'.\n"
    );
    let cases: &[&[&str]] = &[
        &["run", "--seed", "-1"],
        &["run", "--threads", "-2"],
        &["compare", "--trials", "-5"],
        &["explain", "--policy", "status_quo", "--top", "-3"],
        &["hindcast", "--trials", "-5"],
        &["sweep", "--lever", "recognition=none,formal", "--samples", "-3"],
        &["sweep", "--lever", "recognition=none,formal", "--replications", "-1"],
        &["sensitivity", "--samples", "-8"],
        &["discover", "--where", "us_cost>1", "--folds", "-1"],
        &["bargain", "x.csv", "--stochastic", "--trials", "-5"],
        &["wargame", "new", "--teams", "us", "--turns", "-4", "--game", "g"],
    ];
    for args in cases {
        let o = gg().args(*args).output().unwrap();
        assert!(!o.status.success(), "{args:?}");
        let err = stderr(&o);
        assert!(!err.contains("'-- -"), "{args:?} suggests a positional: {err}");
        assert!(
            err.contains("must be a") && err.contains("not negative"),
            "{args:?}: {err}"
        );
    }
    for cmd in ["run", "sweep", "sensitivity"] {
        let o = gg().args([cmd, "--shard", "-1/2"]).output().unwrap();
        assert!(
            stderr(&o).contains("K `-1` is not a whole number"),
            "{cmd}: {}",
            stderr(&o)
        );
    }
    // 0 and decimals are explained as well; fractional options reach their command's range check.
    let o = gg()
        .args(["sweep", "--lever", "recognition=none", "--samples", "0"])
        .output()
        .unwrap();
    assert!(
        stderr(&o).contains("must be a positive whole number (1, 2, 3, …), not 0"),
        "{}",
        stderr(&o)
    );
    let o = gg().args(["run", "--trials", "2.5"]).output().unwrap();
    assert!(stderr(&o).contains("without a decimal point"), "{}", stderr(&o));
    let tmp = tempfile::tempdir().unwrap();
    let o = gg()
        .args(["discover", "--where", "us_cost>1", "--alpha", "-0.5", "--out"])
        .arg(tmp.path().join("d"))
        .output()
        .unwrap();
    assert!(
        stderr(&o).contains("--alpha must lie in (0, 0.5) (got -0.5)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_missing_bargain_file_is_named_once_with_a_hint() {
    let tmp = tempfile::tempdir().unwrap();
    let o = gg()
        .current_dir(tmp.path())
        .args(["bargain", "nosuch.csv"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = stderr(&o);
    assert_eq!(
        err,
        "error: cannot read nosuch.csv: the file does not exist (os error 2); check the path and the spelling (a \
         sample input ships with greatgame: examples/ktab/dummyData_3Dim.csv)\n"
    );
    assert_eq!(err.matches("os error").count(), 1);
    assert!(fs::read_dir(tmp.path()).unwrap().next().is_none(), "nothing written");
}

#[test]
fn merge_says_which_scenario_the_shards_ran() {
    let tmp = tempfile::tempdir().unwrap();
    for k in ["1/2", "2/2"] {
        let out = tmp.path().join(format!("s{}", &k[..1]));
        let o = gg()
            .current_dir(tmp.path())
            .args([
                "run",
                "--trials",
                "512",
                "--policy",
                "status_quo",
                "--no-charts",
                "--shard",
                k,
                "--out",
            ])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = gg()
        .current_dir(tmp.path())
        .args(["merge", "s1", "s2", "--out", "merged"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let (name, sha) = manifest_scenario(&tmp.path().join("merged"));
    assert_eq!(name, "built-in afghanistan");
    assert!(
        stderr(&o).contains(&format!(
            "scenario: built-in afghanistan (sha256 {}…), as saved in the shards",
            &sha[..12]
        )),
        "{}",
        stderr(&o)
    );
}
