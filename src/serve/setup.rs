//! Making the game from the browser. `greatgame serve --game DIR --key FILE` on a folder that does not exist yet
//! (or is empty) serves the white cell's set-up page instead of a game: the teams, the first turn, the number
//! of turns, the seed and whether the hidden truth is a member of the calibrated ensemble — what `wargame new`
//! asks for — on the scenario the server was given (`--scenario FILE`, default the built-in one). Submitting it
//! calls `wargame::setup::create`, the function behind `wargame new`, with the server's key file as `--key`;
//! the server then serves the new game, prints the team URLs on the terminal, and shows them on the page with
//! the passphrases (once: the page is the answer to the form; `wargame passphrases --key FILE` prints them
//! again).
//!
//! The key: a `--key` file that does not exist is made when the server starts on a folder without a game, as
//! `wargame new --key-out` makes it (never over an existing file, never inside the game folder, readable by
//! its owner only). The set-up page's token is derived from the key in its own domain; once the game exists the
//! set-up URL only leads to the white cell's page.

use super::page;
use super::{App, Refused, blocking, with_headers};
use crate::wargame::commands::created_text;
use crate::wargame::keys::WhiteKey;
use crate::wargame::log::LOG_FILE;
use crate::wargame::setup::{NewOptions, check_key_out, create};
use anyhow::{Result, bail};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Longest game offered by default (the form allows up to what the scenario has left).
const DEFAULT_TURNS: u32 = 8;

/// What the set-up page offers: the scenario the server was given, its actors and its calendar.
pub struct Offer {
    /// `--scenario FILE`, or `None` for the built-in scenario.
    pub scenario: Option<PathBuf>,
    pub origin: String,
    pub sha256: String,
    pub title: String,
    /// Actor ids and names: the candidates for teams.
    pub actors: Vec<(String, String)>,
    /// Calendar labels of every turn of the scenario, and the decision turn (the default first turn).
    pub periods: Vec<String>,
    pub decision: u32,
}

impl Offer {
    pub fn new(game: &Path, scenario: Option<&Path>) -> Result<Offer> {
        check_fresh(game)?;
        let loaded = crate::scenario::load(scenario)?;
        let m = &loaded.model;
        Ok(Offer {
            scenario: scenario.map(Path::to_path_buf),
            origin: loaded.origin.clone(),
            sha256: loaded.sha256.clone(),
            title: m.title.clone(),
            actors: m.actors.iter().map(|a| (a.id.clone(), a.name.clone())).collect(),
            periods: (0..m.turns).map(|t| m.calendar.label(t)).collect(),
            decision: m.decision_turn,
        })
    }
}

/// Refuse a `--game` folder that holds something other than a game: a game is made only in a new or empty
/// folder, as by `wargame new` (so nothing greatgame did not write is ever touched).
pub fn check_fresh(game: &Path) -> Result<()> {
    if !game.exists() {
        return Ok(());
    }
    if !game.is_dir() {
        bail!("--game {}: this is a file, not a game folder", game.display());
    }
    let mut entries = std::fs::read_dir(game).map_err(|e| anyhow::anyhow!("--game {}: {e}", game.display()))?;
    if entries.next().is_some() {
        bail!(
            "--game {} holds no game ({LOG_FILE}) and is not empty: give the folder of a game made by `wargame new`, \
             or a new or empty folder to make the game from the browser",
            game.display()
        );
    }
    Ok(())
}

/// The white-cell key for `serve --game GAME --key KEY_FILE`: read from the file; but for a folder without a
/// game, a key file that does not exist is made as `wargame new --key-out` makes it. Returns the key and whether
/// it was made now.
pub fn key_for(game: &Path, key_file: &Path) -> Result<(WhiteKey, bool)> {
    if key_file.exists() || game.join(LOG_FILE).exists() {
        return Ok((WhiteKey::read(key_file)?, false));
    }
    check_fresh(game)?;
    check_key_out(key_file, game, "--key")?;
    let key = WhiteKey::generate()?;
    key.write_new(key_file, game)?;
    Ok((key, true))
}

fn auth(app: &App, token: &str) -> Result<(), Refused> {
    if super::auth::is_setup(&app.key, token) {
        Ok(())
    } else {
        Err(Refused::forbidden())
    }
}

/// The white cell's page of a game that exists (where the set-up URL leads once the game is made).
fn to_white(app: &App) -> Result<Response, Refused> {
    let r = app.ready()?;
    Ok(with_headers(
        Redirect::to(&format!("/white/{}/", r.tokens.white())).into_response(),
    ))
}

/// What the form asked for (kept to show it again with an error).
#[derive(Default)]
struct Asked {
    teams: Vec<String>,
    start: Option<String>,
    turns: Option<String>,
    seed: Option<String>,
    no_ensemble: bool,
}

impl Asked {
    fn of(fields: &[(String, String)]) -> Asked {
        let mut a = Asked::default();
        let mut ensemble = false;
        for (k, v) in fields {
            let v = v.trim();
            match k.as_str() {
                "team" if !v.is_empty() => a.teams.push(v.to_string()),
                "start" if !v.is_empty() => a.start = Some(v.to_string()),
                "turns" => a.turns = Some(v.to_string()),
                "seed" => a.seed = Some(v.to_string()),
                "ensemble" => ensemble = true,
                _ => {}
            }
        }
        a.no_ensemble = !ensemble;
        a
    }
}

fn form(offer: &Offer, asked: Option<&Asked>, error: Option<&str>) -> Markup {
    let room = |start: u32| (offer.periods.len() as u32).saturating_sub(start).max(1);
    let turns = asked
        .and_then(|a| a.turns.clone())
        .unwrap_or_else(|| DEFAULT_TURNS.min(room(offer.decision)).to_string());
    let seed = asked.and_then(|a| a.seed.clone()).unwrap_or_else(|| "1".into());
    let start = asked
        .and_then(|a| a.start.clone())
        .or_else(|| offer.periods.get(offer.decision as usize).cloned())
        .unwrap_or_default();
    let checked = |id: &str| asked.is_some_and(|a| a.teams.iter().any(|t| t == id));
    let ensemble = asked.is_none_or(|a| !a.no_ensemble);
    html! {
        h1 { "White cell — make the game" }
        p { "Scenario: " strong { (offer.title) } " — " code { (offer.origin) } " (sha256 " (offer.sha256.get(..12).unwrap_or(&offer.sha256)) "…)" }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action="./" {
            fieldset {
                legend { "Teams: the actors the class plays (the model plays the others)" }
                @for (id, name) in &offer.actors {
                    label.check {
                        input type="checkbox" name="team" value=(id) checked[checked(id)];
                        " " (name) " " span.muted { "(" (id) ")" }
                    }
                }
            }
            label for="start" { "First turn" }
            select #start name="start" {
                @for p in &offer.periods {
                    option value=(p) selected[*p == start] { (p) }
                }
            }
            p.muted {
                "From the decision date on, the status-quo history to the first turn is anchored to the known present "
                "(as " code { "wargame new" } "); an earlier first turn plays through those years and runs free."
            }
            label for="turns" { "Number of turns (a turn is a period of the scenario's calendar)" }
            input #turns type="number" name="turns" min="1" max=(offer.periods.len()) value=(turns);
            label for="seed" { "Seed (the same seed and the same orders give the same game)" }
            input #seed type="text" name="seed" inputmode="numeric" value=(seed);
            label.check {
                input type="checkbox" name="ensemble" value="on" checked[ensemble];
                " Hidden truth: one member of the calibrated ensemble, drawn from the seed and kept from the teams "
                span.muted { "(as " code { "wargame new" } "; unchecked: " code { "--no-ensemble" } ")" }
            }
            button type="submit" { "Make the game" }
        }
        p.muted {
            "This makes the game in " code { "wargame new" } "'s way, with the white-cell key in the file this server "
            "was given. The team links and passphrases appear on the next page (keep it off the projector)."
        }
    }
}

fn form_page(offer: &Offer, asked: Option<&Asked>, error: Option<&str>, status: StatusCode) -> Response {
    with_headers((status, page::layout("Make the game", form(offer, asked, error), None)).into_response())
}

pub async fn page(State(app): State<Arc<App>>, UrlPath(token): UrlPath<String>) -> Result<Response, Refused> {
    auth(&app, &token)?;
    if app.ready().is_ok() {
        return to_white(&app);
    }
    let offer = app
        .offer
        .as_ref()
        .ok_or_else(|| Refused::not_found("the set-up page"))?;
    Ok(form_page(offer, None, None, StatusCode::OK))
}

pub async fn create_game(
    State(app): State<Arc<App>>,
    UrlPath(token): UrlPath<String>,
    headers: HeaderMap,
    axum::Form(fields): super::team::Fields,
) -> Result<Response, Refused> {
    auth(&app, &token)?;
    blocking(move || {
        // One game at a time: the held game's lock also serializes two set-up forms sent at once.
        let _one = app.held.lock().unwrap_or_else(|e| e.into_inner());
        if app.ready().is_ok() {
            // Already made (the form sent twice, or a reload): the passphrases are not shown again.
            return to_white(&app);
        }
        let offer = app.offer.as_ref().ok_or_else(|| Refused::not_found("the set-up page"))?;
        let asked = Asked::of(&fields);
        let refuse = |e: String| Ok(form_page(offer, Some(&asked), Some(&e), StatusCode::UNPROCESSABLE_ENTITY));
        let turns = match asked.turns.as_deref().map(str::parse::<u32>) {
            Some(Ok(n)) if n > 0 => n,
            _ => return refuse("Number of turns: a whole number, 1 or more".into()),
        };
        let seed = match asked.seed.as_deref().map(str::parse::<u64>) {
            Some(Ok(s)) => s,
            _ => return refuse(format!("Seed: a whole number from 0 to {}", u64::MAX)),
        };
        if asked.teams.is_empty() {
            return refuse("Teams: tick at least one actor to be played by a team".into());
        }
        let made = create(&NewOptions {
            scenario: offer.scenario.as_deref(),
            teams: &asked.teams,
            start: asked.start.as_deref(),
            turns,
            seed,
            game: &app.dir,
            key_out: None,
            key: Some(&app.key_file),
            ensemble: None,
            no_ensemble: asked.no_ensemble,
            free_history: false,
        });
        let made = match made {
            Ok(m) => m,
            Err(e) => return refuse(format!("{e:#}")),
        };
        let ready = app.become_ready(made.config.seed, &made.config.teams);
        println!(
            "Game made from the set-up page in {}: teams {}; {} turns from {}; scenario {}.",
            app.dir.display(),
            made.config.teams.join(", "),
            made.config.turns,
            made.config.start,
            made.config.scenario_origin
        );
        app.print_urls();
        // The links as the white cell's browser reached this server (the printed base may say YOUR-ADDRESS).
        let base = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| format!("http://{h}"))
            .or_else(|| app.base.get().cloned())
            .unwrap_or_default();
        let white = format!("/white/{}/", ready.tokens.white());
        let body = html! {
            h1 { "The game is made" }
            p.ok role="status" { "Hand each team its own link, and only its own." }
            table {
                thead { tr { th { "team" } th { "link" } } }
                tbody {
                    @for (who, url) in app.urls(&base) {
                        tr { td { (who) } td { a href=(url) { (url) } } }
                    }
                }
            }
            p { a href=(white) { "Open the white cell's page" } " (bookmark it: the set-up link leads there from now on)." }
            h2 { "What " code { "wargame new" } " prints (keep it off the projector)" }
            p.muted {
                "The passphrases are for the command line (" code { "wargame view/orders --passphrase" } "); they are "
                "shown only here, once: " code { "greatgame wargame passphrases --game " (app.dir.display()) " --key " (app.key_file.display()) }
                " prints them again."
            }
            pre { (created_text(&made, &app.dir, None)) }
        };
        Ok(with_headers(
            (StatusCode::OK, page::layout("Game made", body, None)).into_response(),
        ))
    })
    .await
}
