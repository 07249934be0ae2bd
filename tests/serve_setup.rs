//! Making the game from the browser: `greatgame serve` on a folder without a game serves the white cell's
//! set-up page (its key file made if missing), makes the game with `wargame new`'s own function — the same log,
//! byte for byte, as `wargame new --key` with the same choices — prints and shows the team URLs, shows the
//! passphrases once, and refuses what `wargame new` refuses.

mod serve_common;

use serve_common::*;
use std::path::Path;
use std::process::Command;

/// The passphrases in a page's `wargame new` text (`  team  pass` lines inside <pre>).
fn passphrases(page: &str) -> Vec<(String, String)> {
    let pre = &page[page.find("<pre>").expect("a <pre> with wargame new's text")..];
    pre.lines()
        .skip_while(|l| !l.contains("Team passphrases"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| {
            let mut w = l.split_whitespace();
            (w.next().unwrap().to_string(), w.next().unwrap().to_string())
        })
        .collect()
}

fn serve_output(game: &Path, key: &Path, extra: &[&str]) -> (bool, String) {
    let o = Command::new(bin())
        .args(["serve", "--bind", "127.0.0.1:0", "--game"])
        .arg(game)
        .arg("--key")
        .arg(key)
        .args(extra)
        .env_remove("GREATGAME_WHITECELL_KEY")
        .output()
        .unwrap();
    (o.status.success(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn the_white_cell_makes_the_game_in_the_browser() {
    let root = tempfile::tempdir().unwrap();
    let game = root.path().join("class");
    let key = root.path().join("white.key");
    let srv = Server::start(&game, &key, "127.0.0.1:0");
    let setup = srv.white().to_string();
    assert!(setup.contains("/setup/"), "{setup}");
    // The key was made as `wargame new --key-out` makes it; nothing was written in the game's place yet.
    let key_text = std::fs::read_to_string(&key).unwrap();
    assert!(key_text.contains("white-cell key"), "{key_text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert!(!game.exists());

    let a = agent();
    let (st, form) = get(&a, &setup);
    assert_eq!(st, 200);
    assert!(
        form.contains("make the game") && form.contains("value=\"taliban\""),
        "{form}"
    );
    // Another token, a team route and the white cell's route lead nowhere before the game exists.
    let wrong = setup.replace("/setup/", "/setup/x");
    assert_eq!(get(&a, &wrong).0, 403);
    assert_eq!(get(&a, &format!("{}/team/us/{}/", srv.base, "a".repeat(32))).0, 404);

    // Refusals keep the folder as it was (nothing made) and show the form again with the reason.
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("turns", "3"), ("seed", "1")], "tick at least one actor"),
        (&[("team", "us"), ("turns", "0"), ("seed", "1")], "Number of turns"),
        (&[("team", "us"), ("turns", "3"), ("seed", "-4")], "Seed"),
        (
            &[("team", "us"), ("turns", "999"), ("seed", "1")],
            "--turns must be between",
        ),
    ];
    for (fields, why) in cases {
        let (st, body) = post(&a, &setup, fields);
        assert_eq!(st, 422, "{why}: {body}");
        assert!(body.contains(why), "{why}: {body}");
        assert!(!game.exists(), "{why}: a refused form made the folder");
    }

    // Made: the team links on the page and on the terminal, the passphrases once.
    let fields = [
        ("team", "us"),
        ("team", "taliban"),
        ("team", "pakistan"),
        ("start", "2026Q1"),
        ("turns", "3"),
        ("seed", "77"),
        ("ensemble", "on"),
    ];
    let (st, made) = post(&a, &setup, &fields);
    assert_eq!(st, 200, "{made}");
    assert!(made.contains("The game is made"), "{made}");
    let printed: Vec<(String, String)> = ["us", "taliban", "pakistan", "white cell"]
        .iter()
        .map(|w| (w.to_string(), srv.printed_later(w)))
        .collect();
    for (who, url) in &printed {
        assert!(made.contains(url.as_str()), "{who}'s URL {url} is not on the page");
    }
    let passes = passphrases(&made);
    assert_eq!(passes.len(), 3, "{made}");

    // The same game as `wargame new --key` with the same choices: the log and the scenario copy are identical.
    let other = root.path().join("by-cli");
    let out = Command::new(bin())
        .args([
            "wargame",
            "new",
            "--teams",
            "us,taliban,pakistan",
            "--start",
            "2026Q1",
            "--turns",
            "3",
            "--seed",
            "77",
            "--game",
        ])
        .arg(&other)
        .arg("--key")
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for f in ["log.jsonl", "scenario.ron"] {
        assert_eq!(
            std::fs::read(game.join(f)).unwrap(),
            std::fs::read(other.join(f)).unwrap(),
            "{f} differs from wargame new's"
        );
    }
    // ... and `wargame new` printed the same passphrases.
    let cli = String::from_utf8_lossy(&out.stdout);
    for (t, p) in &passes {
        assert!(cli.contains(&format!("  {t:<10} {p}")), "{t}: {cli}");
    }

    // The game is served: the team's link opens its page; its passphrase works on the command line.
    let us = &printed[0].1;
    let (st, page) = get(&a, us);
    assert_eq!(st, 200);
    assert!(page.contains("Turn 1 of 3"), "{page}");
    let tb_pass = &passes.iter().find(|(t, _)| t == "taliban").unwrap().1;
    let (ok, view, err) = wargame(&game, None, &["view", "--team", "taliban", "--passphrase", tb_pass]);
    assert!(ok && view.contains("2026Q1"), "{err}{view}");

    // The form again (sent twice, a reload): the game is not made twice and the passphrases are not shown
    // again; the set-up link now leads to the white cell's page.
    let white = &printed[3].1;
    let white_path = &white[srv.base.len()..];
    for r in [post(&a, &setup, &fields), get(&a, &setup)] {
        assert_eq!(r.0, 303, "{}", r.1);
    }
    let loc = a.get(&setup).call().unwrap();
    assert_eq!(loc.headers()["location"].to_str().unwrap(), white_path);
    assert_eq!(get(&a, white).0, 200);
    // The Explore page of the game made here opens with the white cell's and a team's token (it reads the
    // game's scenario copy, which did not exist when the server started).
    for url in [white, us] {
        let explore = url.replacen("/white/", "/explore/", 1);
        let explore = match explore.find("/team/") {
            Some(i) => {
                let token = explore.trim_end_matches('/').rsplit('/').next().unwrap().to_string();
                format!("{}/explore/{token}/", &explore[..i])
            }
            None => explore,
        };
        let (st, page) = get(&a, &explore);
        assert_eq!(st, 200, "{explore}: {page}");
        assert!(page.contains("trials"), "{page}");
    }
    drop(srv);

    // Restarted on the game it made: the same links.
    let srv = Server::start(&game, &key, "127.0.0.1:0");
    for (who, url) in &printed {
        let path = &url[url.find("/team/").or_else(|| url.find("/white/")).unwrap()..];
        assert!(srv.urls[who].ends_with(path), "{who}: {} vs {url}", srv.urls[who]);
    }
}

#[test]
fn serve_refuses_what_wargame_new_refuses_and_never_overwrites_a_key() {
    let root = tempfile::tempdir().unwrap();

    // A key file inside the (shared) game folder.
    let game = root.path().join("g1");
    let (ok, err) = serve_output(&game, &game.join("white.key"), &[]);
    assert!(!ok && err.contains("inside the game folder"), "{err}");
    assert!(!game.exists());

    // A folder that holds something else: refused, untouched, and no key is made for it.
    let busy = root.path().join("notes");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("todo.txt"), "mine").unwrap();
    let key = root.path().join("busy.key");
    let (ok, err) = serve_output(&busy, &key, &[]);
    assert!(!ok && err.contains("is not empty"), "{err}");
    assert_eq!(std::fs::read_to_string(busy.join("todo.txt")).unwrap(), "mine");
    assert_eq!(std::fs::read_dir(&busy).unwrap().count(), 1);
    assert!(!key.exists());

    // An existing key file is used, never rewritten; an empty folder is a place for a new game.
    let key = root.path().join("sections.key");
    let out = Command::new(bin())
        .args(["wargame", "new", "--teams", "us", "--turns", "1", "--game"])
        .arg(root.path().join("section-a"))
        .arg("--key-out")
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success());
    let before = std::fs::read(&key).unwrap();
    let empty = root.path().join("section-b");
    std::fs::create_dir(&empty).unwrap();
    let srv = Server::start(&empty, &key, "127.0.0.1:0");
    assert!(srv.white().contains("/setup/"));
    assert_eq!(std::fs::read(&key).unwrap(), before);
    assert_eq!(
        std::fs::read_dir(&empty).unwrap().count(),
        0,
        "serve wrote into the empty folder"
    );

    // A key file that is not a key.
    let bad = root.path().join("bad.key");
    std::fs::write(&bad, "not a key").unwrap();
    let (ok, err) = serve_output(&root.path().join("g2"), &bad, &[]);
    assert!(!ok && err.contains("is not a white-cell key file"), "{err}");
    assert_eq!(std::fs::read_to_string(&bad).unwrap(), "not a key");

    // A scenario that cannot be read: refused before a key is made for the game.
    let key = root.path().join("g3.key");
    let missing = root.path().join("missing.ron");
    let (ok, err) = serve_output(
        &root.path().join("g3"),
        &key,
        &["--scenario", missing.to_str().unwrap()],
    );
    assert!(!ok && err.contains("missing.ron"), "{err}");
    assert!(!key.exists());
}
