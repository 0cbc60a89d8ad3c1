//! `KeychainStore`: the engine's `SecretStore` over the OS keychain. One item per key, under the
//! service `tokentray` (or `tokentray.<namespace>` under `TOKENTRAY_HOME`), holding the value as
//! UTF-8 text. Every platform call runs on a watchdog thread with a deadline.
//!
//! Values above the sealing threshold (or refused by the platform as too long) are sealed: the
//! ciphertext goes to `<data_dir>/sealed/`, the keychain keeps the marker. Writes and deletes
//! hold `<data_dir>/keychain.lock`, so two processes never remove each other's fresh files, and
//! every write removes the files it superseded: no stale file can shadow a newer value.
//!
//! Not here: what errors mean (`annotate`), which store crate runs (`native`), the deadline
//! (`watchdog`), the cipher (`seal`).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use keyring_core::Entry;
use tokentray_engine::files::{self, FileLock};
use tokentray_engine::{Paths, Secret, SecretStore, StoreError, StoreInfo, StoreKind};

use crate::annotate::{During, Failure, annotate};
use crate::native::{self, Native};
use crate::seal::{self, Marker, Sealed};
use crate::watchdog::Watchdog;

/// How long a keychain call may take by default before it is abandoned.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Settings of a `KeychainStore`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeychainOptions {
    /// How long one keychain call may take before it fails with `StoreError::Timeout`.
    pub timeout: Duration,
    /// Values longer than this many UTF-8 bytes are sealed (see `DEFAULT_SEAL_ABOVE`).
    pub seal_above: usize,
}

impl Default for KeychainOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            seal_above: native::DEFAULT_SEAL_ABOVE,
        }
    }
}

/// Secrets in the OS keychain: Secret Service on Linux, the Keychain on macOS, the Credential
/// Manager on Windows. Creating one never fails and never blocks; when no keychain can be
/// reached, its calls return `StoreError::Unavailable`.
pub struct KeychainStore {
    items: Arc<Items>,
    watchdog: Watchdog,
}

/// The blocking half: everything a call needs on its thread.
struct Items {
    service: String,
    sealed_dir: PathBuf,
    lock_path: PathBuf,
    seal_above: usize,
    /// The connection, made on first use and dropped when it breaks, so a keychain that
    /// appears or restarts later is picked up.
    native: Mutex<Option<Native>>,
}

impl KeychainStore {
    /// The keychain store of `paths`, with the default timeout and sealing threshold.
    pub fn new(paths: &Paths) -> Self {
        Self::with_options(paths, KeychainOptions::default())
    }

    /// The keychain store of `paths` with explicit settings.
    pub fn with_options(paths: &Paths, options: KeychainOptions) -> Self {
        Self {
            items: Arc::new(Items {
                service: paths.keychain_service(),
                sealed_dir: paths.data_dir.join("sealed"),
                lock_path: paths.data_dir.join("keychain.lock"),
                seal_above: options.seal_above,
                native: Mutex::new(None),
            }),
            watchdog: Watchdog::new(options.timeout),
        }
    }

    /// The keychain service name the items are stored under.
    pub fn service(&self) -> &str {
        &self.items.service
    }

    /// Where sealed values are kept.
    pub fn sealed_dir(&self) -> &Path {
        &self.items.sealed_dir
    }

    /// How long one call may take.
    pub fn timeout(&self) -> Duration {
        self.watchdog.timeout()
    }

    async fn call<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Items) -> Result<T, StoreError> + Send + 'static,
    {
        let items = Arc::clone(&self.items);
        let result = self.watchdog.run(move || op(&items)).await;
        if let Err(StoreError::Timeout { .. }) = result {
            // The stuck thread may hold the connection; the next call after the cooldown
            // starts a fresh one.
            self.items.forget_connection();
        }
        result
    }
}

#[async_trait]
impl SecretStore for KeychainStore {
    fn info(&self) -> StoreInfo {
        StoreInfo {
            kind: StoreKind::Keychain,
            location: format!("{} (service {})", native::PLATFORM_NAME, self.items.service),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Secret>, StoreError> {
        let key = key.to_owned();
        self.call(move |items| items.get(&key)).await
    }

    async fn put(&self, key: &str, value: &Secret) -> Result<(), StoreError> {
        let key = key.to_owned();
        let value = value.clone();
        self.call(move |items| items.put(&key, &value)).await
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let key = key.to_owned();
        self.call(move |items| items.delete(&key)).await
    }
}

impl Items {
    fn get(&self, key: &str) -> Result<Option<Secret>, StoreError> {
        let entry = self.entry(key)?;
        let Some(text) = self.read(&entry, key)? else {
            return Ok(None);
        };
        if Marker::parse(&text).is_none() {
            return Ok(Some(Secret::new(text)));
        }
        // A writer may be replacing the marker and its file right now: read both under the lock.
        let _lock = self.lock();
        match self.read(&entry, key)? {
            Some(text) => match Marker::parse(&text) {
                Some(marker) => self.open_sealed(&marker, key).map(Some),
                None => Ok(Some(Secret::new(text))),
            },
            None => Ok(None),
        }
    }

    fn put(&self, key: &str, value: &Secret) -> Result<(), StoreError> {
        let entry = self.entry(key)?;
        let _lock = self.lock();
        let text = value.expose();
        // A plain value that happens to look like a marker is sealed too, so `get` can never
        // mistake it for one.
        let kept = if text.len() > self.seal_above || Marker::parse(text).is_some() {
            Some(self.write_sealed(&entry, key, text)?)
        } else {
            match entry.set_password(text) {
                Ok(()) => None,
                Err(err) => match annotate(err, During::Use { key }) {
                    Failure::TooLong => Some(self.write_sealed(&entry, key, text)?),
                    failure => return Err(self.fail(failure)),
                },
            }
        };
        self.remove_sealed_files(key, kept.as_deref());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let entry = self.entry(key)?;
        let _lock = self.lock();
        let existed = match entry.delete_credential() {
            Ok(()) => true,
            Err(err) => match annotate(err, During::Use { key }) {
                Failure::NotStored => false,
                failure => return Err(self.fail(failure)),
            },
        };
        self.remove_sealed_files(key, None);
        Ok(existed)
    }

    /// The item's text, or `None` when nothing is stored.
    fn read(&self, entry: &Entry, key: &str) -> Result<Option<String>, StoreError> {
        match entry.get_password() {
            Ok(text) => Ok(Some(text)),
            Err(err) => match annotate(err, During::Use { key }) {
                Failure::NotStored => Ok(None),
                failure => Err(self.fail(failure)),
            },
        }
    }

    /// Seals `text`, writes the ciphertext, then points the item at it. Returns the file name.
    fn write_sealed(&self, entry: &Entry, key: &str, text: &str) -> Result<String, StoreError> {
        let Sealed {
            marker_text,
            file,
            ciphertext,
        } = seal::seal(&self.service, key, text);
        let path = self.sealed_dir.join(&file);
        files::write_atomic(&path, &ciphertext).map_err(|source| StoreError::Io {
            action: "write",
            path: path.display().to_string(),
            source,
        })?;
        if let Err(err) = entry.set_password(&marker_text) {
            // The old marker and its file are untouched; only the new file goes.
            let _ = fs::remove_file(&path);
            return Err(self.fail(annotate(err, During::Use { key })));
        }
        Ok(file)
    }

    fn open_sealed(&self, marker: &Marker, key: &str) -> Result<Secret, StoreError> {
        let corrupt = || StoreError::Corrupt { key: key.into() };
        seal::check_file(marker, &self.service, key).map_err(|_| corrupt())?;
        let path = self.sealed_dir.join(&marker.file);
        let ciphertext = files::read_optional(&path)
            .map_err(|source| StoreError::Io {
                action: "read",
                path: path.display().to_string(),
                source,
            })?
            .ok_or_else(corrupt)?;
        seal::unseal(marker, &self.service, key, &ciphertext)
            .map(Secret::new)
            .map_err(|_| corrupt())
    }

    /// Removes the sealed files of `key` except `keep`. A file that cannot be removed is only
    /// logged: without its key, which is gone from the keychain, it cannot be read.
    fn remove_sealed_files(&self, key: &str, keep: Option<&str>) {
        let Ok(dir) = fs::read_dir(&self.sealed_dir) else {
            return;
        };
        let prefix = seal::file_prefix(&self.service, key);
        for name in dir.filter_map(Result::ok).map(|e| e.file_name()) {
            let Some(name) = name.to_str() else { continue };
            if seal::is_file_of(&prefix, name)
                && Some(name) != keep
                && let Err(err) = fs::remove_file(self.sealed_dir.join(name))
            {
                tracing::warn!(file = name, %err, "could not remove a superseded sealed file");
            }
        }
    }

    /// The cross-process lock of this store's writes. Without a writable data directory, a
    /// small value can still be stored, so a lock that cannot be taken is logged, not fatal.
    fn lock(&self) -> Option<FileLock> {
        FileLock::acquire(&self.lock_path)
            .inspect_err(|err| {
                tracing::warn!(path = %self.lock_path.display(), %err, "could not lock the keychain store");
            })
            .ok()
    }

    fn entry(&self, key: &str) -> Result<Entry, StoreError> {
        let native = self.connection()?;
        native::entry(&native, &self.service, key)
            .map_err(|err| self.fail(annotate(err, During::Use { key })))
    }

    fn connection(&self) -> Result<Native, StoreError> {
        if let Some(native) = self.cached() {
            return Ok(native);
        }
        // Connect without holding the lock: a connect that hangs must not block `forget`.
        let native = native::connect().map_err(|err| match annotate(err, During::Connect) {
            Failure::Store(err) => err,
            Failure::NotStored | Failure::TooLong => StoreError::Unavailable {
                reason: "the keychain refused a connection".into(),
            },
        })?;
        *self.native.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&native));
        Ok(native)
    }

    fn cached(&self) -> Option<Native> {
        self.native
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn forget_connection(&self) {
        *self.native.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Turns a failure into the error to return, dropping a connection that is gone.
    fn fail(&self, failure: Failure) -> StoreError {
        let err = match failure {
            Failure::Store(err) => err,
            Failure::NotStored => StoreError::Platform {
                message: "the keychain lost an item while writing it".into(),
            },
            Failure::TooLong => StoreError::Platform {
                message: "the keychain refused even a sealed marker as too long".into(),
            },
        };
        if matches!(err, StoreError::Unavailable { .. }) {
            self.forget_connection();
        }
        err
    }
}
