//! (being written)
use super::{ChartContext, EventChart, OutcomeChart};
use std::path::{Path, PathBuf};
pub fn draw_distribution(_ctx: &ChartContext, _c: &OutcomeChart, _dir: &Path) -> anyhow::Result<Vec<PathBuf>> { Ok(vec![]) }
pub fn draw_event_probabilities(_ctx: &ChartContext, _c: &EventChart, _dir: &Path) -> anyhow::Result<Vec<PathBuf>> { Ok(vec![]) }
