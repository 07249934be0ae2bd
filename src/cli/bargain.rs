//! `greatgame bargain FILE`: run the Spatial Model of Politics on a KTAB CSV (or RON) scenario.
//!
//! Deterministic by default: prints the history in the layout of KTAB's reference logs and writes
//! `positions.csv`, `probabilities.csv`, `turn0.txt` and one chart per dimension (PNG and SVG).
//! With `--stochastic`, runs many trials in parallel, trial k seeded from (seed, k) alone, and writes the
//! distribution of final positions (`final_positions.csv`, `final_quantiles.csv`, one chart per dimension).
//! The files are written into a staging folder and moved into place when all are written, as every command's
//! are (`report::staging`): a folder holding files greatgame did not write is refused. The files are
//! `report::bargain_folder`'s; this file chooses, runs on the requested thread pool and prints.

use crate::bargain::{Smp, SmpOptions, read_scenario};
use crate::report::bargain_folder;
use crate::report::staging::Staging;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug, Clone)]
pub struct BargainArgs {
    /// Scenario file: KTAB's CSV format (runs unchanged), or the RON form (`.ron`).
    pub file: PathBuf,
    /// Draw each actor's bargain from its probabilities instead of taking the most probable, over many trials.
    #[arg(long)]
    pub stochastic: bool,
    /// Number of stochastic trials.
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true, value_parser = super::numbers::trials::<usize>)]
    pub trials: usize,
    /// Master seed; trial k is seeded from (seed, k) only, so results do not depend on the thread count.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = super::numbers::seed)]
    pub seed: u64,
    /// Worker threads for stochastic trials (default: all cores).
    #[arg(long, allow_negative_numbers = true, value_parser = super::numbers::count::<usize>)]
    pub threads: Option<usize>,
    /// Output directory (default: output/bargain/<input file stem>). A folder that holds files greatgame did not
    /// write is refused.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

impl BargainArgs {
    /// The directory outputs go to.
    pub fn out_dir(&self) -> PathBuf {
        self.out.clone().unwrap_or_else(|| {
            let stem = self
                .file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Path::new("output").join("bargain").join(stem)
        })
    }
}

/// Run the command. Prints results to stdout and the list of files written to stderr. With `--threads`, all
/// parallel work (stochastic trials, and the challenge search of large scenarios) runs on a pool of that size.
pub fn execute(args: &BargainArgs) -> anyhow::Result<()> {
    match args.threads {
        Some(threads) => {
            anyhow::ensure!(threads > 0, "--threads must be at least 1");
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
            pool.install(|| execute_here(args))
        }
        None => execute_here(args),
    }
}

fn execute_here(args: &BargainArgs) -> anyhow::Result<()> {
    let scenario = read_scenario(&args.file)?;
    let smp = Smp::new(&scenario, SmpOptions::default());
    let staging = Staging::new(&args.out_dir(), "bargain")?;
    let files = if args.stochastic {
        anyhow::ensure!(args.trials > 0, "--trials must be at least 1");
        bargain_folder::stochastic(&smp, args.trials, args.seed, staging.path())?
    } else {
        bargain_folder::deterministic(&smp, staging.path())?
    };
    print!("{}", files.text);
    eprint!("{}", files.note);
    let out = staging.commit()?;
    for name in &files.written {
        eprintln!("wrote {}", out.join(name).display());
    }
    Ok(())
}
