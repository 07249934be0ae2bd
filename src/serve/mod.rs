//! `greatgame serve`: the classroom wargame in the browser.
//!
//! One process serves a game folder made by `wargame new`, or an empty one in which the white cell makes the
//! game from its set-up page (`setup.rs`, through the same `wargame::setup::create` as `wargame new`): a page per
//! team (`team.rs`), the white cell's page (`white.rs`), live updates (`live.rs`) and tokens (`auth.rs`). The
//! server is a thin layer over the same library calls as `greatgame wargame` (`wargame::commands`, `Game`).
//!
//! The game is held in memory, opened and verified once: every request takes the folder's lock, checks that
//! the log and the scenario copy on disk are the files the held game was read from or last wrote (size, time
//! stamp, inode), acts on the held game (a change is appended to the log, durably, before the request is
//! answered, exactly as the command line does) and lets the lock go. A request therefore costs a lock and two
//! `stat`s instead of re-reading and replaying the whole game, the log stays the game (a crash loses at most
//! the request in flight), and the command line can act on the same folder while the server runs: the next
//! request sees the changed files and reopens the game from the log.
//!
//! Secrecy is enforced here: a team's pages are built from what the team's own passphrase opens (its brief,
//! its orders, its messages) plus the public part of adjudicated turns; a team token on another team's or the
//! white cell's URL is refused with 403.

pub mod auth;
pub mod explore;
pub mod live;
mod page;
pub mod setup;
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
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::broadcast;

/// What `greatgame serve` was told.
pub struct ServeOptions {
    pub game: PathBuf,
    pub bind: SocketAddr,
    pub key: WhiteKey,
    /// The key's file: a game made from the browser uses it as `wargame new --key FILE` does.
    pub key_file: PathBuf,
    /// The scenario of a game made from the browser (default: the built-in one).
    pub scenario: Option<PathBuf>,
    /// The set-up page's offer, if the caller prepared it (to announce the scenario); made here otherwise.
    pub offer: Option<setup::Offer>,
}

/// The turn clock: when the current turn opened, and the white cell's deadline if it set one. The deadline is
/// a `clock` record of the log (it survives a restart, see `wargame::game::ClockEntry`); without one, the
/// opening time is when this server first saw the turn. It paces the class and decides nothing in the game.
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

/// The server's state: the game folder, the key, the tokens (once a game exists), the held game and the live
/// channel.
pub struct App {
    pub dir: PathBuf,
    pub key: WhiteKey,
    pub key_file: PathBuf,
    /// Set once the folder holds a game (at start, or when the white cell makes it from the set-up page).
    ready: OnceLock<Ready>,
    /// What the set-up page offers (only when the server started without a game).
    pub offer: Option<setup::Offer>,
    pub live: broadcast::Sender<live::Note>,
    /// The turn this server last saw and when it first saw it (the clock's opening time without a deadline).
    opened: Mutex<(u32, u64)>,
    /// The game held in memory (see the module's documentation).
    held: Mutex<Option<Held>>,
    /// Serializes writing after-action reviews (done on a copy of the game, off the held one).
    reviewing: Mutex<()>,
    /// `http://host:port` as printed at start.
    pub base: OnceLock<String>,
}

/// The tokens and teams of the game being served.
pub struct Ready {
    pub tokens: Tokens,
    pub teams: Vec<String>,
}

/// The held game and the identity of the files it matches.
struct Held {
    game: Game,
    stamp: Stamp,
}

/// Size, modification time and inode of a file: every write of the log (by this server or the command line)
/// renames a new, longer file into place, so any change by another process changes the stamp.
type FileStamp = (u64, Option<SystemTime>, u64);

#[derive(Debug, Clone, PartialEq)]
struct Stamp {
    log: Option<FileStamp>,
    scenario: Option<FileStamp>,
}

fn file_stamp(path: &Path) -> Option<FileStamp> {
    let m = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&m);
    #[cfg(not(unix))]
    let ino = 0;
    Some((m.len(), m.modified().ok(), ino))
}

impl Stamp {
    fn of(dir: &Path) -> Stamp {
        Stamp {
            log: file_stamp(&dir.join(LOG_FILE)),
            scenario: file_stamp(&dir.join(SCENARIO_FILE)),
        }
    }
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
    /// The server for `opts`: the game's tokens if the folder holds a game, else the set-up page's offer.
    pub fn new(opts: &mut ServeOptions) -> Result<App> {
        let dir = &opts.game;
        let ready = OnceLock::new();
        let mut offer = None;
        let mut turn = 1;
        if dir.join(LOG_FILE).exists() {
            let desk = Desk::open(dir)?;
            let secret = desk.white_secret(&opts.key)?;
            let _ = ready.set(Ready {
                tokens: Tokens::derive(&opts.key, secret.seed, &desk.info.teams),
                teams: desk.info.teams.clone(),
            });
            turn = desk.current_turn();
        } else {
            offer = Some(match opts.offer.take() {
                Some(o) => o,
                None => setup::Offer::new(dir, opts.scenario.as_deref())?,
            });
        }
        Ok(App {
            dir: dir.to_path_buf(),
            key: opts.key.clone(),
            key_file: opts.key_file.clone(),
            ready,
            offer,
            live: broadcast::channel(256).0,
            opened: Mutex::new((turn, now_ms())),
            held: Mutex::new(None),
            reviewing: Mutex::new(()),
            base: OnceLock::new(),
        })
    }

    /// The game's tokens and teams, or 404 while the white cell has not made the game yet.
    pub fn ready(&self) -> Result<&Ready, Refused> {
        self.ready.get().ok_or_else(|| {
            Refused(
                StatusCode::NOT_FOUND,
                "no game yet: the white cell makes it on its set-up page".into(),
            )
        })
    }

    /// Whether `token` is any team's or the white cell's (false while there is no game): for pages open to
    /// everyone in the game.
    pub fn knows_token(&self, token: &str) -> bool {
        self.ready.get().is_some_and(|r| {
            r.tokens.is_white(token) | r.teams.iter().fold(false, |ok, t| ok | r.tokens.is_team(t, token))
        })
    }

    /// Record that the folder now holds a game (made from the set-up page) with `teams` and seed `seed`.
    pub fn become_ready(&self, seed: u64, teams: &[String]) -> &Ready {
        let _ = self.ready.set(Ready {
            tokens: Tokens::derive(&self.key, seed, teams),
            teams: teams.to_vec(),
        });
        *lock(&self.opened) = (1, now_ms());
        self.ready.get().expect("set above")
    }

    /// Run `f` on the held game under the folder's lock (see the module's documentation): reopen the game from
    /// its log first if the files changed since it was read or written, or if nothing is held. If `f` says the
    /// game must not be kept (an action failed part-way), it is dropped and the next request reopens it.
    fn with_held<T>(&self, f: impl FnOnce(&mut Game) -> (T, bool)) -> Result<T, Refused> {
        self.ready()?;
        let mut held = self.held.lock().unwrap_or_else(|e| {
            // A request panicked while holding the game: it may be half-changed, so read it again.
            self.held.clear_poison();
            let mut g = e.into_inner();
            *g = None;
            g
        });
        let lock = GameLock::exclusive(&self.dir).map_err(Refused::internal)?;
        let stamp = Stamp::of(&self.dir);
        match held.as_mut() {
            Some(h) if h.stamp == stamp => h.game.attach_lock(lock),
            _ => {
                *held = None;
                let game = Game::open_locked(&self.dir, &self.key, lock).map_err(Refused::internal)?;
                *held = Some(Held { game, stamp });
            }
        }
        let h = held.as_mut().expect("filled above");
        let (out, keep) = f(&mut h.game);
        // Still under the lock: the stamp of what this request wrote, if anything.
        h.stamp = Stamp::of(&self.dir);
        h.game.release_lock();
        if !keep {
            *held = None;
        }
        Ok(out)
    }

    /// Read the game (no change to it). What a request sees is never older than the log at its time.
    pub fn read<T>(&self, f: impl FnOnce(&Game) -> Result<T, Refused>) -> Result<T, Refused> {
        self.with_held(|g| (f(g), true))?
    }

    /// Change the game through `f` (which appends to the log, as the `wargame` commands do). The outer result
    /// is the server's failure to open the game; the inner one `f`'s. A refusal before anything was written
    /// (a checked order, a message to nobody) leaves the held game as it was; a failure after a record was
    /// appended drops it, and the next request reads the game again from the log, which holds whatever was
    /// written (the game's methods change their state only after appending).
    pub fn act<T>(&self, f: impl FnOnce(&mut Game) -> anyhow::Result<T>) -> Result<anyhow::Result<T>, Refused> {
        self.with_held(|g| {
            let records = g.log.entries.len();
            let r = f(g);
            let keep = r.is_ok() || g.log.entries.len() == records;
            (r, keep)
        })
    }

    /// A private copy of the game, opened from the log and released at once, for long work that only reads
    /// (the after-action review), so that the held game keeps answering meanwhile. `_guard` serializes it.
    pub fn copy(&self) -> Result<(Game, MutexGuard<'_, ()>), Refused> {
        self.ready()?;
        let guard = lock(&self.reviewing);
        let mut g = Game::open(&self.dir, &self.key).map_err(Refused::internal)?;
        g.release_lock();
        Ok((g, guard))
    }

    /// The turn clock of `g`: the logged deadline of the current turn if the white cell set one.
    pub fn clock_of(&self, g: &Game) -> Clock {
        let k = g.current_turn();
        let opened = {
            let mut o = lock(&self.opened);
            if o.0 != k {
                *o = (k, now_ms());
            }
            o.1
        };
        match g.clock {
            Some(c) if c.turn == k => Clock {
                turn: k,
                opened_ms: c.opened_ms,
                deadline_ms: Some(c.deadline_ms),
            },
            _ => Clock {
                turn: k,
                opened_ms: opened,
                deadline_ms: None,
            },
        }
    }

    /// A new turn was seen in the log (by the watcher): its clock opens now.
    fn turn_opened(&self, turn: u32) {
        let mut o = lock(&self.opened);
        if o.0 != turn {
            *o = (turn, now_ms());
        }
    }

    /// Each team's URL and the white cell's, under `base` (e.g. `http://127.0.0.1:8080`); empty before the
    /// game exists.
    pub fn urls(&self, base: &str) -> Vec<(String, String)> {
        let Some(r) = self.ready.get() else {
            return Vec::new();
        };
        let mut out: Vec<(String, String)> = r
            .teams
            .iter()
            .map(|t| {
                (
                    t.clone(),
                    format!("{base}/team/{t}/{}/", r.tokens.team(t).unwrap_or("")),
                )
            })
            .collect();
        out.push(("white cell".into(), format!("{base}/white/{}/", r.tokens.white())));
        out
    }

    /// Print the URLs on the terminal (at start, or once the game is made from the set-up page).
    fn print_urls(&self) {
        let base = self.base.get().cloned().unwrap_or_default();
        println!("Hand each team its own URL, and only its own:");
        for (who, url) in self.urls(&base) {
            println!("{who}: {url}");
        }
        if let Some(r) = self.ready.get() {
            println!("{}", explore::game_url_line(&base, r.tokens.white()));
        }
        use std::io::Write;
        let _ = std::io::stdout().flush();
    }
}

/// A mutex's guard, also after a panic elsewhere (what it guards here stays consistent: plain values).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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
        .route("/setup/{token}/", get(setup::page).post(setup::create_game))
        .with_state(app)
}

/// The Explore page beside the game, for holders of any team's or the white cell's token, named by
/// `explore/mod.rs` (a team sees only its own runs). Before the game is made (the set-up page) no token opens it.
fn explore_routes(app: &Arc<App>) -> Router {
    let a = app.clone();
    explore::for_game(&app.dir, move |t| {
        let r = a.ready.get()?;
        if r.tokens.is_white(t) {
            return Some(auth::WHITE_CELL.to_string());
        }
        r.teams.iter().find(|team| r.tokens.is_team(team, t)).cloned()
    })
}

/// Listen on `bind`: the listener, the address it got (a port of 0 picks a free one) and the base URL to print
/// (`YOUR-ADDRESS` when bound to every interface, since the server cannot know which one the class reaches).
pub async fn listen(bind: SocketAddr) -> Result<(tokio::net::TcpListener, SocketAddr, String)> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("--bind {bind}: cannot listen there"))?;
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
    Ok((listener, addr, base))
}

/// Serve until Ctrl-C: print one URL per team and the white cell's (or the set-up page's), then answer requests.
pub fn run(mut opts: ServeOptions) -> Result<()> {
    let app = Arc::new(App::new(&mut opts)?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the server's runtime")?;
    rt.block_on(async move {
        let (listener, addr, base) = listen(opts.bind).await?;
        let _ = app.base.set(base.clone());
        println!(
            "Serving the game in {} on {addr} (Ctrl-C stops; the game is saved after every request).",
            opts.game.display()
        );
        if app.ready.get().is_some() {
            app.print_urls();
        } else {
            println!(
                "No game in {} yet: make it on the white cell's set-up page (the team URLs follow here once it is made).",
                opts.game.display()
            );
            println!("white cell: {base}/setup/{}/", app.key.setup_token());
        }
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
            tokio::spawn(live::watch(dir, tx, move |turn| app.turn_opened(turn)))
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
