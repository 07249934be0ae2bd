//! Shared by the `greatgame serve` tests: make a game with the real binary, start the real server on a free
//! port, and talk HTTP to it.
#![allow(dead_code)]

pub mod webdriver;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The greatgame binary under test; `GREATGAME_TEST_BIN` names another build (e.g. to time the load test on an
/// older server side by side with this one).
pub fn bin() -> PathBuf {
    std::env::var_os("GREATGAME_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_greatgame")))
}

/// `greatgame wargame new` in `root/game` with the key in `root/white.key`.
pub fn new_game(root: &Path, teams: &str, turns: u32, seed: u64) -> (PathBuf, PathBuf) {
    let game = root.join("game");
    let key = root.join("white.key");
    let out = Command::new(bin())
        .args([
            "wargame",
            "new",
            "--teams",
            teams,
            "--turns",
            &turns.to_string(),
            "--seed",
            &seed.to_string(),
        ])
        .arg("--game")
        .arg(&game)
        .arg("--key-out")
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (game, key)
}

/// Run `greatgame wargame ARGS --game DIR` (with the white-cell key if `key`).
pub fn wargame(game: &Path, key: Option<&Path>, args: &[&str]) -> (bool, String, String) {
    let mut c = Command::new(bin());
    c.arg("wargame").args(args).arg("--game").arg(game);
    if let Some(k) = key {
        c.arg("--key").arg(k);
    }
    let o = c.output().unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A running `greatgame serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    /// `team` or `white cell` → URL.
    pub urls: BTreeMap<String, String>,
    pub base: String,
    /// What the server printed after the URLs (e.g. the team URLs of a game made on the set-up page).
    pub later: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// Start the server on `bind` (e.g. `127.0.0.1:0` for a free port) and read the URLs it prints.
    pub fn start(game: &Path, key: &Path, bind: &str) -> Server {
        let mut child = Command::new(bin())
            .args(["serve", "--bind", bind, "--game"])
            .arg(game)
            .arg("--key")
            .arg(key)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut urls = BTreeMap::new();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some((who, url)) = line.split_once(": http://") {
                urls.insert(who.to_string(), format!("http://{url}"));
                if who == "white cell" {
                    break;
                }
            }
        }
        // Keep draining stdout so that the server never blocks on a full pipe.
        let later = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        {
            let later = later.clone();
            std::thread::spawn(move || {
                for l in lines.map_while(Result::ok) {
                    later.lock().unwrap().push(l);
                }
            });
        }
        let host = urls["white cell"]["http://".len()..]
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let base = format!("http://{host}");
        Server {
            child,
            urls,
            base,
            later,
        }
    }

    /// Wait (up to 20 s) until the server has printed a line `WHO: URL` after start, and return the URL.
    pub fn printed_later(&self, who: &str) -> String {
        let prefix = format!("{who}: http://");
        for _ in 0..200 {
            if let Some(l) = self.later.lock().unwrap().iter().find(|l| l.starts_with(&prefix)) {
                return l[who.len() + 2..].to_string();
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the server printed no URL for {who}");
    }

    pub fn team(&self, t: &str) -> &str {
        &self.urls[t]
    }

    pub fn white(&self) -> &str {
        &self.urls["white cell"]
    }

    /// The token in a URL (its last path segment).
    pub fn token(&self, who: &str) -> String {
        self.urls[who]
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap()
            .to_string()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

/// GET: status and body.
pub fn get(a: &ureq::Agent, url: &str) -> (u16, String) {
    let mut r = a.get(url).call().unwrap();
    let status = r.status().as_u16();
    (status, r.body_mut().read_to_string().unwrap_or_default())
}

/// GET of a live-update stream: the status and the content type (the stream itself is not read).
pub fn get_head(a: &ureq::Agent, url: &str) -> (u16, String) {
    let r = a.get(url).call().unwrap();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_string())
        .unwrap_or_default();
    (r.status().as_u16(), ct)
}

/// POST a form: status and body.
pub fn post(a: &ureq::Agent, url: &str, form: &[(&str, &str)]) -> (u16, String) {
    let mut r = a.post(url).send_form(form.iter().copied()).unwrap();
    let status = r.status().as_u16();
    (status, r.body_mut().read_to_string().unwrap_or_default())
}
