//! `--out` never costs a user a file (issue 13, points 1 and 2), for every
//! command that writes a folder, run as a user runs them: a folder holding
//! someone else's file is refused untouched and leaves no hidden staging
//! folder; an existing file is refused; an earlier result of greatgame is
//! replaced, and a user's file dropped into it survives.

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

fn gg() -> Command {
    Command::cargo_bin("greatgame").expect("binary built")
}

/// A three-actor, one-dimension KTAB input for `bargain`.
const KTAB: &str =
    "Tiny,\"three actors\",3,1,\nActor,Description,Power,Pstn1,Sal1,\nA,a,100,10,50,\nB,b,60,80,40,\nC,c,40,50,30,\n";

/// The arguments of `command` (small and fast) before `--out DIR`, with
/// whatever it needs prepared in `base` (shards, a game, an input file).
fn command_args(command: &str, base: &Path) -> Vec<String> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    match command {
        "run" => s(&["run", "--trials", "20", "--no-charts", "-q"]),
        "compare" => s(&[
            "compare",
            "--policies",
            "rubin_regional_realism",
            "--trials",
            "20",
            "--no-charts",
            "-q",
        ]),
        "explain" => s(&[
            "explain",
            "--policy",
            "rubin_regional_realism",
            "--trials",
            "20",
            "--no-charts",
            "-q",
        ]),
        "hindcast" => s(&["hindcast", "--trials", "20", "--no-charts", "-q"]),
        "sweep" => s(&[
            "sweep",
            "--lever",
            "recognition=none,formal",
            "--samples",
            "2",
            "--no-charts",
            "-q",
        ]),
        "sensitivity" => s(&[
            "sensitivity",
            "--method",
            "morris",
            "--samples",
            "2",
            "--no-charts",
            "-q",
        ]),
        "discover" => s(&[
            "discover",
            "--where",
            "pakistan_militant_attacks>1000",
            "--samples",
            "40",
            "--resamples",
            "2",
            "--no-charts",
            "-q",
        ]),
        "bargain" => {
            let f = base.join("tiny.csv");
            if !f.exists() {
                fs::write(&f, KTAB).unwrap();
            }
            vec!["bargain".into(), f.display().to_string()]
        }
        "merge" => {
            let shard = base.join("shard");
            if !shard.exists() {
                let o = gg()
                    .args(["run", "--trials", "20", "--no-charts", "-q", "--shard", "1/1", "--out"])
                    .arg(&shard)
                    .output()
                    .unwrap();
                assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            }
            vec!["merge".into(), shard.display().to_string(), "-q".into()]
        }
        "wargame report" => {
            let game = base.join("game");
            // The white cell's key lives outside the game folder, as the guide says.
            let key = base.join("white.key");
            if !game.exists() {
                let k = key.display().to_string();
                for args in [
                    vec!["new", "--teams", "us", "--turns", "1", "--key-out", &k, "--game"],
                    vec!["adjudicate", "--no-charts", "--key", &k, "--game"],
                ] {
                    let o = gg().arg("wargame").args(args).arg(&game).output().unwrap();
                    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                }
            }
            let g = game.display().to_string();
            let k = key.display().to_string();
            s(&[
                "wargame",
                "report",
                "--continuations",
                "20",
                "--samples",
                "4",
                "--key",
                &k,
                "--game",
                &g,
            ])
        }
        other => panic!("no arguments for {other}"),
    }
}

fn run(command: &str, base: &Path, out: &Path) -> std::process::Output {
    gg().args(command_args(command, base))
        .arg("--out")
        .arg(out)
        .output()
        .expect("runs")
}

/// Hidden staging or set-aside folders left in `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".partial") || n.contains(".old-") || n.contains("greatgame-results"))
        .collect()
}

/// Everything the issue asks of one command.
fn check(command: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path();
    let outs = base.join("outs");
    fs::create_dir(&outs).unwrap();

    // A folder with someone else's file: refused, untouched, nothing left behind.
    let docs = outs.join("mydocs");
    fs::create_dir(&docs).unwrap();
    fs::write(docs.join("thesis.txt"), "draft").unwrap();
    let o = run(command, base, &docs);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success(),
        "{command}: writing into a foreign folder must fail"
    );
    assert!(
        err.contains("mydocs") && err.contains("thesis.txt") && err.contains("did not write"),
        "{command}: {err}"
    );
    assert_eq!(fs::read_to_string(docs.join("thesis.txt")).unwrap(), "draft");
    assert_eq!(fs::read_dir(&docs).unwrap().count(), 1, "{command}: nothing added");
    assert!(leftovers(&outs).is_empty(), "{command}: left {:?}", leftovers(&outs));

    // An existing regular file: refused, unchanged.
    let notes = outs.join("notes.txt");
    fs::write(&notes, "mine").unwrap();
    let o = run(command, base, &notes);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{command}: writing over a file must fail");
    assert!(
        err.contains("notes.txt") && err.contains("not a folder"),
        "{command}: {err}"
    );
    assert_eq!(fs::read_to_string(&notes).unwrap(), "mine");
    assert!(leftovers(&outs).is_empty(), "{command}: left {:?}", leftovers(&outs));

    // A fresh result, then a re-run over it with a user's files dropped in.
    let res = outs.join("res");
    let o = run(command, base, &res);
    assert!(o.status.success(), "{command}: {}", String::from_utf8_lossy(&o.stderr));
    assert!(
        res.join(".greatgame-output.json").is_file(),
        "{command}: no ownership marker"
    );
    fs::write(res.join("my-notes.md"), "keep me").unwrap();
    let sub = fs::read_dir(&res)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir());
    if let Some(sub) = &sub {
        fs::write(sub.join("mine.txt"), "keep me too").unwrap();
    }
    let o = run(command, base, &res);
    assert!(
        o.status.success(),
        "{command} re-run: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        fs::read_to_string(res.join("my-notes.md")).unwrap(),
        "keep me",
        "{command}"
    );
    if let Some(sub) = &sub {
        assert_eq!(
            fs::read_to_string(sub.join("mine.txt")).unwrap(),
            "keep me too",
            "{command}"
        );
    }
    assert!(leftovers(&outs).is_empty(), "{command}: left {:?}", leftovers(&outs));
}

#[test]
fn run_keeps_users_files() {
    check("run");
}

#[test]
fn compare_keeps_users_files() {
    check("compare");
}

#[test]
fn explain_keeps_users_files() {
    check("explain");
}

#[test]
fn hindcast_keeps_users_files() {
    check("hindcast");
}

#[test]
fn sweep_keeps_users_files() {
    check("sweep");
}

#[test]
fn sensitivity_keeps_users_files() {
    check("sensitivity");
}

#[test]
fn discover_keeps_users_files() {
    check("discover");
}

#[test]
fn bargain_keeps_users_files() {
    check("bargain");
}

#[test]
fn merge_keeps_users_files() {
    check("merge");
}

#[test]
fn wargame_report_keeps_users_files() {
    check("wargame report");
}

#[test]
fn wargame_report_never_writes_into_the_game_folder() {
    let tmp = tempfile::tempdir().unwrap();
    command_args("wargame report", tmp.path());
    let game = tmp.path().join("game");
    let before = fs::read(game.join("log.jsonl")).unwrap();
    let o = run("wargame report", tmp.path(), &game);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("wargame's folder"));
    assert_eq!(fs::read(game.join("log.jsonl")).unwrap(), before);
    assert!(leftovers(tmp.path()).is_empty());
}

#[test]
fn wargame_new_takes_only_a_new_or_empty_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let new = |game: &Path| {
        gg().args(["wargame", "new", "--teams", "us", "--game"])
            .arg(game)
            .arg("--key-out")
            .arg(game.with_extension("key"))
            .output()
            .unwrap()
    };
    let docs = tmp.path().join("docs");
    fs::create_dir(&docs).unwrap();
    fs::write(docs.join("thesis.txt"), "draft").unwrap();
    let file = tmp.path().join("notes.txt");
    fs::write(&file, "mine").unwrap();
    for (dir, says) in [(&docs, "thesis.txt"), (&file, "not a folder")] {
        let o = new(dir);
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says) && err.contains("--game"), "{err}");
    }
    assert_eq!(fs::read_to_string(docs.join("thesis.txt")).unwrap(), "draft");
    assert_eq!(fs::read_dir(&docs).unwrap().count(), 1);
    assert_eq!(fs::read_to_string(&file).unwrap(), "mine");
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    assert!(new(&empty).status.success());
    assert!(empty.join("log.jsonl").is_file());
    let o = new(&empty);
    assert!(!o.status.success(), "a second game over the first must be refused");
    assert!(leftovers(tmp.path()).is_empty(), "{:?}", leftovers(tmp.path()));
}

/// `--out .` and `--out ..` in a folder holding anything else are refused and
/// leave no hidden staging folder; in an empty working directory `.` works.
#[test]
fn dot_and_dotdot_are_checked_like_any_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    fs::create_dir(&work).unwrap();
    fs::write(work.join("thesis.txt"), "draft").unwrap();
    for out in [".", "..", "./", "../work/"] {
        let o = gg()
            .current_dir(&work)
            .args(["run", "--trials", "20", "--no-charts", "-q", "--out", out])
            .output()
            .unwrap();
        assert!(!o.status.success(), "--out {out}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("did not write"),
            "--out {out}"
        );
    }
    assert_eq!(fs::read_dir(&work).unwrap().count(), 1);
    assert!(leftovers(tmp.path()).is_empty() && leftovers(&work).is_empty());
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    for _ in 0..2 {
        let o = gg()
            .current_dir(&empty)
            .args(["run", "--trials", "20", "--no-charts", "-q", "--out", "."])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert!(empty.join("summary.md").is_file());
    assert!(leftovers(tmp.path()).is_empty(), "{:?}", leftovers(tmp.path()));
}

/// `--restart` discards only a staging folder greatgame made.
#[test]
fn restart_leaves_a_foreign_partial_folder_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let partial = tmp.path().join(".r.partial");
    fs::create_dir(&partial).unwrap();
    fs::write(partial.join("mine.txt"), "mine").unwrap();
    let o = gg()
        .args(["run", "--trials", "20", "--no-charts", "-q", "--restart", "--out"])
        .arg(tmp.path().join("r"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not made by greatgame"));
    assert!(partial.join("mine.txt").is_file());
}

/// Point 2: following the README's order (`compare`, then `run`, then the rest)
/// with default outputs loses nothing: each command has its own folder.
#[test]
fn default_outputs_do_not_replace_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    let at = |args: &[&str]| {
        let o = gg().current_dir(tmp.path()).args(args).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    let quick = ["--no-charts", "-q"];
    at(&[
        &["compare", "--policies", "rubin_regional_realism", "--trials", "20"][..],
        &quick,
    ]
    .concat());
    at(&[
        &["explain", "--policy", "rubin_regional_realism", "--trials", "20"][..],
        &quick,
    ]
    .concat());
    at(&[&["run", "--trials", "20"][..], &quick].concat());
    at(&[&["hindcast", "--trials", "20"][..], &quick].concat());
    at(&[
        &["sweep", "--lever", "recognition=none,formal", "--samples", "2"][..],
        &quick,
    ]
    .concat());
    at(&[&["sensitivity", "--method", "morris", "--samples", "2"][..], &quick].concat());
    at(&[&["run", "--trials", "20"][..], &quick].concat());
    let root: PathBuf = tmp.path().join("output/afghanistan");
    for (dir, file) in [
        ("compare", "comparison.md"),
        ("explain-rubin_regional_realism", "explain.md"),
        ("run", "summary.md"),
        ("hindcast", "targets.md"),
        ("sweep", "summary.csv"),
        ("sensitivity", "sensitivity.md"),
    ] {
        assert!(root.join(dir).join(file).is_file(), "{dir}/{file} missing");
    }
    let mut names: Vec<String> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "compare",
            "explain-rubin_regional_realism",
            "hindcast",
            "run",
            "sensitivity",
            "sweep"
        ],
        "each command's folder sits beside the others, none inside another"
    );
}

/// A new result that would overwrite a user's file of the same name changes
/// nothing in the folder and keeps the finished results beside it.
#[test]
fn a_clash_with_a_users_file_keeps_both() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let run = |extra: &[&str]| {
        gg().args(["run", "--trials", "20", "--no-charts", "-q", "--out"])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    assert!(run(&["--no-trials-file"]).status.success());
    fs::write(out.join("trials.csv"), "my own table").unwrap();
    let summary = fs::read(out.join("summary.md")).unwrap();
    let o = run(&["--seed", "2"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("trials.csv") && err.contains("kept in"), "{err}");
    assert_eq!(fs::read_to_string(out.join("trials.csv")).unwrap(), "my own table");
    assert_eq!(
        fs::read(out.join("summary.md")).unwrap(),
        summary,
        "nothing in the folder changed"
    );
    let kept = tmp.path().join(
        fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .find(|n| n.starts_with("r.greatgame-results-"))
            .expect("results kept beside the folder"),
    );
    assert!(err.contains(&kept.display().to_string()), "{err}");
    assert!(kept.join("trials.csv").is_file() && kept.join(".greatgame-output.json").is_file());
}
