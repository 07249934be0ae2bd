//! Errors in scenario files, reported the way a compiler would: file, line,
//! column, what is wrong, the offending line with a caret, and a hint.

use std::fmt;

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based; 0 when the position is unknown.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
    pub hint: Option<String>,
    /// The source line the position points into, for the caret display.
    pub source_line: Option<String>,
}

/// A scenario that could not be loaded. Holds every problem found (at least one).
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    pub diagnostics: Vec<Diagnostic>,
}

impl std::error::Error for ScenarioError {}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "{}:{}:{}: error: {}",
                self.file, self.line, self.column, self.message
            )?;
        } else {
            write!(f, "{}: error: {}", self.file, self.message)?;
        }
        if let Some(src) = &self.source_line {
            let gutter = format!("{}", self.line);
            let pad = " ".repeat(gutter.len());
            let caret_pad: String = src
                .chars()
                .take(self.column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "\n {pad} |\n {gutter} | {src}\n {pad} | {caret_pad}^")?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  = hint: {h}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        if self.diagnostics.len() > 1 {
            write!(f, "\n{} errors in scenario", self.diagnostics.len())?;
        }
        Ok(())
    }
}

/// Source text with a name, able to turn byte offsets into line:column.
pub struct SourceFile<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

impl SourceFile<'_> {
    /// Build a diagnostic at a byte offset (clamped to the text).
    pub fn at(&self, offset: Option<usize>, message: impl Into<String>, hint: Option<String>) -> Diagnostic {
        let Some(off) = offset else {
            return Diagnostic {
                file: self.name.to_string(),
                line: 0,
                column: 0,
                message: message.into(),
                hint,
                source_line: None,
            };
        };
        let mut off = off.min(self.text.len());
        while !self.text.is_char_boundary(off) {
            off -= 1;
        }
        let before = &self.text[..off];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = self.text[line_start..off].chars().count() + 1;
        let line_end = self.text[line_start..]
            .find('\n')
            .map_or(self.text.len(), |i| line_start + i);
        Diagnostic {
            file: self.name.to_string(),
            line,
            column,
            message: message.into(),
            hint,
            source_line: Some(self.text[line_start..line_end].trim_end_matches('\r').to_string()),
        }
    }

    /// Byte offset of a 1-based line:column (as reported by the RON parser).
    pub fn offset_of(&self, line: usize, column: usize) -> Option<usize> {
        let mut start = 0usize;
        for _ in 1..line {
            start += self.text[start..].find('\n')? + 1;
        }
        let rest = &self.text[start..];
        let col_off = rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i);
        Some(start + col_off)
    }
}

/// Edit distance (optimal string alignment: insertions, deletions,
/// substitutions and adjacent transpositions each cost 1).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

/// The closest candidate to `name`, if it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: &'a [String]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, c)| c.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let c: Vec<String> = ["pakistan", "taliban", "iran", "india"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(closest("pakistn", &c), Some("pakistan"));
        assert_eq!(closest("talbian", &c), Some("taliban"));
        assert_eq!(closest("irn", &c), Some("iran"));
        assert_eq!(closest("germany", &c), None);
        assert_eq!(edit_distance("abc", "acb"), 1);
    }

    #[test]
    fn positions_and_display() {
        let src = SourceFile {
            name: "x.ron",
            text: "line one\n  two: bad\nthree",
        };
        let d = src.at(Some(16), "wrong", Some("fix it".into()));
        assert_eq!((d.line, d.column), (2, 8));
        let shown = d.to_string();
        assert!(shown.starts_with("x.ron:2:8: error: wrong"));
        assert!(shown.contains("  two: bad"));
        assert!(shown.contains("= hint: fix it"));
        assert_eq!(src.offset_of(2, 8), Some(16));
        assert_eq!(src.offset_of(9, 1), None);
    }
}
