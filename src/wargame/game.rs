//! A game: its configuration, its log, and the state rebuilt from them.
//!
//! Nothing but the log (and the copy of the scenario beside it) is the game.
//! Opening a game replays every adjudicated turn from the stored start state
//! and checks each against the result recorded in the log, so the current
//! state is never stored separately and can never disagree with the log.

use super::brief::{LastTurn, seal_all};
use super::desk::Desk;
use super::keys::{Sealed, WhiteKey, open, seal};
use super::log::{GameLock, Log};
pub use super::orders::OrdersRec;
use super::turn_seed;
use super::visibility::Hidden;
use crate::model::{Control, Env, Model, Trace, TrialState};
use crate::scenario::Loaded;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Everything in a trial state that the engine reads: enough to rebuild it exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub turn: u32,
    pub vars: Vec<f64>,
    pub params: Vec<f64>,
    pub levers: Vec<f64>,
    pub event_counts: Vec<u32>,
    pub turn_events: Vec<u32>,
    pub choices: Vec<u8>,
    pub latches: Vec<bool>,
    pub lambda: Vec<f64>,
}

impl Snapshot {
    pub fn of(st: &TrialState) -> Snapshot {
        Snapshot {
            turn: st.turn,
            vars: st.vars.clone(),
            params: st.params.clone(),
            levers: st.levers.clone(),
            event_counts: st.event_counts.clone(),
            turn_events: st.turn_events.clone(),
            choices: st.choices.clone(),
            latches: st.latches.clone(),
            lambda: st.lambda.clone(),
        }
    }

    /// A trial state holding this snapshot (its turn stream must be reseeded before stepping).
    pub fn restore(&self, model: &Model) -> Result<TrialState> {
        let mut st = model.new_trial(0, 0);
        let fits = self.vars.len() == st.vars.len()
            && self.params.len() == st.params.len()
            && self.levers.len() == st.levers.len()
            && self.event_counts.len() == st.event_counts.len()
            && self.turn_events.len() == st.turn_events.len()
            && self.choices.len() == st.choices.len()
            && self.latches.len() == st.latches.len()
            && self.lambda.len() == st.lambda.len();
        if !fits {
            bail!(
                "the stored game state does not fit the game's scenario (different numbers of variables, levers, actors or events)"
            );
        }
        st.turn = self.turn;
        st.year = model.calendar.year(self.turn);
        st.vars.clone_from(&self.vars);
        st.params.clone_from(&self.params);
        st.levers.clone_from(&self.levers);
        st.event_counts.clone_from(&self.event_counts);
        st.turn_events.clone_from(&self.turn_events);
        st.choices.clone_from(&self.choices);
        st.latches.clone_from(&self.latches);
        st.lambda.clone_from(&self.lambda);
        Ok(st)
    }
}

/// What everyone may read about a game (the public part of the log's first record).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GameInfo {
    pub tool_version: String,
    /// Where the scenario came from when the game was created (it is copied into the game folder).
    pub scenario_origin: String,
    pub scenario_sha256: String,
    /// Actor ids played by teams, in the order given.
    pub teams: Vec<String>,
    /// Calendar label of the first game turn, e.g. "2026Q1".
    pub start: String,
    /// Model turn index of the first game turn.
    pub start_turn: u32,
    /// Number of game turns.
    pub turns: u32,
    /// Variables teams see only as noisy estimates.
    pub hidden: Vec<Hidden>,
    /// Check value of the white-cell key (see keys.rs).
    pub white_check: String,
    /// Check value of each team's passphrase.
    pub team_checks: BTreeMap<String, String>,
}

/// What only the white cell may read about a game: from the seed and the
/// start state every die and every hidden value can be computed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GameSecret {
    pub seed: u64,
    /// The world at the start of the game (status quo up to `start`, trial 0 of `seed`).
    pub start_state: Snapshot,
    /// The calibrated-ensemble member the game runs on: its coefficients and views are the hidden truth
    /// (absent: the scenario's nominal coefficients, and games created before ensembles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<crate::calibrate::file::PickedMember>,
    /// The known present the status-quo history to the start was anchored to (absent: it ran free — a game that
    /// starts before the decision date, `--free-history`, a scenario without a present file, and games created
    /// before anchoring).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present: Option<StartAnchoring>,
}

/// How a game's start was anchored to the known present (see [`crate::present`]): the present file's text, kept
/// in the sealed secret so that `replay` recomputes the start from the game folder alone, and how the history fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartAnchoring {
    /// Where the facts were read from when the game was made.
    pub origin: String,
    pub sha256: String,
    pub text: String,
    /// Histories drawn before one fit the soft facts (1: the free draws fit at once).
    pub attempts: u32,
    /// Whether the kept history fits every soft fact (false: the attempts ran out; hard facts still hold).
    pub accepted: bool,
}

/// The first record of every log: the public description, the sealed
/// secret, and each team's sealed brief for turn 1.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewRecord {
    pub game: GameInfo,
    pub secret: Sealed,
    pub briefs: BTreeMap<String, Sealed>,
}

/// A submission as logged: who and when in the open, what sealed to the team.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrdersEntry {
    pub turn: u32,
    pub team: String,
    pub sealed: Sealed,
}

impl OrdersEntry {
    /// Team `o.team`'s orders sealed to it with its passphrase, as logged.
    pub fn seal(o: &OrdersRec, pass: &super::keys::Passphrase) -> Result<OrdersEntry> {
        Ok(OrdersEntry {
            turn: o.turn,
            team: o.team.clone(),
            sealed: seal(&pass.seal_key(&o.team), &orders_context(o.turn, &o.team), o)?,
        })
    }
}

/// An adjudicated turn as logged: the record sealed to the white cell, and
/// each team's sealed brief for the next turn.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TurnEntry {
    pub turn: u32,
    pub date: String,
    pub sealed: Sealed,
    pub briefs: BTreeMap<String, Sealed>,
}

/// The white cell's turn clock as logged (kind `clock`, in the open: the class sees the countdown anyway). It
/// paces the class and decides nothing in the game: no die, estimate or check reads it. Being in the log, a
/// deadline survives a restart of `greatgame serve`; a turn record ends it (the next turn starts without one).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClockEntry {
    /// The game turn the deadline is for.
    pub turn: u32,
    /// When the turn opened, as the server that set the deadline saw it (milliseconds since the Unix epoch).
    pub opened_ms: u64,
    /// When orders are due (milliseconds since the Unix epoch).
    pub deadline_ms: u64,
}

impl ClockEntry {
    /// Read a logged clock record, refusing one that is not for `current` (the turn being played) of a game
    /// with `turns` turns.
    pub fn from_log(data: &serde_json::Value, at: &str, current: u32, turns: u32) -> Result<ClockEntry> {
        let c: ClockEntry =
            serde_json::from_value(data.clone()).with_context(|| format!("{at}: malformed clock record"))?;
        if c.turn != current || current > turns {
            bail!("{at}: a turn clock for turn {} recorded during turn {current}", c.turn);
        }
        Ok(c)
    }
}

/// Sealing contexts (authenticated with each sealed value).
pub fn secret_context() -> String {
    "new|secret".into()
}
pub fn orders_context(turn: u32, team: &str) -> String {
    format!("orders|{turn}|{team}")
}
pub fn turn_context(turn: u32) -> String {
    format!("turn|{turn}")
}
pub fn brief_context(turn: u32, team: &str) -> String {
    format!("brief|{turn}|{team}")
}

/// A game's configuration as the white cell knows it.
#[derive(Debug, Clone)]
pub struct NewGame {
    pub info: GameInfo,
    pub seed: u64,
    pub start_state: Snapshot,
    /// The ensemble member the game runs on (see [`GameSecret::member`]).
    pub member: Option<crate::calibrate::file::PickedMember>,
    /// The anchoring of the start (see [`GameSecret::present`]).
    pub present: Option<StartAnchoring>,
}

impl std::ops::Deref for NewGame {
    type Target = GameInfo;
    fn deref(&self) -> &GameInfo {
        &self.info
    }
}

/// A white-cell override of one event's dice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Override {
    pub event: String,
    pub count: u32,
    pub reason: String,
}

/// One actor's move in an adjudicated turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Move {
    pub actor: String,
    /// The line of effort this move was on (`None` for an actor without lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// The action id, or `hold` for a line's implicit hold.
    pub action: String,
    /// "team", "model", or "model (order … unavailable)".
    pub by: String,
    /// Logit probability the model gave the action actually taken.
    pub p: f64,
    /// The uniform drawn for the actor (used only when the model chose).
    pub u: f64,
}

/// One event's die in an adjudicated turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draw {
    pub event: String,
    /// Probability of at least one occurrence this turn.
    pub p: f64,
    /// Expected number of occurrences.
    pub mean: f64,
    pub u: f64,
    pub count: u32,
    pub forced: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnResult {
    /// Lever settings in force this turn (human form).
    pub levers: Vec<(String, String)>,
    pub moves: Vec<Move>,
    pub events: Vec<Draw>,
    /// The world at the end of the turn.
    pub state: Snapshot,
}

/// The record of an adjudicated turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnRec {
    pub turn: u32,
    pub date: String,
    /// The orders in force (latest per team).
    pub orders: Vec<OrdersRec>,
    pub overrides: Vec<Override>,
    pub result: TurnResult,
}

/// What the engine is told for one turn: levers (None: the baseline policy
/// decides) and forced actions per choice slot (one per actor without lines, one per line otherwise; see
/// [`crate::model::SlotDef`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub levers: Option<Vec<f64>>,
    pub actions: Vec<Option<u8>>,
}

impl Plan {
    /// Status-quo orders: the baseline policy sets the levers and the model picks every action.
    pub fn status_quo(model: &Model) -> Plan {
        Plan {
            levers: None,
            actions: vec![None; model.slots.len()],
        }
    }
}

/// Play one turn of `st` with the dice of `seed`. Forced actions whose
/// precondition fails under this turn's levers are voided (the model picks
/// instead); returns which were voided.
pub fn play_turn(
    model: &Model,
    st: &mut TrialState,
    seed: u64,
    plan: &Plan,
    events: Option<&[Option<u32>]>,
    trace: Option<&mut Trace>,
) -> Vec<bool> {
    let mut actions = plan.actions.clone();
    let mut voided = vec![false; actions.len()];
    let needs_check = actions
        .iter()
        .enumerate()
        .any(|(s, a)| a.is_some_and(|k| forced_when(model, s, k).is_some()));
    if needs_check {
        let levers = match &plan.levers {
            Some(l) => l.clone(),
            None => {
                // The baseline's levers for this turn: they do not depend on the dice.
                let mut probe = st.clone();
                model.step(&mut probe, model.baseline);
                probe.levers
            }
        };
        let env = Env {
            vars: &st.vars,
            params: &st.params,
            levers: &levers,
            event_counts: &st.event_counts,
            choices: &st.choices,
            turn: st.turn,
            year: model.calendar.year(st.turn),
        };
        for (s, a) in actions.iter_mut().enumerate() {
            if let Some(k) = *a
                && let Some(w) = forced_when(model, s, k)
                && w.eval(&env) == 0.0
            {
                *a = None;
                voided[s] = true;
            }
        }
    }
    st.reseed_turns(seed);
    model.step_with(
        st,
        model.baseline,
        &mut Control {
            levers: plan.levers.as_deref(),
            choices: Some(&actions),
            events,
            trace,
        },
    );
    voided
}

/// The precondition of forced option `k` of slot `s` (none for a line's implicit hold).
fn forced_when(model: &Model, s: usize, k: u8) -> Option<&crate::model::Program> {
    if k == crate::model::HOLD {
        return None;
    }
    model.actors[model.slots[s].actor].actions[usize::from(k)].when.as_ref()
}

/// An open game, as the white cell sees it (everything decrypted).
pub struct Game {
    pub dir: PathBuf,
    pub loaded: Loaded,
    pub config: NewGame,
    pub log: Log,
    pub white: WhiteKey,
    pub turns: Vec<TurnRec>,
    /// Orders submitted for the current turn, by team (latest submission).
    pub pending: BTreeMap<String, OrdersRec>,
    /// The world at the start of the current turn.
    pub state: TrialState,
    /// Start-of-turn states: `history[k]` is the world before game turn k + 1.
    pub history: Vec<TrialState>,
    /// Every message of the game (the white cell reads them all).
    pub messages: Vec<super::messages::Message>,
    /// The teams' sealed briefs for the current turn, as the log holds them (a team's view is built from its
    /// own brief, opened with its passphrase, exactly as `wargame view` does).
    pub briefs: BTreeMap<String, Sealed>,
    /// Every message as logged, sealed to its readers.
    pub sealed_messages: Vec<super::messages::MessageEntry>,
    /// The white cell's deadline for the current turn, if it set one.
    pub clock: Option<ClockEntry>,
    /// The scenario's nominal model when the game runs on an ensemble member (`loaded.model` is then the
    /// member, the hidden truth): what the teams see and are checked against, as with `Desk`.
    nominal: Option<Model>,
    /// The folder's lock, held while the game is open (see `release_lock`).
    lock: Option<GameLock>,
}

impl Game {
    /// Open, verify, decrypt and rebuild the game in `dir` with the white-cell key.
    pub fn open(dir: &Path, key: &WhiteKey) -> Result<Game> {
        Game::from_desk(Desk::open(dir)?, key)
    }

    /// Open the game in `dir` under `lock`, the folder's lock the caller already holds.
    pub fn open_locked(dir: &Path, key: &WhiteKey, lock: GameLock) -> Result<Game> {
        Game::from_desk(Desk::open_locked(dir, lock)?, key)
    }

    /// Let go of the folder's lock, keeping the game in memory as it was read (the server keeps such a copy to
    /// answer reads while the log is unchanged; it must not write through it).
    pub fn release_lock(&mut self) {
        self.lock = None;
    }

    /// Take the folder's lock again for a game kept in memory. The caller (the server) must have checked,
    /// under `lock`, that the log and the scenario copy on disk are the ones this game was read from or last
    /// wrote; otherwise it must open the game again.
    pub fn attach_lock(&mut self, lock: GameLock) {
        self.lock = Some(lock);
    }

    /// The model the teams see: the scenario's nominal coefficients (the ensemble member the game may run on
    /// is the white cell's secret).
    pub fn team_model(&self) -> &Model {
        self.nominal.as_ref().unwrap_or(&self.loaded.model)
    }

    /// Refuse to write through a game whose lock was released (another process may have moved on).
    fn writable(&self) -> Result<()> {
        if self.lock.is_none() {
            bail!("internal: a game read without its lock cannot be written; open it again");
        }
        Ok(())
    }

    fn from_desk(desk: Desk, key: &WhiteKey) -> Result<Game> {
        let secret = desk.white_secret(key)?;
        let Desk {
            dir,
            mut loaded,
            info,
            log,
            lock,
            briefs,
            messages: sealed_messages,
            ..
        } = desk;
        // The white cell's game runs on the member drawn at creation; the teams' desks keep the nominal model.
        let mut nominal = None;
        if let Some(m) = &secret.member {
            let member = m.model(&loaded)?;
            nominal = Some(std::mem::replace(&mut loaded.model, member));
        }
        let config = NewGame {
            info,
            seed: secret.seed,
            start_state: secret.start_state,
            member: secret.member,
            present: secret.present,
        };
        let state = config.start_state.restore(&loaded.model)?;
        let mut game = Game {
            dir,
            loaded,
            config,
            log,
            white: key.clone(),
            turns: Vec::new(),
            pending: BTreeMap::new(),
            history: vec![state.clone()],
            state,
            messages: Vec::new(),
            briefs: BTreeMap::new(),
            sealed_messages,
            clock: None,
            nominal,
            lock: Some(lock),
        };
        let entries = game.log.entries.clone();
        for e in entries.iter().skip(1) {
            let at = format!("{}:{}", game.log.path().display(), e.seq);
            match e.kind.as_str() {
                "orders" => {
                    let entry: OrdersEntry =
                        serde_json::from_value(e.data.clone()).with_context(|| format!("{at}: malformed orders"))?;
                    let pass = key.passphrase(game.config.seed, &entry.team);
                    let o: OrdersRec = open(
                        &pass.seal_key(&entry.team),
                        &orders_context(entry.turn, &entry.team),
                        &entry.sealed,
                    )
                    .with_context(|| format!("{at}: orders of team `{}`", entry.team))?;
                    if o.team != entry.team || o.turn != entry.turn {
                        bail!("{at}: the sealed orders do not match the record's team and turn");
                    }
                    super::orders::validate_form(
                        game.model(),
                        &game.config.teams,
                        game.config.turns,
                        game.is_over(),
                        game.current_turn(),
                        &o,
                    )
                    .with_context(|| format!("{at}: recorded orders are invalid"))?;
                    game.pending.insert(o.team.clone(), o);
                }
                "turn" => {
                    let entry: TurnEntry = serde_json::from_value(e.data.clone())
                        .with_context(|| format!("{at}: malformed turn record"))?;
                    let rec: TurnRec = open(&key.seal_key(), &turn_context(entry.turn), &entry.sealed)
                        .with_context(|| format!("{at}: turn {}", entry.turn))?;
                    let again = game.resolve(&rec.overrides)?;
                    if again.turn != rec.turn || again.orders != rec.orders {
                        bail!(
                            "{at}: turn {} was adjudicated with orders that differ from the orders recorded before it",
                            rec.turn
                        );
                    }
                    if let Some(diff) = first_difference(&game.loaded.model, &rec.result, &again.result) {
                        bail!(
                            "{at}: recomputing turn {} ({}) gives a different result: {diff}. The game no longer \
                             replays (a different build or scenario, or an edited log)",
                            rec.turn,
                            rec.date
                        );
                    }
                    game.advance(again)?;
                }
                "message" => {
                    let entry: super::messages::MessageEntry =
                        serde_json::from_value(e.data.clone()).with_context(|| format!("{at}: malformed message"))?;
                    let m = super::messages::open_white(key, &entry).with_context(|| format!("{at}: message"))?;
                    if m.n as usize != game.messages.len() + 1 {
                        bail!("{at}: message {} where {} was expected", m.n, game.messages.len() + 1);
                    }
                    game.messages.push(m);
                }
                "clock" => {
                    game.clock = Some(ClockEntry::from_log(
                        &e.data,
                        &at,
                        game.current_turn(),
                        game.config.turns,
                    )?);
                }
                other => bail!("{at}: unknown record kind `{other}`"),
            }
        }
        game.briefs = briefs;
        Ok(game)
    }

    pub fn model(&self) -> &Model {
        &self.loaded.model
    }

    /// The game turn being played (1-based); `turns + 1` once the game is over.
    pub fn current_turn(&self) -> u32 {
        self.turns.len() as u32 + 1
    }

    pub fn is_over(&self) -> bool {
        self.turns.len() as u32 >= self.config.turns
    }

    /// Calendar label of game turn `k`.
    pub fn date(&self, k: u32) -> String {
        self.model().calendar.label(self.config.start_turn + k - 1)
    }

    pub fn actor_index(&self, id: &str) -> Option<usize> {
        self.model().actors.iter().position(|a| a.id == id)
    }

    pub fn is_team(&self, actor: &str) -> bool {
        self.config.teams.iter().any(|t| t == actor)
    }

    /// Check a team's orders against the current state (preconditions under
    /// last turn's levers, or the US team's pending ones).
    pub fn check_orders(&self, o: &OrdersRec) -> Result<()> {
        let model = self.model();
        super::orders::validate_form(
            model,
            &self.config.teams,
            self.config.turns,
            self.is_over(),
            self.current_turn(),
            o,
        )?;
        let i = self.actor_index(&o.team).expect("teams are actors");
        super::orders::check_available(model, &self.loaded.text, o, &self.state.levers, |levers, k| {
            self.available(levers, i, k)
        })
    }

    /// Whether `actor`'s action `k` is available in the game's true current state under `levers`.
    pub fn available(&self, levers: &[f64], actor: usize, k: usize) -> bool {
        let model = self.model();
        super::brief::available_in(model, &super::brief::env_of(model, &self.state, levers), actor, k)
    }

    /// The engine plan for the current turn from the pending orders.
    pub fn plan(&self) -> Result<Plan> {
        self.plan_from(&self.state, &self.pending.values().cloned().collect::<Vec<_>>())
    }

    /// The engine plan for a turn starting in `st` with `orders`.
    pub fn plan_from(&self, st: &TrialState, orders: &[OrdersRec]) -> Result<Plan> {
        let model = self.model();
        let mut plan = Plan::status_quo(model);
        if self.is_team("us") {
            plan.levers = Some(st.levers.clone());
        }
        for o in orders {
            let i = self.actor_index(&o.team).context("orders for an unknown team")?;
            if !o.levers.is_empty() {
                let levers = plan.levers.get_or_insert_with(|| st.levers.clone());
                for (name, value) in &o.levers {
                    let (l, v) = super::orders::encode_lever(model, name, value)?;
                    levers[l] = v;
                }
            }
            for a in o.actions() {
                let (s, k) = super::orders::slot_of_order(model, i, a)?;
                if let Some(prev) = plan.actions[s] {
                    bail!(
                        "two actions on {}'s line `{}`: `{}` and `{a}`; order one action per line",
                        model.actors[i].name,
                        model.slots[s].line.as_deref().unwrap_or(""),
                        model.option_id(s, prev)
                    );
                }
                plan.actions[s] = Some(k);
            }
        }
        Ok(plan)
    }

    /// Resolve the current turn with the pending orders (does not change the game).
    pub fn resolve(&self, overrides: &[Override]) -> Result<TurnRec> {
        if self.is_over() {
            bail!(
                "the game is over ({} of {} turns played); run `greatgame wargame report --game {}`",
                self.turns.len(),
                self.config.turns,
                self.dir.display()
            );
        }
        let model = self.model();
        let k = self.current_turn();
        let plan = self.plan()?;
        let mut forced = vec![None; model.events.len()];
        for o in overrides {
            let e = model
                .events
                .iter()
                .position(|x| x.id == o.event)
                .with_context(|| format!("unknown event `{}` in an override", o.event))?;
            forced[e] = Some(o.count);
        }
        let mut st = self.state.clone();
        let mut trace = Trace::default();
        let voided = play_turn(
            model,
            &mut st,
            turn_seed(self.config.seed, k),
            &plan,
            Some(&forced),
            Some(&mut trace),
        );
        let moves = model
            .slots
            .iter()
            .enumerate()
            .map(|(s, slot)| {
                let a = &model.actors[slot.actor];
                let pick = st.choices[s];
                let by = if voided[s] {
                    let asked = self
                        .pending
                        .get(&a.id)
                        .and_then(|o| {
                            o.actions()
                                .find(|x| a.actions.iter().any(|y| &y.id == *x && y.slot == s))
                                .cloned()
                        })
                        .unwrap_or_default();
                    format!("model (order `{asked}` unavailable this turn: its precondition failed)")
                } else if plan.actions[s].is_some() {
                    "team".to_string()
                } else {
                    "model".to_string()
                };
                let j = slot.options.iter().position(|&o| o == pick).unwrap_or(0);
                Move {
                    actor: a.id.clone(),
                    line: slot.line.clone(),
                    action: model.option_id(s, pick).to_string(),
                    by,
                    p: trace.choice_probs[s][j],
                    u: trace.choice_u[s],
                }
            })
            .collect();
        let events = model
            .events
            .iter()
            .enumerate()
            .map(|(e, ev)| Draw {
                event: ev.id.clone(),
                p: trace.event_p[e],
                mean: trace.event_mean[e],
                u: trace.event_u[e],
                count: st.turn_events[e],
                forced: trace.event_forced[e],
            })
            .collect();
        let levers = model
            .levers
            .iter()
            .zip(&st.levers)
            .map(|(l, v)| (l.id.clone(), l.show(*v)))
            .collect();
        Ok(TurnRec {
            turn: k,
            date: self.date(k),
            orders: self.pending.values().cloned().collect(),
            overrides: overrides.to_vec(),
            result: TurnResult {
                levers,
                moves,
                events,
                state: Snapshot::of(&st),
            },
        })
    }

    /// Move to the next turn after `rec` (already logged or being replayed).
    fn advance(&mut self, rec: TurnRec) -> Result<()> {
        self.state = rec.result.state.restore(self.model())?;
        self.history.push(self.state.clone());
        self.turns.push(rec);
        self.pending.clear();
        self.clock = None;
        Ok(())
    }

    /// Record `o` in the log, sealed to its team (checked on the truth: the white cell submits for a team).
    pub fn submit(&mut self, o: OrdersRec) -> Result<()> {
        self.writable()?;
        self.check_orders(&o)?;
        let pass = self.white.passphrase(self.config.seed, &o.team);
        self.record_orders(o, &pass)
    }

    /// Record team `o.team`'s orders as the team would (`wargame orders --passphrase`): checked on what the
    /// team knows (its brief, the nominal model), sealed to it. The server's path for a team's form.
    pub fn submit_as_team(&mut self, o: OrdersRec, pass: &super::keys::Passphrase) -> Result<()> {
        self.writable()?;
        self.check_as_team(&o, pass)?;
        self.record_orders(o, pass)
    }

    /// Log checked orders sealed to their team, and hold them as the turn's pending orders.
    fn record_orders(&mut self, o: OrdersRec, pass: &super::keys::Passphrase) -> Result<()> {
        self.log.append("orders", &OrdersEntry::seal(&o, pass)?)?;
        self.pending.insert(o.team.clone(), o);
        Ok(())
    }

    /// Team `team`'s brief for the current turn, opened with its passphrase.
    pub fn team_brief(&self, team: &str, pass: &super::keys::Passphrase) -> Result<super::brief::Brief> {
        let sealed = self
            .briefs
            .get(team)
            .with_context(|| format!("the log holds no brief for team `{team}`"))?;
        open(&pass.seal_key(team), &brief_context(self.current_turn(), team), sealed)
            .with_context(|| format!("team `{team}`'s brief"))
    }

    /// Check team `o.team`'s orders on what the team knows, without recording them (as `Desk::check`).
    pub fn check_as_team(&self, o: &OrdersRec, pass: &super::keys::Passphrase) -> Result<()> {
        let brief = self.team_brief(&o.team, pass)?;
        super::desk::check_team_orders(
            self.team_model(),
            &self.loaded.text,
            &self.config.info,
            self.is_over(),
            self.current_turn(),
            &brief,
            o,
        )
    }

    /// Record the white cell's deadline for the current turn (a `clock` record; see [`ClockEntry`]).
    pub fn set_clock(&mut self, opened_ms: u64, deadline_ms: u64) -> Result<ClockEntry> {
        self.writable()?;
        if self.is_over() {
            bail!("the game is over: there is no turn to time");
        }
        let c = ClockEntry {
            turn: self.current_turn(),
            opened_ms,
            deadline_ms,
        };
        self.log.append("clock", &c)?;
        self.clock = Some(c);
        Ok(c)
    }

    /// Record a message from `from` (a team or `white`) to `to` (a team, `white` or `all`), sealed to its readers.
    pub fn send_message(&mut self, from: &str, to: &str, text: &str) -> Result<super::messages::Message> {
        self.writable()?;
        let m = super::messages::Message {
            n: self.messages.len() as u32 + 1,
            turn: self.current_turn().min(self.config.turns),
            from: from.to_string(),
            to: to.to_string(),
            text: text.trim().to_string(),
        };
        let entry = super::messages::seal_for_readers(&self.white, self.config.seed, &self.config.teams, &m)?;
        self.log.append("message", &entry)?;
        self.sealed_messages.push(entry);
        self.messages.push(m.clone());
        Ok(m)
    }

    /// Occurrences of each event during the game's adjudicated turns.
    pub fn game_events(&self) -> Vec<u32> {
        let mut n = vec![0u32; self.model().events.len()];
        for t in &self.turns {
            for (c, d) in n.iter_mut().zip(&t.result.events) {
                *c += d.count;
            }
        }
        n
    }

    /// Resolve the current turn and record it, sealed to the white cell,
    /// with every team's brief for the next turn.
    pub fn adjudicate(&mut self, overrides: &[Override]) -> Result<TurnRec> {
        self.writable()?;
        let rec = self.resolve(overrides)?;
        let next = rec.result.state.restore(self.model())?;
        let mut events = self.game_events();
        for (c, d) in events.iter_mut().zip(&rec.result.events) {
            *c += d.count;
        }
        let last = LastTurn {
            date: rec.date.clone(),
            moves: rec
                .result
                .moves
                .iter()
                .map(|m| (m.actor.clone(), m.action.clone()))
                .collect(),
        };
        let briefs = seal_all(
            self.model(),
            &self.config,
            &self.white,
            &next,
            rec.turn + 1,
            &events,
            Some(&last),
        )?;
        let sealed = seal(&self.white.seal_key(), &turn_context(rec.turn), &rec)?;
        self.log.append(
            "turn",
            &TurnEntry {
                turn: rec.turn,
                date: rec.date.clone(),
                sealed,
                briefs: briefs.clone(),
            },
        )?;
        self.briefs = briefs;
        self.advance(rec.clone())?;
        Ok(rec)
    }
}

/// The first difference between a recorded and a recomputed turn, in words.
pub fn first_difference(model: &Model, a: &TurnResult, b: &TurnResult) -> Option<String> {
    if a == b {
        return None;
    }
    for (x, y) in a.moves.iter().zip(&b.moves) {
        if x != y {
            return Some(format!(
                "{} did `{}` in the log but `{}` now",
                x.actor, x.action, y.action
            ));
        }
    }
    for (x, y) in a.events.iter().zip(&b.events) {
        if x != y {
            return Some(format!(
                "event {}: {} occurrence(s) with probability {} in the log, {} with probability {} now",
                x.event, x.count, x.p, y.count, y.p
            ));
        }
    }
    if a.levers != b.levers {
        return Some("the lever settings differ".into());
    }
    for (v, (x, y)) in a.state.vars.iter().zip(&b.state.vars).enumerate() {
        if x != y {
            return Some(format!("{} is {x} in the log but {y} now", model.vars[v].id));
        }
    }
    Some("the end-of-turn state differs".into())
}
