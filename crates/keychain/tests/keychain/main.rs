//! The keychain crate's public API against real parts: the Secret Service of a private
//! gnome-keyring (started by `tests/scripts/with-keyring.sh`), real files, real child processes
//! for environments a test cannot set up in-process.

// Helpers outside `#[test]` functions panic on failure too: that is how a test reports it.
#![allow(clippy::unwrap_used)]

#[cfg(unix)]
mod file_store;
mod open_store;
#[cfg(target_os = "linux")]
mod sealing;
mod secret_service;
mod support;
#[cfg(target_os = "linux")]
mod unreachable;
