//! What each `greatgame wargame` subcommand does, as library calls returning the text to print: the command
//! line (`cli/wargame.rs`) only parses options and prints, and `greatgame serve` calls the same functions.

use super::adjudicate;
use super::debrief::{DebriefOptions, write_report};
use super::desk::Desk;
use super::game::{Game, OrdersRec, TurnRec};
use super::keys::{Credentials, Passphrase};
use super::orders;
use super::setup::{Created, recompute_start};
use super::view;
use anyhow::{Result, bail};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Upper bound of `--samples` and `--continuations` (and of the server's equivalents).
pub const MAX_SAMPLES: u64 = 1_000_000;

/// What `wargame new` prints about the game it made.
pub fn created_text(made: &Created, game: &Path, key_out: Option<&Path>) -> String {
    let cfg = &made.config;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "New game in {}: teams {}; {} turns from {}; seed {}.",
        game.display(),
        cfg.teams.join(", "),
        cfg.turns,
        cfg.start,
        cfg.seed
    );
    if let Some(m) = &cfg.member {
        let _ = writeln!(
            s,
            "Hidden truth: one of the {} members of the calibrated ensemble ({}), drawn from the seed and sealed with \
             the white-cell key; `wargame report` names it at the end.",
            m.members, m.ensemble
        );
    }
    match &cfg.present {
        Some(p) => {
            let _ = writeln!(
                s,
                "History to {}: the status quo, anchored to the known present ({}; {}).",
                cfg.start,
                p.origin,
                if p.accepted {
                    format!("fits every soft fact, {} draw(s)", p.attempts)
                } else {
                    format!("no draw fit every soft fact in {}; the hard facts hold", p.attempts)
                }
            );
        }
        None => {
            let _ = writeln!(
                s,
                "History to {}: the status quo, running free (not anchored to the known present: {}).",
                cfg.start,
                if cfg.start_turn < made.decision_turn {
                    "the game starts before the decision date and plays through those years"
                } else {
                    "--free-history, or no <scenario>.present.ron beside the scenario"
                }
            );
        }
    }
    if let Some(k) = key_out {
        let _ = writeln!(
            s,
            "White-cell key: {} (keep it OFF the shared drive; preview, adjudicate, report and replay need it).",
            k.display()
        );
    }
    let _ = writeln!(s, "Team passphrases (hand each team its own, and only its own):");
    for (team, pass) in &made.passphrases {
        let _ = writeln!(s, "  {team:<10} {}", pass.show());
    }
    let _ = writeln!(
        s,
        "Next: each team runs `greatgame wargame view --game {} --team TEAM --passphrase ...` \
         (or the white cell runs `greatgame serve --game {} --key FILE` and hands out the URLs).",
        game.display(),
        game.display()
    );
    s
}

/// Team `team`'s orders from `--set LEVER=VALUE` and `--action ID` arguments, for the desk's current turn.
pub fn orders_from_args(d: &Desk, team: &str, sets: &[String], actions: &[String]) -> Result<OrdersRec> {
    let o = OrdersRec::new(
        d.current_turn(),
        team.to_string(),
        orders::parse_sets(d.model(), sets)?,
        actions.to_vec(),
    );
    // Who may play this team, and is the game still on: public facts, checked before the passphrase.
    orders::validate_form(
        d.model(),
        &d.info.teams,
        d.info.turns,
        d.is_over(),
        d.current_turn(),
        &o,
    )?;
    Ok(o)
}

/// Team `team`'s orders from a form's `LEVER=VALUE` settings and action ids, for the game's current turn, checked
/// for form as [`orders_from_args`] does (the server's path on the game it holds).
pub fn team_orders_from_args(g: &Game, team: &str, sets: &[String], actions: &[String]) -> Result<OrdersRec> {
    let model = g.team_model();
    let o = OrdersRec::new(
        g.current_turn(),
        team.to_string(),
        orders::parse_sets(model, sets)?,
        actions.to_vec(),
    );
    orders::validate_form(
        model,
        &g.config.teams,
        g.config.turns,
        g.is_over(),
        g.current_turn(),
        &o,
    )?;
    Ok(o)
}

/// Record team `o.team`'s orders as the team (checked on what the team knows, sealed to it).
pub fn submit_as_team(d: &mut Desk, o: OrdersRec, pass: &Passphrase) -> Result<()> {
    d.submit(o, pass)
}

/// `wargame orders`: record the orders and return the confirmation and the status.
pub fn orders(dir: &Path, team: &str, sets: &[String], actions: &[String], creds: &Credentials) -> Result<String> {
    let mut d = Desk::open(dir)?;
    let o = orders_from_args(&d, team, sets, actions)?;
    let pass = d.team_passphrase(team, creds)?;
    submit_as_team(&mut d, o, &pass)?;
    Ok(format!(
        "Orders recorded for {team}, turn {}.\n{}",
        d.current_turn(),
        view::status(&d)
    ))
}

/// `wargame status`: who has submitted (with the white-cell key: also the seed).
pub fn status(dir: &Path, creds: &Credentials) -> Result<String> {
    let d = Desk::open(dir)?;
    let mut s = view::status(&d);
    if creds.key.is_some() {
        let secret = d.white_secret(&creds.white_key("status")?)?;
        let _ = writeln!(s, "White cell: game seed {}.", secret.seed);
    }
    Ok(s)
}

/// `wargame messages`: team `team`'s messages (sent or received) opened with its passphrase, or with the
/// white-cell key and no team, every message. The same opening functions as the server's pages
/// (`messages::open_team`, `messages::open_white`); a team's passphrase opens only the copies sealed to it.
pub fn messages(dir: &Path, team: Option<&str>, creds: &Credentials) -> Result<String> {
    let d = Desk::open(dir)?;
    match team {
        Some(t) => {
            let pass = d.team_passphrase(t, creds)?;
            Ok(super::messages::as_text(
                &format!("team {t}"),
                &d.messages_for(t, &pass)?,
            ))
        }
        None => {
            if creds.passphrase.is_some() && creds.key.is_none() {
                bail!("a team reads its own messages: add --team TEAM with its passphrase");
            }
            let key = creds.white_key("reading every message")?;
            Ok(super::messages::as_text(
                "the white cell (every message)",
                &d.messages_for_white(&key)?,
            ))
        }
    }
}

/// `wargame passphrases`: every team's passphrase again.
pub fn passphrases(g: &Game) -> String {
    let mut s = format!("Team passphrases for the game in {}:\n", g.dir.display());
    for team in &g.config.teams {
        let _ = writeln!(s, "  {team:<10} {}", g.white.passphrase(g.config.seed, team).show());
    }
    s
}

/// Check a sample count given on the command line or in a form.
pub fn check_samples(name: &str, n: u64) -> Result<()> {
    if n == 0 || n > MAX_SAMPLES {
        bail!("{name} must be between 1 and {MAX_SAMPLES}");
    }
    Ok(())
}

/// `wargame adjudicate`: parse the overrides, resolve and record the turn, draw its charts (unless
/// `charts` is false). Returns the record, the white cell's turn report and the charts written.
pub fn adjudicate(
    g: &mut Game,
    overrides: &[String],
    reasons: &[String],
    charts: bool,
) -> Result<(TurnRec, String, Vec<PathBuf>)> {
    let ovr = adjudicate::parse_overrides(g.model(), overrides, reasons)?;
    let rec = g.adjudicate(&ovr)?;
    let files = if charts {
        adjudicate::draw_turn_charts(g, &rec)?
    } else {
        Vec::new()
    };
    let text = adjudicate::turn_report(g, &rec);
    Ok((rec, text, files))
}

/// `wargame report`: write the after-action review; returns its folder.
pub fn report(g: &Game, out: Option<&Path>, continuations: u64, samples: u64) -> Result<PathBuf> {
    check_samples("--continuations", continuations)?;
    check_samples("--samples", samples)?;
    write_report(g, out, DebriefOptions { continuations, samples })
}

/// `wargame replay`: opening a game already recomputes every turn and compares it with the log; this also
/// recomputes the start state from the scenario and says what it checked.
pub fn replay(g: &Game) -> Result<String> {
    let start = recompute_start(&g.loaded, g.config.seed, g.config.start_turn, g.config.present.as_ref())?;
    if start != g.config.start_state {
        bail!(
            "{}: the start state recorded in the log differs from the status-quo run of the scenario with seed {} \
             (a different build, or an edited log)",
            g.log.path().display(),
            g.config.seed
        );
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "start state ({}): identical to the status-quo run with seed {}, {}",
        g.config.start,
        g.config.seed,
        match &g.config.present {
            Some(p) => format!("anchored to the known present ({}, {} draw(s))", p.origin, p.attempts),
            None => "running free".into(),
        }
    );
    for rec in &g.turns {
        let happened: Vec<String> = rec
            .result
            .events
            .iter()
            .filter(|d| d.count > 0)
            .map(|d| d.event.clone())
            .collect();
        let _ = writeln!(
            s,
            "turn {} ({}): identical ({} orders, {} overrides; events: {})",
            rec.turn,
            rec.date,
            rec.orders.len(),
            rec.overrides.len(),
            if happened.is_empty() {
                "none".into()
            } else {
                happened.join(", ")
            }
        );
    }
    let _ = writeln!(
        s,
        "replay OK: {} records, {} turns recomputed, {} messages, pending orders for turn {}: {}",
        g.log.entries.len(),
        g.turns.len(),
        g.messages.len(),
        g.current_turn(),
        g.pending.len()
    );
    let _ = writeln!(
        s,
        "log head: record {}, hash {} (compare with the head you noted: an older one means a rolled-back log)",
        g.log.entries.len(),
        &g.log.last_hash()[..16]
    );
    Ok(s)
}
