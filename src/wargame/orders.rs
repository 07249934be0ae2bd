//! Orders: what a team may submit, checked against the rules of the scenario.

use super::game::{Game, OrdersRec};
use crate::model::{Env, LeverKindDef, Model};
use crate::scenario::diagnostics::closest;
use crate::scenario::schema::LeverValue;
use anyhow::{Result, anyhow, bail};

fn did_you_mean(name: &str, candidates: &[String]) -> String {
    match closest(name, candidates) {
        Some(c) => format!("did you mean `{c}`?"),
        None => format!("choose from: {}", candidates.join(", ")),
    }
}

/// Parse `value` for lever `name`; returns (lever index, encoded value).
pub fn encode_lever(model: &Model, name: &str, value: &str) -> Result<(usize, f64)> {
    let ids: Vec<String> = model.levers.iter().map(|l| l.id.clone()).collect();
    let l = model
        .levers
        .iter()
        .position(|x| x.id == name)
        .ok_or_else(|| anyhow!("unknown lever `{name}`; {}", did_you_mean(name, &ids)))?;
    let def = &model.levers[l];
    let v = value.trim();
    let written = match &def.kind {
        LeverKindDef::Bool => match v.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" => LeverValue::Bool(true),
            "false" | "no" | "off" => LeverValue::Bool(false),
            _ => bail!("lever `{name}` is true or false (got `{v}`)"),
        },
        LeverKindDef::Level(lo, hi) => match v.parse::<f64>() {
            Ok(x) => LeverValue::Num(x),
            Err(_) => bail!("lever `{name}` takes a number in [{lo}, {hi}] (got `{v}`)"),
        },
        LeverKindDef::Enum(_) => LeverValue::Opt(v.to_string()),
    };
    let x = def.encode(&written).map_err(|e| anyhow!(e))?;
    Ok((l, x))
}

/// Parse `--set lever=value` arguments into normalised `(lever, value)` pairs.
pub fn parse_sets(model: &Model, sets: &[String]) -> Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for s in sets {
        let (name, value) = s
            .split_once('=')
            .ok_or_else(|| anyhow!("`--set {s}`: write lever=value, e.g. `--set recognition=conditional`"))?;
        let name = name.trim();
        let (l, x) = encode_lever(model, name, value)?;
        if out.iter().any(|(n, _)| n == name) {
            bail!("lever `{name}` is set twice in one order");
        }
        out.push((model.levers[l].id.clone(), model.levers[l].show(x)));
    }
    Ok(out)
}

/// Whether `actor`'s action `k` is available in the current state under `levers`.
pub fn available(model: &Model, game: &Game, levers: &[f64], actor: usize, k: usize) -> bool {
    let st = &game.state;
    let env = Env {
        vars: &st.vars,
        params: &st.params,
        levers,
        event_counts: &st.event_counts,
        choices: &st.choices,
        turn: st.turn,
        year: model.calendar.year(st.turn),
    };
    model.actors[actor].actions[k]
        .when
        .as_ref()
        .is_none_or(|w| w.eval(&env) != 0.0)
}

/// Levers the checks should assume this turn: for the US team's own order its
/// new settings, for other teams last turn's (the US team's pending settings
/// are secret until adjudication, which checks every order again).
fn levers_for_check(game: &Game, o: &OrdersRec) -> Result<Vec<f64>> {
    let mut levers = game.state.levers.clone();
    if o.team != "us" {
        return Ok(levers);
    }
    for (name, value) in &o.levers {
        let (l, x) = encode_lever(game.model(), name, value)?;
        levers[l] = x;
    }
    Ok(levers)
}

/// Check an order: a known team of this game, the current turn, levers only
/// for the US, an action from the team's menu whose precondition holds.
pub fn validate(game: &Game, o: &OrdersRec) -> Result<()> {
    let model = game.model();
    if !game.is_team(&o.team) {
        let ids = game.config.teams.clone();
        let why = if game.actor_index(&o.team).is_some() {
            format!("`{}` is played by the model in this game", o.team)
        } else {
            format!("no team `{}`", o.team)
        };
        bail!(
            "{why}; the teams are {} ({})",
            ids.join(", "),
            did_you_mean(&o.team, &ids)
        );
    }
    if game.is_over() {
        bail!("the game is over ({} turns played); no more orders", game.config.turns);
    }
    if o.turn != game.current_turn() {
        bail!(
            "orders for turn {} but the game is at turn {}",
            o.turn,
            game.current_turn()
        );
    }
    if o.team != "us" && !o.levers.is_empty() {
        bail!(
            "only the US team sets levers; team `{}` picks one action (--action)",
            o.team
        );
    }
    if o.levers.is_empty() && o.action.is_none() {
        bail!(
            "nothing to submit: give {}",
            if o.team == "us" {
                "lever settings (--set lever=value) and/or an action (--action)"
            } else {
                "an action (--action)"
            }
        );
    }
    for (name, value) in &o.levers {
        encode_lever(model, name, value)?;
    }
    if let Some(a) = &o.action {
        let i = game.actor_index(&o.team).expect("teams are actors");
        let actor = &model.actors[i];
        let ids: Vec<String> = actor.actions.iter().map(|x| x.id.clone()).collect();
        let k = actor
            .actions
            .iter()
            .position(|x| &x.id == a)
            .ok_or_else(|| anyhow!("{} has no action `{a}`; {}", actor.name, did_you_mean(a, &ids)))?;
        let levers = levers_for_check(game, o)?;
        if !available(model, game, &levers, i, k) {
            let open: Vec<String> = (0..actor.actions.len())
                .filter(|&j| available(model, game, &levers, i, j))
                .map(|j| actor.actions[j].id.clone())
                .collect();
            bail!(
                "action `{a}` ({}) is not available to {} now: its precondition `{}` does not hold in the \
                 current state. Available now: {}",
                actor.actions[k].label,
                actor.name,
                precondition_text(&game.loaded.text, &actor.id, a).unwrap_or_else(|| "when".into()),
                open.join(", ")
            );
        }
    }
    Ok(())
}

/// The precondition of an action as written in the scenario file.
pub fn precondition_text(scenario_text: &str, actor: &str, action: &str) -> Option<String> {
    let opts = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    let file: crate::scenario::schema::ScenarioFile = opts.from_str(scenario_text).ok()?;
    let a = file.actors.into_iter().find(|x| x.id == actor)?;
    a.actions.into_iter().find(|x| x.id == action)?.when
}
