//! Secrecy of the file-based wargame: what a student who can read the game
//! folder (but holds no key) can learn, and what each credential may do.

use assert_cmd::Command;
use greatgame::plot::render::fmt_num;
use greatgame::wargame::game::{Game, OrdersEntry, OrdersRec, orders_context};
use greatgame::wargame::keys::{WhiteKey, seal};
use greatgame::wargame::log::Log;
use std::fs;
use std::path::{Path, PathBuf};

fn run(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut cmd = Command::cargo_bin("greatgame").unwrap();
    cmd.env_remove("GREATGAME_PASSPHRASE")
        .env_remove("GREATGAME_WHITECELL_KEY")
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn ok(args: &[&str]) -> String {
    let (success, out, err) = run(args, &[]);
    assert!(success, "`{}` failed: {err}", args.join(" "));
    out
}

struct Class {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    key: PathBuf,
    /// (team, passphrase) as `new` printed them.
    passes: Vec<(String, String)>,
}

impl Class {
    fn new(teams: &str, seed: &str) -> Class {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("shared").join("class");
        fs::create_dir_all(dir.parent().unwrap()).unwrap();
        let key = tmp.path().join("instructor.key");
        let out = ok(&[
            "wargame",
            "new",
            "--teams",
            teams,
            "--turns",
            "3",
            "--seed",
            seed,
            "--game",
            s(&dir),
            "--key-out",
            s(&key),
        ]);
        let passes = out
            .lines()
            .skip_while(|l| !l.starts_with("Team passphrases"))
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .map(|l| {
                let mut w = l.split_whitespace();
                (w.next().unwrap().to_string(), w.next().unwrap().to_string())
            })
            .collect();
        Class {
            _tmp: tmp,
            dir,
            key,
            passes,
        }
    }

    fn pass(&self, team: &str) -> &str {
        &self.passes.iter().find(|(t, _)| t == team).unwrap().1
    }

    /// `wargame CMD --game DIR` plus `extra`.
    fn cmd(&self, cmd: &str, extra: &[&str]) -> (bool, String, String) {
        let mut args = vec!["wargame", cmd, "--game", s(&self.dir)];
        args.extend_from_slice(extra);
        run(&args, &[])
    }

    fn as_team(&self, cmd: &str, team: &str, extra: &[&str]) -> String {
        let mut args = vec!["--team", team, "--passphrase", self.pass(team)];
        args.extend_from_slice(extra);
        let (success, out, err) = self.cmd(cmd, &args);
        assert!(success, "{cmd} as {team}: {err}");
        out
    }

    fn white(&self, cmd: &str, extra: &[&str]) -> String {
        let mut args = vec!["--key", s(&self.key)];
        args.extend_from_slice(extra);
        let (success, out, err) = self.cmd(cmd, &args);
        assert!(success, "{cmd} as the white cell: {err}");
        out
    }

    fn log_text(&self) -> String {
        fs::read_to_string(self.dir.join("log.jsonl")).unwrap()
    }

    /// The white cell's view of the game (holds the folder's lock until dropped).
    fn game(&self) -> Game {
        Game::open(&self.dir, &WhiteKey::read(&self.key).unwrap()).unwrap()
    }

    /// What must stay secret now: every true hidden value and uncertain
    /// parameter, and the labels of the hidden variables.
    fn secrets(&self) -> (Vec<(String, f64)>, Vec<String>) {
        let game = self.game();
        let labels = game
            .config
            .hidden
            .iter()
            .map(|h| game.model().vars.iter().find(|v| v.id == h.var).unwrap().label.clone())
            .collect();
        (truths(&game), labels)
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The ways the code writes a number (JSON, the views' `fmt_num`, three decimals).
fn spellings(x: f64) -> Vec<String> {
    [serde_json::to_string(&x).unwrap(), fmt_num(x), format!("{x:.3}")]
        .into_iter()
        .filter(|t| t.len() >= 5)
        .collect()
}

/// Every true value of a hidden variable and every uncertain parameter in `game`'s current state.
fn truths(game: &Game) -> Vec<(String, f64)> {
    let model = game.model();
    let mut out: Vec<(String, f64)> = game
        .config
        .hidden
        .iter()
        .map(|h| {
            let v = model.vars.iter().position(|x| x.id == h.var).unwrap();
            (h.var.clone(), game.state.vars[v])
        })
        .collect();
    for (p, x) in model.params.iter().zip(&game.state.params) {
        out.push((p.id.clone(), *x));
    }
    out
}

fn assert_no_secret_in(text: &str, where_: &str, truths: &[(String, f64)], secrets: &[&str]) {
    for word in secrets {
        assert!(!text.contains(word), "{where_} shows `{word}`");
    }
    for (name, x) in truths {
        let x = *x;
        for spelled in spellings(x) {
            assert!(!text.contains(&spelled), "{where_} shows the true {name} ({spelled})");
        }
    }
    for word in ["\"seed\"", "start_state", "\"vars\"", "\"params\"", "\"u\":", "\"p\":"] {
        assert!(!text.contains(word), "{where_} holds `{word}`");
    }
}

#[test]
fn the_log_holds_no_pending_order_and_no_hidden_truth() {
    let c = Class::new("us,taliban,pakistan", "31");
    c.as_team("orders", "taliban", &["--action", "restrain_aq"]);
    c.as_team("orders", "pakistan", &["--action", "cross_border_strikes"]);
    c.as_team(
        "orders",
        "us",
        &["--set", "recognition=conditional", "--set", "humanitarian_aid=1.3"],
    );
    let pending = [
        "restrain_aq",
        "cross_border_strikes",
        "conditional",
        "recognition",
        "humanitarian_aid",
        "1.3",
    ];
    assert_eq!(c.game().pending.len(), 3, "the white cell opens every team's orders");
    let (truth, _) = c.secrets();
    assert_no_secret_in(&c.log_text(), "log.jsonl with pending orders", &truth, &pending);
    // A team's estimates are sealed to it as well.
    let view = c.as_team("view", "pakistan", &[]);
    let estimates: Vec<String> = view
        .lines()
        .filter_map(|l| {
            l.split_once("≈ ")
                .map(|(_, r)| r.split_whitespace().next().unwrap().to_string())
        })
        .filter(|x| x.len() >= 5)
        .collect();
    assert!(estimates.len() >= 4, "{view}");
    let log = c.log_text();
    for e in &estimates {
        assert!(!log.contains(e.as_str()), "the log shows pakistan's estimate {e}");
    }

    // After adjudication: the turn, its dice and the new state are sealed too.
    c.white("adjudicate", &[]);
    c.as_team("orders", "taliban", &["--action", "crack_down_isisk"]);
    let (truth, labels) = c.secrets();
    assert_no_secret_in(&c.log_text(), "log.jsonl after a turn", &truth, &["crack_down_isisk"]);
    // Nor does anything else in the shared folder show the hidden truth (the
    // turn's charts are for the projector: public variables only).
    let traj = fs::read_to_string(c.dir.join("turns/turn-01/trajectory.svg")).unwrap();
    for label in labels {
        assert!(
            !traj.contains(label.as_str()),
            "the shared trajectory chart draws {label}"
        );
    }
    // No text file in the folder names the seed (from which everything follows).
    let mut stack = vec![c.dir.clone()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|x| x == "svg" || x == "jsonl" || x == "json" || x == "html")
            {
                let text = fs::read_to_string(&p).unwrap();
                assert!(
                    !text.contains("seed 31") && !text.contains("\"seed\""),
                    "{} names the seed",
                    p.display()
                );
            }
        }
    }
    // Which calibrated-ensemble member the game runs on is sealed with the seed.
    let g = c.game();
    let m = g
        .config
        .member
        .as_ref()
        .expect("a game of the built-in scenario runs on an ensemble member");
    assert!(m.members > 1 && m.index < m.members);
    let log = c.log_text();
    assert!(!log.contains("quantiles") && !log.contains(&m.ensemble_sha256) && !log.contains("\"member\""));
    assert!(
        !log.contains(&format!("{}", m.quantiles[0])),
        "the log shows the member's coefficients"
    );
}

#[test]
fn each_credential_opens_only_what_it_should() {
    let c = Class::new("us,taliban,china", "32");
    let other = Class::new("us,taliban,china", "32");
    c.as_team("orders", "taliban", &["--action", "restrain_aq"]);

    // Another team's view or orders with a team's passphrase: refused.
    let (success, out, err) = c.cmd("view", &["--team", "taliban", "--passphrase", c.pass("us")]);
    assert!(!success && out.is_empty(), "{out}");
    assert!(
        err.contains("refused") && err.contains("team `us`'s passphrase"),
        "{err}"
    );
    let (success, _, err) = c.cmd(
        "orders",
        &[
            "--team",
            "china",
            "--passphrase",
            c.pass("taliban"),
            "--action",
            "invest",
        ],
    );
    assert!(!success && err.contains("refused"), "{err}");
    // A wrong or missing passphrase, or one from another game.
    for bad in ["aaaa-bbbb-cccc-dddd-eeee-ffff", other.pass("taliban")] {
        let (success, _, err) = c.cmd("view", &["--team", "taliban", "--passphrase", bad]);
        assert!(!success && err.contains("wrong passphrase for team `taliban`"), "{err}");
    }
    let (success, _, err) = c.cmd("view", &["--team", "taliban"]);
    assert!(!success && err.contains("--passphrase"), "{err}");
    // The passphrase also comes from the environment.
    let (success, out, err) = run(
        &["wargame", "view", "--game", s(&c.dir), "--team", "taliban"],
        &[("GREATGAME_PASSPHRASE", c.pass("taliban"))],
    );
    assert!(success && out.contains("yours: action restrain_aq"), "{err}");
    // Typed in capitals with spaces: still the passphrase.
    let typed = c.pass("china").to_uppercase().replace('-', " ");
    let (success, _, err) = c.cmd("view", &["--team", "china", "--passphrase", &typed]);
    assert!(success, "{err}");

    // White-cell commands without the key, or with another game's key: refused.
    for cmd in ["preview", "adjudicate", "report", "replay", "passphrases", "play"] {
        let (success, _, err) = c.cmd(cmd, &[]);
        assert!(!success, "{cmd} ran without the key");
        assert!(err.contains("white cell only") && err.contains("--key"), "{cmd}: {err}");
        let (success, _, err) = c.cmd(cmd, &["--key", s(&other.key)]);
        assert!(!success && err.contains("does not belong"), "{cmd}: {err}");
    }
    assert!(c.white("status", &[]).contains("game seed 32"));
    assert!(
        !c.cmd("status", &[]).1.contains("seed"),
        "status without the key shows no seed"
    );
    // The white cell sees any team's view and prints the passphrases again.
    assert!(
        c.white("view", &["--team", "taliban"])
            .contains("yours: action restrain_aq")
    );
    let again = c.white("passphrases", &[]);
    for (team, pass) in &c.passes {
        assert!(
            again.contains(team.as_str()) && again.contains(pass.as_str()),
            "{again}"
        );
    }
    // A mid-game report would put the truth in the shared folder: it must go elsewhere.
    c.white("adjudicate", &["--no-charts"]);
    let (success, _, err) = c.cmd("report", &["--key", s(&c.key)]);
    assert!(!success && err.contains("--out"), "{err}");
    assert!(!c.dir.join("report").exists());
    c.white("replay", &[]);
}

#[test]
fn a_team_cannot_forge_another_teams_orders() {
    let c = Class::new("us,taliban", "33");
    c.as_team("orders", "us", &["--set", "humanitarian_aid=1"]);
    // A US student appends, in the log's own format, "Taliban orders" sealed
    // with the only key it has: its own.
    let key = WhiteKey::read(&c.key).unwrap();
    let us = key.passphrase(33, "us");
    let forged = OrdersRec {
        turn: 1,
        team: "taliban".into(),
        levers: vec![],
        action: Some("ease_restrictions".into()),
        more_actions: vec![],
    };
    {
        let _lock = greatgame::wargame::log::GameLock::exclusive(&c.dir).unwrap();
        let mut log = Log::open(&c.dir).unwrap();
        let sealed = seal(&us.seal_key("us"), &orders_context(1, "taliban"), &forged).unwrap();
        log.append(
            "orders",
            &OrdersEntry {
                turn: 1,
                team: "taliban".into(),
                sealed,
            },
        )
        .unwrap();
    }
    let (success, _, err) = c.cmd("adjudicate", &["--key", s(&c.key)]);
    assert!(!success, "a forged order was adjudicated");
    assert!(
        err.contains("log.jsonl:3") && err.contains("does not open with the key of the team `taliban`"),
        "{err}"
    );
}

#[test]
fn the_key_file_stays_outside_the_game_and_is_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("g");
    let base = ["wargame", "new", "--teams", "us", "--game", s(&dir)];
    let with = |extra: &[&str]| {
        let mut a = base.to_vec();
        a.extend_from_slice(extra);
        run(&a, &[])
    };
    let (success, _, err) = with(&[]);
    assert!(!success && err.contains("--key-out"), "{err}");
    let inside = dir.join("white.key");
    let (success, _, err) = with(&["--key-out", s(&inside)]);
    assert!(!success && err.contains("inside the game folder"), "{err}");
    assert!(!dir.exists());
    let existing = tmp.path().join("notes.txt");
    fs::write(&existing, "my notes").unwrap();
    let (success, _, err) = with(&["--key-out", s(&existing)]);
    assert!(!success && err.contains("never overwrites"), "{err}");
    assert_eq!(fs::read_to_string(&existing).unwrap(), "my notes");
    assert!(!dir.exists());
    let (success, _, err) = with(&["--key", s(&existing)]);
    assert!(!success && err.contains("not a white-cell key file"), "{err}");
}

/// `wargame messages`: a team reads with its passphrase exactly the messages it sent or received (through the
/// same opening function as the server's pages), never another team's; the white cell reads every message.
#[test]
fn a_team_reads_its_own_messages_and_no_one_elses() {
    let c = Class::new("us,taliban,china", "31");
    {
        // Messages are sent through the white cell's machine (the server); the library call it makes.
        let mut g = c.game();
        g.send_message("us", "taliban", "US-TO-TALIBAN: talks in Doha?")
            .unwrap();
        g.send_message("china", "us", "CHINA-TO-US: a private word").unwrap();
        g.send_message("taliban", "white", "TALIBAN-TO-WHITE: a question for the umpire")
            .unwrap();
        g.send_message("white", "all", "WHITE-TO-ALL: ten minutes left\nsecond line")
            .unwrap();
    }
    let tb = c.as_team("messages", "taliban", &[]);
    for seen in ["US-TO-TALIBAN", "TALIBAN-TO-WHITE", "WHITE-TO-ALL", "    second line"] {
        assert!(tb.contains(seen), "taliban should read {seen}: {tb}");
    }
    assert!(
        !tb.contains("CHINA-TO-US"),
        "taliban read a message between china and us: {tb}"
    );
    assert!(tb.contains("#1 turn 1, us → taliban:"), "{tb}");
    assert!(tb.contains("Messages for team taliban (3)"), "{tb}");

    let us = c.as_team("messages", "us", &[]);
    assert!(us.contains("US-TO-TALIBAN") && us.contains("CHINA-TO-US") && us.contains("WHITE-TO-ALL"));
    assert!(!us.contains("TALIBAN-TO-WHITE"), "{us}");

    // China has one message of its own, and a broadcast.
    let cn = c.as_team("messages", "china", &[]);
    assert!(cn.contains("CHINA-TO-US") && cn.contains("WHITE-TO-ALL"), "{cn}");
    assert!(
        !cn.contains("US-TO-TALIBAN") && !cn.contains("TALIBAN-TO-WHITE"),
        "{cn}"
    );

    // Another team's passphrase opens nothing of the team it names; a wrong one neither.
    let (success, out, err) = c.cmd("messages", &["--team", "taliban", "--passphrase", c.pass("china")]);
    assert!(!success && out.is_empty(), "{out}");
    assert!(err.contains("that is team `china`'s passphrase"), "{err}");
    let (success, _, err) = c.cmd("messages", &["--team", "us"]);
    assert!(!success && err.contains("passphrase is needed"), "{err}");
    // Every message needs the key: a passphrase without --team is refused, and so is nothing at all.
    let (success, _, err) = c.cmd("messages", &["--passphrase", c.pass("us")]);
    assert!(!success && err.contains("--team"), "{err}");
    let (success, _, err) = c.cmd("messages", &[]);
    assert!(!success && err.contains("white cell only"), "{err}");

    // The white cell reads all four, and any team's with its key.
    let all = c.white("messages", &[]);
    for m in ["US-TO-TALIBAN", "CHINA-TO-US", "TALIBAN-TO-WHITE", "WHITE-TO-ALL"] {
        assert!(all.contains(m), "{all}");
    }
    assert!(all.contains("(4)"), "{all}");
    assert_eq!(c.white("messages", &["--team", "taliban"]), tb);
    // Nothing readable in the folder gives a message away.
    let log = c.log_text();
    for m in ["US-TO-TALIBAN", "CHINA-TO-US", "Doha"] {
        assert!(!log.contains(m), "{m} in the log in plain text");
    }
}
