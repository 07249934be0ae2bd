//! The known present: anchoring each trial's pre-decision history to what is known about the years before the
//! decision date (`<scenario>.present.ron`, docs/present.md).
//!
//! Method. *Hard* facts are imposed as scheduled events: before the decision date an anchored event occurs in
//! exactly its listed quarters and in no other (through [`Control::events`], so the dice are rolled as in a free
//! turn and then overruled: no other random draw moves). *Soft* facts (a ratio of an event's yearly counts within a
//! band) are imposed by rejection over the pre-decision history only: a trial whose history leaves the band is
//! simulated again from new draws derived from (master seed, trial, attempt) alone, and a failing attempt stops at
//! the quarter its fact is decided, so a retry costs at most the history up to it. A trial that never fits in
//! `max_attempts` keeps its last attempt with weight 0. *Lever* facts (the US record in the baseline's schedule)
//! are checked once at load on the baseline history.
//!
//! Determinism: attempt 0 is the free trial (its streams are those of (seed, trial)); attempt *a* > 0 starts the
//! trial again with master seed `stream_seed(seed, trial, STREAM_PRESENT + a)`, so everything depends on
//! (seed, trial, attempt) only, never on threads. The accepted history is simulated once and forked per policy,
//! so every policy of a trial starts from the same anchored state (common random numbers).

use crate::model::sim::{Control, stream_seed};
use crate::model::time::Period;
use crate::model::{Model, TrialState};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The built-in scenario's present.
pub const DEFAULT_PRESENT: &str = include_str!("../scenarios/afghanistan.present.ron");
const DEFAULT_PRESENT_NAME: &str = "built-in afghanistan.present.ron";

/// Stream ids of the retries: attempt *a* reseeds the whole trial from `stream_seed(seed, trial, STREAM_PRESENT + a)`.
pub const STREAM_PRESENT: u64 = 5 << 56;

/// Most attempts a file may ask for (bounds the worst-case cost of a trial).
pub const MAX_ATTEMPTS: u32 = 1_000;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct PresentFile {
    max_attempts: u32,
    #[serde(default)]
    hard: Vec<HardFact>,
    #[serde(default)]
    soft: Vec<SoftFact>,
    #[serde(default)]
    levers: Vec<LeverFact>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct HardFact {
    id: String,
    event: String,
    occurs: Vec<String>,
    source: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SoftFact {
    id: String,
    event: String,
    year: i32,
    base_year: i32,
    #[serde(default)]
    others_per_year: f64,
    band: (f64, f64),
    source: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct LeverFact {
    id: String,
    lever: String,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    min: Option<f64>,
    #[serde(default)]
    max: Option<f64>,
    #[serde(default)]
    equals: Option<crate::scenario::schema::LeverValue>,
    source: String,
}

/// A soft fact resolved against a model: the ratio of `event`'s counts (less `others` a year) in the turns of
/// `year` over those of `base`, which must lie in `[lo, hi]`; decided at the end of turn `decided_at`.
#[derive(Debug, Clone)]
struct SoftCheck {
    event: usize,
    year: std::ops::Range<u32>,
    base: std::ops::Range<u32>,
    others: f64,
    lo: f64,
    hi: f64,
    decided_at: u32,
}

/// The anchoring of one model: what [`crate::experiment::runner::TrialDriver`] applies before the decision date.
#[derive(Debug)]
pub struct Anchor {
    /// Where the facts were read from, and the SHA-256 of that text.
    pub origin: String,
    pub sha256: String,
    pub max_attempts: u32,
    /// `forced[turn][event]` for every turn before the decision date.
    forced: Vec<Vec<Option<u32>>>,
    soft: Vec<SoftCheck>,
    file: PresentFile,
}

/// How one trial's history was anchored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchoring {
    /// Attempts simulated (1 = the free draws fitted the soft facts at once).
    pub attempts: u32,
    /// Whether the kept history satisfies every soft fact (weight 1) or not (weight 0, attempts exhausted).
    pub accepted: bool,
}

impl Anchoring {
    pub fn weight(&self) -> f64 {
        if self.accepted { 1.0 } else { 0.0 }
    }
}

/// Counts of the soft facts' events per year during one attempt.
pub struct Tally {
    counts: Vec<(f64, f64)>,
}

impl Anchor {
    /// The facts for a scenario: the built-in file for the built-in scenario, else `<stem>.present.ron` beside the
    /// scenario file (`None` if there is none: that scenario's history runs free).
    pub fn for_scenario(model: &Model, scenario: Option<&Path>) -> Result<Option<Anchor>> {
        match Anchor::source_for(scenario)? {
            Some((text, origin)) => Anchor::from_str(model, &text, &origin).map(Some),
            None => Ok(None),
        }
    }

    /// The text and origin of the present file [`Anchor::for_scenario`] reads (for callers that keep the text,
    /// as a wargame does in its sealed secret so that `replay` needs nothing outside the game folder).
    pub fn source_for(scenario: Option<&Path>) -> Result<Option<(String, String)>> {
        let Some(s) = scenario else {
            return Ok(Some((DEFAULT_PRESENT.to_string(), DEFAULT_PRESENT_NAME.to_string())));
        };
        let p = crate::scenario::companion(s, "present");
        if !p.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
        Ok(Some((text, p.display().to_string())))
    }

    /// Parse and resolve a present file against `model`.
    pub fn from_str(model: &Model, text: &str, origin: &str) -> Result<Anchor> {
        use sha2::{Digest, Sha256};
        let opts = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        let file: PresentFile = opts.from_str(text).map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
        let sha256 = Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let per = model.calendar.per_year;
        let decision = model.decision_turn;
        let event = |id: &str, fact: &str| -> Result<usize> {
            model
                .events
                .iter()
                .position(|e| e.id == id)
                .with_context(|| format!("{origin}: fact `{fact}`: no event `{id}` in the scenario"))
        };
        let turn_of = |label: &str, fact: &str| -> Result<u32> {
            let p = Period::parse(label, per).map_err(|e| anyhow::anyhow!("{origin}: fact `{fact}`: {e}"))?;
            let t = p.turns_since(model.calendar.start, per);
            if t < 0 || t >= decision as i64 {
                bail!(
                    "{origin}: fact `{fact}`: {label} is not between the start ({}) and the decision date ({})",
                    model.calendar.label(0),
                    model.calendar.label(decision)
                );
            }
            Ok(t as u32)
        };
        if file.max_attempts == 0 || file.max_attempts > MAX_ATTEMPTS {
            bail!("{origin}: max_attempts must be between 1 and {MAX_ATTEMPTS}");
        }
        let mut forced = vec![vec![None; model.events.len()]; decision as usize];
        for h in &file.hard {
            let e = event(&h.event, &h.id)?;
            if forced.first().is_some_and(|f| f[e].is_some()) {
                bail!("{origin}: event `{}` is anchored twice", h.event);
            }
            for f in forced.iter_mut() {
                f[e] = Some(0);
            }
            for q in &h.occurs {
                let t = turn_of(q, &h.id)?;
                forced[t as usize][e] = Some(1);
            }
            if model.events[e].once && h.occurs.len() > 1 {
                bail!("{origin}: fact `{}`: event `{}` happens at most once", h.id, h.event);
            }
        }
        let year_turns = |y: i32| -> std::ops::Range<u32> {
            let first = Period { year: y, sub: 1 }.turns_since(model.calendar.start, per).max(0) as u32;
            let end = Period { year: y + 1, sub: 1 }
                .turns_since(model.calendar.start, per)
                .max(0) as u32;
            first..end
        };
        let mut soft = Vec::new();
        for s in &file.soft {
            let e = event(&s.event, &s.id)?;
            let (year, base) = (year_turns(s.year), year_turns(s.base_year));
            if year.is_empty() || base.is_empty() || year.end.max(base.end) > decision {
                bail!(
                    "{origin}: fact `{}`: both years must lie between the start and the decision date",
                    s.id
                );
            }
            if s.band.0.is_nan() || s.band.1.is_nan() || s.band.0 > s.band.1 || s.band.0 < 0.0 {
                bail!(
                    "{origin}: fact `{}`: the band must be (low, high) with 0 <= low <= high",
                    s.id
                );
            }
            if forced[0][e].is_some() {
                bail!("{origin}: fact `{}`: event `{}` is also a hard fact", s.id, s.event);
            }
            soft.push(SoftCheck {
                event: e,
                decided_at: year.end.max(base.end) - 1,
                year,
                base,
                others: s.others_per_year,
                lo: s.band.0,
                hi: s.band.1,
            });
        }
        let anchor = Anchor {
            origin: origin.to_string(),
            sha256,
            max_attempts: file.max_attempts,
            forced,
            soft,
            file,
        };
        anchor.check_levers(model)?;
        Ok(anchor)
    }

    /// The lever facts, on the baseline's history of trial 0 (seed 1) up to the decision date: the baseline must
    /// reproduce the US record it is anchored to.
    fn check_levers(&self, model: &Model) -> Result<()> {
        let mut checks = Vec::new();
        for f in &self.file.levers {
            let l = model
                .levers
                .iter()
                .position(|l| l.id == f.lever)
                .with_context(|| format!("{}: fact `{}`: no lever `{}`", self.origin, f.id, f.lever))?;
            let from = match &f.from {
                Some(q) => {
                    let p = Period::parse(q, model.calendar.per_year).map_err(anyhow::Error::msg)?;
                    p.turns_since(model.calendar.start, model.calendar.per_year).max(0) as u32
                }
                None => 0,
            };
            let equals = match &f.equals {
                Some(v) => Some(
                    model.levers[l]
                        .encode(v)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", self.origin))?,
                ),
                None => None,
            };
            checks.push((f, l, from, equals));
        }
        if checks.is_empty() {
            return Ok(());
        }
        let mut st = model.new_trial(1, 0);
        while st.turn < model.decision_turn {
            let t = st.turn;
            model.step(&mut st, model.baseline);
            for (f, l, from, equals) in &checks {
                if t < *from {
                    continue;
                }
                let x = st.levers[*l];
                let ok = f.min.is_none_or(|m| x >= m) && f.max.is_none_or(|m| x <= m) && equals.is_none_or(|e| x == e);
                if !ok {
                    bail!(
                        "{}: fact `{}`: the baseline `{}` sets `{}` to {} in {}, which the record contradicts ({})",
                        self.origin,
                        f.id,
                        model.policies[model.baseline].id,
                        f.lever,
                        model.levers[*l].show(x),
                        model.calendar.label(t),
                        f.source
                    );
                }
            }
        }
        Ok(())
    }

    /// The control of turn `turn` (before the decision date): the anchored events' forced counts.
    pub fn forced(&self, turn: u32) -> Option<&[Option<u32>]> {
        self.forced.get(turn as usize).map(|v| v.as_slice())
    }

    /// Advance `st` one turn of the baseline, with the hard facts imposed.
    pub fn step(&self, model: &Model, st: &mut TrialState) {
        let mut ctl = Control {
            events: self.forced(st.turn),
            ..Default::default()
        };
        model.step_with(st, model.baseline, &mut ctl);
    }

    /// Turn `st` (an earlier attempt of trial `trial` of a run with master seed `seed`) into attempt `attempt`
    /// (≥ 1) in place: the whole trial drawn again from `stream_seed(seed, trial, STREAM_PRESENT + attempt)`,
    /// keeping the uncertainties if a design set them, with `drivers` (the ledger the trial started with, still
    /// empty) attached. The state is the one a fresh `new_trial_with_params` would give, in the old one's buffers.
    pub fn retry(
        &self,
        model: &Model,
        st: &mut TrialState,
        (seed, trial): (u64, u64),
        drivers: Option<Box<crate::model::drivers::DriverLedger>>,
        attempt: u32,
    ) {
        let master = stream_seed(seed, trial, STREAM_PRESENT + attempt as u64);
        model.restart_trial_keeping_params(st, master, trial);
        st.drivers = drivers;
    }

    pub fn tally(&self) -> Tally {
        Tally {
            counts: vec![(0.0, 0.0); self.soft.len()],
        }
    }

    /// Count turn `turn`'s events (`events`: that turn's occurrences) into `tally`; `false` once a soft fact is
    /// sure to fail: at the turn that decides it, or earlier when no count still to come can bring it into its band
    /// (the attempt can stop here).
    ///
    /// Stopping early changes no result: an attempt's history does not depend on when it is judged, a failed
    /// attempt is discarded (the next one draws from its own streams), and the last allowed attempt is finished
    /// to the fork whatever its verdict. It only saves simulating quarters (and a bargaining round) of histories
    /// already rejected — the anchoring repeats the history about 1.7 times per trial on the built-in scenario.
    pub fn observe(&self, tally: &mut Tally, turn: u32, events: &[u32]) -> bool {
        let mut ok = true;
        for (s, c) in self.soft.iter().zip(tally.counts.iter_mut()) {
            let n = f64::from(events[s.event]);
            if s.year.contains(&turn) {
                c.0 += n;
            }
            if s.base.contains(&turn) {
                c.1 += n;
            }
            if turn == s.decided_at {
                let ratio = soft_ratio(c.0, c.1, s.others);
                ok &= ratio >= s.lo && ratio <= s.hi;
            } else if turn + 1 >= s.base.end && turn < s.decided_at {
                ok &= s.still_possible(c.0, c.1);
            }
        }
        ok
    }

    /// The anchored history of the trial that starts at `st` (turn 0, from [`Model::new_trial`] or a design's
    /// uncertainties) up to `fork` under the baseline: attempts drawn until one fits the soft facts or
    /// `max_attempts` run out. `record(Some(state))` sees each simulated turn's end state and `record(None)` the
    /// start of every attempt (what an earlier attempt recorded is then void). One loop for every caller, so a
    /// run's trials and a wargame's start agree on what "anchored" means.
    pub fn history(
        &self,
        model: &Model,
        st: TrialState,
        fork: u32,
        mut record: impl FnMut(Option<&TrialState>),
    ) -> (TrialState, Anchoring) {
        // Attempt 1 is the free trial itself; each retry restarts the rejected attempt's state in place.
        let origin = st.origin();
        let drivers = st.drivers.clone();
        let mut s = st;
        let mut attempt = 0;
        loop {
            attempt += 1;
            record(None);
            let mut tally = self.tally();
            let mut ok = true;
            while s.turn < fork {
                let t = s.turn;
                self.step(model, &mut s);
                record(Some(&s));
                if !self.observe(&mut tally, t, &s.turn_events) {
                    ok = false;
                    break;
                }
            }
            if ok || attempt >= self.max_attempts {
                // A trial that never fits keeps its last attempt (weight 0), finished to the fork with the hard
                // facts still imposed.
                while s.turn < fork {
                    self.step(model, &mut s);
                    record(Some(&s));
                }
                return (
                    s,
                    Anchoring {
                        attempts: attempt,
                        accepted: ok,
                    },
                );
            }
            self.retry(model, &mut s, origin, drivers.clone(), attempt);
        }
    }

    /// What the manifest records of the anchoring (facts, sources, method); the caller adds the run's statistics.
    pub fn describe(&self) -> serde_json::Value {
        serde_json::json!({
            "file": self.origin,
            "sha256": self.sha256,
            "method": "hard facts imposed as scheduled events (forced event counts, dice still rolled); soft facts by rejection over the pre-decision history, retries seeded by (seed, trial, attempt); lever facts checked on the baseline at load",
            "max_attempts": self.max_attempts,
            "hard": self.file.hard,
            "soft": self.file.soft,
            "levers": self.file.levers,
        })
    }

    /// The soft facts' ids, for reports.
    pub fn soft_ids(&self) -> Vec<&str> {
        self.file.soft.iter().map(|s| s.id.as_str()).collect()
    }
}

impl SoftCheck {
    /// Whether the fact can still hold once its base year is complete (its count is final, and must be
    /// in the tally's second field) and `year` events of the checked year have been counted so far. Counts
    /// only grow, and [`soft_ratio`] never decreases as the year's count grows (IEEE division is monotone),
    /// so the final ratio is at least `soft_ratio(year, base)`: above `hi` already, the fact is lost. With an
    /// empty base (at most `others`), the final ratio is 1 while the year stays at most `others` and infinite
    /// after, so the fact is lost when neither is in the band.
    fn still_possible(&self, year: f64, base: f64) -> bool {
        if soft_ratio(year, base, self.others) > self.hi {
            return false;
        }
        if (base - self.others).max(0.0) > 0.0 {
            return true;
        }
        (self.lo <= 1.0 && 1.0 <= self.hi) || self.hi == f64::INFINITY
    }
}

/// The soft facts' ratio: (year − others) / (base − others), each count floored at 0; infinite when the base is 0
/// and the year is not.
fn soft_ratio(year: f64, base: f64, others: f64) -> f64 {
    let (y, b) = ((year - others).max(0.0), (base - others).max(0.0));
    if b > 0.0 {
        y / b
    } else if y > 0.0 {
        f64::INFINITY
    } else {
        1.0
    }
}

/// Statistics of an anchored run, read back from its `decision_state.csv` (so a resumed or merged run reports the
/// same as an uninterrupted one).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub trials: u64,
    pub accepted: u64,
    pub attempts_total: u64,
    pub attempts_max: u32,
    /// Trials accepted over attempts simulated: the chance that one free history fits the soft facts.
    pub acceptance_rate: f64,
    pub mean_attempts: f64,
}

impl Stats {
    /// From a `decision_state.csv` (its `trial`, `weight` and `attempts` columns; the first policy's rows, since a
    /// trial's anchored history is shared by every policy).
    pub fn from_csv(path: &Path) -> Result<Stats> {
        use std::io::BufRead;
        let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let mut lines = std::io::BufReader::new(f).lines();
        let header = lines.next().context("empty decision_state.csv")??;
        let cols: Vec<&str> = header.split(',').collect();
        let col = |n: &str| {
            cols.iter()
                .position(|c| *c == n)
                .with_context(|| format!("no `{n}` column"))
        };
        let (pc, wc, ac) = (col("policy")?, col("weight")?, col("attempts")?);
        let mut st = Stats::default();
        let mut first_policy: Option<String> = None;
        for line in lines {
            let line = line?;
            let f: Vec<&str> = line.split(',').collect();
            let p = f.get(pc).context("short row")?;
            match &first_policy {
                None => first_policy = Some(p.to_string()),
                Some(fp) if fp != p => continue,
                _ => {}
            }
            let w: f64 = f.get(wc).context("short row")?.parse()?;
            let a: u32 = f.get(ac).context("short row")?.parse()?;
            st.trials += 1;
            st.accepted += u64::from(w > 0.0);
            st.attempts_total += u64::from(a);
            st.attempts_max = st.attempts_max.max(a);
        }
        st.acceptance_rate = st.accepted as f64 / (st.attempts_total.max(1)) as f64;
        st.mean_attempts = st.attempts_total as f64 / (st.trials.max(1)) as f64;
        Ok(st)
    }
}

/// Attach the scenario's known present to `model` (unless `free`), as `run` and `compare` do. Returns the
/// suffix the run's design name gets (so `--resume` and `merge` tell anchored and free runs apart) and the
/// manifest's description of the anchoring.
pub fn attach(
    model: &mut Model,
    scenario: Option<&Path>,
    free: bool,
    quiet: bool,
) -> Result<(String, Option<serde_json::Value>)> {
    if free {
        return Ok((", free_history".into(), None));
    }
    match Anchor::for_scenario(model, scenario)? {
        Some(a) => {
            let suffix = format!(", anchored={}", &a.sha256[..12]);
            let describe = a.describe();
            model.present = Some(std::sync::Arc::new(a));
            Ok((suffix, Some(describe)))
        }
        None => {
            if !quiet {
                eprintln!(
                    "greatgame: note: no <scenario>.present.ron beside the scenario; the history before the decision \
                     date runs free (see docs/present.md)"
                );
            }
            Ok((", free_history".into(), None))
        }
    }
}

/// The manifest's anchoring entry with a finished run's statistics from its `decision_state.csv` (if written).
pub fn manifest_entry(describe: &serde_json::Value, decision_csv: Option<&Path>) -> Result<serde_json::Value> {
    let mut v = describe.clone();
    if let (Some(p), Some(obj)) = (decision_csv, v.as_object_mut()) {
        obj.insert("statistics".into(), serde_json::to_value(Stats::from_csv(p)?)?);
    }
    Ok(v)
}

/// Where an evaluator streams `decision_state.csv` rows, in trial order (shared by the chunk loop of a paired run).
#[derive(Clone)]
pub struct DecisionWriter(std::sync::Arc<std::sync::Mutex<Box<dyn std::io::Write + Send>>>);

impl std::fmt::Debug for DecisionWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DecisionWriter")
    }
}

impl DecisionWriter {
    pub fn new(w: Box<dyn std::io::Write + Send>) -> Self {
        DecisionWriter(std::sync::Arc::new(std::sync::Mutex::new(w)))
    }

    pub fn write(&self, bytes: &[u8]) -> Result<()> {
        let mut w = self
            .0
            .lock()
            .map_err(|_| anyhow::anyhow!("decision_state.csv writer poisoned"))?;
        w.write_all(bytes).context("writing decision_state.csv")
    }

    pub fn flush(&self) -> Result<()> {
        let mut w = self
            .0
            .lock()
            .map_err(|_| anyhow::anyhow!("decision_state.csv writer poisoned"))?;
        w.flush().context("writing decision_state.csv")
    }
}

/// The rows of one finished trial (every policy slot) into `out`, from the driver that ran it.
pub fn trial_rows(
    out: &mut Vec<u8>,
    model: &Model,
    policies: &[usize],
    trial: u64,
    driver: &crate::experiment::runner::TrialDriver,
) {
    let anchored = anchored(model, policies);
    for (slot, &policy) in policies.iter().enumerate() {
        let (vars, counts) = driver.decision_state(model, slot);
        let a = anchored.then(|| {
            driver.anchoring().unwrap_or(Anchoring {
                attempts: 0,
                accepted: false,
            })
        });
        decision_row(out, &model.policies[policy].id, trial, a, vars, counts);
    }
}

/// Whether a run of `policies` on `model` is anchored (so `decision_state.csv` has weights).
pub fn anchored(model: &Model, policies: &[usize]) -> bool {
    model.present.is_some() && model.fork_turn(policies) == model.decision_turn
}

/// Header of `decision_state.csv`: policy, trial, (weight, attempts when anchored), each state variable, each
/// event's cumulative count (`count.<event>`), at the start of the decision date's turn.
pub fn decision_header(model: &Model, anchored: bool) -> String {
    let mut h = String::from("policy,trial");
    if anchored {
        h.push_str(",weight,attempts");
    }
    for v in &model.vars {
        h.push(',');
        h.push_str(&v.id);
    }
    for e in &model.events {
        h.push_str(",count.");
        h.push_str(&e.id);
    }
    h.push('\n');
    h
}

/// One row of `decision_state.csv`.
pub fn decision_row(
    out: &mut Vec<u8>,
    policy: &str,
    trial: u64,
    anchoring: Option<Anchoring>,
    vars: &[f64],
    counts: &[u32],
) {
    use std::fmt::Write as _;
    let mut line = String::with_capacity(64 + 12 * (vars.len() + counts.len()));
    let _ = write!(line, "{policy},{trial}");
    if let Some(a) = anchoring {
        let _ = write!(line, ",{},{}", a.weight(), a.attempts);
    }
    for x in vars {
        let _ = write!(line, ",{x}");
    }
    for n in counts {
        let _ = write!(line, ",{n}");
    }
    line.push('\n');
    out.extend_from_slice(line.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        crate::scenario::load(None).unwrap().model
    }

    #[test]
    fn the_built_in_present_resolves_and_forces_russia_in_2025q3_only() {
        let m = model();
        let a = Anchor::for_scenario(&m, None).unwrap().unwrap();
        let ru = m.events.iter().position(|e| e.id == "recognition_russia").unwrap();
        let us = m.events.iter().position(|e| e.id == "recognition_us").unwrap();
        let q3 = Period::parse("2025Q3", 4).unwrap().turns_since(m.calendar.start, 4) as u32;
        for t in 0..m.decision_turn {
            assert_eq!(a.forced(t).unwrap()[ru], Some(u32::from(t == q3)), "turn {t}");
            assert_eq!(a.forced(t).unwrap()[us], Some(0));
        }
        assert!(
            a.forced(m.decision_turn).is_none(),
            "nothing is forced from the decision date on"
        );
    }

    #[test]
    fn the_ratio_subtracts_other_groups_and_handles_an_empty_base() {
        assert_eq!(soft_ratio(250.0, 150.0, 50.0), 2.0);
        assert_eq!(soft_ratio(10.0, 0.0, 0.0), f64::INFINITY);
        assert_eq!(soft_ratio(0.0, 0.0, 0.0), 1.0);
    }

    /// The early stop never rejects a history the final check would accept: for every base count, count so far and
    /// count still to come, "not possible" implies the final ratio is out of the band; and it does stop some.
    #[test]
    fn an_early_stop_only_rejects_what_the_final_check_rejects() {
        for (lo, hi, others) in [(1.3, 2.8, 60.0), (0.5, 1.5, 10.0), (1.3, 50.0, 5.0), (0.0, 0.9, 0.0)] {
            let s = SoftCheck {
                event: 0,
                year: 4..8,
                base: 0..4,
                others,
                lo,
                hi,
                decided_at: 7,
            };
            let mut stopped = 0;
            for base in (0..=160).step_by(4) {
                for so_far in (0..=300).step_by(3) {
                    let (base, so_far) = (f64::from(base), f64::from(so_far));
                    if s.still_possible(so_far, base) {
                        continue;
                    }
                    stopped += 1;
                    for more in 0..=400 {
                        let r = soft_ratio(so_far + f64::from(more), base, others);
                        assert!(
                            !(r >= lo && r <= hi),
                            "band ({lo}, {hi}), others {others}: stopped at {so_far} of base {base}, \
                             but {more} more would pass ({r})"
                        );
                    }
                }
            }
            assert!(stopped > 0, "band ({lo}, {hi}): the early stop never fires");
        }
    }

    #[test]
    fn a_baseline_that_contradicts_a_lever_fact_is_refused() {
        let m = model();
        let text = DEFAULT_PRESENT.replace("max: 0.1", "max: 0.01");
        let err = Anchor::from_str(&m, &text, "test").unwrap_err().to_string();
        assert!(
            err.contains("us_aid_cut_2025") && err.contains("humanitarian_aid"),
            "{err}"
        );
        let text = DEFAULT_PRESENT.replace("\"2025Q3\"", "\"2027Q1\"");
        assert!(
            Anchor::from_str(&m, &text, "test").is_err(),
            "a fact after the decision date is refused"
        );
    }
}
