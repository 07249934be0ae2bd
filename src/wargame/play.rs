//! `wargame play`: a line-oriented hot-seat loop on one terminal. Each line
//! is one command, run against the same log as the separate commands (the
//! game is reopened and verified for every command, so a crash loses at most
//! the line being processed). It reads standard input, so a script of inputs
//! can be piped in.

use super::debrief::{DebriefOptions, write_report};
use super::desk::Desk;
use super::game::{Game, OrdersRec};
use super::keys::WhiteKey;
use super::{adjudicate, orders, preview, view};
use anyhow::{Result, anyhow, bail};
use clap::{Parser, Subcommand};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Parser)]
#[command(no_binary_name = true, name = "play", disable_version_flag = true)]
struct Line {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// The turn and who has submitted.
    Status,
    /// What a team knows.
    View { team: String },
    /// Record orders: `orders us --set recognition=conditional --action hold`, `orders taliban --action restrain_aq`.
    Orders {
        team: String,
        #[arg(long = "set")]
        set: Vec<String>,
        /// Repeatable: one action per line of effort for an actor with lines.
        #[arg(long)]
        action: Vec<String>,
    },
    /// Guided orders: ask every team that has not submitted, one after the other.
    Turn,
    /// White cell: next-turn outcome distribution.
    Preview {
        #[arg(default_value_t = 1000)]
        samples: u64,
    },
    /// Resolve the turn: `adjudicate --override pak_afg_war=no --reason "..."`.
    Adjudicate {
        #[arg(long = "override")]
        overrides: Vec<String>,
        #[arg(long = "reason")]
        reasons: Vec<String>,
    },
    /// Write the after-action review.
    Report {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Leave the loop (the game is saved after every command).
    #[command(alias = "exit")]
    Quit,
}

/// Split a line into words; double or single quotes group words.
pub fn split_words(line: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut has = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                has = true;
            }
            (None, c) if c.is_whitespace() => {
                if has {
                    out.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            (None, c) => {
                cur.push(c);
                has = true;
            }
        }
    }
    if quote.is_some() {
        bail!("unclosed quote");
    }
    if has {
        out.push(cur);
    }
    Ok(out)
}

fn prompt(dir: &Path, key: &WhiteKey) -> String {
    match Game::open(dir, key) {
        Ok(g) if g.is_over() => "game over> ".into(),
        Ok(g) => format!("turn {} ({})> ", g.current_turn(), g.date(g.current_turn())),
        Err(_) => "> ".into(),
    }
}

/// Run the loop until `quit` or the end of the input.
pub fn run(dir: &Path, key: &WhiteKey, input: &mut dyn BufRead, out: &mut dyn Write) -> Result<()> {
    drop(Game::open(dir, key)?);
    writeln!(out, "{}", view::status(&Desk::open(dir)?))?;
    writeln!(
        out,
        "Commands: status, view TEAM, orders TEAM [--set L=V] [--action A], turn, preview, adjudicate, report, quit, help"
    )?;
    loop {
        write!(out, "{}", prompt(dir, key))?;
        out.flush()?;
        let Some(line) = read_line(input)? else {
            writeln!(out)?;
            return Ok(());
        };
        let words = match split_words(&line) {
            Ok(w) => w,
            Err(e) => {
                writeln!(out, "error: {e}")?;
                continue;
            }
        };
        if words.is_empty() {
            continue;
        }
        let parsed = match Line::try_parse_from(&words) {
            Ok(p) => p,
            Err(e) => {
                writeln!(out, "{}", e.render().to_string().trim_end())?;
                continue;
            }
        };
        if matches!(parsed.cmd, Cmd::Quit) {
            writeln!(out, "Bye. The game is saved in {}.", dir.display())?;
            return Ok(());
        }
        if let Err(e) = one(dir, key, parsed.cmd, input, out) {
            writeln!(out, "error: {e:#}")?;
        }
    }
}

fn read_line(input: &mut dyn BufRead) -> Result<Option<String>> {
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\n', '\r']).to_string()))
}

fn one(dir: &Path, key: &WhiteKey, cmd: Cmd, input: &mut dyn BufRead, out: &mut dyn Write) -> Result<()> {
    match cmd {
        Cmd::Status => write!(out, "{}", view::status(&Desk::open(dir)?))?,
        Cmd::View { team } => write!(out, "{}", team_view(dir, key, &team)?)?,
        Cmd::Orders { team, set, action } => {
            let mut g = Game::open(dir, key)?;
            let o = OrdersRec::new(
                g.current_turn(),
                team.clone(),
                orders::parse_sets(g.model(), &set)?,
                action,
            );
            g.submit(o)?;
            writeln!(out, "Orders recorded for {team}.")?;
        }
        Cmd::Turn => guided(dir, key, input, out)?,
        Cmd::Preview { samples } => {
            if samples == 0 || samples > 1_000_000 {
                bail!("samples must be between 1 and 1000000");
            }
            write!(out, "{}", preview::preview(&Game::open(dir, key)?, samples)?)?
        }
        Cmd::Adjudicate { overrides, reasons } => {
            let mut g = Game::open(dir, key)?;
            let ovr = adjudicate::parse_overrides(g.model(), &overrides, &reasons)?;
            let rec = g.adjudicate(&ovr)?;
            write!(out, "{}", adjudicate::turn_report(&g, &rec))?;
            for png in adjudicate::draw_turn_charts(&g, &rec)?
                .iter()
                .filter(|p| p.extension().is_some_and(|e| e == "png"))
            {
                writeln!(out, "Chart for the projector: {}", png.display())?;
            }
        }
        Cmd::Report { out: target } => {
            let g = Game::open(dir, key)?;
            let d = write_report(&g, target.as_deref(), DebriefOptions::default())?;
            writeln!(out, "After-action review: {}", d.join("report.html").display())?;
        }
        Cmd::Quit => {}
    }
    Ok(())
}

/// Ask each team without orders in turn; a blank answer leaves the move to
/// the model (or, for the US levers, keeps last turn's settings).
fn guided(dir: &Path, key: &WhiteKey, input: &mut dyn BufRead, out: &mut dyn Write) -> Result<()> {
    let g = Game::open(dir, key)?;
    if g.is_over() {
        bail!("the game is over; run `report`");
    }
    let teams: Vec<String> = g
        .config
        .teams
        .iter()
        .filter(|t| !g.pending.contains_key(*t))
        .cloned()
        .collect();
    drop(g);
    let clear = std::io::stdout().is_terminal();
    for team in teams {
        if clear {
            write!(out, "\x1b[2J\x1b[H")?;
        }
        writeln!(
            out,
            "\n---------------- Team {team}: your move (other teams look away) ----------------"
        )?;
        write!(out, "{}", team_view(dir, key, &team)?)?;
        let menu: Vec<String> = {
            let g = Game::open(dir, key)?;
            let actor = &g.model().actors[g.actor_index(&team).expect("team is an actor")];
            actor.actions.iter().map(|a| a.id.clone()).collect()
        };
        loop {
            let mut sets = Vec::new();
            if team == "us" {
                write!(out, "us: lever=value ... (blank: keep last turn's levers)> ")?;
                out.flush()?;
                let Some(line) = read_line(input)? else { return Ok(()) };
                sets = split_words(&line)?;
            }
            write!(
                out,
                "{team}: action ids or menu numbers, one per line of effort, space-separated (blank: the model chooses)> "
            )?;
            out.flush()?;
            let Some(line) = read_line(input)? else { return Ok(()) };
            let mut action = Vec::new();
            for answer in line.split_whitespace() {
                action.push(if let Ok(n) = answer.parse::<usize>() {
                    menu.get(n.wrapping_sub(1))
                        .cloned()
                        .ok_or_else(|| anyhow!("menu numbers run from 1 to {}", menu.len()))?
                } else {
                    answer.to_string()
                });
            }
            if sets.is_empty() && action.is_empty() {
                writeln!(out, "{team}: no orders; the model will decide.")?;
                break;
            }
            let mut g = Game::open(dir, key)?;
            let result = orders::parse_sets(g.model(), &sets)
                .and_then(|levers| g.submit(OrdersRec::new(g.current_turn(), team.clone(), levers, action)));
            match result {
                Ok(()) => {
                    writeln!(out, "Orders recorded for {team}.")?;
                    break;
                }
                Err(e) => writeln!(out, "error: {e:#}; try again")?,
            }
        }
    }
    write!(out, "{}", view::status(&Desk::open(dir)?))?;
    Ok(())
}

/// What team `team` sees (the white cell opens its brief with the derived passphrase).
fn team_view(dir: &Path, key: &WhiteKey, team: &str) -> Result<String> {
    let desk = Desk::open(dir)?;
    let pass = desk.white_passphrase(team, key)?;
    view::view_for(&desk, team, &pass)
}
