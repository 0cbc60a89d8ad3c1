//! The platform keychain behind `keyring-core`: which store crate serves each OS, how an entry is
//! built, and the size above which values are sealed. Only this file names a store crate; the
//! store is built as an instance and never installed as `keyring-core`'s global default, so two
//! `KeychainStore`s (and tests) never interfere.
//!
//! Every function here blocks: call it from the watchdog's thread, never from async code.

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};

/// The name of the platform keychain, for `doctor` and the UI.
#[cfg(target_os = "linux")]
pub(crate) const PLATFORM_NAME: &str = "Secret Service";
/// The name of the platform keychain, for `doctor` and the UI.
#[cfg(target_os = "macos")]
pub(crate) const PLATFORM_NAME: &str = "macOS Keychain";
/// The name of the platform keychain, for `doctor` and the UI.
#[cfg(target_os = "windows")]
pub(crate) const PLATFORM_NAME: &str = "Windows Credential Manager";
/// The name of the platform keychain, for `doctor` and the UI.
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
pub(crate) const PLATFORM_NAME: &str = "no supported keychain";

/// Values longer than this many UTF-8 bytes are sealed by default. Windows keeps at most 2560
/// bytes per credential and stores a password as UTF-16, so about 1280 characters fit; a UTF-8
/// byte count never undercounts UTF-16 units, and 1200 leaves room. The Secret Service and the
/// macOS Keychain have no hard limit, so 64 KiB only keeps huge blobs out of them.
#[cfg(target_os = "windows")]
pub const DEFAULT_SEAL_ABOVE: usize = 1200;
/// Values longer than this many UTF-8 bytes are sealed by default. Windows keeps at most 2560
/// bytes per credential and stores a password as UTF-16, so 1200 there; the Secret Service and
/// the macOS Keychain have no hard limit, so 64 KiB only keeps huge blobs out of them.
#[cfg(not(target_os = "windows"))]
pub const DEFAULT_SEAL_ABOVE: usize = 64 * 1024;

/// A connection to the platform keychain.
pub(crate) type Native = Arc<CredentialStore>;

/// Connects to the platform keychain. On Linux this opens a session on the D-Bus session bus;
/// it fails when there is no bus or no Secret Service on it.
#[cfg(target_os = "linux")]
pub(crate) fn connect() -> keyring_core::Result<Native> {
    let store: Native = zbus_secret_service_keyring_store::Store::new()?;
    Ok(store)
}

/// Connects to the platform keychain: the user's login keychain.
#[cfg(target_os = "macos")]
pub(crate) fn connect() -> keyring_core::Result<Native> {
    let store: Native = apple_native_keyring_store::keychain::Store::new()?;
    Ok(store)
}

/// Connects to the platform keychain: the Windows Credential Manager.
#[cfg(target_os = "windows")]
pub(crate) fn connect() -> keyring_core::Result<Native> {
    let store: Native = windows_native_keyring_store::Store::new()?;
    Ok(store)
}

/// There is no keychain this build knows how to use.
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
pub(crate) fn connect() -> keyring_core::Result<Native> {
    Err(keyring_core::Error::NotSupportedByStore(
        "Tokentray has no keychain support for this operating system".into(),
    ))
}

/// The entry for `user` under `service`.
#[cfg(not(target_os = "windows"))]
pub(crate) fn entry(store: &Native, service: &str, user: &str) -> keyring_core::Result<Entry> {
    store.build(service, user, None)
}

/// The entry for `user` under `service`. Credentials persist on this machine only: the store's
/// default, "enterprise", roams with domain profiles and would copy tokens to other machines.
#[cfg(target_os = "windows")]
pub(crate) fn entry(store: &Native, service: &str, user: &str) -> keyring_core::Result<Entry> {
    let modifiers = std::collections::HashMap::from([("persistence", "Local")]);
    store.build(service, user, Some(&modifiers))
}
