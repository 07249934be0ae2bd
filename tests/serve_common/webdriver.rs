//! A small WebDriver client for the browser tests: the handful of W3C commands they need (new session,
//! navigate, find, click, clear, type, page source, run a script, screenshot), sent as JSON with `ureq`, which the
//! other serve tests use already. It drives Debian's `chromium`, headless, through `chromedriver`.

use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub fn which(cmd: &str) -> Option<std::path::PathBuf> {
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

pub struct Driver {
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
    pub fn start(chromium: &std::path::Path, chromedriver: &std::path::Path) -> Driver {
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

    pub fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
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

    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", json!({ "url": url }));
    }

    pub fn find(&self, css: &str) -> String {
        let v = self.cmd("POST", "/element", json!({"using": "css selector", "value": css}));
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    pub fn click(&self, css: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/click"), json!({}));
    }

    pub fn type_in(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/value"), json!({ "text": text }));
    }

    /// Choose the option with value `value` of the select `css` (a click on the option, as a user would).
    pub fn choose(&self, css: &str, value: &str) {
        self.click(&format!("{css} option[value='{value}']"));
    }

    pub fn source(&self) -> String {
        self.cmd("GET", "/source", Value::Null).as_str().unwrap().to_string()
    }

    /// Wait until the page holds `text` (live updates, redirects).
    pub fn wait_for(&self, text: &str, secs: u64) -> String {
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

    /// Open `url` and wait until it holds `text`, opening it again (at most `tries` times, `secs` each) if it does
    /// not: for a page that is already final when served, where a wait alone cannot help if the browser reported
    /// the navigation done before it was. Every miss prints what the browser showed, so a server-side cause stays
    /// visible in the test's output.
    pub fn open_until(&self, url: &str, text: &str, tries: u32, secs: u64) -> String {
        for attempt in 1..=tries {
            self.goto(url);
            let deadline = Instant::now() + Duration::from_secs(secs);
            loop {
                let s = self.source();
                if s.contains(text) {
                    return s;
                }
                if Instant::now() >= deadline {
                    assert!(attempt < tries, "{url} never showed {text:?} in {tries} tries:\n{s}");
                    eprintln!("open_until: attempt {attempt} of {url} did not show {text:?}; the page was:\n{s}");
                    break;
                }
                std::thread::sleep(Duration::from_millis(150));
            }
        }
        unreachable!("the last attempt returns or fails")
    }

    pub fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine;
        let v = self.cmd("GET", "/screenshot", Value::Null);
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap();
        std::fs::write(path, png).unwrap();
    }
    /// Empty a text or number field.
    pub fn clear(&self, css: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/clear"), json!({}));
    }

    /// Run `script` (a function body) in the page and return its value.
    pub fn execute(&self, script: &str) -> Value {
        self.cmd("POST", "/execute/sync", json!({ "script": script, "args": [] }))
    }

    /// The browsers for a browser test, or `None` (with a message) when either is missing — unless
    /// `GREATGAME_BROWSER_TESTS=1` (set by `.ci/run`), which makes the test mandatory.
    pub fn browsers() -> Option<(std::path::PathBuf, std::path::PathBuf)> {
        let mandatory = std::env::var("GREATGAME_BROWSER_TESTS").is_ok_and(|v| v == "1");
        let (Some(chromium), Some(driver)) = (which("chromium"), which("chromedriver")) else {
            assert!(
                !mandatory,
                "GREATGAME_BROWSER_TESTS=1 but chromium or chromedriver is not installed"
            );
            eprintln!(
                "SKIPPED: the browser test needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
            );
            return None;
        };
        Some((chromium, driver))
    }
}
