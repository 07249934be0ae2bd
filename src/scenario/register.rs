//! The coefficient register: every number in a scenario's model sections, with
//! a stable id, its source, a kind and a plausible range (docs/register.md).
//!
//! Registration is generic on purpose. The parsed scenario is serialised to a
//! JSON tree (every schema type derives `Serialize`) and walked: every number
//! is a coefficient, and every string in an expression field (see
//! [`EXPR_FIELDS`]) contributes its numeric literals. A new section or field
//! is registered without code here; only a new *expression* field name needs
//! adding to [`EXPR_FIELDS`], a new section holding no coefficients to
//! [`SKIP_SECTIONS`], and a new field that only fixes structure to
//! [`STRUCTURAL_FIELDS`].
//!
//! The same tree is how a coefficient is varied: [`Register::file_with`] writes
//! new values into a copy of the tree (a field, or a literal's text inside its
//! expression) and deserialises it back; [`crate::model::coefficients`]
//! compiles that into a model. Nothing is written for nominal runs, so they are
//! untouched.

use super::diagnostics::{Diagnostic, SourceFile};
use super::expr;
use super::locate::{Anchor, Locator};
use super::schema::ScenarioFile;
use serde_json::Value;
use std::collections::BTreeMap;
use std::ops::Range;

/// Sections whose numbers are not model coefficients: the run's frame (`meta`), the
/// declared uncertainties (already factors of their own, with distributions), the
/// outcomes' windows, the policies (the decisions being compared, not the model)
/// and the bibliography.
pub const SKIP_SECTIONS: &[&str] = &["meta", "uncertainties", "outcomes", "policies", "sources"];

/// Fields holding expressions whose numeric literals are coefficients. Enum
/// variants holding an expression (an event's `Logistic(...)`) count by the
/// variant's name.
pub const EXPR_FIELDS: &[&str] = &[
    "drift",
    "value",
    "mean",
    "change",
    "when",
    "rationality",
    "capability",
    "position",
    "salience",
    "Logistic",
    "Probability",
    "Poisson",
];

/// Fields whose numbers fix the model's structure rather than a strength: bounds,
/// the unit an interest weight refers to, initial-state distributions (their
/// spread is already drawn per trial), lever kinds and defaults, bargaining
/// switches and schedules. Registered with kind `structural` and never varied.
pub const STRUCTURAL_FIELDS: &[&str] = &["min", "max", "per", "initial", "kind", "default", "options", "schedule"];

/// Fields whose numbers live on a fixed scale: default ranges are cut to it.
pub const BOUNDED_FIELDS: &[(&str, f64, f64)] =
    &[("rate", 0.0, 1.0), ("position", 0.0, 100.0), ("salience", 0.0, 100.0)];

/// Public series a source may name (lower case), which makes a number `series`.
const SERIES: &[&str] = &[
    "[record]",
    "acled",
    "world bank",
    "unhcr",
    "iom",
    "imf",
    "unama",
    "wfp",
    "ocha",
    "ipc",
    "sigar",
];

/// Default relative half-widths of the range, per kind (see docs/register.md).
pub const SEED_SPREAD: f64 = 0.3;
pub const SERIES_SPREAD: f64 = 0.2;
pub const FITTED_SPREAD: f64 = 0.2;
pub const JUDGEMENT_SPREAD: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// The source cites one of the articles by key.
    Seed,
    /// The source names a public series or the calibration record.
    Series,
    /// The source says the number was fitted (calibrated) to the record.
    Fitted,
    /// Anything else.
    Judgement,
    /// A number that fixes structure (see [`STRUCTURAL_FIELDS`], and literals 0 and 1,
    /// exponents and calendar years in expressions); never varied.
    Structural,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Seed => "seed",
            Kind::Series => "series",
            Kind::Fitted => "fitted",
            Kind::Judgement => "judgement",
            Kind::Structural => "structural",
        }
    }

    /// The default relative half-width of a number of this kind.
    pub fn spread(self) -> f64 {
        match self {
            Kind::Seed => SEED_SPREAD,
            Kind::Series => SERIES_SPREAD,
            Kind::Fitted => FITTED_SPREAD,
            Kind::Judgement => JUDGEMENT_SPREAD,
            Kind::Structural => 0.0,
        }
    }
}

/// One step into the JSON tree.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// One number of the scenario.
#[derive(Debug, Clone)]
pub struct Coefficient {
    /// Stable path, e.g. `actors.taliban.actions.crack_down_isisk.cost` or
    /// `variables.gdp_index.drift#3` (the third literal of the drift).
    pub id: String,
    pub value: f64,
    pub low: f64,
    pub high: f64,
    pub kind: Kind,
    /// The nearest `source` text of the item holding the number.
    pub source: String,
    /// The group it is varied with under `--factors groups`.
    pub group: String,
    /// The range comes from a `ranges:` entry in the scenario.
    pub explicit: bool,
    path: Vec<Step>,
    /// For an expression literal: its byte range in the expression string.
    span: Option<Range<usize>>,
}

impl Coefficient {
    /// Varied by `--factors coefficients|groups` (not structural, and a range of some width).
    pub fn varies(&self) -> bool {
        self.kind != Kind::Structural && self.high > self.low
    }
}

/// Every number of a scenario.
#[derive(Debug, Clone)]
pub struct Register {
    pub rows: Vec<Coefficient>,
    tree: Value,
}

/// An item's explicit `ranges:` (key relative to the item → (low, high)), the length of
/// the id path at the item, and the item's id path.
type ItemRanges = (BTreeMap<String, (f64, f64)>, usize, Vec<String>);

/// Walk state: what the path so far says.
#[derive(Clone, Default)]
struct Ctx {
    ids: Vec<String>,
    path: Vec<Step>,
    /// For each array element on the path: its index in `ids` and whether it has an `id`.
    items: Vec<(usize, bool)>,
    source: Option<String>,
    /// The nearest `ranges:` map and the length of `ids` at its item.
    ranges: Option<ItemRanges>,
    structural: bool,
}

impl Register {
    /// Build the register of a parsed scenario. `text` and `name` locate errors in
    /// explicit ranges (an unknown coefficient, a range that excludes its value).
    pub fn build(file: &ScenarioFile, text: &str, name: &str) -> Result<Register, Vec<Diagnostic>> {
        let tree = serde_json::to_value(file).map_err(|e| {
            vec![SourceFile { name, text }.at(None, format!("cannot walk the scenario for its register: {e}"), None)]
        })?;
        let articles: Vec<String> = file
            .sources
            .iter()
            .filter(|s| s.key != "record")
            .map(|s| format!("[{}]", s.key))
            .collect();
        let mut rows = Vec::new();
        let mut used: Vec<(Vec<String>, String)> = Vec::new();
        if let Value::Object(sections) = &tree {
            for (sec, v) in sections {
                if SKIP_SECTIONS.contains(&sec.as_str()) {
                    continue;
                }
                let ctx = Ctx {
                    ids: vec![sec.clone()],
                    path: vec![Step::Key(sec.clone())],
                    ..Ctx::default()
                };
                walk(v, &ctx, &articles, &mut rows, &mut used);
            }
        }
        cap_saliences(&mut rows);
        let mut reg = Register { rows, tree };
        reg.check_ranges(file, text, name, &used)?;
        Ok(reg)
    }

    /// Every `ranges:` key must name a coefficient of its item, and every explicit
    /// range must hold its value.
    fn check_ranges(
        &mut self,
        _file: &ScenarioFile,
        text: &str,
        name: &str,
        used: &[(Vec<String>, String)],
    ) -> Result<(), Vec<Diagnostic>> {
        let src = SourceFile { name, text };
        let loc = Locator::new(text);
        let mut errs = Vec::new();
        // Every declared key, per item.
        let mut declared: Vec<(Vec<String>, String, f64, f64)> = Vec::new();
        collect_ranges(&self.tree, &mut Vec::new(), &mut declared);
        let anchor = |ids: &[String], key: &str| {
            let mut path: Vec<Anchor> = vec![Anchor::Section(&ids[0])];
            path.extend(ids[1..].iter().map(|s| Anchor::Id(s.split('~').next().unwrap_or(s))));
            path.push(Anchor::Field("ranges"));
            path.push(Anchor::Str(key));
            loc.find(&path)
        };
        for (item, key, lo, hi) in &declared {
            let matched = used.iter().any(|(i, k)| i == item && k == key);
            if !matched {
                let here: Vec<String> = self
                    .rows
                    .iter()
                    .filter_map(|r| {
                        let prefix = format!("{}.", item.join("."));
                        r.id.strip_prefix(&prefix).map(str::to_string)
                    })
                    .filter(|k| !k.is_empty())
                    .collect();
                let hint = super::diagnostics::closest(key, &here)
                    .map(|c| format!("did you mean `{c}`? (`greatgame list --coefficients` lists every id)"))
                    .unwrap_or_else(|| {
                        "keys are coefficient ids relative to the item, e.g. `cost` or `drift#2`; `greatgame list \
                         --coefficients` lists every id"
                            .into()
                    });
                errs.push(src.at(
                    anchor(item, key),
                    format!("`ranges` names `{key}`, which is not a number of `{}`", item.join(".")),
                    Some(hint),
                ));
                continue;
            }
            if !(lo.is_finite() && hi.is_finite()) || lo > hi {
                errs.push(src.at(
                    anchor(item, key),
                    format!("the range of `{key}` is ({lo}, {hi}): low must not exceed high"),
                    Some("write `\"KEY\": (LOW, HIGH)` with LOW <= HIGH".into()),
                ));
                continue;
            }
            let full = format!("{}.{key}", item.join("."));
            if let Some(r) = self.rows.iter().find(|r| r.id == full)
                && !(r.low <= r.value && r.value <= r.high)
            {
                errs.push(src.at(
                    anchor(item, key),
                    format!("the range of `{key}` is ({lo}, {hi}), which excludes its value {}", r.value),
                    Some("a range is what the number could plausibly be; it must contain the value the scenario uses".into()),
                ));
            }
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }

    /// Rows that `--factors coefficients` varies, optionally only those whose id
    /// contains `pattern` (a plain substring; `*` matches any run of characters).
    pub fn varied(&self, pattern: Option<&str>) -> Vec<usize> {
        (0..self.rows.len())
            .filter(|&i| self.rows[i].varies() && pattern.is_none_or(|p| matches(p, &self.rows[i].id)))
            .collect()
    }

    /// The groups of the varied rows (in first-appearance order), each with its rows.
    pub fn groups(&self, pattern: Option<&str>) -> Vec<(String, Vec<usize>)> {
        let mut out: Vec<(String, Vec<usize>)> = Vec::new();
        for i in self.varied(pattern) {
            let g = &self.rows[i].group;
            match out.iter_mut().find(|(name, _)| name == g) {
                Some((_, rows)) => rows.push(i),
                None => out.push((g.clone(), vec![i])),
            }
        }
        out
    }

    /// The scenario with the given coefficients (row index, new value) replaced;
    /// everything else is the parsed file exactly (JSON numbers round-trip).
    pub fn file_with(&self, values: &[(usize, f64)]) -> anyhow::Result<ScenarioFile> {
        let mut tree = self.tree.clone();
        // Literals are replaced right to left within one string so earlier spans stay valid.
        let mut order: Vec<&(usize, f64)> = values.iter().collect();
        order.sort_by(|a, b| {
            let (ra, rb) = (&self.rows[a.0], &self.rows[b.0]);
            let sa = ra.span.as_ref().map_or(0, |s| s.start);
            let sb = rb.span.as_ref().map_or(0, |s| s.start);
            sb.cmp(&sa)
        });
        for &&(i, v) in &order {
            let row = &self.rows[i];
            let slot = get_mut(&mut tree, &row.path)
                .ok_or_else(|| anyhow::anyhow!("coefficient `{}` has no place in the scenario", row.id))?;
            match &row.span {
                // Whole-number fields (counts, steps) stay whole numbers.
                None if slot.is_u64() => *slot = serde_json::json!(v.round().max(0.0) as u64),
                None if slot.is_i64() => *slot = serde_json::json!(v.round() as i64),
                None => *slot = serde_json::json!(v),
                Some(span) => {
                    let Value::String(s) = slot else {
                        anyhow::bail!("coefficient `{}` is not inside an expression", row.id);
                    };
                    // A negative replacement is parenthesised so `x - -0.2` never appears.
                    let text = if v < 0.0 { format!("({v:?})") } else { format!("{v:?}") };
                    s.replace_range(span.clone(), &text);
                }
            }
        }
        Ok(serde_json::from_value(tree)?)
    }
}

/// Whether `id` matches any of the comma-separated `patterns` (each a substring, or a
/// whole-id pattern with `*` wildcards).
pub fn matches(patterns: &str, id: &str) -> bool {
    patterns
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .any(|p| matches_one(p, id))
}

fn matches_one(pattern: &str, id: &str) -> bool {
    if !pattern.contains('*') {
        return id.contains(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut pos = 0usize;
    for (k, p) in parts.iter().enumerate() {
        if p.is_empty() {
            continue;
        }
        if k == 0 {
            if !id.starts_with(p) {
                return false;
            }
            pos = p.len();
        } else if k == parts.len() - 1 {
            return id.len() >= pos + p.len() && id[pos..].ends_with(p);
        } else {
            match id[pos..].find(p) {
                Some(i) => pos += i + p.len(),
                None => return false,
            }
        }
    }
    pattern.ends_with('*') || pos == id.len() || parts.len() == 1
}

fn get_mut<'a>(v: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    let mut cur = v;
    for s in path {
        cur = match s {
            Step::Key(k) => cur.get_mut(k.as_str())?,
            Step::Index(i) => cur.get_mut(*i)?,
        };
    }
    Some(cur)
}

/// The key naming an array element in ids: its `id`, else what it is about.
fn item_key(obj: &serde_json::Map<String, Value>, index: usize) -> String {
    let s = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_string);
    if let Some(id) = s("id") {
        return id;
    }
    if let (Some(a), Some(b)) = (s("actor"), s("action")) {
        return format!("{a}.{b}");
    }
    for k in ["on", "var", "dimension", "lever", "date"] {
        if let Some(v) = s(k) {
            return v;
        }
    }
    index.to_string()
}

fn kind_of(source: &str, articles: &[String]) -> Kind {
    let low = source.to_lowercase();
    if low.contains("fitted") || low.contains("calibrated") {
        Kind::Fitted
    } else if articles.iter().any(|a| low.contains(a.as_str())) {
        Kind::Seed
    } else if SERIES.iter().any(|s| low.contains(s)) {
        Kind::Series
    } else {
        Kind::Judgement
    }
}

/// The group of a number: the second-level item it belongs to when that item has an
/// `id` (an action: all its numbers together), else the top-level item and the
/// field under it (a variable's drift; an actor's interests; a lever's effects).
fn group_of(ctx: &Ctx) -> String {
    let upto = match ctx.items.as_slice() {
        [_, (at, true), ..] => *at + 1,
        [(at, _), ..] => (*at + 2).min(ctx.ids.len()),
        [] => ctx.ids.len().min(2),
    };
    let g = ctx.ids[..upto].join(".");
    // A literal's `#k` names the number, not its group: `variables.x.drift#3` is in `variables.x.drift`.
    match g.rfind('#') {
        Some(i) if !g[i..].contains('.') => g[..i].to_string(),
        _ => g,
    }
}

fn walk(v: &Value, ctx: &Ctx, articles: &[String], rows: &mut Vec<Coefficient>, used: &mut Vec<(Vec<String>, String)>) {
    match v {
        Value::Number(n) => {
            let Some(x) = n.as_f64() else { return };
            let structural = ctx.structural;
            push(ctx, x, None, structural, articles, rows, used);
        }
        Value::Array(items) => {
            let mut seen: BTreeMap<String, usize> = BTreeMap::new();
            for (i, item) in items.iter().enumerate() {
                let mut c = ctx.clone();
                c.path.push(Step::Index(i));
                match item {
                    Value::Object(obj) => {
                        let mut key = item_key(obj, i);
                        let n = seen.entry(key.clone()).or_insert(0);
                        *n += 1;
                        if *n > 1 {
                            key = format!("{key}~{n}");
                        }
                        c.items.push((c.ids.len(), obj.contains_key("id")));
                        c.ids.push(key);
                        walk_object(obj, &c, articles, rows, used);
                    }
                    _ => {
                        c.ids.push(i.to_string());
                        walk(item, &c, articles, rows, used);
                    }
                }
            }
        }
        Value::Object(obj) => walk_object(obj, ctx, articles, rows, used),
        _ => {}
    }
}

fn walk_object(
    obj: &serde_json::Map<String, Value>,
    ctx: &Ctx,
    articles: &[String],
    rows: &mut Vec<Coefficient>,
    used: &mut Vec<(Vec<String>, String)>,
) {
    let mut here = ctx.clone();
    if let Some(Value::String(s)) = obj.get("source") {
        here.source = Some(s.clone());
    }
    if let Some(Value::Object(r)) = obj.get("ranges") {
        let map = r
            .iter()
            .filter_map(|(k, v)| {
                let lo = v.get(0)?.as_f64()?;
                let hi = v.get(1)?.as_f64()?;
                Some((k.clone(), (lo, hi)))
            })
            .collect();
        here.ranges = Some((map, here.ids.len(), here.ids.clone()));
    }
    // An enum variant (`{"Logistic": "..."}`, `{"Uniform": [..]}`) adds no id segment.
    let variant = obj.len() == 1
        && obj
            .keys()
            .next()
            .is_some_and(|k| k.starts_with(|c: char| c.is_uppercase()));
    for (k, v) in obj {
        if k == "ranges" || k == "source" {
            continue;
        }
        let mut c = here.clone();
        c.path.push(Step::Key(k.clone()));
        if !variant {
            c.ids.push(k.clone());
        }
        if STRUCTURAL_FIELDS.contains(&k.as_str()) {
            c.structural = true;
        }
        match v {
            Value::String(s) if EXPR_FIELDS.contains(&k.as_str()) => {
                for (n, lit) in expr::literals(s).into_iter().enumerate() {
                    let mut lc = c.clone();
                    let last = lc.ids.pop().unwrap_or_default();
                    lc.ids.push(format!("{last}#{}", n + 1));
                    let year = lit.value.fract() == 0.0 && (1900.0..=2200.0).contains(&lit.value);
                    let structural = c.structural || lit.value == 0.0 || lit.value == 1.0 || lit.exponent || year;
                    push(&lc, lit.value, Some(lit.span), structural, articles, rows, used);
                }
            }
            _ => walk(v, &c, articles, rows, used),
        }
    }
}

fn push(
    ctx: &Ctx,
    value: f64,
    span: Option<Range<usize>>,
    structural: bool,
    articles: &[String],
    rows: &mut Vec<Coefficient>,
    used: &mut Vec<(Vec<String>, String)>,
) {
    let source = ctx
        .source
        .clone()
        .unwrap_or_else(|| "judgement (no source given)".into());
    let id = ctx.ids.join(".");
    let explicit = ctx.ranges.as_ref().and_then(|(map, at, item)| {
        let rel = ctx.ids[*at..].join(".");
        map.get(&rel).map(|r| {
            used.push((item.clone(), rel.clone()));
            *r
        })
    });
    let (kind, low, high) = if let Some((lo, hi)) = explicit {
        // An explicit range makes even a 0 or 1 a coefficient: the author says it can move.
        let k = kind_of(&source, articles);
        (k, lo, hi)
    } else if structural || value == 0.0 {
        (Kind::Structural, value, value)
    } else {
        let k = kind_of(&source, articles);
        let s = k.spread();
        let (a, b) = (value * (1.0 - s), value * (1.0 + s));
        let (mut lo, mut hi) = (a.min(b), a.max(b));
        // Fields with a scale of their own keep their ranges on it (a reversion rate is a
        // share of the gap closed per turn; KTAB positions and saliences run 0-100).
        let field = ctx.ids.last().map(|f| f.split('#').next().unwrap_or(f)).unwrap_or("");
        if let Some((_, a, b)) = BOUNDED_FIELDS.iter().find(|(f, _, _)| *f == field) {
            lo = lo.max(*a);
            hi = hi.min(*b);
        }
        (k, lo, hi)
    };
    rows.push(Coefficient {
        id,
        value,
        low,
        high,
        kind,
        source,
        group: group_of(ctx),
        explicit: explicit.is_some(),
        path: ctx.path.clone(),
        span,
    });
}

/// Every `ranges:` entry in the tree: (item ids, key, low, high).
fn collect_ranges(v: &Value, ids: &mut Vec<String>, out: &mut Vec<(Vec<String>, String, f64, f64)>) {
    match v {
        Value::Object(obj) => {
            if let Some(Value::Object(r)) = obj.get("ranges") {
                for (k, x) in r {
                    let lo = x.get(0).and_then(Value::as_f64).unwrap_or(f64::NAN);
                    let hi = x.get(1).and_then(Value::as_f64).unwrap_or(f64::NAN);
                    out.push((ids.clone(), k.clone(), lo, hi));
                }
            }
            let variant = obj.len() == 1
                && obj
                    .keys()
                    .next()
                    .is_some_and(|k| k.starts_with(|c: char| c.is_uppercase()));
            for (k, x) in obj {
                if k == "ranges" {
                    continue;
                }
                if ids.is_empty() && SKIP_SECTIONS.contains(&k.as_str()) {
                    continue;
                }
                if !variant {
                    ids.push(k.clone());
                }
                collect_ranges(x, ids, out);
                if !variant {
                    ids.pop();
                }
            }
        }
        Value::Array(items) => {
            let mut seen: BTreeMap<String, usize> = BTreeMap::new();
            for (i, item) in items.iter().enumerate() {
                let key = match item {
                    Value::Object(obj) => {
                        let key = item_key(obj, i);
                        let n = seen.entry(key.clone()).or_insert(0);
                        *n += 1;
                        if *n > 1 { format!("{key}~{n}") } else { key }
                    }
                    _ => i.to_string(),
                };
                ids.push(key);
                collect_ranges(item, ids, out);
                ids.pop();
            }
        }
        _ => {}
    }
}

/// A bargainer's saliences add up to at most 100 (docs/bargaining.md): the default
/// range of each salience literal is capped so that all of one bargainer's
/// saliences at the top of their ranges together still add up to at most 100.
/// (Exact for constant saliences; an expression's other terms are not counted, and
/// [`crate::model::coefficients::CoefficientSpace::new`] compiles the extremes to
/// catch what this misses.)
fn cap_saliences(rows: &mut [Coefficient]) {
    let owner = |r: &Coefficient| -> Option<String> {
        let at = r.id.find(".stances.")?;
        let leaf = r.id.rsplit('.').next()?;
        leaf.starts_with("salience#").then(|| r.id[..at].to_string())
    };
    let mut totals: BTreeMap<String, f64> = BTreeMap::new();
    for r in rows.iter() {
        if let Some(o) = owner(r) {
            *totals.entry(o).or_insert(0.0) += r.value;
        }
    }
    for r in rows.iter_mut() {
        if let Some(o) = owner(r)
            && !r.explicit
            && r.kind != Kind::Structural
        {
            let total = totals[&o];
            if total > 0.0 {
                r.high = r.high.min((r.value * 100.0 / total).max(r.value));
            }
        }
    }
}
