//! `wargame view` (what one team knows) and `wargame status` (whose move it is).

use super::game::Game;
use super::orders::available;
use super::visibility::seen;
use crate::model::LeverKindDef;
use crate::plot::render::fmt_num;
use anyhow::{Result, bail};
use std::fmt::Write;

/// The turn, the date and who has submitted (never what).
pub fn status(game: &Game) -> String {
    let mut s = String::new();
    let c = &game.config;
    let _ = writeln!(
        s,
        "{} — game seed {}, {} turns from {}",
        game.model().title,
        c.seed,
        c.turns,
        c.start
    );
    if game.is_over() {
        let _ = writeln!(
            s,
            "The game is over: {} turns played. Run `greatgame wargame report --game {}`.",
            c.turns,
            game.dir.display()
        );
        return s;
    }
    let k = game.current_turn();
    let _ = writeln!(s, "Turn {k} of {} ({}): orders", c.turns, game.date(k));
    for t in &c.teams {
        let mark = if game.pending.contains_key(t) {
            "submitted"
        } else if t == "us" {
            "waiting (if none: last turn's lever settings, the model picks the US action)"
        } else {
            "waiting (if none: the model picks the move)"
        };
        let _ = writeln!(s, "  {t:<10} {mark}");
    }
    let waiting = c.teams.iter().filter(|t| !game.pending.contains_key(*t)).count();
    let _ = writeln!(
        s,
        "{} of {} teams submitted. White cell: `preview`, then `adjudicate`.",
        c.teams.len() - waiting,
        c.teams.len()
    );
    s
}

/// What team `team` knows: its interests and options, the public state, its
/// estimates of hidden variables, its own pending orders (not other teams').
pub fn view(game: &Game, team: &str) -> Result<String> {
    let model = game.model();
    let Some(ti) = game.actor_index(team).filter(|_| game.is_team(team)) else {
        bail!(
            "no team `{team}` in this game; the teams are {}",
            game.config.teams.join(", ")
        );
    };
    let actor = &model.actors[ti];
    let st = &game.state;
    let k = game.current_turn();
    let mut s = String::new();
    let _ = writeln!(s, "=== {} ({}) — {} ===", actor.name, team, model.title);
    if game.is_over() {
        let _ = writeln!(s, "The game is over ({} turns played).", game.config.turns);
    } else {
        let _ = writeln!(s, "Turn {k} of {} — {}", game.config.turns, game.date(k));
    }
    let _ = writeln!(s, "\nYOUR INTERESTS (points per unit; + you want more, − less)");
    for i in &actor.interests {
        let _ = writeln!(s, "  {:+.2}  {}", i.weight, i.on);
    }
    let _ = writeln!(
        s,
        "\nTHE STATE OF THE WORLD (≈ marks your estimate of a hidden quantity, ± one standard deviation)"
    );
    for (v, def) in model.vars.iter().enumerate() {
        let (x, sd) = seen(model, &game.config.hidden, game.config.seed, k, ti, v, st.vars[v]);
        let shown = match sd {
            Some(sd) => format!("≈ {} ± {}", fmt_num(x), fmt_num(sd)),
            None => fmt_num(x),
        };
        let _ = writeln!(s, "  {:<48} {:>16}  {}", def.label, shown, def.unit);
    }
    if !game.turns.is_empty() {
        let _ = writeln!(s, "\nEVENTS SO FAR IN THE GAME");
        let mut any = false;
        for (e, ev) in model.events.iter().enumerate() {
            let n: u32 = game.turns.iter().map(|t| t.result.events[e].count).sum();
            if n > 0 {
                any = true;
                let _ = writeln!(s, "  {n:>3} × {}", ev.label);
            }
        }
        if !any {
            let _ = writeln!(s, "  none");
        }
        let last = game.turns.last().expect("non-empty");
        let _ = writeln!(s, "\nLAST TURN ({}) EVERY ACTOR DID", last.date);
        for m in &last.result.moves {
            let a = &model.actors[game.actor_index(&m.actor).expect("actor")];
            let label = a
                .actions
                .iter()
                .find(|x| x.id == m.action)
                .map_or("", |x| x.label.as_str());
            let _ = writeln!(s, "  {:<10} {} — {label}", m.actor, m.action);
        }
    }
    // Other teams judge availability under last turn's levers: the US team's
    // pending settings are secret until adjudication.
    let levers = if team == "us" {
        pending_levers(game)?
    } else {
        st.levers.clone()
    };
    if team == "us" {
        let _ = writeln!(
            s,
            "\nYOUR LEVERS (in force now; `orders --team us --set lever=value` changes them)"
        );
        for (l, def) in model.levers.iter().enumerate() {
            let range = match &def.kind {
                LeverKindDef::Bool => "true | false".to_string(),
                LeverKindDef::Level(lo, hi) => format!("{lo} .. {hi}"),
                LeverKindDef::Enum(o) => o.join(" | "),
            };
            let _ = writeln!(
                s,
                "  {:<26} = {:<13} [{range}]  {}",
                def.id,
                def.show(levers[l]),
                def.label
            );
        }
    }
    let _ = writeln!(
        s,
        "\nYOUR MENU (one action per turn; `orders --team {team} --action ID`)"
    );
    for (j, a) in actor.actions.iter().enumerate() {
        let ok = available(model, game, &levers, ti, j);
        let _ = writeln!(
            s,
            "  {:<24} {}{}",
            a.id,
            a.label,
            if ok {
                ""
            } else {
                "  [not available now: precondition fails]"
            }
        );
    }
    let _ = writeln!(s, "\nORDERS THIS TURN");
    match game.pending.get(team) {
        Some(o) => {
            for (l, v) in &o.levers {
                let _ = writeln!(s, "  yours: {l} = {v}");
            }
            match &o.action {
                Some(a) => {
                    let _ = writeln!(s, "  yours: action {a}");
                }
                None => {
                    let _ = writeln!(s, "  yours: no action (the model picks it)");
                }
            }
        }
        None => {
            let _ = writeln!(s, "  yours: none submitted yet");
        }
    }
    let others: Vec<String> = game
        .config
        .teams
        .iter()
        .filter(|t| *t != team)
        .map(|t| {
            format!(
                "{t} ({})",
                if game.pending.contains_key(t) {
                    "submitted"
                } else {
                    "waiting"
                }
            )
        })
        .collect();
    if !others.is_empty() {
        let _ = writeln!(
            s,
            "  other teams' orders stay hidden until adjudication: {}",
            others.join(", ")
        );
    }
    let _ = writeln!(s, "\n{}", model.caveat);
    Ok(s)
}

/// Levers in force if the turn were adjudicated now (the US team's pending settings, else last turn's).
pub fn pending_levers(game: &Game) -> Result<Vec<f64>> {
    let mut levers = game.state.levers.clone();
    if let Some(o) = game.pending.get("us") {
        for (name, value) in &o.levers {
            let (l, x) = super::orders::encode_lever(game.model(), name, value)?;
            levers[l] = x;
        }
    }
    Ok(levers)
}
