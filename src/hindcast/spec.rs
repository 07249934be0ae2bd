//! The calibration record file (`<scenario>.hindcast.ron`): which series the
//! hindcast reports in real units, the observed values they are drawn
//! against, the event-by-year probabilities, and the targets T1–T12.
//!
//! Why a separate file rather than more sections in the scenario: the record
//! is about the world, not the model. Keeping it apart means an instructor can
//! edit the scenario without touching the record, and a calibration run says
//! exactly which record it was scored against (its own sha256 in the manifest).
//! The record names scenario variables, events, actors and uncertainties; they
//! are resolved at load time with the same file:line:column diagnostics as the
//! scenario itself.

use crate::model::Model;
use crate::model::time::Period;
use crate::scenario::diagnostics::{Diagnostic, ScenarioError, SourceFile, closest};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The record for the built-in scenario.
pub const DEFAULT_RECORD: &str = include_str!("../../scenarios/afghanistan.hindcast.ron");
const DEFAULT_RECORD_NAME: &str = "built-in afghanistan.hindcast.ron";

// ------------------------------------------------------------ file format

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordFile {
    policy: String,
    /// Last quarter simulated, e.g. "2025Q4".
    until: String,
    /// Last calendar year whose observations were used for calibration.
    calibrated_through: i32,
    series: Vec<SeriesFile>,
    events: Vec<EventGroupFile>,
    targets: Vec<TargetFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeriesFile {
    id: String,
    label: String,
    unit: String,
    measure: MeasureFile,
    #[serde(default)]
    observed: Vec<ObservationFile>,
    source: String,
}

#[derive(Debug, Deserialize)]
enum MeasureFile {
    /// A state variable: its mean over the year's turns, or its value at the year's last turn.
    Var { var: String, agg: Agg },
    /// Occurrences of events in the year, each term's events weighted by the
    /// product of its `per_event` factors (numbers or uncertainties, e.g.
    /// deaths per attack); no factor counts each occurrence once.
    Events(Vec<TermFile>),
    /// Turns in the year in which an actor chose an action.
    Action { actor: String, action: String },
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
pub enum Agg {
    Mean,
    End,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TermFile {
    events: Vec<String>,
    #[serde(default)]
    per_event: Vec<Scale>,
}

#[derive(Debug, Deserialize)]
enum Scale {
    Const(f64),
    Param(String),
    /// A state variable's value at the end of the turn the events happened in
    /// (e.g. deaths per attack that move with the campaign).
    Var(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ObservationFile {
    year: i32,
    value: f64,
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventGroupFile {
    id: String,
    #[serde(default)]
    events: Vec<String>,
    /// `(actor, action)` pairs: the group has happened once any was chosen.
    #[serde(default)]
    actions: Vec<(String, String)>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetFile {
    id: String,
    target: String,
    band: String,
    checks: Vec<CheckFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckFile {
    stat: StatFile,
    #[serde(default)]
    min: Option<f64>,
    #[serde(default)]
    max: Option<f64>,
}

#[derive(Debug, Deserialize)]
enum StatFile {
    /// Mean over trials of a series in a year.
    Mean { series: String, year: i32 },
    /// Growth of the mean: mean(year) / mean(year − 1) − 1.
    Growth { series: String, year: i32 },
    /// Ratio of means: mean(year) / mean(over).
    Ratio { series: String, year: i32, over: i32 },
    /// Probability that an event group has happened by the end of `year`.
    ProbBy { event: String, year: i32 },
    /// Probability that an event group happens in calendar year `year` (at
    /// least once in its turns), whatever happened before.
    ProbIn { event: String, year: i32 },
    /// Mean over trials of a series summed over `from..=to`.
    TotalMean { series: String, from: i32, to: i32 },
    /// 95th percentile over trials of a series summed over `from..=to`.
    TotalP95 { series: String, from: i32, to: i32 },
}

// ------------------------------------------------------------ resolved form

/// A resolved record, ready to run against one model.
#[derive(Debug, Clone)]
pub struct Record {
    pub origin: String,
    pub sha256: String,
    pub policy: usize,
    /// Number of turns simulated (from the scenario start to `until` inclusive).
    pub turns: u32,
    pub until_label: String,
    pub calibrated_through: i32,
    /// Calendar years covered, first to last.
    pub years: Vec<i32>,
    /// Per year, the number of simulated turns in it (the first year may be partial).
    pub turns_in_year: Vec<u32>,
    pub series: Vec<Series>,
    pub events: Vec<EventGroup>,
    pub targets: Vec<Target>,
}

#[derive(Debug, Clone)]
pub struct Series {
    pub id: String,
    pub label: String,
    pub unit: String,
    pub measure: Measure,
    pub observed: Vec<Observation>,
    pub source: String,
}

impl Series {
    /// Counts of events or actions (summed over a year), as opposed to state
    /// levels. Flows in a partial year are annualised in the series.
    pub fn is_flow(&self) -> bool {
        !matches!(self.measure, Measure::Var { .. })
    }
}

#[derive(Debug, Clone)]
pub enum Measure {
    Var { var: usize, agg: Agg },
    Events(Vec<Term>),
    Action { actor: usize, action: u8 },
}

/// Events whose occurrences count `per_event` (a product of factors) each.
#[derive(Debug, Clone)]
pub struct Term {
    pub events: Vec<usize>,
    pub per_event: Vec<PerEvent>,
}

#[derive(Debug, Clone, Copy)]
pub enum PerEvent {
    Const(f64),
    Param(usize),
    Var(usize),
}

#[derive(Debug, Clone)]
pub struct Observation {
    pub year: i32,
    pub value: f64,
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct EventGroup {
    pub id: String,
    pub events: Vec<usize>,
    /// `(actor, action index)`.
    pub actions: Vec<(usize, u8)>,
}

#[derive(Debug, Clone)]
pub struct Target {
    pub id: String,
    pub target: String,
    pub band: String,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone)]
pub struct Check {
    pub stat: Stat,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// Indices are into `Record::series` / `Record::events` and `Record::years`.
#[derive(Debug, Clone, PartialEq)]
pub enum Stat {
    Mean { series: usize, year: usize },
    Growth { series: usize, year: usize },
    Ratio { series: usize, year: usize, over: usize },
    ProbBy { event: usize, year: usize },
    ProbIn { event: usize, year: usize },
    TotalMean { series: usize, from: usize, to: usize },
    TotalP95 { series: usize, from: usize, to: usize },
}

// ------------------------------------------------------------------ loading

/// Find and load the record for a scenario: `explicit` if given; else the
/// built-in record for the built-in scenario; else `<stem>.hindcast.ron`
/// beside the scenario file.
pub fn load(model: &Model, scenario: Option<&Path>, explicit: Option<&Path>) -> Result<Record, ScenarioError> {
    let path: Option<PathBuf> = match (explicit, scenario) {
        (Some(p), _) => Some(p.to_path_buf()),
        (None, None) => None,
        (None, Some(s)) => {
            let sibling = crate::scenario::companion(s, "hindcast");
            if !sibling.exists() {
                return Err(single(
                    &s.display().to_string(),
                    format!(
                        "no calibration record found for this scenario (looked for {})",
                        sibling.display()
                    ),
                    Some("write one (see docs/calibration.md) or pass it with --record FILE".into()),
                ));
            }
            Some(sibling)
        }
    };
    match path {
        None => load_str(model, DEFAULT_RECORD, DEFAULT_RECORD_NAME),
        Some(p) => {
            let name = p.display().to_string();
            let text = std::fs::read_to_string(&p).map_err(|e| {
                single(
                    &name,
                    format!("cannot read the calibration record: {e}"),
                    Some("check the path given to --record".into()),
                )
            })?;
            load_str(model, &text, &name)
        }
    }
}

fn single(name: &str, message: String, hint: Option<String>) -> ScenarioError {
    ScenarioError {
        diagnostics: vec![SourceFile { name, text: "" }.at(None, message, hint)],
    }
}

/// Parse and resolve record text against `model`; `name` is used in messages.
pub fn load_str(model: &Model, text: &str, name: &str) -> Result<Record, ScenarioError> {
    let src = SourceFile { name, text };
    let opts = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    let file: RecordFile = opts.from_str(text).map_err(|e| {
        let off = src.offset_of(e.span.start.line, e.span.start.col);
        ScenarioError {
            diagnostics: vec![src.at(
                off,
                format!("{}", e.code),
                Some("see docs/calibration.md for the record format".into()),
            )],
        }
    })?;
    let mut r = Resolver {
        model,
        src,
        diags: Vec::new(),
    };
    let record = r.resolve(file);
    let keys: Vec<String> = model.sources.iter().map(|s| s.key.clone()).collect();
    r.diags.extend(crate::scenario::citations::unknown(&r.src, &keys));
    match record {
        Some(rec) if r.diags.is_empty() => {
            use sha2::Digest;
            let sha256 = sha2::Sha256::digest(text.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            Ok(Record { sha256, ..rec })
        }
        _ => Err(ScenarioError { diagnostics: r.diags }),
    }
}

struct Resolver<'a> {
    model: &'a Model,
    src: SourceFile<'a>,
    diags: Vec<Diagnostic>,
}

impl Resolver<'_> {
    /// Report `message` at the first quoted occurrence of `name` in the file.
    fn error(&mut self, name: &str, message: String, hint: Option<String>) {
        let off = self.src.text.find(&format!("\"{name}\""));
        self.diags.push(self.src.at(off, message, hint));
    }

    fn lookup(&mut self, what: &str, name: &str, ids: Vec<String>) -> Option<usize> {
        if let Some(i) = ids.iter().position(|x| x == name) {
            return Some(i);
        }
        let hint = closest(name, &ids)
            .map(|c| format!("did you mean `{c}`?"))
            .unwrap_or_else(|| format!("{what}s: {}", ids.join(", ")));
        self.error(name, format!("unknown {what} `{name}`"), Some(hint));
        None
    }

    fn var(&mut self, n: &str) -> Option<usize> {
        self.lookup("variable", n, self.model.vars.iter().map(|v| v.id.clone()).collect())
    }
    fn event(&mut self, n: &str) -> Option<usize> {
        self.lookup("event", n, self.model.events.iter().map(|v| v.id.clone()).collect())
    }
    fn param(&mut self, n: &str) -> Option<usize> {
        self.lookup(
            "uncertainty",
            n,
            self.model.params.iter().map(|v| v.id.clone()).collect(),
        )
    }

    fn action(&mut self, actor: &str, action: &str) -> Option<(usize, u8)> {
        let m = self.model;
        let a = self.lookup("actor", actor, m.actors.iter().map(|a| a.id.clone()).collect())?;
        let ids = m.actors[a].actions.iter().map(|x| x.id.clone()).collect();
        self.lookup(&format!("action of `{actor}`"), action, ids)
            .map(|k| (a, k as u8))
    }

    fn resolve(&mut self, f: RecordFile) -> Option<Record> {
        let m = self.model;
        let policy = self.lookup("policy", &f.policy, m.policies.iter().map(|p| p.id.clone()).collect());
        let until = match Period::parse(&f.until, m.calendar.per_year) {
            Ok(p) => {
                let t = p.turns_since(m.calendar.start, m.calendar.per_year);
                if t < 0 || t >= m.turns as i64 {
                    self.error(
                        &f.until,
                        format!("`until: \"{}\"` is outside the scenario's time span", f.until),
                        Some(format!(
                            "choose a quarter from {} to {}",
                            m.calendar.label(0),
                            m.calendar.label(m.turns - 1)
                        )),
                    );
                    None
                } else {
                    Some(t as u32 + 1)
                }
            }
            Err(e) => {
                self.error(
                    &f.until,
                    format!("bad `until` date: {e}"),
                    Some("write a quarter like \"2025Q4\"".into()),
                );
                None
            }
        };
        let turns = until?;
        let mut years: Vec<i32> = Vec::new();
        let mut turns_in_year: Vec<u32> = Vec::new();
        for t in 0..turns {
            let y = year_of_turn(m, t);
            if years.last() != Some(&y) {
                years.push(y);
                turns_in_year.push(0);
            }
            *turns_in_year.last_mut().expect("pushed above") += 1;
        }

        let mut series = Vec::new();
        for s in f.series {
            if series.iter().any(|x: &Series| x.id == s.id) {
                self.error(
                    &s.id,
                    format!("series `{}` is defined twice", s.id),
                    Some("give each series a unique id".into()),
                );
            }
            let measure = match s.measure {
                MeasureFile::Var { var, agg } => self.var(&var).map(|var| Measure::Var { var, agg }),
                MeasureFile::Events(terms) => {
                    let mut out = Vec::new();
                    let mut ok = true;
                    for t in terms {
                        let ev: Vec<Option<usize>> = t.events.iter().map(|e| self.event(e)).collect();
                        let per: Vec<Option<PerEvent>> = t
                            .per_event
                            .into_iter()
                            .map(|f| match f {
                                Scale::Const(x) => Some(PerEvent::Const(x)),
                                Scale::Param(p) => self.param(&p).map(PerEvent::Param),
                                Scale::Var(v) => self.var(&v).map(PerEvent::Var),
                            })
                            .collect();
                        match (
                            ev.into_iter().collect::<Option<Vec<_>>>(),
                            per.into_iter().collect::<Option<Vec<_>>>(),
                        ) {
                            (Some(events), Some(per_event)) => out.push(Term { events, per_event }),
                            _ => ok = false,
                        }
                    }
                    ok.then_some(Measure::Events(out))
                }
                MeasureFile::Action { actor, action } => self
                    .action(&actor, &action)
                    .map(|(actor, action)| Measure::Action { actor, action }),
            };
            for o in &s.observed {
                if !years.contains(&o.year) {
                    self.error(
                        &s.id,
                        format!(
                            "series `{}` has an observation for {}, outside the hindcast years",
                            s.id, o.year
                        ),
                        None,
                    );
                }
            }
            if let Some(measure) = measure {
                series.push(Series {
                    id: s.id,
                    label: s.label,
                    unit: s.unit,
                    measure,
                    observed: s
                        .observed
                        .into_iter()
                        .map(|o| Observation {
                            year: o.year,
                            value: o.value,
                            source: o.source,
                        })
                        .collect(),
                    source: s.source,
                });
            }
        }
        let mut events_out = Vec::new();
        for g in f.events {
            let ev: Option<Vec<usize>> = g
                .events
                .iter()
                .map(|e| self.event(e))
                .collect::<Vec<_>>()
                .into_iter()
                .collect();
            let acts: Option<Vec<(usize, u8)>> = g
                .actions
                .iter()
                .map(|(actor, action)| self.action(actor, action))
                .collect::<Vec<_>>()
                .into_iter()
                .collect();
            if g.events.is_empty() && g.actions.is_empty() {
                self.error(
                    &g.id,
                    format!("event group `{}` lists no events and no actions", g.id),
                    None,
                );
            }
            if let (Some(events), Some(actions)) = (ev, acts) {
                events_out.push(EventGroup {
                    id: g.id,
                    events,
                    actions,
                });
            }
        }
        let events = events_out;
        let series_ids: Vec<String> = series.iter().map(|s| s.id.clone()).collect();
        let event_ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
        let mut targets = Vec::new();
        for t in f.targets {
            let mut checks = Vec::new();
            for c in t.checks {
                let yr = |r: &mut Self, y: i32| -> Option<usize> {
                    let i = years.iter().position(|&x| x == y);
                    if i.is_none() {
                        r.error(
                            &t.id,
                            format!("target `{}` refers to {y}, outside the hindcast years", t.id),
                            None,
                        );
                    }
                    i
                };
                let p95 = matches!(c.stat, StatFile::TotalP95 { .. });
                let stat = match c.stat {
                    StatFile::Mean { series, year } => {
                        let s = self.lookup("series", &series, series_ids.clone());
                        let y = yr(self, year);
                        s.zip(y).map(|(series, year)| Stat::Mean { series, year })
                    }
                    StatFile::Growth { series, year } => {
                        let s = self.lookup("series", &series, series_ids.clone());
                        let y = yr(self, year).filter(|&y| y > 0);
                        s.zip(y).map(|(series, year)| Stat::Growth { series, year })
                    }
                    StatFile::Ratio { series, year, over } => {
                        let s = self.lookup("series", &series, series_ids.clone());
                        let y = yr(self, year);
                        let o = yr(self, over);
                        match (s, y, o) {
                            (Some(series), Some(year), Some(over)) => Some(Stat::Ratio { series, year, over }),
                            _ => None,
                        }
                    }
                    StatFile::ProbBy { event, year } => {
                        let e = self.lookup("event group", &event, event_ids.clone());
                        let y = yr(self, year);
                        e.zip(y).map(|(event, year)| Stat::ProbBy { event, year })
                    }
                    StatFile::ProbIn { event, year } => {
                        let e = self.lookup("event group", &event, event_ids.clone());
                        let y = yr(self, year);
                        e.zip(y).map(|(event, year)| Stat::ProbIn { event, year })
                    }
                    StatFile::TotalMean { series, from, to } | StatFile::TotalP95 { series, from, to } => {
                        let s = self.lookup("series", &series, series_ids.clone());
                        let a = yr(self, from);
                        let b = yr(self, to);
                        match (s, a, b) {
                            (Some(series), Some(from), Some(to)) if from <= to => Some(if p95 {
                                Stat::TotalP95 { series, from, to }
                            } else {
                                Stat::TotalMean { series, from, to }
                            }),
                            _ => None,
                        }
                    }
                };
                if c.min.is_none() && c.max.is_none() {
                    self.error(
                        &t.id,
                        format!("a check of target `{}` has neither `min` nor `max`", t.id),
                        Some("give the band, e.g. `min: 0.7, max: 0.8`".into()),
                    );
                }
                if let Some(stat) = stat {
                    checks.push(Check {
                        stat,
                        min: c.min,
                        max: c.max,
                    });
                }
            }
            targets.push(Target {
                id: t.id,
                target: t.target,
                band: t.band,
                checks,
            });
        }
        Some(Record {
            origin: self.src.name.to_string(),
            sha256: String::new(),
            policy: policy?,
            turns,
            until_label: m.calendar.label(turns - 1),
            calibrated_through: f.calibrated_through,
            years,
            turns_in_year,
            series,
            events,
            targets,
        })
    }
}

/// Calendar year a turn falls in.
pub fn year_of_turn(model: &Model, turn: u32) -> i32 {
    (model.calendar.year(turn) + 1e-9).floor() as i32
}
