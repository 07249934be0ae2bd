pub mod plot;
pub mod bargain;
