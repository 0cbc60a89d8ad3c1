//! One module per group of subcommands. Each function translates arguments into one engine
//! call and its result into output.

pub(crate) mod connections;
pub(crate) mod delegate;
pub(crate) mod doctor;
pub(crate) mod exec;
pub(crate) mod git;
pub(crate) mod serve;
pub(crate) mod shell;
pub(crate) mod tokens;
