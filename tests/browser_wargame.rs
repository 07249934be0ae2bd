//! A two-team game played to the after-action review in a real browser: Debian's `chromium`, headless, driven
//! through WebDriver by `chromedriver`. Skipped, with a message, when either is missing — unless
//! `GREATGAME_BROWSER_TESTS=1` (set by `.ci/run`), which makes the test mandatory.
//!
//! The WebDriver calls are the handful of W3C commands the test needs (new session, navigate, find, click,
//! type, page source, screenshot), sent as JSON with `ureq`, which the other serve tests use already.

mod serve_common;

use serde_json::{Value, json};
use serve_common::*;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn which(cmd: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| std::path::Path::new(d).join(cmd))
        .find(|p| p.is_file())
}

/// POST a JSON body and read the JSON answer.
fn send(http: &ureq::Agent, url: &str, body: &Value) -> Value {
    let mut r = http
        .post(url)
        .header("content-type", "application/json")
        .send(serde_json::to_vec(body).unwrap())
        .unwrap();
    let text = r.body_mut().read_to_string().unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("WebDriver answered {text}: {e}"))
}

struct Driver {
    child: Child,
    base: String,
    session: String,
    http: ureq::Agent,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self
            .http
            .delete(&format!("{}/session/{}", self.base, self.session))
            .call();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    fn start(chromium: &std::path::Path, chromedriver: &std::path::Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let http: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(&format!("{base}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": chromium.to_string_lossy(),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,1400"]
        }}}});
        let v = send(&http, &format!("{base}/session"), &caps);
        let session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {v}"))
            .to_string();
        Driver {
            child,
            base,
            session,
            http,
        }
    }

    fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let v = if method == "GET" {
            let mut r = self.http.get(&url).call().unwrap();
            serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
        } else {
            send(&self.http, &url, &body)
        };
        assert!(v["value"].get("error").is_none(), "WebDriver {path}: {v}");
        v["value"].clone()
    }

    fn goto(&self, url: &str) {
        self.cmd("POST", "/url", json!({ "url": url }));
    }

    fn find(&self, css: &str) -> String {
        let v = self.cmd("POST", "/element", json!({"using": "css selector", "value": css}));
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    fn click(&self, css: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/click"), json!({}));
    }

    fn type_in(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/value"), json!({ "text": text }));
    }

    /// Choose the option with value `value` of the select `css` (a click on the option, as a user would).
    fn choose(&self, css: &str, value: &str) {
        self.click(&format!("{css} option[value='{value}']"));
    }

    fn source(&self) -> String {
        self.cmd("GET", "/source", Value::Null).as_str().unwrap().to_string()
    }

    /// Wait until the page holds `text` (live updates, redirects).
    fn wait_for(&self, text: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.source();
            if s.contains(text) {
                return s;
            }
            assert!(Instant::now() < deadline, "the page never showed {text:?}:\n{s}");
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine;
        let v = self.cmd("GET", "/screenshot", Value::Null);
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap();
        std::fs::write(path, png).unwrap();
    }
}

#[test]
fn a_two_team_game_in_the_browser_to_the_after_action_review() {
    let mandatory = std::env::var("GREATGAME_BROWSER_TESTS").is_ok_and(|v| v == "1");
    let (Some(chromium), Some(driver)) = (which("chromium"), which("chromedriver")) else {
        assert!(
            !mandatory,
            "GREATGAME_BROWSER_TESTS=1 but chromium or chromedriver is not installed"
        );
        eprintln!(
            "SKIPPED: the browser test needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let (game, key) = new_game(root.path(), "us,taliban", 2, 2026);
    let srv = Server::start(&game, &key, "127.0.0.1:0");
    let b = Driver::start(&chromium, &driver);

    // The US team sets a lever and previews, then submits, with the page's own form.
    b.goto(srv.team("us"));
    b.wait_for("Your orders this turn", 10);
    b.choose("#set-recognition", "conditional");
    b.click("button[value=preview]");
    b.wait_for("Preview of your orders", 10);
    b.choose("#set-recognition", "conditional");
    b.click("button[value=submit]");
    b.wait_for("Orders recorded.", 10);
    assert!(b.source().contains("recognition = conditional"));

    // The Taliban team orders an action on its first line and writes to the US team.
    b.goto(srv.team("taliban"));
    b.choose("select[name^='action:']", "restrain_aq");
    b.click("button[value=submit]");
    b.wait_for("Orders recorded.", 10);
    b.choose("#to", "us");
    b.type_in("#text", "BROWSER-MESSAGE let us talk");
    b.click("#send button");
    b.wait_for("Message sent.", 10);
    let tb = b.source();
    assert!(
        !tb.contains("recognition = conditional"),
        "the US order leaked to the Taliban page"
    );

    // The US page updates itself when the white cell adjudicates (server-sent events, no reload).
    b.goto(srv.team("us"));
    let us = b.wait_for("BROWSER-MESSAGE", 10);
    assert!(us.contains("Turn 1 of 2"));
    if let Ok(path) = std::env::var("GREATGAME_SCREENSHOT") {
        b.screenshot(std::path::Path::new(&path));
    }
    let (st, _) = post(&agent(), &format!("{}adjudicate", srv.white()), &[]);
    assert_eq!(st, 303);
    b.wait_for("Turn 1 — 2026Q1", 15);
    b.wait_for("Turn 2 of 2", 5);

    // The white cell adjudicates turn 2 with an override and a reason, from its page.
    b.goto(srv.white());
    b.choose("#ev0", "pak_afg_clash");
    b.type_in("#val0", "yes");
    b.type_in("#why0", "BROWSER inject");
    b.click("#adjudicate button");
    b.wait_for("Turn adjudicated.", 30);
    let w = b.wait_for("The game is over", 5);
    assert!(w.contains("BROWSER inject") && w.contains("dice.svg"));

    // The after-action review, written and opened from the browser.
    b.click("#review button");
    // The review's own sections (the white cell's page has none of them).
    let review = b.wait_for("<h2>Timeline", 120);
    assert!(review.contains("Luck versus choice"), "not the after-action review");
    b.goto(&format!("{}report", srv.team("taliban")));
    assert!(b.source().contains("<h2>Timeline"));
    let (ok, out, err) = wargame(&game, Some(&key), &["replay"]);
    assert!(ok && out.contains("turn 2 (2026Q2): identical"), "{out}{err}");
}

/// The white cell makes the game on the set-up page (a folder without a game), then a team opens its link.
#[test]
fn a_game_made_in_the_browser() {
    let mandatory = std::env::var("GREATGAME_BROWSER_TESTS").is_ok_and(|v| v == "1");
    let (Some(chromium), Some(driver)) = (which("chromium"), which("chromedriver")) else {
        assert!(
            !mandatory,
            "GREATGAME_BROWSER_TESTS=1 but chromium or chromedriver is not installed"
        );
        eprintln!("SKIPPED: the browser test needs Debian's chromium and chromium-driver");
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let (game, key) = (root.path().join("class"), root.path().join("white.key"));
    let srv = Server::start(&game, &key, "127.0.0.1:0");
    let b = Driver::start(&chromium, &driver);

    b.goto(srv.white());
    b.wait_for("make the game", 10);
    b.click("input[name=team][value=us]");
    b.click("input[name=team][value=taliban]");
    b.click("form button[type=submit]");
    let made = b.wait_for("The game is made", 60);
    assert!(made.contains("Team passphrases"), "{made}");
    // The links on the page are the ones printed on the terminal.
    let us = srv.printed_later("us");
    assert!(made.contains(&us), "{us} not on the page");
    assert!(
        !made.contains("/team/pakistan/"),
        "an actor that was not ticked got a team"
    );

    b.goto(&us);
    b.wait_for("Turn 1 of 8", 10);
    // The set-up link now leads to the white cell's page, which lists both teams.
    b.goto(srv.white());
    let w = b.wait_for("White cell —", 10);
    assert!(w.contains("/team/taliban/"), "{w}");
    let (ok, out, err) = wargame(&game, Some(&key), &["status"]);
    assert!(ok && out.contains("us") && out.contains("taliban"), "{out}{err}");
}
