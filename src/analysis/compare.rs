//! A paired comparison of policies against a baseline: differences,
//! robustness and mechanisms from one run of the paired evaluator.
//!
//! The run has two phases so that memory stays bounded at any trial count:
//! the first `min(trials, KEEP)` trials keep every policy's outcome values
//! (for distribution charts and for the scales of overall regret), the rest
//! stream into fixed-size accumulators only. Overall regret needs the scales
//! before it can be computed, so it is computed for the kept trials once
//! phase 1 is over and streamed in phase 2. Both phases merge in trial order,
//! so the result is the same at any thread count.

use super::drivers::{DriverAcc, OutcomeDrivers};
use super::explain::{Layout, MechanismAcc, Mechanisms};
use super::paired::{PairedAcc, PairedSummary, apply_holm, orientation};
use super::robustness::{RobustAcc, RobustnessSummary, Threshold, scales_from};
use crate::experiment::paired::{Paired, TrialSink, run_paired};
use crate::model::drivers::LedgerShape;
use crate::model::{Model, TurnRecord};
use anyhow::Result;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Trials whose per-policy values are kept (charts, regret scales): 10,000 ×
/// policies × outcomes f64s — 12.5 MB for six policies and 26 outcomes.
pub const KEEP: u64 = 10_000;

/// What to compare.
#[derive(Debug, Clone)]
pub struct CompareDesign {
    /// Policy indices in slot order; slot 0 is the baseline.
    pub slots: Vec<usize>,
    /// Slots reported as rows (normally every slot but 0; slot 0 too when the
    /// user asked to compare the baseline with itself).
    pub rows: Vec<usize>,
    pub trials: u64,
    pub seed: u64,
    pub threads: usize,
    pub thresholds: Vec<Threshold>,
    /// Weight of each outcome in overall regret; empty means equal weights.
    pub weights: Vec<f64>,
    /// Tally actions and events per year (for `explain` and the report).
    pub mechanisms: bool,
    /// Split each state outcome's difference into the channels of the state
    /// update (see [`super::drivers`]); slower, same outcomes.
    pub drivers: bool,
    pub progress: bool,
    /// Stream each trial's state at the decision date here (`decision_state.csv`), if given.
    pub decision: Option<crate::present::DecisionWriter>,
}

/// One policy × outcome row of the comparison.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub policy: String,
    pub outcome: String,
    #[serde(skip)]
    pub slot: usize,
    #[serde(skip)]
    pub outcome_index: usize,
    #[serde(flatten)]
    pub s: PairedSummary,
}

/// Everything a comparison produced.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub design: CompareDesign,
    pub policy_ids: Vec<String>,
    pub rows: Vec<Row>,
    pub robustness: RobustnessSummary,
    /// Per reported slot (same order as `design.rows`), if tallied.
    pub mechanisms: Vec<(usize, Mechanisms)>,
    /// Per reported slot (same order as `design.rows`): each state outcome's
    /// difference split into channels, if asked for.
    pub drivers: Vec<(usize, Vec<OutcomeDrivers>)>,
    /// `kept[slot][outcome]`: values of the first `min(trials, KEEP)` trials.
    pub kept: Vec<Vec<Vec<f64>>>,
    /// Pooled standard deviation of each outcome (None: Info or no spread),
    /// the common scale of overall regret and of the scorecard's colours.
    pub scales: Vec<Option<f64>>,
    pub elapsed: Duration,
    /// Each policy's rank distribution per world and over all trials (`rank_stability.csv`).
    pub ranks: Vec<super::ranks::RankRow>,
    /// The ranking per calibrated-ensemble member, against shuffled groups (`None` without an ensemble).
    pub member_ranks: Option<super::member_ranks::MemberRanks>,
}

struct Sink<'m> {
    model: &'m Model,
    ranks: super::ranks::RankAcc,
    np: usize,
    no: usize,
    paired: Vec<PairedAcc>,
    robust: RobustAcc,
    mech: Option<MechanismAcc>,
    drivers: Option<DriverAcc>,
    /// Overall-regret scales, once known (phase 2).
    scales: Option<Arc<Vec<Option<f64>>>>,
    keep: bool,
    kept: Vec<f64>,
}

impl<'m> Sink<'m> {
    fn new(
        model: &'m Model,
        d: &CompareDesign,
        layout: &Arc<Layout>,
        shape: &Option<Arc<LedgerShape>>,
        scales: Option<Arc<Vec<Option<f64>>>>,
    ) -> Self {
        let np = d.slots.len();
        let no = model.outcomes.len();
        Sink {
            model,
            ranks: super::ranks::RankAcc::new(model, np, d.seed),
            np,
            no,
            paired: vec![PairedAcc::default(); np * no],
            robust: RobustAcc::new(model, np, &d.thresholds, &d.weights),
            mech: d.mechanisms.then(|| MechanismAcc::new(layout.clone(), np, 0)),
            drivers: shape.as_ref().map(|s| DriverAcc::new(model, s.clone(), np)),
            keep: scales.is_none(),
            scales,
            kept: Vec::new(),
        }
    }
}

impl TrialSink for Sink<'_> {
    fn turn(&mut self, slot: usize, rec: &TurnRecord) {
        if let Some(m) = self.mech.as_mut() {
            m.turn(slot, rec);
        }
    }

    fn drivers(&mut self, contributions: &[f64]) {
        if let Some(d) = self.drivers.as_mut() {
            d.contributions(contributions);
        }
    }

    fn trial(&mut self, trial: u64, values: &[f64]) {
        let no = self.no;
        for p in 0..self.np {
            for o in 0..no {
                self.paired[p * no + o].push(values[o], values[p * no + o]);
            }
        }
        self.robust.push_outcomes(values);
        if let Some(s) = &self.scales
            && let Some(scores) = self.robust.push_overall(values, s)
        {
            self.ranks.push(self.model, trial, scores);
        }
        if let Some(m) = self.mech.as_mut() {
            m.end_trial();
        }
        if let Some(d) = self.drivers.as_mut() {
            d.end_trial(values);
        }
        if self.keep {
            self.kept.extend_from_slice(values);
        }
    }

    fn merge(&mut self, later: Self) {
        for (a, b) in self.paired.iter_mut().zip(&later.paired) {
            a.merge(b);
        }
        self.robust.merge(&later.robust);
        self.ranks.merge(&later.ranks);
        if let (Some(a), Some(b)) = (self.mech.as_mut(), later.mech.as_ref()) {
            a.merge(b);
        }
        if let (Some(a), Some(b)) = (self.drivers.as_mut(), later.drivers.as_ref()) {
            a.merge(b);
        }
        self.kept.extend_from_slice(&later.kept);
    }
}

/// The terminal's progress bar, if the design asks for one.
fn terminal_bar(d: &CompareDesign) -> Option<indicatif::ProgressBar> {
    d.progress.then(|| {
        let b = indicatif::ProgressBar::new(d.trials);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} trials  {per_sec}  eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    })
}

/// Run the comparison.
pub fn compare(model: &Model, d: &CompareDesign) -> Result<Comparison> {
    compare_watched(model, d, None)
}

/// Run the comparison, counting the trials done on `watch` (a server's progress indicator reads its
/// position) instead of the terminal's bar when given.
pub fn compare_watched(model: &Model, d: &CompareDesign, watch: Option<&indicatif::ProgressBar>) -> Result<Comparison> {
    let started = Instant::now();
    let layout = Arc::new(Layout::new(model));
    let shape = d.drivers.then(|| Arc::new(LedgerShape::new(model)));
    let bar = watch.cloned().or_else(|| terminal_bar(d));
    let p = Paired {
        model,
        seed: d.seed,
        policies: &d.slots,
        threads: d.threads,
        progress: bar.as_ref(),
        drivers: d.drivers,
        decision: d.decision.as_ref(),
    };
    let (np, no) = (d.slots.len(), model.outcomes.len());
    let kept_n = d.trials.min(KEEP);
    // Phase 1: the kept trials.
    let mut acc = run_paired(&p, 0..kept_n, Sink::new(model, d, &layout, &shape, None), || {
        Sink::new(model, d, &layout, &shape, None)
    })?;
    let scales = Arc::new(scales_from(model, &acc.kept));
    for (trial, row) in acc.kept.chunks_exact(np * no).enumerate() {
        if let Some(scores) = acc.robust.push_overall(row, &scales) {
            acc.ranks.push(model, trial as u64, scores);
        }
    }
    // Phase 2: the rest, streamed.
    let s2 = Some(scales.clone());
    let later = run_paired(
        &p,
        kept_n..d.trials,
        Sink::new(model, d, &layout, &shape, s2.clone()),
        || Sink::new(model, d, &layout, &shape, s2.clone()),
    )?;
    acc.merge(later);
    if let Some(b) = bar.filter(|_| watch.is_none()) {
        b.finish_and_clear();
    }

    let policy_ids: Vec<String> = d.slots.iter().map(|&i| model.policies[i].id.clone()).collect();
    let mut rows: Vec<Row> = Vec::new();
    for &slot in &d.rows {
        for (o, def) in model.outcomes.iter().enumerate() {
            rows.push(Row {
                policy: policy_ids[slot].clone(),
                outcome: def.id.clone(),
                slot,
                outcome_index: o,
                s: acc.paired[slot * no + o].summary(def.kind),
            });
        }
    }
    // One family for Holm: every reported policy × non-information outcome.
    {
        let mut family: Vec<&mut PairedSummary> = rows
            .iter_mut()
            .filter(|r| orientation(model.outcomes[r.outcome_index].kind).is_some())
            .map(|r| &mut r.s)
            .collect();
        apply_holm(&mut family);
    }
    let robustness = acc.robust.summary(model, &policy_ids, &scales);
    let mechanisms = match &acc.mech {
        Some(m) => d.rows.iter().map(|&s| (s, m.summary(model, s))).collect(),
        None => Vec::new(),
    };
    let drivers = match &acc.drivers {
        Some(a) => d.rows.iter().map(|&s| (s, a.summary(model, s))).collect(),
        None => Vec::new(),
    };
    let mut kept = vec![vec![Vec::with_capacity(kept_n as usize); no]; np];
    for row in acc.kept.chunks_exact(np * no) {
        for (p, per_policy) in kept.iter_mut().enumerate() {
            for (o, v) in per_policy.iter_mut().enumerate() {
                v.push(row[p * no + o]);
            }
        }
    }
    let ranks = acc.ranks.rows(model, &policy_ids);
    let member_ranks = acc.ranks.member_ranks(&policy_ids);
    Ok(Comparison {
        design: d.clone(),
        policy_ids,
        rows,
        robustness,
        mechanisms,
        drivers,
        kept,
        scales: scales.to_vec(),
        elapsed: started.elapsed(),
        ranks,
        member_ranks,
    })
}
