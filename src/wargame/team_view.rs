//! Everything one team may see, gathered in one value: its brief (opened with its own passphrase), its own
//! pending orders, who else has submitted (never what), its messages, and the public part of every adjudicated
//! turn. The server renders a team's pages and JSON from this value and the scenario's definitions only, so
//! nothing it shows a team can come from the hidden truth or another team's orders.

use super::adjudicate::{PublicTurn, public_turn};
use super::brief::Brief;
use super::game::{Game, OrdersRec, brief_context};
use super::keys::open;
use super::messages::{Message, open_team};
use anyhow::{Context, Result};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct TeamView {
    pub team: String,
    pub teams: Vec<String>,
    /// The game turn being played (turns + 1 once the game is over).
    pub turn: u32,
    pub turns: u32,
    pub over: bool,
    /// Calendar label of the current turn (of the last one once the game is over).
    pub date: String,
    pub brief: Brief,
    pub own: Option<OrdersRec>,
    /// Every team and whether it has submitted this turn.
    pub submitted: Vec<(String, bool)>,
    pub messages: Vec<Message>,
    pub turns_played: Vec<PublicTurn>,
}

impl TeamView {
    /// Team `team`'s view of `game`, through the team's own keys.
    pub fn of(game: &Game, team: &str) -> Result<TeamView> {
        let pass = game.white.passphrase(game.config.seed, team);
        let k = game.current_turn();
        let sealed = game
            .briefs
            .get(team)
            .with_context(|| format!("the log holds no brief for team `{team}`"))?;
        let brief: Brief = open(&pass.seal_key(team), &brief_context(k, team), sealed)
            .with_context(|| format!("team `{team}`'s brief"))?;
        Ok(TeamView {
            team: team.to_string(),
            teams: game.config.teams.clone(),
            turn: k,
            turns: game.config.turns,
            over: game.is_over(),
            date: game.date(k.min(game.config.turns)),
            brief,
            own: game.pending.get(team).cloned(),
            submitted: game
                .config
                .teams
                .iter()
                .map(|t| (t.clone(), game.pending.contains_key(t)))
                .collect(),
            messages: open_team(team, &pass, &game.sealed_messages)?,
            turns_played: game.turns.iter().map(|r| public_turn(game, r)).collect(),
        })
    }
}
