//! The Explore page: choose packages (or set the levers by hand), run a paired comparison with the baseline in
//! the background, watch its progress, and read the same numbers and charts as `greatgame compare`.
//!
//! Without a game (`greatgame serve` alone) it is the whole server, for analysts, at `/explore/`. With a game it
//! sits beside the team and white-cell pages at `/explore/TOKEN/`, where TOKEN is any team's or the white
//! cell's: strangers on the classroom network cannot start runs, and a team sees only its own runs (what it
//! explores hints at its orders; the white cell sees all). In a game it runs on the scenario as published
//! in the game folder — the text every team may read — with the public calibrated ensemble when that text is
//! the built-in scenario; never the game's sealed member, seed or state, which this module does not read.
//!
//! The model is prepared once per server (`experiment::prepare`, as `compare` does it); each run clones it, adds
//! the custom package if one was asked for, and runs `CompareJob` into `output/<scenario>/explore/<n>/`
//! through the same staging folder as `compare` (a numbered folder that already exists is never reused). The
//! page renders the table from the comparison in memory and serves the run's own charts and `report.html` from
//! its folder, through [`job::served_file`] only.

pub mod job;
mod page;

use super::{Refused, blocking, with_headers};
use crate::experiment::prepare::{EnsembleChoice, PrepareOptions, Prepared, prepare};
use anyhow::{Context, Result};
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use job::{NotStarted, Request, Runs};
use std::collections::HashMap;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Who may use the page.
enum Access {
    /// Anyone who can reach the server (`serve` without a game: an analyst's machine).
    Open,
    /// Holders of a game's team or white-cell token: the check names the holder (a team, or the white cell).
    Tokens(Holder),
}

/// Names the holder of a token (a team, or the white cell), or `None` for a token of nobody.
type Holder = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Who is asking, and the page's URL prefix for them.
pub struct Viewer {
    /// `/explore/` or `/explore/TOKEN/`.
    pub base: String,
    /// The team or the white cell holding the token; `None` on an open server.
    pub who: Option<String>,
}

impl Viewer {
    /// Whether this viewer may see run `r`: on an open server everyone sees every run; beside a game a team sees
    /// only its own runs (what a team explores hints at its orders) and the white cell sees all.
    pub fn sees(&self, r: &job::Run) -> bool {
        self.sees_owner(r.owner.as_deref())
    }

    /// The same for a run started by `owner`.
    pub fn sees_owner(&self, owner: Option<&str>) -> bool {
        match &self.who {
            None => true,
            Some(w) => w == super::auth::WHITE_CELL || owner == Some(w.as_str()),
        }
    }
}

/// The scenario the page runs, and how to prepare it.
struct Source {
    scenario: Scenario,
    quiet: bool,
}

/// Where the scenario comes from.
enum Scenario {
    /// The built-in scenario (`None`) or a file, as `--scenario` gave it.
    Given(Option<PathBuf>),
    /// A game's published copy (`scenario.ron` in the game folder), read when the page is first used: a game
    /// made from the set-up page has no copy when the server starts. A copy of the built-in scenario runs as
    /// the built-in scenario, so its anchoring and its public calibrated ensemble apply; any other text runs
    /// from the copy (free history, nominal coefficients unless an ensemble file sits beside it).
    GameCopy(PathBuf),
}

impl Scenario {
    fn path(&self) -> Option<PathBuf> {
        match self {
            Scenario::Given(p) => p.clone(),
            Scenario::GameCopy(copy) => {
                let builtin = std::fs::read(copy).is_ok_and(|t| t == crate::scenario::DEFAULT_SCENARIO.as_bytes());
                (!builtin).then(|| copy.clone())
            }
        }
    }
}

/// The Explore page's state: the prepared model (made once, on first use or at start), the runs, who may ask.
pub struct Explorer {
    source: Source,
    prepared: Mutex<Option<Arc<std::result::Result<Prepared, String>>>>,
    runs: Mutex<Option<Arc<Runs>>>,
    /// `output/` under the working folder: runs go to `<out>/<scenario>/explore/<n>/`.
    out: PathBuf,
    access: Access,
    threads: usize,
}

impl Explorer {
    fn new(source: Source, access: Access) -> Explorer {
        Explorer {
            source,
            prepared: Mutex::new(None),
            runs: Mutex::new(None),
            out: PathBuf::from("output"),
            access,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }

    /// Prepare the model as `compare` does (the scenario as given, anchored, with its calibrated ensemble).
    fn prepare(&self) -> Result<Prepared> {
        let scenario = self.source.scenario.path();
        prepare(&PrepareOptions {
            scenario: scenario.as_deref(),
            command: "serve --scenario",
            ensemble: EnsembleChoice::Default,
            quiet: self.source.quiet,
            ..PrepareOptions::default()
        })
    }

    /// The prepared model: prepared by the first caller (the others wait for it), then shared. Blocking. A
    /// failure is not kept, so the next request tries again (a game's copy may not exist yet).
    fn prepared(&self) -> Arc<std::result::Result<Prepared, String>> {
        let mut g = self.prepared.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = g.as_ref() {
            return p.clone();
        }
        let p = Arc::new(self.prepare().map_err(|e| format!("{e:#}")));
        if p.is_ok() {
            *g = Some(p.clone());
        }
        p
    }

    /// The prepared model, or the page's error.
    fn ready(&self) -> std::result::Result<(Prepared, Arc<Runs>), Refused> {
        let p = self.prepared();
        let prep = match p.as_ref() {
            Ok(p) => p.clone(),
            Err(e) => {
                return Err(Refused::internal(anyhow::anyhow!(
                    "the Explore page could not prepare the scenario: {e}"
                )));
            }
        };
        let mut runs = self.runs.lock().unwrap_or_else(|e| e.into_inner());
        let r = runs
            .get_or_insert_with(|| Arc::new(Runs::new(self.out.join(&prep.loaded.model.name).join("explore"))))
            .clone();
        Ok((prep, r))
    }

    /// Who is asking, from this request's path parameters, after checking the token.
    fn viewer(&self, params: &HashMap<String, String>) -> std::result::Result<Viewer, Refused> {
        let holder = match (&self.access, params.get("token")) {
            (Access::Open, _) => {
                return Ok(Viewer {
                    base: "/explore/".into(),
                    who: None,
                });
            }
            (Access::Tokens(check), Some(t)) => check(t).map(|who| (t, who)),
            (Access::Tokens(_), None) => None,
        };
        match holder {
            Some((t, who)) => Ok(Viewer {
                base: format!("/explore/{t}/"),
                who: Some(who),
            }),
            None => Err(Refused(
                StatusCode::FORBIDDEN,
                "refused: the Explore page of a game opens with a team's or the white cell's link: add \
                 /explore/ to the end of your team's address, e.g. …/explore/YOUR-TOKEN/"
                    .into(),
            )),
        }
    }
}

type Shared = State<Arc<Explorer>>;
type Params = UrlPath<HashMap<String, String>>;

/// The routes under `prefix` (`/explore` or `/explore/{token}`).
fn routes(prefix: &str, ex: Arc<Explorer>) -> Router {
    Router::new()
        .route(prefix, get(add_slash))
        .route(&format!("{prefix}/"), get(form_page))
        .route(&format!("{prefix}/run"), post(start_run))
        .route(&format!("{prefix}/run/{{n}}/"), get(run_page))
        .route(&format!("{prefix}/run/{{n}}/progress.json"), get(progress))
        .route(&format!("{prefix}/run/{{n}}/files/{{*file}}"), get(file))
        .route("/assets/explore.js", get(page::script))
        .route("/assets/explore.css", get(page::style))
        .with_state(ex)
}

/// The Explore page of a game's server: at `/explore/TOKEN/` for any team's or the white cell's token
/// (`holder` names the team, or `auth::WHITE_CELL`, whose token it is), on the scenario copy in the game folder `game`. The model is prepared in the background at
/// once, so the first visitor does not wait for it (and the game's pages are not slowed: it runs on a thread
/// of its own).
pub fn for_game(game: &Path, holder: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Router {
    let ex = Arc::new(Explorer::new(
        Source {
            scenario: Scenario::GameCopy(game.join(crate::wargame::SCENARIO_FILE)),
            quiet: true,
        },
        Access::Tokens(Box::new(holder)),
    ));
    let warm = ex.clone();
    let _ = std::thread::Builder::new()
        .name("explore-prepare".into())
        .spawn(move || warm.prepared());
    routes("/explore/{token}", ex.clone()).route(
        "/explore/",
        get(|| async {
            Refused(
                StatusCode::FORBIDDEN,
                "refused: the Explore page of a game opens with a team's or the white cell's link, followed by \
                 explore/ (…/explore/YOUR-TOKEN/)"
                    .into(),
            )
        }),
    )
}

/// The line `serve` prints for the Explore page of a game (`base` e.g. `http://127.0.0.1:8080`).
pub fn game_url_line(base: &str, white_token: &str) -> String {
    format!("explore: {base}/explore/{white_token}/ (teams: {base}/explore/THEIR-TOKEN/)")
}

/// `greatgame serve` without a game: the Explore page alone, for analysts, on `scenario` (the built-in one when
/// `None`). Prepares the model first (a scenario that does not load stops here, as every command does), prints
/// `explore: URL`, and serves until Ctrl-C.
pub fn serve_alone(scenario: Option<&Path>, bind: SocketAddr) -> Result<()> {
    let ex = Arc::new(Explorer::new(
        Source {
            scenario: Scenario::Given(scenario.map(Path::to_path_buf)),
            quiet: false,
        },
        Access::Open,
    ));
    // A scenario that does not load stops the command here, with the error every command gives.
    let prep = ex.prepare()?;
    *ex.prepared.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(Ok(prep)));
    let router = routes("/explore", ex)
        .route("/", get(|| async { Redirect::to("/explore/") }))
        .route("/assets/style.css", get(super::page::style));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the server's runtime")?;
    rt.block_on(async move {
        let (listener, addr, base) = super::listen(bind).await?;
        println!("Serving the Explore page (Ctrl-C stops; each run is saved under output/).");
        println!("explore: {base}/explore/");
        if !addr.ip().is_loopback() {
            println!("(anyone who can reach this address can start runs; without --game the page has no tokens)");
        }
        use std::io::Write;
        let _ = std::io::stdout().flush();
        tokio::select! {
            r = axum::serve(listener, router).into_future() => r.context("serving")?,
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(())
    })
}

/// `/explore` (or `/explore/TOKEN`) without its slash: the page's links are relative to the slash.
async fn add_slash(State(ex): Shared, UrlPath(p): Params, uri: axum::http::Uri) -> Result<Response, Refused> {
    ex.viewer(&p)?;
    Ok(with_headers(Redirect::to(&format!("{}/", uri.path())).into_response()))
}

fn html(m: maud::Markup) -> Response {
    with_headers(m.into_response())
}

async fn form_page(State(ex): Shared, UrlPath(p): Params) -> Result<Response, Refused> {
    let v = ex.viewer(&p)?;
    blocking(move || {
        let (prep, runs) = ex.ready()?;
        Ok(html(page::form(&v, &prep, &runs, None)))
    })
    .await
}

/// The form's fields in order, repeated names kept (the packages are checkboxes named `policy`).
type Fields = axum::extract::Form<Vec<(String, String)>>;

async fn start_run(
    State(ex): Shared,
    UrlPath(p): Params,
    form: std::result::Result<Fields, axum::extract::rejection::FormRejection>,
) -> Result<Response, Refused> {
    let v = ex.viewer(&p)?;
    let fields = form
        .map_err(|e| Refused(StatusCode::BAD_REQUEST, format!("the form could not be read: {e}")))?
        .0;
    blocking(move || {
        let (prep, runs) = ex.ready()?;
        // A mistake in the form: the form again, with the message above it and the status saying so.
        let bad = |e: anyhow::Error| {
            let msg = format!("{e:#}");
            let body = page::form(&v, &prep, &runs, Some(&msg));
            Ok(with_headers((StatusCode::UNPROCESSABLE_ENTITY, body).into_response()))
        };
        let req = match Request::from_form(&fields) {
            Ok(r) => r,
            Err(e) => return bad(e),
        };
        match runs.start(&prep, req, ex.threads, v.who.clone()) {
            Ok(n) => Ok(with_headers(
                Redirect::to(&format!("{}run/{n}/", v.base)).into_response(),
            )),
            Err(NotStarted::Busy(busy)) => Ok(with_headers(
                (StatusCode::CONFLICT, page::busy(&v, &busy)).into_response(),
            )),
            Err(NotStarted::Bad(e)) => bad(e),
        }
    })
    .await
}

/// A run number from the URL, or 404 (also for another team's run: it is not theirs to see).
fn run_of(runs: &Runs, v: &Viewer, p: &HashMap<String, String>) -> std::result::Result<job::Run, Refused> {
    p.get("n")
        .and_then(|n| n.parse::<u64>().ok())
        .and_then(|n| runs.get(n))
        .filter(|r| v.sees(r))
        .ok_or_else(|| Refused::not_found("this run (runs are listed on the Explore page)"))
}

async fn run_page(State(ex): Shared, UrlPath(p): Params) -> Result<Response, Refused> {
    let v = ex.viewer(&p)?;
    blocking(move || {
        let (prep, runs) = ex.ready()?;
        let run = run_of(&runs, &v, &p)?;
        Ok(html(page::run(&v.base, &prep, &run)))
    })
    .await
}

async fn progress(State(ex): Shared, UrlPath(p): Params) -> Result<Response, Refused> {
    let v = ex.viewer(&p)?;
    blocking(move || {
        let (_, runs) = ex.ready()?;
        let run = run_of(&runs, &v, &p)?;
        Ok(with_headers(axum::Json(run.progress()).into_response()))
    })
    .await
}

async fn file(State(ex): Shared, UrlPath(p): Params) -> Result<Response, Refused> {
    let v = ex.viewer(&p)?;
    blocking(move || {
        let (_, runs) = ex.ready()?;
        let run = run_of(&runs, &v, &p)?;
        let job::Status::Done(done) = &run.status else {
            return Err(Refused::not_found("the run's files (it has not finished)"));
        };
        let name = p.get("file").map(String::as_str).unwrap_or("");
        let (path, kind) = job::served_file(&done.dir, name).ok_or_else(|| {
            Refused(
                StatusCode::NOT_FOUND,
                "not found: only the run's report.html, comparison tables and charts/ are served".into(),
            )
        })?;
        let bytes = std::fs::read(&path).map_err(|e| Refused::internal(e.into()))?;
        let mut r = with_headers(([(header::CONTENT_TYPE, kind)], bytes).into_response());
        if kind.starts_with("text/html") {
            // report.html is self-contained, with inline styles and embedded images.
            r.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                header::HeaderValue::from_static("default-src 'none'; img-src data:; style-src 'unsafe-inline'"),
            );
        }
        Ok(r)
    })
    .await
}
