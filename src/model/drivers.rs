//! Where a state variable's change comes from: a per-trial ledger of the
//! increments each channel of the state update contributes.
//!
//! A variable moves each turn by mean reversion, drift, the levers' direct
//! effects, the actors' chosen actions, noise, scheduled shocks, bargaining
//! settlements and events' consequences, and is then clamped to its bounds.
//! The ledger adds up, per variable, what each of those channels contributed
//! since the trial began, so the variable is exactly its initial value plus
//! the sum of the channels. An outcome that reads a variable at a date
//! (`Final`) or over a window (`Mean`, `Total`) is linear in that path, so it
//! too splits exactly into one contribution per channel; and because the
//! initial value is the same under every policy (common random numbers), the
//! paired difference policy − baseline splits into the channels' differences,
//! which sum to it exactly (up to floating-point rounding).
//!
//! Attribution rules, stated once:
//! - **Clamping** is a channel of its own: the part of a turn's change cut
//!   off at a variable's bound is not shared out among the channels that
//!   pushed it there.
//! - **Reversion** toward a mean responds to whatever the other channels did
//!   earlier (a lever that raises a variable also raises the pull back
//!   down), so its difference is "reversion and feedback", not a lever or an
//!   actor's doing in isolation. The same holds for drift terms that read
//!   the state. The channels are an exact accounting of increments, not a
//!   counterfactual "what if this channel were switched off".
//! - **Bargaining** sets a variable; the jump it makes is its channel.
//! - A change that would make a variable non-finite is not applied by the
//!   engine, so it is not booked either.
//!
//! `Min` and `Max` outcomes are not linear in the path and are not split.
//!
//! The ledger exists only when a caller asks for it ([`super::TrialState::track_drivers`]):
//! the engine's arithmetic is the same with or without it, so results are
//! bit-identical, and an ordinary run pays one untaken branch per update.

use super::{MeasureDef, Model};
use std::sync::Arc;

/// Fixed channels, in the order they are numbered before the levers.
pub const REVERSION: usize = 0;
pub const DRIFT: usize = 1;
pub const NOISE: usize = 2;
pub const SHOCKS: usize = 3;
pub const BARGAINING: usize = 4;
pub const CLAMPING: usize = 5;
const FIXED: usize = 6;

/// What a channel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Reversion,
    Drift,
    Noise,
    Shocks,
    Bargaining,
    Clamping,
    /// A lever's direct effect on the state.
    Lever(usize),
    /// The effect of an actor's action: (actor, action).
    Action(usize, usize),
    /// An event's consequences.
    Event(usize),
}

/// Channel numbering: the fixed channels, then one per lever, one per
/// (actor, action), one per event.
#[derive(Debug, Clone)]
pub struct ChannelLayout {
    n_levers: usize,
    /// First channel of each actor's actions.
    actor_offset: Vec<usize>,
    /// (actor, action) of each action channel, in order.
    cells: Vec<(usize, usize)>,
    n_events: usize,
}

impl ChannelLayout {
    pub fn new(model: &Model) -> Self {
        let mut actor_offset = Vec::new();
        let mut cells = Vec::new();
        for (a, actor) in model.actors.iter().enumerate() {
            actor_offset.push(FIXED + model.levers.len() + cells.len());
            cells.extend((0..actor.actions.len()).map(|k| (a, k)));
        }
        ChannelLayout {
            n_levers: model.levers.len(),
            actor_offset,
            cells,
            n_events: model.events.len(),
        }
    }

    pub fn len(&self) -> usize {
        FIXED + self.n_levers + self.cells.len() + self.n_events
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn n_actors(&self) -> usize {
        self.actor_offset.len()
    }

    /// The channels of actor `a`'s actions.
    pub fn actor_channels(&self, a: usize) -> std::ops::Range<usize> {
        let end = self
            .actor_offset
            .get(a + 1)
            .copied()
            .unwrap_or(FIXED + self.n_levers + self.cells.len());
        self.actor_offset[a]..end
    }

    pub fn lever(&self, l: usize) -> usize {
        FIXED + l
    }

    pub fn action(&self, actor: usize, action: usize) -> usize {
        self.actor_offset[actor] + action
    }

    pub fn event(&self, e: usize) -> usize {
        FIXED + self.n_levers + self.cells.len() + e
    }

    /// What channel number `k` is.
    pub fn channel(&self, k: usize) -> Channel {
        match k {
            REVERSION => Channel::Reversion,
            DRIFT => Channel::Drift,
            NOISE => Channel::Noise,
            SHOCKS => Channel::Shocks,
            BARGAINING => Channel::Bargaining,
            CLAMPING => Channel::Clamping,
            _ if k < FIXED + self.n_levers => Channel::Lever(k - FIXED),
            _ if k < FIXED + self.n_levers + self.cells.len() => {
                let (a, c) = self.cells[k - FIXED - self.n_levers];
                Channel::Action(a, c)
            }
            _ => Channel::Event(k - FIXED - self.n_levers - self.cells.len()),
        }
    }
}

/// The variable a state outcome reads, if it is one the ledger can split
/// (`Final`, `Mean`, `Total`).
pub fn split_var(m: MeasureDef) -> Option<usize> {
    match m {
        MeasureDef::Final(v) | MeasureDef::Mean(v) | MeasureDef::Total(v) => Some(v as usize),
        _ => None,
    }
}

/// What the ledger shares between trials: the layout and which outcomes it splits.
#[derive(Debug)]
pub struct LedgerShape {
    pub layout: ChannelLayout,
    /// The split outcomes (indices into `model.outcomes`), in model order.
    pub outcomes: Vec<usize>,
    /// Per variable: its slot among the tracked variables, or `usize::MAX`.
    var_slot: Vec<usize>,
    n_tracked: usize,
}

impl LedgerShape {
    pub fn new(model: &Model) -> Self {
        let mut var_slot = vec![usize::MAX; model.vars.len()];
        let mut n_tracked = 0;
        let mut outcomes = Vec::new();
        for (o, def) in model.outcomes.iter().enumerate() {
            if let Some(v) = split_var(def.measure) {
                outcomes.push(o);
                if var_slot[v] == usize::MAX {
                    var_slot[v] = n_tracked;
                    n_tracked += 1;
                }
            }
        }
        LedgerShape {
            layout: ChannelLayout::new(model),
            outcomes,
            var_slot,
            n_tracked,
        }
    }

    /// Length of one trial's contributions: split outcomes × channels.
    pub fn contributions_len(&self) -> usize {
        self.outcomes.len() * self.layout.len()
    }
}

/// One trial's running account (see the module documentation).
#[derive(Debug, Clone)]
pub struct DriverLedger {
    shape: Arc<LedgerShape>,
    /// `cum[slot * channels + channel]`: each channel's total increment of each tracked variable so far.
    cum: Vec<f64>,
    /// This update's increments, booked once the engine has applied them.
    pending: Vec<(usize, usize, f64)>,
    /// Per tracked variable: this update was not applied (non-finite).
    rejected: Vec<bool>,
    /// `acc[outcome * channels + channel]`: the value at the last turn of the
    /// window (`Final`) or the sum over the window (`Mean`, `Total`).
    acc: Vec<f64>,
    /// Turns of each split outcome's window seen so far.
    seen: Vec<u32>,
}

impl DriverLedger {
    pub fn new(shape: Arc<LedgerShape>) -> Self {
        let k = shape.layout.len();
        DriverLedger {
            cum: vec![0.0; shape.n_tracked * k],
            pending: Vec::new(),
            rejected: vec![false; shape.n_tracked],
            acc: vec![0.0; shape.outcomes.len() * k],
            seen: vec![0; shape.outcomes.len()],
            shape,
        }
    }

    pub fn layout(&self) -> &ChannelLayout {
        &self.shape.layout
    }

    /// Start booking one update.
    pub fn begin(&mut self) {
        self.pending.clear();
        self.rejected.iter_mut().for_each(|r| *r = false);
    }

    /// Channel `ch` moves variable `v` by `d` in this update.
    pub fn add(&mut self, ch: usize, v: usize, d: f64) {
        let s = self.shape.var_slot[v];
        if s != usize::MAX {
            self.pending.push((s, ch, d));
        }
    }

    /// Variable `v` was to become `unclamped` and became `applied`: book the
    /// clamping, or reject the update if the engine left the variable as it was.
    pub fn settle(&mut self, v: usize, unclamped: f64, applied: f64) {
        let s = self.shape.var_slot[v];
        if s == usize::MAX {
            return;
        }
        if unclamped.is_finite() {
            if applied != unclamped {
                self.pending.push((s, CLAMPING, applied - unclamped));
            }
        } else {
            self.rejected[s] = true;
        }
    }

    /// Book the update's increments.
    pub fn commit(&mut self) {
        let k = self.shape.layout.len();
        for &(s, ch, d) in &self.pending {
            if !self.rejected[s] {
                self.cum[s * k + ch] += d;
            }
        }
        self.pending.clear();
    }

    /// The end of turn `turn`: fold the running account into each split
    /// outcome whose window contains it, as the outcome recorder does.
    pub fn observe(&mut self, model: &Model, turn: u32) {
        let k = self.shape.layout.len();
        for (i, &o) in self.shape.outcomes.iter().enumerate() {
            let def = &model.outcomes[o];
            if turn < def.from_turn || turn > def.to_turn {
                continue;
            }
            let Some(v) = split_var(def.measure) else {
                continue;
            };
            let s = self.shape.var_slot[v];
            let src = &self.cum[s * k..(s + 1) * k];
            let dst = &mut self.acc[i * k..(i + 1) * k];
            if matches!(def.measure, MeasureDef::Final(_)) {
                dst.copy_from_slice(src);
            } else {
                dst.iter_mut().zip(src).for_each(|(a, b)| *a += b);
            }
            self.seen[i] += 1;
        }
    }

    /// Each channel's contribution to each split outcome of the finished
    /// trial, `[outcome][channel]` in [`LedgerShape::outcomes`] order: the
    /// outcome's value is its variable's initial value (or that times the
    /// window, for `Total`) plus the sum of these.
    pub fn contributions(&self, model: &Model, out: &mut [f64]) {
        let k = self.shape.layout.len();
        let dt = model.calendar.dt();
        for (i, &o) in self.shape.outcomes.iter().enumerate() {
            let scale = match model.outcomes[o].measure {
                MeasureDef::Mean(_) => 1.0 / f64::from(self.seen[i].max(1)),
                MeasureDef::Total(_) => dt,
                _ => 1.0,
            };
            for c in 0..k {
                out[i * k + c] = self.acc[i * k + c] * scale;
            }
        }
    }
}
