//! The scenario file as written by people: serde types mirroring the RON text.
//!
//! Names are strings here; [`super::compile`] resolves them into indices and
//! compiles expressions. Every struct denies unknown fields so a misspelt
//! field is an error, never silently ignored. `docs/scenario-format.md`
//! documents each field.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub meta: Meta,
    pub variables: Vec<Variable>,
    #[serde(default)]
    pub uncertainties: Vec<Uncertainty>,
    pub levers: Vec<Lever>,
    pub actors: Vec<Actor>,
    #[serde(default)]
    pub events: Vec<Event>,
    #[serde(default)]
    pub shocks: Vec<Shock>,
    pub outcomes: Vec<Outcome>,
    pub policies: Vec<Policy>,
    /// The works the scenario cites, by key: policies name theirs in `source`, and any
    /// string may cite one as `[key]` (see docs/scenario-format.md, "Sources").
    #[serde(default)]
    pub sources: Vec<Source>,
    /// Contested mechanisms, each with alternative views the trials draw from (docs/worldviews.md).
    #[serde(default)]
    pub worldviews: Vec<Mechanism>,
    /// Bargaining among some of the actors (KTAB's Spatial Model of Politics), run at scheduled turns.
    #[serde(default)]
    pub bargaining: Option<Bargaining>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Short name, used for the output folder (`output/<name>/`).
    pub name: String,
    pub title: String,
    pub description: String,
    /// First turn, e.g. "2021Q3".
    pub start: String,
    /// Turns per year; 4 = quarterly turns.
    #[serde(default = "four")]
    pub turns_per_year: u32,
    /// From this turn on, the policy under test replaces the baseline.
    pub decision: String,
    /// Last turn simulated (inclusive), e.g. "2030Q4".
    pub horizon: String,
    /// The policy whose rules run before the decision date.
    #[serde(default = "status_quo")]
    pub baseline: String,
    /// Printed on every chart and report.
    pub caveat: String,
}

fn four() -> u32 {
    4
}
fn status_quo() -> String {
    "status_quo".to_string()
}

/// A probability distribution, written e.g. `Uniform(0.2, 0.6)`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
pub enum Dist {
    Fixed(f64),
    Uniform(f64, f64),
    /// mean, standard deviation
    Normal(f64, f64),
    /// mean, sd, low, high (redrawn until inside [low, high])
    TruncNormal(f64, f64, f64, f64),
    /// low, mode, high
    Triangular(f64, f64, f64),
    /// low, mode, high (the beta-PERT with shape 4)
    Pert(f64, f64, f64),
    /// alpha, beta on [0, 1]
    Beta(f64, f64),
    /// alpha, beta, low, high
    ScaledBeta(f64, f64, f64, f64),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    pub id: String,
    pub label: String,
    pub unit: String,
    pub min: f64,
    pub max: f64,
    pub initial: Dist,
    /// Each turn the variable moves `rate` of the way toward `toward`.
    #[serde(default)]
    pub reversion: Option<Reversion>,
    /// Extra change per turn, an expression of the state.
    #[serde(default)]
    pub drift: Option<String>,
    /// Standard deviation of the random change per turn.
    #[serde(default)]
    pub noise: f64,
    /// Draw a fan chart of this variable.
    #[serde(default)]
    pub key: bool,
    pub source: String,
    /// Explicit plausible ranges of this item's numbers, keyed by coefficient id relative to
    /// the item (`"cost": (1.0, 4.0)`, `"drift#2": (0.001, 0.004)`); see docs/register.md.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ranges: BTreeMap<String, (f64, f64)>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Reversion {
    pub rate: f64,
    pub toward: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Uncertainty {
    pub id: String,
    pub label: String,
    pub dist: Dist,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum LeverKind {
    Bool,
    /// min, max
    Level(f64, f64),
    /// option names, in order
    Enum(Vec<String>),
}

/// A lever setting: `true`, `0.5` or `"formal"`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum LeverValue {
    Bool(bool),
    Num(f64),
    Opt(String),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Lever {
    pub id: String,
    pub label: String,
    pub kind: LeverKind,
    pub default: LeverValue,
    /// Direct per-turn changes to state while the lever is set.
    #[serde(default)]
    pub effects: Vec<Change>,
    /// Extra value (in points) an actor sees in an action because of the lever.
    #[serde(default)]
    pub incentives: Vec<Incentive>,
    pub source: String,
    /// Explicit plausible ranges of this item's numbers, keyed by coefficient id relative to
    /// the item (`"cost": (1.0, 4.0)`, `"drift#2": (0.001, 0.004)`); see docs/register.md.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ranges: BTreeMap<String, (f64, f64)>,
}

/// A change to a state variable: `change` is an expression (per turn, or per occurrence for events).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    pub var: String,
    pub change: String,
    #[serde(default)]
    pub source: Option<String>,
    /// Explicit plausible ranges of this item's numbers, keyed by coefficient id relative to
    /// the item (`"cost": (1.0, 4.0)`, `"drift#2": (0.001, 0.004)`); see docs/register.md.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ranges: BTreeMap<String, (f64, f64)>,
}

/// A contested mechanism: how the world responds to some levers is disputed, so the scenario states
/// each view as an alternative structure and every trial runs under one of them (docs/worldviews.md).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Mechanism {
    pub id: String,
    pub label: String,
    pub views: Vec<View>,
    #[serde(default)]
    pub source: Option<String>,
}

/// One view of a mechanism: the incentives and effects that hold if it is right.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct View {
    pub id: String,
    pub label: String,
    /// Prior probability (relative; normalised over the mechanism's views). Default 1: views equally likely.
    #[serde(default)]
    pub weight: Option<f64>,
    /// Keys of the works (in `sources`) that argue this view.
    #[serde(default)]
    pub argued_by: Vec<String>,
    #[serde(default)]
    pub incentives: Vec<ViewIncentive>,
    #[serde(default)]
    pub effects: Vec<ViewChange>,
    pub source: String,
}

/// Extra value an actor sees in an action under a view, attributed to the lever that conditions it (none for a
/// mechanism that no lever conditions, e.g. how the Taliban answer Pakistani coercion).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ViewIncentive {
    #[serde(default)]
    pub lever: Option<String>,
    pub actor: String,
    pub action: String,
    pub value: String,
    pub source: String,
}

/// A per-turn change to a variable under a view, booked to the lever that conditions it (without a lever: to the
/// drift channel, as part of the model's own dynamics).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ViewChange {
    #[serde(default)]
    pub lever: Option<String>,
    pub var: String,
    pub change: String,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Incentive {
    pub actor: String,
    pub action: String,
    pub value: String,
    pub source: String,
    /// Explicit plausible ranges of this item's numbers, keyed by coefficient id relative to
    /// the item (`"cost": (1.0, 4.0)`, `"drift#2": (0.001, 0.004)`); see docs/register.md.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ranges: BTreeMap<String, (f64, f64)>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    pub id: String,
    pub name: String,
    /// Logit rationality: an expression (usually an uncertainty's name).
    pub rationality: String,
    pub interests: Vec<Interest>,
    pub actions: Vec<Action>,
    #[serde(default)]
    pub source: Option<String>,
    /// Explicit plausible ranges of this item's numbers, keyed by coefficient id relative to
    /// the item (`"cost": (1.0, 4.0)`, `"drift#2": (0.001, 0.004)`); see docs/register.md.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ranges: BTreeMap<String, (f64, f64)>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Interest {
    /// A state variable or event id.
    pub on: String,
    /// Points the actor gains from a rise of `per` in the variable (in the
    /// variable's own units), or from a one-percentage-point rise in an
    /// event's hazard. Never scaled by the variable's declared bounds, so
    /// widening a bound that never binds changes no decision.
    pub weight: f64,
    /// For an interest in a variable (required there, absent for events):
    /// the change in the variable, in its own units, that `weight` refers to.
    #[serde(default)]
    pub per: Option<f64>,
    pub source: String,
    /// Explicit plausible ranges of this item's numbers, keyed by coefficient id relative to
    /// the item (`"cost": (1.0, 4.0)`, `"drift#2": (0.001, 0.004)`); see docs/register.md.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ranges: BTreeMap<String, (f64, f64)>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub id: String,
    pub label: String,
    /// Precondition: the action is on the menu only while this holds.
    #[serde(default)]
    pub when: Option<String>,
    /// Cost in points (subtracted from the action's value).
    #[serde(default)]
    pub cost: f64,
    /// Extra value in points, an expression (on top of the interests).
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub effects: Vec<Effect>,
    pub source: String,
    /// Explicit plausible ranges of this item's numbers, keyed by coefficient id relative to
    /// the item (`"cost": (1.0, 4.0)`, `"drift#2": (0.001, 0.004)`); see docs/register.md.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ranges: BTreeMap<String, (f64, f64)>,
    /// Line of effort: an actor whose actions name lines chooses once per line each turn, among the line's
    /// actions and an implicit hold, so doing more on one line never means doing less on another. Either every
    /// action of an actor has a line or none does (then the actor makes one choice among all its actions).
    #[serde(default)]
    pub line: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Effect {
    pub var: String,
    /// Expected change per turn, an expression.
    pub mean: String,
    /// Standard deviation of the change, scaled by the actor's execution shock.
    #[serde(default)]
    pub sd: f64,
    /// Explicit plausible ranges of this item's numbers, keyed by coefficient id relative to
    /// the item (`"cost": (1.0, 4.0)`, `"drift#2": (0.001, 0.004)`); see docs/register.md.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ranges: BTreeMap<String, (f64, f64)>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum Hazard {
    /// Per-turn probability = logistic(expr).
    Logistic(String),
    /// Per-turn probability = expr, clamped to [0, 1].
    Probability(String),
    /// Occurrences per turn ~ Poisson(expr).
    Poisson(String),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub id: String,
    pub label: String,
    pub hazard: Hazard,
    /// Can happen at most once per trial.
    #[serde(default)]
    pub once: bool,
    /// Applied once per occurrence.
    #[serde(default)]
    pub consequences: Vec<Change>,
    pub source: String,
    /// Explicit plausible ranges of this item's numbers, keyed by coefficient id relative to
    /// the item (`"cost": (1.0, 4.0)`, `"drift#2": (0.001, 0.004)`); see docs/register.md.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ranges: BTreeMap<String, (f64, f64)>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Shock {
    pub date: String,
    pub label: String,
    pub effects: Vec<Change>,
    pub source: String,
    /// Explicit plausible ranges of this item's numbers, keyed by coefficient id relative to
    /// the item (`"cost": (1.0, 4.0)`, `"drift#2": (0.001, 0.004)`); see docs/register.md.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ranges: BTreeMap<String, (f64, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub enum OutcomeKind {
    Maximize,
    Minimize,
    Info,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum Measure {
    /// Value at the end of the window.
    Final(String),
    /// Average over the window's turns.
    Mean(String),
    Min(String),
    Max(String),
    /// Sum over the window of value × turn length (a per-year flow → a total).
    Total(String),
    /// Occurrences of the event in the window.
    Count(String),
    /// Occurrences per year in the window.
    PerYear(String),
    /// 1 if the event happened in the window, else 0 (reported as a probability).
    Occurs(String),
    /// Turns in the window in which the actor chose the action.
    ActionCount(String, String),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    pub id: String,
    pub label: String,
    pub unit: String,
    pub kind: OutcomeKind,
    pub measure: Measure,
    /// What the outcome counts or measures, in words a reader can check
    /// against a real-world series (for counts: which counter one unit
    /// matches, e.g. "ACLED-like events involving ISKP"). Shown on charts and
    /// by `greatgame list`.
    #[serde(default)]
    pub description: Option<String>,
    /// First turn of the window (default: the decision date).
    #[serde(default)]
    pub from: Option<String>,
    /// Last turn of the window (default: the horizon).
    #[serde(default)]
    pub to: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub id: String,
    pub label: String,
    /// Key of the work the package comes from (an entry of `sources`); its citation is
    /// printed wherever the package is.
    #[serde(default)]
    pub source: Option<String>,
    /// Who argues for the package; defaults to the author of `source`.
    #[serde(default)]
    pub author: Option<String>,
    /// Older scenarios name a file instead of a `source` key; kept so they still load.
    #[serde(default)]
    pub source_file: Option<String>,
    /// When the package was argued; defaults to the date of `source`.
    #[serde(default)]
    pub date: Option<String>,
    pub summary: String,
    /// Levers this policy does not set follow this policy's rules.
    #[serde(default)]
    pub inherits: Option<String>,
    pub rules: Vec<Rule>,
    /// When the package may take over from the baseline as a counterfactual
    /// (usually its article's date). Runs use it only with `--start article`;
    /// by default every package starts at the decision date, so packages are
    /// compared over the same history. Default: the decision date.
    #[serde(default)]
    pub start: Option<String>,
    /// What the article recommends that the model cannot represent, each with
    /// its passage, so a reader sees what the package leaves out.
    #[serde(default)]
    pub not_modelled: Vec<NotModelled>,
}

/// A recommendation of a package's article that no lever represents.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NotModelled {
    /// The recommendation, in a few words.
    pub what: String,
    /// The passage it rests on (paraphrase or short quote), cited by key.
    pub passage: String,
}

/// A rule's value where the article gives no amount: the value used is a
/// documented default, with the range a reader should vary it over. Flagged
/// by `list --policies` and the reports.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultAmount {
    /// Plausible range of the amount, in the lever's units.
    pub range: (f64, f64),
    /// Why this default and range (source or judgement).
    pub note: String,
}

/// A work the scenario cites: an article, a report or a public data series.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Short stable key, e.g. `safian-2023`; lower-case letters, digits and `-`.
    pub key: String,
    pub author: String,
    pub title: String,
    /// Outlet, publisher or series.
    pub outlet: String,
    pub date: String,
    /// Where a reader can check it; empty only for works with no public address.
    #[serde(default)]
    pub url: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub lever: String,
    pub value: LeverValue,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub until: Option<String>,
    /// Condition on the state; the rule applies only while it holds.
    #[serde(default)]
    pub when: Option<String>,
    /// Once `when` has held, the rule keeps applying.
    #[serde(default)]
    pub sticky: bool,
    /// The passage of the source this rule rests on (paraphrase or short quote).
    pub passage: String,
    /// Set when the article gives no amount and `value` is a documented default.
    #[serde(default)]
    pub default_amount: Option<DefaultAmount>,
}

/// Bargaining issues settled by the Spatial Model of Politics inside each trial (see docs/bargaining.md).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Bargaining {
    pub label: String,
    /// The policy dimensions, each on KTAB's 0–100 scale.
    pub dimensions: Vec<Dimension>,
    /// The actors who bargain, with their stances.
    pub bargainers: Vec<Bargainer>,
    /// When a bargaining round runs.
    pub schedule: Schedule,
    /// The model's switches; anything left out keeps KTAB's default (`max_steps` caps the steps of one round).
    #[serde(default)]
    pub options: crate::bargain::SmpOptions,
    /// What each round writes into the state.
    pub outputs: Vec<BargainOutput>,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub id: String,
    pub label: String,
    /// What a position of 0 means.
    pub low: String,
    /// What a position of 100 means.
    pub high: String,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Bargainer {
    /// An actor's id.
    pub id: String,
    /// Power to influence these issues, an expression (any non-negative number; only ratios matter).
    pub capability: String,
    /// Where the capability comes from.
    pub source: String,
    /// One stance per dimension.
    pub stances: Vec<Stance>,
    /// Explicit plausible ranges of this item's numbers, keyed by coefficient id relative to
    /// the item (`"cost": (1.0, 4.0)`, `"drift#2": (0.001, 0.004)`); see docs/register.md.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ranges: BTreeMap<String, (f64, f64)>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Stance {
    pub dimension: String,
    /// Position on 0–100, an expression.
    pub position: String,
    /// Salience on 0–100, an expression; a bargainer's saliences sum to at most 100.
    pub salience: String,
    pub source: String,
    /// Explicit plausible ranges of this item's numbers, keyed by coefficient id relative to
    /// the item (`"cost": (1.0, 4.0)`, `"drift#2": (0.001, 0.004)`); see docs/register.md.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ranges: BTreeMap<String, (f64, f64)>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum Schedule {
    /// Every `turns` turns from `from` (inclusive) to `until` (inclusive, default: the horizon).
    Every {
        turns: u32,
        from: String,
        #[serde(default)]
        until: Option<String>,
    },
    /// At the listed turns.
    Dates(Vec<String>),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BargainOutput {
    /// The state variable written (it must run from 0 to 1).
    pub var: String,
    pub value: Settled,
}

/// A number read off the settled positions, on the 0–1 scale (position / 100).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum Settled {
    /// A bargainer's settled position on a dimension: `Position("engagement", "russia")`.
    Position(String, String),
    /// The capability-and-salience-weighted mean of the settled positions on a dimension.
    Mean(String),
}
