//! Tokentray's secret stores, the engine's `SecretStore` port made real:
//!
//! - [`KeychainStore`]: the OS keychain (Secret Service, macOS Keychain, Windows Credential
//!   Manager) through `keyring-core`, every call on a blocking thread with a deadline, values too
//!   large for the platform sealed into an encrypted owner-only file;
//! - [`FileStore`]: the owner-only (0600) file the user opts into when no keychain is reachable;
//! - [`open_store`]: picks one of them from the app settings.
//!
//! This is the only crate that talks to a keychain. It never falls back from the keychain to the
//! file on its own: an unreachable keychain answers `StoreError::Unavailable`, and the user
//! decides.
#![warn(missing_docs)]

mod annotate;
mod file_store;
mod keychain;
mod native;
mod seal;
mod watchdog;

use std::sync::Arc;

use tokentray_engine::{AppSettings, Paths, SecretStore, StoreKind};

pub use crate::file_store::FileStore;
pub use crate::keychain::{DEFAULT_TIMEOUT, KeychainOptions, KeychainStore};
pub use crate::native::DEFAULT_SEAL_ABOVE;

/// The secret store the settings ask for: the file store when the user chose it, otherwise the
/// OS keychain. Never fails: a keychain that cannot be reached is still returned, and its calls
/// say why, so `tokentray doctor` and the UI can show it. (`StoreKind::Memory` is for tests and
/// is not a setting; it gets the keychain too.)
pub fn open_store(paths: &Paths, settings: &AppSettings) -> Arc<dyn SecretStore> {
    match settings.secret_store {
        Some(StoreKind::File) => Arc::new(FileStore::new(paths)),
        Some(StoreKind::Keychain | StoreKind::Memory) | None => Arc::new(KeychainStore::new(paths)),
    }
}
