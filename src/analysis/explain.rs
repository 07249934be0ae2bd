//! Why two policies differ: which actors choose differently and which events
//! happen more or less often, on the same trials.
//!
//! After the decision date, every turn of every policy is tallied per
//! calendar year: how often each actor picked each of its actions (as a share
//! of the year's turns) and how often each event occurred (per year). Per
//! trial, the policy's tally minus the baseline's is a paired difference, so
//! the same common-random-numbers argument as for outcomes applies: a
//! difference in, say, the Taliban's share of "crack down on ISIS-K" between
//! two policies is the policy's doing, not luck. The accumulators are
//! fixed-size (slots × options × years), whatever the number of trials.
//!
//! Shares are per choice slot: for an actor without lines, its actions' shares
//! sum to 1; for an actor with lines of effort, each line's actions and its
//! implicit `hold` sum to 1, so an action's share is "quarters in which the
//! actor did this on its line", unaffected by its other lines.

use super::paired::t_interval95;
use super::stats::Moments;
use crate::model::{Model, TurnRecord};
use serde::Serialize;

/// Where each (slot, option) and (event, year) lives in the flat tables.
#[derive(Debug, Clone)]
pub struct Layout {
    /// First cell of each choice slot's options.
    slot_offset: Vec<usize>,
    /// Position of each option (action index or [`crate::model::HOLD`]) in its slot's option list, by slot.
    option_pos: Vec<Vec<usize>>,
    /// (slot, option) of each cell.
    cells: Vec<(usize, u8)>,
    n_events: usize,
    /// Calendar years of the window (decision date to horizon).
    pub years: Vec<i32>,
    /// Year slot of each turn (`None` before the decision date).
    year_of_turn: Vec<Option<usize>>,
    /// Turns of the window in each year.
    turns_in_year: Vec<u32>,
    per_year: f64,
}

impl Layout {
    pub fn new(model: &Model) -> Self {
        let mut slot_offset = Vec::new();
        let mut option_pos = Vec::new();
        let mut cells = Vec::new();
        for (s, slot) in model.slots.iter().enumerate() {
            slot_offset.push(cells.len());
            let mut pos = vec![0usize; 256];
            for (j, &o) in slot.options.iter().enumerate() {
                pos[usize::from(o)] = j;
            }
            option_pos.push(pos);
            cells.extend(slot.options.iter().map(|&o| (s, o)));
        }
        let mut years: Vec<i32> = Vec::new();
        let mut year_of_turn = Vec::new();
        let mut turns_in_year: Vec<u32> = Vec::new();
        for t in 0..model.turns {
            if t < model.decision_turn {
                year_of_turn.push(None);
                continue;
            }
            let y = model.calendar.period(t).year;
            if years.last() != Some(&y) {
                years.push(y);
                turns_in_year.push(0);
            }
            let slot = years.len() - 1;
            turns_in_year[slot] += 1;
            year_of_turn.push(Some(slot));
        }
        Layout {
            slot_offset,
            option_pos,
            cells,
            n_events: model.events.len(),
            years,
            year_of_turn,
            turns_in_year,
            per_year: f64::from(model.calendar.per_year),
        }
    }

    /// Year slots plus one for the whole window.
    fn spans(&self) -> usize {
        self.years.len() + 1
    }
}

/// Mechanism tallies of one comparison: every slot against slot `base`.
#[derive(Debug, Clone)]
pub struct MechanismAcc {
    layout: std::sync::Arc<Layout>,
    np: usize,
    base: usize,
    /// Per-trial scratch: `[slot][cell][year]` and `[slot][event][year]`.
    act: Vec<u32>,
    ev: Vec<u32>,
    /// `[slot][cell][span]`: level under each slot; difference slot − base.
    act_level: Vec<Moments>,
    act_diff: Vec<Moments>,
    ev_level: Vec<Moments>,
    ev_diff: Vec<Moments>,
    share: Vec<f64>,
}

impl MechanismAcc {
    pub fn new(layout: std::sync::Arc<Layout>, np: usize, base: usize) -> Self {
        let (nc, ne, ny, ns) = (layout.cells.len(), layout.n_events, layout.years.len(), layout.spans());
        MechanismAcc {
            np,
            base,
            act: vec![0; np * nc * ny],
            ev: vec![0; np * ne * ny],
            act_level: vec![Moments::default(); np * nc * ns],
            act_diff: vec![Moments::default(); np * nc * ns],
            ev_level: vec![Moments::default(); np * ne * ns],
            ev_diff: vec![Moments::default(); np * ne * ns],
            share: vec![0.0; np * (nc + ne) * ns],
            layout,
        }
    }

    /// Tally one turn of slot `slot` (turns before the decision date are skipped:
    /// they are shared by every policy).
    pub fn turn(&mut self, slot: usize, rec: &TurnRecord) {
        let l = &*self.layout;
        let Some(Some(y)) = l.year_of_turn.get(rec.turn as usize).copied() else {
            return;
        };
        let (nc, ne, ny) = (l.cells.len(), l.n_events, l.years.len());
        for (s, &choice) in rec.choices.iter().enumerate() {
            let cell = l.slot_offset[s] + l.option_pos[s][usize::from(choice)];
            self.act[(slot * nc + cell) * ny + y] += 1;
        }
        for (e, &n) in rec.events.iter().enumerate() {
            self.ev[(slot * ne + e) * ny + y] += n;
        }
    }

    /// Close the trial: turn tallies into shares and rates, accumulate levels and
    /// paired differences, and clear the scratch.
    pub fn end_trial(&mut self) {
        let l = &*self.layout;
        let (nc, ne, ny, ns) = (l.cells.len(), l.n_events, l.years.len(), l.spans());
        let window: u32 = l.turns_in_year.iter().sum();
        let nk = nc + ne;
        // share[(slot * nk + k) * ns + span]: action share or event rate per year.
        for slot in 0..self.np {
            for k in 0..nk {
                let (counts, is_event) = if k < nc {
                    (&self.act[(slot * nc + k) * ny..(slot * nc + k + 1) * ny], false)
                } else {
                    let e = k - nc;
                    (&self.ev[(slot * ne + e) * ny..(slot * ne + e + 1) * ny], true)
                };
                let mut total = 0u32;
                for (y, (&c, &turns)) in counts.iter().zip(&l.turns_in_year).enumerate() {
                    total += c;
                    self.share[(slot * nk + k) * ns + y] = per(c, turns, is_event, l.per_year);
                }
                self.share[(slot * nk + k) * ns + ny] = per(total, window, is_event, l.per_year);
            }
        }
        for slot in 0..self.np {
            for k in 0..nk {
                for s in 0..ns {
                    let x = self.share[(slot * nk + k) * ns + s];
                    let d = x - self.share[(self.base * nk + k) * ns + s];
                    let (level, diff) = if k < nc {
                        let i = (slot * nc + k) * ns + s;
                        (&mut self.act_level[i], &mut self.act_diff[i])
                    } else {
                        let i = (slot * ne + (k - nc)) * ns + s;
                        (&mut self.ev_level[i], &mut self.ev_diff[i])
                    };
                    level.push(x);
                    diff.push(d);
                }
            }
        }
        self.act.iter_mut().for_each(|c| *c = 0);
        self.ev.iter_mut().for_each(|c| *c = 0);
    }

    pub fn merge(&mut self, o: &MechanismAcc) {
        for (a, b) in [
            (&mut self.act_level, &o.act_level),
            (&mut self.act_diff, &o.act_diff),
            (&mut self.ev_level, &o.ev_level),
            (&mut self.ev_diff, &o.ev_diff),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y);
            }
        }
    }

    /// Every difference of slot `slot` against the baseline.
    pub fn summary(&self, model: &Model, slot: usize) -> Mechanisms {
        let l = &*self.layout;
        let (nc, ne, ns) = (l.cells.len(), l.n_events, l.spans());
        let year_label = |s: usize| {
            if s < l.years.len() {
                l.years[s].to_string()
            } else {
                "all".to_string()
            }
        };
        let row = |level: &[Moments], diff: &[Moments], i: usize, base_i: usize| {
            let (lo, hi) = t_interval95(&diff[i]);
            DiffRow {
                baseline_mean: level[base_i].mean,
                policy_mean: level[i].mean,
                diff_mean: diff[i].mean,
                diff_lo95: lo,
                diff_hi95: hi,
            }
        };
        let mut actions = Vec::new();
        for (c, &(sl, opt)) in l.cells.iter().enumerate() {
            let def = &model.slots[sl];
            for s in 0..ns {
                let i = (slot * nc + c) * ns + s;
                let bi = (self.base * nc + c) * ns + s;
                actions.push(ActionRow {
                    actor: model.actors[def.actor].id.clone(),
                    line: def.line.clone().unwrap_or_default(),
                    action: model.option_id(sl, opt).to_string(),
                    action_label: model.option_label(sl, opt),
                    year: year_label(s),
                    diff: row(&self.act_level, &self.act_diff, i, bi),
                });
            }
        }
        let mut events = Vec::new();
        for e in 0..ne {
            for s in 0..ns {
                let i = (slot * ne + e) * ns + s;
                let bi = (self.base * ne + e) * ns + s;
                events.push(EventRow {
                    event: model.events[e].id.clone(),
                    label: model.events[e].label.clone(),
                    year: year_label(s),
                    diff: row(&self.ev_level, &self.ev_diff, i, bi),
                });
            }
        }
        Mechanisms {
            trials: self.act_diff.first().map_or(0, |m| m.n),
            years: l.years.clone(),
            actions,
            events,
        }
    }
}

/// A count as a share of turns (actions) or a rate per year (events).
fn per(count: u32, turns: u32, is_event: bool, per_year: f64) -> f64 {
    if turns == 0 {
        return f64::NAN;
    }
    if is_event {
        f64::from(count) * per_year / f64::from(turns)
    } else {
        f64::from(count) / f64::from(turns)
    }
}

/// A level under the baseline and the policy, and their paired difference.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DiffRow {
    pub baseline_mean: f64,
    pub policy_mean: f64,
    pub diff_mean: f64,
    pub diff_lo95: f64,
    pub diff_hi95: f64,
}

impl DiffRow {
    pub fn distinguishable(&self) -> bool {
        self.diff_lo95 > 0.0 || self.diff_hi95 < 0.0
    }
}

/// Share of turns in which an actor chose an action (0–1).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ActionRow {
    pub actor: String,
    /// The actor's line of effort ("" for an actor without lines); the shares of a line's options sum to 1.
    pub line: String,
    pub action: String,
    pub action_label: String,
    /// Calendar year, or "all" for the whole window.
    pub year: String,
    #[serde(flatten)]
    pub diff: DiffRow,
}

/// Occurrences of an event per year.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EventRow {
    pub event: String,
    pub label: String,
    pub year: String,
    #[serde(flatten)]
    pub diff: DiffRow,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Mechanisms {
    pub trials: u64,
    pub years: Vec<i32>,
    pub actions: Vec<ActionRow>,
    pub events: Vec<EventRow>,
}

impl Mechanisms {
    /// The `k` whole-window action differences largest in size, among those
    /// whose interval excludes 0.
    pub fn top_actions(&self, k: usize) -> Vec<&ActionRow> {
        let mut v: Vec<&ActionRow> = self
            .actions
            .iter()
            // A line's implicit hold is the complement of its actions' shares: listing it too would repeat them.
            .filter(|r| r.year == "all" && r.diff.distinguishable() && (r.action != "hold" || r.line.is_empty()))
            .collect();
        v.sort_by(|a, b| b.diff.diff_mean.abs().total_cmp(&a.diff.diff_mean.abs()));
        v.truncate(k);
        v
    }

    /// Whole-window event differences, largest *assured* relative change
    /// first: the end of the 95% interval nearest zero, relative to the
    /// baseline rate. Ranking by the point estimate alone would put rare
    /// events with huge but vague relative changes on top.
    pub fn top_events(&self, k: usize) -> Vec<&EventRow> {
        let mut v: Vec<&EventRow> = self
            .events
            .iter()
            .filter(|r| r.year == "all" && r.diff.distinguishable())
            .collect();
        v.sort_by(|a, b| assured(&b.diff).total_cmp(&assured(&a.diff)));
        v.truncate(k);
        v
    }

    /// The per-year rows of one action (of one line: each line has its own implicit `hold`).
    pub fn action_by_year(&self, actor: &str, line: &str, action: &str) -> Vec<&ActionRow> {
        self.actions
            .iter()
            .filter(|r| r.actor == actor && r.line == line && r.action == action && r.year != "all")
            .collect()
    }
}

/// |change| relative to the baseline level (for ranking events of very
/// different frequency).
pub fn relative(d: &DiffRow) -> f64 {
    if d.baseline_mean.abs() > 0.0 {
        (d.diff_mean / d.baseline_mean).abs()
    } else {
        d.diff_mean.abs()
    }
}

/// The smallest relative change the 95% interval allows (0 if it includes 0).
pub fn assured(d: &DiffRow) -> f64 {
    let near = if d.diff_lo95 > 0.0 {
        d.diff_lo95
    } else if d.diff_hi95 < 0.0 {
        -d.diff_hi95
    } else {
        0.0
    };
    if d.baseline_mean.abs() > 0.0 {
        near / d.baseline_mean.abs()
    } else {
        near
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_become_shares_and_paired_differences() {
        let model = crate::scenario::load(None).unwrap().model;
        let layout = std::sync::Arc::new(Layout::new(&model));
        assert_eq!(
            layout.years.first(),
            Some(&model.calendar.period(model.decision_turn).year)
        );
        let window: u32 = layout.turns_in_year.iter().sum();
        assert_eq!(window, model.turns - model.decision_turn);
        let ne = model.events.len();
        // A choice slot with at least two options (an actor's single choice, or a line and its hold).
        let s0 = model.slots.iter().position(|s| s.options.len() >= 2).unwrap();
        let first: Vec<u8> = model.slots.iter().map(|s| s.options[0]).collect();
        let mut acc = MechanismAcc::new(layout.clone(), 2, 0);
        // Two trials. Policy slot 0 always picks every choice slot's first option; policy slot 1 picks the second
        // option of choice slot s0 in every turn of trial 1 and the first in trial 2. Event 0 happens once per turn
        // under policy slot 1 only.
        for trial in 0..2 {
            for slot in 0..2 {
                for t in 0..model.turns {
                    let mut choices = first.clone();
                    if slot == 1 && trial == 0 {
                        choices[s0] = model.slots[s0].options[1];
                    }
                    let mut events = vec![0u32; ne];
                    if slot == 1 {
                        events[0] = 1;
                    }
                    let rec = TurnRecord {
                        turn: t,
                        vars: &[],
                        levers: &[],
                        events: &events,
                        choices: &choices,
                    };
                    acc.turn(slot, &rec);
                }
            }
            acc.end_trial();
        }
        let m = acc.summary(&model, 1);
        assert_eq!(m.trials, 2);
        let a1 = m
            .actions
            .iter()
            .find(|r| {
                r.actor == model.actors[model.slots[s0].actor].id
                    && r.line == model.slots[s0].line.clone().unwrap_or_default()
                    && r.action == model.option_id(s0, model.slots[s0].options[1])
                    && r.year == "all"
            })
            .unwrap();
        assert_eq!(a1.diff.baseline_mean, 0.0);
        assert_eq!(a1.diff.policy_mean, 0.5);
        assert_eq!(a1.diff.diff_mean, 0.5);
        let e0 = m
            .events
            .iter()
            .find(|r| r.event == model.events[0].id && r.year == "all")
            .unwrap();
        // One per turn = turns_per_year per year, in both trials: a zero-width interval.
        let rate = f64::from(model.calendar.per_year);
        assert_eq!(
            (e0.diff.diff_mean, e0.diff.diff_lo95, e0.diff.diff_hi95),
            (rate, rate, rate)
        );
        assert!(e0.diff.distinguishable());
        // Against itself, the baseline shows no differences at all.
        let m0 = acc.summary(&model, 0);
        assert!(m0.actions.iter().all(|r| r.diff.diff_mean == 0.0));
        assert!(m0.top_actions(5).is_empty());
    }
}
