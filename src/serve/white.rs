//! The white cell's pages: who has submitted and what, the preview of the turn, adjudication with overrides
//! and reasons, every turn report with its dice chart, every message, the turn clock, and the after-action
//! review at the end (the same files as `wargame report`).

use super::page;
use super::team::{Fields, Flash, message_of, public_turn, stream};
use super::{App, Refused, blocking, now_ms, with_headers};
use crate::wargame::adjudicate::public_turn as public_of;
use crate::wargame::commands;
use crate::wargame::game::Game;
use crate::wargame::messages::WHITE;
use crate::wargame::preview;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use std::sync::Arc;

fn auth(app: &App, token: &str) -> Result<(), Refused> {
    if app.ready()?.tokens.is_white(token) {
        Ok(())
    } else {
        Err(Refused::forbidden())
    }
}

/// Rows of overrides offered by the adjudication form.
const OVERRIDE_ROWS: usize = 3;
/// Monte Carlo draws of the preview (as `wargame preview`'s default).
const PREVIEW_SAMPLES: u64 = 1000;

fn render(g: &Game, app: &App, f: &Flash) -> maud::Markup {
    let model = g.model();
    let clock = app.clock_of(g);
    let k = g.current_turn();
    let body = html! {
        header {
            h1 { "White cell — " (model.title) }
            div #status data-part="status" {
                @if g.is_over() {
                    p { strong { "The game is over: " (g.config.turns) " turns played." } }
                } @else {
                    p { strong { "Turn " (k) " of " (g.config.turns) " — " (g.date(k)) } }
                    (page::clock(&clock))
                }
            }
        }
        @match f {
            Flash::Error(e) => p.error role="alert" { (e) },
            Flash::Done(w) => p.ok role="status" { (w) },
            _ => {}
        }
        div.grid {
            div {
                @if !g.is_over() {
                    section #orders data-part="orders" {
                        h2 { "Orders this turn" }
                        table {
                            thead { tr { th { "team" } th { "orders" } } }
                            tbody {
                                @for t in &g.config.teams {
                                    tr {
                                        td { (t) }
                                        td {
                                            @match g.pending.get(t) {
                                                Some(o) => {
                                                    @for (l, x) in &o.levers { (l) " = " (x) br; }
                                                    @for a in o.actions() { "action " (a) br; }
                                                }
                                                None => span.muted { "waiting (the model plays it if none)" },
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        p { a href="preview" { "Preview the turn" } " (the odds before the dice, " (PREVIEW_SAMPLES) " draws; white cell only)" }
                    }
                    section #adjudicate data-part="form" {
                        h2 { "Adjudicate turn " (k) }
                        form method="post" action="adjudicate" {
                            p.muted { "Optional overrides of an event's dice for this turn, each with a reason (logged)." }
                            @for r in 0..OVERRIDE_ROWS {
                                fieldset {
                                    legend { "Override " (r + 1) }
                                    label for={"ev" (r)} { "Event" }
                                    select #{"ev" (r)} name="event" {
                                        option value="" { "(none)" }
                                        @for e in &model.events { option value=(e.id) { (e.id) " — " (e.label) } }
                                    }
                                    label for={"val" (r)} { "Outcome (yes, no or a number)" }
                                    input #{"val" (r)} type="text" name="value";
                                    label for={"why" (r)} { "Reason" }
                                    input #{"why" (r)} type="text" name="reason";
                                }
                            }
                            button type="submit" { "Roll the dice and adjudicate" }
                        }
                    }
                    section #clockform data-part="form" {
                        h2 { "Turn clock" }
                        form method="post" action="clock" {
                            label for="minutes" { "Orders due in (minutes)" }
                            input #minutes type="number" name="minutes" min="1" max="240" value="8";
                            button type="submit" { "Start the countdown" }
                        }
                    }
                } @else {
                    section #review {
                        h2 { "After-action review" }
                        form method="post" action="report" {
                            p { "Writes " code { (g.dir.join("report").display()) } " (as " code { "wargame report" } "): a minute or so." }
                            button type="submit" { "Write the after-action review" }
                        }
                        p { a href="report" { "Open the after-action review" } " (once written; teams can open it from their pages too)" }
                    }
                }
                section #links {
                    h2 { "Team links" }
                    p.muted { "Hand each team its own link only." }
                    ul {
                        @for t in &g.config.teams {
                            li { (t) ": " a href={"/team/" (t) "/" (app.ready.get().and_then(|r| r.tokens.team(t)).unwrap_or("")) "/"} { "/team/" (t) "/…" } }
                        }
                    }
                }
                (super::team::messages_part(WHITE, &g.config.teams, &g.messages, true))
            }
            div {
                section #report data-part="report" {
                    h2 { "Turn reports" }
                    @if g.turns.is_empty() { p.muted { "No turn adjudicated yet." } }
                    @for rec in g.turns.iter().rev() {
                        details open[rec.turn as usize == g.turns.len()] id={"turn-" (rec.turn)} {
                            summary { "Turn " (rec.turn) " (" (rec.date) ")" }
                            (public_turn(model, &public_of(g, rec), Some(format!("turn/{}/dice.svg", rec.turn))))
                            img.chart src={"turn/" (rec.turn) "/trajectory.svg"} alt="The game so far over the fan of continuations" loading="lazy";
                            h4 { "Full report (hidden variables: white cell only, keep off the projector)" }
                            pre { (crate::wargame::adjudicate::turn_report(g, rec)) }
                        }
                    }
                }
                section { p.muted { "Log head: record " (g.log.entries.len()) ", hash " (&g.log.last_hash()[..16]) " (note it to detect a rolled-back log)." } }
            }
        }
        p.note { (model.caveat) }
    };
    page::layout("White cell", body, Some("events"))
}

fn white_page(app: &App, f: Flash, status: StatusCode) -> Result<Response, Refused> {
    app.read(|g| Ok(with_headers((status, render(g, app, &f)).into_response())))
}

/// The answer to a white-cell action: on success a redirect to `to`; on failure the page with the error.
fn done_or_error(app: &App, outcome: anyhow::Result<String>) -> Result<Response, Refused> {
    match outcome {
        Ok(to) => Ok(with_headers(Redirect::to(&to).into_response())),
        Err(e) => white_page(app, Flash::Error(format!("{e:#}")), StatusCode::UNPROCESSABLE_ENTITY),
    }
}

pub async fn page(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    Query(done): Query<super::team::Done>,
) -> Result<Response, Refused> {
    auth(&app, &token)?;
    blocking(move || white_page(&app, done.flash(), StatusCode::OK)).await
}

pub async fn state(State(app): State<Arc<App>>, Path(token): Path<String>) -> Result<Response, Refused> {
    auth(&app, &token)?;
    blocking(move || {
        app.read(|g| {
            let body = serde_json::json!({
                "turn": g.current_turn(),
                "turns": g.config.turns,
                "over": g.is_over(),
                "pending": g.pending,
                "turns_played": g.turns.iter().map(|r| public_of(g, r)).collect::<Vec<_>>(),
                "messages": g.messages,
                "log_head": { "record": g.log.entries.len(), "hash": g.log.last_hash() },
            });
            Ok(with_headers(axum::Json(body).into_response()))
        })
    })
    .await
}

#[derive(serde::Deserialize)]
pub struct Samples {
    samples: Option<u64>,
}

pub async fn preview(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    Query(q): Query<Samples>,
) -> Result<Response, Refused> {
    auth(&app, &token)?;
    blocking(move || {
        let n = q.samples.unwrap_or(PREVIEW_SAMPLES);
        commands::check_samples("samples", n).map_err(Refused::bad)?;
        let (k, text) = app.read(|g| Ok((g.current_turn(), preview::preview(g, n).map_err(Refused::bad)?)))?;
        let body = html! {
            p { a href="./" { "← back to the white cell" } }
            h1 { "Preview of turn " (k) }
            pre { (text) }
        };
        Ok(with_headers(page::layout("Preview", body, None).into_response()))
    })
    .await
}

pub async fn adjudicate(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    axum::Form(fields): Fields,
) -> Result<Response, Refused> {
    auth(&app, &token)?;
    blocking(move || {
        // Rows in order: event, value, reason; a row without an event is unused.
        let col = |name: &str| -> Vec<String> {
            fields
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_string())
                .collect()
        };
        let (events, values, reasons) = (col("event"), col("value"), col("reason"));
        let mut specs = Vec::new();
        let mut why = Vec::new();
        for (i, e) in events.iter().enumerate() {
            if e.is_empty() {
                continue;
            }
            specs.push(format!("{e}={}", values.get(i).map_or("", |v| v.as_str())));
            why.push(reasons.get(i).cloned().unwrap_or_default());
        }
        let outcome = app.act(|g| {
            commands::adjudicate(g, &specs, &why, true).map(|(rec, _, _)| format!("./?done=turn#turn-{}", rec.turn))
        })?;
        done_or_error(&app, outcome)
    })
    .await
}

pub async fn message(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    axum::Form(fields): Fields,
) -> Result<Response, Refused> {
    auth(&app, &token)?;
    blocking(move || {
        let (to, text) = message_of(&fields);
        let outcome = app
            .act(|g| g.send_message(WHITE, &to, &text))?
            .map(|_| "./?done=message".to_string());
        done_or_error(&app, outcome)
    })
    .await
}

pub async fn clock(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    axum::Form(fields): Fields,
) -> Result<Response, Refused> {
    auth(&app, &token)?;
    let minutes = fields
        .iter()
        .find(|(k, _)| k == "minutes")
        .and_then(|(_, v)| v.trim().parse::<u64>().ok())
        .filter(|m| (1..=240).contains(m))
        .ok_or_else(|| {
            Refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "minutes: a whole number from 1 to 240".into(),
            )
        })?;
    // Logged (a `clock` record): the deadline survives a restart, and the watcher tells the open pages.
    blocking(move || {
        let outcome = app
            .act(|g| {
                let opened = app.clock_of(g).opened_ms;
                g.set_clock(opened, now_ms() + minutes * 60_000)
            })?
            .map(|_| "./".to_string());
        done_or_error(&app, outcome)
    })
    .await
}

/// Serve the written after-action review (`GAME/report/report.html`, self-contained).
pub fn review(app: &App) -> Result<Response, Refused> {
    let path = app.dir.join("report").join("report.html");
    let html = std::fs::read(&path)
        .map_err(|_| Refused::not_found("the after-action review (the white cell has not written it yet)"))?;
    let mut r = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    r = with_headers(r);
    // The review is a self-contained file with inline styles and images.
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static("default-src 'none'; img-src data:; style-src 'unsafe-inline'"),
    );
    Ok(r)
}

pub async fn report(State(app): State<Arc<App>>, Path(token): Path<String>) -> Result<Response, Refused> {
    auth(&app, &token)?;
    blocking(move || review(&app)).await
}

/// Continuations and luck-versus-choice samples of the review written from the browser (`wargame report`'s
/// defaults).
const REVIEW_CONTINUATIONS: u64 = 1000;
const REVIEW_SAMPLES: u64 = 400;

pub async fn make_report(State(app): State<Arc<App>>, Path(token): Path<String>) -> Result<Response, Refused> {
    auth(&app, &token)?;
    blocking(move || {
        // On a copy of the game: the review takes a minute, and the pages keep answering meanwhile.
        let (g, _one_at_a_time) = app.copy()?;
        let outcome = commands::report(&g, None, REVIEW_CONTINUATIONS, REVIEW_SAMPLES).map(|_| "report".to_string());
        drop(g);
        done_or_error(&app, outcome)
    })
    .await
}

pub async fn events(State(app): State<Arc<App>>, Path(token): Path<String>) -> Result<Response, Refused> {
    auth(&app, &token)?;
    Ok(stream(&app, super::auth::WHITE_CELL.to_string()))
}

pub async fn dice(
    State(app): State<Arc<App>>,
    Path((token, n, name)): Path<(String, u32, String)>,
) -> Result<Response, Refused> {
    auth(&app, &token)?;
    blocking(move || super::team::chart(&app, n, &name)).await
}
