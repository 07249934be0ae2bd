//! CSV details shared by every table greatgame writes by hand.

/// Quote a CSV field if it needs it (a comma, a quote or a newline), doubling inner quotes.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
