//! (being written)
use super::{ChartContext, FanChart};
use std::path::{Path, PathBuf};
pub fn draw_fan(_ctx: &ChartContext, _c: &FanChart, _dir: &Path) -> anyhow::Result<Vec<PathBuf>> { Ok(vec![]) }
