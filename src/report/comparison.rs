//! Writing a comparison: `comparison.csv`, `comparison.md`, `comparison.json`,
//! `robustness.csv`, `policies.csv` (provenance), `explain.csv` and `drivers.csv`.
//!
//! The Markdown is built from sections (one function each) so that
//! `report.html` can reuse them with the charts placed in between.

use crate::analysis::compare::{Comparison, Row};
use crate::analysis::drivers::{DriverRow, OutcomeDrivers};
use crate::analysis::explain::{ActionRow, EventRow, Mechanisms, relative};
use crate::analysis::paired::orientation;
use crate::model::{Model, SourceDef};
use crate::numfmt::{self, sig as fmt_sig};
use crate::scenario::schema::OutcomeKind;
use anyhow::{Context, Result};
use serde::Serialize;
use std::fmt::Write;
use std::path::Path;

use super::Manifest;
use super::staging::write_atomic;

/// Everything the comparison exporters read.
pub struct CompareReport<'a> {
    pub model: &'a Model,
    pub cmp: &'a Comparison,
    pub manifest: &'a Manifest,
}

/// Columns of `comparison.csv`, exactly.
pub const CSV_COLUMNS: [&str; 8] = [
    "policy",
    "outcome",
    "baseline_mean",
    "policy_mean",
    "diff_mean",
    "diff_lo95",
    "diff_hi95",
    "p_better",
];

fn num(x: f64) -> String {
    if x.is_finite() { format!("{x}") } else { String::new() }
}

/// `comparison.csv`: one row per reported policy × outcome. `p_better` is
/// empty for information outcomes (no better or worse).
pub fn comparison_csv(r: &CompareReport) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS)?;
    for row in &r.cmp.rows {
        let s = &row.s;
        w.write_record([
            row.policy.clone(),
            row.outcome.clone(),
            num(s.baseline_mean),
            num(s.policy_mean),
            num(s.diff_mean),
            num(s.diff_lo95),
            num(s.diff_hi95),
            s.p_better.map(num).unwrap_or_default(),
        ])?;
    }
    w.into_inner().context("writing comparison.csv")
}

/// `robustness.csv`: per policy, overall regret (mean, p90), share of trials
/// best, satisficing, ranks; then per-outcome regret.
pub fn robustness_csv(r: &CompareReport) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["policy", "measure", "outcome", "value", "rank"])?;
    for p in &r.cmp.robustness.policies {
        let rank = |x: usize| x.to_string();
        w.write_record([
            &p.policy,
            "regret_mean_sd",
            "",
            &num(p.regret_mean),
            &rank(p.rank_regret_mean),
        ])?;
        w.write_record([
            &p.policy,
            "regret_p90_sd",
            "",
            &num(p.regret_p90),
            &rank(p.rank_regret_p90),
        ])?;
        w.write_record([&p.policy, "share_best", "", &num(p.share_best), ""])?;
        if let (Some(s), Some(k)) = (p.satisficing, p.rank_satisficing) {
            w.write_record([&p.policy, "satisficing", "", &num(s), &rank(k)])?;
        }
        for (t, share) in r.cmp.robustness.thresholds.iter().zip(&p.satisficing_each) {
            w.write_record([&p.policy, "meets", &t.text(), &num(*share), ""])?;
        }
        for o in &p.outcomes {
            w.write_record([&p.policy, "regret_mean", &o.outcome, &num(o.mean), ""])?;
            w.write_record([&p.policy, "regret_p90", &o.outcome, &num(o.p90), ""])?;
        }
    }
    w.into_inner().context("writing robustness.csv")
}

/// `policies.csv`: each compared policy's provenance.
pub fn policies_csv(r: &CompareReport) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "policy", "role", "label", "author", "title", "outlet", "date", "url", "source", "summary",
    ])?;
    for (slot, &pi) in r.cmp.design.slots.iter().enumerate() {
        let p = &r.model.policies[pi];
        let role = if slot == 0 { "baseline" } else { "compared" };
        let src = r.model.policy_source(p);
        let field = |f: fn(&SourceDef) -> &str| src.map_or("", f);
        let key = src.map(|s| s.key.as_str()).or(p.source_file.as_deref()).unwrap_or("");
        w.write_record([
            p.id.as_str(),
            role,
            &p.label,
            &p.author,
            field(|s| &s.title),
            field(|s| &s.outlet),
            &p.date,
            field(|s| &s.url),
            key,
            &p.summary,
        ])?;
    }
    w.into_inner().context("writing policies.csv")
}

/// Columns of `drivers.csv`, exactly.
pub const DRIVERS_COLUMNS: [&str; 6] = ["policy", "outcome", "channel", "diff_mean", "diff_lo95", "diff_hi95"];

/// `drivers.csv`: per reported policy and state outcome, every channel whose
/// paired difference is not identically zero (levers, single actions, events
/// and the rest; not the per-actor totals, so a policy's rows for one outcome
/// sum to its `diff_mean` in `comparison.csv`).
pub fn drivers_csv(r: &CompareReport) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(DRIVERS_COLUMNS)?;
    for (slot, split) in &r.cmp.drivers {
        let pid = &r.cmp.policy_ids[*slot];
        for od in split {
            let oid = &r.model.outcomes[od.outcome].id;
            for c in &od.channels {
                w.write_record([
                    pid.clone(),
                    oid.clone(),
                    c.channel.clone(),
                    num(c.diff_mean),
                    num(c.diff_lo95),
                    num(c.diff_hi95),
                ])?;
            }
        }
    }
    w.into_inner().context("writing drivers.csv")
}

/// `explain.csv`: every action-share and event-rate difference, per year and
/// for the whole window ("all").
pub fn explain_csv(r: &CompareReport) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "policy",
        "baseline",
        "kind",
        "actor_or_event",
        "action",
        "year",
        "baseline_mean",
        "policy_mean",
        "diff_mean",
        "diff_lo95",
        "diff_hi95",
        "line",
    ])?;
    let base = &r.cmp.policy_ids[0];
    for (slot, m) in &r.cmp.mechanisms {
        let pid = &r.cmp.policy_ids[*slot];
        for a in &m.actions {
            let d = &a.diff;
            w.write_record([
                pid,
                base,
                "action_share",
                &a.actor,
                &a.action,
                &a.year,
                &num(d.baseline_mean),
                &num(d.policy_mean),
                &num(d.diff_mean),
                &num(d.diff_lo95),
                &num(d.diff_hi95),
                &a.line,
            ])?;
        }
        for e in &m.events {
            let d = &e.diff;
            w.write_record([
                pid,
                base,
                "event_rate_per_year",
                &e.event,
                "",
                &e.year,
                &num(d.baseline_mean),
                &num(d.policy_mean),
                &num(d.diff_mean),
                &num(d.diff_lo95),
                &num(d.diff_hi95),
                "",
            ])?;
        }
    }
    w.into_inner().context("writing explain.csv")
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    manifest: &'a Manifest,
    baseline: &'a str,
    policies: Vec<JsonPolicy<'a>>,
    rows: &'a [Row],
    holm_family_size: usize,
    robustness: &'a crate::analysis::robustness::RobustnessSummary,
    mechanisms: Vec<JsonMech<'a>>,
}

#[derive(Serialize)]
struct JsonPolicy<'a> {
    id: &'a str,
    label: &'a str,
    author: &'a str,
    /// Key of the cited work in the scenario's `sources` (docs/sources.md).
    source: Option<&'a str>,
    /// Author, title, outlet, date and URL of the work.
    citation: String,
    url: Option<&'a str>,
    date: &'a str,
    summary: &'a str,
}

#[derive(Serialize)]
struct JsonMech<'a> {
    policy: &'a str,
    #[serde(flatten)]
    m: &'a Mechanisms,
}

/// `comparison.json`: the manifest, provenance and every number.
pub fn comparison_json(r: &CompareReport) -> Result<Vec<u8>> {
    let doc = JsonDoc {
        manifest: r.manifest,
        baseline: &r.cmp.policy_ids[0],
        policies: r
            .cmp
            .design
            .slots
            .iter()
            .map(|&i| {
                let p = &r.model.policies[i];
                JsonPolicy {
                    id: &p.id,
                    label: &p.label,
                    author: &p.author,
                    source: r.model.policy_source(p).map(|s| s.key.as_str()),
                    citation: r.model.policy_citation(p),
                    url: r.model.policy_source(p).map(|s| s.url.as_str()),
                    date: &p.date,
                    summary: &p.summary,
                }
            })
            .collect(),
        rows: &r.cmp.rows,
        holm_family_size: holm_family(r),
        robustness: &r.cmp.robustness,
        mechanisms: r
            .cmp
            .mechanisms
            .iter()
            .map(|(s, m)| JsonMech {
                policy: &r.cmp.policy_ids[*s],
                m,
            })
            .collect(),
    };
    let mut text = serde_json::to_vec_pretty(&doc)?;
    text.push(b'\n');
    Ok(text)
}

fn holm_family(r: &CompareReport) -> usize {
    r.cmp
        .rows
        .iter()
        .filter(|x| orientation(r.model.outcomes[x.outcome_index].kind).is_some())
        .count()
}

/// Columns of `rank_stability.csv`, exactly.
pub const RANK_COLUMNS: [&str; 4] = ["policy", "world", "rank", "share"];

/// `rank_stability.csv`: per compared policy (the baseline included) and world (each combination of
/// contested views, then `all`), the share of trials in which it ranked 1, 2, … on the per-trial overall
/// score (see [`crate::analysis::ranks`]); every rank appears, shares sum to 1 per policy and world.
pub fn rank_stability_csv(r: &CompareReport) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(RANK_COLUMNS)?;
    for row in &r.cmp.ranks {
        w.write_record([&row.policy, &row.world, &row.rank.to_string(), &num(row.share)])?;
    }
    w.into_inner().context("writing rank_stability.csv")
}

/// How robust is the ranking: each policy's rank distribution per world, before any single ranking.
pub fn section_rank_stability(r: &CompareReport) -> String {
    use crate::analysis::ranks::ALL;
    let mut s = String::from(
        "## How robust is the ranking?

",
    );
    let np = r.cmp.policy_ids.len();
    if r.cmp.ranks.is_empty() {
        s.push_str(
            "No outcome has both a direction and a spread, so there is no overall score to rank on.

",
        );
        return s;
    }
    let _ = writeln!(
        s,
        "Each trial draws every uncertain coefficient{} and ranks the {np} policies (the baseline included) \
         by that trial's overall score: each non-information outcome, oriented so that higher is better for \
         the US, divided by its pooled standard deviation and averaged with the outcome weights — the score \
         behind mean regret below (regret = the trial's best score minus the policy's). Rank 1 = best in that \
         trial; ties share the better rank. The cells are the share of trials with each rank; `all` pools \
         every trial, so it mixes the worlds in proportion to {}. A ranking that holds in \
         every world does not hang on the contested mechanisms; one that flips does. Every share is in \
         `rank_stability.csv` (docs/worldviews.md).\n",
        if r.model.worlds.is_empty() {
            ""
        } else {
            " and one view of each contested mechanism"
        },
        if r.model.ensemble.is_some() {
            "the calibrated ensemble's members holding each (the views that survived the 2021–2023 record), not \
             their prior weights"
        } else {
            "their prior weights"
        }
    );
    let fixed: Vec<String> = r
        .model
        .worlds
        .iter()
        .filter_map(|m| m.fixed.map(|v| format!("{}={}", m.id, m.views[v].id)))
        .collect();
    if !fixed.is_empty() {
        let _ = writeln!(s, "Views fixed with `--world`: {}.\n", fixed.join(", "));
    }
    let mut worlds: Vec<&str> = Vec::new();
    for row in &r.cmp.ranks {
        if !worlds.contains(&row.world.as_str()) {
            worlds.push(&row.world);
        }
    }
    // `all` first: the mixture is what a reader who takes no side sees.
    worlds.sort_by_key(|w| *w != ALL);
    for world in worlds {
        let rows: Vec<_> = r.cmp.ranks.iter().filter(|x| x.world == world).collect();
        let trials = rows.first().map_or(0, |x| x.trials);
        let title = if world == ALL {
            "all worlds (weighted mixture)".to_string()
        } else {
            format!("`{world}`")
        };
        let _ = writeln!(s, "### {title} — {} trials\n", crate::numfmt::fixed(trials as f64, 0));
        let mut head = String::from("| policy | mean rank |");
        let mut rule = String::from("|---|---:|");
        for k in 1..=np {
            let _ = write!(head, " rank {k} |");
            rule.push_str("---:|");
        }
        let _ = writeln!(s, "{head}\n{rule}");
        let mut per: Vec<(&str, f64, Vec<f64>)> = r
            .cmp
            .policy_ids
            .iter()
            .map(|p| {
                let shares: Vec<f64> = rows.iter().filter(|x| &x.policy == p).map(|x| x.share).collect();
                let mean = shares.iter().enumerate().map(|(k, x)| (k + 1) as f64 * x).sum();
                (p.as_str(), mean, shares)
            })
            .filter(|(_, _, sh)| !sh.is_empty())
            .collect();
        per.sort_by(|a, b| a.1.total_cmp(&b.1));
        for (p, mean, shares) in per {
            let _ = write!(s, "| {p} | {} |", crate::numfmt::sig(mean, 3));
            for x in shares {
                let _ = write!(s, " {}% |", crate::numfmt::sig(100.0 * x, 3));
            }
            s.push('\n');
        }
        s.push('\n');
    }
    s.push_str(&section_member_ranks(r));
    s
}

/// Columns of `member_ranks.csv`, exactly.
pub const MEMBER_RANK_COLUMNS: [&str; 4] = ["policy", "over", "rank", "share"];

/// `member_ranks.csv` (with an ensemble): per policy, the share of ensemble members (`over = members`) and of
/// shuffled groups of as many trials (`over = shuffled`) under which it ranks 1, 2, … on its mean overall score
/// (see [`crate::analysis::member_ranks`]). `None` without an ensemble.
pub fn member_ranks_csv(r: &CompareReport) -> Result<Option<Vec<u8>>> {
    let Some(m) = &r.cmp.member_ranks else {
        return Ok(None);
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(MEMBER_RANK_COLUMNS)?;
    for row in &m.rows {
        w.write_record([&row.policy, &row.over, &row.rank.to_string(), &num(row.share)])?;
    }
    Ok(Some(w.into_inner().context("writing member_ranks.csv")?))
}

/// Does the ranking depend on which calibrated member is true? Rank shares over members beside the same over
/// shuffled groups, the noise-only reference.
pub fn section_member_ranks(r: &CompareReport) -> String {
    let mut s = String::new();
    let Some(m) = &r.cmp.member_ranks else {
        return s;
    };
    let _ = writeln!(
        s,
        "### Over the calibrated ensemble — {} members, {} trials each on average\n",
        m.members,
        crate::numfmt::sig(m.mean_trials_per_member, 3)
    );
    let _ = writeln!(
        s,
        "Each trial ran one member of the calibrated ensemble: a set of coefficients and contested views the \
         2021–2023 record did not rule out. Here the policies are ranked per member, on their mean overall score \
         over the trials that drew it ({} members with at least {} trials), and the shares are of members \
         (members are equally likely). A member's mean carries Monte Carlo noise, so the same ranking is made \
         over *shuffled groups* — as many trials each, mixing every member ({} groups): noise alone spreads \
         those. Where a policy's share of first places over members differs from its share over groups by \
         more than twice the difference's standard error (two independent proportions; last column), the ranking \
         depends on which member is true, i.e. on what the record cannot \
         pin down; where the two agree, it does not (at this trial count — more trials sharpen both). Every \
         share is in `member_ranks.csv`.\n",
        m.ranked_members,
        crate::analysis::member_ranks::MIN_TRIALS,
        m.ranked_groups
    );
    if m.rows.is_empty() {
        s.push_str("Too few trials per member to rank any: run more trials.\n\n");
        return s;
    }
    s.push_str(
        "| policy | first, members | first, shuffled | mean rank, members | mean rank, shuffled | first: members − \
         shuffled (± 2 s.e.) |\n",
    );
    s.push_str("|---|---:|---:|---:|---:|---:|\n");
    let (nm, ng) = (m.ranked_members.max(1) as f64, m.ranked_groups.max(1) as f64);
    let mut ids: Vec<&String> = r.cmp.policy_ids.iter().collect();
    ids.sort_by(|a, b| m.mean_rank(a, "members").total_cmp(&m.mean_rank(b, "members")));
    for p in ids {
        let (a, b) = (m.share(p, "members", 1), m.share(p, "shuffled", 1));
        let se = (a * (1.0 - a) / nm + b * (1.0 - b) / ng).sqrt();
        let _ = writeln!(
            s,
            "| {p} | {}% | {}% | {} | {} | {} ± {} points{} |",
            crate::numfmt::sig(100.0 * a, 3),
            crate::numfmt::sig(100.0 * b, 3),
            crate::numfmt::sig(m.mean_rank(p, "members"), 3),
            crate::numfmt::sig(m.mean_rank(p, "shuffled"), 3),
            crate::numfmt::sig(100.0 * (a - b), 3),
            crate::numfmt::sig(200.0 * se, 2),
            if (a - b).abs() > 2.0 * se {
                " — depends on the member"
            } else {
                ""
            },
        );
    }
    s.push('\n');
    s
}

/// Write every table of the comparison into `dir`.
pub fn write_tables(r: &CompareReport, dir: &Path) -> Result<()> {
    write_atomic(&dir.join("comparison.csv"), &comparison_csv(r)?)?;
    write_atomic(&dir.join("rank_stability.csv"), &rank_stability_csv(r)?)?;
    if let Some(csv) = member_ranks_csv(r)? {
        write_atomic(&dir.join("member_ranks.csv"), &csv)?;
    }
    write_atomic(&dir.join("robustness.csv"), &robustness_csv(r)?)?;
    write_atomic(&dir.join("policies.csv"), &policies_csv(r)?)?;
    write_atomic(&dir.join("comparison.json"), &comparison_json(r)?)?;
    write_atomic(&dir.join("comparison.md"), markdown(r).as_bytes())?;
    if !r.cmp.mechanisms.is_empty() {
        write_atomic(&dir.join("explain.csv"), &explain_csv(r)?)?;
    }
    if !r.cmp.drivers.is_empty() {
        write_atomic(&dir.join("drivers.csv"), &drivers_csv(r)?)?;
    }
    Ok(())
}

// ------------------------------------------------------------------ Markdown

pub fn kind_word(k: OutcomeKind) -> &'static str {
    match k {
        OutcomeKind::Maximize => "higher is better",
        OutcomeKind::Minimize => "lower is better",
        OutcomeKind::Info => "for information",
    }
}

/// "+1.23" with the sign always shown ("0" for zero; see [`numfmt::signed`]).
pub fn sgn(x: f64, sig: usize) -> String {
    numfmt::signed(x, sig)
}

/// A row's difference and 95% interval at one precision, noise as 0.
fn diff_text(r: &CompareReport, row: &Row) -> numfmt::DiffText {
    numfmt::diff_interval(
        row.s.diff_mean,
        row.s.diff_lo95,
        row.s.diff_hi95,
        r.cmp.scales[row.outcome_index].unwrap_or(0.0),
    )
}

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.0}%", 100.0 * x)
    } else {
        "–".into()
    }
}

/// Header: title, caveat, run.
pub fn section_header(r: &CompareReport, title: &str) -> String {
    let m = r.manifest;
    let mut s = String::new();
    let _ = writeln!(s, "# {} — {title}\n", r.model.title);
    let _ = writeln!(s, "> **{}**\n", r.model.caveat);
    let _ = writeln!(
        s,
        "{} trials, seed {}, baseline `{}`, decision date {}, horizon {}. Scenario `{}` (sha256 `{}`), greatgame {}. \
         {}; trial *k* uses the same random draws under every \
         policy (common random numbers), so each difference below is a paired difference on the same trials.\n",
        m.trials,
        m.seed,
        m.baseline,
        m.decision_date,
        m.horizon,
        m.scenario,
        &m.scenario_sha256[..12.min(m.scenario_sha256.len())],
        m.version,
        starts_phrase(r),
    );
    s
}

/// How the compared packages start: all at the decision date, or (with
/// `--start article`) each at its article's date.
fn starts_phrase(r: &CompareReport) -> String {
    let m = r.model;
    let late: Vec<String> = r
        .cmp
        .design
        .slots
        .iter()
        .map(|&pi| &m.policies[pi])
        .filter(|p| p.start_turn < m.decision_turn)
        .map(|p| format!("`{}` from {}", p.id, m.calendar.label(p.start_turn)))
        .collect();
    if late.is_empty() {
        "Every policy follows the baseline until the decision date".into()
    } else {
        format!(
            "Packages start at their articles' dates (--start article): {}; the others at the decision date. \
             Outcomes are still measured over their own windows",
            late.join(", ")
        )
    }
}

/// Per compared package, its default amounts and what its article recommends
/// that the model cannot represent.
pub fn section_fidelity(r: &CompareReport) -> String {
    super::fidelity::section(r.model, &r.cmp.design.slots)
}

/// The outcome's change as a phrase: "−3.2 attacks per year [−3.5, −2.9]".
fn diff_phrase(r: &CompareReport, row: &Row) -> String {
    let o = &r.model.outcomes[row.outcome_index];
    let t = diff_text(r, row);
    format!("{} {} {}", t.value, o.unit, t.interval)
}

/// A difference nearly fixed by the package: the same sign in at least 99% of
/// trials and a spread across trials under 5% of its size. Such differences
/// are mostly the levers' direct arithmetic (a cost, a quota, a lever's
/// effect on a variable), not the actors' response, so they are listed apart
/// from the headlines rather than crowding out the differences the model
/// actually has to work out.
pub fn by_construction(row: &Row) -> bool {
    let s = &row.s;
    let one_way = s.p_better.unwrap_or(0.0).max(s.p_worse.unwrap_or(0.0)) >= 0.99;
    one_way && s.diff_mean != 0.0 && s.diff_sd <= 0.05 * s.diff_mean.abs()
}

/// The rows of `slot` worth a headline: Holm-significant, non-Info, not
/// [`by_construction`], largest standardised size first.
pub fn headline_rows<'a>(r: &'a CompareReport, slot: usize, k: usize) -> Vec<&'a Row> {
    let mut v: Vec<&Row> = r
        .cmp
        .rows
        .iter()
        .filter(|x| {
            x.slot == slot && x.s.distinguishable_holm && r.cmp.scales[x.outcome_index].is_some() && !by_construction(x)
        })
        .collect();
    let size = |x: &Row| (x.s.diff_mean / r.cmp.scales[x.outcome_index].unwrap_or(1.0)).abs();
    v.sort_by(|a, b| size(b).total_cmp(&size(a)).then(a.outcome_index.cmp(&b.outcome_index)));
    v.truncate(k);
    v
}

/// Per policy, the largest differences that survive Holm's correction.
pub fn section_headline(r: &CompareReport) -> String {
    let mut s = String::from("## Headline differences\n\n");
    let _ = writeln!(
        s,
        "Per policy, the (up to) five largest differences from `{}` that are distinguishable from noise after \
         Holm's correction over all {} policy × outcome tests, largest in standard deviations of the outcome first. \
         Mean paired difference (policy − baseline) with its 95% interval; then baseline → policy mean, and the share \
         of trials in which the policy does better / worse for the US (the rest are ties). Differences *nearly fixed \
         by the package* — the same sign in at least 99% of trials and varying less than 5% across trials, mostly \
         the levers' direct arithmetic (its cost, a resettlement quota) rather than the actors' response — are \
         listed after them.\n",
        r.cmp.policy_ids[0],
        holm_family(r)
    );
    for &slot in &r.cmp.design.rows {
        let pol = &r.model.policies[r.cmp.design.slots[slot]];
        let _ = writeln!(s, "### {} — {}\n", pol.id, pol.label);
        let rows = headline_rows(r, slot, 5);
        if rows.is_empty() {
            let _ = writeln!(
                s,
                "- No difference beyond those nearly fixed by the package is distinguishable from noise after \
                 Holm's correction."
            );
        }
        for row in rows {
            let o = &r.model.outcomes[row.outcome_index];
            let verdict = match row.s.direction {
                crate::analysis::paired::Direction::Better => "better",
                crate::analysis::paired::Direction::Worse => "worse",
                _ => "unclear",
            };
            let _ = writeln!(
                s,
                "- **{}** ({verdict} for the US): {}; {} → {}; better in {}, worse in {} of trials.",
                o.label,
                diff_phrase(r, row),
                fmt_sig(row.s.baseline_mean, 3),
                fmt_sig(row.s.policy_mean, 3),
                pct(row.s.p_better.unwrap_or(f64::NAN)),
                pct(row.s.p_worse.unwrap_or(f64::NAN)),
            );
        }
        let fixed: Vec<String> = r
            .cmp
            .rows
            .iter()
            .filter(|x| x.slot == slot && by_construction(x) && r.cmp.scales[x.outcome_index].is_some())
            .map(|x| {
                let o = &r.model.outcomes[x.outcome_index];
                format!("{} {} {}", o.label, sgn(x.s.diff_mean, 3), o.unit)
            })
            .collect();
        if !fixed.is_empty() {
            let _ = writeln!(s, "- *Nearly fixed by the package*: {}.", fixed.join("; "));
        }
        let _ = writeln!(s);
    }
    s
}

/// Regret and satisficing, with the rankings.
pub fn section_robustness(r: &CompareReport) -> String {
    let rb = &r.cmp.robustness;
    let mut s = String::from("## Robustness across uncertainty\n\n");
    let parts = &rb.outcomes_in_overall;
    // Every weight the user changed, including the zeros that left an outcome out.
    let mut changed: Vec<(&str, f64)> = r
        .model
        .outcomes
        .iter()
        .zip(&r.cmp.design.weights)
        .filter(|(o, w)| **w != 1.0 && orientation(o.kind).is_some())
        .map(|(o, w)| (o.id.as_str(), *w))
        .collect();
    changed.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let weighting = if changed.is_empty() {
        "averages them with **equal weights** into a score".to_string()
    } else {
        format!(
            "averages them into a score with the **weights set by `--weights`** ({}; every other outcome 1)",
            changed
                .iter()
                .map(|(id, w)| format!("`{id}` {w}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let left_out = r.cmp.design.weights.iter().filter(|&&w| w == 0.0).count();
    let _ = writeln!(
        s,
        "Each trial is one possible world, seen under every policy. **Regret** is the gap, in that trial, between the \
         best compared policy and this one. Overall regret puts the {} outcomes that have a better direction on one \
         scale (each divided by its pooled standard deviation over all compared policies and the first {} trials), \
         {weighting}, and takes the best score minus this policy's; unit: standard deviations.{} Weights are a \
         choice, not a finding: per-outcome regret is in `robustness.csv`. Ranked by mean regret (lower is better).\n",
        parts.len(),
        r.cmp.kept.first().and_then(|v| v.first()).map_or(0, |v| v.len()),
        if left_out > 0 {
            format!(" {left_out} outcome(s) were given weight 0 and left out.")
        } else {
            String::new()
        }
    );
    let sat = !rb.thresholds.is_empty();
    let _ = write!(
        s,
        "| rank | policy | mean regret (sd) | 90th pct regret (sd) | best in share of trials |"
    );
    if sat {
        let _ = write!(s, " meets all thresholds | rank (satisficing) |");
    }
    let _ = writeln!(s);
    let _ = write!(s, "|---:|---|---:|---:|---:|");
    if sat {
        let _ = write!(s, "---:|---:|");
    }
    let _ = writeln!(s);
    let mut order: Vec<&crate::analysis::robustness::PolicyRobustness> = rb.policies.iter().collect();
    order.sort_by_key(|p| p.rank_regret_mean);
    for p in &order {
        let _ = write!(
            s,
            "| {} | {} | {} | {} | {} |",
            p.rank_regret_mean,
            p.policy,
            fmt_sig(p.regret_mean, 3),
            fmt_sig(p.regret_p90, 3),
            pct(p.share_best)
        );
        if sat {
            let _ = write!(
                s,
                " {} | {} |",
                pct(p.satisficing.unwrap_or(f64::NAN)),
                p.rank_satisficing.map_or("–".into(), |k| k.to_string())
            );
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s);
    let rank_line = |key: &dyn Fn(&crate::analysis::robustness::PolicyRobustness) -> usize| {
        let mut v: Vec<_> = rb.policies.iter().collect();
        v.sort_by_key(|p| key(p));
        let mut out = String::new();
        for (i, p) in v.iter().enumerate() {
            if i > 0 {
                out.push_str(if key(v[i - 1]) == key(p) { " = " } else { " > " });
            }
            let _ = write!(out, "`{}`", p.policy);
        }
        out
    };
    let _ = writeln!(s, "- Ranking by mean regret: {}", rank_line(&|p| p.rank_regret_mean));
    let _ = writeln!(
        s,
        "- Ranking by 90th-percentile regret: {}",
        rank_line(&|p| p.rank_regret_p90)
    );
    if sat {
        let _ = writeln!(
            s,
            "- Ranking by satisficing (share of trials meeting {}): {}",
            rb.thresholds
                .iter()
                .map(|t| format!("`{}`", t.text()))
                .collect::<Vec<_>>()
                .join(" and "),
            rank_line(&|p| p.rank_satisficing.unwrap_or(usize::MAX))
        );
        let _ = writeln!(s, "\nShare of trials meeting each threshold:\n");
        let _ = write!(s, "| policy |");
        for t in &rb.thresholds {
            let _ = write!(s, " `{}` |", t.text());
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "|---|{}", "---:|".repeat(rb.thresholds.len()));
        for p in &rb.policies {
            let _ = write!(s, "| {} |", p.policy);
            for v in &p.satisficing_each {
                let _ = write!(s, " {} |", pct(*v));
            }
            let _ = writeln!(s);
        }
    } else {
        let _ = writeln!(
            s,
            "- Satisficing: no thresholds were given; add e.g. `--satisfice \"isisk_attacks_afghanistan<=1,gdp_index_2030>=0.85\"`."
        );
    }
    let _ = writeln!(s);
    s
}

/// Every policy × outcome row.
pub fn section_tables(r: &CompareReport) -> String {
    let mut s = String::from("## All differences\n\n");
    let _ = writeln!(
        s,
        "Columns: baseline and policy means; mean paired difference with its 95% interval; share of trials better / \
         worse for the US; whether the interval excludes 0 (*yes*), and whether it survives Holm's correction \
         (**yes**). Probabilities are shares of trials (0–1).\n"
    );
    for &slot in &r.cmp.design.rows {
        let pid = &r.cmp.policy_ids[slot];
        let _ = writeln!(s, "### {pid} vs {}\n", r.cmp.policy_ids[0]);
        let _ = writeln!(
            s,
            "| outcome | unit | baseline | policy | difference [95% interval] | better | worse | distinguishable |"
        );
        let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---|");
        for row in r.cmp.rows.iter().filter(|x| x.slot == slot) {
            let o = &r.model.outcomes[row.outcome_index];
            let dist = if o.kind == OutcomeKind::Info {
                if row.s.distinguishable {
                    "yes (info)"
                } else {
                    "no (info)"
                }
            } else if row.s.distinguishable_holm {
                "**yes**"
            } else if row.s.distinguishable {
                "*yes* (not after Holm)"
            } else {
                "no"
            };
            let _ = writeln!(
                s,
                "| {} ({}) | {} | {} | {} | {} {} | {} | {} | {} |",
                o.label,
                kind_word(o.kind),
                o.unit,
                fmt_sig(row.s.baseline_mean, 3),
                fmt_sig(row.s.policy_mean, 3),
                diff_text(r, row).value,
                diff_text(r, row).interval,
                row.s.p_better.map_or("–".into(), pct),
                row.s.p_worse.map_or("–".into(), pct),
                dist
            );
        }
        let _ = writeln!(s);
    }
    s
}

pub fn action_phrase(a: &ActionRow) -> String {
    let d = &a.diff;
    format!(
        "{} chooses *{}* in {} of turns under the policy vs {} under the baseline: {} pp [{}, {}]",
        a.actor,
        a.action_label,
        pct(d.policy_mean),
        pct(d.baseline_mean),
        sgn(100.0 * d.diff_mean, 2),
        sgn(100.0 * d.diff_lo95, 2),
        sgn(100.0 * d.diff_hi95, 2)
    )
}

pub fn event_phrase(e: &EventRow) -> String {
    let d = &e.diff;
    let rel = if d.baseline_mean > 0.0 {
        format!(" ({}%)", sgn(100.0 * d.diff_mean / d.baseline_mean, 2))
    } else {
        String::new()
    };
    format!(
        "{}: {} → {} per year, {} [{}, {}]{rel}",
        e.label,
        fmt_sig(d.baseline_mean, 3),
        fmt_sig(d.policy_mean, 3),
        sgn(d.diff_mean, 2),
        sgn(d.diff_lo95, 2),
        sgn(d.diff_hi95, 2)
    )
}

/// What actors do differently and which events change, per policy.
pub fn section_mechanisms(r: &CompareReport, k: usize, by_year: bool) -> String {
    let mut s = String::from("## Why: what changes underneath\n\n");
    if r.cmp.mechanisms.is_empty() {
        let _ = writeln!(s, "Mechanisms were not tallied for this run.\n");
        return s;
    }
    let _ = writeln!(
        s,
        "On the same trials, from the decision date to the horizon: how often each actor chose each action (share of \
         turns) and how often each event happened (per year) under the policy and under `{}`. Shown: the largest \
         differences whose 95% interval excludes 0 (actions by size in percentage points, events by relative change). \
         Every row, per year, is in `explain.csv`.\n",
        r.cmp.policy_ids[0]
    );
    for (slot, m) in &r.cmp.mechanisms {
        let _ = writeln!(s, "### {}\n", r.cmp.policy_ids[*slot]);
        let acts = m.top_actions(k);
        if acts.is_empty() {
            let _ = writeln!(s, "- No actor's choices differ distinguishably from the baseline.");
        }
        for a in &acts {
            let _ = writeln!(s, "- {}", action_phrase(a));
            if by_year {
                let years = m.action_by_year(&a.actor, &a.line, &a.action);
                let cells: Vec<String> = years
                    .iter()
                    .map(|y| format!("{} {} pp", y.year, sgn(100.0 * y.diff.diff_mean, 2)))
                    .collect();
                let _ = writeln!(s, "  - by year: {}", cells.join(", "));
            }
        }
        let evs = m.top_events(k);
        if evs.is_empty() {
            let _ = writeln!(s, "- No event rate differs distinguishably from the baseline.");
        }
        for e in &evs {
            let _ = writeln!(s, "- {}", event_phrase(e));
        }
        let _ = writeln!(s);
    }
    s
}

/// Channels named one by one in a split; the rest are summed.
const SPLIT_SHOWN: usize = 6;

/// One headline difference in plain words, split into its channels:
/// "China's influence at end-2030 +0.037: direct effect of the lever … +0.035 [..]; Pakistan's actions …".
fn split_phrase(r: &CompareReport, row: &Row, od: &OutcomeDrivers) -> String {
    let o = &r.model.outcomes[row.outcome_index];
    let scale = r.cmp.scales[row.outcome_index].unwrap_or(0.0);
    let show = |c: &DriverRow| {
        let t = numfmt::diff_interval(c.diff_mean, c.diff_lo95, c.diff_hi95, scale);
        format!("{} {} {}", c.label, t.value, t.interval)
    };
    let grouped = od.grouped();
    let mut parts: Vec<String> = Vec::new();
    for c in grouped.iter().take(SPLIT_SHOWN) {
        let mut p = show(c);
        if let Some(actor) = c.channel.strip_prefix("actor:") {
            let acts = od.actions_of(actor);
            if acts.len() > 1 {
                let inner: Vec<String> = acts
                    .iter()
                    .take(3)
                    .map(|a| {
                        let name = a.label.split_once(": ").map_or(a.label.as_str(), |x| x.1);
                        format!(
                            "{name} {}",
                            numfmt::diff_interval(a.diff_mean, a.diff_lo95, a.diff_hi95, scale).value
                        )
                    })
                    .collect();
                let _ = write!(p, " (of which {})", inner.join(", "));
            }
        }
        parts.push(p);
    }
    if grouped.len() > SPLIT_SHOWN {
        let rest: f64 = grouped[SPLIT_SHOWN..].iter().map(|c| c.diff_mean).sum();
        parts.push(format!(
            "{} other channels together {}",
            grouped.len() - SPLIT_SHOWN,
            numfmt::diff_interval(rest, rest, rest, scale).value
        ));
    }
    if parts.is_empty() {
        parts.push("no channel differs".into());
    }
    format!(
        "**{}** {} {}: {}.",
        o.label,
        diff_text(r, row).value,
        o.unit,
        parts.join("; ")
    )
}

/// Where each headline difference comes from: the state outcomes' differences
/// split into the channels of the state update.
pub fn section_drivers(r: &CompareReport) -> String {
    let mut s = String::from(
        "## Where the difference comes from

",
    );
    if r.cmp.drivers.is_empty() {
        let _ = writeln!(
            s,
            "The split into channels was not computed for this run.
"
        );
        return s;
    }
    let _ = writeln!(
        s,
        "Each headline difference of an outcome that reads a state variable at a date or over a window, split into \
         what moved the variable: the levers' direct effects on the state, each actor's actions (with the actions \
         that matter most), events' consequences, and the rest — *reversion and feedback* (the pull back toward a \
         variable's mean, which answers whatever the other channels did, so part of it is their indirect effect), \
         drift terms, scheduled shocks, bargaining settlements and *clamping* (the part of a change cut off at the \
         variable's bounds, kept as its own channel rather than shared out). Paired differences (policy − `{}`) with \
         95% intervals, largest first; the channels add up to the difference exactly. An actor's channel is what its \
         actions did to the variable, which includes its response to the policy. Outcomes that count events or \
         actions, or take a minimum or maximum, are not split: for them see the action shares and event rates above. \
         Every channel of every state outcome is in `drivers.csv`.\n",
        r.cmp.policy_ids[0]
    );
    for (slot, split) in &r.cmp.drivers {
        let _ = writeln!(s, "### {}\n", r.cmp.policy_ids[*slot]);
        let mut rows = headline_rows(r, *slot, 5);
        rows.extend(
            r.cmp
                .rows
                .iter()
                .filter(|x| x.slot == *slot && by_construction(x) && r.cmp.scales[x.outcome_index].is_some()),
        );
        if rows.is_empty() {
            let _ = writeln!(s, "- No headline difference to split.");
        }
        for row in rows {
            match split.iter().find(|od| od.outcome == row.outcome_index) {
                Some(od) => {
                    let _ = writeln!(s, "- {}", split_phrase(r, row, od));
                }
                None => {
                    let o = &r.model.outcomes[row.outcome_index];
                    let _ = writeln!(
                        s,
                        "- **{}** {} {}: counts events or actions (or takes a minimum or maximum), so it is not \
                         split into channels; the action shares and event rates above explain it.",
                        o.label,
                        diff_text(r, row).value,
                        o.unit
                    );
                }
            }
        }
        let _ = writeln!(s);
    }
    s
}

/// Who argues for each package, in which work (full citation), and the passage each lever
/// rule rests on; then the full citation of every work a passage cites by key.
pub fn section_provenance(r: &CompareReport) -> String {
    let m = r.model;
    let mut s = String::from("## Provenance\n\n");
    for (slot, &pi) in r.cmp.design.slots.iter().enumerate() {
        let p = &m.policies[pi];
        let role = if slot == 0 { " (baseline)" } else { "" };
        let _ = writeln!(
            s,
            "- **{}**{role} — {}. Source: {}. {}",
            p.id,
            p.label,
            m.policy_citation(p),
            p.summary
        );
        if let Some(i) = p.inherits {
            let _ = writeln!(s, "  - levers it does not set follow `{}`", m.policies[i].id);
        }
        for rule in &p.rules {
            let l = &m.levers[rule.lever as usize];
            let mut when = String::new();
            if let Some(f) = &rule.from_label {
                let _ = write!(when, " from {f}");
            }
            if let Some(u) = &rule.until_label {
                let _ = write!(when, " until {u}");
            }
            if let Some(c) = &rule.when_text {
                let _ = write!(
                    when,
                    " when `{c}`{}",
                    if rule.sticky { " (and ever after)" } else { "" }
                );
            }
            let _ = writeln!(
                s,
                "  - `{} = {}`{when} — rests on: {}",
                l.id,
                l.show(rule.value),
                rule.passage
            );
        }
        s.push_str(&super::fidelity::package_flags(m, p, "  "));
    }
    cited_works(
        &mut s,
        m,
        r.cmp
            .design
            .slots
            .iter()
            .flat_map(|&pi| m.policies[pi].rules.iter().map(|x| x.passage.as_str())),
    );
    let _ = writeln!(s);
    s
}

/// The full citation of every work cited as `[key]` in `texts`, in the scenario's order.
fn cited_works<'t>(s: &mut String, m: &crate::model::Model, texts: impl Iterator<Item = &'t str>) {
    let cited: Vec<&str> = texts.flat_map(crate::scenario::citations::in_text).collect();
    let works: Vec<&SourceDef> = m.sources.iter().filter(|w| cited.contains(&w.key.as_str())).collect();
    if works.is_empty() {
        return;
    }
    let _ = writeln!(s, "\nWorks cited above (docs/sources.md lists every source):\n");
    for w in works {
        let _ = writeln!(s, "- `[{}]` {}", w.key, w.citation());
    }
}

/// How the numbers are made, and what they do not say.
pub fn section_method(r: &CompareReport) -> String {
    let mut s = String::from("## Method and caveats\n\n");
    let items = [
        r.model.caveat.to_string(),
        "Differences are paired: trial *k* draws the same uncertainties and the same luck under every policy, so \
         the per-trial difference removes what the policies share. The 95% interval is the Student-t interval of the \
         mean paired difference over independent trials; for outcomes that are 0 or 1 in every trial (did an event \
         happen?) it is Tango's score interval for paired proportions, with McNemar's score test as the p-value."
            .to_string(),
        format!(
            "Many cells are tested at once ({} policy × outcome tests with a better direction), so some intervals \
             exclude 0 by chance. Holm's step-down correction controls the chance of any false claim at 5%; headlines \
             use only Holm-significant differences.",
            holm_family(r)
        ),
        "Probabilities of rare events (a mass-casualty attack abroad) rest on the few trials in which the policies \
         disagree. The score interval keeps close to 95% coverage there (93.5% in a test with about four disagreeing \
         trials, where the t interval covered 89.9%), and it does not shrink to nothing when the policies never \
         disagree: it then still spans about ±3.8/trials."
            .to_string(),
        "\"Better\" and \"worse\" follow each outcome's declared direction for the US (Maximize / Minimize); \
         outcomes marked for information (recognition, returns, strikes) are never scored."
            .to_string(),
        if r.cmp.design.weights.is_empty() {
            "Overall regret weights every scored outcome equally on a standard-deviation scale; a reader who cares \
             more about attacks than about influence should set `--weights`, or read the per-outcome regrets and the \
             scorecard instead of the single ranking."
                .to_string()
        } else {
            "Overall regret uses the weights given with `--weights` on a standard-deviation scale; they are the \
             reader's values, not the model's, and another reader's weights can reorder the ranking (the per-outcome \
             regrets do not depend on them)."
                .to_string()
        },
        format!(
            "Mechanisms (actors' choices, event rates) show *how* the model produces a difference, on the same trials; \
             they are the model's logic, not evidence about the world. Charts of distributions use the first {} trials.",
            r.cmp.kept.first().and_then(|v| v.first()).map_or(0, |v| v.len())
        ),
        "Packages are the authors' recommendations as translated into lever rules (the passages are listed under \
         Provenance); `justsecurity_2021_containment` is a post-2021 analogue of an essay written before the collapse."
            .to_string(),
    ];
    for i in items {
        let _ = writeln!(s, "- {i}");
    }
    let _ = writeln!(s);
    s
}

/// The whole `comparison.md`.
pub fn markdown(r: &CompareReport) -> String {
    let mut s = section_header(r, "policy comparison");
    s.push_str(&section_rank_stability(r));
    s.push_str(&section_headline(r));
    s.push_str(&section_fidelity(r));
    s.push_str(&section_robustness(r));
    if !r.cmp.mechanisms.is_empty() {
        s.push_str(&section_mechanisms(r, 5, false));
    }
    if !r.cmp.drivers.is_empty() {
        s.push_str(&section_drivers(r));
    }
    s.push_str(&section_tables(r));
    s.push_str(&section_provenance(r));
    s.push_str(&section_method(r));
    s
}

/// Events ranked for display (re-exported for the chart code).
pub fn event_size(e: &EventRow) -> f64 {
    relative(&e.diff)
}

/// Every event of every reported policy, whole window (for `explain.md`).
pub fn section_event_table(r: &CompareReport) -> String {
    let mut s = String::new();
    for (slot, m) in &r.cmp.mechanisms {
        let _ = writeln!(
            s,
            "### Every event: {} vs {} (events per year, {}–{})\n",
            r.cmp.policy_ids[*slot],
            r.cmp.policy_ids[0],
            m.years.first().copied().unwrap_or_default(),
            m.years.last().copied().unwrap_or_default()
        );
        let _ = writeln!(
            s,
            "| event | baseline | policy | difference [95% interval] | relative |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|");
        for e in m.events.iter().filter(|e| e.year == "all") {
            let d = &e.diff;
            let rel = if d.baseline_mean > 0.0 {
                format!("{}%", sgn(100.0 * d.diff_mean / d.baseline_mean, 2))
            } else {
                "–".into()
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} [{}, {}]{} | {rel} |",
                e.label,
                fmt_sig(d.baseline_mean, 3),
                fmt_sig(d.policy_mean, 3),
                sgn(d.diff_mean, 2),
                sgn(d.diff_lo95, 2),
                sgn(d.diff_hi95, 2),
                if d.distinguishable() { "" } else { " (unclear)" }
            );
        }
        let _ = writeln!(s);
    }
    s
}

/// The whole `explain.md`: outcome differences, then their mechanisms.
pub fn explain_markdown(r: &CompareReport, k: usize) -> String {
    let mut s = section_header(r, "why the policy differs");
    s.push_str(&section_headline(r));
    s.push_str(&section_mechanisms(r, k, true));
    s.push_str(&section_drivers(r));
    s.push_str(&section_event_table(r));
    s.push_str(&section_tables(r));
    s.push_str(&section_provenance(r));
    s.push_str(&section_method(r));
    s
}
