//! Scenario input: KTAB's CSV format, read exactly as KTAB's `csvRead` lays it out, and a RON form of the same
//! content.
//!
//! KTAB files in the wild carry padded spaces, trailing commas and quoted descriptions (see the two sample inputs
//! in the validation folder), so fields are trimmed and trailing empty fields are dropped before columns are
//! counted. Everything else is checked, and every complaint names the file and the line, because the people who
//! write these files do so by hand in a spreadsheet.
//!
//! CSV layout:
//! ```text
//! scenario name, scenario description, number of actors, number of dimensions
//! Actor, Description, Power, <dim 1 name>, <dim 1 salience header>, ..., <dim D name>, <dim D salience header>
//! name, description, capability, position_1, salience_1, ..., position_D, salience_D      (one row per actor)
//! ```
//! Positions and saliences are on 0–100; each actor's saliences sum to at most 100; capability is any
//! non-negative number, used unscaled.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// Fewest actors the model accepts (KTAB's limit).
pub const MIN_ACTORS: usize = 3;
/// Most actors the model accepts (KTAB's limit).
pub const MAX_ACTORS: usize = 250;
/// Saliences may exceed 100 by this much before the sum is rejected, so that e.g. 33.33 + 33.33 + 33.34 passes.
const SALIENCE_SLACK: f64 = 1e-6;

/// A bargaining scenario: who the actors are, where they stand, how much they care and how strong they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// One name per policy dimension, e.g. "Policy Position".
    pub dimensions: Vec<String>,
    pub actors: Vec<Actor>,
}

/// One actor. Positions and saliences are on KTAB's 0–100 scale, one entry per dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Power to influence outcomes (KTAB's "Power"/"Influence" column), used unscaled.
    pub capability: f64,
    /// Position on each dimension, 0–100.
    pub positions: Vec<f64>,
    /// How much the actor cares about each dimension, 0–100; the saliences sum to at most 100.
    pub saliences: Vec<f64>,
}

/// Why a scenario file was rejected. Every variant about file content names the line it concerns.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The OS error is part of the message, not a `source`: `{:#}` would print it a second time.
    #[error("cannot read {file}: {}", io_reason(.error))]
    Io { file: String, error: std::io::Error },
    #[error("{file}, line {line}: {message}")]
    Syntax { file: String, line: u64, message: String },
    #[error("{file}, line {line}: expected {expected} columns ({what}), found {found}")]
    ColumnCount {
        file: String,
        line: u64,
        expected: usize,
        found: usize,
        what: String,
    },
    #[error("{file}, line {line}, column {column} ({header}): `{text}` is not a number")]
    NotANumber {
        file: String,
        line: u64,
        column: usize,
        header: String,
        text: String,
    },
    #[error("{file}, line {line}, column {column} ({header}): {value} is out of range ({allowed})")]
    OutOfRange {
        file: String,
        line: u64,
        column: usize,
        header: String,
        value: f64,
        allowed: String,
    },
    #[error("{file}, line {line}: the saliences of actor `{actor}` sum to {}, more than 100", tidy(.sum))]
    SalienceSum {
        file: String,
        line: u64,
        actor: String,
        sum: f64,
    },
    #[error("{file}, line {line}: {count} actors; the model needs at least {MIN_ACTORS}")]
    TooFewActors { file: String, line: u64, count: usize },
    #[error("{file}, line {line}: {count} actors; the model handles at most {MAX_ACTORS}")]
    TooManyActors { file: String, line: u64, count: usize },
    #[error("{file}, line {line}: {message}")]
    ActorCount { file: String, line: u64, message: String },
    #[error("{file}: actor {index} (`{actor}`): {message}")]
    InvalidActor {
        file: String,
        index: usize,
        actor: String,
        message: String,
    },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

/// Why a file could not be read, with what to do about it; the OS's own words (or code) once.
fn io_reason(error: &std::io::Error) -> String {
    let code = error
        .raw_os_error()
        .map(|c| format!(" (os error {c})"))
        .unwrap_or_default();
    match error.kind() {
        std::io::ErrorKind::NotFound => format!(
            "the file does not exist{code}; check the path and the spelling (a sample input ships with greatgame: \
             examples/ktab/dummyData_3Dim.csv)"
        ),
        std::io::ErrorKind::PermissionDenied => format!("permission denied{code}; check that you may read the file"),
        _ => format!("{error}; give a KTAB CSV file, or a .ron bargaining scenario"),
    }
}

/// A sum of two-decimal inputs, without the binary-fraction noise (102.21, not 102.21000000000001).
fn tidy(x: &f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Read a scenario from a `.ron` file or, for any other extension, a KTAB CSV file.
pub fn read_scenario(path: &Path) -> Result<Scenario, InputError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|error| InputError::Io {
        file: file.clone(),
        error,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        InputError::Syntax {
            file: file.clone(),
            line: 1 + valid.iter().filter(|&&b| b == b'\n').count() as u64,
            message: "not UTF-8 text (save the spreadsheet as CSV UTF-8)".into(),
        }
    })?;
    let is_ron = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("ron"));
    if is_ron {
        parse_ron(&text, &file)
    } else {
        parse_csv(&text, &file)
    }
}

/// Fields of one CSV record, trimmed, with trailing empty fields removed (KTAB files end rows with `,` or `, `).
fn fields(record: &csv::StringRecord) -> Vec<String> {
    let mut f: Vec<String> = record.iter().map(|s| s.trim().to_string()).collect();
    while f.last().is_some_and(|s| s.is_empty()) {
        f.pop();
    }
    f
}

/// Parse KTAB CSV text. `file` is only used in error messages.
pub fn parse_csv(text: &str, file: &str) -> Result<Scenario, InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            InputError::Syntax {
                file: file.into(),
                line,
                message: e.to_string(),
            }
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let f = fields(&record);
        if !f.is_empty() {
            records.push((line, f));
        }
    }
    let mut rows = records.into_iter();

    // Line 1: scenario name, description, number of actors, number of dimensions.
    let Some((line, first)) = rows.next() else {
        return Err(InputError::Syntax {
            file: file.into(),
            line: 1,
            message: "the file is empty; expected `scenario name, description, number of actors, number of dimensions`"
                .into(),
        });
    };
    if first.len() != 4 {
        return Err(InputError::ColumnCount {
            file: file.into(),
            line,
            expected: 4,
            found: first.len(),
            what: "scenario name, description, number of actors, number of dimensions".into(),
        });
    }
    let count = |column: usize, header: &str| -> Result<usize, InputError> {
        first[column - 1].parse::<usize>().map_err(|_| InputError::NotANumber {
            file: file.into(),
            line,
            column,
            header: header.into(),
            text: first[column - 1].clone(),
        })
    };
    let num_actors = count(3, "number of actors")?;
    let num_dims = count(4, "number of dimensions")?;
    if num_actors < MIN_ACTORS {
        return Err(InputError::TooFewActors {
            file: file.into(),
            line,
            count: num_actors,
        });
    }
    if num_actors > MAX_ACTORS {
        return Err(InputError::TooManyActors {
            file: file.into(),
            line,
            count: num_actors,
        });
    }
    if num_dims == 0 {
        return Err(InputError::OutOfRange {
            file: file.into(),
            line,
            column: 4,
            header: "number of dimensions".into(),
            value: 0.0,
            allowed: "at least 1".into(),
        });
    }
    let columns = 3 + 2 * num_dims;
    let what =
        format!("name, description, capability, then a position and a salience for each of {num_dims} dimensions");

    // Line 2: column headers; the position headers name the dimensions.
    let Some((header_line, header)) = rows.next() else {
        return Err(InputError::Syntax {
            file: file.into(),
            line: line + 1,
            message: "the file ends before the column-header line".into(),
        });
    };
    if header.len() != columns {
        return Err(InputError::ColumnCount {
            file: file.into(),
            line: header_line,
            expected: columns,
            found: header.len(),
            what,
        });
    }
    let dimensions: Vec<String> = (0..num_dims).map(|k| header[3 + 2 * k].clone()).collect();

    let mut actors = Vec::with_capacity(num_actors);
    let mut last_line = header_line;
    for (line, row) in rows {
        if actors.len() == num_actors {
            return Err(InputError::ActorCount {
                file: file.into(),
                line,
                message: format!("an actor row beyond the {num_actors} actors that line 1 declares"),
            });
        }
        last_line = line;
        if row.len() != columns {
            return Err(InputError::ColumnCount {
                file: file.into(),
                line,
                expected: columns,
                found: row.len(),
                what,
            });
        }
        let number = |column: usize| -> Result<f64, InputError> {
            let text = &row[column - 1];
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(InputError::NotANumber {
                    file: file.into(),
                    line,
                    column,
                    header: header[column - 1].clone(),
                    text: text.clone(),
                }),
            }
        };
        let out_of_range = |column: usize, value: f64, allowed: &str| InputError::OutOfRange {
            file: file.into(),
            line,
            column,
            header: header[column - 1].clone(),
            value,
            allowed: allowed.into(),
        };
        let capability = number(3)?;
        if capability < 0.0 {
            return Err(out_of_range(3, capability, "capability must not be negative"));
        }
        let mut positions = Vec::with_capacity(num_dims);
        let mut saliences = Vec::with_capacity(num_dims);
        for k in 0..num_dims {
            let (pc, sc) = (4 + 2 * k, 5 + 2 * k);
            let p = number(pc)?;
            if !(0.0..=100.0).contains(&p) {
                return Err(out_of_range(pc, p, "positions are on 0-100"));
            }
            let s = number(sc)?;
            if !(0.0..=100.0).contains(&s) {
                return Err(out_of_range(sc, s, "saliences are on 0-100"));
            }
            positions.push(p);
            saliences.push(s);
        }
        let sum: f64 = saliences.iter().sum();
        if sum > 100.0 + SALIENCE_SLACK {
            return Err(InputError::SalienceSum {
                file: file.into(),
                line,
                actor: row[0].clone(),
                sum,
            });
        }
        actors.push(Actor {
            name: row[0].clone(),
            description: row[1].clone(),
            capability,
            positions,
            saliences,
        });
    }
    if actors.len() < num_actors {
        return Err(InputError::ActorCount {
            file: file.into(),
            line: last_line,
            message: format!(
                "the file ends after {} actor rows, but line 1 declares {num_actors} actors",
                actors.len()
            ),
        });
    }
    Ok(Scenario {
        name: first[0].clone(),
        description: first[1].clone(),
        dimensions,
        actors,
    })
}

/// Parse the RON form of a scenario (see [`Scenario`]); syntax errors name the line and column.
pub fn parse_ron(text: &str, file: &str) -> Result<Scenario, InputError> {
    let scenario: Scenario = ron::from_str(text).map_err(|e| InputError::Syntax {
        file: file.into(),
        line: e.span.start.line as u64,
        message: format!("column {}: {}", e.span.start.col, e.code),
    })?;
    scenario.validate(file)?;
    Ok(scenario)
}

impl Scenario {
    /// Check the rules the CSV reader enforces, for scenarios built in code or read from RON.
    pub fn validate(&self, file: &str) -> Result<(), InputError> {
        let n = self.actors.len();
        let invalid = |message: String| InputError::Invalid {
            file: file.into(),
            message,
        };
        if n < MIN_ACTORS {
            return Err(invalid(format!("{n} actors; the model needs at least {MIN_ACTORS}")));
        }
        if n > MAX_ACTORS {
            return Err(invalid(format!("{n} actors; the model handles at most {MAX_ACTORS}")));
        }
        let d = self.dimensions.len();
        if d == 0 {
            return Err(invalid("no dimensions".into()));
        }
        for (index, a) in self.actors.iter().enumerate() {
            let bad = |message: String| InputError::InvalidActor {
                file: file.into(),
                index: index + 1,
                actor: a.name.clone(),
                message,
            };
            if a.positions.len() != d || a.saliences.len() != d {
                return Err(bad(format!(
                    "{} positions and {} saliences for {d} dimensions",
                    a.positions.len(),
                    a.saliences.len()
                )));
            }
            if !a.capability.is_finite() || a.capability < 0.0 {
                return Err(bad(format!(
                    "capability {} must be a non-negative number",
                    a.capability
                )));
            }
            for (k, (&p, &s)) in a.positions.iter().zip(&a.saliences).enumerate() {
                if !(0.0..=100.0).contains(&p) {
                    return Err(bad(format!(
                        "position {p} on `{}` is outside 0-100",
                        self.dimensions[k]
                    )));
                }
                if !(0.0..=100.0).contains(&s) {
                    return Err(bad(format!(
                        "salience {s} on `{}` is outside 0-100",
                        self.dimensions[k]
                    )));
                }
            }
            let sum: f64 = a.saliences.iter().sum();
            if sum > 100.0 + SALIENCE_SLACK {
                return Err(bad(format!("saliences sum to {}, more than 100", tidy(&sum))));
            }
        }
        Ok(())
    }

    /// Render the scenario in KTAB's CSV format (readable by KTAB and by [`parse_csv`]).
    pub fn to_ktab_csv(&self) -> String {
        let quote = |s: &str| {
            if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let mut out = format!(
            "{},{},{},{},\n",
            quote(&self.name),
            quote(&self.description),
            self.actors.len(),
            self.dimensions.len()
        );
        out.push_str("Actor,Description,Power");
        for dim in &self.dimensions {
            out.push_str(&format!(",{},{}", quote(dim), quote(&format!("{dim} Salience"))));
        }
        out.push_str(",\n");
        for a in &self.actors {
            out.push_str(&format!(
                "{},{},{}",
                quote(&a.name),
                quote(&a.description),
                a.capability
            ));
            for (p, s) in a.positions.iter().zip(&a.saliences) {
                out.push_str(&format!(",{p},{s}"));
            }
            out.push_str(",\n");
        }
        out
    }
}
