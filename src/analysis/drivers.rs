//! Where a difference comes from: each state outcome's paired difference
//! (policy − baseline) split into the channels of the state update — the
//! levers' direct effects, each actor's actions, events' consequences,
//! reversion and feedback, drift, shocks, bargaining, clamping and noise.
//!
//! The engine books every increment to its channel ([`crate::model::drivers`]);
//! per trial, the policy's contribution of a channel minus the baseline's is a
//! paired difference like any outcome's, so its mean carries the same
//! Student-t interval as the rest of the comparison ([`super::paired`]). The
//! channels' differences add up to the outcome's difference in every trial,
//! hence also in the mean. Besides the fine channels, each actor's actions
//! are also summed per trial, so the per-actor total has its own interval.

use super::paired::t_interval95;
use super::stats::Moments;
use crate::model::Model;
use crate::model::drivers::{self, Channel, LedgerShape};
use serde::Serialize;
use std::sync::Arc;

/// Paired channel differences of every slot against slot 0 (the baseline).
#[derive(Debug, Clone)]
pub struct DriverAcc {
    shape: Arc<LedgerShape>,
    np: usize,
    no: usize,
    /// Channels reported per split outcome: the fine ones, then one per actor.
    nr: usize,
    /// `diff[(slot * n_split + i) * nr + r]`.
    diff: Vec<Moments>,
    /// The current trial's contributions (see [`crate::experiment::paired::TrialSink::drivers`]).
    buf: Vec<f64>,
}

impl DriverAcc {
    pub fn new(model: &Model, shape: Arc<LedgerShape>, np: usize) -> Self {
        let nr = shape.layout.len() + shape.layout.n_actors();
        let ns = shape.outcomes.len();
        DriverAcc {
            np,
            no: model.outcomes.len(),
            nr,
            diff: vec![Moments::default(); np * ns * nr],
            buf: vec![0.0; np * shape.contributions_len()],
            shape,
        }
    }

    /// The trial's contributions, `[slot][split outcome][channel]`.
    pub fn contributions(&mut self, c: &[f64]) {
        self.buf.copy_from_slice(c);
    }

    /// Close the trial given its outcome values (`values[slot * n_outcomes + outcome]`):
    /// a trial whose outcome is not finite under the policy or the baseline is
    /// left out, as the paired outcome difference leaves it out.
    pub fn end_trial(&mut self, values: &[f64]) {
        let layout = &self.shape.layout;
        let (k, ns, nr) = (layout.len(), self.shape.outcomes.len(), self.nr);
        for slot in 0..self.np {
            for (i, &o) in self.shape.outcomes.iter().enumerate() {
                if !(values[slot * self.no + o].is_finite() && values[o].is_finite()) {
                    continue;
                }
                let pol = &self.buf[(slot * ns + i) * k..(slot * ns + i + 1) * k];
                let base = &self.buf[i * k..(i + 1) * k];
                let cell = (slot * ns + i) * nr;
                for c in 0..k {
                    self.diff[cell + c].push(pol[c] - base[c]);
                }
                for a in 0..layout.n_actors() {
                    let d: f64 = layout.actor_channels(a).map(|c| pol[c] - base[c]).sum();
                    self.diff[cell + k + a].push(d);
                }
            }
        }
    }

    pub fn merge(&mut self, o: &DriverAcc) {
        for (a, b) in self.diff.iter_mut().zip(&o.diff) {
            a.merge(b);
        }
    }

    /// Every split outcome of slot `slot`, channels that ever differ only.
    pub fn summary(&self, model: &Model, slot: usize) -> Vec<OutcomeDrivers> {
        let layout = &self.shape.layout;
        let (k, ns, nr) = (layout.len(), self.shape.outcomes.len(), self.nr);
        let row = |m: &Moments, channel: String, label: String, kind: &'static str| {
            let (lo, hi) = t_interval95(m);
            DriverRow {
                channel,
                label,
                kind,
                diff_mean: m.mean,
                diff_lo95: lo,
                diff_hi95: hi,
            }
        };
        let moves = |m: &Moments| m.n > 0 && (m.mean != 0.0 || m.sd() != 0.0);
        let mut out = Vec::new();
        for (i, &o) in self.shape.outcomes.iter().enumerate() {
            let cell = (slot * ns + i) * nr;
            let var = drivers::split_var(model.outcomes[o].measure);
            let mut channels = Vec::new();
            let mut total = 0.0;
            for c in 0..k {
                let m = &self.diff[cell + c];
                total += m.mean;
                if moves(m) {
                    let (id, mut label, kind) = describe(model, layout.channel(c));
                    if c == drivers::DRIFT
                        && var.is_some_and(|v| model.vars[v].drift.as_ref().is_some_and(|d| d.reads_levers()))
                    {
                        label = "drift (the variable's own equation, which reads the levers directly)".into();
                    }
                    channels.push(row(m, id, label, kind));
                }
            }
            let mut actors = Vec::new();
            for (a, actor) in model.actors.iter().enumerate() {
                let m = &self.diff[cell + k + a];
                if moves(m) {
                    actors.push(row(
                        m,
                        format!("actor:{}", actor.id),
                        format!("{}'s actions", actor.name),
                        "actor",
                    ));
                }
            }
            out.push(OutcomeDrivers {
                slot,
                outcome: o,
                trials: self.diff[cell].n,
                total,
                channels,
                actors,
            });
        }
        out
    }
}

/// A channel's id (for `drivers.csv`), its name in plain words, and its kind.
pub fn describe(model: &Model, ch: Channel) -> (String, String, &'static str) {
    match ch {
        Channel::Reversion => ("reversion".into(), "reversion and feedback".into(), "rest"),
        Channel::Drift => ("drift".into(), "drift (the variable's own trend terms)".into(), "rest"),
        Channel::Noise => ("noise".into(), "noise".into(), "rest"),
        Channel::Shocks => ("shocks".into(), "scheduled shocks".into(), "rest"),
        Channel::Bargaining => ("bargaining".into(), "bargaining settlements".into(), "rest"),
        Channel::Clamping => ("clamping".into(), "clamping at the variable's bounds".into(), "rest"),
        Channel::Lever(l) => {
            let lv = &model.levers[l];
            (
                format!("lever:{}", lv.id),
                format!("direct effect of the lever *{}*", lv.label),
                "lever",
            )
        }
        Channel::Action(a, k) => {
            let actor = &model.actors[a];
            let act = &actor.actions[k];
            (
                format!("action:{}:{}", actor.id, act.id),
                format!("{}: *{}*", actor.name, act.label),
                "action",
            )
        }
        Channel::Event(e) => {
            let ev = &model.events[e];
            (format!("event:{}", ev.id), format!("event *{}*", ev.label), "event")
        }
    }
}

/// One channel's paired difference (policy − baseline) in the outcome's unit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DriverRow {
    /// `reversion`, `drift`, `noise`, `shocks`, `bargaining`, `clamping`,
    /// `lever:<id>`, `action:<actor>:<action>`, `event:<id>`, or `actor:<id>` for an actor's total.
    pub channel: String,
    pub label: String,
    /// `lever`, `action`, `actor`, `event` or `rest`.
    pub kind: &'static str,
    pub diff_mean: f64,
    pub diff_lo95: f64,
    pub diff_hi95: f64,
}

/// The split of one outcome's difference for one policy.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OutcomeDrivers {
    #[serde(skip)]
    pub slot: usize,
    /// Index into `model.outcomes`.
    #[serde(skip)]
    pub outcome: usize,
    pub trials: u64,
    /// Sum of every channel's mean difference (equal to the outcome's mean difference up to rounding).
    pub total: f64,
    /// The fine channels that differ in some trial; they sum to `total`.
    pub channels: Vec<DriverRow>,
    /// Per actor, the sum of its action channels (a regrouping of `channels`, not in addition to them).
    pub actors: Vec<DriverRow>,
}

impl OutcomeDrivers {
    /// The split for a reader: levers, whole actors (not their single
    /// actions), events and the rest, largest in size first.
    pub fn grouped(&self) -> Vec<&DriverRow> {
        let mut v: Vec<&DriverRow> = self
            .channels
            .iter()
            .filter(|r| r.kind != "action")
            .chain(self.actors.iter())
            .collect();
        v.sort_by(|a, b| b.diff_mean.abs().total_cmp(&a.diff_mean.abs()));
        v
    }

    /// An actor's actions that move the outcome, largest first.
    pub fn actions_of(&self, actor_id: &str) -> Vec<&DriverRow> {
        let prefix = format!("action:{actor_id}:");
        let mut v: Vec<&DriverRow> = self
            .channels
            .iter()
            .filter(|r| r.channel.starts_with(&prefix))
            .collect();
        v.sort_by(|a, b| b.diff_mean.abs().total_cmp(&a.diff_mean.abs()));
        v
    }
}
