//! The commands the webview may call. Each one is a thin adapter: it calls the engine and
//! translates the result into DTOs; it decides nothing about tokens.
//!
//! Tauri hands a command its arguments (and `State`, `AppHandle`) by value, deserialized from
//! the webview's call: taking them by reference is not an option, hence the allow below.
#![allow(clippy::needless_pass_by_value)]

pub(crate) mod app;
pub(crate) mod connections;
pub(crate) mod detail;
pub(crate) mod login;
pub(crate) mod tokens;
