//! `greatgame serve`: the classroom wargame in the browser.
//!
//! One process serves a game folder made by `wargame new`: a page per team (`team.rs`), the white cell's page
//! (`white.rs`), live updates (`live.rs`) and tokens (`auth.rs`). The server is a thin layer over the same
//! library calls as `greatgame wargame` (`wargame::commands`, `Desk`, `Game`): every request opens the game
//! from its log under the folder's lock, acts, and lets go, so the log stays the game — a crash loses at most
//! the request in flight, and the command line can be used on the same folder while the server runs.
//!
//! Secrecy is enforced here: a team's pages are built from what the team's own passphrase opens (its brief,
//! its orders, its messages) plus the public part of adjudicated turns; a team token on another team's or the
//! white cell's URL is refused with 403.

pub mod auth;
pub mod explore;
pub mod live;
mod page;
mod team;
mod white;

use crate::wargame::SCENARIO_FILE;
use crate::wargame::desk::Desk;
use crate::wargame::game::Game;
use crate::wargame::keys::WhiteKey;
use crate::wargame::log::{GameLock, LOG_FILE};
use anyhow::{Context, Result};
use auth::Tokens;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::broadcast;

/// What `greatgame serve` was told.
pub struct ServeOptions {
    pub game: PathBuf,
    pub bind: SocketAddr,
    pub key: WhiteKey,
}

/// The turn clock: when the current turn opened, and the white cell's deadline if it set one. Kept in memory
/// (a restart reopens the clock at the restart): it paces the class and decides nothing in the game.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub turn: u32,
    /// Milliseconds since the Unix epoch.
    pub opened_ms: u64,
    pub deadline_ms: Option<u64>,
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The server's state: the game folder, the key, the tokens and the live channel.
pub struct App {
    pub dir: PathBuf,
    pub key: WhiteKey,
    pub tokens: Tokens,
    pub teams: Vec<String>,
    pub live: broadcast::Sender<live::Note>,
    pub clock: Mutex<Clock>,
    /// The game as last read, for reads while the log and the scenario copy are unchanged.
    cache: Mutex<Option<Cached>>,
}

/// A game read from the folder, with the bytes it was read from.
struct Cached {
    log: Vec<u8>,
    scenario: Vec<u8>,
    game: Game,
}

/// A refused or failed request: status and a message for the reader.
#[derive(Debug)]
pub struct Refused(pub StatusCode, pub String);

impl Refused {
    pub fn forbidden() -> Refused {
        Refused(
            StatusCode::FORBIDDEN,
            "refused: this link does not open this page (each team's link opens its own pages only)".into(),
        )
    }
    pub fn bad(e: anyhow::Error) -> Refused {
        Refused(StatusCode::UNPROCESSABLE_ENTITY, format!("{e:#}"))
    }
    pub fn internal(e: anyhow::Error) -> Refused {
        Refused(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"))
    }
    pub fn not_found(what: &str) -> Refused {
        Refused(StatusCode::NOT_FOUND, format!("{what} not found"))
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let body = page::layout("greatgame", maud::html! { p.error role="alert" { (self.1) } }, None);
        with_headers((self.0, body).into_response())
    }
}

/// Headers every response carries: never cached (pages hold a team's secrets), never sent as a referrer (the
/// URL holds the token), no framing, and no script or style from anywhere but this server.
pub fn with_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'"),
    );
    r
}

/// Run blocking game work (file locks, the engine) off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Refused> + Send + 'static,
) -> Result<T, Refused> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(Refused::internal(anyhow::anyhow!("the request failed: {e}"))))
}

impl App {
    /// Read the game's public record and derive the tokens.
    pub fn new(dir: &Path, key: WhiteKey) -> Result<App> {
        let desk = Desk::open(dir)?;
        let secret = desk.white_secret(&key)?;
        let tokens = Tokens::derive(&key, secret.seed, &desk.info.teams);
        Ok(App {
            dir: dir.to_path_buf(),
            tokens,
            teams: desk.info.teams.clone(),
            key,
            live: broadcast::channel(256).0,
            clock: Mutex::new(Clock {
                turn: desk.current_turn(),
                opened_ms: now_ms(),
                deadline_ms: None,
            }),
            cache: Mutex::new(None),
        })
    }

    /// Read the game (no change to it): under the folder's lock, compare the log and the scenario copy with
    /// the bytes the cached game was read from, reopen and verify only if they differ, then call `f`. Polling
    /// pages cost a file read and a comparison instead of a replay of the whole game; what they see is never
    /// older than the log at the time of the request.
    pub fn read<T>(&self, f: impl FnOnce(&Game) -> Result<T, Refused>) -> Result<T, Refused> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let lock = GameLock::exclusive(&self.dir).map_err(Refused::internal)?;
        let read = |name: &str| std::fs::read(self.dir.join(name)).map_err(|e| Refused::internal(e.into()));
        let log = read(LOG_FILE)?;
        let scenario = read(SCENARIO_FILE)?;
        let fresh = cache.as_ref().is_none_or(|c| c.log != log || c.scenario != scenario);
        if fresh {
            let mut game = Game::open_locked(&self.dir, &self.key, lock).map_err(Refused::internal)?;
            game.release_lock();
            *cache = Some(Cached { log, scenario, game });
        } else {
            drop(lock);
        }
        f(&cache.as_ref().expect("filled above").game)
    }

    /// The game as the white cell sees it (opened and verified from the log).
    pub fn game(&self) -> Result<Game, Refused> {
        Game::open(&self.dir, &self.key).map_err(Refused::internal)
    }

    /// The game as anyone reading the folder sees it.
    pub fn desk(&self) -> Result<Desk, Refused> {
        Desk::open(&self.dir).map_err(Refused::internal)
    }

    pub fn clock(&self) -> Clock {
        *self.clock.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Each team's URL and the white cell's, under `base` (e.g. `http://127.0.0.1:8080`).
    pub fn urls(&self, base: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .teams
            .iter()
            .map(|t| {
                (
                    t.clone(),
                    format!("{base}/team/{t}/{}/", self.tokens.team(t).unwrap_or("")),
                )
            })
            .collect();
        out.push(("white cell".into(), format!("{base}/white/{}/", self.tokens.white())));
        out
    }
}

/// The routes (see docs/instructor-guide.md, "The classroom in the browser").
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(page::index))
        .route("/assets/style.css", get(page::style))
        .route("/assets/app.js", get(page::script))
        .route("/team/{team}/{token}/", get(team::page))
        .route("/team/{team}/{token}/state.json", get(team::state))
        .route("/team/{team}/{token}/orders", post(team::orders))
        .route("/team/{team}/{token}/messages", post(team::message))
        .route("/team/{team}/{token}/events", get(team::events))
        .route("/team/{team}/{token}/turn/{n}/{chart}", get(team::dice))
        .route("/team/{team}/{token}/report", get(team::report))
        .route("/white/{token}/", get(white::page))
        .route("/white/{token}/state.json", get(white::state))
        .route("/white/{token}/preview", get(white::preview))
        .route("/white/{token}/adjudicate", post(white::adjudicate))
        .route("/white/{token}/messages", post(white::message))
        .route("/white/{token}/clock", post(white::clock))
        .route("/white/{token}/report", get(white::report).post(white::make_report))
        .route("/white/{token}/events", get(white::events))
        .route("/white/{token}/turn/{n}/{chart}", get(white::dice))
        .with_state(app)
}

/// The Explore page beside the game, for holders of any team's or the white cell's token, named by
/// `explore/mod.rs` (a team sees only its own runs).
fn explore_routes(app: &Arc<App>) -> Router {
    let a = app.clone();
    explore::for_game(&app.dir, move |t| {
        if a.tokens.is_white(t) {
            return Some(auth::WHITE_CELL.to_string());
        }
        a.teams.iter().find(|team| a.tokens.is_team(team, t)).cloned()
    })
}

/// Serve until Ctrl-C: print one URL per team and the white cell's, then answer requests.
pub fn run(opts: ServeOptions) -> Result<()> {
    let app = Arc::new(App::new(&opts.game, opts.key)?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the server's runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(opts.bind)
            .await
            .with_context(|| format!("--bind {}: cannot listen there", opts.bind))?;
        let addr = listener.local_addr()?;
        let host = if addr.ip().is_unspecified() {
            "YOUR-ADDRESS".to_string()
        } else {
            addr.ip().to_string()
        };
        let base = if addr.is_ipv6() {
            format!("http://[{host}]:{}", addr.port())
        } else {
            format!("http://{host}:{}", addr.port())
        };
        println!(
            "Serving the game in {} on {addr} (Ctrl-C stops; the game is saved after every request).",
            opts.game.display()
        );
        println!("Hand each team its own URL, and only its own:");
        for (who, url) in app.urls(&base) {
            println!("{who}: {url}");
        }
        println!("{}", explore::game_url_line(&base, app.tokens.white()));
        if addr.ip().is_loopback() {
            println!(
                "(only this machine can connect: give --bind 0.0.0.0:{} for the classroom network)",
                addr.port()
            );
        }
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let watcher = {
            let app = app.clone();
            let dir = app.dir.clone();
            let tx = app.live.clone();
            tokio::spawn(live::watch(dir, tx, move |turn| {
                let mut c = app.clock.lock().unwrap_or_else(|e| e.into_inner());
                *c = Clock {
                    turn,
                    opened_ms: now_ms(),
                    deadline_ms: None,
                };
            }))
        };
        // Not a graceful shutdown: open live-update streams never end by themselves, and every request has
        // already saved its work when it answers.
        tokio::select! {
            r = axum::serve(listener, router(app.clone()).merge(explore_routes(&app))).into_future() => r.context("serving")?,
            _ = tokio::signal::ctrl_c() => {}
        }
        watcher.abort();
        Ok(())
    })
}
