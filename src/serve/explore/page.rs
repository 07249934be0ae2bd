//! The Explore page's HTML: the form, a run's progress, and a finished run's differences and charts. Every page
//! works without script (a running run's page refreshes itself); `explore.js` only updates the progress bar in
//! place and reloads when the run ends.

use super::Viewer;
use super::job::{self, Finished, Progress, Run, Runs, Status};
use crate::experiment::prepare::Prepared;
use crate::model::{LeverKindDef, Model};
use maud::{Markup, html};

const SCRIPT: &str = include_str!("explore.js");
const STYLE: &str = include_str!("explore.css");

pub async fn script() -> axum::response::Response {
    crate::serve::page::asset("text/javascript; charset=utf-8", SCRIPT)
}

pub async fn style() -> axum::response::Response {
    crate::serve::page::asset("text/css; charset=utf-8", STYLE)
}

/// A full page; `refresh` makes it reload every two seconds when script is off (a running run).
fn layout(title: &str, body: Markup, refresh: bool) -> Markup {
    crate::serve::page::document(
        title,
        body,
        &crate::serve::page::Head {
            live: None,
            css: Some("/assets/explore.css"),
            script: "/assets/explore.js",
            refresh,
        },
    )
}

fn num(x: f64) -> String {
    crate::plot::render::fmt_num(x)
}

/// An outcome's value for readers: a probability as a percentage, anything else with three significant digits.
fn level(event: bool, x: f64) -> String {
    if event && x.is_finite() {
        format!("{}%", num(100.0 * x))
    } else {
        num(x)
    }
}

/// A difference for readers: in percentage points for a probability, signed.
fn change(event: bool, x: f64) -> String {
    let v = if event { 100.0 * x } else { x };
    let s = num(v);
    let s = if v > 0.0 && s != "0" && !s.starts_with('+') {
        format!("+{s}")
    } else {
        s
    };
    if event { format!("{s} pp") } else { s }
}

/// Full precision, as `comparison.csv` writes it (empty when not finite).
fn exact(x: f64) -> String {
    if x.is_finite() { format!("{x}") } else { String::new() }
}

fn caveat(model: &Model) -> Markup {
    html! {
        p.note role="note" {
            strong { "Conditional scenarios, not forecasts." }
            " Every number below follows from the assumptions in the scenario file ("
            (model.name) "), each of which says where it comes from and how uncertain it is."
            @if !model.caveat.is_empty() && !model.caveat.starts_with("Conditional scenarios, not forecasts") {
                " " (model.caveat)
            }
        }
    }
}

/// A run's progress bar and its text; `url` is its `progress.json`.
fn progress_bar(p: &Progress, url: &str) -> Markup {
    html! {
        label for="explore-progress" { "Progress" }
        progress #explore-progress max=(p.total) value=(p.done) data-progress=(url) { (p.percent) "%" }
        p #progress-text aria-live="polite" { (progress_text(p)) }
    }
}

fn progress_text(p: &Progress) -> String {
    match p.phase {
        "writing" => format!("{} of {} trials done; writing the tables and charts…", p.done, p.total),
        _ => format!("{} of {} trials ({}%)", p.done, p.total, p.percent),
    }
}

/// The form: packages, a package of one's own, trials and seed; `error` above it after a refused request.
pub fn form(v: &Viewer, prep: &Prepared, runs: &Runs, error: Option<&str>) -> Markup {
    let model = &prep.loaded.model;
    let base = v.base.as_str();
    let running = runs.running();
    let body = html! {
        h1 { "Explore: packages against the baseline" }
        p {
            "Choose packages, or set the levers by hand, and run them against the baseline on the same random draws, "
            "trial by trial: the page shows the paired differences with 95% intervals and the distributions, "
            "the same numbers and charts as " code { "greatgame compare" } "."
        }
        (caveat(model))
        @if let Some(e) = error {
            p.error role="alert" #form-error { (e) }
        }
        @if let Some(r) = &running {
            section.banner #busy {
                @if v.sees(r) {
                    p { "Run " (r.n) " is going (one run at a time): " a href={ (base) "run/" (r.n) "/" } { "watch it" } "." }
                    (progress_bar(&r.progress(), &format!("{base}run/{}/progress.json", r.n)))
                } @else {
                    p { "Another team's run is going, " (r.progress().percent) "% done (one run at a time)." }
                }
            }
        }
        form #explore-form method="post" action={ (base) "run" } {
            section {
                h2 { "Packages" }
                fieldset {
                    legend { "Compare with the baseline" }
                    @for (i, p) in model.policies.iter().enumerate() {
                        div.check {
                            input type="checkbox" name="policy" value=(p.id) id={ "p-" (p.id) };
                            " "
                            label.inline for={ "p-" (p.id) } {
                                (p.id)
                                @if i == model.baseline { " (the scenario's baseline)" }
                                span.muted {
                                    " — " (p.label)
                                    @if !p.author.is_empty() { ", " (p.author) }
                                    @if !p.date.is_empty() { ", " (p.date) }
                                }
                            }
                        }
                    }
                }
                label for="baseline" { "Baseline" }
                select #baseline name="baseline" {
                    @for (i, p) in model.policies.iter().enumerate() {
                        option value=(p.id) selected[i == model.baseline] { (p.id) }
                    }
                }
            }
            section {
                h2 { "A package of your own (optional)" }
                p.muted {
                    "Set any levers: the package sets them from the decision date on and follows its base policy "
                    "for every lever left as it is."
                }
                label for="custom_base" { "Base policy" }
                select #custom_base name="custom_base" {
                    option value="" selected { "the baseline" }
                    @for p in &model.policies {
                        option value=(p.id) { (p.id) }
                    }
                }
                div.grid {
                    @for (l, def) in model.levers.iter().enumerate() {
                        div {
                            label for={ "lever-" (def.id) } {
                                (def.label) " " span.muted { "(" (def.id) ")" }
                            }
                            @match job::lever_choices(model, l) {
                                Some(opts) => {
                                    select id={ "lever-" (def.id) } name={ "lever." (def.id) } {
                                        option value="" selected { "as the base policy" }
                                        @for o in opts { option value=(o) { (o) } }
                                    }
                                }
                                None => {
                                    @let (lo, hi) = match def.kind { LeverKindDef::Level(lo, hi) => (lo, hi), _ => (0.0, 1.0) };
                                    input type="number" id={ "lever-" (def.id) } name={ "lever." (def.id) }
                                        step="any" min=(lo) max=(hi) placeholder="as the base policy"
                                        aria-describedby={ "range-" (def.id) };
                                    span.muted id={ "range-" (def.id) } { "from " (lo) " to " (hi) }
                                }
                            }
                        }
                    }
                }
            }
            section {
                h2 { "Trials" }
                div.grid {
                    div {
                        label for="trials" { "Trials" }
                        input #trials type="number" name="trials" value=(job::DEFAULT_TRIALS)
                            min=(job::MIN_TRIALS) max=(job::MAX_TRIALS) step="1" aria-describedby="trials-note";
                        span.muted #trials-note {
                            "from " (job::MIN_TRIALS) " to " (num(job::MAX_TRIALS as f64))
                            "; each trial runs every chosen package and the baseline"
                        }
                    }
                    div {
                        label for="seed" { "Seed" }
                        input #seed type="number" name="seed" value="1" min="0" step="1" aria-describedby="seed-note";
                        span.muted #seed-note { "the same seed gives the same results" }
                    }
                }
                button type="submit" { "Run" }
            }
        }
        (run_list(v, runs))
    };
    layout("greatgame — Explore", body, false)
}

fn run_list(v: &Viewer, runs: &Runs) -> Markup {
    let base = v.base.as_str();
    let all: Vec<Run> = runs.all().into_iter().filter(|r| v.sees(r)).collect();
    html! {
        @if !all.is_empty() {
            section #runs {
                h2 { "Runs of this server" }
                ul {
                    @for r in &all {
                        li {
                            a href={ (base) "run/" (r.n) "/" } { "Run " (r.n) }
                            ": " (r.request.describe()) " — "
                            @match &r.status {
                                Status::Running => { (r.progress().percent) "% done" }
                                Status::Done(f) => { "done in " (format!("{:.1}", f.seconds)) " s" }
                                Status::Failed(_) => { "failed" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The answer to a run asked for while another is going.
pub fn busy(v: &Viewer, b: &job::Busy) -> Markup {
    let (base, p) = (v.base.as_str(), &b.progress);
    let body = html! {
        h1 { "Busy" }
        p.error role="alert" #busy-message {
            "busy: run " (p.n) " is going, " (p.percent) "% done (" (p.done) " of " (p.total) " trials). "
            "The server runs one comparison at a time; wait for it to finish, then start yours."
        }
        @if v.sees_owner(b.owner.as_deref()) {
            section.banner #busy {
                (progress_bar(p, &format!("{base}run/{}/progress.json", p.n)))
                p { a href={ (base) "run/" (p.n) "/" } { "Watch run " (p.n) } " · " a href=(base) { "back to the form" } }
            }
        } @else {
            p { a href=(base) { "Back to the form" } }
        }
    };
    layout("greatgame — Explore: busy", body, false)
}

/// A run's page: its progress while it runs, its error if it failed, its results when done.
pub fn run(base: &str, prep: &Prepared, run: &Run) -> Markup {
    let model = &prep.loaded.model;
    let running = run.running();
    let body = html! {
        p { a href=(base) { "← Explore page" } }
        h1 { "Run " (run.n) }
        p.muted { (run.request.describe()) }
        (caveat(model))
        @match &run.status {
            Status::Running => {
                section #progress-section {
                    (progress_bar(&run.progress(), "progress.json"))
                    noscript { p.muted { "This page reloads itself every two seconds until the run is done." } }
                }
            }
            Status::Failed(e) => {
                p.error role="alert" { "The run failed: " (e) }
            }
            Status::Done(f) => { (results(model, run, f)) }
        }
    };
    layout(&format!("greatgame — Explore run {}", run.n), body, running)
}

fn results(model: &Model, run: &Run, f: &Finished) -> Markup {
    let label = |id: &str| {
        model
            .policies
            .iter()
            .find(|p| p.id == id)
            .map_or(String::new(), |p| p.label.clone())
    };
    html! {
        section #results {
            h2 { "Paired differences from " code { (f.baseline) } }
            p {
                (num(run.trials as f64)) " trials, seed " (run.request.seed) ", in "
                (format!("{:.1}", f.seconds)) " s. Every package ran on the same draws as the baseline, trial by "
                "trial: a difference is the mean of (package − baseline) over the trials, with its 95% interval "
                "(Student-t; Tango's score interval for events, whose differences are in percentage points). "
                a href="files/report.html" { "The full report" } " · "
                a href="files/comparison.csv" { "comparison.csv" }
            }
            @if let Some(s) = &f.scorecard {
                figure {
                    img.chart src={ "files/charts/" (s) } alt="Scorecard: each package against the baseline, outcome by outcome, coloured by better or worse for the US";
                    figcaption.muted { "Scorecard: every package × outcome, coloured by better (or worse) for the US and size of the difference." }
                }
            }
        }
        @for p in &f.policies {
            section.policy {
                h2 { code { (p) } @let l = label(p); @if !l.is_empty() && &l != p { " — " (l) } }
                table.diffs data-policy=(p) {
                    caption.muted { (p) " − " (f.baseline) ", per outcome" }
                    thead {
                        tr {
                            th scope="col" { "Outcome" }
                            th scope="col" { "Baseline" }
                            th scope="col" { "Package" }
                            th scope="col" { "Difference" }
                            th scope="col" { "95% interval" }
                            th scope="col" { "Better for the US in" }
                            th scope="col" { "Told from noise?" }
                        }
                    }
                    tbody {
                        @for r in f.rows.iter().filter(|r| &r.policy == p) {
                            @let o = &model.outcomes[r.outcome];
                            @let ev = o.is_event();
                            tr data-outcome=(o.id) {
                                th scope="row" { (o.label) br; span.muted { (o.id) " · " (o.window_label(&model.calendar)) } }
                                td.n data-v=(exact(r.baseline_mean)) { (level(ev, r.baseline_mean)) }
                                td.n data-v=(exact(r.policy_mean)) { (level(ev, r.policy_mean)) }
                                td.n data-v=(exact(r.diff_mean)) { (change(ev, r.diff_mean)) }
                                td.n data-lo=(exact(r.diff_lo95)) data-hi=(exact(r.diff_hi95)) {
                                    (change(ev, r.diff_lo95)) " to " (change(ev, r.diff_hi95))
                                }
                                td.n data-v=(r.p_better.map(exact).unwrap_or_default()) {
                                    @match r.p_better { Some(b) => { (format!("{:.1}%", 100.0 * b)) " of trials" } None => { "—" } }
                                }
                                td {
                                    @if r.distinguishable_holm { "yes, after Holm's correction" }
                                    @else if r.distinguishable { "interval excludes 0 (not after Holm)" }
                                    @else { "no" }
                                }
                            }
                        }
                    }
                }
            }
        }
        section #distributions {
            h2 { "Distributions" }
            p.muted { "Each outcome under the baseline and every package, side by side (the first 10,000 trials)." }
            @for (o, def) in model.outcomes.iter().enumerate() {
                @if let Some(Some(c)) = f.outcome_charts.get(o) {
                    figure #{ "chart-" (def.id) } {
                        img.chart loading="lazy" src={ "files/charts/" (c) }
                            alt={ (def.label) ": its distribution under each package" };
                        figcaption.muted {
                            (def.label) @if !def.description.is_empty() { " — " (def.description) }
                        }
                    }
                }
            }
        }
    }
}
