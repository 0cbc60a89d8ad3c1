//! The commands the webview may call. Each one is an adapter of at most ten lines: it calls
//! the engine and translates the result into DTOs; it decides nothing.

pub(crate) mod connections;
