//! How robust is the ranking: per world (a combination of contested views, or `all`), one horizontal bar
//! per policy, split into the shares of trials in which it ranked 1st, 2nd, …; rank 1 darkest, on the
//! left, so the length of the dark part reads as "how often it wins" and a ranking that flips between
//! worlds shows as bars that change from panel to panel.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use super::render::{self, Canvas, Figure, Frame, GRID, INK, LABEL_PX, SMALL_PX, mix, text_style};
use super::{ChartContext, ensure_fonts};

/// One panel: a world and each policy's rank shares (index 0 = rank 1).
#[derive(Debug, Clone)]
pub struct RankPanel {
    pub world: String,
    pub trials: u64,
    pub bars: Vec<(String, Vec<f64>)>,
}

/// Draw `dir/rank_stability.png` and `.svg`.
pub fn draw_rank_stability(ctx: &ChartContext, panels: &[RankPanel], dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    ensure_fonts();
    render::write_png_and_svg(dir, "rank_stability", &RankFigure { ctx, panels })
}

struct RankFigure<'a> {
    ctx: &'a ChartContext,
    panels: &'a [RankPanel],
}

const BAR_H: i32 = 22;
const BAR_GAP: i32 = 6;
const PANEL_HEAD: i32 = 30;
const PANEL_GAP: i32 = 14;

/// Rank k of n: dark blue for rank 1 fading to light grey for the last rank.
fn rank_colour(k: usize, n: usize) -> RGBColor {
    let t = if n <= 1 { 0.0 } else { k as f64 / (n - 1) as f64 };
    mix(RGBColor(0x0B, 0x3C, 0x7D), RGBColor(0xE4, 0xE4, 0xE4), t)
}

impl Figure for RankFigure<'_> {
    fn size(&self) -> (u32, u32) {
        let rows: i32 = self
            .panels
            .iter()
            .map(|p| PANEL_HEAD + p.bars.len() as i32 * (BAR_H + BAR_GAP) + PANEL_GAP)
            .sum();
        (1200, (300 + rows).max(500) as u32)
    }

    fn context(&self) -> &ChartContext {
        self.ctx
    }

    fn frame(&self) -> Frame {
        Frame {
            title: "How robust is the ranking?".into(),
            direction: Some("darker = better rank; a longer dark part = more often ranked first".into()),
            key: Some(
                "Each bar: share of trials in which the policy ranked 1st, 2nd, … on the per-trial overall score (the \
                 score behind mean regret). Panels: each combination of contested views, and all trials pooled."
                    .into(),
            ),
        }
    }

    fn draw_plot<DB: DrawingBackend>(&self, _root: &Canvas<DB>, area: &Canvas<DB>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let n = self
            .panels
            .iter()
            .flat_map(|p| p.bars.iter().map(|b| b.1.len()))
            .max()
            .unwrap_or(1);
        let (w, _) = area.dim_in_pixel();
        let label_style = text_style(LABEL_PX, FontStyle::Normal, INK);
        let head_style = text_style(LABEL_PX, FontStyle::Bold, INK);
        let small = text_style(SMALL_PX, FontStyle::Normal, INK);
        let label_w = self
            .panels
            .iter()
            .flat_map(|p| p.bars.iter())
            .map(|(name, _)| render::text_width(area, name, &label_style).unwrap_or(0) as i32)
            .max()
            .unwrap_or(100)
            .min(360);
        let x0 = render::PAGE_MARGIN + label_w + 12;
        let x1 = w as i32 - render::PAGE_MARGIN - 10;
        let span = (x1 - x0).max(50) as f64;
        // Legend: rank swatches along the top.
        let mut lx = x0;
        for k in 0..n {
            area.draw(&Rectangle::new([(lx, 4), (lx + 18, 20)], rank_colour(k, n).filled()))?;
            let t = format!("rank {}", k + 1);
            area.draw_text(&t, &small, (lx + 22, 4))?;
            lx += 40 + render::text_width(area, &t, &small)? as i32;
        }
        let mut y = 34;
        for p in self.panels {
            let head = format!("{} — {} trials", p.world, crate::numfmt::fixed(p.trials as f64, 0));
            let head = render::ellipsize(area, &head, &head_style, (x1 - render::PAGE_MARGIN) as u32)?;
            area.draw_text(&head, &head_style, (render::PAGE_MARGIN, y + 4))?;
            y += PANEL_HEAD;
            for (name, shares) in &p.bars {
                let name = render::ellipsize(area, name, &label_style, label_w as u32)?;
                area.draw_text(&name, &label_style, (render::PAGE_MARGIN, y + 2))?;
                let mut acc = 0.0;
                for (k, s) in shares.iter().enumerate() {
                    let a = x0 + (acc * span).round() as i32;
                    acc += s.max(0.0);
                    let b = x0 + (acc.min(1.0) * span).round() as i32;
                    if b > a {
                        area.draw(&Rectangle::new(
                            [(a, y), (b, y + BAR_H)],
                            rank_colour(k, shares.len()).filled(),
                        ))?;
                    }
                }
                if let Some(first) = shares.first() {
                    let t = format!("{}%", crate::numfmt::sig(100.0 * first, 3));
                    let colour = if *first > 0.08 { RGBColor(255, 255, 255) } else { INK };
                    let tx = if *first > 0.08 {
                        x0 + 4
                    } else {
                        x0 + (first * span) as i32 + 4
                    };
                    area.draw_text(&t, &text_style(SMALL_PX, FontStyle::Bold, colour), (tx, y + 3))?;
                }
                area.draw(&Rectangle::new([(x0, y), (x1, y + BAR_H)], GRID.stroke_width(1)))?;
                y += BAR_H + BAR_GAP;
            }
            y += PANEL_GAP;
        }
        Ok(())
    }
}
