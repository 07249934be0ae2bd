//! A team's pages: its view (interests, options, the public state and its estimates, the turn reports), its
//! orders (checked, previewed, submitted and replaced until the turn is adjudicated) and its messages.
//!
//! Every handler first checks the URL's token against the team it names (403 otherwise), and renders only from
//! a [`TeamView`] — what the team's own passphrase opens, plus the public part of adjudicated turns — and the
//! scenario's definitions.

use super::page::{self, num, pct};
use super::{App, Refused, blocking, with_headers};
use crate::model::{LeverKindDef, Model};
use crate::wargame::adjudicate::PublicTurn;
use crate::wargame::commands;
use crate::wargame::messages::{ALL, Message, WHITE};
use crate::wargame::team_view::TeamView;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::sync::Arc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

type TeamPath = Path<(String, String)>;

fn auth(app: &App, team: &str, token: &str) -> Result<(), Refused> {
    if app.ready()?.tokens.is_team(team, token) {
        Ok(())
    } else {
        Err(Refused::forbidden())
    }
}

/// What a page shows above its content after a form.
pub enum Flash {
    None,
    Error(String),
    Done(&'static str),
    Preview(Markup),
}

fn flash(f: &Flash) -> Markup {
    html! {
        @match f {
            Flash::None => {},
            Flash::Error(e) => p.error role="alert" { (e) },
            Flash::Done(what) => p.ok role="status" { (what) },
            Flash::Preview(m) => section.preview #preview { h2 { "Preview of your orders (not submitted)" } (m) },
        }
    }
}

fn actor_of<'a>(model: &'a Model, id: &str) -> Option<(usize, &'a crate::model::ActorDef)> {
    model.actors.iter().enumerate().find(|(_, a)| a.id == id)
}

fn action_label(model: &Model, actor: &str, action: &str) -> String {
    actor_of(model, actor)
        .and_then(|(_, a)| a.actions.iter().find(|x| x.id == action))
        .map_or_else(
            || {
                if action == "hold" {
                    "no action on this line".into()
                } else {
                    String::new()
                }
            },
            |x| x.label.clone(),
        )
}

/// The public report of one adjudicated turn (shared by the team and white-cell pages).
pub fn public_turn(model: &Model, t: &PublicTurn, chart: Option<String>) -> Markup {
    html! {
        h3 { "Turn " (t.turn) " — " (t.date) }
        @if let Some(src) = chart {
            img.chart src=(src) alt={"The dice of turn " (t.turn) ": each bar split into the options' probabilities, a tick where the die landed"} loading="lazy";
        }
        table {
            caption.muted { "What each actor did (p: the model's probability of that move)" }
            thead { tr { th { "actor" } th { "move" } th { "by" } th.n { "p" } } }
            tbody {
                @for m in &t.moves {
                    tr {
                        td { (m.actor) @if let Some(l) = &m.line { " [" (l) "]" } }
                        td { (m.action) " " span.muted { (action_label(model, &m.actor, &m.action)) } }
                        td { (m.by) }
                        td.n { (num(m.p)) }
                    }
                }
            }
        }
        table {
            caption.muted { "What happened: each event's chance this turn and what came up" }
            thead { tr { th { "event" } th.n { "chance" } th { "outcome" } } }
            tbody {
                @for (label, d) in &t.events {
                    tr {
                        td { (label) }
                        td.n { (pct(d.p)) }
                        td {
                            @if d.count == 0 { "no" } @else if d.count == 1 { strong { "YES" } } @else { strong { "YES × " (d.count) } }
                            @if d.forced { " [white-cell override]" }
                        }
                    }
                }
            }
        }
        @if !t.overrides.is_empty() {
            p { "White-cell overrides: " }
            ul { @for o in &t.overrides { li { (o.event) " = " (o.count) " because: " (o.reason) } } }
        }
        table {
            caption.muted { "Key variables (public)" }
            tbody {
                @for v in &t.public_vars {
                    tr { td { (v.label) } td.n { (num(v.before)) " → " (num(v.after)) } td.muted { (v.unit) } }
                }
            }
        }
    }
}

pub fn messages_part(v_team: &str, teams: &[String], msgs: &[Message], can_send: bool) -> Markup {
    html! {
        section #messages data-part="messages" {
            h2 { "Messages" }
            @if msgs.is_empty() { p.muted { "No messages yet." } }
            @for m in msgs.iter().rev() {
                div.msg {
                    span.who { (m.from) " → " (m.to) } " " span.muted { "(turn " (m.turn) ")" }
                    div { (m.text) }
                }
            }
        }
        @if can_send {
            section #send data-part="form" {
                h2 { "Send a message" }
                form method="post" action="messages" {
                    label for="to" { "To" }
                    select #to name="to" {
                        @for t in teams.iter().filter(|t| *t != v_team) { option value=(t) { "team " (t) } }
                        @if v_team != WHITE { option value=(WHITE) { "the white cell" } }
                        option value=(ALL) { "every team" }
                    }
                    label for="text" { "Message" }
                    textarea #text name="text" maxlength="2000" required {}
                    button type="submit" { "Send" }
                }
            }
        }
    }
}

/// The team's page.
pub fn render(model: &Model, v: &TeamView, clock: &super::Clock, f: &Flash) -> Markup {
    let Some((ti, actor)) = actor_of(model, &v.team) else {
        return html! { p.error { "no such actor" } };
    };
    let b = &v.brief;
    // The US team judges its menu under its own pending settings, other teams under the levers in force.
    let mut levers = b.levers.clone();
    if v.team == "us"
        && let Some(o) = &v.own
    {
        for (name, value) in &o.levers {
            if let Ok((l, x)) = crate::wargame::orders::encode_lever(model, name, value) {
                levers[l] = x;
            }
        }
    }
    let body = html! {
        header {
            h1 { (actor.name) " (" (v.team) ")" }
            p.muted { (model.title) }
            div #status data-part="status" {
                @if v.over {
                    p { strong { "The game is over (" (v.turns) " turns played)." } " The white cell will show the after-action review." }
                    p { a href="report" { "After-action review" } " (once the white cell has written it)" }
                } @else {
                    p { strong { "Turn " (v.turn) " of " (v.turns) " — " (v.date) } }
                    (page::clock(clock))
                    p {
                        "Orders: "
                        @for (i, (t, done)) in v.submitted.iter().enumerate() {
                            @if i > 0 { ", " }
                            (t) " (" @if *done { "submitted" } @else { "waiting" } ")"
                        }
                    }
                }
            }
        }
        (flash(f))
        div.grid {
            div {
                @if !v.over {
                    section #orders data-part="form" {
                        h2 { "Your orders this turn" }
                        div #own data-part="own" {
                            @match &v.own {
                                Some(o) => {
                                    p { "Submitted (you may replace them until the turn is adjudicated):" }
                                    ul {
                                        @for (l, x) in &o.levers { li { (l) " = " (x) } }
                                        @for a in o.actions() { li { "action " (a) } }
                                    }
                                }
                                None => p.muted { "None submitted yet. Without orders, "
                                    @if v.team == "us" { "last turn's lever settings stay and the model picks the US action." }
                                    @else { "the model picks your move." } },
                            }
                        }
                        form method="post" action="orders" {
                            @if v.team == "us" {
                                fieldset {
                                    legend { "Levers (blank: keep the setting in force)" }
                                    @for (l, def) in model.levers.iter().enumerate() {
                                        @let id = format!("set-{}", def.id);
                                        @let name = format!("set:{}", def.id);
                                        @let cur = def.show(b.levers[l]);
                                        label for=(id) { (def.label) " " span.muted { "(" (def.id) ", now " (def.show(b.levers[l])) ")" } }
                                        @match &def.kind {
                                            LeverKindDef::Level(lo, hi) => {
                                                input #(id) type="number" name=(name) step="any" min=(lo) max=(hi) placeholder=(cur);
                                            }
                                            LeverKindDef::Bool => {
                                                select #(id) name=(name) {
                                                    option value="" { "keep (" (cur) ")" }
                                                    option value="true" { "true" }
                                                    option value="false" { "false" }
                                                }
                                            }
                                            LeverKindDef::Enum(opts) => {
                                                select #(id) name=(name) {
                                                    option value="" { "keep (" (cur) ")" }
                                                    @for o in opts { option value=(o) { (o) } }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                            @let slots: Vec<usize> = actor.slots.clone().collect();
                            @for s in slots {
                                @let line = model.slots[s].line.clone();
                                @let id = format!("action-{s}");
                                label for=(id) {
                                    @match &line { Some(l) => { "Action on the " (l) " line" }, None => { "Action" } }
                                }
                                select #(id) name={"action:" (s)} {
                                    option value="" { "(left to the model)" }
                                    @if let Some(l) = &line { option value={"hold:" (l)} { "no action on this line" } }
                                    @for (k, a) in actor.actions.iter().enumerate().filter(|(_, a)| a.slot == s) {
                                        @let ok = b.available(model, ti, k, &levers);
                                        option value=(a.id) { (a.id) " — " (a.label) @if !ok { " (not available now)" } }
                                    }
                                }
                            }
                            button type="submit" name="do" value="preview" class="secondary" { "Preview" }
                            " "
                            button type="submit" name="do" value="submit" { "Submit orders" }
                        }
                    }
                }
                (messages_part(&v.team, &v.teams, &v.messages, true))
                section #interests {
                    h2 { "Your interests" }
                    p.muted { "Points gained: + you want more, − less." }
                    table { tbody {
                        @for i in &actor.interests {
                            tr { td.n { (crate::numfmt::signed(i.weight, 4)) } td { (i.on) " " span.muted { (i.scale_text(&model.vars)) } } }
                        }
                    } }
                }
                section #menu data-part="menu" {
                    h2 { "Your options" }
                    ul {
                        @for (k, a) in actor.actions.iter().enumerate() {
                            @let ok = b.available(model, ti, k, &levers);
                            li class=[(!ok).then_some("unavailable")] {
                                @if let Some(l) = &a.line { "[" (l) "] " }
                                strong { (a.id) } " — " (a.label)
                                @if !ok { " (not available now: its precondition fails)" }
                            }
                        }
                    }
                }
            }
            div {
                section #world data-part="world" {
                    h2 { "The state of the world" }
                    p.muted { "≈ marks your estimate of a hidden quantity, ± one standard deviation." }
                    table { tbody {
                        @for (def, (x, sd)) in model.vars.iter().zip(&b.seen) {
                            tr {
                                td { (def.label) }
                                td.n { @match sd { Some(sd) => { "≈ " (num(*x)) " ± " (num(*sd)) }, None => { (num(*x)) } } }
                                td.muted { (def.unit) }
                            }
                        }
                    } }
                }
                section #report data-part="report" {
                    h2 { "Turn reports" }
                    @if v.turns_played.is_empty() { p.muted { "No turn adjudicated yet." } }
                    @for t in v.turns_played.iter().rev() {
                        (public_turn(model, t, Some(format!("turn/{}/dice.svg", t.turn))))
                    }
                    @if b.last_turn.is_some() {
                        h3 { "Events so far in the game" }
                        ul {
                            @for (ev, n) in model.events.iter().zip(&b.game_events).filter(|(_, n)| **n > 0) {
                                li { (n) " × " (ev.label) }
                            }
                        }
                    }
                }
            }
        }
        p.note { (model.caveat) }
    };
    page::layout(&format!("{} — turn {}", actor.name, v.turn), body, Some("events"))
}

/// Open the game, build the team's view and render it.
fn team_page(app: &App, team: &str, f: Flash, status: StatusCode) -> Result<Response, Refused> {
    app.read(|g| {
        let v = TeamView::of(g, team).map_err(Refused::internal)?;
        let html = render(g.team_model(), &v, &app.clock_of(g), &f);
        Ok(with_headers((status, html).into_response()))
    })
}

/// The `?done=` of the page a form redirects to.
#[derive(serde::Deserialize)]
pub struct Done {
    done: Option<String>,
}

impl Done {
    pub fn flash(&self) -> Flash {
        match self.done.as_deref() {
            Some("orders") => Flash::Done("Orders recorded."),
            Some("message") => Flash::Done("Message sent."),
            Some("turn") => Flash::Done("Turn adjudicated."),
            _ => Flash::None,
        }
    }
}

pub async fn page(
    State(app): State<Arc<App>>,
    Path((team, token)): TeamPath,
    axum::extract::Query(done): axum::extract::Query<Done>,
) -> Result<Response, Refused> {
    auth(&app, &team, &token)?;
    blocking(move || team_page(&app, &team, done.flash(), StatusCode::OK)).await
}

pub async fn state(State(app): State<Arc<App>>, Path((team, token)): TeamPath) -> Result<Response, Refused> {
    auth(&app, &team, &token)?;
    blocking(move || {
        let (v, clock) = app.read(|g| Ok((TeamView::of(g, &team).map_err(Refused::internal)?, app.clock_of(g))))?;
        let body = serde_json::json!({
            "view": v,
            "clock": { "opened_ms": clock.opened_ms, "deadline_ms": clock.deadline_ms },
        });
        Ok(with_headers(axum::Json(body).into_response()))
    })
    .await
}

/// A form's fields, in order (repeated names kept).
pub type Fields = axum::Form<Vec<(String, String)>>;

/// The orders a team's form asks for: `set:LEVER` and `action:SLOT` fields, blanks ignored.
fn orders_of(fields: &[(String, String)]) -> (Vec<String>, Vec<String>, bool) {
    let mut sets = Vec::new();
    let mut actions = Vec::new();
    let mut preview = false;
    for (k, v) in fields {
        let v = v.trim();
        if let Some(l) = k.strip_prefix("set:") {
            if !v.is_empty() {
                sets.push(format!("{l}={v}"));
            }
        } else if k.starts_with("action:") || k == "action" {
            if !v.is_empty() {
                actions.push(v.to_string());
            }
        } else if k == "do" && v == "preview" {
            preview = true;
        }
    }
    (sets, actions, preview)
}

pub async fn orders(
    State(app): State<Arc<App>>,
    Path((team, token)): TeamPath,
    axum::Form(fields): Fields,
) -> Result<Response, Refused> {
    auth(&app, &team, &token)?;
    blocking(move || {
        let (sets, actions, preview) = orders_of(&fields);
        // The team's own path, as `wargame orders --passphrase`: checked on what the team knows (its brief, the
        // nominal model), on the game held in memory.
        let outcome = app.act(|g| -> anyhow::Result<Option<Markup>> {
            let o = commands::team_orders_from_args(g, &team, &sets, &actions)?;
            let pass = g.white.passphrase(g.config.seed, &team);
            if preview {
                g.check_as_team(&o, &pass)?;
                let brief = g.team_brief(&team, &pass)?;
                let model = g.team_model();
                return Ok(Some(html! {
                    p { "These orders pass the checks on what you know; adjudication checks them again on the truth." }
                    ul {
                        @for (l, x) in &o.levers {
                            @let i = model.levers.iter().position(|d| &d.id == l).unwrap_or(0);
                            li { (l) ": " (model.levers[i].show(brief.levers[i])) " → " strong { (x) } }
                        }
                        @for a in o.actions() { li { "action " strong { (a) } " — " (action_label(model, &team, a)) } }
                    }
                    p.muted { "Lines or moves you leave blank are chosen by the model at adjudication." }
                }));
            }
            g.submit_as_team(o, &pass)?;
            Ok(None)
        })?;
        match outcome {
            Ok(None) => Ok(with_headers(Redirect::to("./?done=orders").into_response())),
            Ok(Some(m)) => team_page(&app, &team, Flash::Preview(m), StatusCode::OK),
            Err(e) => team_page(
                &app,
                &team,
                Flash::Error(format!("{e:#}")),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
        }
    })
    .await
}

/// The recipient and text of a message form.
pub fn message_of(fields: &[(String, String)]) -> (String, String) {
    let get = |n: &str| {
        fields
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    (get("to"), get("text"))
}

pub async fn message(
    State(app): State<Arc<App>>,
    Path((team, token)): TeamPath,
    axum::Form(fields): Fields,
) -> Result<Response, Refused> {
    auth(&app, &team, &token)?;
    blocking(move || {
        let (to, text) = message_of(&fields);
        match app.act(|g| g.send_message(&team, &to, &text))? {
            Ok(_) => Ok(with_headers(Redirect::to("./?done=message").into_response())),
            Err(e) => team_page(
                &app,
                &team,
                Flash::Error(format!("{e:#}")),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
        }
    })
    .await
}

/// The live-update stream of reader `who`.
pub fn stream(app: &App, who: String) -> Response {
    let rx = BroadcastStream::new(app.live.subscribe());
    let s = rx.filter_map(move |n| {
        let n = n.ok()?;
        n.heard_by(&who)
            .then(|| Ok::<Event, std::convert::Infallible>(Event::default().event(n.kind).data(n.turn.to_string())))
    });
    with_headers(Sse::new(s).keep_alive(KeepAlive::default()).into_response())
}

pub async fn events(State(app): State<Arc<App>>, Path((team, token)): TeamPath) -> Result<Response, Refused> {
    auth(&app, &team, &token)?;
    Ok(stream(&app, team))
}

/// A turn chart from the game folder's `turns/` (charts for the projector: public).
pub fn chart(app: &App, n: u32, name: &str) -> Result<Response, Refused> {
    if !matches!(name, "dice.svg" | "trajectory.svg") {
        return Err(Refused::not_found("chart"));
    }
    let path = app.dir.join("turns").join(format!("turn-{n:02}")).join(name);
    let bytes = std::fs::read(&path).map_err(|_| Refused::not_found("chart"))?;
    Ok(with_headers(
        ([(header::CONTENT_TYPE, "image/svg+xml")], bytes).into_response(),
    ))
}

pub async fn dice(
    State(app): State<Arc<App>>,
    Path((team, token, n, name)): Path<(String, String, u32, String)>,
) -> Result<Response, Refused> {
    auth(&app, &team, &token)?;
    blocking(move || {
        // Only adjudicated turns have charts; a later turn's folder is never read.
        let played = app.read(|g| Ok(g.turns.len() as u32))?;
        if n == 0 || n > played {
            return Err(Refused::not_found("chart"));
        }
        chart(&app, n, &name)
    })
    .await
}

/// The after-action review, once the game is over and the white cell has written it.
pub async fn report(State(app): State<Arc<App>>, Path((team, token)): TeamPath) -> Result<Response, Refused> {
    auth(&app, &team, &token)?;
    blocking(move || {
        if !app.read(|g| Ok(g.is_over()))? {
            return Err(Refused::not_found("the after-action review (the game is not over)"));
        }
        super::white::review(&app)
    })
    .await
}
