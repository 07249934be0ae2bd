//! Kill -9 `greatgame serve` mid-turn and start it again: the game continues where it was (at most the request
//! in flight is lost), the URLs still work (tokens are derived, not stored), and `wargame replay` confirms
//! every turn.

mod serve_common;

use serve_common::*;
use std::time::Duration;

fn orders_records(game: &std::path::Path) -> usize {
    std::fs::read_to_string(game.join("log.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"kind\":\"orders\""))
        .count()
}

#[test]
fn kill_9_mid_turn_then_restart_continues_the_game() {
    let root = tempfile::tempdir().unwrap();
    let (game, key) = new_game(root.path(), "us,taliban", 3, 11);
    let a = agent();

    // Turn 1 played in the browser, turn 2's orders submitted, then the server is killed.
    let mut srv = Server::start(&game, &key, "127.0.0.1:0");
    let tokens: Vec<String> = ["us", "taliban", "white cell"].iter().map(|w| srv.token(w)).collect();
    assert_eq!(
        post(
            &a,
            &format!("{}orders", srv.team("taliban")),
            &[("action:0", "restrain_aq")]
        )
        .0,
        303
    );
    assert_eq!(post(&a, &format!("{}adjudicate", srv.white()), &[]).0, 303);
    assert_eq!(
        post(
            &a,
            &format!("{}orders", srv.team("us")),
            &[("set:recognition", "conditional")]
        )
        .0,
        303
    );
    assert_eq!(
        post(
            &a,
            &format!("{}messages", srv.team("us")),
            &[("to", "taliban"), ("text", "before the crash")]
        )
        .0,
        303
    );
    srv.kill(); // SIGKILL

    // Restarted: same tokens, same turn, the pending order and the message are still there.
    let srv = Server::start(&game, &key, "127.0.0.1:0");
    let again: Vec<String> = ["us", "taliban", "white cell"].iter().map(|w| srv.token(w)).collect();
    assert_eq!(tokens, again, "the URLs handed out survive a restart");
    let (st, page) = get(&a, srv.team("us"));
    assert_eq!(st, 200);
    assert!(
        page.contains("Turn 2 of 3") && page.contains("recognition = conditional"),
        "{page}"
    );
    assert!(get(&a, srv.team("taliban")).1.contains("before the crash"));
    drop(srv);

    // Kill -9 at arbitrary moments while teams submit and the white cell adjudicates: every restart opens a
    // consistent game; every acknowledged submission is in the log.
    for round in 0..6u64 {
        let mut srv = Server::start(&game, &key, "127.0.0.1:0");
        let (us, tb, white) = (
            srv.team("us").to_string(),
            srv.team("taliban").to_string(),
            srv.white().to_string(),
        );
        let before = orders_records(&game);
        let acked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let worker = {
            let acked = acked.clone();
            std::thread::spawn(move || {
                let a = agent();
                for i in 0..40 {
                    let url = if i % 2 == 0 {
                        format!("{us}orders")
                    } else {
                        format!("{tb}orders")
                    };
                    let form: &[(&str, &str)] = if i % 2 == 0 {
                        &[("set:humanitarian_aid", "0.5")]
                    } else {
                        &[("action:0", "restrain_aq")]
                    };
                    match a.post(&url).send_form(form.iter().copied()) {
                        Ok(r) if r.status().as_u16() == 303 => {
                            acked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                        _ => break, // the server is gone
                    }
                }
            })
        };
        std::thread::sleep(Duration::from_millis(20 + 37 * round));
        if round == 3 {
            // One crash during an adjudication.
            let w = white.clone();
            std::thread::spawn(move || {
                let _ = agent()
                    .post(&format!("{w}adjudicate"))
                    .send_form(std::iter::empty::<(&str, &str)>());
            });
            std::thread::sleep(Duration::from_millis(60));
        }
        srv.kill();
        worker.join().unwrap();
        let after = orders_records(&game);
        let acked = acked.load(std::sync::atomic::Ordering::SeqCst);
        // Submissions recorded for the turn in progress: every acknowledged one (at most one more was written
        // but not yet acknowledged when the server died).
        assert!(
            after - before >= acked && after - before <= acked + 1,
            "round {round}: {before} → {after} records, {acked} acknowledged"
        );
        let (ok, out, err) = wargame(&game, Some(&key), &["replay"]);
        assert!(ok, "round {round}: {err}");
        assert!(out.contains("replay OK"), "{out}");
    }

    // Play on to the end, from the browser, then replay confirms every turn.
    let srv = Server::start(&game, &key, "127.0.0.1:0");
    loop {
        let (_, json) = get(&a, &format!("{}state.json", srv.white()));
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        if v["over"] == true {
            break;
        }
        assert_eq!(post(&a, &format!("{}adjudicate", srv.white()), &[]).0, 303);
    }
    let (ok, out, err) = wargame(&game, Some(&key), &["replay"]);
    assert!(ok, "{err}");
    for t in 1..=3 {
        assert!(
            out.contains(&format!("turn {t} (")) && out.contains("identical"),
            "{out}"
        );
    }
}

/// The white cell's deadline is a record of the log: a killed and restarted server shows the same deadline (and
/// the same opening time), the command line reads the game with it, and adjudicating the turn ends it.
#[test]
fn the_turn_clock_survives_a_restart() {
    let root = tempfile::tempdir().unwrap();
    let (game, key) = new_game(root.path(), "us,taliban", 2, 12);
    let a = agent();
    let clock = |srv: &Server| -> (serde_json::Value, serde_json::Value) {
        let (st, json) = get(&a, &format!("{}state.json", srv.team("taliban")));
        assert_eq!(st, 200, "{json}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        (v["clock"]["opened_ms"].clone(), v["clock"]["deadline_ms"].clone())
    };

    let mut srv = Server::start(&game, &key, "127.0.0.1:0");
    let (_, none) = clock(&srv);
    assert!(none.is_null(), "no deadline before the white cell sets one: {none}");
    let asked = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert_eq!(post(&a, &format!("{}clock", srv.white()), &[("minutes", "30")]).0, 303);
    let (opened, deadline) = clock(&srv);
    let d = deadline.as_u64().expect("a deadline");
    assert!(
        d >= asked + 30 * 60_000 && d < asked + 31 * 60_000,
        "{d} is not 30 minutes after {asked}"
    );
    assert_eq!(post(&a, &format!("{}clock", srv.white()), &[("minutes", "0")]).0, 422);
    srv.kill();

    let srv = Server::start(&game, &key, "127.0.0.1:0");
    assert_eq!(
        clock(&srv),
        (opened.clone(), deadline.clone()),
        "the clock after a restart"
    );
    let (_, w) = get(&a, srv.white());
    assert!(w.contains(&format!("data-deadline=\"{d}\"")), "{w}");
    // The command line reads and replays the game with its clock record.
    let (ok, out, err) = wargame(&game, Some(&key), &["replay"]);
    assert!(ok && out.contains("replay OK"), "{err}");
    let (ok, status, err) = wargame(&game, None, &["status"]);
    assert!(ok && status.contains("Orders due: 20"), "{err}{status}");

    // The next turn starts without a deadline, also after a restart.
    assert_eq!(post(&a, &format!("{}adjudicate", srv.white()), &[]).0, 303);
    assert!(clock(&srv).1.is_null());
    drop(srv);
    let srv = Server::start(&game, &key, "127.0.0.1:0");
    assert!(clock(&srv).1.is_null());
}
