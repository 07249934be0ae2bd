//! One turn of the Spatial Model of Politics: from a state (every actor's position) to the next.
//!
//! Section numbers in the comments refer to the steps of `SMP-SPEC.md`. Positions are held on the 0–1 scale
//! internally (KTAB divides the file's 0–100 values by 100) because KTAB rounds bargains on that scale and
//! its distance, utility and stopping formulas assume it; the public API converts back to 0–100.
//!
//! Nothing here is random: the only choice with a random form (which bargain an actor adopts) is delegated to a
//! caller-supplied `choose` function, so deterministic and stochastic runs share every line of the model.

use super::input::Scenario;
use super::options::{BigRAdjust, BigRRange, InterVecBrgn, SmpOptions, ThirdPartyCommit, VotingRule};
use super::pce::{Ballot, PceScratch, pce, pce_into, vote};
use rayon::prelude::*;

/// Floor on the coalitions of a challenge (KTAB's `probEduChlg`), smaller than the PCE's so both sides stay positive.
const CHALLENGE_FLOOR: f64 = 1e-10;
/// A challenge is made only if the challenger expects to gain more than this.
const MIN_CHALLENGE_GAIN: f64 = 1e-5;
/// Bargain interpolation keeps each side this much weight on its own position, so no bargain is degenerate.
const BARGAIN_TOL: f64 = 1e-6;
/// Below this many actors a turn's challenge search is too small to be worth spreading over threads.
const PARALLEL_MIN_ACTORS: usize = 24;
/// Two positions closer than this (Euclidean, 0–1 scale) are one option when the state's probabilities are reported.
const SAME_POSITION: f64 = 1e-3;

/// KTAB's risk-sensitive utility of a (weighted, 0–1) distance `d` for an actor with risk attitude `r`
/// (`bsUtil`): concave for `r > 0` (risk-averse), convex for `r < 0`, linear at 0; 1 at distance 0, 0 at 1.
pub fn bs_util(d: f64, r: f64) -> f64 {
    if d <= 1.0 {
        (1.0 - d) * (1.0 + d * r)
    } else {
        (1.0 - d) * (1.0 + r)
    }
}

/// Round to four decimals the way KTAB rounds bargains (`floor(0.5 + x·1e4)/1e4`).
pub fn round4(x: f64) -> f64 {
    (0.5 + x * 1e4).floor() / 1e4
}

/// A scenario prepared for the model: saliences and positions scaled to 0–1, per-actor sums precomputed.
#[derive(Debug, Clone)]
pub struct Smp {
    pub(crate) opts: SmpOptions,
    pub(crate) n: usize,
    pub(crate) d: usize,
    pub(crate) names: Vec<String>,
    pub(crate) dimensions: Vec<String>,
    pub(crate) scenario_name: String,
    /// Capability, unscaled (as KTAB uses it).
    pub(crate) cap: Vec<f64>,
    /// Saliences, `n × d`, 0–1.
    pub(crate) sal: Vec<f64>,
    /// `S_i = Σ_k s_ik`: the probability that i resists a challenge, and a factor of its challenge vote weight.
    pub(crate) sal_total: Vec<f64>,
    /// `Σ_k s_ik²`, the normaliser of i's weighted distance.
    pub(crate) sal_sq: Vec<f64>,
    /// `c_i·S_i`: an actor's vote weight in challenges (step 5), where only the salience it puts at stake counts.
    pub(crate) challenge_weight: Vec<f64>,
    /// Starting positions, `n × d`, 0–1.
    pub(crate) initial: Vec<f64>,
}

impl Smp {
    /// Prepare a scenario for the model. The scenario must satisfy [`Scenario::validate`], as every scenario read
    /// by [`super::input`] does; one built in code with a wrong number of positions or saliences panics here.
    pub fn new(scenario: &Scenario, opts: SmpOptions) -> Smp {
        let n = scenario.actors.len();
        let d = scenario.dimensions.len();
        for a in &scenario.actors {
            assert!(
                a.positions.len() == d && a.saliences.len() == d,
                "actor `{}` needs one position and one salience per dimension (see Scenario::validate)",
                a.name
            );
        }
        let mut sal = Vec::with_capacity(n * d);
        let mut pos = Vec::with_capacity(n * d);
        for a in &scenario.actors {
            sal.extend_from_slice(&a.saliences);
            pos.extend_from_slice(&a.positions);
        }
        let cap: Vec<f64> = scenario.actors.iter().map(|a| a.capability).collect();
        let mut smp = Smp::from_numbers(d, &cap, &pos, &sal, opts);
        smp.names = scenario.actors.iter().map(|a| a.name.clone()).collect();
        smp.dimensions = scenario.dimensions.clone();
        smp.scenario_name = scenario.name.clone();
        smp
    }

    /// Prepare a nameless scenario from numbers alone, for callers that build one many times (the simulation runs
    /// a bargaining round inside each trial). `positions` and `saliences` are `actors × d` on the 0–100 scale and
    /// `capabilities` one per actor, with the same rules as [`Scenario::validate`] (the caller checks them).
    pub fn from_numbers(d: usize, capabilities: &[f64], positions: &[f64], saliences: &[f64], opts: SmpOptions) -> Smp {
        let mut smp = Smp {
            opts,
            n: 0,
            d,
            names: Vec::new(),
            dimensions: Vec::new(),
            scenario_name: String::new(),
            cap: Vec::new(),
            sal: Vec::new(),
            sal_total: Vec::new(),
            sal_sq: Vec::new(),
            challenge_weight: Vec::new(),
            initial: Vec::new(),
        };
        smp.refill(d, capabilities, positions, saliences, opts);
        smp
    }

    /// A model with no actors whose buffers hold `n` actors on `d` dimensions, for [`Smp::refill`] to fill
    /// without allocating.
    pub fn with_capacity(n: usize, d: usize, opts: SmpOptions) -> Smp {
        Smp {
            opts,
            n: 0,
            d,
            names: Vec::new(),
            dimensions: Vec::new(),
            scenario_name: String::new(),
            cap: Vec::with_capacity(n),
            sal: Vec::with_capacity(n * d),
            sal_total: Vec::with_capacity(n),
            sal_sq: Vec::with_capacity(n),
            challenge_weight: Vec::with_capacity(n),
            initial: Vec::with_capacity(n * d),
        }
    }

    /// [`Smp::from_numbers`] in place: this model becomes the one `from_numbers` would build (same arithmetic), its
    /// buffers reused. The simulation prepares one round per scheduled turn of every trial and keeps one `Smp` per
    /// worker for it, so a round allocates nothing. Names are left as they are (nameless models have none).
    pub fn refill(&mut self, d: usize, capabilities: &[f64], positions: &[f64], saliences: &[f64], opts: SmpOptions) {
        let n = capabilities.len();
        assert!(
            positions.len() == n * d && saliences.len() == n * d,
            "one position and one salience per actor and dimension"
        );
        self.opts = opts;
        self.n = n;
        self.d = d;
        self.sal.clear();
        self.sal.extend(saliences.iter().map(|s| s / 100.0));
        self.initial.clear();
        self.initial.extend(positions.iter().map(|p| p / 100.0));
        let sal = &self.sal;
        self.sal_total.clear();
        self.sal_total
            .extend((0..n).map(|i| sal[i * d..(i + 1) * d].iter().sum::<f64>()));
        self.sal_sq.clear();
        self.sal_sq
            .extend((0..n).map(|i| sal[i * d..(i + 1) * d].iter().map(|s| s * s).sum::<f64>()));
        self.challenge_weight.clear();
        self.challenge_weight
            .extend(capabilities.iter().zip(&self.sal_total).map(|(c, s)| c * s));
        self.cap.clear();
        self.cap.extend_from_slice(capabilities);
    }

    pub fn options(&self) -> &SmpOptions {
        &self.opts
    }
    pub fn num_actors(&self) -> usize {
        self.n
    }
    pub fn num_dimensions(&self) -> usize {
        self.d
    }
    pub fn actor_names(&self) -> &[String] {
        &self.names
    }
    pub fn dimension_names(&self) -> &[String] {
        &self.dimensions
    }
    pub fn scenario_name(&self) -> &str {
        &self.scenario_name
    }
    /// Starting positions, `actors × dimensions`, on the 0–1 scale.
    pub fn initial_positions(&self) -> &[f64] {
        &self.initial
    }

    /// Step 1: i's salience-weighted distance from its ideal point `ideal` to `target` (both 0–1, length d).
    /// An actor with no salience anywhere is indifferent: distance 0.
    pub(crate) fn distance(&self, i: usize, ideal: &[f64], target: &[f64]) -> f64 {
        if self.sal_sq[i] <= 0.0 {
            return 0.0;
        }
        let s = &self.sal[i * self.d..(i + 1) * self.d];
        let sum: f64 = s
            .iter()
            .zip(ideal.iter().zip(target))
            .map(|(s, (a, b))| (s * (a - b)).powi(2))
            .sum();
        (sum / self.sal_sq[i]).sqrt()
    }

    /// Analyse a state: distances, the risk-neutral election, risk attitudes (steps 1–3).
    pub fn turn(&self, positions: Vec<f64>) -> Turn<'_> {
        Turn::new(self, positions)
    }
}

/// What one actor expects of a challenge `i → j`, as estimated by some actor h (step 5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChallengeEstimate {
    /// Probability that i's position prevails over j's.
    pub prob: f64,
    /// Expected gain of the challenge to the initiator i.
    pub gain_initiator: f64,
    /// Expected gain of the challenge to the target j.
    pub gain_target: f64,
}

/// A bargain: the initiator and the receiver each move to their side of an interpolated pair of positions.
#[derive(Debug, Clone, PartialEq)]
pub struct Bargain {
    pub initiator: usize,
    pub receiver: usize,
    /// Where the initiator would move (0–1 scale, rounded to 4 decimals).
    pub initiator_position: Vec<f64>,
    /// Where the receiver would move.
    pub receiver_position: Vec<f64>,
}

/// Everything KTAB logs about one challenge in a turn (its turn-0 log), for validation and reporting.
#[derive(Debug, Clone, PartialEq)]
pub struct ChallengeLog {
    pub initiator: usize,
    pub target: usize,
    /// The initiator's own estimate of its gain (the value it maximised).
    pub gain: f64,
    pub by_initiator: ChallengeEstimate,
    pub by_target: ChallengeEstimate,
    /// The bargain the initiator proposes: (initiator adopts, target adopts). This is the bargain that is used.
    pub initiator_proposal: (Vec<f64>, Vec<f64>),
    /// The counter-proposal KTAB logs for the target. It is not used with `InitOnlyInterp`; KTAB interpolates it
    /// with the target's estimate of the *initiator's gain* in place of a probability, and so does this log so that
    /// it matches KTAB's output line for line.
    pub target_proposal: (Vec<f64>, Vec<f64>),
}

/// The intermediates KTAB prints for a turn (`dummyData_3Dim.turn0.txt`).
#[derive(Debug, Clone, PartialEq)]
pub struct TurnLog {
    /// `1 − d_ij`, `n × n`: row = actor, column = position.
    pub neutral_utilities: Vec<f64>,
    /// Inferred risk attitudes `R_i`.
    pub risk: Vec<f64>,
    /// `u(d_ij, R_i)`, `n × n`.
    pub objective_utilities: Vec<f64>,
    /// One entry per actor that found a worthwhile challenge, in actor order.
    pub challenges: Vec<ChallengeLog>,
}

/// The probability of each actor's position prevailing in a state (step 9). Actors at the same position
/// (within 1e-3) share one option.
#[derive(Debug, Clone, PartialEq)]
pub struct StateProbabilities {
    /// Index into `option_probs` for each actor.
    pub option_of_actor: Vec<usize>,
    /// PCE probability of each distinct position; sums to 1.
    pub option_probs: Vec<f64>,
}

impl StateProbabilities {
    /// The probability KTAB prints for actor i (shared positions repeat the same number).
    pub fn actor(&self, i: usize) -> f64 {
        self.option_probs[self.option_of_actor[i]]
    }
    /// Per-actor probabilities, as KTAB prints them.
    pub fn per_actor(&self) -> Vec<f64> {
        (0..self.option_of_actor.len()).map(|i| self.actor(i)).collect()
    }
}

/// A state under analysis: the positions plus the quantities every later step needs.
#[derive(Debug, Clone)]
pub struct Turn<'a> {
    smp: &'a Smp,
    /// Positions, `n × d`, 0–1. Each actor's ideal equals its position (identity accommodation).
    positions: Vec<f64>,
    /// `d_ij`, `n × n`: i's weighted distance from its position to j's.
    dist: Vec<f64>,
    /// The transpose of `dist` (`dist_t[j·n + i] = d_ij`), so loops over the voters for one position read
    /// contiguous memory; the challenge loop is the model's O(n³) hot spot.
    dist_t: Vec<f64>,
    /// PCE probabilities of the risk-neutral election over all n positions (step 3).
    neutral: Vec<f64>,
    /// Inferred risk attitudes `R_i`.
    risk: Vec<f64>,
    /// `r_hi`, `n × n`: h's perception of i's risk attitude.
    perceived: Vec<f64>,
    /// Buffers of the steps after the analysis (see [`TurnSpare`]).
    spare: TurnSpare,
}

/// Every buffer a [`Turn`] uses, kept between turns by callers that run many (see [`SettleWork`]), so that a step
/// of the model allocates nothing once they have grown. Holding them changes no arithmetic.
#[derive(Debug, Clone, Default)]
pub struct TurnSpare {
    dist: Vec<f64>,
    dist_t: Vec<f64>,
    neutral_util: Vec<f64>,
    neutral: Vec<f64>,
    risk: Vec<f64>,
    perceived: Vec<f64>,
    pce: PceScratch,
    /// This step's bargains, flat: initiator, receiver, and their positions (`bargains × d` each).
    initiators: Vec<usize>,
    receivers: Vec<usize>,
    initiator_positions: Vec<f64>,
    receiver_positions: Vec<f64>,
    row_sums: Vec<f64>,
    status_quo: Vec<f64>,
    /// `bargains × n`: each voter's step-8 utility for each bargain.
    utilities: Vec<f64>,
    queue: Vec<Option<usize>>,
    util: Vec<f64>,
    probs: Vec<f64>,
}

impl TurnSpare {
    /// Buffers for `n` actors on `d` dimensions that never grow: the largest election is an actor's queue (the
    /// status quo plus at most one bargain it initiates and `n − 1` it receives).
    fn with_capacity(n: usize, d: usize) -> TurnSpare {
        let q = n + 1;
        TurnSpare {
            dist: Vec::with_capacity(n * n),
            dist_t: Vec::with_capacity(n * n),
            neutral_util: Vec::with_capacity(n * n),
            neutral: Vec::with_capacity(n),
            risk: Vec::with_capacity(n),
            perceived: Vec::with_capacity(n * n),
            pce: PceScratch::with_capacity(q),
            initiators: Vec::with_capacity(n),
            receivers: Vec::with_capacity(n),
            initiator_positions: Vec::with_capacity(n * d),
            receiver_positions: Vec::with_capacity(n * d),
            row_sums: Vec::with_capacity(n),
            status_quo: Vec::with_capacity(n),
            utilities: Vec::with_capacity(n * n),
            queue: Vec::with_capacity(q),
            util: Vec::with_capacity(n * q),
            probs: Vec::with_capacity(q),
        }
    }
}

/// Reusable state of [`Smp::settle_in`]: the current and next positions and a [`TurnSpare`].
#[derive(Debug, Clone, Default)]
pub struct SettleWork {
    pub(crate) positions: Vec<f64>,
    pub(crate) next: Vec<f64>,
    pub(crate) spare: TurnSpare,
}

impl SettleWork {
    /// A workspace for models of `n` actors on `d` dimensions whose buffers never grow, so that even the first
    /// round run in it allocates nothing.
    pub fn with_capacity(n: usize, d: usize) -> SettleWork {
        SettleWork {
            positions: Vec::with_capacity(n * d),
            next: Vec::with_capacity(n * d),
            spare: TurnSpare::with_capacity(n, d),
        }
    }

    /// The settled positions of the last [`Smp::settle_in`] (`actors × dimensions`, 0–1).
    pub fn settled(&self) -> &[f64] {
        &self.next
    }
}

impl<'a> Turn<'a> {
    fn new(smp: &'a Smp, positions: Vec<f64>) -> Turn<'a> {
        Turn::new_with(smp, positions, TurnSpare::default())
    }

    /// Steps 1–3 on `positions`, in `spare`'s buffers (bit-identical to a fresh analysis).
    pub(crate) fn new_with(smp: &'a Smp, positions: Vec<f64>, mut spare: TurnSpare) -> Turn<'a> {
        let (n, d) = (smp.n, smp.d);
        assert_eq!(positions.len(), n * d, "positions must be actors × dimensions");
        let mut dist = std::mem::take(&mut spare.dist);
        dist.clear();
        dist.resize(n * n, 0.0);
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    dist[i * n + j] = smp.distance(i, &positions[i * d..(i + 1) * d], &positions[j * d..(j + 1) * d]);
                }
            }
        }
        let mut dist_t = std::mem::take(&mut spare.dist_t);
        dist_t.clear();
        dist_t.resize(n * n, 0.0);
        for i in 0..n {
            for j in 0..n {
                dist_t[j * n + i] = dist[i * n + j];
            }
        }
        // Step 3: a risk-neutral election over every actor's position, duplicates included.
        spare.neutral_util.clear();
        spare.neutral_util.extend(dist.iter().map(|x| 1.0 - x));
        let mut neutral = std::mem::take(&mut spare.neutral);
        pce_into(
            &smp.opts,
            &Ballot {
                options: n,
                util: &spare.neutral_util,
                weights: &smp.cap,
            },
            &mut spare.pce,
            &mut neutral,
        );
        let mut risk = std::mem::take(&mut spare.risk);
        risk_attitudes_into(smp.opts.big_r_range, &neutral, &mut risk);
        let mut perceived = std::mem::take(&mut spare.perceived);
        perceived.clear();
        perceived.resize(n * n, 0.0);
        for h in 0..n {
            for i in 0..n {
                let (rh, ri) = (risk[h], risk[i]);
                perceived[h * n + i] = match smp.opts.big_r_adjust {
                    BigRAdjust::None => rh,
                    BigRAdjust::OneThird => (2.0 * rh + ri) / 3.0,
                    BigRAdjust::Half => (rh + ri) / 2.0,
                    BigRAdjust::TwoThirds => (rh + 2.0 * ri) / 3.0,
                    BigRAdjust::Full => ri,
                };
            }
        }
        Turn {
            smp,
            positions,
            dist,
            dist_t,
            neutral,
            risk,
            perceived,
            spare,
        }
    }

    /// Give back the positions and every buffer, for the next [`Turn::new_with`].
    pub(crate) fn into_parts(self) -> (Vec<f64>, TurnSpare) {
        let Turn {
            positions,
            dist,
            dist_t,
            neutral,
            risk,
            perceived,
            mut spare,
            ..
        } = self;
        spare.dist = dist;
        spare.dist_t = dist_t;
        spare.neutral = neutral;
        spare.risk = risk;
        spare.perceived = perceived;
        (positions, spare)
    }

    /// Positions of this state, `n × d`, 0–1.
    pub fn positions(&self) -> &[f64] {
        &self.positions
    }
    fn pos(&self, i: usize) -> &[f64] {
        &self.positions[i * self.smp.d..(i + 1) * self.smp.d]
    }
    /// Probabilities of the risk-neutral election over all n positions (step 3).
    pub fn neutral_probabilities(&self) -> &[f64] {
        &self.neutral
    }
    /// Inferred risk attitudes `R_i` (step 3).
    pub fn risk_attitudes(&self) -> &[f64] {
        &self.risk
    }

    /// `U^h_ab`: h's estimate of a's utility for b's position.
    #[inline]
    fn util(&self, h: usize, a: usize, b: usize) -> f64 {
        let n = self.smp.n;
        bs_util(self.dist[a * n + b], self.perceived[h * n + a])
    }

    /// Step 5: h's estimate of the challenge `i → j` — the probability that i prevails and the expected gain to
    /// each principal.
    pub fn challenge(&self, h: usize, i: usize, j: usize) -> ChallengeEstimate {
        let smp = self.smp;
        let rule = smp.opts.voting_rule;
        let weight = &smp.challenge_weight;
        let (mut c_ij, mut c_ji) = (CHALLENGE_FLOOR, CHALLENGE_FLOOR);
        let add = |v: f64, c_ij: &mut f64, c_ji: &mut f64| {
            if v > 0.0 {
                *c_ij += v;
            } else if v < 0.0 {
                *c_ji -= v;
            }
        };
        let (u_ii, u_ij) = (self.util(h, i, i), self.util(h, i, j));
        let (u_ji, u_jj) = (self.util(h, j, i), self.util(h, j, j));
        add(vote(rule, weight[i], u_ii, u_ij), &mut c_ij, &mut c_ji);
        add(vote(rule, weight[j], u_ji, u_jj), &mut c_ij, &mut c_ji);
        let (c0_ij, c0_ji) = (c_ij, c_ji);
        if smp.opts.third_party_commit == ThirdPartyCommit::SemiCommit {
            (c_ij, c_ji) = match rule {
                VotingRule::Prop => self.semi_commit_votes(h, i, j, c0_ij, c0_ji, |w, a, b| w * (a - b)),
                other => self.semi_commit_votes(h, i, j, c0_ij, c0_ji, move |w, a, b| vote(other, w, a, b)),
            };
        }
        // NoCommit and FullCommit: the two expressions coincide, so third parties add nothing.
        let prob = c_ij / (c_ij + c_ji);
        let s_j = smp.sal_total[j];
        let gain = |k: usize| {
            let (u_ki, u_kj) = (self.util(h, k, i), self.util(h, k, j));
            let (win, lose, status_quo) = (2.0 * u_ki, 2.0 * u_kj, u_ki + u_kj);
            let challenge = (1.0 - s_j) * win + s_j * (prob * win + (1.0 - prob) * lose);
            challenge - status_quo
        };
        ChallengeEstimate {
            prob,
            gain_initiator: gain(i),
            gain_target: gain(j),
        }
    }

    /// The coalitions (for i, for j) in h's estimate of the challenge `i → j` once the third parties have voted
    /// under SemiCommit, starting from the principals' `c0_ij`, `c0_ji`. Generic over the vote rule so that the common proportional rule compiles to a branch-free
    /// loop: this loop runs n times for each of n² challenges per turn.
    #[inline(always)]
    fn semi_commit_votes(
        &self,
        h: usize,
        i: usize,
        j: usize,
        c0_ij: f64,
        c0_ji: f64,
        vote: impl Fn(f64, f64, f64) -> f64,
    ) -> (f64, f64) {
        let n = self.smp.n;
        let weight = &self.smp.challenge_weight;
        // h's perception of each third party m's risk attitude, and m's distances to i's and j's positions.
        let r = &self.perceived[h * n..(h + 1) * n];
        let d_i = &self.dist_t[i * n..(i + 1) * n];
        let d_j = &self.dist_t[j * n..(j + 1) * n];
        let (mut for_i, mut for_j) = (c0_ij, c0_ji);
        for m in 0..n {
            if m == i || m == j {
                continue;
            }
            let w = weight[m];
            // U^h_mm is the utility of m's own position: distance 0, so 1 whatever the risk attitude.
            let (u_mi, u_mj, u_mm) = (bs_util(d_i[m], r[m]), bs_util(d_j[m], r[m]), bs_util(0.0, r[m]));
            // The third party's naive vote decides how little conflict it expects if it stays out.
            let e = vote(w, u_mi, u_mj);
            let (e_pos, e_neg) = (e.max(0.0), (-e).max(0.0));
            let pi = (c0_ij + e_pos) / (c0_ij + e_pos + c0_ji + e_neg);
            let join_i = pi * (2.0 * u_mi + u_mm) + (1.0 - pi) * 3.0 * u_mj;
            let join_j = pi * 3.0 * u_mi + (1.0 - pi) * (2.0 * u_mj + u_mm);
            let v = vote(w, join_i, join_j);
            // Branch-free "add v to the side it supports": the sign of v is unpredictable, and adding a zero to
            // the (positive) other side changes nothing.
            for_i += v.max(0.0);
            for_j += (-v).max(0.0);
        }
        (for_i, for_j)
    }

    /// Step 6: the target i expects to gain most from challenging, if any gain exceeds 1e-5 (lowest index on ties).
    pub fn best_target(&self, i: usize) -> Option<(usize, ChallengeEstimate)> {
        let mut best: Option<(usize, ChallengeEstimate)> = None;
        for j in 0..self.smp.n {
            if j == i {
                continue;
            }
            let est = self.challenge(i, i, j);
            if est.gain_initiator > MIN_CHALLENGE_GAIN
                && best.as_ref().is_none_or(|(_, b)| est.gain_initiator > b.gain_initiator)
            {
                best = Some((j, est));
            }
        }
        best
    }

    /// Step 7: interpolate the bargain between i and j given the probability `p` that i prevails.
    /// Returns (i's new position, j's new position), each rounded to 4 decimals on the 0–1 scale.
    pub fn interpolate(&self, i: usize, j: usize, p: f64) -> (Vec<f64>, Vec<f64>) {
        let d = self.smp.d;
        let (mut bi, mut bj) = (vec![0.0; d], vec![0.0; d]);
        self.interpolate_into(i, j, p, &mut bi, &mut bj);
        (bi, bj)
    }

    /// [`Turn::interpolate`] into `bi` and `bj` (each of length d).
    fn interpolate_into(&self, i: usize, j: usize, p: f64, bi: &mut [f64], bj: &mut [f64]) {
        let smp = self.smp;
        let d = smp.d;
        let (xi, xj) = (self.pos(i), self.pos(j));
        for k in 0..d {
            let (si, sj) = (smp.sal[i * d + k], smp.sal[j * d + k]);
            let (wi, wj) = match smp.opts.inter_vec_brgn {
                InterVecBrgn::S2P2 => (si * si * p * p, sj * sj * (1.0 - p) * (1.0 - p)),
                InterVecBrgn::S1P1 => (si * p, sj * (1.0 - p)),
            };
            let denom = wi + BARGAIN_TOL + wj;
            bi[k] = round4(((wi + BARGAIN_TOL) * xi[k] + wj * xj[k]) / denom);
            bj[k] = round4((wi * xi[k] + (wj + BARGAIN_TOL) * xj[k]) / denom);
        }
    }

    /// Steps 6–7 for every actor: the bargains proposed this turn, in initiator order.
    ///
    /// Each actor's search is independent of the others', so they run in parallel (on the current rayon pool);
    /// the results are collected in actor order, identical to a sequential run.
    pub fn bargains(&self) -> Vec<Bargain> {
        let propose = |i: usize| {
            let (j, est) = self.best_target(i)?;
            let (bi, bj) = self.interpolate(i, j, est.prob);
            Some(Bargain {
                initiator: i,
                receiver: j,
                initiator_position: bi,
                receiver_position: bj,
            })
        };
        if self.smp.n >= PARALLEL_MIN_ACTORS {
            (0..self.smp.n).into_par_iter().filter_map(propose).collect()
        } else {
            (0..self.smp.n).filter_map(propose).collect()
        }
    }

    /// The "probability" KTAB's log uses for the target's counter-proposal: the target's estimate of the
    /// initiator's gain, as KTAB passes it. S2P2 squares it, so any value gives valid weights, as in KTAB; the S1P1
    /// weights would turn negative outside 0–1, so there it is clamped (this log is not validated for S1P1 anyway).
    fn quirk_probability(&self, gain: f64) -> f64 {
        match self.smp.opts.inter_vec_brgn {
            InterVecBrgn::S2P2 => gain,
            InterVecBrgn::S1P1 => gain.clamp(0.0, 1.0),
        }
    }

    /// The intermediates KTAB logs for this turn.
    pub fn log(&self) -> TurnLog {
        let n = self.smp.n;
        let neutral_utilities = self.dist.iter().map(|x| 1.0 - x).collect();
        let mut objective_utilities = vec![0.0; n * n];
        for a in 0..n {
            for b in 0..n {
                objective_utilities[a * n + b] = bs_util(self.dist[a * n + b], self.risk[a]);
            }
        }
        let challenges = (0..n)
            .filter_map(|i| {
                let (j, by_initiator) = self.best_target(i)?;
                let by_target = self.challenge(j, i, j);
                Some(ChallengeLog {
                    initiator: i,
                    target: j,
                    gain: by_initiator.gain_initiator,
                    by_initiator,
                    by_target,
                    initiator_proposal: self.interpolate(i, j, by_initiator.prob),
                    target_proposal: self.interpolate(i, j, self.quirk_probability(by_target.gain_initiator)),
                })
            })
            .collect();
        TurnLog {
            neutral_utilities,
            risk: self.risk.clone(),
            objective_utilities,
            challenges,
        }
    }

    /// Step 8 utilities: `(1/n)` times the sum, over every actor's position after the bargain, of a's utility for it.
    /// `row_sums[a] = Σ_m U^a_am` supplies the actors who stay put. Returns one value per voter a.
    fn bargain_utilities(&self, b: &Bargain, row_sums: &[f64]) -> Vec<f64> {
        (0..self.smp.n)
            .map(|a| {
                self.bargain_utility(
                    a,
                    (b.initiator, &b.initiator_position),
                    (b.receiver, &b.receiver_position),
                    row_sums,
                )
            })
            .collect()
    }

    /// Voter a's step-8 utility for the bargain between `initiator` and `receiver` (each with its new position).
    #[inline]
    fn bargain_utility(
        &self,
        a: usize,
        (initiator, initiator_position): (usize, &[f64]),
        (receiver, receiver_position): (usize, &[f64]),
        row_sums: &[f64],
    ) -> f64 {
        let smp = self.smp;
        let n = smp.n;
        let ideal = self.pos(a);
        let r = self.risk[a];
        let moved_i = bs_util(smp.distance(a, ideal, initiator_position), r);
        let moved_j = bs_util(smp.distance(a, ideal, receiver_position), r);
        let rest = row_sums[a] - self.util(a, a, initiator) - self.util(a, a, receiver);
        (moved_i + moved_j + rest) / n as f64
    }

    /// Step 8: the PCE distribution over each actor's queue of bargains. Returns, per actor, its queue
    /// (`None` = status quo, `Some(m)` = bargain m of `bargains`) and the probability of each entry.
    pub fn bargain_choices(&self, bargains: &[Bargain]) -> Vec<(Vec<Option<usize>>, Vec<f64>)> {
        let smp = self.smp;
        let n = smp.n;
        // Σ_m U^a_am: the status quo (everyone stays), and the part of each bargain where all but two stay.
        let row_sums: Vec<f64> = (0..n).map(|a| (0..n).map(|m| self.util(a, a, m)).sum()).collect();
        let status_quo: Vec<f64> = row_sums.iter().map(|s| s / n as f64).collect();
        let utilities: Vec<Vec<f64>> = bargains.iter().map(|b| self.bargain_utilities(b, &row_sums)).collect();
        (0..n)
            .map(|k| {
                // The status quo comes first, then every bargain k initiates or receives, in initiator order.
                let mut queue = vec![None];
                queue.extend(
                    bargains
                        .iter()
                        .enumerate()
                        .filter(|(_, b)| b.initiator == k || b.receiver == k)
                        .map(|(m, _)| Some(m)),
                );
                if queue.len() == 1 {
                    return (queue, vec![1.0]);
                }
                let q = queue.len();
                let mut util = vec![0.0; n * q];
                for a in 0..n {
                    for (o, entry) in queue.iter().enumerate() {
                        util[a * q + o] = match entry {
                            None => status_quo[a],
                            Some(m) => utilities[*m][a],
                        };
                    }
                }
                let probs = pce(
                    &smp.opts,
                    &Ballot {
                        options: q,
                        util: &util,
                        weights: &smp.cap,
                    },
                );
                (queue, probs)
            })
            .collect()
    }

    /// Steps 6–8: the next state. `choose` picks an entry given the PCE probabilities of an actor's queue
    /// (the most probable in deterministic mode, a draw in stochastic mode). All actors move simultaneously.
    pub fn next_positions(&self, mut choose: impl FnMut(&[f64]) -> usize) -> Vec<f64> {
        let d = self.smp.d;
        let bargains = self.bargains();
        let choices = self.bargain_choices(&bargains);
        let mut next = self.positions.clone();
        for (k, (queue, probs)) in choices.iter().enumerate() {
            let pick = if probs.len() == 1 { 0 } else { choose(probs) };
            if let Some(m) = queue[pick] {
                let b = &bargains[m];
                let new = if b.initiator == k {
                    &b.initiator_position
                } else {
                    &b.receiver_position
                };
                next[k * d..(k + 1) * d].copy_from_slice(new);
            }
        }
        next
    }

    /// [`Turn::next_positions`] into `next`, in this turn's buffers: the same bargains, the same elections in the
    /// same arithmetic, and `choose` called for the same actors in the same order (actor order, skipping actors
    /// with no bargain), so a stochastic run draws the same numbers and ends in the same place. The bargain search
    /// runs on the calling thread (the simulation runs many trials in parallel instead).
    pub(crate) fn next_positions_into(&mut self, mut choose: impl FnMut(&[f64]) -> usize, next: &mut Vec<f64>) {
        let smp = self.smp;
        let (n, d) = (smp.n, smp.d);
        let mut w = std::mem::take(&mut self.spare);
        // Steps 6–7: each actor's best challenge and the bargain it proposes, in initiator order.
        w.initiators.clear();
        w.receivers.clear();
        w.initiator_positions.clear();
        w.receiver_positions.clear();
        for i in 0..n {
            if let Some((j, est)) = self.best_target(i) {
                w.initiators.push(i);
                w.receivers.push(j);
                let at = w.initiator_positions.len();
                w.initiator_positions.resize(at + d, 0.0);
                w.receiver_positions.resize(at + d, 0.0);
                self.interpolate_into(
                    i,
                    j,
                    est.prob,
                    &mut w.initiator_positions[at..at + d],
                    &mut w.receiver_positions[at..at + d],
                );
            }
        }
        let nb = w.initiators.len();
        // Step 8 (as in `bargain_choices`).
        w.row_sums.clear();
        w.row_sums
            .extend((0..n).map(|a| (0..n).map(|m| self.util(a, a, m)).sum::<f64>()));
        w.status_quo.clear();
        w.status_quo.extend(w.row_sums.iter().map(|s| s / n as f64));
        w.utilities.clear();
        for b in 0..nb {
            for a in 0..n {
                let u = self.bargain_utility(
                    a,
                    (w.initiators[b], &w.initiator_positions[b * d..(b + 1) * d]),
                    (w.receivers[b], &w.receiver_positions[b * d..(b + 1) * d]),
                    &w.row_sums,
                );
                w.utilities.push(u);
            }
        }
        next.clear();
        next.extend_from_slice(&self.positions);
        for k in 0..n {
            // The status quo comes first, then every bargain k initiates or receives, in initiator order.
            w.queue.clear();
            w.queue.push(None);
            for m in 0..nb {
                if w.initiators[m] == k || w.receivers[m] == k {
                    w.queue.push(Some(m));
                }
            }
            let q = w.queue.len();
            if q == 1 {
                continue;
            }
            w.util.clear();
            w.util.resize(n * q, 0.0);
            for a in 0..n {
                for (o, entry) in w.queue.iter().enumerate() {
                    w.util[a * q + o] = match entry {
                        None => w.status_quo[a],
                        Some(m) => w.utilities[m * n + a],
                    };
                }
            }
            pce_into(
                &smp.opts,
                &Ballot {
                    options: q,
                    util: &w.util,
                    weights: &smp.cap,
                },
                &mut w.pce,
                &mut w.probs,
            );
            let pick = if w.probs.len() == 1 { 0 } else { choose(&w.probs) };
            if let Some(m) = w.queue[pick] {
                let new = if w.initiators[m] == k {
                    &w.initiator_positions[m * d..(m + 1) * d]
                } else {
                    &w.receiver_positions[m * d..(m + 1) * d]
                };
                next[k * d..(k + 1) * d].copy_from_slice(new);
            }
        }
        self.spare = w;
    }

    /// Step 9: the PCE over the distinct positions of this state, every actor voting with its own utilities.
    pub fn state_probabilities(&self) -> StateProbabilities {
        let n = self.smp.n;
        let mut reps: Vec<usize> = Vec::new();
        let mut option_of_actor = Vec::with_capacity(n);
        for i in 0..n {
            let found = reps.iter().position(|&r| {
                let diff: f64 = self.pos(i).iter().zip(self.pos(r)).map(|(a, b)| (a - b).powi(2)).sum();
                diff.sqrt() < SAME_POSITION
            });
            option_of_actor.push(found.unwrap_or_else(|| {
                reps.push(i);
                reps.len() - 1
            }));
        }
        let m = reps.len();
        let mut util = vec![0.0; n * m];
        for a in 0..n {
            for (o, &r) in reps.iter().enumerate() {
                util[a * m + o] = self.util(a, a, r);
            }
        }
        let option_probs = pce(
            &self.smp.opts,
            &Ballot {
                options: m,
                util: &util,
                weights: &self.smp.cap,
            },
        );
        StateProbabilities {
            option_of_actor,
            option_probs,
        }
    }
}

/// Step 3: risk attitudes from the risk-neutral election. The most probable position gets the most risk-averse
/// attitude (+1): an actor whose position is likely to win has more to lose from gambling.
/// If every position is equally probable there is nothing to infer and everyone is risk-neutral.
pub fn risk_attitudes(range: BigRRange, p: &[f64]) -> Vec<f64> {
    let mut r = Vec::new();
    risk_attitudes_into(range, p, &mut r);
    r
}

/// [`risk_attitudes`] into a caller's buffer.
pub fn risk_attitudes_into(range: BigRRange, p: &[f64], out: &mut Vec<f64>) {
    out.clear();
    let p_max = p.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let p_min = p.iter().cloned().fold(f64::INFINITY, f64::min);
    let spread = p_max - p_min;
    if spread.is_nan() || spread <= 1e-14 * p_max.abs().max(1e-300) {
        out.resize(p.len(), 0.0);
        return;
    }
    // Clamped to the range because rounding can overshoot its ends by an ulp (KTAB asserts -1 ≤ R ≤ 1).
    out.extend(p.iter().map(|&pi| match range {
        BigRRange::Min => ((pi - p_min) / spread).clamp(0.0, 1.0),
        BigRRange::Mid => ((3.0 * pi - (p_max + 2.0 * p_min)) / (2.0 * spread)).clamp(-0.5, 1.0),
        BigRRange::Max => ((2.0 * pi - p_max - p_min) / spread).clamp(-1.0, 1.0),
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utility_shape() {
        assert_eq!(bs_util(0.0, 0.7), 1.0);
        assert_eq!(bs_util(1.0, -0.5), 0.0);
        assert_eq!(bs_util(0.5, 0.0), 0.5);
        assert!(bs_util(0.5, 1.0) > 0.5 && bs_util(0.5, -0.5) < 0.5);
    }

    #[test]
    fn rounding_matches_ktab() {
        assert_eq!(round4(0.75614), 0.7561);
        assert_eq!(round4(0.75615), 0.7562);
        assert_eq!(round4(0.0), 0.0);
    }

    #[test]
    fn risk_ranges() {
        let p = [0.1, 0.2, 0.7];
        let mid = risk_attitudes(BigRRange::Mid, &p);
        assert!((mid[0] + 0.5).abs() < 1e-12 && (mid[2] - 1.0).abs() < 1e-12);
        let max = risk_attitudes(BigRRange::Max, &p);
        assert!((max[0] + 1.0).abs() < 1e-12 && (max[2] - 1.0).abs() < 1e-12);
        let min = risk_attitudes(BigRRange::Min, &p);
        assert!(min[0].abs() < 1e-12 && (min[2] - 1.0).abs() < 1e-12);
        assert_eq!(risk_attitudes(BigRRange::Mid, &[0.25; 4]), vec![0.0; 4]);
    }
}
