//! (being written)
use super::{ChartContext, OutcomeChart};
use std::path::{Path, PathBuf};
pub fn draw_ecdf(_ctx: &ChartContext, _c: &OutcomeChart, _dir: &Path) -> anyhow::Result<Vec<PathBuf>> { Ok(vec![]) }
