//! Which scenario a command runs, said out loud: the library's [`crate::scenario::which`], under the name every
//! command calls it by.

pub use crate::scenario::which::*;
