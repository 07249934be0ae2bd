//! Wargame charts for the projector: the dice of one turn, the played
//! trajectory over the fan of Monte Carlo continuations, and luck versus
//! choice turn by turn.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::render::{
    self, Canvas, Figure, Frame, GRID, INK, MUTED, PALETTE, SMALL_PX, darker, draw_note, ellipsize, fmt_num, fmt_tick,
    mix, pad_range, text_style, text_width,
};
use super::{ChartContext, ensure_fonts};

/// One die of a turn: an actor's choice (several options) or an event (one).
#[derive(Debug, Clone)]
pub struct Die {
    /// Row label, e.g. "taliban: crack_down_isisk".
    pub label: String,
    /// Probabilities of the options in order (an event has one: "it happens").
    pub probs: Vec<f64>,
    /// Names of the options (written in their segments where they fit).
    pub options: Vec<String>,
    /// Which option came up (None: for an event, it did not happen).
    pub outcome: Option<usize>,
    /// Where the die landed in [0, 1] (None when a team or the white cell decided).
    pub roll: Option<f64>,
    /// Shown at the right: "team", "override", "p = 0.31" ...
    pub note: String,
}

pub struct DiceChart<'a> {
    pub ctx: &'a ChartContext,
    pub title: String,
    pub dice: Vec<Die>,
}

impl Figure for DiceChart<'_> {
    fn size(&self) -> (u32, u32) {
        (1400, 300 + 34 * self.dice.len().max(1) as u32)
    }
    fn context(&self) -> &ChartContext {
        self.ctx
    }

    fn frame(&self) -> Frame {
        Frame {
            title: self.title.clone(),
            direction: None,
            key: Some(
                "Each bar is one die: its segments are the options' probabilities, named where they fit (for an \
                 event, the coloured segment is the chance it happens). The black tick is where the die landed; \
                 the solid, outlined segment is what came up."
                    .into(),
            ),
        }
    }

    fn draw_plot<DB: DrawingBackend>(&self, _root: &Canvas<DB>, plot: &Canvas<DB>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        if self.dice.is_empty() {
            draw_note(plot, "No dice this turn.")?;
            return Ok(());
        }
        let plot = draw_dice_legend(plot)?;
        let (w, h) = plot.dim_in_pixel();
        let label_w = 430i32;
        let note_w = 190i32;
        let x0 = label_w;
        let x1 = w as i32 - note_w;
        let row_h = ((h as i32 - 10) / self.dice.len() as i32).clamp(14, 40);
        let label_style = text_style(SMALL_PX, FontStyle::Normal, INK).pos(Pos::new(HPos::Right, VPos::Center));
        let note_style = text_style(SMALL_PX, FontStyle::Normal, MUTED).pos(Pos::new(HPos::Left, VPos::Center));
        let seg_style = text_style(SMALL_PX - 2.0, FontStyle::Normal, INK).pos(Pos::new(HPos::Center, VPos::Center));
        let scale = |p: f64| x0 + ((x1 - x0) as f64 * p.clamp(0.0, 1.0)).round() as i32;
        for (r, d) in self.dice.iter().enumerate() {
            let top = 5 + r as i32 * row_h;
            let (y0, y1) = (top + 4, top + row_h - 4);
            let mid = (y0 + y1) / 2;
            let label = ellipsize(&plot, &d.label, &label_style, (label_w - 16) as u32)?;
            plot.draw_text(&label, &label_style, (label_w - 10, mid))?;
            plot.draw(&Rectangle::new([(x0, y0), (x1, y1)], mix(GRID, WHITE, 0.4).filled()))?;
            let mut acc = 0.0;
            for (k, p) in d.probs.iter().enumerate() {
                let colour = if d.probs.len() == 1 {
                    PALETTE[3]
                } else {
                    PALETTE[k % PALETTE.len()]
                };
                let fill = if d.outcome == Some(k) {
                    colour
                } else {
                    mix(colour, WHITE, 0.6)
                };
                let (a, b) = (scale(acc), scale(acc + p));
                if b > a {
                    plot.draw(&Rectangle::new([(a, y0), (b, y1)], fill.filled()))?;
                    if d.outcome == Some(k) {
                        plot.draw(&Rectangle::new([(a, y0), (b, y1)], darker(colour).stroke_width(2)))?;
                    }
                    if let Some(name) = d.options.get(k)
                        && text_width(&plot, name, &seg_style)? + 8 <= (b - a) as u32
                    {
                        // Light text on dark segments.
                        let luma = 0.299 * f64::from(fill.0) + 0.587 * f64::from(fill.1) + 0.114 * f64::from(fill.2);
                        let ink = if luma < 110.0 { WHITE } else { INK };
                        plot.draw_text(name, &seg_style.color(&ink), ((a + b) / 2, mid))?;
                    }
                }
                acc += p;
            }
            plot.draw(&Rectangle::new([(x0, y0), (x1, y1)], GRID.stroke_width(1)))?;
            if let Some(u) = d.roll {
                let x = scale(u);
                // A white halo keeps the tick visible on a dark segment.
                plot.draw(&PathElement::new(vec![(x, y0 - 3), (x, y1 + 3)], WHITE.stroke_width(7)))?;
                plot.draw(&PathElement::new(vec![(x, y0 - 3), (x, y1 + 3)], INK.stroke_width(3)))?;
            }
            plot.draw_text(&d.note, &note_style, (x1 + 10, mid))?;
        }
        Ok(())
    }
}

/// The dice chart's legend (a strip at the top of `plot`); returns the area below it.
fn draw_dice_legend<DB: DrawingBackend>(plot: &DrawingArea<DB, Shift>) -> anyhow::Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    let style = text_style(SMALL_PX - 1.0, FontStyle::Normal, INK).pos(Pos::new(HPos::Left, VPos::Center));
    let (w, _) = plot.dim_in_pixel();
    let mid = 14i32;
    let mut x = 10i32;
    let swatch = |x: i32, fill: RGBColor, outline: Option<RGBColor>| -> anyhow::Result<()> {
        plot.draw(&Rectangle::new([(x, mid - 8), (x + 26, mid + 8)], fill.filled()))?;
        if let Some(o) = outline {
            plot.draw(&Rectangle::new([(x, mid - 8), (x + 26, mid + 8)], o.stroke_width(2)))?;
        }
        Ok(())
    };
    let items: [(&str, RGBColor, Option<RGBColor>); 4] = [
        ("what came up (solid, outlined)", PALETTE[0], Some(darker(PALETTE[0]))),
        ("the options that did not", mix(PALETTE[0], WHITE, 0.6), None),
        ("event: chance it happens", mix(PALETTE[3], WHITE, 0.6), None),
        ("event: chance it does not", mix(GRID, WHITE, 0.4), Some(GRID)),
    ];
    for (text, fill, outline) in items {
        swatch(x, fill, outline)?;
        plot.draw_text(text, &style, (x + 34, mid))?;
        x += 34 + text_width(plot, text, &style)? as i32 + 28;
    }
    plot.draw(&PathElement::new(
        vec![(x + 6, mid - 10), (x + 6, mid + 10)],
        INK.stroke_width(3),
    ))?;
    plot.draw_text("where the die landed", &style, (x + 18, mid))?;
    let _ = w;
    Ok(plot
        .clone()
        .shrink((0, 34), (w, plot.dim_in_pixel().1.saturating_sub(34))))
}

/// One panel of the played-trajectory chart.
#[derive(Debug, Clone)]
pub struct PlayedPanel {
    pub title: String,
    pub unit: String,
    /// Per time: [p05, p25, p50, p75, p95] of the continuations.
    pub bands: Vec<[f64; 5]>,
    /// The played values.
    pub played: Vec<f64>,
}

pub struct PlayedFan<'a> {
    pub ctx: &'a ChartContext,
    pub title: String,
    pub times: Vec<f64>,
    pub panels: Vec<PlayedPanel>,
}

impl Figure for PlayedFan<'_> {
    fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(3).max(1) as u32;
        (1400, 260 + 300 * rows)
    }
    fn context(&self) -> &ChartContext {
        self.ctx
    }

    fn frame(&self) -> Frame {
        Frame {
            title: self.title.clone(),
            direction: None,
            key: Some(
                "Bands: what the same orders could have produced (light: 90% of continuations, dark: middle 50%, \
                 thin line: median). Black line with dots: the game as played."
                    .into(),
            ),
        }
    }

    fn draw_plot<DB: DrawingBackend>(&self, _root: &Canvas<DB>, plot: &Canvas<DB>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        if self.panels.is_empty() || self.times.len() < 2 {
            draw_note(plot, "Not enough turns to draw.")?;
            return Ok(());
        }
        let cols = 3usize.min(self.panels.len());
        let rows = self.panels.len().div_ceil(cols);
        let cells = plot.split_evenly((rows, cols));
        let (tlo, thi) = (self.times[0], *self.times.last().expect("two times"));
        let caption = text_style(SMALL_PX + 1.0, FontStyle::Bold, INK);
        for (i, (p, cell)) in self.panels.iter().zip(&cells).enumerate() {
            let lo = p
                .bands
                .iter()
                .map(|b| b[0])
                .chain(p.played.iter().copied())
                .fold(f64::INFINITY, f64::min);
            let hi = p
                .bands
                .iter()
                .map(|b| b[4])
                .chain(p.played.iter().copied())
                .fold(f64::NEG_INFINITY, f64::max);
            let (lo, hi) = if lo.is_finite() && hi.is_finite() {
                pad_range(lo, hi, 0.06)
            } else {
                (0.0, 1.0)
            };
            let colour = PALETTE[i % PALETTE.len()];
            let title = format!("{} ({})", p.title, p.unit);
            let (cw, _) = cell.dim_in_pixel();
            let title = ellipsize(cell, &title, &caption, cw.saturating_sub(20))?;
            let mut chart = ChartBuilder::on(cell)
                .margin(8)
                .margin_right(20)
                .caption(title, caption.clone())
                .x_label_area_size(26)
                .y_label_area_size(56)
                .build_cartesian_2d(tlo..thi, lo..hi)?;
            chart
                .configure_mesh()
                .x_labels(5)
                .y_labels(5)
                .x_label_formatter(&|v: &f64| fmt_year(*v))
                .y_label_formatter(&|v: &f64| fmt_tick(*v))
                .label_style(text_style(SMALL_PX - 2.0, FontStyle::Normal, INK))
                .bold_line_style(GRID.stroke_width(1))
                .light_line_style(TRANSPARENT)
                .axis_style(INK.stroke_width(1))
                .draw()?;
            for (a, b, shade) in [(0usize, 4usize, 0.75), (1, 3, 0.45)] {
                let mut poly: Vec<(f64, f64)> = self.times.iter().zip(&p.bands).map(|(t, q)| (*t, q[a])).collect();
                poly.extend(self.times.iter().zip(&p.bands).rev().map(|(t, q)| (*t, q[b])));
                chart.draw_series(std::iter::once(Polygon::new(poly, mix(colour, WHITE, shade).filled())))?;
            }
            chart.draw_series(LineSeries::new(
                self.times.iter().zip(&p.bands).map(|(t, q)| (*t, q[2])),
                darker(colour).stroke_width(1),
            ))?;
            let n = p.played.len().min(self.times.len());
            chart.draw_series(LineSeries::new(
                self.times[..n].iter().copied().zip(p.played[..n].iter().copied()),
                INK.stroke_width(3),
            ))?;
            chart.draw_series(
                self.times[..n]
                    .iter()
                    .zip(&p.played[..n])
                    .map(|(t, v)| Circle::new((*t, *v), 4, INK.filled())),
            )?;
        }
        Ok(())
    }
}

/// Luck versus choice for one outcome, turn by turn.
#[derive(Debug, Clone)]
pub struct LuckPanel {
    pub title: String,
    pub unit: String,
    /// "higher is better" / "lower is better" / "".
    pub direction: String,
    /// Per turn: (choice, luck, white cell).
    pub turns: Vec<(f64, f64, f64)>,
}

pub struct LuckChart<'a> {
    pub ctx: &'a ChartContext,
    pub title: String,
    pub panels: Vec<LuckPanel>,
}

impl Figure for LuckChart<'_> {
    fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(3).max(1) as u32;
        (1400, 280 + 280 * rows)
    }
    fn context(&self) -> &ChartContext {
        self.ctx
    }

    fn frame(&self) -> Frame {
        Frame {
            title: self.title.clone(),
            direction: None,
            key: Some(
                "Per turn, in the outcome's unit: blue = choice (expected effect of the orders played versus \
                 status-quo orders), orange = luck (what happened versus what the orders made likely), \
                 grey = white-cell overrides."
                    .into(),
            ),
        }
    }

    fn draw_plot<DB: DrawingBackend>(&self, _root: &Canvas<DB>, plot: &Canvas<DB>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        if self.panels.is_empty() {
            draw_note(plot, "No outcomes to show.")?;
            return Ok(());
        }
        let cols = 3usize.min(self.panels.len());
        let rows = self.panels.len().div_ceil(cols);
        let cells = plot.split_evenly((rows, cols));
        let caption = text_style(SMALL_PX + 1.0, FontStyle::Bold, INK);
        let colours = [PALETTE[0], PALETTE[1], MUTED];
        for (p, cell) in self.panels.iter().zip(&cells) {
            let n = p.turns.len().max(1);
            let mut lo: f64 = 0.0;
            let mut hi: f64 = 0.0;
            for &(c, l, o) in &p.turns {
                for v in [c, l, o] {
                    if v.is_finite() {
                        lo = lo.min(v);
                        hi = hi.max(v);
                    }
                }
            }
            if hi - lo < 1e-12 {
                hi = lo + 1.0;
            }
            let (lo, hi) = pad_range(lo, hi, 0.08);
            let head = if p.direction.is_empty() {
                format!("{} ({})", p.title, p.unit)
            } else {
                format!("{} ({}; {})", p.title, p.unit, p.direction)
            };
            let (cw, _) = cell.dim_in_pixel();
            let head = ellipsize(cell, &head, &caption, cw.saturating_sub(20))?;
            let mut chart = ChartBuilder::on(cell)
                .margin(8)
                .margin_right(16)
                .caption(head, caption.clone())
                .x_label_area_size(26)
                .y_label_area_size(60)
                .build_cartesian_2d(0.5..(n as f64 + 0.5), lo..hi)?;
            chart
                .configure_mesh()
                .x_labels(n.min(12))
                .y_labels(5)
                .x_label_formatter(&|v: &f64| format!("T{}", v.round() as i64))
                .y_label_formatter(&|v: &f64| fmt_tick(if v.abs() < (hi - lo) * 1e-9 { 0.0 } else { *v }))
                .label_style(text_style(SMALL_PX - 2.0, FontStyle::Normal, INK))
                .bold_line_style(GRID.stroke_width(1))
                .light_line_style(TRANSPARENT)
                .axis_style(INK.stroke_width(1))
                .draw()?;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.5, 0.0), (n as f64 + 0.5, 0.0)],
                INK.stroke_width(1),
            )))?;
            for (t, &(c, l, o)) in p.turns.iter().enumerate() {
                let x = t as f64 + 1.0;
                for (k, v) in [c, l, o].into_iter().enumerate() {
                    if !v.is_finite() || v == 0.0 {
                        continue;
                    }
                    let a = x - 0.36 + 0.24 * k as f64;
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(a, 0.0), (a + 0.22, v)],
                        colours[k].filled(),
                    )))?;
                }
            }
        }
        Ok(())
    }
}

fn fmt_year(v: f64) -> String {
    let y = v.floor();
    let q = ((v - y) * 4.0).round() as i64 + 1;
    if (v - y).abs() < 1e-9 {
        format!("{y}")
    } else {
        format!("{y}Q{q}")
    }
}

/// Write `dir/stem.png` and `.svg`.
pub fn write<F: Figure>(dir: &Path, stem: &str, fig: &F) -> anyhow::Result<Vec<PathBuf>> {
    ensure_fonts();
    render::write_png_and_svg(dir, stem, fig)
}

/// A number for chart notes.
pub fn note_num(v: f64) -> String {
    fmt_num(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dice chart has a key for its segments, and names the options where they fit.
    #[test]
    fn the_dice_chart_has_a_legend_and_names_its_segments() {
        let ctx = ChartContext {
            scenario: "test".into(),
            run_label: "wargame".into(),
            caveat: "Conditional scenarios, not forecasts.".into(),
        };
        let fig = DiceChart {
            ctx: &ctx,
            title: "Turn 1: the dice".into(),
            dice: vec![
                Die {
                    label: "china: invest".into(),
                    probs: vec![0.42, 0.30, 0.28],
                    options: vec!["hold".into(), "press_taliban_on_militants".into(), "invest".into()],
                    outcome: Some(2),
                    roll: Some(0.9),
                    note: "p = 0.28".into(),
                },
                Die {
                    label: "Major Pakistan-Afghanistan border clash".into(),
                    probs: vec![0.47],
                    options: vec!["happens".into()],
                    outcome: None,
                    roll: Some(0.7),
                    note: "did not happen".into(),
                },
            ],
        };
        let dir = tempfile::tempdir().unwrap();
        let files = write(dir.path(), "dice", &fig).unwrap();
        assert!(files.iter().any(|f| f.extension().is_some_and(|e| e == "png")));
        let svg = std::fs::read_to_string(dir.path().join("dice.svg")).unwrap();
        let texts: Vec<&str> = svg.lines().map(str::trim).collect();
        for text in [
            "what came up (solid, outlined)",
            "the options that did not",
            "event: chance it happens",
            "event: chance it does not",
            "where the die landed",
            "hold",
            "invest",
            "press_taliban_on_militants",
            "happens",
        ] {
            assert!(texts.contains(&text), "the dice chart lacks the text `{text}`");
        }
    }
}
