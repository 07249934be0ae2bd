//! CSV details shared by every table greatgame writes by hand: field quoting, the column names of the
//! model's uncertainties and outcomes, and a file written row by row.

use crate::model::Model;
use anyhow::{Context, Result};
use std::io::{BufWriter, Write};
use std::path::Path;

/// Quote a CSV field if it needs it (a comma, a quote or a newline), doubling inner quotes.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A CSV file in the staging folder, written row by row.
pub struct CsvOut {
    w: BufWriter<std::fs::File>,
    name: &'static str,
}

impl CsvOut {
    pub fn create(dir: &Path, name: &'static str, header: &str) -> Result<CsvOut> {
        let path = dir.join(name);
        let mut w =
            BufWriter::new(std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?);
        w.write_all(header.as_bytes())?;
        w.write_all(b"\n")?;
        Ok(CsvOut { w, name })
    }

    pub fn row(&mut self, line: &str) -> Result<()> {
        self.w
            .write_all(line.as_bytes())
            .and_then(|_| self.w.write_all(b"\n"))
            .with_context(|| format!("writing {}", self.name))
    }

    pub fn finish(mut self) -> Result<()> {
        self.w.flush().with_context(|| format!("writing {}", self.name))
    }
}

/// Column names: the ids of the model's uncertainties.
pub fn param_header(model: &Model) -> String {
    model.params.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(",")
}

/// Column names: the ids of the model's outcomes.
pub fn outcome_header(model: &Model) -> String {
    model
        .outcomes
        .iter()
        .map(|o| o.id.as_str())
        .collect::<Vec<_>>()
        .join(",")
}
