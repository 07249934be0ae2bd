//! `wargame view` (what one team knows) and `wargame status` (whose move it is).
//!
//! Both read only what the log lets their reader read: `status` the public
//! record (who has submitted, never what), `view` the team's sealed brief and
//! its own sealed orders.

use super::brief::Brief;
use super::desk::Desk;
use super::game::{GameInfo, OrdersRec};
use crate::model::{LeverKindDef, Model};
use crate::plot::render::fmt_num;
use anyhow::Result;
use std::fmt::Write;
use std::path::Path;

/// The turn, the date and who has submitted (never what).
pub fn status_text(
    model: &Model,
    info: &GameInfo,
    dir: &Path,
    turns_played: u32,
    submitted: &dyn Fn(&str) -> bool,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} — {} turns from {}", model.title, info.turns, info.start);
    if turns_played >= info.turns {
        let _ = writeln!(
            s,
            "The game is over: {} turns played. White cell: `greatgame wargame report --game {} --key FILE`.",
            info.turns,
            dir.display()
        );
        return s;
    }
    let k = turns_played + 1;
    let _ = writeln!(
        s,
        "Turn {k} of {} ({}): orders",
        info.turns,
        model.calendar.label(info.start_turn + k - 1)
    );
    for t in &info.teams {
        let mark = if submitted(t) {
            "submitted"
        } else if t == "us" {
            "waiting (if none: last turn's lever settings, the model picks the US action)"
        } else {
            "waiting (if none: the model picks the move)"
        };
        let _ = writeln!(s, "  {t:<10} {mark}");
    }
    let waiting = info.teams.iter().filter(|t| !submitted(t)).count();
    let _ = writeln!(
        s,
        "{} of {} teams submitted. White cell: `preview`, then `adjudicate`.",
        info.teams.len() - waiting,
        info.teams.len()
    );
    s
}

/// Status from the public record, with the log's head (seq and hash): a
/// white cell that notes it can tell a rolled-back log.
pub fn status(desk: &Desk) -> String {
    let mut s = status_text(desk.model(), &desk.info, &desk.dir, desk.turns_played, &|t| {
        desk.pending.contains_key(t)
    });
    if let Some(c) = desk.clock.filter(|c| c.turn == desk.current_turn()) {
        let _ = writeln!(
            s,
            "Orders due: {} (the white cell's turn clock)",
            utc_minute(c.deadline_ms)
        );
    }
    let (seq, hash) = desk.head();
    let _ = writeln!(s, "Log head: record {seq}, hash {}", &hash[..16]);
    s
}

/// `YYYY-MM-DD HH:MM UTC` for milliseconds since the Unix epoch (days to a civil date: H. Hinnant's algorithm,
/// which needs no calendar crate).
pub fn utc_minute(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

/// What team `team` knows: its interests and options, the public state, its
/// estimates of hidden variables, its own pending orders (not other teams').
pub fn view(desk: &Desk, team: &str, brief: &Brief, own: Option<&OrdersRec>) -> Result<String> {
    let model = desk.model();
    let ti = model.actors.iter().position(|a| a.id == team).expect("a team");
    let actor = &model.actors[ti];
    let mut s = String::new();
    let _ = writeln!(s, "=== {} ({}) — {} ===", actor.name, team, model.title);
    if brief.over {
        let _ = writeln!(s, "The game is over ({} turns played).", desk.info.turns);
    } else {
        let _ = writeln!(
            s,
            "Turn {} of {} — {}",
            brief.turn,
            desk.info.turns,
            desk.date(brief.turn)
        );
    }
    let _ = writeln!(s, "\nYOUR INTERESTS (points gained; + you want more, − less)");
    for i in &actor.interests {
        let _ = writeln!(
            s,
            "  {:>7}  {} {}",
            crate::numfmt::signed(i.weight, 4),
            i.on,
            i.scale_text(&model.vars)
        );
    }
    let _ = writeln!(
        s,
        "\nTHE STATE OF THE WORLD (≈ marks your estimate of a hidden quantity, ± one standard deviation)"
    );
    for (def, (x, sd)) in model.vars.iter().zip(&brief.seen) {
        let shown = match sd {
            Some(sd) => format!("≈ {} ± {}", fmt_num(*x), fmt_num(*sd)),
            None => fmt_num(*x),
        };
        let _ = writeln!(s, "  {:<48} {:>16}  {}", def.label, shown, def.unit);
    }
    if let Some(last) = &brief.last_turn {
        let _ = writeln!(s, "\nEVENTS SO FAR IN THE GAME");
        let mut any = false;
        for (ev, n) in model.events.iter().zip(&brief.game_events) {
            if *n > 0 {
                any = true;
                let _ = writeln!(s, "  {n:>3} × {}", ev.label);
            }
        }
        if !any {
            let _ = writeln!(s, "  none");
        }
        let _ = writeln!(s, "\nLAST TURN ({}) EVERY ACTOR DID", last.date);
        for (who, what) in &last.moves {
            let label = model
                .actors
                .iter()
                .find(|a| &a.id == who)
                .and_then(|a| a.actions.iter().find(|x| &x.id == what))
                .map_or(
                    if what == "hold" {
                        "no action on one of its lines"
                    } else {
                        ""
                    },
                    |x| x.label.as_str(),
                );
            let _ = writeln!(s, "  {who:<10} {what} — {label}");
        }
    }
    // The US team judges its menu under its own pending settings; other teams
    // under last turn's levers (the US team's pending settings are secret).
    let mut levers = brief.levers.clone();
    if team == "us"
        && let Some(o) = own
    {
        for (name, value) in &o.levers {
            let (l, x) = super::orders::encode_lever(model, name, value)?;
            levers[l] = x;
        }
    }
    if team == "us" {
        let _ = writeln!(
            s,
            "\nYOUR LEVERS (in force now, with your pending orders; `orders --team us --set lever=value` changes them)"
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
    if actor.lined {
        let _ = writeln!(
            s,
            "\nYOUR MENU (lines of effort: at most one action per line each turn, `--action ID` once per line; \
             a line without an order is left to the model; `--action hold:LINE` orders no action on that line)"
        );
    } else {
        let _ = writeln!(
            s,
            "\nYOUR MENU (one action per turn; `orders --team {team} --action ID`)"
        );
    }
    let mut last_line: Option<&str> = None;
    for (j, a) in actor.actions.iter().enumerate() {
        if let Some(l) = a.line.as_deref()
            && last_line != Some(l)
        {
            let _ = writeln!(s, "  line {l}:");
            last_line = Some(l);
        }
        let ok = brief.available(model, ti, j, &levers);
        let _ = writeln!(
            s,
            "  {}{:<24} {}{}",
            if a.line.is_some() { "  " } else { "" },
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
    match own {
        Some(o) => {
            for (l, v) in &o.levers {
                let _ = writeln!(s, "  yours: {l} = {v}");
            }
            let mut any = false;
            for a in o.actions() {
                let _ = writeln!(s, "  yours: action {a}");
                any = true;
            }
            if !any {
                let _ = writeln!(s, "  yours: no action (the model picks it)");
            }
        }
        None => {
            let _ = writeln!(s, "  yours: none submitted yet");
        }
    }
    let others: Vec<String> = desk
        .info
        .teams
        .iter()
        .filter(|t| *t != team)
        .map(|t| {
            format!(
                "{t} ({})",
                if desk.pending.contains_key(t) {
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

/// Team `team`'s view, opened with its passphrase.
pub fn view_for(desk: &Desk, team: &str, pass: &super::keys::Passphrase) -> Result<String> {
    let brief = desk.brief(team, pass)?;
    let own = desk.own_orders(team, pass)?;
    view(desk, team, &brief, own.as_ref())
}

/// Open the game as team `team` (its passphrase, or the white-cell key) and render its view.
pub fn view_as(dir: &Path, team: &str, creds: &super::keys::Credentials) -> Result<String> {
    let desk = Desk::open(dir)?;
    let pass = desk.team_passphrase(team, creds)?;
    view_for(&desk, team, &pass)
}

#[cfg(test)]
mod clock_tests {
    #[test]
    fn utc_minute_names_the_calendar_minute() {
        assert_eq!(super::utc_minute(0), "1970-01-01 00:00 UTC");
        // 2026-12-06 05:40:59 UTC, and a leap day.
        assert_eq!(super::utc_minute(1_796_535_659_000), "2026-12-06 05:40 UTC");
        assert_eq!(super::utc_minute(951_782_400_000), "2000-02-29 00:00 UTC");
    }
}
