//! Callbacks: what is kept from each turn of each trial.
//!
//! [`OutcomeRecorder`] turns a trajectory into one row of outcome values;
//! [`FanHistograms`] counts where each key variable lies at each turn, for
//! fan charts. Both are fixed-size: memory does not grow with trials.

use crate::model::{MeasureDef, Model, TurnRecord};

/// Per-trial accumulator for every outcome of the model.
#[derive(Debug, Clone)]
pub struct OutcomeRecorder {
    acc: Vec<Acc>,
}

#[derive(Debug, Clone, Copy)]
struct Acc {
    sum: f64,
    n: u32,
    last: f64,
    min: f64,
    max: f64,
}

const EMPTY: Acc = Acc {
    sum: 0.0,
    n: 0,
    last: f64::NAN,
    min: f64::INFINITY,
    max: f64::NEG_INFINITY,
};

impl OutcomeRecorder {
    pub fn new(model: &Model) -> Self {
        OutcomeRecorder {
            acc: vec![EMPTY; model.outcomes.len()],
        }
    }

    pub fn reset(&mut self) {
        self.acc.iter_mut().for_each(|a| *a = EMPTY);
    }

    pub fn observe(&mut self, model: &Model, rec: &TurnRecord) {
        for (o, a) in model.outcomes.iter().zip(self.acc.iter_mut()) {
            if rec.turn < o.from_turn || rec.turn > o.to_turn {
                continue;
            }
            let x = match o.measure {
                MeasureDef::Final(v)
                | MeasureDef::Mean(v)
                | MeasureDef::Min(v)
                | MeasureDef::Max(v)
                | MeasureDef::Total(v) => rec.vars[v as usize],
                MeasureDef::Count(e) | MeasureDef::PerYear(e) | MeasureDef::Occurs(e) => {
                    f64::from(rec.events[e as usize])
                }
                MeasureDef::ActionCount(actor, action) => {
                    f64::from(u8::from(model.chose(rec.choices, actor as usize, action as usize)))
                }
            };
            a.sum += x;
            a.n += 1;
            a.last = x;
            a.min = a.min.min(x);
            a.max = a.max.max(x);
        }
    }

    /// Outcome values of the finished trial, in the model's outcome order.
    pub fn finish(&self, model: &Model, out: &mut Vec<f64>) {
        let dt = model.calendar.dt();
        for (o, a) in model.outcomes.iter().zip(&self.acc) {
            let v = match o.measure {
                MeasureDef::Final(_) => a.last,
                MeasureDef::Mean(_) => a.sum / f64::from(a.n.max(1)),
                MeasureDef::Min(_) => a.min,
                MeasureDef::Max(_) => a.max,
                MeasureDef::Total(_) => a.sum * dt,
                MeasureDef::Count(_) | MeasureDef::ActionCount(..) => a.sum,
                MeasureDef::PerYear(_) => a.sum / (f64::from(a.n.max(1)) * dt),
                MeasureDef::Occurs(_) => f64::from(u8::from(a.sum > 0.0)),
            };
            out.push(v);
        }
    }
}

/// Number of bins across each key variable's [min, max] range.
pub const FAN_BINS: usize = 128;

/// Histograms of each key variable at each turn, per policy (integer counts,
/// so merging is exact and order-free).
#[derive(Debug, Clone, PartialEq)]
pub struct FanHistograms {
    pub vars: Vec<usize>,
    pub turns: usize,
    pub policies: usize,
    pub counts: Vec<u32>,
}

impl FanHistograms {
    pub fn new(model: &Model, policies: usize) -> Self {
        let vars: Vec<usize> = model.key_vars().collect();
        let turns = model.turns as usize;
        FanHistograms {
            counts: vec![0; policies * vars.len() * turns * FAN_BINS],
            vars,
            turns,
            policies,
        }
    }

    fn slot(&self, p: usize, k: usize, turn: usize) -> usize {
        ((p * self.vars.len() + k) * self.turns + turn) * FAN_BINS
    }

    pub fn observe(&mut self, model: &Model, p: usize, rec: &TurnRecord) {
        let turn = rec.turn as usize;
        for k in 0..self.vars.len() {
            let v = self.vars[k];
            let def = &model.vars[v];
            let f = (rec.vars[v] - def.min) / (def.max - def.min);
            let bin = ((f * FAN_BINS as f64) as usize).min(FAN_BINS - 1);
            let s = self.slot(p, k, turn);
            self.counts[s + bin] += 1;
        }
    }

    pub fn merge(&mut self, o: &FanHistograms) {
        for (a, b) in self.counts.iter_mut().zip(&o.counts) {
            *a += b;
        }
    }

    /// [p05, p25, p50, p75, p95] per turn for policy slot `p`, key var slot `k`
    /// (linear interpolation inside a bin).
    pub fn bands(&self, model: &Model, p: usize, k: usize) -> Vec<[f64; 5]> {
        let def = &model.vars[self.vars[k]];
        let width = (def.max - def.min) / FAN_BINS as f64;
        (0..self.turns)
            .map(|t| {
                let s = self.slot(p, k, t);
                let h = &self.counts[s..s + FAN_BINS];
                let n: u64 = h.iter().map(|c| u64::from(*c)).sum();
                let mut out = [f64::NAN; 5];
                if n == 0 {
                    return out;
                }
                for (qi, q) in [0.05, 0.25, 0.5, 0.75, 0.95].iter().enumerate() {
                    let target = q * n as f64;
                    let mut cum = 0.0;
                    for (b, c) in h.iter().enumerate() {
                        let c = f64::from(*c);
                        if c > 0.0 && cum + c >= target {
                            let frac = ((target - cum) / c).clamp(0.0, 1.0);
                            out[qi] = def.min + (b as f64 + frac) * width;
                            break;
                        }
                        cum += c;
                    }
                }
                out
            })
            .collect()
    }
}
