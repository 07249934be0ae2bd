//! The pages' frame, the embedded style sheet and script, and small formatting helpers.

use maud::{DOCTYPE, Markup, html};

const STYLE: &str = include_str!("assets/style.css");
const SCRIPT: &str = include_str!("assets/app.js");

/// A full page: `live` names the page's live-update stream (relative URL), if any.
pub fn layout(title: &str, body: Markup, live: Option<&str>) -> Markup {
    document(
        title,
        body,
        &Head {
            live,
            ..Head::default()
        },
    )
}

/// What a page loads besides the common style sheet, and how it refreshes.
pub struct Head<'a> {
    /// The page's live-update stream (relative URL), if any.
    pub live: Option<&'a str>,
    /// A further style sheet.
    pub css: Option<&'a str>,
    pub script: &'a str,
    /// Reload every two seconds when script is off (a page showing work in progress).
    pub refresh: bool,
}

impl Default for Head<'_> {
    fn default() -> Self {
        Head {
            live: None,
            css: None,
            script: "/assets/app.js",
            refresh: false,
        }
    }
}

/// A full page with the common head (no referrer, phone widths, the common style sheet).
pub fn document(title: &str, body: Markup, head: &Head) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) }
                link rel="stylesheet" href="/assets/style.css";
                @if let Some(css) = head.css {
                    link rel="stylesheet" href=(css);
                }
                @if head.refresh {
                    noscript { meta http-equiv="refresh" content="2"; }
                }
            }
            body data-live=[head.live] {
                main { (body) }
                script src=(head.script) {}
            }
        }
    }
}

pub async fn index() -> axum::response::Response {
    use axum::response::IntoResponse;
    super::with_headers(
        layout(
            "greatgame",
            html! {
                h1 { "greatgame classroom wargame" }
                p { "Open the link your white cell gave your team: each team's link opens its own pages only." }
            },
            None,
        )
        .into_response(),
    )
}

/// An embedded asset, with the same headers as the pages.
pub fn asset(kind: &'static str, body: &'static str) -> axum::response::Response {
    use axum::response::IntoResponse;
    super::with_headers(([(axum::http::header::CONTENT_TYPE, kind)], body).into_response())
}

pub async fn style() -> axum::response::Response {
    asset("text/css; charset=utf-8", STYLE)
}

pub async fn script() -> axum::response::Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// A number for readers.
pub fn num(x: f64) -> String {
    crate::plot::render::fmt_num(x)
}

/// A probability as a percentage.
pub fn pct(p: f64) -> String {
    format!("{:.1}%", 100.0 * p)
}

/// The turn clock as text (for pages without script) with its times for the script.
pub fn clock(c: &super::Clock) -> Markup {
    let now = super::now_ms();
    let open_min = now.saturating_sub(c.opened_ms) / 60_000;
    html! {
        p.clock #clock data-opened=(c.opened_ms) data-deadline=[c.deadline_ms] {
            "Turn open for " span.elapsed { (open_min) " min" }
            @if let Some(d) = c.deadline_ms {
                " — orders due in "
                span.left { (d.saturating_sub(now) / 60_000) " min" }
            }
        }
    }
}
