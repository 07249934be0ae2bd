//! Charts. Everything here renders without system fonts: a DejaVu TTF shipped
//! inside the `dejavu` crate is registered with plotters once per process.

use std::sync::Once;

/// Register the embedded DejaVu Sans faces as plotters' "sans-serif" family.
///
/// plotters (with `ab_glyph`, no fontconfig) cannot measure or draw text until
/// a font is registered — even for SVG, where it measures text for layout.
/// Safe to call many times and from many threads.
pub fn ensure_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        use plotters::style::FontStyle;
        let faces = [
            (FontStyle::Normal, dejavu::sans::regular()),
            (FontStyle::Bold, dejavu::sans::bold()),
            (FontStyle::Oblique, dejavu::sans::oblique()),
            (FontStyle::Italic, dejavu::sans::oblique()),
        ];
        for (style, bytes) in faces {
            // The bytes are a valid TTF compiled into the binary; failure here
            // would be a build defect, not a user error.
            if plotters::style::register_font("sans-serif", style, bytes).is_err() {
                panic!("embedded DejaVu font failed to load");
            }
        }
    });
}

mod distribution;
mod ecdf;
mod fan;
pub mod forest;
pub mod prim;
pub mod ranks;
pub mod render;
pub mod scorecard;
pub mod sweep;
pub mod tornado;
pub mod wargame;

pub use distribution::{
    DistributionKind, DistributionLayout, distribution_layout, draw_distribution, draw_event_probabilities,
};
pub use ecdf::coinciding;
pub use ecdf::draw_ecdf;
pub use fan::{draw_fan, draw_fan_with_observed, fan_canvas_size, fan_grid};

/// Text every chart carries so that no chart travels without its caveat.
#[derive(Debug, Clone)]
pub struct ChartContext {
    /// Scenario title, e.g. "Afghanistan after the 2021 takeover".
    pub scenario: String,
    /// e.g. "10,000 trials, seed 1".
    pub run_label: String,
    /// The scenario's caveat line ("Conditional scenarios, not forecasts ...").
    pub caveat: String,
}

/// One policy's sample of one outcome (one value per trial, in trial order).
#[derive(Debug, Clone)]
pub struct PolicySample<'a> {
    pub policy: &'a str,
    pub values: &'a [f64],
}

/// A continuous outcome under every policy, for box/violin and ECDF charts.
#[derive(Debug, Clone)]
pub struct OutcomeChart<'a> {
    /// File stem, e.g. "isisk_attacks_afghanistan".
    pub id: &'a str,
    /// Human title, e.g. "ISIS-K attacks in Afghanistan".
    pub title: &'a str,
    /// e.g. "attacks per year".
    pub unit: &'a str,
    /// e.g. "lower is better for the US" / "higher is better for the US" / "for information".
    pub direction: &'a str,
    /// What one unit of the outcome is (e.g. "ACLED-like events involving
    /// ISKP"), printed under the key; empty for none.
    pub description: &'a str,
    pub samples: Vec<PolicySample<'a>>,
}

/// Probability of an event outcome per policy, with a 95% interval.
#[derive(Debug, Clone)]
pub struct EventBar<'a> {
    pub policy: &'a str,
    pub probability: f64,
    pub lo95: f64,
    pub hi95: f64,
}

#[derive(Debug, Clone)]
pub struct EventChart<'a> {
    pub id: &'a str,
    /// The title, including the window the probability covers
    /// ("…, 2026–2030"): a probability without its window means nothing.
    pub title: &'a str,
    pub direction: &'a str,
    /// What counts as the event happening; printed under the key, empty for
    /// none.
    pub description: &'a str,
    pub bars: Vec<EventBar<'a>>,
}

/// Quantile bands of one state variable over time for one policy.
#[derive(Debug, Clone)]
pub struct PolicyBands<'a> {
    pub policy: &'a str,
    /// One entry per turn: [p05, p25, p50, p75, p95].
    pub bands: Vec<[f64; 5]>,
}

/// Fan chart of a state variable: time on x (decimal years), one panel per policy.
#[derive(Debug, Clone)]
pub struct FanChart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub unit: &'a str,
    /// Decimal year of each turn (e.g. 2021.5 for 2021 Q3), same length as each `bands`.
    pub times: Vec<f64>,
    /// Decimal year of the decision date (drawn as a vertical line).
    pub decision: f64,
    pub policies: Vec<PolicyBands<'a>>,
}
