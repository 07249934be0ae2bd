//! Calendar: quarters such as "2021Q3" and their turn indices.

use std::fmt;

/// A period: year and sub-period (1-based quarter when turns_per_year = 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    pub year: i32,
    pub sub: u32,
}

impl Period {
    /// Parse "2021Q3" (quarterly), "2021M07" (monthly) or "2021" (yearly).
    pub fn parse(s: &str, per_year: u32) -> Result<Period, String> {
        let s = s.trim();
        let bad = || {
            let example = match per_year {
                1 => "2021".to_string(),
                4 => "2021Q3".to_string(),
                12 => "2021M07".to_string(),
                n => format!("2021P1 … 2021P{n}"),
            };
            format!("`{s}` is not a date; write it like `{example}`")
        };
        if per_year == 1 {
            let year: i32 = s.parse().map_err(|_| bad())?;
            return Ok(Period { year, sub: 1 });
        }
        let idx = s.find(|c: char| c.is_ascii_alphabetic()).ok_or_else(bad)?;
        let (y, rest) = s.split_at(idx);
        let letter = match per_year {
            4 => 'Q',
            12 => 'M',
            _ => 'P',
        };
        let mut chars = rest.chars();
        if chars.next().map(|c| c.to_ascii_uppercase()) != Some(letter) {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let sub: u32 = chars.as_str().parse().map_err(|_| bad())?;
        if sub == 0 || sub > per_year {
            return Err(bad());
        }
        Ok(Period { year, sub })
    }

    /// Turns from `start` to `self` (negative if before).
    pub fn turns_since(self, start: Period, per_year: u32) -> i64 {
        (self.year as i64 - start.year as i64) * per_year as i64 + self.sub as i64 - start.sub as i64
    }
}

/// Maps turn indices to calendar labels and decimal years.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calendar {
    pub start: Period,
    pub per_year: u32,
}

impl Calendar {
    pub fn period(&self, turn: u32) -> Period {
        let idx = self.start.year as i64 * self.per_year as i64 + (self.start.sub as i64 - 1) + turn as i64;
        Period {
            year: idx.div_euclid(self.per_year as i64) as i32,
            sub: idx.rem_euclid(self.per_year as i64) as u32 + 1,
        }
    }

    /// Decimal year at the start of the turn (2021 Q3 → 2021.5).
    pub fn year(&self, turn: u32) -> f64 {
        let p = self.period(turn);
        p.year as f64 + (p.sub - 1) as f64 / self.per_year as f64
    }

    pub fn label(&self, turn: u32) -> String {
        PeriodLabel(self.period(turn), self.per_year).to_string()
    }

    /// Length of a turn in years.
    pub fn dt(&self) -> f64 {
        1.0 / self.per_year as f64
    }
}

struct PeriodLabel(Period, u32);

impl fmt::Display for PeriodLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            1 => write!(f, "{}", self.0.year),
            4 => write!(f, "{}Q{}", self.0.year, self.0.sub),
            12 => write!(f, "{}M{:02}", self.0.year, self.0.sub),
            _ => write!(f, "{}P{}", self.0.year, self.0.sub),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters() {
        let s = Period::parse("2021Q3", 4).unwrap();
        let d = Period::parse("2026q1", 4).unwrap();
        assert_eq!(d.turns_since(s, 4), 18);
        let cal = Calendar { start: s, per_year: 4 };
        assert_eq!(cal.label(18), "2026Q1");
        assert_eq!(cal.year(0), 2021.5);
        assert_eq!(cal.year(2), 2022.0);
        assert!(Period::parse("2021Q5", 4).is_err());
        assert!(Period::parse("2021", 4).is_err());
        assert!(Period::parse("Q3", 4).is_err());
        assert_eq!(Period::parse("2021M07", 12).unwrap(), Period { year: 2021, sub: 7 });
    }
}
