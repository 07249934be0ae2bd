//! From the file's serde types to the engine's [`Model`]: resolve names,
//! compile expressions, check ranges and limits, and collect every problem
//! with its position.

use super::citations;
use super::diagnostics::{Diagnostic, SourceFile, closest};
use super::expr::{self, ExprError, Scope, Symbol, Ty};
use super::locate::{Anchor, Locator};
use super::schema::{self, Hazard, LeverKind, Measure, ScenarioFile};
use crate::model::dist::{Sampler, support};
use crate::model::time::{Calendar, Period};
use crate::model::*;
use std::collections::HashMap;

/// What kind of thing a name denotes (for duplicate-name messages).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Var,
    Param,
    Lever,
    Event,
    Actor,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Var => "state variable",
            Kind::Param => "uncertainty",
            Kind::Lever => "lever",
            Kind::Event => "event",
            Kind::Actor => "actor",
        }
    }
    fn section(self) -> &'static str {
        match self {
            Kind::Var => "variables",
            Kind::Param => "uncertainties",
            Kind::Lever => "levers",
            Kind::Event => "events",
            Kind::Actor => "actors",
        }
    }
}

struct Names {
    map: HashMap<String, Symbol>,
    order: Vec<String>,
}

impl Scope for Names {
    fn lookup(&self, name: &str) -> Option<Symbol> {
        self.map.get(name).cloned()
    }
    fn candidates(&self) -> Vec<String> {
        self.order.clone()
    }
}

struct Compiler<'a> {
    src: SourceFile<'a>,
    loc: Locator<'a>,
    diags: Vec<Diagnostic>,
}

impl<'a> Compiler<'a> {
    fn error(&mut self, path: &[Anchor], message: impl Into<String>, hint: Option<String>) {
        let off = self.loc.find(path);
        let d = self.src.at(off, message, hint);
        self.diags.push(d);
    }

    /// Compile an expression, reporting errors at their exact position.
    fn expr(&mut self, path: &[Anchor], text: &str, names: &Names, want: Ty, what: &str) -> Program {
        match expr::compile(text, names, want) {
            Ok(p) => p,
            Err(ExprError { offset, message, hint }) => {
                let mut full: Vec<Anchor> = path.to_vec();
                full.push(Anchor::Str(text));
                let base = self.loc.find(&full);
                let at_expr = base.filter(|b| self.src.text[*b..].starts_with(text));
                let off = at_expr.map(|b| b + offset).or(base);
                let d = self.src.at(off, format!("in {what}: {message}"), hint);
                self.diags.push(d);
                Program::constant(0.0)
            }
        }
    }

    fn source_present(&mut self, path: &[Anchor], s: &str, what: &str) {
        if s.trim().is_empty() {
            self.error(
                path,
                format!("{what} has an empty `source`"),
                Some(
                    "say where the number comes from: a cited work (e.g. \"[safian-2023]\", declared in `sources`), a public series, or \"judgement\""
                        .into(),
                ),
            );
        }
    }
}

/// The (actor, action) an incentive names, or `None` after an error at the wrong name (anchored under `at`,
/// the message prefixed with `ctx` when there is one) with a did-you-mean hint. Lever incentives and world-view
/// incentives name their targets the same way, so they are checked the same way.
#[allow(clippy::too_many_arguments)]
fn incentive_target(
    c: &mut Compiler,
    file: &ScenarioFile,
    kinds: &HashMap<String, (Kind, usize)>,
    order: &[String],
    at: &[Anchor],
    ctx: Option<&str>,
    actor: &str,
    action: &str,
) -> Option<(usize, usize)> {
    let prefixed = |m: String| match ctx {
        Some(w) => format!("{w}: {m}"),
        None => m,
    };
    let anchored = |name| {
        let mut a = at.to_vec();
        a.push(Anchor::Str(name));
        a
    };
    let a = match resolve(kinds, order, actor, Kind::Actor) {
        Ok(a) => a,
        Err((m, h)) => {
            c.error(&anchored(actor), prefixed(m), h);
            return None;
        }
    };
    let acts: Vec<String> = file.actors[a].actions.iter().map(|x| x.id.clone()).collect();
    let Some(k) = acts.iter().position(|x| x == action) else {
        let hint = closest(action, &acts)
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| format!("actions of `{actor}`: {}", acts.join(", ")));
        c.error(
            &anchored(action),
            prefixed(format!("actor `{actor}` has no action `{action}`")),
            Some(hint),
        );
        return None;
    };
    Some((a, k))
}

fn resolve(
    names: &HashMap<String, (Kind, usize)>,
    order: &[String],
    name: &str,
    want: Kind,
) -> Result<usize, (String, Option<String>)> {
    match names.get(name) {
        Some((k, i)) if *k == want => Ok(*i),
        Some((k, _)) => Err((format!("`{name}` is a {}, not a {}", k.noun(), want.noun()), None)),
        None => {
            let same: Vec<String> = order
                .iter()
                .filter(|n| names.get(*n).map(|(k, _)| *k) == Some(want))
                .cloned()
                .collect();
            let hint = closest(name, &same)
                .map(|c| format!("did you mean `{c}`?"))
                .or_else(|| {
                    if same.is_empty() {
                        None
                    } else {
                        Some(format!("known {}s: {}", want.noun(), same.join(", ")))
                    }
                });
            Err((format!("unknown {} `{name}`", want.noun()), hint))
        }
    }
}

/// Compile a parsed scenario. `file_name` and `text` are used for positions.
pub fn compile(file: &ScenarioFile, file_name: &str, text: &str) -> Result<Model, Vec<Diagnostic>> {
    compile_checked(file, file_name, text, true)
}

/// Compile `file`, a variant of the scenario `text` that differs from it only in register values (a coefficient
/// design point, a calibrated ensemble member), when `text` itself already compiled without a diagnostic. The
/// checks that read only `text` and the declared sources — the citation scan of the whole text — are skipped:
/// they gave no diagnostic on `text` and cannot give one now, and an ensemble compiles hundreds of members at
/// start-up. Everything that depends on the changed values is checked as by [`compile`].
pub fn compile_variant(file: &ScenarioFile, file_name: &str, text: &str) -> Result<Model, Vec<Diagnostic>> {
    compile_checked(file, file_name, text, false)
}

fn compile_checked(
    file: &ScenarioFile,
    file_name: &str,
    text: &str,
    text_checks: bool,
) -> Result<Model, Vec<Diagnostic>> {
    let mut c = Compiler {
        src: SourceFile { name: file_name, text },
        loc: Locator::new(text),
        diags: Vec::new(),
    };

    // ---- calendar -------------------------------------------------------
    let meta = &file.meta;
    let per_year = meta.turns_per_year;
    if !(1..=12).contains(&per_year) {
        c.error(
            &[Anchor::Field("turns_per_year")],
            format!("turns_per_year must be between 1 and 12, got {per_year}"),
            None,
        );
    }
    let per_year = per_year.clamp(1, 12);
    let date = |c: &mut Compiler, path: &[Anchor], s: &str| -> Option<Period> {
        match Period::parse(s, per_year) {
            Ok(p) => Some(p),
            Err(msg) => {
                let mut full = path.to_vec();
                full.push(Anchor::Str(s));
                c.error(&full, msg, None);
                None
            }
        }
    };
    let start = date(&mut c, &[Anchor::Field("start")], &meta.start).unwrap_or(Period { year: 2000, sub: 1 });
    let calendar = Calendar { start, per_year };
    let horizon = date(&mut c, &[Anchor::Field("horizon")], &meta.horizon).unwrap_or(start);
    let decision = date(&mut c, &[Anchor::Field("decision")], &meta.decision).unwrap_or(start);
    let last = horizon.turns_since(start, per_year);
    if last < 0 {
        c.error(&[Anchor::Field("horizon")], "the horizon is before the start", None);
    }
    let turns = (last + 1).max(1);
    if turns > MAX_TURNS as i64 {
        c.error(
            &[Anchor::Field("horizon")],
            format!("{turns} turns from start to horizon; the limit is {MAX_TURNS}"),
            Some("move the horizon closer or use fewer turns per year".into()),
        );
    }
    let turns = turns.clamp(1, MAX_TURNS as i64) as u32;
    let decision_turn = decision.turns_since(start, per_year);
    if decision_turn < 0 || decision_turn >= turns as i64 {
        c.error(
            &[Anchor::Field("decision")],
            "the decision date must lie between the start and the horizon",
            None,
        );
    }
    let decision_turn = decision_turn.clamp(0, turns as i64 - 1) as u32;
    let turn_of = |c: &mut Compiler, path: &[Anchor], s: &Option<String>, default: u32| -> u32 {
        match s {
            None => default,
            Some(s) => match Period::parse(s, per_year) {
                Ok(p) => p.turns_since(start, per_year).clamp(0, turns as i64 - 1) as u32,
                Err(msg) => {
                    let mut full = path.to_vec();
                    full.push(Anchor::Str(s));
                    c.error(&full, msg, None);
                    default
                }
            },
        }
    };

    // ---- names ----------------------------------------------------------
    if file.actors.len() > MAX_ACTORS {
        c.error(
            &[Anchor::Section("actors")],
            format!("{} actors; the limit is {MAX_ACTORS}", file.actors.len()),
            None,
        );
    }
    let mut kinds: HashMap<String, (Kind, usize)> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let reserved = [
        "turn", "year", "true", "false", "if", "then", "else", "and", "or", "not", "min", "max", "clamp", "abs", "exp",
        "ln", "sqrt", "logistic",
    ];
    let mut declare = |c: &mut Compiler, kind: Kind, id: &str, idx: usize| {
        let path = [Anchor::Section(kind.section()), Anchor::Id(id)];
        let valid = !id.is_empty()
            && id
                .chars()
                .next()
                .is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_')
            && id.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
        if !valid {
            c.error(
                &path,
                format!("`{id}` is not a valid id"),
                Some("ids use letters, digits and underscores and start with a letter, e.g. `isisk_strength`".into()),
            );
        } else if reserved.contains(&id) {
            c.error(
                &path,
                format!("`{id}` is a reserved word in expressions"),
                Some("choose another id".into()),
            );
        }
        if let Some((k, _)) = kinds.get(id) {
            c.error(
                &path,
                format!("`{id}` is declared twice (already a {})", k.noun()),
                Some("ids must be unique across variables, uncertainties, levers, events and actors".into()),
            );
        } else {
            kinds.insert(id.to_string(), (kind, idx));
            order.push(id.to_string());
        }
    };
    for (i, v) in file.variables.iter().enumerate() {
        declare(&mut c, Kind::Var, &v.id, i);
    }
    for (i, v) in file.uncertainties.iter().enumerate() {
        declare(&mut c, Kind::Param, &v.id, i);
    }
    for (i, v) in file.levers.iter().enumerate() {
        declare(&mut c, Kind::Lever, &v.id, i);
    }
    for (i, v) in file.events.iter().enumerate() {
        declare(&mut c, Kind::Event, &v.id, i);
    }
    for (i, v) in file.actors.iter().enumerate() {
        declare(&mut c, Kind::Actor, &v.id, i);
    }
    let layout = SlotLayout::new(file);
    let mut scope = Names {
        map: HashMap::new(),
        order: order.clone(),
    };
    for (name, (kind, i)) in &kinds {
        let i16 = *i as u16;
        let sym = match kind {
            Kind::Var => Symbol::Var(i16),
            Kind::Param => Symbol::Param(i16),
            Kind::Event => Symbol::Event(i16),
            Kind::Actor => Symbol::Actor(
                i16,
                file.actors[*i].actions.iter().map(|a| a.id.clone()).collect(),
                layout.action_slot[*i].iter().map(|&s| s as u16).collect(),
            ),
            Kind::Lever => match &file.levers[*i].kind {
                LeverKind::Bool => Symbol::BoolLever(i16),
                LeverKind::Level(..) => Symbol::LevelLever(i16),
                LeverKind::Enum(opts) => Symbol::EnumLever(i16, opts.clone()),
            },
        };
        scope.map.insert(name.clone(), sym);
    }
    let var_idx = |c: &mut Compiler, path: &[Anchor], name: &str| -> u16 {
        match resolve(&kinds, &order, name, Kind::Var) {
            Ok(i) => i as u16,
            Err((m, h)) => {
                let mut full = path.to_vec();
                full.push(Anchor::Str(name));
                c.error(&full, m, h);
                0
            }
        }
    };

    // ---- variables --------------------------------------------------------
    let mut vars = Vec::new();
    for v in &file.variables {
        let path = [Anchor::Section("variables"), Anchor::Id(&v.id)];
        if !(v.min.is_finite() && v.max.is_finite() && v.min < v.max) {
            c.error(
                &[path[0], path[1], Anchor::Field("min")],
                format!(
                    "variable `{}`: bounds must be finite with min < max (got {} .. {})",
                    v.id, v.min, v.max
                ),
                None,
            );
        }
        let sampler = match Sampler::new(&v.initial) {
            Ok(s) => s,
            Err(m) => {
                c.error(
                    &[path[0], path[1], Anchor::Field("initial")],
                    format!("variable `{}`: {m}", v.id),
                    None,
                );
                Sampler::Fixed(v.min)
            }
        };
        let (lo, hi) = support(&v.initial);
        if lo.is_finite() && hi.is_finite() && (lo < v.min || hi > v.max) {
            c.error(
                &[path[0], path[1], Anchor::Field("initial")],
                format!(
                    "variable `{}`: initial values {lo} .. {hi} fall outside its bounds {} .. {}",
                    v.id, v.min, v.max
                ),
                Some("widen min/max or narrow the initial distribution".into()),
            );
        }
        if !(v.noise.is_finite() && v.noise >= 0.0) {
            c.error(
                &[path[0], path[1], Anchor::Field("noise")],
                format!("variable `{}`: noise must be a non-negative number", v.id),
                None,
            );
        }
        if let Some(r) = v.reversion
            && !(r.rate.is_finite() && (0.0..=1.0).contains(&r.rate) && r.toward.is_finite())
        {
            c.error(
                &[path[0], path[1], Anchor::Field("rate")],
                format!("variable `{}`: reversion rate must be in [0, 1], got {}", v.id, r.rate),
                Some("a rate of 0.1 moves a tenth of the way back each turn".into()),
            );
        }
        c.source_present(&path, &v.source, &format!("variable `{}`", v.id));
        let drift = v
            .drift
            .as_ref()
            .map(|d| c.expr(&path, d, &scope, Ty::Num, &format!("the drift of `{}`", v.id)));
        vars.push(VarDef {
            id: v.id.clone(),
            label: v.label.clone(),
            unit: v.unit.clone(),
            min: v.min,
            max: v.max,
            initial: sampler,
            reversion: v.reversion.map(|r| (r.rate, r.toward)),
            drift,
            noise: v.noise.max(0.0),
            key: v.key,
            source: v.source.clone(),
        });
    }

    // ---- uncertainties ------------------------------------------------------
    let mut params = Vec::new();
    for u in &file.uncertainties {
        let path = [Anchor::Section("uncertainties"), Anchor::Id(&u.id)];
        let sampler = match Sampler::new(&u.dist) {
            Ok(s) => s,
            Err(m) => {
                c.error(
                    &[path[0], path[1], Anchor::Field("dist")],
                    format!("uncertainty `{}`: {m}", u.id),
                    None,
                );
                Sampler::Fixed(0.0)
            }
        };
        c.source_present(&path, &u.source, &format!("uncertainty `{}`", u.id));
        params.push(ParamDef {
            id: u.id.clone(),
            label: u.label.clone(),
            dist: u.dist,
            sampler,
            source: u.source.clone(),
        });
    }

    // ---- levers ---------------------------------------------------------
    let mut levers = Vec::new();
    let mut incentives: Vec<(usize, usize, Program)> = Vec::new();
    for l in &file.levers {
        let path = [Anchor::Section("levers"), Anchor::Id(&l.id)];
        let kind = match &l.kind {
            LeverKind::Bool => LeverKindDef::Bool,
            LeverKind::Level(lo, hi) => {
                if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                    c.error(
                        &[path[0], path[1], Anchor::Field("kind")],
                        format!("lever `{}`: Level(min, max) needs min < max", l.id),
                        None,
                    );
                }
                LeverKindDef::Level(*lo, *hi)
            }
            LeverKind::Enum(opts) => {
                if opts.is_empty() {
                    c.error(
                        &[path[0], path[1], Anchor::Field("kind")],
                        format!("lever `{}`: an Enum needs at least one option", l.id),
                        None,
                    );
                }
                let mut seen = std::collections::HashSet::new();
                for o in opts {
                    if !seen.insert(o) {
                        c.error(
                            &[path[0], path[1], Anchor::Str(o)],
                            format!("lever `{}`: option `{o}` is listed twice", l.id),
                            None,
                        );
                    }
                }
                LeverKindDef::Enum(if opts.is_empty() {
                    vec!["none".into()]
                } else {
                    opts.clone()
                })
            }
        };
        let mut def = LeverDef {
            id: l.id.clone(),
            label: l.label.clone(),
            kind,
            default: 0.0,
            effects: Vec::new(),
            source: l.source.clone(),
        };
        match def.encode(&l.default) {
            Ok(v) => def.default = v,
            Err(m) => c.error(
                &[path[0], path[1], Anchor::Field("default")],
                format!("default of {m}"),
                None,
            ),
        }
        for e in &l.effects {
            let v = var_idx(&mut c, &path, &e.var);
            let p = c.expr(
                &path,
                &e.change,
                &scope,
                Ty::Num,
                &format!("an effect of lever `{}`", l.id),
            );
            def.effects.push((v, p));
        }
        for inc in &l.incentives {
            let Some((a, k)) = incentive_target(&mut c, file, &kinds, &order, &path, None, &inc.actor, &inc.action)
            else {
                continue;
            };
            let p = c.expr(
                &path,
                &inc.value,
                &scope,
                Ty::Num,
                &format!("an incentive of lever `{}`", l.id),
            );
            c.source_present(&path, &inc.source, &format!("an incentive of lever `{}`", l.id));
            incentives.push((a, k, p));
        }
        c.source_present(&path, &l.source, &format!("lever `{}`", l.id));
        levers.push(def);
    }

    // ---- actors -----------------------------------------------------------
    let mut actors = Vec::new();
    for (ai, a) in file.actors.iter().enumerate() {
        let path = [Anchor::Section("actors"), Anchor::Id(&a.id)];
        let rationality = c.expr(
            &path,
            &a.rationality,
            &scope,
            Ty::Num,
            &format!("the rationality of `{}`", a.id),
        );
        if let Some(r) = rationality.as_const()
            && r < 0.0
        {
            c.error(
                &[path[0], path[1], Anchor::Field("rationality")],
                format!("actor `{}`: rationality must not be negative", a.id),
                Some("0 means choosing at random; larger values mean choosing the best option more reliably".into()),
            );
        }
        let mut var_weights = vec![0.0; file.variables.len()];
        let mut event_weights = Vec::new();
        let mut interests = Vec::new();
        for it in &a.interests {
            let ipath = [path[0], path[1], Anchor::Str(&it.on)];
            let field = |f| [path[0], path[1], Anchor::Str(&it.on), Anchor::Field(f)];
            if !it.weight.is_finite() {
                c.error(
                    &field("weight"),
                    format!("actor `{}`: weight {} on `{}` is not a number", a.id, it.weight, it.on),
                    Some("a weight is the points gained from a rise of `per` in the variable".into()),
                );
            }
            match kinds.get(&it.on) {
                Some((Kind::Var, vi)) => {
                    // Points per unit of the variable, from the interest alone:
                    // the declared bounds only clamp, they never scale a preference.
                    let v = &file.variables[*vi];
                    match it.per {
                        Some(per) if per.is_finite() && per > 0.0 => {
                            var_weights[*vi] += it.weight / per;
                        }
                        Some(per) => c.error(
                            &field("per"),
                            format!("actor `{}`: `per` {per} on `{}` must be a positive number", a.id, it.on),
                            Some(format!(
                                "`per` is the change in `{}` ({}) that the weight refers to",
                                it.on, v.unit
                            )),
                        ),
                        None => c.error(
                            &ipath,
                            format!(
                                "actor `{}`: the interest in `{}` does not say what change its weight refers to",
                                a.id, it.on
                            ),
                            Some(format!(
                                "add `per:` in the variable's units ({}), e.g. `weight: {}, per: {}` \
                                 gives the weight the meaning it had when interests were scaled \
                                 to 1% of the declared range {}..{}",
                                v.unit,
                                it.weight,
                                ron_number((v.max - v.min) / 100.0),
                                v.min,
                                v.max
                            )),
                        ),
                    }
                }
                Some((Kind::Event, ei)) => {
                    if it.per.is_some() {
                        c.error(
                            &field("per"),
                            format!("actor `{}`: the interest in event `{}` has a `per`", a.id, it.on),
                            Some(
                                "an event interest's weight is per percentage point of the event's \
                                 hazard; remove `per`"
                                    .into(),
                            ),
                        );
                    }
                    event_weights.push((*ei as u16, it.weight));
                }
                _ => {
                    let cands: Vec<String> = order
                        .iter()
                        .filter(|n| matches!(kinds.get(*n), Some((Kind::Var | Kind::Event, _))))
                        .cloned()
                        .collect();
                    let hint = closest(&it.on, &cands)
                        .map(|s| format!("did you mean `{s}`?"))
                        .or(Some("interests are on state variables or events".into()));
                    c.error(
                        &ipath,
                        format!("actor `{}`: unknown state variable or event `{}`", a.id, it.on),
                        hint,
                    );
                }
            }
            c.source_present(
                &ipath,
                &it.source,
                &format!("the interest of `{}` in `{}`", a.id, it.on),
            );
            interests.push(InterestDef {
                on: it.on.clone(),
                weight: it.weight,
                per: it.per,
                source: it.source.clone(),
            });
        }
        if a.actions.is_empty() || a.actions.len() > MAX_ACTIONS {
            c.error(
                &[path[0], path[1], Anchor::Field("actions")],
                format!(
                    "actor `{}` has {} actions; it needs 1 to {MAX_ACTIONS}",
                    a.id,
                    a.actions.len()
                ),
                None,
            );
        }
        let lined = a.actions.iter().any(|x| x.line.is_some());
        if !lined && !a.actions.is_empty() && a.actions.iter().all(|x| x.when.is_some()) {
            c.error(
                &[path[0], path[1], Anchor::Field("actions")],
                format!(
                    "every action of `{}` has a `when` condition, so it could be left with no move",
                    a.id
                ),
                Some("give at least one action (e.g. `hold`) no `when`".into()),
            );
        }
        let mut actions = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for act in &a.actions {
            let apath = [path[0], path[1], Anchor::Id(&act.id)];
            if !seen.insert(&act.id) {
                c.error(
                    &apath,
                    format!("actor `{}` has two actions named `{}`", a.id, act.id),
                    None,
                );
            }
            let what = format!("action `{}.{}`", a.id, act.id);
            let when = act
                .when
                .as_ref()
                .map(|w| c.expr(&apath, w, &scope, Ty::Bool, &format!("the condition of {what}")));
            if !(act.cost.is_finite() && act.cost >= 0.0) {
                c.error(
                    &[apath[0], apath[1], apath[2], Anchor::Field("cost")],
                    format!("{what}: cost must be a non-negative number"),
                    None,
                );
            }
            let mut bonus = Vec::new();
            if let Some(v) = &act.value {
                bonus.push(c.expr(&apath, v, &scope, Ty::Num, &format!("the value of {what}")));
            }
            let mut effects = Vec::new();
            for e in &act.effects {
                let var = var_idx(&mut c, &apath, &e.var);
                let mean = c.expr(&apath, &e.mean, &scope, Ty::Num, &format!("an effect of {what}"));
                if !(e.sd.is_finite() && e.sd >= 0.0) {
                    c.error(
                        &[apath[0], apath[1], apath[2], Anchor::Field("sd")],
                        format!("{what}: sd must be a non-negative number"),
                        None,
                    );
                }
                effects.push(EffectDef {
                    var,
                    mean,
                    sd: e.sd.max(0.0),
                });
            }
            if lined {
                if act.id == "hold" {
                    c.error(
                        &apath,
                        format!(
                            "actor `{}` has lines of effort, so it cannot have an explicit `hold` action",
                            a.id
                        ),
                        Some("remove it: each line has an implicit hold (no action on that line this turn)".into()),
                    );
                } else if act.line.is_none() {
                    let names = layout.lines[ai].join(", ");
                    c.error(
                        &apath,
                        format!(
                            "action `{}.{}` has no `line`, but other actions of `{}` do",
                            a.id, act.id, a.id
                        ),
                        Some(format!(
                            "in an actor with lines every action belongs to one: add `line: \"...\"` (lines so far: {names})"
                        )),
                    );
                }
            }
            if let Some(line) = &act.line {
                let valid = line.chars().next().is_some_and(|ch| ch.is_ascii_alphabetic())
                    && line.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
                if !valid {
                    c.error(
                        &[apath[0], apath[1], apath[2], Anchor::Field("line")],
                        format!("{what}: `{line}` is not a valid line name"),
                        Some(
                            "line names use letters, digits and underscores and start with a letter, e.g. `security`"
                                .into(),
                        ),
                    );
                }
            }
            c.source_present(&apath, &act.source, &what);
            actions.push(ActionDef {
                id: act.id.clone(),
                label: act.label.clone(),
                when,
                cost: act.cost.max(0.0),
                bonus,
                effects,
                source: act.source.clone(),
                line: act.line.clone(),
                slot: layout.action_slot[ai][actions.len()],
            });
        }
        for (ia, k, p) in &incentives {
            if *ia == ai && *k < actions.len() {
                actions[*k].bonus.push(p.clone());
            }
        }
        actors.push(ActorDef {
            id: a.id.clone(),
            name: a.name.clone(),
            rationality,
            var_weights,
            event_weights,
            interests,
            actions,
            slots: layout.actor_slots[ai].clone(),
            lined,
        });
    }

    // ---- events -----------------------------------------------------------
    let mut events = Vec::new();
    for e in &file.events {
        let path = [Anchor::Section("events"), Anchor::Id(&e.id)];
        let what = format!("the hazard of event `{}`", e.id);
        let hazard = match &e.hazard {
            Hazard::Logistic(x) => HazardDef::Logistic(c.expr(&path, x, &scope, Ty::Num, &what)),
            Hazard::Probability(x) => {
                let p = c.expr(&path, x, &scope, Ty::Num, &what);
                if let Some(v) = p.as_const()
                    && !(0.0..=1.0).contains(&v)
                {
                    c.error(
                        &[path[0], path[1], Anchor::Str(x)],
                        format!("event `{}`: probability {v} is outside [0, 1]", e.id),
                        Some("per-turn probabilities lie between 0 and 1; for counts use Poisson(rate)".into()),
                    );
                }
                HazardDef::Probability(p)
            }
            Hazard::Poisson(x) => {
                let p = c.expr(&path, x, &scope, Ty::Num, &what);
                if let Some(v) = p.as_const()
                    && v < 0.0
                {
                    c.error(
                        &[path[0], path[1], Anchor::Str(x)],
                        format!("event `{}`: a Poisson rate cannot be negative ({v})", e.id),
                        None,
                    );
                }
                HazardDef::Poisson(p)
            }
        };
        let mut consequences = Vec::new();
        for ch in &e.consequences {
            let v = var_idx(&mut c, &path, &ch.var);
            consequences.push((
                v,
                c.expr(
                    &path,
                    &ch.change,
                    &scope,
                    Ty::Num,
                    &format!("a consequence of event `{}`", e.id),
                ),
            ));
        }
        c.source_present(&path, &e.source, &format!("event `{}`", e.id));
        events.push(EventDef {
            id: e.id.clone(),
            label: e.label.clone(),
            hazard,
            once: e.once,
            consequences,
            source: e.source.clone(),
        });
    }

    // ---- shocks -----------------------------------------------------------
    let mut shocks = Vec::new();
    for s in &file.shocks {
        let path = [Anchor::Section("shocks"), Anchor::Str(&s.label)];
        let turn = turn_of(&mut c, &path, &Some(s.date.clone()), 0);
        let mut effects = Vec::new();
        for ch in &s.effects {
            let v = var_idx(&mut c, &path, &ch.var);
            effects.push((
                v,
                c.expr(&path, &ch.change, &scope, Ty::Num, &format!("shock `{}`", s.label)),
            ));
        }
        c.source_present(&path, &s.source, &format!("shock `{}`", s.label));
        shocks.push(ShockDef {
            turn,
            label: s.label.clone(),
            effects,
            source: s.source.clone(),
        });
    }

    // ---- outcomes -----------------------------------------------------------
    let mut outcomes = Vec::new();
    let mut seen_outcomes = std::collections::HashSet::new();
    for o in &file.outcomes {
        let path = [Anchor::Section("outcomes"), Anchor::Id(&o.id)];
        if !seen_outcomes.insert(&o.id) {
            c.error(&path, format!("outcome `{}` is declared twice", o.id), None);
        }
        let res = |c: &mut Compiler, name: &str, kind: Kind| -> u16 {
            match resolve(&kinds, &order, name, kind) {
                Ok(i) => i as u16,
                Err((m, h)) => {
                    c.error(
                        &[path[0], path[1], Anchor::Str(name)],
                        format!("outcome `{}`: {m}", o.id),
                        h,
                    );
                    0
                }
            }
        };
        let measure = match &o.measure {
            Measure::Final(v) => MeasureDef::Final(res(&mut c, v, Kind::Var)),
            Measure::Mean(v) => MeasureDef::Mean(res(&mut c, v, Kind::Var)),
            Measure::Min(v) => MeasureDef::Min(res(&mut c, v, Kind::Var)),
            Measure::Max(v) => MeasureDef::Max(res(&mut c, v, Kind::Var)),
            Measure::Total(v) => MeasureDef::Total(res(&mut c, v, Kind::Var)),
            Measure::Count(e) => MeasureDef::Count(res(&mut c, e, Kind::Event)),
            Measure::PerYear(e) => MeasureDef::PerYear(res(&mut c, e, Kind::Event)),
            Measure::Occurs(e) => MeasureDef::Occurs(res(&mut c, e, Kind::Event)),
            Measure::ActionCount(a, act) => {
                let ai = res(&mut c, a, Kind::Actor);
                let acts: Vec<String> = file
                    .actors
                    .get(ai as usize)
                    .map(|x| x.actions.iter().map(|y| y.id.clone()).collect())
                    .unwrap_or_default();
                let k = match acts.iter().position(|x| x == act) {
                    Some(k) => k as u16,
                    None => {
                        let hint = closest(act, &acts).map(|s| format!("did you mean `{s}`?"));
                        c.error(
                            &[path[0], path[1], Anchor::Str(act)],
                            format!("outcome `{}`: actor `{a}` has no action `{act}`", o.id),
                            hint,
                        );
                        0
                    }
                };
                MeasureDef::ActionCount(ai, k)
            }
        };
        let from_turn = turn_of(&mut c, &path, &o.from, decision_turn);
        let to_turn = turn_of(&mut c, &path, &o.to, turns - 1);
        if from_turn > to_turn {
            c.error(
                &[path[0], path[1], Anchor::Field("from")],
                format!("outcome `{}`: window starts after it ends", o.id),
                None,
            );
        }
        outcomes.push(OutcomeDef {
            id: o.id.clone(),
            label: o.label.clone(),
            unit: o.unit.clone(),
            description: o.description.clone().unwrap_or_default(),
            kind: o.kind,
            measure,
            from_turn,
            to_turn,
        });
    }
    if outcomes.is_empty() {
        c.error(
            &[Anchor::Section("outcomes")],
            "the scenario declares no outcomes",
            Some("add at least one outcome to measure".into()),
        );
    }

    // ---- policies -----------------------------------------------------------
    let sources = compile_sources(&mut c, &file.sources);
    let source_keys: Vec<String> = sources.iter().map(|s| s.key.clone()).collect();
    if text_checks {
        check_citations(&mut c, &source_keys);
    }
    let policy_ids: Vec<String> = file.policies.iter().map(|p| p.id.clone()).collect();
    let mut policies = Vec::new();
    let mut n_rules = 0usize;
    for (pi, p) in file.policies.iter().enumerate() {
        let path = [Anchor::Section("policies"), Anchor::Id(&p.id)];
        if policy_ids[..pi].contains(&p.id) {
            c.error(&path, format!("policy `{}` is declared twice", p.id), None);
        }
        let inherits = p
            .inherits
            .as_ref()
            .and_then(|name| match policy_ids.iter().position(|x| x == name) {
                Some(i) if i != pi => Some(i),
                Some(_) => {
                    c.error(
                        &[path[0], path[1], Anchor::Field("inherits")],
                        format!("policy `{}` inherits from itself", p.id),
                        None,
                    );
                    None
                }
                None => {
                    let hint = closest(name, &policy_ids).map(|s| format!("did you mean `{s}`?"));
                    c.error(
                        &[path[0], path[1], Anchor::Str(name)],
                        format!("policy `{}` inherits from unknown policy `{name}`", p.id),
                        hint,
                    );
                    None
                }
            });
        let mut rules = Vec::new();
        let mut rules_by_lever = vec![Vec::new(); levers.len()];
        for r in &p.rules {
            let rpath = [path[0], path[1], Anchor::Str(&r.lever)];
            let li = match resolve(&kinds, &order, &r.lever, Kind::Lever) {
                Ok(i) => i,
                Err((m, h)) => {
                    c.error(&rpath, format!("policy `{}`: {m}", p.id), h);
                    continue;
                }
            };
            let value = match levers[li].encode(&r.value) {
                Ok(v) => v,
                Err(m) => {
                    c.error(
                        &[rpath[0], rpath[1], rpath[2], Anchor::Field("value")],
                        format!("policy `{}`: {m}", p.id),
                        None,
                    );
                    0.0
                }
            };
            let from_turn = turn_of(&mut c, &rpath, &r.from, 0);
            let until_turn = turn_of(&mut c, &rpath, &r.until, turns - 1);
            if from_turn > until_turn {
                c.error(
                    &[rpath[0], rpath[1], rpath[2], Anchor::Field("until")],
                    format!("policy `{}`: a rule on `{}` ends before it starts", p.id, r.lever),
                    None,
                );
            }
            let when = r.when.as_ref().map(|w| {
                c.expr(
                    &rpath,
                    w,
                    &scope,
                    Ty::Bool,
                    &format!("a condition of policy `{}`", p.id),
                )
            });
            if r.passage.trim().is_empty() {
                c.error(
                    &rpath,
                    format!("policy `{}`: the rule on `{}` has an empty `passage`", p.id, r.lever),
                    Some("cite the passage of the source the rule rests on".into()),
                );
            }
            if r.sticky && r.when.is_none() {
                c.error(
                    &[rpath[0], rpath[1], rpath[2], Anchor::Field("sticky")],
                    format!("policy `{}`: `sticky` only makes sense with a `when` condition", p.id),
                    None,
                );
            }
            let default_amount = r.default_amount.as_ref().map(|d| {
                let (lo, hi) = d.range;
                let v = value;
                if !(lo <= v && v <= hi) || d.note.trim().is_empty() {
                    c.error(
                        &[rpath[0], rpath[1], rpath[2], Anchor::Field("default_amount")],
                        format!(
                            "policy `{}`: the default amount of the rule on `{}` needs a range holding its value ({v}) and a note",
                            p.id, r.lever
                        ),
                        Some("write `default_amount: (range: (low, high), note: \"why this default\")` with low <= value <= high".into()),
                    );
                }
                (lo, hi, d.note.clone())
            });
            rules_by_lever[li].push(rules.len());
            rules.push(RuleDef {
                lever: li as u16,
                value,
                from_turn,
                until_turn,
                when,
                when_text: r.when.clone(),
                sticky: r.sticky,
                latch: n_rules,
                passage: r.passage.clone(),
                from_label: r.from.clone(),
                until_label: r.until.clone(),
                default_amount,
            });
            n_rules += 1;
        }
        let source = policy_source(&mut c, p, &source_keys);
        let from_source = |f: fn(&SourceDef) -> &String| source.map(|i| f(&sources[i]).clone());
        let author = p.author.clone().or_else(|| from_source(|s| &s.author));
        let date = p.date.clone().or_else(|| from_source(|s| &s.date));
        for (field, value) in [("author", &author), ("date", &date)] {
            if value.is_none() {
                c.error(
                    &path,
                    format!("policy `{}` has no `{field}`", p.id),
                    Some(format!(
                        "name the work it comes from with `source: \"<key>\"` (an entry of `sources`), or give `{field}`"
                    )),
                );
            }
        }
        let article_start = turn_of(&mut c, &path, &p.start, decision_turn);
        if article_start > decision_turn {
            c.error(
                &[path[0], path[1], Anchor::Field("start")],
                format!("policy `{}` starts after the decision date", p.id),
                Some("`start` is for running a package from its article's date, which comes before the decision date; leave it out to start at the decision date".into()),
            );
        }
        let not_modelled = p
            .not_modelled
            .iter()
            .map(|n| {
                if n.what.trim().is_empty() || n.passage.trim().is_empty() {
                    c.error(
                        &[path[0], path[1], Anchor::Field("not_modelled")],
                        format!(
                            "policy `{}`: a `not_modelled` entry needs both `what` and `passage`",
                            p.id
                        ),
                        None,
                    );
                }
                (n.what.clone(), n.passage.clone())
            })
            .collect();
        policies.push(PolicyDef {
            start_turn: decision_turn,
            article_start: article_start.min(decision_turn),
            article_start_label: p.start.clone().unwrap_or_else(|| file.meta.decision.clone()),
            not_modelled,
            id: p.id.clone(),
            label: p.label.clone(),
            author: author.unwrap_or_default(),
            source,
            source_file: p.source_file.clone(),
            date: date.unwrap_or_default(),
            summary: p.summary.clone(),
            inherits,
            rules_by_lever,
            rules,
        });
    }
    // Inheritance must not loop.
    for start_p in 0..policies.len() {
        let mut seen = vec![false; policies.len()];
        let mut p = Some(start_p);
        while let Some(i) = p {
            if seen[i] {
                let id = policies[start_p].id.clone();
                c.error(
                    &[Anchor::Section("policies"), Anchor::Id(&id), Anchor::Field("inherits")],
                    format!("policy `{id}`: `inherits` forms a loop"),
                    None,
                );
                policies[start_p].inherits = None;
                break;
            }
            seen[i] = true;
            p = policies[i].inherits;
        }
    }
    let baseline = match policy_ids.iter().position(|x| *x == meta.baseline) {
        Some(b) => b,
        None => {
            let hint = closest(&meta.baseline, &policy_ids)
                .map(|s| format!("did you mean `{s}`?"))
                .or(Some("declare a policy with that id (usually `status_quo`)".into()));
            c.error(
                &[Anchor::Field("baseline")],
                format!("the baseline policy `{}` is not declared", meta.baseline),
                hint,
            );
            0
        }
    };

    // ---- worldviews -----------------------------------------------------------
    let worlds = compile_worldviews(&mut c, file, &kinds, &order, &scope, &source_keys);

    // ---- bargaining ----------------------------------------------------------
    let bargaining = file.bargaining.as_ref().map(|b| {
        compile_bargaining(
            &mut c,
            b,
            &kinds,
            &order,
            &scope,
            &vars,
            &file.actors,
            start,
            per_year,
            turns,
        )
    });

    // ---- derivative table ---------------------------------------------------
    let mut pairs = std::collections::BTreeSet::new();
    for a in &actors {
        let mut affected: Vec<u16> = a.actions.iter().flat_map(|x| x.effects.iter().map(|e| e.var)).collect();
        affected.sort_unstable();
        affected.dedup();
        for (e, _) in &a.event_weights {
            let reads = match &events[*e as usize].hazard {
                HazardDef::Logistic(p) | HazardDef::Probability(p) | HazardDef::Poisson(p) => p.vars_read(),
            };
            for v in affected.iter().filter(|v| reads.contains(v)) {
                pairs.insert((*e, *v));
            }
        }
    }

    if !c.diags.is_empty() {
        return Err(c.diags);
    }
    Ok(Model {
        name: meta.name.clone(),
        title: meta.title.clone(),
        description: meta.description.clone(),
        caveat: meta.caveat.clone(),
        calendar,
        turns,
        decision_turn,
        vars,
        params,
        levers,
        actors,
        slots: layout.slots,
        events,
        shocks,
        outcomes,
        policies,
        sources,
        baseline,
        n_rules,
        derivative_pairs: pairs.into_iter().collect(),
        bargaining,
        worlds,
        present: None,
        ensemble: None,
    })
}

/// The `worldviews` section: each mechanism with two or more uniquely named views, weights that are
/// non-negative and not all zero, incentives on existing levers, actors and actions, effects on
/// existing variables, and `argued_by` keys declared in `sources`.
fn compile_worldviews(
    c: &mut Compiler,
    file: &ScenarioFile,
    kinds: &HashMap<String, (Kind, usize)>,
    order: &[String],
    scope: &Names,
    source_keys: &[String],
) -> Vec<crate::model::worlds::MechanismDef> {
    use crate::model::worlds::{MechanismDef, ViewDef, ViewEffectDef, ViewIncentiveDef};
    let mut out = Vec::new();
    let mut mech_ids = std::collections::HashSet::new();
    for m in &file.worldviews {
        let mpath = [Anchor::Section("worldviews"), Anchor::Id(&m.id)];
        if !mech_ids.insert(&m.id) {
            c.error(&mpath, format!("two mechanisms named `{}` in `worldviews`", m.id), None);
        }
        if m.views.len() < 2 {
            c.error(
                &[mpath[0], mpath[1], Anchor::Field("views")],
                format!("mechanism `{}` has {} view(s); it needs at least two", m.id, m.views.len()),
                Some("a mechanism states the alternatives the sources argue; with one view, write its incentives on the levers".into()),
            );
        }
        let mut views = Vec::new();
        let mut view_ids = std::collections::HashSet::new();
        let mut total = 0.0;
        for v in &m.views {
            let vpath = [mpath[0], mpath[1], Anchor::Id(&v.id)];
            let what = format!("view `{}.{}`", m.id, v.id);
            if !view_ids.insert(&v.id) {
                c.error(
                    &vpath,
                    format!("mechanism `{}` has two views named `{}`", m.id, v.id),
                    None,
                );
            }
            let weight = v.weight.unwrap_or(1.0);
            if !(weight.is_finite() && weight >= 0.0) {
                c.error(
                    &[vpath[0], vpath[1], vpath[2], Anchor::Field("weight")],
                    format!("{what}: weight {weight} must be a non-negative number"),
                    Some("a weight is the view's prior probability, relative to the mechanism's other views".into()),
                );
            } else {
                total += weight;
            }
            for key in &v.argued_by {
                if !source_keys.contains(key) {
                    let hint = closest(key, source_keys)
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| format!("known sources: {}", source_keys.join(", ")));
                    c.error(
                        &[vpath[0], vpath[1], vpath[2], Anchor::Str(key)],
                        format!("{what}: `argued_by` names `{key}`, which is not in `sources`"),
                        Some(hint),
                    );
                }
            }
            c.source_present(&vpath, &v.source, &what);
            let lever = |c: &mut Compiler, name: &str| match resolve(kinds, order, name, Kind::Lever) {
                Ok(l) => Some(l as u16),
                Err((msg, hint)) => {
                    c.error(
                        &[vpath[0], vpath[1], vpath[2], Anchor::Str(name)],
                        format!("{what}: {msg}"),
                        hint,
                    );
                    None
                }
            };
            let mut incentives = Vec::new();
            for inc in &v.incentives {
                let l = match &inc.lever {
                    Some(name) => lever(c, name).map(Some),
                    None => Some(None),
                };
                let Some((a, k)) =
                    incentive_target(c, file, kinds, order, &vpath, Some(&what), &inc.actor, &inc.action)
                else {
                    continue;
                };
                let p = c.expr(&vpath, &inc.value, scope, Ty::Num, &format!("an incentive of {what}"));
                c.source_present(&vpath, &inc.source, &format!("an incentive of {what}"));
                if let Some(l) = l {
                    incentives.push(ViewIncentiveDef {
                        lever: l,
                        actor: a as u16,
                        action: k as u16,
                        value: p,
                    });
                }
            }
            let mut effects = Vec::new();
            for e in &v.effects {
                let l = match &e.lever {
                    Some(name) => lever(c, name).map(Some),
                    None => Some(None),
                };
                let var = match resolve(kinds, order, &e.var, Kind::Var) {
                    Ok(i) => i as u16,
                    Err((msg, hint)) => {
                        c.error(
                            &[vpath[0], vpath[1], vpath[2], Anchor::Str(&e.var)],
                            format!("{what}: {msg}"),
                            hint,
                        );
                        continue;
                    }
                };
                let p = c.expr(&vpath, &e.change, scope, Ty::Num, &format!("an effect of {what}"));
                c.source_present(&vpath, &e.source, &format!("an effect of {what}"));
                if let Some(l) = l {
                    effects.push(ViewEffectDef {
                        lever: l,
                        var,
                        change: p,
                    });
                }
            }
            views.push(ViewDef {
                id: v.id.clone(),
                label: v.label.clone(),
                prob: if weight.is_finite() { weight.max(0.0) } else { 0.0 },
                argued_by: v.argued_by.clone(),
                source: v.source.clone(),
                incentives,
                effects,
            });
        }
        if !m.views.is_empty() && total <= 0.0 {
            c.error(
                &[mpath[0], mpath[1], Anchor::Field("views")],
                format!(
                    "the views of mechanism `{}` have weights summing to {total}; the sum must be positive",
                    m.id
                ),
                Some("give at least one view a positive `weight` (omit `weight` for equal weights)".into()),
            );
        }
        if total > 0.0 {
            views.iter_mut().for_each(|v| v.prob /= total);
        }
        out.push(MechanismDef {
            id: m.id.clone(),
            label: m.label.clone(),
            views,
            fixed: None,
        });
    }
    out
}

/// The `sources` section: each key well formed and declared once, each work with an
/// author, title, outlet and date (docs/scenario-format.md, "Sources").
fn compile_sources(c: &mut Compiler, list: &[schema::Source]) -> Vec<SourceDef> {
    let mut out: Vec<SourceDef> = Vec::new();
    for s in list {
        let path = [Anchor::Section("sources"), Anchor::Str(&s.key)];
        if !citations::is_key(&s.key) {
            c.error(
                &path,
                format!("source key `{}` is not a key", s.key),
                Some("use lower-case letters, digits and `-`, starting with a letter, e.g. `rubin-2024`".into()),
            );
        } else if out.iter().any(|o| o.key == s.key) {
            c.error(&path, format!("source `{}` is declared twice", s.key), None);
        }
        for (field, value) in [
            ("author", &s.author),
            ("title", &s.title),
            ("outlet", &s.outlet),
            ("date", &s.date),
        ] {
            if value.trim().is_empty() {
                c.error(
                    &[path[0], path[1], Anchor::Field(field)],
                    format!("source `{}` has an empty `{field}`", s.key),
                    Some("a reader needs author, title, outlet and date to find the work".into()),
                );
            }
        }
        out.push(SourceDef {
            key: s.key.clone(),
            author: s.author.clone(),
            title: s.title.clone(),
            outlet: s.outlet.clone(),
            date: s.date.clone(),
            url: s.url.clone(),
        });
    }
    out
}

/// Every `[key]` cited in a string names a declared source.
fn check_citations(c: &mut Compiler, keys: &[String]) {
    let found = citations::unknown(&c.src, keys);
    c.diags.extend(found);
}

/// The `sources` entry a policy's `source` key names.
fn policy_source(c: &mut Compiler, p: &schema::Policy, keys: &[String]) -> Option<usize> {
    let key = p.source.as_ref()?;
    let found = keys.iter().position(|k| k == key);
    if found.is_none() {
        let hint = closest(key, keys).map(|k| format!("did you mean `{k}`?")).or_else(|| {
            Some(if keys.is_empty() {
                "declare the work in a `sources` section (key, author, title, outlet, date, url)".into()
            } else {
                format!("known sources: {}", keys.join(", "))
            })
        });
        c.error(
            &[
                Anchor::Section("policies"),
                Anchor::Id(&p.id),
                Anchor::Field("source"),
                Anchor::Str(key),
            ],
            format!("policy `{}` names unknown source `{key}`", p.id),
            hint,
        );
    }
    found
}

/// Where `what` lies in a list of ids, or an error with a "did you mean" hint.
fn find_in(list: &[String], name: &str, noun: &str) -> Result<usize, (String, Option<String>)> {
    list.iter().position(|x| x == name).ok_or_else(|| {
        let hint = closest(name, list)
            .map(|c| format!("did you mean `{c}`?"))
            .or_else(|| (!list.is_empty()).then(|| format!("known {noun}s: {}", list.join(", "))));
        (format!("unknown {noun} `{name}`"), hint)
    })
}

/// The `bargaining` section: dimensions, bargainers (actors) and their stances as expressions, the schedule, the
/// model's options and the outputs written into state variables.
#[allow(clippy::too_many_arguments)]
fn compile_bargaining(
    c: &mut Compiler,
    b: &super::schema::Bargaining,
    kinds: &HashMap<String, (Kind, usize)>,
    order: &[String],
    scope: &Names,
    vars: &[VarDef],
    actors: &[super::schema::Actor],
    start: Period,
    per_year: u32,
    turns: u32,
) -> bargaining::BargainingDef {
    use super::schema::{Schedule, Settled};
    use bargaining::*;
    let sec = Anchor::Section("bargaining");
    c.source_present(&[sec], &b.source, "the bargaining section");

    // Dimensions.
    let mut dim_ids: Vec<String> = Vec::new();
    let mut dimensions = Vec::new();
    for d in &b.dimensions {
        let path = [sec, Anchor::Id(&d.id)];
        if dim_ids.contains(&d.id) {
            c.error(
                &path,
                format!("bargaining dimension `{}` is declared twice", d.id),
                None,
            );
        }
        c.source_present(&path, &d.source, &format!("bargaining dimension `{}`", d.id));
        dim_ids.push(d.id.clone());
        dimensions.push(DimensionDef {
            id: d.id.clone(),
            label: d.label.clone(),
            low: d.low.clone(),
            high: d.high.clone(),
            source: d.source.clone(),
        });
    }
    if dimensions.is_empty() {
        c.error(
            &[sec, Anchor::Field("dimensions")],
            "bargaining needs at least one dimension",
            None,
        );
    }
    let nd = dimensions.len();

    // Bargainers and their stances.
    let mut bargainer_ids: Vec<String> = Vec::new();
    let mut bargainers = Vec::new();
    for br in &b.bargainers {
        let path = [sec, Anchor::Id(&br.id)];
        let actor = match resolve(kinds, order, &br.id, Kind::Actor) {
            Ok(i) => i as u16,
            Err((m, h)) => {
                c.error(&path, format!("bargainer: {m}"), h);
                0
            }
        };
        if bargainer_ids.contains(&br.id) {
            c.error(&path, format!("bargainer `{}` is listed twice", br.id), None);
        }
        bargainer_ids.push(br.id.clone());
        let who = actors.get(actor as usize).map(|a| a.id.as_str()).unwrap_or("?");
        let capability = c.expr(
            &path,
            &br.capability,
            scope,
            Ty::Num,
            &format!("the capability of bargainer `{who}`"),
        );
        if let Some(v) = capability.as_const()
            && !(v.is_finite() && v >= 0.0)
        {
            c.error(
                &[path[0], path[1], Anchor::Str(&br.capability)],
                format!("bargainer `{}`: capability {v} is negative", br.id),
                Some("capabilities are non-negative; only their ratios matter".into()),
            );
        }
        c.source_present(&path, &br.source, &format!("bargainer `{}`", br.id));
        let mut stances: Vec<Option<StanceDef>> = vec![None; nd];
        for st in &br.stances {
            let spath = [path[0], path[1], Anchor::Str(&st.dimension)];
            let k = match find_in(&dim_ids, &st.dimension, "bargaining dimension") {
                Ok(k) => k,
                Err((m, h)) => {
                    c.error(&spath, format!("bargainer `{}`: {m}", br.id), h);
                    continue;
                }
            };
            let what = format!("bargainer `{}` on `{}`", br.id, st.dimension);
            let position = c.expr(&spath, &st.position, scope, Ty::Num, &format!("the position of {what}"));
            let salience = c.expr(&spath, &st.salience, scope, Ty::Num, &format!("the salience of {what}"));
            for (prog, text, name) in [
                (&position, &st.position, "position"),
                (&salience, &st.salience, "salience"),
            ] {
                if let Some(v) = prog.as_const()
                    && !(0.0..=100.0).contains(&v)
                {
                    c.error(
                        &[spath[0], spath[1], spath[2], Anchor::Str(text)],
                        format!("{what}: {name} {v} is outside 0-100"),
                        Some("positions and saliences are on KTAB's 0-100 scale".into()),
                    );
                }
            }
            c.source_present(&spath, &st.source, &format!("the stance of {what}"));
            if stances[k].is_some() {
                c.error(&spath, format!("{what}: a second stance on the same dimension"), None);
            }
            stances[k] = Some(StanceDef {
                position,
                salience,
                position_text: st.position.clone(),
                salience_text: st.salience.clone(),
                source: st.source.clone(),
            });
        }
        let consts: Option<f64> = stances
            .iter()
            .map(|s| s.as_ref().and_then(|s| s.salience.as_const()))
            .sum();
        if let Some(total) = consts
            && total > 100.0 + 1e-9
        {
            c.error(
                &[path[0], path[1], Anchor::Field("stances")],
                format!("bargainer `{}`: saliences add up to {total}, more than 100", br.id),
                Some("a bargainer's saliences share 100 points among the dimensions".into()),
            );
        }
        let mut full = Vec::with_capacity(nd);
        for (k, s) in stances.into_iter().enumerate() {
            match s {
                Some(s) => full.push(s),
                None => {
                    c.error(
                        &[path[0], path[1], Anchor::Field("stances")],
                        format!("bargainer `{}` has no stance on dimension `{}`", br.id, dim_ids[k]),
                        Some(
                            "give a position and salience on every dimension (salience \"0\" if it does not care)"
                                .into(),
                        ),
                    );
                    full.push(StanceDef {
                        position: Program::constant(50.0),
                        salience: Program::constant(0.0),
                        position_text: String::new(),
                        salience_text: String::new(),
                        source: String::new(),
                    });
                }
            }
        }
        bargainers.push(BargainerDef {
            actor,
            capability,
            capability_text: br.capability.clone(),
            source: br.source.clone(),
            stances: full,
        });
    }
    if bargainers.len() < crate::bargain::input::MIN_ACTORS {
        c.error(
            &[sec, Anchor::Field("bargainers")],
            format!(
                "bargaining needs at least {} bargainers, found {}",
                crate::bargain::input::MIN_ACTORS,
                bargainers.len()
            ),
            None,
        );
    }

    // Schedule.
    let mut scheduled = vec![false; turns as usize];
    let at = |c: &mut Compiler, path: &[Anchor], s: &str| -> Option<u32> {
        let mut full = path.to_vec();
        full.push(Anchor::Str(s));
        match Period::parse(s, per_year) {
            Ok(p) => {
                let t = p.turns_since(start, per_year);
                if t < 0 || t >= turns as i64 {
                    c.error(
                        &full,
                        format!("bargaining date {s} lies outside the simulated turns"),
                        None,
                    );
                    None
                } else {
                    Some(t as u32)
                }
            }
            Err(m) => {
                c.error(&full, m, None);
                None
            }
        }
    };
    let spath = [sec, Anchor::Field("schedule")];
    match &b.schedule {
        Schedule::Every {
            turns: every,
            from,
            until,
        } => {
            if *every == 0 {
                c.error(
                    &spath,
                    "bargaining every 0 turns",
                    Some("use 1 for every turn, 4 for yearly with quarterly turns".into()),
                );
            }
            let first = at(c, &spath, from);
            let last = match until {
                Some(u) => at(c, &spath, u),
                None => Some(turns - 1),
            };
            if let (Some(f), Some(l)) = (first, last) {
                if f > l {
                    c.error(&spath, "the bargaining schedule ends before it starts", None);
                }
                if *every > 0 {
                    for t in (f..=l).step_by(*every as usize) {
                        scheduled[t as usize] = true;
                    }
                }
            }
        }
        Schedule::Dates(dates) => {
            if dates.is_empty() {
                c.error(&spath, "the bargaining schedule lists no dates", None);
            }
            for d in dates {
                if let Some(t) = at(c, &spath, d) {
                    if scheduled[t as usize] {
                        c.error(
                            &[spath[0], spath[1], Anchor::Str(d)],
                            format!("bargaining date {d} is listed twice"),
                            None,
                        );
                    }
                    scheduled[t as usize] = true;
                }
            }
        }
    }

    // Options.
    let opts = b.options;
    if !(opts.stop_ratio.is_finite() && opts.stop_ratio >= 0.0) {
        c.error(
            &[sec, Anchor::Field("stop_ratio")],
            format!(
                "bargaining stop_ratio must be a non-negative number, got {}",
                opts.stop_ratio
            ),
            Some("KTAB's default is 0.02".into()),
        );
    }
    if !(1..=1000).contains(&opts.max_steps) {
        c.error(
            &[sec, Anchor::Field("max_steps")],
            format!(
                "bargaining max_steps must be between 1 and 1000, got {}",
                opts.max_steps
            ),
            Some("KTAB's default is 100; inside a simulation 10-20 keeps runs fast".into()),
        );
    }

    // Outputs.
    let mut outputs = Vec::new();
    let mut written: Vec<u16> = Vec::new();
    for o in &b.outputs {
        let opath = [sec, Anchor::Field("outputs"), Anchor::Str(&o.var)];
        let var = match resolve(kinds, order, &o.var, Kind::Var) {
            Ok(i) => i as u16,
            Err((m, h)) => {
                c.error(&opath, format!("bargaining output: {m}"), h);
                continue;
            }
        };
        let def = &vars[var as usize];
        if def.min > 0.0 || def.max < 1.0 {
            c.error(
                &opath,
                format!(
                    "bargaining output `{}`: settled positions are written on the 0-1 scale, but the variable runs {} .. {}",
                    o.var, def.min, def.max
                ),
                Some("declare the variable with min: 0.0, max: 1.0".into()),
            );
        }
        if written.contains(&var) {
            c.error(&opath, format!("bargaining output `{}` is written twice", o.var), None);
        }
        written.push(var);
        let dim = |c: &mut Compiler, name: &str| -> Option<u16> {
            match find_in(&dim_ids, name, "bargaining dimension") {
                Ok(k) => Some(k as u16),
                Err((m, h)) => {
                    c.error(
                        &[opath[0], opath[1], opath[2], Anchor::Str(name)],
                        format!("bargaining output `{}`: {m}", o.var),
                        h,
                    );
                    None
                }
            }
        };
        let value = match &o.value {
            Settled::Mean(d) => dim(c, d).map(SettledDef::Mean),
            Settled::Position(d, who) => {
                let k = dim(c, d);
                let i = match find_in(&bargainer_ids, who, "bargainer") {
                    Ok(i) => Some(i as u16),
                    Err((m, h)) => {
                        c.error(
                            &[opath[0], opath[1], opath[2], Anchor::Str(who)],
                            format!("bargaining output `{}`: {m}", o.var),
                            h,
                        );
                        None
                    }
                };
                k.zip(i).map(|(k, i)| SettledDef::Position(k, i))
            }
        };
        if let Some(value) = value {
            outputs.push(OutputDef { var, value });
        }
    }
    if outputs.is_empty() && b.outputs.is_empty() {
        c.error(
            &[sec, Anchor::Field("outputs")],
            "bargaining writes no outputs, so it would change nothing",
            Some("add e.g. (var: \"engagement_consensus\", value: Mean(\"engagement\"))".into()),
        );
    }

    BargainingDef {
        label: b.label.clone(),
        source: b.source.clone(),
        dimensions,
        bargainers,
        scheduled,
        options: opts,
        outputs,
    }
}

/// `x` to six significant digits as a RON number literal (no digit
/// grouping), for hints that suggest a value to paste into the file.
fn ron_number(x: f64) -> String {
    let rounded: f64 = format!("{x:.5e}").parse().unwrap_or(x);
    format!("{rounded}")
}

/// Where each actor's choices live (see [`SlotDef`]), worked out from the file before anything is compiled, since
/// expressions such as `pakistan.cross_border_strikes` compile to a test on one slot. An actor none of whose actions
/// names a line has one slot holding all its actions; otherwise one slot per line, in order of first appearance,
/// each ending with the implicit hold. (An action without a line in a lined actor is an error reported with the
/// actor; it is filed under the first line meanwhile.)
struct SlotLayout {
    slots: Vec<SlotDef>,
    actor_slots: Vec<std::ops::Range<usize>>,
    action_slot: Vec<Vec<usize>>,
    lines: Vec<Vec<String>>,
}

impl SlotLayout {
    fn new(file: &ScenarioFile) -> Self {
        let mut out = SlotLayout {
            slots: Vec::new(),
            actor_slots: Vec::new(),
            action_slot: Vec::new(),
            lines: Vec::new(),
        };
        for (ai, a) in file.actors.iter().enumerate() {
            let first = out.slots.len();
            let mut names: Vec<String> = Vec::new();
            for act in &a.actions {
                if let Some(l) = &act.line
                    && !names.contains(l)
                {
                    names.push(l.clone());
                }
            }
            // Menus longer than MAX_ACTIONS are reported with the actor; keep indices in range here.
            let n = a.actions.len().min(MAX_ACTIONS);
            if names.is_empty() {
                out.slots.push(SlotDef {
                    actor: ai,
                    line: None,
                    line_index: 0,
                    options: (0..n as u8).collect(),
                });
                out.action_slot.push(vec![first; a.actions.len()]);
            } else {
                let mut slot_of = Vec::new();
                for (li, name) in names.iter().enumerate() {
                    out.slots.push(SlotDef {
                        actor: ai,
                        line: Some(name.clone()),
                        line_index: li,
                        options: Vec::new(),
                    });
                }
                for (k, act) in a.actions.iter().enumerate() {
                    let li = act
                        .line
                        .as_ref()
                        .and_then(|l| names.iter().position(|x| x == l))
                        .unwrap_or(0);
                    slot_of.push(first + li);
                    if k < n {
                        out.slots[first + li].options.push(k as u8);
                    }
                }
                for s in &mut out.slots[first..] {
                    s.options.push(HOLD);
                }
                out.action_slot.push(slot_of);
            }
            out.actor_slots.push(first..out.slots.len());
            out.lines.push(names);
        }
        out
    }
}
