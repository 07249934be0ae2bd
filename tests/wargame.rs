//! The classroom wargame through the command line, including the worked
//! example of docs/instructor-guide.md (run command by command from the guide).

use assert_cmd::Command;
use greatgame::wargame::debrief::mostly;
use greatgame::wargame::game::{TurnEntry, TurnRec, turn_context};
use greatgame::wargame::keys::{WhiteKey, open, seal};
use greatgame::wargame::log::Log;
use greatgame::wargame::play::split_words;
use std::fs;
use std::path::Path;

fn gg() -> Command {
    Command::cargo_bin("greatgame").expect("binary built")
}

/// The white-cell key file of the game in `dir` (beside it, outside the folder).
fn key_of(dir: &Path) -> std::path::PathBuf {
    dir.with_extension("key")
}

/// Run `greatgame wargame ARGS --game DIR` as the white cell (`new` writes
/// the key beside the folder unless given one; other commands pass it);
/// returns (success, stdout, stderr).
fn wg(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let mut cmd = gg();
    cmd.arg("wargame").args(args).arg("--game").arg(dir);
    if args[0] == "new" {
        if !args.contains(&"--key") {
            cmd.arg("--key-out").arg(key_of(dir));
        }
    } else {
        cmd.arg("--key").arg(key_of(dir));
    }
    let o = cmd.output().expect("runs");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (success, out, err) = wg(dir, args);
    assert!(success, "`wargame {}` failed: {err}\n{out}", args.join(" "));
    out
}

/// A short game: two teams, two turns, one adjudicated (with the key of `twin_of`'s game, if given).
fn small_game(dir: &Path, seed: &str, twin_of: Option<&Path>) {
    match twin_of {
        None => ok(dir, &["new", "--teams", "us,taliban", "--turns", "2", "--seed", seed]),
        Some(t) => {
            fs::copy(key_of(t), key_of(dir)).unwrap();
            let k = key_of(dir).to_string_lossy().into_owned();
            ok(
                dir,
                &[
                    "new",
                    "--teams",
                    "us,taliban",
                    "--turns",
                    "2",
                    "--seed",
                    seed,
                    "--key",
                    &k,
                ],
            )
        }
    };
    ok(
        dir,
        &[
            "orders",
            "--team",
            "us",
            "--set",
            "humanitarian_aid=1.2",
            "--set",
            "liaison_offices=true",
        ],
    );
    ok(dir, &["orders", "--team", "taliban", "--action", "restrain_aq"]);
    ok(dir, &["adjudicate", "--no-charts"]);
    ok(dir, &["orders", "--team", "taliban", "--action", "crack_down_isisk"]);
}

struct Step {
    args: Vec<String>,
    expect_error: Option<String>,
}

/// The commands of the guide's worked example, with the game folder replaced.
fn worked_example(dir: &Path) -> Vec<Step> {
    let guide = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/instructor-guide.md")).unwrap();
    let block = guide
        .split("<!-- worked-example -->")
        .nth(1)
        .expect("the guide marks its worked example");
    let block = block.split("```console").nth(1).unwrap().split("```").next().unwrap();
    let mut steps = Vec::new();
    for line in block.lines() {
        let Some(cmd) = line.trim().strip_prefix("$ greatgame ") else {
            continue;
        };
        let (cmd, expect_error) = match cmd.split_once("# expect error:") {
            Some((c, e)) => (c, Some(e.trim().to_string())),
            None => (cmd, None),
        };
        let mut args = split_words(cmd).unwrap();
        let g = args
            .iter()
            .position(|a| a == "--game")
            .expect("every command names the game");
        args[g + 1] = dir.to_string_lossy().into_owned();
        // The white-cell key lives outside the game folder.
        if let Some(k) = args.iter().position(|a| a == "--key" || a == "--key-out") {
            args[k + 1] = key_of(dir).to_string_lossy().into_owned();
        }
        steps.push(Step { args, expect_error });
    }
    steps
}

#[test]
fn the_worked_example_of_the_instructor_guide_plays_through() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("class-demo");
    let steps = worked_example(&dir);
    assert!(steps.len() >= 20, "the worked example lost its commands");
    let mut adjudications = 0;
    // `$TEAM_PASS` in the guide stands for the passphrase `new` printed for TEAM.
    let mut passes: Vec<(String, String)> = Vec::new();
    for step in &steps {
        let args: Vec<String> = step
            .args
            .iter()
            .map(|a| {
                passes
                    .iter()
                    .find(|(k, _)| k == a)
                    .map_or_else(|| a.clone(), |(_, v)| v.clone())
            })
            .collect();
        assert!(
            !args.iter().any(|a| a.starts_with('$')),
            "unknown placeholder in {args:?} (known: {passes:?})"
        );
        let o = gg().args(&args).output().expect("runs");
        let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        let line = step.args.join(" ");
        match &step.expect_error {
            Some(text) => {
                assert!(!o.status.success(), "`{line}` should fail");
                assert!(err.contains(text.as_str()), "`{line}`: expected `{text}` in: {err}");
                assert!(!err.contains("panicked"), "{err}");
            }
            None => assert!(o.status.success(), "`{line}` failed: {err}"),
        }
        let cmd = step.args[1].as_str();
        if cmd == "new" {
            assert!(out.contains("Team passphrases"), "{out}");
            for line in out.lines().filter(|l| l.starts_with("  ")) {
                let mut w = line.split_whitespace();
                if let (Some(team), Some(pass)) = (w.next(), w.next()) {
                    passes.push((format!("${}_PASS", team.to_uppercase()), pass.to_string()));
                }
            }
            assert_eq!(passes.len(), 4, "{out}");
            assert!(key_of(&dir).is_file() && !dir.join(key_of(&dir).file_name().unwrap()).exists());
        }
        if step.expect_error.is_some() {
            continue;
        }
        if cmd == "view" && step.args.contains(&"pakistan".to_string()) {
            // Its own order, and only whether the others submitted.
            assert!(out.contains("yours: action cross_border_strikes"), "{out}");
            assert!(
                out.contains("us (submitted), taliban (submitted), china (waiting)"),
                "{out}"
            );
            for secret in ["restrain_aq", "recognition = conditional", "humanitarian_aid = 1"] {
                assert!(!out.contains(secret), "pakistan's view leaks `{secret}`:\n{out}");
            }
            assert!(out.contains("≈"), "hidden variables appear as estimates:\n{out}");
        }
        if cmd == "view" && step.args.contains(&"taliban".to_string()) {
            assert!(out.contains("YOUR MENU") && out.contains("restrain_aq"), "{out}");
            // The Taliban own taliban_cohesion: no estimate for it.
            let line = out.lines().find(|l| l.contains("Taliban internal cohesion")).unwrap();
            assert!(!line.contains('≈'), "{line}");
        }
        if cmd == "status" {
            assert!(out.contains("3 of 4 teams submitted"), "{out}");
            assert!(
                !out.contains("cross_border_strikes"),
                "status shows only who submitted: {out}"
            );
        }
        if cmd == "preview" || cmd == "adjudicate" {
            // What may go on the projector comes first; hidden true values only under their own heading.
            let (public, secret) = out.split_once("white cell only").expect("a white-cell-only section");
            for hidden in ["ISIS-K fighters", "Taliban internal cohesion"] {
                assert!(
                    !public.contains(hidden),
                    "`{hidden}` outside the white-cell section:\n{out}"
                );
                assert!(secret.contains(hidden), "{out}");
            }
        }
        if cmd == "preview" {
            assert!(
                out.contains("White cell preview") && out.contains("(team's order)"),
                "{out}"
            );
            assert!(out.contains("EVENTS THIS TURN") && out.contains('%'), "{out}");
        }
        if cmd == "adjudicate" {
            adjudications += 1;
            assert!(
                out.contains("WHAT EACH ACTOR DID") && out.contains("WHAT HAPPENED"),
                "{out}"
            );
            assert!(out.contains("P = "), "each die with its probability: {out}");
            for chart in ["dice.png", "trajectory.png"] {
                let png = dir.join("turns").join(format!("turn-{adjudications:02}")).join(chart);
                assert!(png.is_file(), "missing {}", png.display());
            }
            if step.args.iter().any(|a| a == "--override") {
                assert!(out.contains("[white-cell override]"), "{out}");
                assert!(out.contains("because: inject: a border post is overrun"), "{out}");
            }
        }
        if cmd == "replay" {
            assert!(
                out.contains("replay OK") && out.contains("turn 4 (2026Q4): identical"),
                "{out}"
            );
        }
    }
    assert_eq!(adjudications, 4);

    // The after-action review.
    let report = dir.join("report");
    let html = fs::read_to_string(report.join("report.html")).unwrap();
    for needle in [
        "Timeline",
        "Luck versus choice",
        "better than",
        "data:image/png;base64,",
        "inject: a border post is overrun",
        "Conditional scenarios, not forecasts",
    ] {
        assert!(html.contains(needle), "report.html lacks `{needle}`");
    }
    // The game ran 2026Q1-2026Q4: the review says so, not the scenario's 2030.
    // (">+0.0000<": a zero rounded and signed as a whole cell; "+0.000073" is a real small number.)
    for wrong in ["end-2030", "2026-2030", "2021-2030", "-0%", ">+0.0000<"] {
        assert!(!html.contains(wrong), "report.html says `{wrong}`");
    }
    assert!(html.contains("2026Q1–2026Q4") && html.contains("at the end of 2026Q4"));
    for chart in ["played_vs_fan", "luck_vs_choice"] {
        for ext in ["png", "svg"] {
            let f = report.join("charts").join(format!("{chart}.{ext}"));
            assert!(
                fs::metadata(&f).map(|m| m.len() > 1000).unwrap_or(false),
                "missing {}",
                f.display()
            );
        }
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(report.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["complete"], true);
    assert_eq!(manifest["seed"], 2026);
    assert_eq!(manifest["trials"], 1000);
    let d: serde_json::Value = serde_json::from_str(&fs::read_to_string(report.join("debrief.json")).unwrap()).unwrap();
    assert_eq!(d["turns_played"], 4);
    let outcomes = d["outcomes"].as_array().unwrap();
    assert!(outcomes.len() >= 10);
    for o in outcomes {
        let per = o["per_turn"].as_array().unwrap();
        assert_eq!(per.len(), 4);
        let (below, tied, above) = (
            o["below"].as_f64().unwrap(),
            o["tied"].as_f64().unwrap(),
            o["above"].as_f64().unwrap(),
        );
        assert!((below + tied + above - 1.0).abs() < 1e-9 && tied >= -1e-12, "{o}");
        let sum: f64 = per.iter().map(|x| x[0].as_f64().unwrap()).sum();
        assert!((sum - o["choice_total"].as_f64().unwrap()).abs() < 1e-9);
        // Only turn 2 had an override.
        for (t, x) in per.iter().enumerate() {
            if t != 1 {
                assert_eq!(x[2].as_f64().unwrap(), 0.0, "white cell outside turn 2: {o}");
            }
        }
        // The table's verdict follows the shares.
        let total = |k: &str| o[k].as_f64().unwrap();
        let verdict = mostly(total("choice_total"), total("luck_total"), total("white_cell_total"));
        let label = o["label"].as_str().unwrap().replace('&', "&amp;");
        let row = html
            .lines()
            .rfind(|l| l.starts_with(&format!("<tr><td>{label}</td>")))
            .unwrap_or_else(|| panic!("no luck-versus-choice row for {label}"));
        assert!(row.ends_with(&format!("<td>{verdict}</td></tr>")), "{row}");
        if o["id"] == "pak_afg_clashes" {
            let w = per[1][2].as_f64().unwrap();
            assert!(w == 0.0 || w == 1.0, "forcing a clash adds 0 or 1 clashes: {w}");
        }
    }
}

#[test]
fn a_hand_edited_log_is_detected_with_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("g");
    small_game(&dir, "3", None);
    let log = dir.join("log.jsonl");
    let text = fs::read_to_string(&log).unwrap();
    assert_eq!(text.lines().count(), 5);
    // Change the Taliban's first order (line 3, sealed) after the fact.
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[2].contains("\"team\":\"taliban\""), "{}", lines[2]);
    let edited = text.replacen(lines[2], &lines[2].replacen("\"ct\":\"", "\"ct\":\"A", 1), 1);
    assert_ne!(edited, text);
    fs::write(&log, edited).unwrap();
    for args in [vec!["status"], vec!["replay"], vec!["view", "--team", "us"]] {
        let (success, _, err) = wg(&dir, &args);
        assert!(!success);
        assert!(err.contains("log.jsonl:3:") && err.contains("edited"), "{err}");
    }
    // A deleted record in the middle breaks the chain at the next one.
    let lines: Vec<&str> = text.lines().collect();
    fs::write(&log, format!("{}\n{}\n{}\n", lines[0], lines[2], lines[3])).unwrap();
    let (success, _, err) = wg(&dir, &["status"]);
    assert!(!success);
    assert!(err.contains("log.jsonl:2:") && err.contains("sequence"), "{err}");
}

#[test]
fn a_torn_last_record_is_dropped_as_the_command_in_flight() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("g");
    small_game(&dir, "4", None);
    let log = dir.join("log.jsonl");
    let text = fs::read_to_string(&log).unwrap();
    // kill -9 in the middle of writing the last record (orders for turn 2),
    // plus the stray temporary file such a crash can leave.
    fs::write(&log, &text[..text.len() - 30]).unwrap();
    fs::write(dir.join(".log.jsonl.tmp-99999"), "partial").unwrap();
    let (success, out, err) = wg(&dir, &["status"]);
    assert!(success, "{err}");
    assert!(
        err.contains("warning") && err.contains("log.jsonl:5:") && err.contains("dropped"),
        "{err}"
    );
    assert!(
        out.contains("Turn 2 of 2") && out.contains("0 of 2 teams submitted"),
        "{out}"
    );
    // The next command rewrites the log without the torn record.
    ok(&dir, &["orders", "--team", "taliban", "--action", "crack_down_isisk"]);
    let (success, _, err) = wg(&dir, &["replay"]);
    assert!(success && !err.contains("warning"), "{err}");
    let again = fs::read_to_string(&log).unwrap();
    assert_eq!(again, text, "re-submitting the lost order gives back the same log");
}

#[test]
fn same_seed_and_orders_give_the_same_log_and_another_seed_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("c"));
    small_game(&a, "11", None);
    small_game(&b, "11", Some(&a));
    small_game(&c, "12", Some(&a));
    let read = |d: &Path| fs::read(d.join("log.jsonl")).unwrap();
    assert_eq!(read(&a), read(&b));
    assert_ne!(read(&a), read(&c));
    // And the game can be resumed from the log alone.
    ok(&a, &["adjudicate", "--no-charts"]);
    ok(&b, &["adjudicate", "--no-charts"]);
    assert_eq!(read(&a), read(&b));
}

#[test]
fn replay_fails_loudly_when_a_re_chained_log_no_longer_recomputes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("g");
    small_game(&dir, "5", None);
    // A forger who edits a result and recomputes the hash chain.
    let forged = tmp.path().join("forged");
    fs::create_dir(&forged).unwrap();
    fs::copy(dir.join("scenario.ron"), forged.join("scenario.ron")).unwrap();
    // The forger holds the white-cell key (the only way to reseal a turn).
    fs::copy(key_of(&dir), key_of(&forged)).unwrap();
    let key = WhiteKey::read(&key_of(&dir)).unwrap();
    let log = Log::open(&dir).unwrap();
    let mut out = Log::create(&forged);
    for e in &log.entries {
        let mut data = e.data.clone();
        if e.kind == "turn" {
            let mut entry: TurnEntry = serde_json::from_value(data).unwrap();
            let ctx = turn_context(entry.turn);
            let mut rec: TurnRec = open(&key.seal_key(), &ctx, &entry.sealed).unwrap();
            rec.result.state.vars[0] += 0.01;
            entry.sealed = seal(&key.seal_key(), &ctx, &rec).unwrap();
            data = serde_json::to_value(&entry).unwrap();
        }
        out.append(&e.kind, &data).unwrap();
    }
    let (success, _, err) = wg(&forged, &["replay"]);
    assert!(!success);
    assert!(
        err.contains("gives a different result") && err.contains("turn 1"),
        "{err}"
    );
}

#[test]
fn bad_input_gets_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("g");
    let (success, _, err) = wg(&dir, &["new", "--teams", "us,talibn"]);
    assert!(!success && err.contains("did you mean `taliban`"), "{err}");
    let (success, _, err) = wg(&dir, &["new", "--teams", "us", "--turns", "500"]);
    assert!(!success && err.contains("--turns must be between 1 and"), "{err}");
    let (success, _, err) = wg(&dir, &["status"]);
    assert!(!success && err.contains("no game at"), "{err}");
    ok(&dir, &["new", "--teams", "us,taliban", "--turns", "2"]);
    let (success, _, err) = wg(&dir, &["new", "--teams", "us"]);
    assert!(!success && err.contains("already holds a game"), "{err}");
    let cases: &[(&[&str], &str)] = &[
        (
            &["orders", "--team", "us", "--set", "recogniton=formal"],
            "did you mean `recognition`",
        ),
        (
            &["orders", "--team", "us", "--set", "recognition=fromal"],
            "did you mean `formal`",
        ),
        (
            &["orders", "--team", "us", "--set", "humanitarian_aid=9"],
            "outside lever",
        ),
        (&["orders", "--team", "us"], "nothing to submit"),
        (
            &["orders", "--team", "taliban", "--set", "recognition=formal"],
            "only the US team sets levers",
        ),
        (
            &["adjudicate", "--override", "pak_afg_wr=yes", "--reason", "x"],
            "did you mean `pak_afg_war`",
        ),
        (&["adjudicate", "--override", "pak_afg_war=yes"], "needs a reason"),
        (
            &["adjudicate", "--override", "pak_afg_war=maybe", "--reason", "x"],
            "yes, no or a number",
        ),
        (&["report"], "no turn has been adjudicated"),
    ];
    for (args, text) in cases {
        let (success, _, err) = wg(&dir, args);
        assert!(!success, "{args:?} should fail");
        assert!(err.contains(text), "{args:?}: expected `{text}` in {err}");
    }
    // Nothing above changed the game.
    assert_eq!(fs::read_to_string(dir.join("log.jsonl")).unwrap().lines().count(), 1);
}

#[test]
fn the_play_loop_runs_a_piped_script() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("g");
    ok(&dir, &["new", "--teams", "us,taliban", "--turns", "2", "--seed", "8"]);
    // `turn` asks the US for levers and an action, then the Taliban for actions (menu number 1: the Taliban's
    // menu starts with its `security` line, without an explicit hold since it has lines of effort).
    let script = "status\nview taliban\nturn\nrecognition=conditional humanitarian_aid=1\n\n1\n\
                  orders taliban --action nonsense\npreview 50\nadjudicate\nstatus\nquit\n";
    let o = gg()
        .args(["wargame", "play", "--game"])
        .arg(&dir)
        .arg("--key")
        .arg(key_of(&dir))
        .write_stdin(script)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        out.contains("Orders recorded for us.") && out.contains("Orders recorded for taliban."),
        "{out}"
    );
    assert!(
        out.contains("error: Taliban (Islamic Emirate) has no action `nonsense`"),
        "{out}"
    );
    assert!(
        out.contains("White cell preview") && out.contains("=== Turn 1 of 2"),
        "{out}"
    );
    assert!(out.contains("turn 2 (2026Q2)> "), "{out}");
    assert!(
        out.contains("crack_down_isisk") && out.contains("team's order"),
        "{out}"
    );
    let replay = ok(&dir, &["replay"]);
    assert!(replay.contains("turn 1 (2026Q1): identical"), "{replay}");
    // The same log as the separate commands would have written.
    let twin = tmp.path().join("twin");
    fs::copy(key_of(&dir), key_of(&twin)).unwrap();
    let k = key_of(&twin).to_string_lossy().into_owned();
    ok(
        &twin,
        &[
            "new",
            "--teams",
            "us,taliban",
            "--turns",
            "2",
            "--seed",
            "8",
            "--key",
            &k,
        ],
    );
    ok(
        &twin,
        &[
            "orders",
            "--team",
            "us",
            "--set",
            "recognition=conditional",
            "--set",
            "humanitarian_aid=1",
        ],
    );
    ok(&twin, &["orders", "--team", "taliban", "--action", "crack_down_isisk"]);
    ok(&twin, &["adjudicate", "--no-charts"]);
    assert_eq!(
        fs::read(dir.join("log.jsonl")).unwrap(),
        fs::read(twin.join("log.jsonl")).unwrap()
    );
}

#[test]
fn kill_9_at_any_moment_loses_at_most_the_command_in_flight() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("g");
    ok(&dir, &["new", "--teams", "us,taliban", "--turns", "3", "--seed", "9"]);
    let bin = assert_cmd::cargo::cargo_bin("greatgame");
    let mut records = 1;
    for k in 0..24u64 {
        let args: Vec<String> = if k % 3 == 2 {
            vec!["adjudicate".into(), "--no-charts".into()]
        } else {
            vec![
                "orders".into(),
                "--team".into(),
                "taliban".into(),
                "--action".into(),
                "restrain_aq".into(),
            ]
        };
        let mut child = std::process::Command::new(&bin)
            .arg("wargame")
            .args(&args)
            .arg("--game")
            .arg(&dir)
            .arg("--key")
            .arg(key_of(&dir))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(k * 3 % 40));
        let _ = child.kill(); // SIGKILL on Unix
        let _ = child.wait();
        let (success, out, err) = wg(&dir, &["status"]);
        assert!(success, "after a kill the game must reopen: {err}");
        assert!(out.contains("Turn") || out.contains("over"), "{out}");
        let n = fs::read_to_string(dir.join("log.jsonl")).unwrap().lines().count();
        assert!(n == records || n == records + 1, "{records} records before, {n} after");
        records = n;
    }
    ok(&dir, &["replay"]);
}

/// `wargame new` anchors the history to a start at the decision date (and says so), `--free-history` and an
/// earlier start run free (and say why), and `replay` recomputes each start from the game folder alone.
#[test]
fn a_game_says_whether_its_history_is_anchored_and_replay_recomputes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&str, &[&str], &str); 3] = [
        (
            "anchored",
            &[],
            "History to 2026Q1: the status quo, anchored to the known present",
        ),
        (
            "free",
            &["--free-history"],
            "History to 2026Q1: the status quo, running free (not anchored to the known present: --free-history",
        ),
        (
            "early",
            &["--start", "2024Q1"],
            "History to 2024Q1: the status quo, running free (not anchored to the known present: the game starts \
             before the decision date",
        ),
    ];
    for (name, extra, says) in cases {
        let dir = tmp.path().join(name);
        let mut args = vec!["new", "--teams", "us,taliban", "--turns", "1", "--seed", "4"];
        args.extend_from_slice(extra);
        let out = ok(&dir, &args);
        assert!(out.contains(says), "{name}: {out}");
        let replay = ok(&dir, &["replay"]);
        let history = if name == "anchored" {
            "anchored to the known present"
        } else {
            "running free"
        };
        assert!(
            replay.contains("start state") && replay.contains(history),
            "{name}: {replay}"
        );
    }
}
