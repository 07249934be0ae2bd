//! One trial, one turn at a time.
//!
//! A turn runs in a fixed order (documented in ARCHITECTURE.md):
//! 1. levers are set from the active policy (the baseline before the decision
//!    date, the policy under test from it on);
//! 2. scheduled shocks for this date are applied; at scheduled turns a
//!    bargaining round runs and writes its settled positions into the state
//!    (see [`super::bargaining`]);
//! 3. every actor picks an action by a logit rule over the value of its
//!    options (simultaneously, all judging the start-of-turn state); an
//!    actor with lines of effort picks once per line, among that line's
//!    actions and an implicit hold, each line independently;
//! 4. the state moves: mean reversion + drift + lever effects + chosen
//!    actions' effects + noise, then is clamped to its bounds;
//! 5. events are drawn from hazards evaluated on the new state, and their
//!    consequences applied.
//!
//! Common random numbers: every turn consumes exactly the same random draws in
//! the same order whatever the policy — one uniform and one normal per actor,
//! one normal per noisy variable, one uniform per event — so trial *k* sees
//! the same luck under every policy and differences between policies are not
//! seed noise. An actor with lines still consumes its uniform and normal from
//! the turn stream (and ignores them), and draws each line's uniform and
//! normal from that line's own stream, a function of (master seed, trial,
//! turn, actor, line) only: adding a line to one actor, or lines to an actor,
//! shifts no other actor's or line's luck (see [`line_rng`]).

use super::drivers::{self, DriverLedger, LedgerShape};
use super::{HazardDef, Model};
use crate::model::program::Env;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;

/// Everything that changes during a trial. Cloning it forks the trial (the
/// history before the decision date is simulated once and forked per policy).
#[derive(Debug, Clone)]
pub struct TrialState {
    pub turn: u32,
    /// Decimal year of `turn` (cached: expressions read it often).
    pub year: f64,
    pub vars: Vec<f64>,
    pub params: Vec<f64>,
    pub levers: Vec<f64>,
    /// Occurrences of each event so far.
    pub event_counts: Vec<u32>,
    /// Occurrences of each event in the last turn.
    pub turn_events: Vec<u32>,
    /// Each choice slot's most recent pick (see [`super::SlotDef`]): an index into the actor's menu, or
    /// [`super::HOLD`] for a line's implicit hold. Without lines, one slot per actor.
    pub choices: Vec<u8>,
    /// Sticky policy rules whose condition has held.
    pub latches: Vec<bool>,
    /// Each actor's logit rationality for this trial.
    pub lambda: Vec<f64>,
    /// Settled positions of the latest bargaining round, `bargainers × dimensions` on 0–1 (empty before the
    /// first round or without bargaining).
    pub settled: Vec<f64>,
    /// Bargaining rounds run so far, and the model steps they took in all.
    pub bargaining_rounds: u32,
    pub bargaining_steps: u32,
    /// Where each state change came from, when a caller asked (see [`super::drivers`]); `None` in ordinary runs.
    pub drivers: Option<Box<DriverLedger>>,
    /// The view of each contested mechanism this trial runs under (see [`super::worlds`]).
    pub world: Vec<u8>,
    /// Master seed and trial number, from which each bargaining round derives its own stream.
    seed: u64,
    trial: u64,
    /// Set by [`TrialState::reseed_turns`]: the wargame's seed of this turn, from which the lines' streams derive
    /// instead of (master seed, trial, turn).
    turn_seed: Option<u64>,
    /// The uncertainties were set by the caller (a design), not drawn.
    params_given: bool,
    rng: Xoshiro256PlusPlus,
    scratch: Scratch,
}

#[derive(Debug, Clone, Default)]
struct Scratch {
    delta: Vec<f64>,
    probe: Vec<f64>,
    deriv: Vec<f64>,
    values: Vec<f64>,
    z: Vec<f64>,
    new_choices: Vec<u8>,
    new_levers: Vec<f64>,
    /// This turn's incentives of the trial's views, one key per incentive, sorted (see [`incentive_key`]): lets
    /// each option find its own without scanning every view's incentives.
    incentives: Vec<u64>,
    /// The bargaining round's input, model and working buffers, sized when the trial starts and rebuilt in place
    /// at each scheduled turn (see [`crate::bargain::Smp::refill`], [`crate::bargain::Smp::settle_in`]): a round
    /// allocates nothing.
    round: super::bargaining::RoundBuffers,
}

/// Where a starting trial's uncertainties come from (see [`Model::start_trial`]).
#[derive(Clone, Copy)]
enum Params<'a> {
    /// Drawn from the setup stream.
    Draw,
    /// Set by a design.
    Set(&'a [f64]),
    /// Set by a design, already in the state (a restart of the same trial).
    Keep,
}

/// A stage of a turn, for [`Model::run_stage`] (benchmarks).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Every actor's choice (with the event-hazard derivatives it needs).
    Decision,
    /// Reversion, drift, levers, actions, noise, clamping.
    StateUpdate,
    /// Hazards, draws and consequences.
    Events,
    /// One stochastic bargaining round and its outputs.
    Bargaining,
}

/// What a recorder sees at the end of each turn.
pub struct TurnRecord<'a> {
    pub turn: u32,
    pub vars: &'a [f64],
    pub levers: &'a [f64],
    pub events: &'a [u32],
    pub choices: &'a [u8],
}

/// Outside control over one turn, for callers other than the Monte Carlo
/// runner: the wargame (teams choose actions, the white cell overrides
/// events) and the exploration designs (levers set directly, not by a
/// policy). Every field defaults to "let the model decide".
///
/// Overrides never change which random draws a turn consumes: the dice are
/// rolled exactly as in an uncontrolled turn and then overruled, so common
/// random numbers hold between a controlled and an uncontrolled run.
#[derive(Default)]
pub struct Control<'a> {
    /// Lever values for this turn (one per lever, encoded), replacing the policy's.
    pub levers: Option<&'a [f64]>,
    /// Per choice slot (one per actor without lines, one per line otherwise): `Some(option)` forces that action
    /// (an index into the actor's menu, or [`super::HOLD`] on a line), `None` lets the actor choose.
    pub choices: Option<&'a [Option<u8>]>,
    /// Per event: `Some(count)` forces the number of occurrences this turn.
    pub events: Option<&'a [Option<u32>]>,
    /// Filled with the probabilities behind this turn's draws, if given.
    pub trace: Option<&'a mut Trace>,
}

/// The odds behind one turn's random draws (see [`Control::trace`]): what the
/// wargame shows as "each die roll with its probability".
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// `choice_probs[slot][j]`: the logit probability of the slot's option `j` (see [`super::SlotDef::options`];
    /// they sum to 1 per slot). Without lines a slot is an actor and its options are its actions.
    pub choice_probs: Vec<Vec<f64>>,
    /// The uniform that picked each slot's option.
    pub choice_u: Vec<f64>,
    /// Per event: probability of at least one occurrence this turn.
    pub event_p: Vec<f64>,
    /// Per event: expected number of occurrences this turn.
    pub event_mean: Vec<f64>,
    /// Per event: the uniform drawn for it.
    pub event_u: Vec<f64>,
    /// Per event: whether the count was forced by [`Control::events`].
    pub event_forced: Vec<bool>,
}

/// Mix (master seed, trial, stream) into one 64-bit seed (SplitMix64 finaliser).
/// Trial k's randomness depends on these numbers only — never on threads.
pub fn stream_seed(master: u64, trial: u64, stream: u64) -> u64 {
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    mix(mix(mix(master) ^ trial) ^ stream)
}

/// Stream ids: uncertainties and initial values draw from one stream, the
/// turn-by-turn dynamics from another, so adding an uncertainty does not
/// shift the luck of every turn.
const STREAM_SETUP: u64 = 1;
const STREAM_TURNS: u64 = 2;
/// Bargaining rounds: stream `STREAM_BARGAIN | turn`, one per (trial, turn), disjoint from the ids above.
const STREAM_BARGAIN: u64 = 3 << 32;
/// Lines of effort: stream `STREAM_LINES | turn << 20 | actor << 10 | line`, one per (trial, turn, actor, line),
/// disjoint from the ids above (actors and lines are below 1024, turns below 2^36).
const STREAM_LINES: u64 = 4 << 56;

/// The random stream of `actor`'s line `line` at `turn` (see [`STREAM_LINES`]). Its first uniform picks the
/// line's option, its first normal scales the chosen action's effects. With a wargame turn seed (see
/// [`TrialState::reseed_turns`]) the stream derives from that seed, the actor and the line instead.
pub fn line_rng(
    master: u64,
    trial: u64,
    turn: u32,
    turn_seed: Option<u64>,
    actor: usize,
    line: usize,
) -> Xoshiro256PlusPlus {
    let who = ((actor as u64 & 0x3ff) << 10) | (line as u64 & 0x3ff);
    let seed = match turn_seed {
        Some(ts) => stream_seed(ts, 0, STREAM_LINES | who),
        None => stream_seed(master, trial, STREAM_LINES | (u64::from(turn) << 20) | who),
    };
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// The random stream of the bargaining round at `turn` of trial `trial`: a function of (master seed, trial, turn)
/// only, so a round's draws are the same under every policy and whatever else the trial has drawn.
pub fn bargaining_rng(master: u64, trial: u64, turn: u32) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(stream_seed(master, trial, STREAM_BARGAIN | u64::from(turn)))
}

/// Poisson deviate by inversion from a single uniform (keeps draws aligned).
pub fn poisson_inverse(lambda: f64, u: f64) -> u32 {
    if lambda <= 0.0 || !lambda.is_finite() {
        return 0;
    }
    if lambda > 50.0 {
        let x = lambda + lambda.sqrt() * inverse_normal_cdf(u) + 0.5;
        return x.max(0.0).min(u32::MAX as f64) as u32;
    }
    let mut p = (-lambda).exp();
    let mut cdf = p;
    let mut k = 0u32;
    while u > cdf && k < 1000 {
        k += 1;
        p *= lambda / k as f64;
        cdf += p;
    }
    k
}

/// Acklam's rational approximation of the standard normal quantile (|error| < 1.2e-9).
pub fn inverse_normal_cdf(p: f64) -> f64 {
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let plow = 0.02425;
    if p < plow {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - plow {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    }
}

/// The high half of a view incentive's sort key in [`Scratch::incentives`]: its (actor, action); the low half holds
/// its mechanism (bits 16–31) and its place in the view (bits 0–15).
fn incentive_key(actor: u16, action: u16) -> u64 {
    (u64::from(actor) << 48) | (u64::from(action) << 32)
}

/// The logit (softmax) rule. `values` holds each option's value in points
/// (−∞ for options whose precondition fails) and `best` their maximum; on
/// return `values` holds the choice probabilities (summing to 1) and the
/// option picked by the uniform draw `u` is returned. P(k) ∝ exp(λ (v_k − v_best)).
pub fn logit_choice(values: &mut [f64], best: f64, lambda: f64, u: f64) -> usize {
    let mut total = 0.0;
    for v in values.iter_mut() {
        *v = if v.is_finite() {
            (lambda * (*v - best)).exp()
        } else {
            0.0
        };
        total += *v;
    }
    if total <= 0.0 || !total.is_finite() {
        // Cannot happen for a compiled model (one option is always available);
        // fall back to the first option rather than divide by zero.
        values
            .iter_mut()
            .enumerate()
            .for_each(|(k, v)| *v = if k == 0 { 1.0 } else { 0.0 });
        return 0;
    }
    let mut target = u * total;
    let mut pick = 0usize;
    for (k, w) in values.iter().enumerate() {
        if *w > 0.0 {
            pick = k;
            if target < *w {
                break;
            }
            target -= *w;
        }
    }
    values.iter_mut().for_each(|v| *v /= total);
    pick
}

/// Measures in "points" (the unit of actor values): 1 point = one percentage
/// point of probability for a per-turn event, or a 1% change in the expected
/// count of a Poisson event (relative to at least 0.25 per turn).
const POISSON_FLOOR: f64 = 0.25;

/// Relative step of the forward difference behind event interests: 0.1% of a
/// variable's current magnitude, or 0.001 units when its magnitude is below 1.
/// For the usual 0–1 indices this is the 0.001 step used when the step was a
/// share of the declared range, so their sensitivities are unchanged.
const DERIVATIVE_STEP: f64 = 1e-3;

impl Model {
    /// Start trial `trial` of a run with master seed `seed`: draw the
    /// uncertainties and the initial state.
    pub fn new_trial(&self, seed: u64, trial: u64) -> TrialState {
        self.new_trial_with_params(seed, trial, None)
    }

    /// Like [`Model::new_trial`], but with the uncertainties set by the caller
    /// (a Latin hypercube or Sobol design) instead of drawn. The setup stream
    /// is consumed exactly as in `new_trial`, so the initial state of trial
    /// *k* is the same whichever way its uncertainties were set.
    pub fn new_trial_with_params(&self, seed: u64, trial: u64, given: Option<&[f64]>) -> TrialState {
        let mut st = TrialState {
            turn: 0,
            year: 0.0,
            vars: Vec::with_capacity(self.vars.len()),
            params: Vec::with_capacity(self.params.len()),
            levers: Vec::with_capacity(self.levers.len()),
            event_counts: Vec::with_capacity(self.events.len()),
            turn_events: Vec::with_capacity(self.events.len()),
            choices: Vec::with_capacity(self.slots.len()),
            latches: Vec::with_capacity(self.n_rules),
            lambda: Vec::with_capacity(self.actors.len()),
            // Sized for the rounds to come, so that writing the first settlement allocates nothing.
            settled: Vec::with_capacity(
                self.bargaining
                    .as_ref()
                    .map_or(0, |b| b.bargainers.len() * b.dimensions.len()),
            ),
            bargaining_rounds: 0,
            bargaining_steps: 0,
            drivers: None,
            world: Vec::with_capacity(self.worlds.len()),
            seed,
            trial,
            turn_seed: None,
            params_given: false,
            rng: Xoshiro256PlusPlus::seed_from_u64(0),
            scratch: self.scratch(),
        };
        let params = match given {
            Some(g) => Params::Set(g),
            None => Params::Draw,
        };
        self.start_trial(&mut st, seed, trial, params);
        st
    }

    /// Working buffers of a trial of this model.
    fn scratch(&self) -> Scratch {
        let (n_vars, n_events) = (self.vars.len(), self.events.len());
        Scratch {
            delta: vec![0.0; n_vars],
            probe: vec![0.0; n_vars],
            deriv: vec![0.0; n_events * n_vars],
            values: vec![0.0; super::MAX_ACTIONS + 1],
            z: vec![0.0; self.slots.len()],
            new_choices: vec![0; self.slots.len()],
            new_levers: Vec::with_capacity(self.levers.len()),
            incentives: Vec::with_capacity(
                self.worlds
                    .iter()
                    .map(|m| m.views.iter().map(|v| v.incentives.len()).max().unwrap_or(0))
                    .sum(),
            ),
            round: super::bargaining::RoundBuffers::for_model(self.bargaining.as_ref()),
        }
    }

    /// Make `st` (a state of any trial of this model, or of a member of its ensemble) the state
    /// [`Model::new_trial`]`(seed, trial)` returns, in its own buffers: the same draws in the same order, so the
    /// same state bit for bit, without allocating. The runner reuses one state per worker this way, and the
    /// anchoring turns a rejected history into its next attempt. A drivers ledger is detached (`new_trial` has none).
    pub fn restart_trial(&self, st: &mut TrialState, seed: u64, trial: u64) {
        self.start_trial(st, seed, trial, Params::Draw);
    }

    /// [`Model::restart_trial`] keeping `st`'s uncertainties when a design set them ([`TrialState::params_given`]),
    /// as [`Model::new_trial_with_params`] with those values would.
    pub fn restart_trial_keeping_params(&self, st: &mut TrialState, seed: u64, trial: u64) {
        let params = if st.params_given { Params::Keep } else { Params::Draw };
        self.start_trial(st, seed, trial, params);
    }

    /// Draw the uncertainties (unless given) and the initial state of trial `trial` into `st`.
    fn start_trial(&self, st: &mut TrialState, seed: u64, trial: u64, params: Params) {
        let (n_vars, n_events) = (self.vars.len(), self.events.len());
        // Buffers of another shape (a state of a different model) are rebuilt; within one model and its ensemble
        // they are kept, and every one is overwritten before it is read in a turn.
        let s = &st.scratch;
        if s.delta.len() != n_vars || s.deriv.len() != n_events * n_vars || s.z.len() != self.slots.len() {
            st.scratch = self.scratch();
        }
        let mut setup = Xoshiro256PlusPlus::seed_from_u64(stream_seed(seed, trial, STREAM_SETUP));
        // Every uncertainty is drawn, even when given, so that the initial values draw the same numbers.
        match params {
            Params::Draw => {
                st.params.clear();
                st.params
                    .extend(self.params.iter().map(|p| p.sampler.sample(&mut setup)));
            }
            Params::Set(g) => {
                self.params.iter().for_each(|p| {
                    p.sampler.sample(&mut setup);
                });
                assert_eq!(g.len(), self.params.len(), "one value per uncertainty");
                st.params.clear();
                st.params.extend_from_slice(g);
            }
            Params::Keep => {
                self.params.iter().for_each(|p| {
                    p.sampler.sample(&mut setup);
                });
                assert_eq!(st.params.len(), self.params.len(), "one value per uncertainty");
            }
        }
        st.params_given = !matches!(params, Params::Draw);
        st.vars.clear();
        st.vars.extend(
            self.vars
                .iter()
                .map(|v| v.initial.sample(&mut setup).clamp(v.min, v.max)),
        );
        st.turn = 0;
        st.year = self.calendar.year(0);
        st.levers.clear();
        st.levers.extend(self.levers.iter().map(|l| l.default));
        st.event_counts.clear();
        st.event_counts.resize(n_events, 0);
        st.turn_events.clear();
        st.turn_events.resize(n_events, 0);
        st.choices.clear();
        st.choices.extend(
            self.slots
                .iter()
                .map(|s| if s.line.is_some() { super::HOLD } else { 0 }),
        );
        st.latches.clear();
        st.latches.resize(self.n_rules, false);
        st.settled.clear();
        st.bargaining_rounds = 0;
        st.bargaining_steps = 0;
        st.drivers = None;
        super::worlds::draw_into(&self.worlds, seed, trial, &mut st.world);
        st.seed = seed;
        st.trial = trial;
        st.turn_seed = None;
        st.rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(seed, trial, STREAM_TURNS));
        let mut lambda = std::mem::take(&mut st.lambda);
        lambda.clear();
        {
            let env = st.env(self);
            lambda.extend(self.actors.iter().map(|a| a.rationality.eval(&env).max(0.0)));
        }
        st.lambda = lambda;
    }

    /// Advance one turn under `policy` (the baseline is used before the
    /// policy's start: the decision date unless `--start article`).
    pub fn step(&self, st: &mut TrialState, policy: usize) {
        self.step_with(st, policy, &mut Control::default());
    }

    /// Advance one turn under `policy`, with outside control (see [`Control`]).
    pub fn step_with(&self, st: &mut TrialState, policy: usize, ctl: &mut Control) {
        let active = if st.turn < self.policies[policy].start_turn {
            self.baseline
        } else {
            policy
        };
        st.year = self.calendar.year(st.turn);
        self.set_levers(st, active);
        if let Some(l) = ctl.levers {
            assert_eq!(l.len(), st.levers.len(), "one value per lever");
            st.levers.copy_from_slice(l);
        }
        self.apply_shocks(st);
        self.bargain(st);
        self.decide(st, ctl);
        self.move_state(st);
        self.draw_events(st, ctl);
        if let Some(l) = st.drivers.as_deref_mut() {
            l.observe(self, st.turn);
        }
        st.turn += 1;
        st.year = self.calendar.year(st.turn);
    }

    /// Run one stage of a turn on its own, as [`Model::step_with`] runs it, without advancing the turn: a hook for
    /// the per-stage benchmarks (`benches/stages.rs`), which time each stage on a realistic mid-trial state. Not
    /// for simulation — stages run out of order or repeated do not make a turn, and consume draws a turn would not.
    /// [`Stage::Bargaining`] runs a round whether or not one is scheduled at this turn (nothing without bargaining).
    #[doc(hidden)]
    pub fn run_stage(&self, st: &mut TrialState, stage: Stage) {
        let mut ctl = Control::default();
        match stage {
            Stage::Decision => self.decide(st, &mut ctl),
            Stage::StateUpdate => self.move_state(st),
            Stage::Events => self.draw_events(st, &mut ctl),
            Stage::Bargaining => {
                if let Some(b) = &self.bargaining {
                    self.bargain_round(b, st);
                }
            }
        }
    }

    /// Lever values for this turn: for each lever, the last applicable rule
    /// of the active policy, else of the policy it inherits from, else the
    /// lever's default. Conditions see the start-of-turn state and last
    /// turn's lever settings.
    fn set_levers(&self, st: &mut TrialState, policy: usize) {
        let mut new_levers = std::mem::take(&mut st.scratch.new_levers);
        new_levers.clear();
        for l in 0..self.levers.len() {
            let mut p = Some(policy);
            let mut value = self.levers[l].default;
            while let Some(pi) = p {
                if let Some(v) = self.rule_value(st, pi, l) {
                    value = v;
                    break;
                }
                p = self.policies[pi].inherits;
            }
            new_levers.push(value);
        }
        st.levers.copy_from_slice(&new_levers);
        st.scratch.new_levers = new_levers;
    }

    fn rule_value(&self, st: &mut TrialState, policy: usize, lever: usize) -> Option<f64> {
        let pol = &self.policies[policy];
        let mut found = None;
        for &ri in &pol.rules_by_lever[lever] {
            let r = &pol.rules[ri];
            if st.turn < r.from_turn || st.turn > r.until_turn {
                continue;
            }
            let holds = match &r.when {
                None => true,
                Some(_) if r.sticky && st.latches[r.latch] => true,
                Some(cond) => {
                    let ok = cond.eval(&st.env(self)) != 0.0;
                    if ok && r.sticky {
                        st.latches[r.latch] = true;
                    }
                    ok
                }
            };
            if holds {
                found = Some(r.value);
            }
        }
        found
    }

    fn apply_shocks(&self, st: &mut TrialState) {
        for shock in self.shocks.iter().filter(|s| s.turn == st.turn) {
            for (v, change) in &shock.effects {
                let d = change.eval(&st.env(self));
                let def = &self.vars[*v as usize];
                let x = &mut st.vars[*v as usize];
                let old = *x;
                *x = (*x + d).clamp(def.min, def.max);
                if let Some(l) = st.drivers.as_deref_mut() {
                    l.begin();
                    l.add(drivers::SHOCKS, *v as usize, d);
                    l.settle(*v as usize, old + d, st.vars[*v as usize]);
                    l.commit();
                }
            }
        }
    }

    /// At a scheduled turn, run a bargaining round on the current state (this turn's levers, after shocks) and
    /// write its outputs into the state, clamped to each variable's bounds.
    fn bargain(&self, st: &mut TrialState) {
        let Some(b) = &self.bargaining else {
            return;
        };
        if !b.scheduled.get(st.turn as usize).copied().unwrap_or(false) {
            return;
        }
        self.bargain_round(b, st);
    }

    /// One bargaining round on the current state, its outputs written into it.
    fn bargain_round(&self, b: &super::bargaining::BargainingDef, st: &mut TrialState) {
        let mut input = std::mem::take(&mut st.scratch.round.input);
        b.read_input(&st.env(self), &mut input);
        let round = &mut st.scratch.round;
        let smp = match round.smp.as_mut() {
            Some(smp) => {
                b.refill_smp(&input, smp);
                smp
            }
            None => round.smp.insert(b.smp(&input)),
        };
        let mut rng = bargaining_rng(st.seed, st.trial, st.turn);
        let steps = smp.settle_in(&mut rng, &mut round.settle);
        let settled = round.settle.settled();
        for out in &b.outputs {
            let x = b.output_value(out.value, &input, settled);
            let def = &self.vars[out.var as usize];
            if x.is_finite() {
                let (v, old) = (out.var as usize, st.vars[out.var as usize]);
                st.vars[v] = x.clamp(def.min, def.max);
                if let Some(l) = st.drivers.as_deref_mut() {
                    l.begin();
                    l.add(drivers::BARGAINING, v, st.vars[v] - old);
                    l.commit();
                }
            }
        }
        st.settled.clear();
        st.settled.extend_from_slice(settled);
        st.bargaining_rounds += 1;
        st.bargaining_steps += steps as u32;
        st.scratch.round.input = input;
    }

    /// Hazard of event `e` in points (see [`POISSON_FLOOR`]), given `vars`.
    fn event_measure(&self, e: usize, env: &Env, rate_scale: f64) -> f64 {
        match &self.events[e].hazard {
            HazardDef::Logistic(p) => 100.0 / (1.0 + (-p.eval(env)).min(700.0).exp()),
            HazardDef::Probability(p) => 100.0 * p.eval(env).clamp(0.0, 1.0),
            HazardDef::Poisson(p) => 100.0 * p.eval(env).max(0.0) / rate_scale,
        }
    }

    /// First-order sensitivity of each needed event hazard to each variable,
    /// in points per unit of the variable, by a forward difference.
    ///
    /// The step is [`DERIVATIVE_STEP`] times the variable's magnitude (at
    /// least 1 unit), never a share of its declared range: widening a bound
    /// that does not bind must not change any actor's valuation.
    fn fill_derivatives(&self, st: &mut TrialState) {
        if self.derivative_pairs.is_empty() {
            return;
        }
        let n_vars = self.vars.len();
        let mut probe = std::mem::take(&mut st.scratch.probe);
        probe.copy_from_slice(&st.vars);
        let mut last_event = usize::MAX;
        let mut base = 0.0;
        let mut scale = 1.0;
        for &(e, v) in &self.derivative_pairs {
            let (e, v) = (e as usize, v as usize);
            if e != last_event {
                let env = st.env_with(self, &probe);
                scale = match &self.events[e].hazard {
                    HazardDef::Poisson(p) => p.eval(&env).max(POISSON_FLOOR),
                    _ => 1.0,
                };
                base = self.event_measure(e, &env, scale);
                last_event = e;
            }
            let def = &self.vars[v];
            let x0 = probe[v];
            let h = DERIVATIVE_STEP * x0.abs().max(1.0);
            // Step inward at the upper bound so the probe stays in range.
            let step = if x0 + h > def.max { -h } else { h };
            probe[v] = x0 + step;
            let m = self.event_measure(e, &st.env_with(self, &probe), scale);
            probe[v] = x0;
            st.scratch.deriv[e * n_vars + v] = (m - base) / step;
        }
        st.scratch.probe = probe;
    }

    fn decide(&self, st: &mut TrialState, ctl: &mut Control) {
        self.fill_derivatives(st);
        let n_vars = self.vars.len();
        let TrialState {
            turn,
            year,
            vars,
            params,
            levers,
            event_counts,
            choices,
            lambda,
            seed,
            trial,
            turn_seed,
            rng,
            scratch,
            world,
            ..
        } = st;
        let env = Env {
            vars,
            params,
            levers,
            event_counts,
            choices,
            turn: *turn,
            year: *year,
        };
        let n_slots = self.slots.len();
        // The views' incentives of this turn, keyed by (actor, action) and then by their place among the views, so
        // that each option adds its own in the order a scan of every view would (same sums, bit for bit).
        let incentives = &mut scratch.incentives;
        incentives.clear();
        for (m, mech) in self.worlds.iter().enumerate() {
            for (k, inc) in mech.views[world[m] as usize].incentives.iter().enumerate() {
                incentives.push(incentive_key(inc.actor, inc.action) | ((m as u64) << 16) | k as u64);
            }
        }
        // Keys are distinct (each holds its view and place), so the unstable sort (no allocation) is exact.
        incentives.sort_unstable();
        if let Some(tr) = ctl.trace.as_deref_mut() {
            tr.choice_probs.resize(n_slots, Vec::new());
            tr.choice_u.resize(n_slots, 0.0);
        }
        for (i, actor) in self.actors.iter().enumerate() {
            // The turn stream's draws for this actor, consumed whether or not it has lines (see the module doc).
            let u_turn: f64 = rng.random();
            let z_turn: f64 = rng.sample(StandardNormal);
            for s in actor.slots.clone() {
                let slot = &self.slots[s];
                let (u, z) = if actor.lined {
                    let mut lr = line_rng(*seed, *trial, *turn, *turn_seed, i, slot.line_index);
                    let u: f64 = lr.random();
                    (u, lr.sample(StandardNormal))
                } else {
                    (u_turn, z_turn)
                };
                scratch.z[s] = z;
                let values = &mut scratch.values;
                let mut best = f64::NEG_INFINITY;
                for (j, &opt) in slot.options.iter().enumerate() {
                    if opt == super::HOLD {
                        values[j] = 0.0;
                        best = best.max(0.0);
                        continue;
                    }
                    let a = &actor.actions[usize::from(opt)];
                    if let Some(w) = &a.when
                        && w.eval(&env) == 0.0
                    {
                        values[j] = f64::NEG_INFINITY;
                        continue;
                    }
                    let mut v = -a.cost;
                    for b in &a.bonus {
                        v += b.eval(&env);
                    }
                    // The views this trial runs under add their incentives after the levers' own.
                    let key = incentive_key(i as u16, u16::from(opt));
                    let first = scratch.incentives.partition_point(|&x| x < key);
                    for &x in &scratch.incentives[first..] {
                        if x & !0xffff_ffff != key {
                            break;
                        }
                        let (m, k) = ((x >> 16) as u16 as usize, x as u16 as usize);
                        v += self.worlds[m].views[world[m] as usize].incentives[k].value.eval(&env);
                    }
                    for eff in &a.effects {
                        let var = eff.var as usize;
                        let mut w = actor.var_weights[var];
                        for &(e, we) in &actor.event_weights {
                            w += we * scratch.deriv[e as usize * n_vars + var];
                        }
                        if w != 0.0 {
                            v += w * eff.mean.eval(&env);
                        }
                    }
                    values[j] = v;
                    best = best.max(v);
                }
                let n = slot.options.len();
                let mut pick = slot.options[logit_choice(&mut values[..n], best, lambda[i], u)];
                if let Some(Some(forced)) = ctl.choices.and_then(|c| c.get(s))
                    && slot.options.contains(forced)
                {
                    pick = *forced;
                }
                if let Some(tr) = ctl.trace.as_deref_mut() {
                    tr.choice_probs[s].clear();
                    tr.choice_probs[s].extend_from_slice(&values[..n]);
                    tr.choice_u[s] = u;
                }
                scratch.new_choices[s] = pick;
            }
        }
        choices.copy_from_slice(&scratch.new_choices);
    }

    /// The state moves: reversion + drift + lever effects + action effects + noise; clamp. With a drivers ledger
    /// attached, each term is also booked to its channel (the arithmetic on the state is the same either way).
    fn move_state(&self, st: &mut TrialState) {
        let mut delta = std::mem::take(&mut st.scratch.delta);
        let mut ledger = st.drivers.take();
        if let Some(l) = ledger.as_deref_mut() {
            l.begin();
        }
        delta.iter_mut().for_each(|d| *d = 0.0);
        {
            let env = st.env(self);
            for (v, def) in self.vars.iter().enumerate() {
                if let Some((rate, toward)) = def.reversion {
                    let d = rate * (toward - st.vars[v]);
                    delta[v] += d;
                    if let Some(l) = ledger.as_deref_mut() {
                        l.add(drivers::REVERSION, v, d);
                    }
                }
                if let Some(d) = &def.drift {
                    let d = d.eval(&env);
                    delta[v] += d;
                    if let Some(l) = ledger.as_deref_mut() {
                        l.add(drivers::DRIFT, v, d);
                    }
                }
            }
            for (li, lever) in self.levers.iter().enumerate() {
                for (v, change) in &lever.effects {
                    let d = change.eval(&env);
                    delta[*v as usize] += d;
                    if let Some(l) = ledger.as_deref_mut() {
                        let ch = l.layout().lever(li);
                        l.add(ch, *v as usize, d);
                    }
                }
            }
            // The views' effects, after the levers' own, booked to the lever that conditions them (to the drift
            // channel for a mechanism no lever conditions).
            for (m, mech) in self.worlds.iter().enumerate() {
                for e in &mech.views[st.world[m] as usize].effects {
                    let d = e.change.eval(&env);
                    delta[e.var as usize] += d;
                    if let Some(l) = ledger.as_deref_mut() {
                        let ch = match e.lever {
                            Some(li) => l.layout().lever(li as usize),
                            None => drivers::DRIFT,
                        };
                        l.add(ch, e.var as usize, d);
                    }
                }
            }
            for (s, slot) in self.slots.iter().enumerate() {
                let pick = st.choices[s];
                if pick == super::HOLD {
                    continue;
                }
                let (i, k) = (slot.actor, usize::from(pick));
                let a = &self.actors[i].actions[k];
                let z = st.scratch.z[s];
                for eff in &a.effects {
                    let d = eff.mean.eval(&env) + eff.sd * z;
                    delta[eff.var as usize] += d;
                    if let Some(l) = ledger.as_deref_mut() {
                        let ch = l.layout().action(i, k);
                        l.add(ch, eff.var as usize, d);
                    }
                }
            }
        }
        for (v, def) in self.vars.iter().enumerate() {
            if def.noise > 0.0 {
                let e: f64 = st.rng.sample(StandardNormal);
                delta[v] += def.noise * e;
                if let Some(l) = ledger.as_deref_mut() {
                    l.add(drivers::NOISE, v, def.noise * e);
                }
            }
            let x = st.vars[v] + delta[v];
            st.vars[v] = if x.is_finite() {
                x.clamp(def.min, def.max)
            } else {
                st.vars[v]
            };
            if let Some(l) = ledger.as_deref_mut() {
                l.settle(v, x, st.vars[v]);
            }
        }
        if let Some(l) = ledger.as_deref_mut() {
            l.commit();
        }
        st.drivers = ledger;
        st.scratch.delta = delta;
    }

    fn draw_events(&self, st: &mut TrialState, ctl: &mut Control) {
        let ne = self.events.len();
        if let Some(tr) = ctl.trace.as_deref_mut() {
            for v in [&mut tr.event_p, &mut tr.event_mean, &mut tr.event_u] {
                v.clear();
                v.resize(ne, 0.0);
            }
            tr.event_forced.clear();
            tr.event_forced.resize(ne, false);
        }
        for e in 0..ne {
            let u: f64 = st.rng.random();
            let ev = &self.events[e];
            let (mut n, p_any, mean) = if ev.once && st.event_counts[e] > 0 {
                (0, 0.0, 0.0)
            } else {
                let env = st.env(self);
                match &ev.hazard {
                    HazardDef::Logistic(p) => {
                        let q = 1.0 / (1.0 + (-p.eval(&env)).min(700.0).exp());
                        (u32::from(u < q), q, q)
                    }
                    HazardDef::Probability(p) => {
                        let q = p.eval(&env).clamp(0.0, 1.0);
                        (u32::from(u < q), q, q)
                    }
                    HazardDef::Poisson(p) => {
                        let rate = p.eval(&env).max(0.0);
                        let k = poisson_inverse(rate, u);
                        let p_any = 1.0 - (-rate).exp();
                        if ev.once {
                            (k.min(1), p_any, p_any)
                        } else {
                            (k, p_any, rate)
                        }
                    }
                }
            };
            let forced = ctl.events.and_then(|f| f.get(e).copied().flatten());
            if let Some(k) = forced {
                n = match (ev.once, st.event_counts[e]) {
                    (true, 0) => k.min(1),
                    (true, _) => 0,
                    (false, _) => k,
                };
            }
            if let Some(tr) = ctl.trace.as_deref_mut() {
                tr.event_p[e] = p_any;
                tr.event_mean[e] = mean;
                tr.event_u[e] = u;
                tr.event_forced[e] = forced.is_some();
            }
            st.turn_events[e] = n;
        }
        for e in 0..self.events.len() {
            let n = st.turn_events[e];
            if n == 0 {
                continue;
            }
            st.event_counts[e] += n;
            for (v, change) in &self.events[e].consequences {
                let d = change.eval(&st.env(self)) * n as f64;
                let def = &self.vars[*v as usize];
                let x = st.vars[*v as usize] + d;
                if x.is_finite() {
                    st.vars[*v as usize] = x.clamp(def.min, def.max);
                }
                if let Some(l) = st.drivers.as_deref_mut() {
                    l.begin();
                    let ch = l.layout().event(e);
                    l.add(ch, *v as usize, d);
                    l.settle(*v as usize, x, st.vars[*v as usize]);
                    l.commit();
                }
            }
        }
    }
}

impl TrialState {
    /// Make this state a copy of `src` (a fork of its trial), reusing this state's buffers: what `src.clone()` would
    /// give, but without allocating once the buffers have grown. The working buffers are not copied: nothing in them
    /// outlives the stage of a turn that fills them.
    pub fn fork_from(&mut self, src: &TrialState) {
        let TrialState {
            turn,
            year,
            vars,
            params,
            levers,
            event_counts,
            turn_events,
            choices,
            latches,
            lambda,
            settled,
            bargaining_rounds,
            bargaining_steps,
            drivers,
            world,
            seed,
            trial,
            turn_seed,
            params_given,
            rng,
            scratch: _,
        } = src;
        self.turn = *turn;
        self.year = *year;
        self.vars.clone_from(vars);
        self.params.clone_from(params);
        self.levers.clone_from(levers);
        self.event_counts.clone_from(event_counts);
        self.turn_events.clone_from(turn_events);
        self.choices.clone_from(choices);
        self.latches.clone_from(latches);
        self.lambda.clone_from(lambda);
        self.settled.clone_from(settled);
        self.bargaining_rounds = *bargaining_rounds;
        self.bargaining_steps = *bargaining_steps;
        self.drivers.clone_from(drivers);
        self.world.clone_from(world);
        self.seed = *seed;
        self.trial = *trial;
        self.turn_seed = *turn_seed;
        self.params_given = *params_given;
        self.rng = rng.clone();
        if self.scratch.delta.len() != src.scratch.delta.len()
            || self.scratch.deriv.len() != src.scratch.deriv.len()
            || self.scratch.z.len() != src.scratch.z.len()
        {
            self.scratch = src.scratch.clone();
        }
    }

    /// The master seed and trial number this trial's streams derive from.
    pub fn origin(&self) -> (u64, u64) {
        (self.seed, self.trial)
    }

    /// Whether the uncertainties were set by the caller ([`Model::new_trial_with_params`] with `Some`).
    pub fn params_given(&self) -> bool {
        self.params_given
    }

    pub fn env<'a>(&'a self, model: &Model) -> Env<'a> {
        self.env_with(model, &self.vars)
    }

    fn env_with<'a>(&'a self, _model: &Model, vars: &'a [f64]) -> Env<'a> {
        Env {
            vars,
            params: &self.params,
            levers: &self.levers,
            event_counts: &self.event_counts,
            choices: &self.choices,
            turn: self.turn,
            year: self.year,
        }
    }

    /// Book every state change of the rest of this trial to its channel (see
    /// [`super::drivers`]). Call before the first turn for a complete account.
    pub fn track_drivers(&mut self, shape: std::sync::Arc<LedgerShape>) {
        self.drivers = Some(Box::new(DriverLedger::new(shape)));
    }

    /// Restart the turn stream from `seed`. The wargame draws turn *t* of a
    /// game from a seed derived from (game seed, t) alone, so a game saved and
    /// reloaded between turns rolls exactly the dice it would have rolled
    /// without the interruption, and `replay` can recompute any turn.
    pub fn reseed_turns(&mut self, seed: u64) {
        self.rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        self.turn_seed = Some(seed);
    }

    /// The record of the turn just completed (call after [`Model::step`]).
    pub fn record(&self) -> TurnRecord<'_> {
        TurnRecord {
            turn: self.turn - 1,
            vars: &self.vars,
            levers: &self.levers,
            events: &self.turn_events,
            choices: &self.choices,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_inverse_matches_moments() {
        let n = 20_000;
        for lambda in [0.3, 4.0, 80.0] {
            let mean: f64 = (0..n)
                .map(|i| poisson_inverse(lambda, (i as f64 + 0.5) / n as f64) as f64)
                .sum::<f64>()
                / n as f64;
            assert!(
                (mean - lambda).abs() < 0.02 * lambda.max(1.0),
                "lambda {lambda} mean {mean}"
            );
        }
        assert_eq!(poisson_inverse(0.0, 0.9), 0);
        assert_eq!(poisson_inverse(f64::NAN, 0.9), 0);
    }

    #[test]
    fn inverse_normal_is_accurate() {
        assert!(inverse_normal_cdf(0.5).abs() < 1e-9);
        assert!((inverse_normal_cdf(0.975) - 1.959963984540054).abs() < 1e-8);
        assert!((inverse_normal_cdf(0.01) + 2.326347874040841).abs() < 1e-8);
    }

    #[test]
    fn seeds_differ_by_trial_and_stream() {
        let a = stream_seed(1, 0, 1);
        assert_ne!(a, stream_seed(1, 1, 1));
        assert_ne!(a, stream_seed(1, 0, 2));
        assert_ne!(a, stream_seed(2, 0, 1));
        assert_eq!(a, stream_seed(1, 0, 1));
    }
}
