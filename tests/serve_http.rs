//! `greatgame serve` over HTTP: every route with the right token, every secrecy rule with the wrong one, and
//! the contents of what a team receives (never the hidden truth, another team's pending orders or another
//! team's messages). The real binary serves a real game folder; the tests read the truth with the white-cell
//! key through the library to know what must not appear.

mod serve_common;

use greatgame::wargame::game::Game;
use greatgame::wargame::keys::WhiteKey;
use serve_common::*;
use std::path::Path;

const TEAMS: [&str; 3] = ["us", "taliban", "pakistan"];

/// Full-precision renderings of every value hidden from team `team` (`None`: from every team): the true
/// value of each hidden variable the team does not own, and every uncertain parameter (drawn once for the
/// game, hidden from all). Short ones (0, 1, 0.5) are left out: they appear on any page.
fn secrets_from(game: &Path, key: &Path, team: Option<&str>) -> Vec<String> {
    let g = Game::open(game, &WhiteKey::read(key).unwrap()).unwrap();
    let model = g.model();
    let mut out: Vec<String> = Vec::new();
    for h in g
        .config
        .hidden
        .iter()
        .filter(|h| team.is_none_or(|t| !h.owners.iter().any(|o| o == t)))
    {
        let v = model.vars.iter().position(|d| d.id == h.var).unwrap();
        out.push(format!("{}", g.state.vars[v]));
    }
    out.extend(g.state.params.iter().map(|p| format!("{p}")));
    out.retain(|s| s.len() >= 7);
    assert!(out.len() >= 5, "enough distinctive secrets to look for: {out:?}");
    out
}

/// What is hidden from every team (for pages that are nobody's).
fn secrets(game: &Path, key: &Path) -> Vec<String> {
    secrets_from(game, key, None)
}

/// Per team, what is hidden from it.
fn hidden_from(game: &Path, key: &Path) -> Vec<(&'static str, Vec<String>)> {
    TEAMS.iter().map(|t| (*t, secrets_from(game, key, Some(t)))).collect()
}

fn assert_no_secret(what: &str, body: &str, secrets: &[String]) {
    for s in secrets {
        assert!(!body.contains(s.as_str()), "{what} contains the hidden value {s}");
    }
}

/// Every route a team has, relative to its URL.
const TEAM_GETS: [&str; 4] = ["", "state.json", "turn/1/dice.svg", "report"];
const WHITE_GETS: [&str; 5] = ["", "state.json", "preview?samples=50", "report", "turn/1/dice.svg"];
const WHITE_POSTS: [&str; 4] = ["adjudicate", "messages", "clock", "report"];

#[test]
fn every_route_answers_its_owner_and_refuses_everyone_else() {
    let root = tempfile::tempdir().unwrap();
    let (game, key) = new_game(root.path(), "us,taliban,pakistan", 2, 2026);
    let srv = Server::start(&game, &key, "127.0.0.1:0");
    let a = agent();
    let truth = secrets(&game, &key);
    let per_team = hidden_from(&game, &key);
    let truth_of = |t: &str| per_team.iter().find(|(x, _)| *x == t).unwrap().1.clone();

    // Each team's own pages open, and hold no hidden value.
    for t in TEAMS {
        let truth = truth_of(t);
        let (st, body) = get(&a, srv.team(t));
        assert_eq!(st, 200, "{t}'s page");
        assert!(body.contains("Turn 1 of 2"), "{body}");
        assert_no_secret(&format!("{t}'s page"), &body, &truth);
        let (st, json) = get(&a, &format!("{}state.json", srv.team(t)));
        assert_eq!(st, 200);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["view"]["team"], t);
        assert_no_secret(&format!("{t}'s JSON"), &json, &truth);
        let (st, ct) = get_head(&a, &format!("{}events", srv.team(t)));
        assert_eq!((st, ct.as_str()), (200, "text/event-stream"));
    }
    // Hidden variables are shown to a team as estimates: ≈ value ± sd.
    assert!(get(&a, srv.team("us")).1.contains("≈"));

    // Orders from each team; each is distinctive.
    let (st, body) = post(
        &a,
        &format!("{}orders", srv.team("pakistan")),
        &[("action:0", "cross_border_strikes"), ("do", "submit")],
    );
    assert_eq!(st, 303, "{body}");
    let (st, _) = post(
        &a,
        &format!("{}orders", srv.team("taliban")),
        &[("action:x", "restrain_aq"), ("do", "submit")],
    );
    assert_eq!(st, 303);
    let (st, _) = post(
        &a,
        &format!("{}orders", srv.team("us")),
        &[("set:recognition", "conditional"), ("do", "submit")],
    );
    assert_eq!(st, 303);
    // A preview checks without recording; an unavailable or unknown order is explained, not recorded.
    let (st, body) = post(
        &a,
        &format!("{}orders", srv.team("us")),
        &[("set:humanitarian_aid", "1"), ("do", "preview")],
    );
    assert_eq!(st, 200);
    assert!(
        body.contains("Preview of your orders") && body.contains("humanitarian_aid"),
        "{body}"
    );
    let (st, body) = post(
        &a,
        &format!("{}orders", srv.team("pakistan")),
        &[("action:0", "cross_border_strike"), ("do", "submit")],
    );
    assert_eq!(st, 422);
    assert!(body.contains("did you mean `cross_border_strikes`"), "{body}");

    // Messages: pakistan to us, taliban to the white cell.
    let (st, _) = post(
        &a,
        &format!("{}messages", srv.team("pakistan")),
        &[("to", "us"), ("text", "PK-TO-US shall we talk")],
    );
    assert_eq!(st, 303);
    let (st, _) = post(
        &a,
        &format!("{}messages", srv.team("taliban")),
        &[("to", "white"), ("text", "TB-TO-WHITE a question")],
    );
    assert_eq!(st, 303);
    let (st, body) = post(
        &a,
        &format!("{}messages", srv.team("taliban")),
        &[("to", "nobody"), ("text", "x")],
    );
    assert_eq!(st, 422, "{body}");

    // What each team sees now: its own orders, never another's; its own messages only.
    let page = |t: &str| {
        let (st, html) = get(&a, srv.team(t));
        assert_eq!(st, 200);
        let (_, json) = get(&a, &format!("{}state.json", srv.team(t)));
        format!("{html}\n{json}")
    };
    let us = page("us");
    let tb = page("taliban");
    let pk = page("pakistan");
    assert!(us.contains("recognition = conditional") && pk.contains("action cross_border_strikes"));
    assert!(
        !us.contains("cross_border_strikes") && !tb.contains("cross_border_strikes"),
        "Pakistan's pending order leaked"
    );
    assert!(
        !us.contains("restrain_aq") && !pk.contains("restrain_aq"),
        "the Taliban's pending order leaked"
    );
    assert!(!tb.contains("recognition = conditional") && !pk.contains("recognition = conditional"));
    assert!(
        !tb.contains("\"conditional\"") && !pk.contains("\"conditional\""),
        "the US levers leaked"
    );
    assert!(us.contains("PK-TO-US") && pk.contains("PK-TO-US") && !tb.contains("PK-TO-US"));
    assert!(tb.contains("TB-TO-WHITE") && !us.contains("TB-TO-WHITE") && !pk.contains("TB-TO-WHITE"));
    for (t, body) in [("us", &us), ("taliban", &tb), ("pakistan", &pk)] {
        assert_no_secret(t, body, &truth_of(t));
        // Who has submitted is public; what is not.
        assert!(body.contains("submitted"), "{t}");
    }

    // The white cell sees everything.
    let (st, w) = get(&a, srv.white());
    assert_eq!(st, 200);
    assert!(w.contains("cross_border_strikes") && w.contains("restrain_aq") && w.contains("recognition = conditional"));
    assert!(w.contains("PK-TO-US") && w.contains("TB-TO-WHITE"));
    let (st, pv) = get(&a, &format!("{}preview?samples=50", srv.white()));
    assert_eq!(st, 200);
    assert!(pv.contains("team&#39;s order") || pv.contains("team's order"), "{pv}");
    assert_eq!(get(&a, &format!("{}preview?samples=0", srv.white())).0, 422);
    let (st, _) = post(&a, &format!("{}clock", srv.white()), &[("minutes", "8")]);
    assert_eq!(st, 303);
    let (st, ct) = get_head(&a, &format!("{}events", srv.white()));
    assert_eq!((st, ct.as_str()), (200, "text/event-stream"));

    // Refusals: every team route with another team's token, the white cell's token or a made-up one; every
    // white-cell route with a team's token. The log does not change.
    let log = std::fs::read(game.join("log.jsonl")).unwrap();
    let mut tokens: Vec<(String, String)> = TEAMS.iter().map(|t| (t.to_string(), srv.token(t))).collect();
    tokens.push(("white cell".into(), srv.token("white cell")));
    tokens.push(("made up".into(), "a".repeat(32)));
    for owner in TEAMS {
        for (who, tok) in &tokens {
            if who == owner {
                continue;
            }
            let base = format!("{}/team/{owner}/{tok}/", srv.base);
            for r in TEAM_GETS.iter().chain(["events"].iter()) {
                let (st, body) = get(&a, &format!("{base}{r}"));
                assert_eq!(st, 403, "{who} reading {owner}'s /{r}");
                assert!(
                    !body.contains("restrain_aq")
                        && !body.contains("cross_border_strikes")
                        && !body.contains("PK-TO-US")
                );
                assert_no_secret("a refusal", &body, &truth);
            }
            let (st, _) = post(&a, &format!("{base}orders"), &[("action:0", "hold"), ("do", "submit")]);
            assert_eq!(st, 403, "{who} ordering for {owner}");
            let (st, _) = post(&a, &format!("{base}messages"), &[("to", "all"), ("text", "forged")]);
            assert_eq!(st, 403, "{who} writing as {owner}");
        }
    }
    for (who, tok) in tokens.iter().filter(|(w, _)| w != "white cell") {
        let base = format!("{}/white/{tok}/", srv.base);
        for r in WHITE_GETS.iter().chain(["events"].iter()) {
            let (st, body) = get(&a, &format!("{base}{r}"));
            assert_eq!(st, 403, "{who} on the white cell's /{r}");
            assert!(!body.contains("restrain_aq"));
        }
        for r in WHITE_POSTS {
            let (st, _) = post(
                &a,
                &format!("{base}{r}"),
                &[("minutes", "5"), ("to", "all"), ("text", "forged")],
            );
            assert!(st == 403 || st == 405, "{who} posting the white cell's /{r}: {st}");
        }
    }
    assert_eq!(
        std::fs::read(game.join("log.jsonl")).unwrap(),
        log,
        "a refused request changed the log"
    );

    // Adjudicate from the browser: the turn report reaches every team, without the hidden truth.
    let (st, _) = post(
        &a,
        &format!("{}adjudicate", srv.white()),
        &[
            ("event", "pak_afg_clash"),
            ("value", "yes"),
            ("reason", "INJECT border post"),
        ],
    );
    assert_eq!(st, 303);
    let per_team2 = hidden_from(&game, &key);
    for t in TEAMS {
        let body = page(t);
        let truth2 = &per_team2.iter().find(|(x, _)| *x == t).unwrap().1;
        assert!(body.contains("Turn 2 of 2") && body.contains("Turn 1 — 2026Q1"), "{t}");
        assert!(body.contains("INJECT border post") && body.contains("[white-cell override]"));
        assert!(
            body.contains("cross_border_strikes"),
            "moves are public once adjudicated"
        );
        assert!(
            !body.contains("HIDDEN KEY VARIABLES"),
            "{t} got the white cell's report"
        );
        assert_no_secret(t, &body, &truth_of(t));
        assert_no_secret(t, &body, truth2);
        let (st, svg) = get(&a, &format!("{}turn/1/dice.svg", srv.team(t)));
        assert_eq!(st, 200);
        assert!(svg.contains("<svg"));
        assert_eq!(
            get(&a, &format!("{}turn/2/dice.svg", srv.team(t))).0,
            404,
            "no chart before its turn"
        );
        assert_eq!(
            get(&a, &format!("{}report", srv.team(t))).0,
            404,
            "no review before the end"
        );
    }
    let (_, w) = get(&a, srv.white());
    assert!(w.contains("HIDDEN KEY VARIABLES"), "the white cell's full report");
    assert_eq!(get(&a, &format!("{}turn/1/trajectory.svg", srv.white())).0, 200);

    // The game continues from the command line and back: an order from the CLI shows on the white page.
    let (ok, _, err) = wargame(
        &game,
        Some(&key),
        &["orders", "--team", "taliban", "--action", "crack_down_isisk"],
    );
    assert!(ok, "{err}");
    assert!(get(&a, srv.white()).1.contains("crack_down_isisk"));
    assert!(page("taliban").contains("action crack_down_isisk"));
    let (st, _) = post(&a, &format!("{}adjudicate", srv.white()), &[("event", "")]);
    assert_eq!(st, 303);
    let (ok, out, err) = wargame(&game, Some(&key), &["status"]);
    assert!(ok && out.contains("The game is over"), "{out}{err}");

    // The after-action review, written from the browser, open to every team at the end.
    let (st, _) = post(&a, &format!("{}report", srv.white()), &[]);
    assert_eq!(st, 303);
    let (st, review) = get(&a, &format!("{}report", srv.white()));
    assert_eq!(st, 200);
    assert!(
        review.contains("Luck versus choice") || review.contains("luck"),
        "{}",
        &review[..500.min(review.len())]
    );
    assert_eq!(get(&a, &format!("{}report", srv.team("us"))).0, 200);
    let (ok, out, err) = wargame(&game, Some(&key), &["replay"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("turn 2 (2026Q2): identical") && out.contains("2 messages"),
        "{out}"
    );
}

#[test]
fn unknown_paths_and_the_index_give_nothing_away() {
    let root = tempfile::tempdir().unwrap();
    let (game, key) = new_game(root.path(), "us,taliban", 1, 7);
    let srv = Server::start(&game, &key, "127.0.0.1:0");
    let a = agent();
    let (st, body) = get(&a, &format!("{}/", srv.base));
    assert_eq!(st, 200);
    assert!(!body.contains(&srv.token("us")) && !body.contains(&srv.token("white cell")));
    assert_eq!(
        get(&a, &format!("{}/team/russia/{}/", srv.base, srv.token("us"))).0,
        403
    );
    assert_eq!(get(&a, &format!("{}/nothing", srv.base)).0, 404);
    let (st, css) = get(&a, &format!("{}/assets/style.css", srv.base));
    assert!(st == 200 && css.contains("body"));
    let (st, js) = get(&a, &format!("{}/assets/app.js", srv.base));
    assert!(st == 200 && js.contains("EventSource"));
}
