//! A class at once, on localhost: three clients per team (every actor of the scenario is a team: nine teams,
//! so 27 team clients) and three white-cell clients poll and submit concurrently. No order may be lost or
//! duplicated: the log's submissions are exactly the acknowledged ones, and each team's pending order is one
//! it submitted. Prints the median and 95th percentile response times (not asserted: the machine is shared).
//! `GREATGAME_TEST_BIN=PATH` runs the same clients against another build's server (e.g. main's), to compare
//! the figures side by side on the same machine and load.

mod serve_common;

use greatgame::wargame::game::Game;
use greatgame::wargame::keys::WhiteKey;
use serve_common::*;
use std::time::{Duration, Instant};

const TEAMS: [&str; 9] = [
    "us", "taliban", "china", "russia", "pakistan", "india", "iran", "isisk", "ttp",
];
const CLIENTS_PER_TEAM: usize = 3;
const ROUNDS: usize = 8;

#[test]
fn thirty_clients_lose_and_duplicate_no_order() {
    let root = tempfile::tempdir().unwrap();
    let (game, key) = new_game(root.path(), &TEAMS.join(","), 4, 5);
    // Each team's actions available now (what its menu offers): the clients pick among them.
    let menus: Vec<(String, Vec<String>)> = {
        let g = Game::open(&game, &WhiteKey::read(&key).unwrap()).unwrap();
        TEAMS
            .iter()
            .map(|t| {
                let i = g.actor_index(t).unwrap();
                let a = &g.model().actors[i];
                let ok: Vec<String> = (0..a.actions.len())
                    .filter(|&k| g.available(&g.state.levers, i, k))
                    .map(|k| a.actions[k].id.clone())
                    .take(3)
                    .collect();
                (t.to_string(), ok)
            })
            .collect()
    };
    let srv = Server::start(&game, &key, "127.0.0.1:0");
    let started = Instant::now();
    let mut handles = Vec::new();
    for (t, menu) in &menus {
        for c in 0..CLIENTS_PER_TEAM {
            let url = srv.team(t).to_string();
            let (t, menu) = (t.clone(), menu.clone());
            handles.push(std::thread::spawn(move || {
                let a = agent();
                let mut times = Vec::new();
                let mut sent: Vec<String> = Vec::new();
                for r in 0..ROUNDS {
                    let t0 = Instant::now();
                    let (st, _) = get(&a, &url);
                    assert_eq!(st, 200);
                    times.push(t0.elapsed());
                    let t0 = Instant::now();
                    let (st, _) = get(&a, &format!("{url}state.json"));
                    assert_eq!(st, 200);
                    times.push(t0.elapsed());
                    // A distinct order per client and round for the US (a lever value), one of the menu's actions
                    // for the others.
                    let form: Vec<(String, String)> = if t == "us" {
                        vec![("set:humanitarian_aid".into(), format!("0.{}{}", c + 1, r))]
                    } else {
                        vec![("action:0".into(), menu[(c + r) % menu.len()].clone())]
                    };
                    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    let t0 = Instant::now();
                    let (st, body) = post(&a, &format!("{url}orders"), &pairs);
                    times.push(t0.elapsed());
                    assert_eq!(st, 303, "{t}: {body}");
                    sent.push(form[0].1.clone());
                    std::thread::sleep(Duration::from_millis(50));
                }
                (t, times, sent)
            }));
        }
    }
    let mut white_handles = Vec::new();
    for _ in 0..3 {
        let url = srv.white().to_string();
        white_handles.push(std::thread::spawn(move || {
            let a = agent();
            let mut times = Vec::new();
            for _ in 0..ROUNDS {
                let t0 = Instant::now();
                assert_eq!(get(&a, &url).0, 200);
                times.push(t0.elapsed());
                let t0 = Instant::now();
                assert_eq!(get(&a, &format!("{url}state.json")).0, 200);
                times.push(t0.elapsed());
                std::thread::sleep(Duration::from_millis(100));
            }
            times
        }));
    }
    let mut times: Vec<Duration> = Vec::new();
    let mut sent: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for h in handles {
        let (t, ts, s) = h.join().unwrap();
        times.extend(ts);
        sent.entry(t).or_default().extend(s);
    }
    for h in white_handles {
        times.extend(h.join().unwrap());
    }
    let wall = started.elapsed();

    // Every acknowledged submission is in the log once, and each team's pending order is one it sent.
    let log = std::fs::read_to_string(game.join("log.jsonl")).unwrap();
    let recorded = log.lines().filter(|l| l.contains("\"kind\":\"orders\"")).count();
    let acknowledged: usize = sent.values().map(Vec::len).sum();
    assert_eq!(recorded, acknowledged, "submissions in the log versus acknowledged");
    assert_eq!(acknowledged, TEAMS.len() * CLIENTS_PER_TEAM * ROUNDS);
    let g = Game::open(&game, &WhiteKey::read(&key).unwrap()).unwrap();
    for t in TEAMS {
        let o = &g.pending[t];
        let got = o
            .levers
            .first()
            .map(|(_, v)| v.clone())
            .or_else(|| o.action.clone())
            .unwrap();
        let ours = &sent[t];
        assert!(
            ours.iter()
                .any(|s| s == &got || s.parse::<f64>().ok() == got.parse::<f64>().ok()),
            "{t}'s pending order {got} is not one it sent"
        );
    }
    // The game holds the folder's lock while open: let go before the command line opens it.
    drop(g);
    let (ok, out, err) = wargame(&game, Some(&key), &["replay"]);
    assert!(ok && out.contains("replay OK"), "{err}");

    times.sort();
    let q = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    println!(
        "serve load: {} clients, {} requests in {:.1} s; response time median {:.1} ms, 95th percentile {:.1} ms, max {:.1} ms",
        TEAMS.len() * CLIENTS_PER_TEAM + 3,
        times.len(),
        wall.as_secs_f64(),
        q(0.5).as_secs_f64() * 1e3,
        q(0.95).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3
    );
}
