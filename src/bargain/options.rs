//! Model options. Each enum mirrors one of KTAB's option enums (`kmodel.h`, `smp.h`) so that a KTAB user can
//! recognise the switch; the `Default` of [`SmpOptions`] is exactly the configuration KTAB prints in its
//! reference runs, which is the only configuration the golden tests can vouch for.

use serde::{Deserialize, Serialize};

/// How coalition strengths turn into the probability that one option beats another
/// (`VPModel` in KTAB). Only the Linear form has been validated against KTAB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum VictoryProbModel {
    /// `V(a,b) = C(a:b) / (C(a:b) + C(b:a))`.
    #[default]
    Linear,
    /// Coalitions squared in the ratio: stronger coalitions win more decisively.
    Square,
    /// Coalitions to the fourth power.
    Quartic,
    /// Coalitions to the eighth power.
    Octic,
    /// Near-deterministic: a coalition ratio of 1.1 or more is a certain win, linear in the ratio in between.
    Binary,
}

/// How an actor's utility difference becomes a vote (`VotingRule` in KTAB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum VotingRule {
    /// All-or-nothing: the full weight goes to whichever option is preferred (smoothed over 1e-8).
    Binary,
    /// 80% proportional, 20% binary.
    PropBin,
    /// Proportional to the utility difference: `w·Δu`.
    #[default]
    Prop,
    /// Half proportional, half cubic.
    PropCbc,
    /// Cubic in the utility difference: only strong preferences count.
    Cubic,
    /// Prospect-theory asymmetry: losses weigh 3/2 as much as gains.
    ASymProsp,
}

/// How pairwise victory probabilities combine into a distribution over options (`PCEModel` in KTAB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum PceModel {
    /// `P(a) ∝ Π_b V(a,b)`: an option must survive every challenge.
    #[default]
    Conditional,
    /// Stationary distribution of a Markov chain with uniformly chosen challengers.
    MarkovUniform,
    /// Stationary distribution of a Markov chain where challengers are chosen by their incentive.
    MarkovIncentive,
}

/// Range onto which the risk-neutral election maps actors' risk attitudes (`BigRRange`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum BigRRange {
    /// `R ∈ [0, 1]`.
    Min,
    /// `R ∈ [-1/2, 1]`.
    #[default]
    Mid,
    /// `R ∈ [-1, 1]`.
    Max,
}

/// How far an actor's estimate of another's risk attitude leans to the truth (`BigRAdjust`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum BigRAdjust {
    /// `r_hi = R_h`: everyone thinks others share their own attitude.
    None,
    /// `r_hi = (2R_h + R_i)/3`.
    #[default]
    OneThird,
    /// `r_hi = (R_h + R_i)/2`.
    Half,
    /// `r_hi = (R_h + 2R_i)/3`.
    TwoThirds,
    /// `r_hi = R_i`: accurate perception.
    Full,
}

/// How third parties weigh the consequences of joining a challenge (`ThirdPartyCommit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ThirdPartyCommit {
    /// Third parties vote only on the immediate outcome; in KTAB's formulas their votes cancel to zero.
    NoCommit,
    /// Third parties weigh a partial commitment to the side they join (KTAB's default).
    #[default]
    SemiCommit,
    /// Full commitment; like NoCommit, the two sides' expressions coincide and third parties contribute zero.
    FullCommit,
}

/// Interpolation weights of a bargain between initiator and receiver (`InterVecBrgn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum InterVecBrgn {
    /// Weights `s·p`.
    S1P1,
    /// Weights `s²·p²` (KTAB's default).
    #[default]
    S2P2,
}

/// Which actor's estimate shapes a bargain (`SMPBargnModel`). Only the initiator's, as in KTAB's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum BargainModel {
    /// The initiator interpolates with its own estimate of the challenge's success.
    #[default]
    InitOnlyInterp,
}

/// Every switch of the model, with KTAB's defaults. When read from a file, a switch left out keeps its default and a
/// misspelt one is an error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmpOptions {
    pub victory_prob: VictoryProbModel,
    pub voting_rule: VotingRule,
    pub pce: PceModel,
    pub big_r_range: BigRRange,
    pub big_r_adjust: BigRAdjust,
    pub third_party_commit: ThirdPartyCommit,
    pub inter_vec_brgn: InterVecBrgn,
    pub bargain_model: BargainModel,
    /// Stop once the movement of a step falls below this fraction of the first step's (KTAB: 0.02).
    pub stop_ratio: f64,
    /// Hard limit on the number of steps (KTAB: 100).
    pub max_steps: usize,
}

impl Default for SmpOptions {
    fn default() -> Self {
        SmpOptions {
            victory_prob: VictoryProbModel::Linear,
            voting_rule: VotingRule::Prop,
            pce: PceModel::Conditional,
            big_r_range: BigRRange::Mid,
            big_r_adjust: BigRAdjust::OneThird,
            third_party_commit: ThirdPartyCommit::SemiCommit,
            inter_vec_brgn: InterVecBrgn::S2P2,
            bargain_model: BargainModel::InitOnlyInterp,
            stop_ratio: 0.02,
            max_steps: 100,
        }
    }
}
