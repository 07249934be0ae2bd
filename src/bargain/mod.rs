//! The Spatial Model of Politics (KTAB-compatible bargaining). Being written.
