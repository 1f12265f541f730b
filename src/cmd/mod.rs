//! One module per subcommand; each owns its arguments and its run function.

pub mod check;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod extract;
pub mod report;
