//! Does the ranking hang on what the record cannot pin down? With a calibrated ensemble attached, every trial
//! runs one member (a coefficient vector and a view of each contested mechanism that the 2021–2023 record did
//! not rule out). This ranks the policies *per member*, on the mean of the per-trial overall score over the
//! trials that drew the member, and tallies across members how often each policy ranks 1, 2, …
//!
//! A member draws about trials / members trials, so its mean score carries Monte Carlo noise, and noise alone
//! spreads the ranks over members. To tell that apart from a real dependence on the member, the same tally is
//! made over *shuffled groups*: trial *k* goes to group *k* mod *n* (n = the number of members), so each group
//! has as many trials as a member but mixes every member. If the members' rank shares are no more spread than
//! the shuffled groups', the ranking does not depend on which member is true (at this trial count); if a policy
//! ranks first under many more members than groups, or the top rank changes hands between members where it does
//! not between groups, it does. Members are equally likely (each trial draws one uniformly), so a share of
//! members is a share of the ensemble's probability.

use crate::model::Model;

/// Fewest trials a member (or group) needs to be ranked; with fewer its mean is too noisy to count.
pub const MIN_TRIALS: u64 = 2;

#[derive(Debug, Clone)]
pub struct MemberRankAcc {
    np: usize,
    members: usize,
    /// `sums[(m * np) + p]`: sum of policy p's scores over the trials that drew member m.
    sums: Vec<f64>,
    counts: Vec<u64>,
    /// The same over shuffled groups (trial mod members).
    group_sums: Vec<f64>,
    group_counts: Vec<u64>,
}

/// One policy's rank shares across members and across shuffled groups.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MemberRankRow {
    pub policy: String,
    /// `members` or `shuffled`.
    pub over: String,
    pub rank: usize,
    pub share: f64,
}

/// The tally's result: per-rank shares plus what a reader needs to judge them.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct MemberRanks {
    pub members: usize,
    /// Members with at least [`MIN_TRIALS`] trials (ranked).
    pub ranked_members: usize,
    pub ranked_groups: usize,
    pub mean_trials_per_member: f64,
    pub rows: Vec<MemberRankRow>,
}

impl MemberRankAcc {
    /// `None` without an ensemble: there is nothing to tally.
    pub fn new(model: &Model, np: usize) -> Option<Self> {
        let members = model.ensemble.as_ref().map_or(0, |m| m.len());
        (members > 1).then(|| MemberRankAcc {
            np,
            members,
            sums: vec![0.0; members * np],
            counts: vec![0; members],
            group_sums: vec![0.0; members * np],
            group_counts: vec![0; members],
        })
    }

    /// Add one trial's scores (one per slot, higher is better); `m` is the member the trial drew.
    pub fn push(&mut self, m: usize, trial: u64, scores: &[f64]) {
        let np = self.np;
        let g = (trial % self.members as u64) as usize;
        for (p, &x) in scores.iter().enumerate().take(np) {
            self.sums[m * np + p] += x;
            self.group_sums[g * np + p] += x;
        }
        self.counts[m] += 1;
        self.group_counts[g] += 1;
    }

    /// Fold a later chunk's tally in (chunks merge in trial order, so the sums are the same at any thread count).
    pub fn merge(&mut self, later: &MemberRankAcc) {
        for (a, b) in self.sums.iter_mut().zip(&later.sums) {
            *a += b;
        }
        for (a, b) in self.group_sums.iter_mut().zip(&later.group_sums) {
            *a += b;
        }
        for (a, b) in self.counts.iter_mut().zip(&later.counts) {
            *a += b;
        }
        for (a, b) in self.group_counts.iter_mut().zip(&later.group_counts) {
            *a += b;
        }
    }

    /// Rank shares over members and over shuffled groups; every rank of every policy appears, shares summing
    /// to 1 per policy and `over` (when anything was ranked).
    pub fn result(&self, policy_ids: &[String]) -> MemberRanks {
        let np = self.np;
        let tally = |sums: &[f64], counts: &[u64]| -> (usize, Vec<u64>) {
            let mut ranks = vec![0u64; np * np];
            let mut ranked = 0;
            for (m, &n) in counts.iter().enumerate() {
                if n < MIN_TRIALS {
                    continue;
                }
                ranked += 1;
                let means: Vec<f64> = (0..np).map(|p| sums[m * np + p] / n as f64).collect();
                for p in 0..np {
                    // Competition ranks, as the per-trial tally: ties share the better rank.
                    let r = means.iter().filter(|&&x| x > means[p]).count();
                    ranks[p * np + r] += 1;
                }
            }
            (ranked, ranks)
        };
        let (ranked_members, by_member) = tally(&self.sums, &self.counts);
        let (ranked_groups, by_group) = tally(&self.group_sums, &self.group_counts);
        let trials: u64 = self.counts.iter().sum();
        let mut rows = Vec::new();
        for (over, ranked, ranks) in [
            ("members", ranked_members, &by_member),
            ("shuffled", ranked_groups, &by_group),
        ] {
            if ranked == 0 {
                continue;
            }
            for (p, pid) in policy_ids.iter().enumerate().take(np) {
                for r in 0..np {
                    rows.push(MemberRankRow {
                        policy: pid.clone(),
                        over: over.into(),
                        rank: r + 1,
                        share: ranks[p * np + r] as f64 / ranked as f64,
                    });
                }
            }
        }
        MemberRanks {
            members: self.members,
            ranked_members,
            ranked_groups,
            mean_trials_per_member: trials as f64 / self.members as f64,
            rows,
        }
    }
}

impl MemberRanks {
    /// Share of `over` (`members` or `shuffled`) under which `policy` ranks `rank`.
    pub fn share(&self, policy: &str, over: &str, rank: usize) -> f64 {
        self.rows
            .iter()
            .find(|r| r.policy == policy && r.over == over && r.rank == rank)
            .map_or(0.0, |r| r.share)
    }

    /// Mean rank of `policy` over `over`.
    pub fn mean_rank(&self, policy: &str, over: &str) -> f64 {
        self.rows
            .iter()
            .filter(|r| r.policy == policy && r.over == over)
            .map(|r| r.rank as f64 * r.share)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc(members: usize, np: usize) -> MemberRankAcc {
        MemberRankAcc {
            np,
            members,
            sums: vec![0.0; members * np],
            counts: vec![0; members],
            group_sums: vec![0.0; members * np],
            group_counts: vec![0; members],
        }
    }

    #[test]
    fn ranks_each_member_on_its_mean_score_and_shares_sum_to_one() {
        // Two members, two policies: member 0 favours policy 0, member 1 policy 1.
        let mut a = acc(2, 2);
        a.sums = vec![3.0, 1.0, 0.0, 4.0];
        a.counts = vec![2, 2];
        a.group_sums = vec![2.0, 2.5, 1.0, 2.5];
        a.group_counts = vec![2, 2];
        let r = a.result(&["a".into(), "b".into()]);
        assert_eq!(r.ranked_members, 2);
        assert_eq!(r.share("a", "members", 1), 0.5);
        assert_eq!(r.share("b", "members", 1), 0.5);
        // In both shuffled groups b leads.
        assert_eq!(r.share("b", "shuffled", 1), 1.0);
        assert_eq!(r.mean_rank("a", "shuffled"), 2.0);
        for p in ["a", "b"] {
            for over in ["members", "shuffled"] {
                let total: f64 = (1..=2).map(|k| r.share(p, over, k)).sum();
                assert!((total - 1.0).abs() < 1e-12);
            }
        }
        assert_eq!(r.mean_trials_per_member, 2.0);
    }

    #[test]
    fn members_with_too_few_trials_are_not_ranked_and_ties_share_the_better_rank() {
        let mut a = acc(3, 2);
        a.sums = vec![1.0, 1.0, 5.0, 0.0, 9.0, 9.0];
        a.counts = vec![2, 1, 0];
        a.group_counts = vec![0, 0, 0];
        let r = a.result(&["a".into(), "b".into()]);
        assert_eq!(r.ranked_members, 1);
        assert_eq!(r.ranked_groups, 0);
        assert_eq!(r.share("a", "members", 1), 1.0);
        assert_eq!(r.share("b", "members", 1), 1.0);
        assert!(r.rows.iter().all(|x| x.over == "members"));
    }

    #[test]
    fn merging_chunks_gives_the_tally_of_the_whole() {
        let mut whole = acc(2, 2);
        let (mut first, mut second) = (acc(2, 2), acc(2, 2));
        let scores = [[1.0, 2.0], [0.5, 0.1], [3.0, 1.0], [0.2, 0.3]];
        // The same folding as `push`, with members fixed by hand.
        let member = [0usize, 1, 1, 0];
        for (t, s) in scores.iter().enumerate() {
            for a in [&mut whole, if t < 2 { &mut first } else { &mut second }] {
                let g = t % 2;
                for (p, &x) in s.iter().enumerate() {
                    a.sums[member[t] * 2 + p] += x;
                    a.group_sums[g * 2 + p] += x;
                }
                a.counts[member[t]] += 1;
                a.group_counts[g] += 1;
            }
        }
        first.merge(&second);
        assert_eq!(first.sums, whole.sums);
        assert_eq!(first.counts, whole.counts);
        assert_eq!(first.group_sums, whole.group_sums);
        assert_eq!(first.group_counts, whole.group_counts);
    }
}
