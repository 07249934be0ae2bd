//! The compiled model (R in XLRM): what the engine runs.
//!
//! A [`Model`] is built from a scenario file by [`crate::scenario`]. All names
//! are resolved to indices and all expressions compiled to [`Program`]s, so
//! the engine never touches a string while trials run.

pub mod bargaining;
pub mod coefficients;
pub mod dist;
pub mod drivers;
pub mod program;
pub mod sim;
pub mod time;
pub mod worlds;

pub use program::{Env, Op, Program};
pub use sim::{Control, Trace, TrialState, TurnRecord};

use crate::scenario::schema::{LeverValue, OutcomeKind};
use dist::Sampler;
use time::Calendar;

/// Hard limits, checked at load with clear errors.
pub const MAX_TURNS: u32 = 1000;
pub const MAX_ACTORS: usize = 64;
pub const MAX_ACTIONS: usize = 64;
pub const MAX_TRIALS: u64 = 1_000_000_000;

#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub title: String,
    pub description: String,
    pub caveat: String,
    pub calendar: Calendar,
    /// Number of turns simulated (start .. horizon inclusive).
    pub turns: u32,
    /// First turn at which the tested policy applies.
    pub decision_turn: u32,
    pub vars: Vec<VarDef>,
    pub params: Vec<ParamDef>,
    pub levers: Vec<LeverDef>,
    pub actors: Vec<ActorDef>,
    /// Every choice made each turn, actor by actor and line by line (see [`SlotDef`]). Without lines there is one
    /// slot per actor, in actor order, so `choices[a]` is actor `a`'s action as before lines existed.
    pub slots: Vec<SlotDef>,
    pub events: Vec<EventDef>,
    pub shocks: Vec<ShockDef>,
    pub outcomes: Vec<OutcomeDef>,
    pub policies: Vec<PolicyDef>,
    /// The works the scenario cites (its `sources` section), in file order.
    pub sources: Vec<SourceDef>,
    /// Index of the baseline policy (runs before the decision date).
    pub baseline: usize,
    /// Total number of policy rules (size of the per-trial latch table).
    pub n_rules: usize,
    /// (event, var) pairs whose hazard derivative some actor needs each turn.
    pub derivative_pairs: Vec<(u16, u16)>,
    /// Bargaining rounds inside each trial, if the scenario declares them.
    pub bargaining: Option<bargaining::BargainingDef>,
    /// Contested mechanisms and their views (`worldviews`); each trial runs under one view of each.
    pub worlds: Vec<worlds::MechanismDef>,
    /// The known present the pre-decision history is anchored to (`run` and `compare` set it; see
    /// [`crate::present`]); `None` lets the history run free (the hindcast, exploration designs).
    pub present: Option<std::sync::Arc<crate::present::Anchor>>,
    /// The calibrated ensemble's members (`calibrate::attach`), each a compiled model of the same structure
    /// with its own coefficients and fixed views; each trial runs on one ([`Model::member`]). `None`: every
    /// trial runs on this model.
    pub ensemble: Option<std::sync::Arc<Vec<Model>>>,
}

impl Model {
    /// The model trial `trial` of master seed `seed` runs on: itself without an ensemble, else the member
    /// drawn (uniformly) from the trial's own stream `STREAM_ENSEMBLE`, a function of (seed, trial) only, so
    /// the same under every policy and shifting no other stream.
    pub fn member(&self, seed: u64, trial: u64) -> &Model {
        match &self.ensemble {
            Some(ms) if !ms.is_empty() => &ms[self.member_index(seed, trial).unwrap_or(0)],
            _ => self,
        }
    }

    /// Give every member this model's policies, horizon and decision date (commands adjust those on the
    /// loaded model, e.g. `compare --start article` or a sweep's lever grid; the members were compiled from
    /// the file). Call after such adjustments.
    pub fn sync_members(&mut self) {
        let Some(ms) = self.ensemble.as_mut() else {
            return;
        };
        for m in std::sync::Arc::make_mut(ms) {
            m.policies.clone_from(&self.policies);
            m.n_rules = self.n_rules;
            m.baseline = self.baseline;
            m.turns = self.turns;
            m.decision_turn = self.decision_turn;
            m.present.clone_from(&self.present);
        }
    }

    /// Index of the member trial `trial` draws, if an ensemble is attached.
    pub fn member_index(&self, seed: u64, trial: u64) -> Option<usize> {
        let ms = self.ensemble.as_ref().filter(|m| !m.is_empty())?;
        Some(crate::calibrate::draw_member(seed, trial, ms.len()))
    }
}

#[derive(Debug, Clone)]
pub struct VarDef {
    pub id: String,
    pub label: String,
    pub unit: String,
    pub min: f64,
    pub max: f64,
    pub initial: Sampler,
    pub reversion: Option<(f64, f64)>,
    pub drift: Option<Program>,
    pub noise: f64,
    pub key: bool,
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct ParamDef {
    pub id: String,
    pub label: String,
    /// As written in the file (for listings).
    pub dist: crate::scenario::schema::Dist,
    pub sampler: Sampler,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LeverKindDef {
    Bool,
    Level(f64, f64),
    Enum(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct LeverDef {
    pub id: String,
    pub label: String,
    pub kind: LeverKindDef,
    pub default: f64,
    /// Per-turn state changes: (variable, change).
    pub effects: Vec<(u16, Program)>,
    pub source: String,
}

impl LeverDef {
    /// Human form of a numeric lever value.
    pub fn show(&self, v: f64) -> String {
        match &self.kind {
            LeverKindDef::Bool => (v != 0.0).to_string(),
            LeverKindDef::Level(..) => format!("{v}"),
            LeverKindDef::Enum(opts) => opts.get(v as usize).cloned().unwrap_or_else(|| format!("#{v}")),
        }
    }

    /// Convert a written value to the lever's numeric encoding.
    pub fn encode(&self, v: &LeverValue) -> Result<f64, String> {
        match (&self.kind, v) {
            (LeverKindDef::Bool, LeverValue::Bool(b)) => Ok(f64::from(u8::from(*b))),
            (LeverKindDef::Level(lo, hi), LeverValue::Num(x)) => {
                if x.is_finite() && *x >= *lo && *x <= *hi {
                    Ok(*x)
                } else {
                    Err(format!("{x} is outside lever `{}`'s range [{lo}, {hi}]", self.id))
                }
            }
            (LeverKindDef::Enum(opts), LeverValue::Opt(s)) => {
                opts.iter().position(|o| o == s).map(|i| i as f64).ok_or_else(|| {
                    match crate::scenario::diagnostics::closest(s, opts) {
                        Some(c) => format!("lever `{}` has no option `{s}`; did you mean `{c}`?", self.id),
                        None => format!("lever `{}` has no option `{s}`; options: {}", self.id, opts.join(", ")),
                    }
                })
            }
            (kind, _) => Err(format!(
                "lever `{}` takes {}",
                self.id,
                match kind {
                    LeverKindDef::Bool => "true or false".to_string(),
                    LeverKindDef::Level(lo, hi) => format!("a number in [{lo}, {hi}]"),
                    LeverKindDef::Enum(o) => format!(
                        "one of the options in quotes: {}",
                        o.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ")
                    ),
                }
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ActorDef {
    pub id: String,
    pub name: String,
    /// Evaluated once per trial, after the uncertainties are drawn.
    pub rationality: Program,
    /// Points per unit change of each variable, in the variable's own units
    /// (dense, one entry per variable): each interest's `weight / per`.
    pub var_weights: Vec<f64>,
    /// Interests in events: (event, points per percentage point of hazard).
    pub event_weights: Vec<(u16, f64)>,
    pub interests: Vec<InterestDef>,
    pub actions: Vec<ActionDef>,
    /// The actor's choice slots in [`Model::slots`]: one for an actor without lines (today's single choice among
    /// all its actions), one per line of effort otherwise.
    pub slots: std::ops::Range<usize>,
    /// Whether the actor's actions are grouped into lines (each with an implicit hold).
    pub lined: bool,
}

#[derive(Debug, Clone)]
pub struct InterestDef {
    pub on: String,
    pub weight: f64,
    /// The change in the variable `weight` refers to (`None` for an event).
    pub per: Option<f64>,
    pub source: String,
}

impl InterestDef {
    /// What the weight is counted against, for listings: "per 0.03 million
    /// people per year" for a variable, "per point of hazard" for an event.
    pub fn scale_text(&self, vars: &[VarDef]) -> String {
        match (self.per, vars.iter().find(|v| v.id == self.on)) {
            (Some(per), Some(v)) => format!("per {} {}", crate::numfmt::sig(per, 6), v.unit),
            _ => "per point of hazard".to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ActionDef {
    pub id: String,
    pub label: String,
    pub when: Option<Program>,
    pub cost: f64,
    /// Extra value: the action's own `value` plus every lever incentive on it.
    pub bonus: Vec<Program>,
    pub effects: Vec<EffectDef>,
    pub source: String,
    /// The line of effort the action belongs to (`None` in an actor without lines).
    pub line: Option<String>,
    /// The choice slot (index into [`Model::slots`]) this action is chosen in.
    pub slot: usize,
}

/// In a choice slot's `options`: the implicit "hold" of a line (no action on that line this turn).
pub const HOLD: u8 = u8::MAX;

/// One independent choice per turn: an actor's single choice among all its actions (actors without lines), or its
/// choice on one line of effort among that line's actions and an implicit hold.
#[derive(Debug, Clone)]
pub struct SlotDef {
    pub actor: usize,
    /// The line's name (`None` for an actor without lines).
    pub line: Option<String>,
    /// Position of the line within its actor (0 for an actor without lines): with the actor's index, it names
    /// the line's random stream.
    pub line_index: usize,
    /// What can be picked, in order: indices into the actor's actions, and [`HOLD`] last on a line.
    pub options: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct EffectDef {
    pub var: u16,
    pub mean: Program,
    pub sd: f64,
}

#[derive(Debug, Clone)]
pub enum HazardDef {
    Logistic(Program),
    Probability(Program),
    Poisson(Program),
}

#[derive(Debug, Clone)]
pub struct EventDef {
    pub id: String,
    pub label: String,
    pub hazard: HazardDef,
    pub once: bool,
    pub consequences: Vec<(u16, Program)>,
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct ShockDef {
    pub turn: u32,
    pub label: String,
    pub effects: Vec<(u16, Program)>,
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MeasureDef {
    Final(u16),
    Mean(u16),
    Min(u16),
    Max(u16),
    Total(u16),
    Count(u16),
    PerYear(u16),
    Occurs(u16),
    ActionCount(u16, u16),
}

#[derive(Debug, Clone)]
pub struct OutcomeDef {
    pub id: String,
    pub label: String,
    pub unit: String,
    /// What one unit of the outcome is (the scenario's `description`; empty
    /// when it gives none).
    pub description: String,
    pub kind: OutcomeKind,
    pub measure: MeasureDef,
    pub from_turn: u32,
    pub to_turn: u32,
}

impl OutcomeDef {
    /// Binary outcomes are summarised as a probability with an interval.
    pub fn is_event(&self) -> bool {
        matches!(self.measure, MeasureDef::Occurs(_))
    }

    /// The outcome's time window for a reader, from its first and last turns:
    /// "2026–2030" when it covers whole calendar years, otherwise with the
    /// partial end as a period label ("2021Q3–2030"), and a single year or
    /// period when it starts and ends in the same one.
    pub fn window_label(&self, calendar: &time::Calendar) -> String {
        let (a, b) = (calendar.period(self.from_turn), calendar.period(self.to_turn));
        let per_year = calendar.per_year;
        let start = if a.sub == 1 {
            a.year.to_string()
        } else {
            calendar.label(self.from_turn)
        };
        let end = if b.sub == per_year {
            b.year.to_string()
        } else {
            calendar.label(self.to_turn)
        };
        if start == end {
            start
        } else {
            format!("{start}–{end}")
        }
    }
}

/// A cited work: enough for a reader to find and check it (docs/sources.md lists the
/// built-in scenario's).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDef {
    pub key: String,
    pub author: String,
    pub title: String,
    pub outlet: String,
    pub date: String,
    pub url: String,
}

impl SourceDef {
    /// `Author, "Title", Outlet, date, URL` — the form every output prints.
    pub fn citation(&self) -> String {
        let mut s = format!("{}, \"{}\", {}, {}", self.author, self.title, self.outlet, self.date);
        if !self.url.is_empty() {
            s.push_str(", ");
            s.push_str(&self.url);
        }
        s
    }
}

impl Model {
    /// The work a policy comes from, if the scenario names one by key.
    pub fn policy_source(&self, p: &PolicyDef) -> Option<&SourceDef> {
        p.source.map(|i| &self.sources[i])
    }

    /// A policy's citation: the full citation of its source, or, for an older scenario
    /// without a `source` key, its author, date and file.
    pub fn policy_citation(&self, p: &PolicyDef) -> String {
        match self.policy_source(p) {
            Some(src) => {
                let mut s = src.citation();
                if p.author != src.author {
                    s = format!("{}, in {s}", p.author);
                }
                if p.date != src.date {
                    s.push_str(&format!(" (package dated {})", p.date));
                }
                s
            }
            None => match &p.source_file {
                Some(f) if !f.is_empty() => format!("{}, {} (file {f})", p.author, p.date),
                _ => format!("{}, {}", p.author, p.date),
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct PolicyDef {
    pub id: String,
    pub label: String,
    pub author: String,
    /// Index into `Model::sources` of the work the package comes from.
    pub source: Option<usize>,
    /// An older scenario's `source_file`, shown only when there is no `source` key.
    pub source_file: Option<String>,
    pub date: String,
    pub summary: String,
    pub inherits: Option<usize>,
    /// Rules grouped per lever: `rules_by_lever[l]` lists rule indices in file order.
    pub rules_by_lever: Vec<Vec<usize>>,
    pub rules: Vec<RuleDef>,
    /// The turn this package takes over from the baseline in this run: the
    /// decision turn, unless [`Model::use_article_starts`] moved it to `article_start`.
    pub start_turn: u32,
    /// The package's own `start` (its article's date), as a turn; the decision
    /// turn when the scenario gives none.
    pub article_start: u32,
    /// Label of `article_start`, e.g. `2022Q3`.
    pub article_start_label: String,
    /// What the article recommends that the model cannot represent: (what, passage).
    pub not_modelled: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct RuleDef {
    pub lever: u16,
    pub value: f64,
    pub from_turn: u32,
    pub until_turn: u32,
    pub when: Option<Program>,
    /// Source text of the condition, for listings.
    pub when_text: Option<String>,
    pub sticky: bool,
    /// Slot in the trial's latch table (for sticky rules).
    pub latch: usize,
    pub passage: String,
    pub from_label: Option<String>,
    pub until_label: Option<String>,
    /// Set when the article gives no amount: (low, high, note) of the default used.
    pub default_amount: Option<(f64, f64, String)>,
}

impl Model {
    /// Let every package take over from the baseline at its own `start` (its
    /// article's date) instead of the decision date: the counterfactual "had
    /// this been done when it was argued". Outcome windows do not move, so the
    /// packages are still measured over the same years.
    pub fn use_article_starts(&mut self) {
        for p in &mut self.policies {
            p.start_turn = p.article_start;
        }
    }

    /// The first turn at which any of `policies` leaves the baseline: the
    /// shared history before it is simulated once per trial and forked.
    pub fn fork_turn(&self, policies: &[usize]) -> u32 {
        policies
            .iter()
            .map(|&p| self.policies[p].start_turn)
            .fold(self.decision_turn, u32::min)
            .min(self.turns)
    }

    /// Whether actor `a` took action `k` in the turn whose choices (one per slot) are `choices`.
    pub fn chose(&self, choices: &[u8], a: usize, k: usize) -> bool {
        let slot = self.actors[a].actions[k].slot;
        choices.get(slot).is_some_and(|&c| usize::from(c) == k)
    }

    /// Id of what slot option `opt` stands for: the action's id, or `hold` for a line's implicit hold.
    pub fn option_id(&self, slot: usize, opt: u8) -> &str {
        let s = &self.slots[slot];
        if opt == HOLD {
            "hold"
        } else {
            &self.actors[s.actor].actions[usize::from(opt)].id
        }
    }

    /// Label of slot option `opt` (see [`Model::option_id`]).
    pub fn option_label(&self, slot: usize, opt: u8) -> String {
        let s = &self.slots[slot];
        if opt == HOLD {
            format!("No action on the {} line", s.line.as_deref().unwrap_or(""))
        } else {
            self.actors[s.actor].actions[usize::from(opt)].label.clone()
        }
    }

    pub fn policy_index(&self, id: &str) -> Option<usize> {
        self.policies.iter().position(|p| p.id == id)
    }

    pub fn key_vars(&self) -> impl Iterator<Item = usize> + '_ {
        self.vars.iter().enumerate().filter(|(_, v)| v.key).map(|(i, _)| i)
    }
}
