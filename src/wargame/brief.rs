//! A team's brief: everything one team may know at the start of a turn,
//! composed by the white cell (which holds the truth) and sealed to the team.
//!
//! Why precomputed: a team's commands cannot rebuild the world from the log
//! (the seed and the state are sealed to the white cell), so at `new` and at
//! every `adjudicate` the white cell writes each team what it may see: the
//! public variables, its own estimates of the hidden ones, the events and
//! moves so far, the levers in force and which of its actions are available.

use super::game::{NewGame, brief_context};
use super::keys::{Sealed, WhiteKey, seal};
use super::visibility::seen;
use crate::model::{Env, Model, TrialState};
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What every actor did in the last adjudicated turn (public once adjudicated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastTurn {
    pub date: String,
    /// (actor, action) for every actor.
    pub moves: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Brief {
    /// The game turn the brief is for (turns + 1 once the game is over).
    pub turn: u32,
    pub over: bool,
    /// The model's turn index (for the calendar in preconditions).
    pub model_turn: u32,
    /// Per variable: (value, None) if known exactly, (estimate, Some(sd)) if hidden from this team.
    pub seen: Vec<(f64, Option<f64>)>,
    /// Occurrences of each event during the game.
    pub game_events: Vec<u32>,
    /// Occurrences of each event since the scenario's start (public history; preconditions read it).
    pub event_counts: Vec<u32>,
    /// Each actor's latest move (menu index).
    pub choices: Vec<u8>,
    /// Lever settings in force (the US policy is public once adjudicated).
    pub levers: Vec<f64>,
    /// Whether each action of the team's menu is available under the levers in force.
    pub available: Vec<bool>,
    pub last_turn: Option<LastTurn>,
}

/// Whether `actor`'s action `k` is available in `env`.
pub fn available_in(model: &Model, env: &Env, actor: usize, k: usize) -> bool {
    model.actors[actor].actions[k]
        .when
        .as_ref()
        .is_none_or(|w| w.eval(env) != 0.0)
}

/// The environment of state `st` with levers `levers`.
pub fn env_of<'a>(model: &Model, st: &'a TrialState, levers: &'a [f64]) -> Env<'a> {
    Env {
        vars: &st.vars,
        params: &st.params,
        levers,
        event_counts: &st.event_counts,
        choices: &st.choices,
        turn: st.turn,
        year: model.calendar.year(st.turn),
    }
}

/// Team `team`'s brief for game turn `turn`, starting in the true state `st`.
pub fn compose(
    model: &Model,
    config: &NewGame,
    st: &TrialState,
    turn: u32,
    game_events: &[u32],
    last_turn: Option<&LastTurn>,
    team: usize,
) -> Brief {
    let env = env_of(model, st, &st.levers);
    Brief {
        turn,
        over: turn > config.turns,
        model_turn: st.turn,
        seen: (0..model.vars.len())
            .map(|v| seen(model, &config.hidden, config.seed, turn, team, v, &st.vars))
            .collect(),
        game_events: game_events.to_vec(),
        event_counts: st.event_counts.clone(),
        choices: st.choices.clone(),
        levers: st.levers.clone(),
        available: (0..model.actors[team].actions.len())
            .map(|k| available_in(model, &env, team, k))
            .collect(),
        last_turn: last_turn.cloned(),
    }
}

/// Every team's brief, sealed to the team.
pub fn seal_all(
    model: &Model,
    config: &NewGame,
    white: &WhiteKey,
    st: &TrialState,
    turn: u32,
    game_events: &[u32],
    last_turn: Option<&LastTurn>,
) -> Result<BTreeMap<String, Sealed>> {
    let mut out = BTreeMap::new();
    for team in &config.teams {
        let i = model
            .actors
            .iter()
            .position(|a| &a.id == team)
            .expect("teams are actors");
        let brief = compose(model, config, st, turn, game_events, last_turn, i);
        let key = white.passphrase(config.seed, team).seal_key(team);
        out.insert(team.clone(), seal(&key, &brief_context(turn, team), &brief)?);
    }
    Ok(out)
}

impl Brief {
    /// Whether the team's action `k` is available under `levers`: exact
    /// (computed by the white cell) under the levers in force; under other
    /// levers (the US team's own new settings) judged on what the team knows,
    /// its estimates of hidden variables and the scenario's median
    /// uncertainties. Adjudication checks again on the truth.
    pub fn available(&self, model: &Model, actor: usize, k: usize, levers: &[f64]) -> bool {
        if levers == self.levers.as_slice() {
            return self.available.get(k).copied().unwrap_or(false);
        }
        let vars: Vec<f64> = self.seen.iter().map(|(x, _)| *x).collect();
        let params: Vec<f64> = model
            .params
            .iter()
            .map(|p| crate::model::dist::quantile(&p.dist, 0.5))
            .collect();
        let env = Env {
            vars: &vars,
            params: &params,
            levers,
            event_counts: &self.event_counts,
            choices: &self.choices,
            turn: self.model_turn,
            year: model.calendar.year(self.model_turn),
        };
        available_in(model, &env, actor, k)
    }
}
