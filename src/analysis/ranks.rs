//! How robust is the ranking? Each policy's rank in every trial, tallied per world (each combination of
//! the scenario's contested views) and over all trials (`all`: the mixture the views' weights draw).
//!
//! The per-trial score ranked is the one `compare`'s headline ranking uses: the overall score behind
//! overall regret (each non-information outcome oriented so that higher is better, divided by its pooled
//! standard deviation, weighted by `--weights`, averaged; regret is the trial's best score minus the
//! policy's). Ranking by mean regret ranks the averages; this tallies the rank each trial gives, so a
//! reader sees how often each policy wins, and whether that changes when a contested mechanism goes the
//! other way. A trial is one draw of every uncertain coefficient and of the luck, so the shares are
//! across those draws. Ranks are competition ranks: 1 + the number of policies with a strictly higher
//! score, so tied policies share the better rank and every policy has exactly one rank per trial.

use crate::model::Model;
use crate::model::worlds;

/// The label of the pooled world.
pub const ALL: &str = "all";

#[derive(Debug, Clone)]
pub struct RankAcc {
    np: usize,
    /// View indices of each world, in [`worlds::combinations`] order.
    combos: Vec<Vec<u8>>,
    /// `counts[(world * np + policy) * np + (rank - 1)]`; the last world is `all`.
    counts: Vec<u64>,
    seed: u64,
    scratch: Vec<u8>,
    /// Ranks per calibrated-ensemble member (none without an ensemble).
    members: Option<super::member_ranks::MemberRankAcc>,
}

/// Rank shares of one policy in one world.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RankRow {
    pub policy: String,
    pub world: String,
    pub rank: usize,
    pub share: f64,
    #[serde(skip)]
    pub trials: u64,
}

impl RankAcc {
    pub fn new(model: &Model, np: usize, seed: u64) -> Self {
        let combos = worlds::combinations(&model.worlds);
        let nw = combos.len() + 1;
        RankAcc {
            np,
            combos,
            counts: vec![0; nw * np * np],
            seed,
            scratch: Vec::new(),
            members: super::member_ranks::MemberRankAcc::new(model, np),
        }
    }

    /// Tally one trial's scores (one per slot, higher is better).
    pub fn push(&mut self, model: &Model, trial: u64, scores: &[f64]) {
        let np = self.np;
        // The trial's views: its ensemble member's (fixed) when an ensemble is attached, else its own draw.
        let member = model.member_index(self.seed, trial);
        let views_of = member
            .and_then(|i| model.ensemble.as_ref().map(|ms| &ms[i]))
            .unwrap_or(model);
        self.scratch = worlds::draw(&views_of.worlds, self.seed, trial);
        let w = self.combos.iter().position(|c| *c == self.scratch).unwrap_or(0);
        let all = self.combos.len();
        for p in 0..np {
            let rank = scores.iter().filter(|&&s| s > scores[p]).count();
            self.counts[(w * np + p) * np + rank] += 1;
            self.counts[(all * np + p) * np + rank] += 1;
        }
        if let Some(m) = self.members.as_mut() {
            m.push(member.unwrap_or(0), trial, scores);
        }
    }

    pub fn merge(&mut self, later: &RankAcc) {
        for (a, b) in self.counts.iter_mut().zip(&later.counts) {
            *a += b;
        }
        if let (Some(a), Some(b)) = (self.members.as_mut(), later.members.as_ref()) {
            a.merge(b);
        }
    }

    /// The rank shares per ensemble member and per shuffled group ([`super::member_ranks`]); `None`
    /// without an ensemble.
    pub fn member_ranks(&self, policy_ids: &[String]) -> Option<super::member_ranks::MemberRanks> {
        self.members.as_ref().map(|m| m.result(policy_ids))
    }

    /// Every (policy, world, rank) with its share, shares summing to 1 per policy and world (a world no
    /// trial fell in has no rows). Worlds in combination order, then `all`.
    pub fn rows(&self, model: &Model, policy_ids: &[String]) -> Vec<RankRow> {
        let np = self.np;
        let mut names: Vec<String> = self.combos.iter().map(|c| world_name(model, c)).collect();
        names.push(ALL.to_string());
        let mut out = Vec::new();
        for (w, name) in names.iter().enumerate() {
            if model.worlds.is_empty() && w < self.combos.len() {
                continue; // one world only: `all`
            }
            for (p, pid) in policy_ids.iter().enumerate().take(np) {
                let base = (w * np + p) * np;
                let n: u64 = self.counts[base..base + np].iter().sum();
                if n == 0 {
                    continue;
                }
                for r in 0..np {
                    out.push(RankRow {
                        policy: pid.clone(),
                        world: name.clone(),
                        rank: r + 1,
                        share: self.counts[base + r] as f64 / n as f64,
                        trials: n,
                    });
                }
            }
        }
        out
    }
}

/// `engagement=moderates;pakistan_response=movable` (`all` when the scenario has no contested mechanism).
pub fn world_name(model: &Model, views: &[u8]) -> String {
    if model.worlds.is_empty() {
        return ALL.to_string();
    }
    worlds::label(&model.worlds, views).replace(' ', ";")
}
