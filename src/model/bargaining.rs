//! Bargaining inside a trial: at scheduled turns some actors bargain over policy dimensions with KTAB's Spatial
//! Model of Politics ([`crate::bargain`]), and what they settle on is written into state variables that the rest of
//! the model reads (hazards, drifts, action values).
//!
//! Positions, saliences and capabilities are expressions over the state, evaluated when the round starts (after
//! this turn's levers and shocks, before the actors decide), so levers move the US stance and the state moves
//! everyone's. The round runs in stochastic mode from its own random stream, a function of (master seed, trial,
//! turn) only: it consumes nothing from the turn stream, so every other draw of the trial is the same with or
//! without bargaining, and the bargaining draws are the same under every policy (common random numbers).

use super::Program;
use crate::bargain::{Smp, SmpOptions};

/// The compiled `bargaining` section of a scenario.
#[derive(Debug, Clone)]
pub struct BargainingDef {
    pub label: String,
    pub source: String,
    pub dimensions: Vec<DimensionDef>,
    pub bargainers: Vec<BargainerDef>,
    /// `scheduled[turn]`: a round runs at the start of this turn.
    pub scheduled: Vec<bool>,
    pub options: SmpOptions,
    pub outputs: Vec<OutputDef>,
}

#[derive(Debug, Clone)]
pub struct DimensionDef {
    pub id: String,
    pub label: String,
    pub low: String,
    pub high: String,
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct BargainerDef {
    /// Index of the actor.
    pub actor: u16,
    pub capability: Program,
    /// The expressions as written, for listings.
    pub capability_text: String,
    pub source: String,
    /// One per dimension, in dimension order.
    pub stances: Vec<StanceDef>,
}

#[derive(Debug, Clone)]
pub struct StanceDef {
    pub position: Program,
    pub salience: Program,
    pub position_text: String,
    pub salience_text: String,
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SettledDef {
    /// (dimension, bargainer index).
    Position(u16, u16),
    /// Dimension.
    Mean(u16),
}

#[derive(Debug, Clone)]
pub struct OutputDef {
    pub var: u16,
    pub value: SettledDef,
}

/// A bargaining round's inputs, read off the state and made safe for the model: non-finite numbers become neutral
/// (position 50, salience 0, capability 0), positions and saliences are clamped to 0–100, a bargainer whose
/// saliences add to more than 100 has them scaled down to sum to 100, and capabilities are floored at 0.
#[derive(Debug, Clone, Default)]
pub struct RoundInput {
    pub capabilities: Vec<f64>,
    /// `bargainers × dimensions`, 0–100.
    pub positions: Vec<f64>,
    /// `bargainers × dimensions`, 0–100.
    pub saliences: Vec<f64>,
}

impl RoundInput {
    /// Buffers for `n` bargainers on `d` dimensions that never grow.
    pub fn with_capacity(n: usize, d: usize) -> RoundInput {
        RoundInput {
            capabilities: Vec::with_capacity(n),
            positions: Vec::with_capacity(n * d),
            saliences: Vec::with_capacity(n * d),
        }
    }
}

/// The working buffers of one trial's bargaining rounds (the round's input, its model, the settlement's
/// workspace). Their contents are rebuilt at every round, so cloning gives fresh buffers of the same capacity:
/// a forked trial state (one per policy) bargains without allocating too.
#[derive(Debug, Default)]
pub struct RoundBuffers {
    pub input: RoundInput,
    pub smp: Option<Smp>,
    pub settle: crate::bargain::SettleWork,
    /// (bargainers, dimensions, options) the buffers were sized for; `None` without bargaining.
    shape: Option<(usize, usize, crate::bargain::SmpOptions)>,
}

impl RoundBuffers {
    /// Buffers sized for `def`'s rounds, or empty ones without bargaining.
    pub fn for_model(def: Option<&BargainingDef>) -> RoundBuffers {
        match def {
            Some(b) => RoundBuffers::sized(b.bargainers.len(), b.dimensions.len(), b.options),
            None => RoundBuffers::default(),
        }
    }

    fn sized(n: usize, d: usize, opts: crate::bargain::SmpOptions) -> RoundBuffers {
        RoundBuffers {
            input: RoundInput::with_capacity(n, d),
            smp: Some(Smp::with_capacity(n, d, opts)),
            settle: crate::bargain::SettleWork::with_capacity(n, d),
            shape: Some((n, d, opts)),
        }
    }
}

impl Clone for RoundBuffers {
    fn clone(&self) -> RoundBuffers {
        match self.shape {
            Some((n, d, opts)) => RoundBuffers::sized(n, d, opts),
            None => RoundBuffers::default(),
        }
    }
}

impl BargainingDef {
    pub fn num_dimensions(&self) -> usize {
        self.dimensions.len()
    }

    /// Evaluate every stance on the state `env` into `input` (its buffers are reused).
    pub fn read_input(&self, env: &super::Env, input: &mut RoundInput) {
        let d = self.dimensions.len();
        input.capabilities.clear();
        input.positions.clear();
        input.saliences.clear();
        for b in &self.bargainers {
            let c = b.capability.eval(env);
            input.capabilities.push(if c.is_finite() { c.max(0.0) } else { 0.0 });
            let start = input.saliences.len();
            for s in &b.stances {
                let p = s.position.eval(env);
                input
                    .positions
                    .push(if p.is_finite() { p.clamp(0.0, 100.0) } else { 50.0 });
                let w = s.salience.eval(env);
                input
                    .saliences
                    .push(if w.is_finite() { w.clamp(0.0, 100.0) } else { 0.0 });
            }
            let sal = &mut input.saliences[start..start + d];
            let total: f64 = sal.iter().sum();
            if total > 100.0 {
                sal.iter_mut().for_each(|s| *s *= 100.0 / total);
            }
        }
    }

    /// The model for one round.
    pub fn smp(&self, input: &RoundInput) -> Smp {
        Smp::from_numbers(
            self.dimensions.len(),
            &input.capabilities,
            &input.positions,
            &input.saliences,
            self.options,
        )
    }

    /// [`BargainingDef::smp`] into an existing model, reusing its buffers (the same model, bit for bit).
    pub fn refill_smp(&self, input: &RoundInput, smp: &mut Smp) {
        smp.refill(
            self.dimensions.len(),
            &input.capabilities,
            &input.positions,
            &input.saliences,
            self.options,
        );
    }

    /// The value of an output (0–1) given the round's input and the settled positions (`bargainers × dimensions`,
    /// 0–1). A mean with no weight anywhere (no capability or no salience) is the plain mean.
    pub fn output_value(&self, value: SettledDef, input: &RoundInput, settled: &[f64]) -> f64 {
        let d = self.dimensions.len();
        match value {
            SettledDef::Position(k, b) => settled[b as usize * d + k as usize],
            SettledDef::Mean(k) => {
                let k = k as usize;
                let n = self.bargainers.len();
                let (mut num, mut den) = (0.0, 0.0);
                for i in 0..n {
                    let w = input.capabilities[i] * input.saliences[i * d + k];
                    num += w * settled[i * d + k];
                    den += w;
                }
                if den > 0.0 {
                    num / den
                } else {
                    (0..n).map(|i| settled[i * d + k]).sum::<f64>() / n as f64
                }
            }
        }
    }
}
