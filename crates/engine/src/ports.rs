//! The ports through which the engine reaches the outside world, other than HTTP: the secret
//! store (the OS keychain, an explicit file, or memory in tests). The clock is in `time`.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// Which kind of store holds a connection's secrets; shown beside every connection.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager).
    Keychain,
    /// An owner-only file the user chose explicitly instead of a keychain.
    File,
    /// Process memory (tests and demos); lost on exit.
    Memory,
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Keychain => "keychain",
            Self::File => "file",
            Self::Memory => "memory",
        })
    }
}

/// What a store says about itself, for `doctor` and the UI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreInfo {
    /// The kind of store.
    pub kind: StoreKind,
    /// Where it keeps secrets, in words: "Secret Service (service tokentray)", a file path.
    pub location: String,
}

/// Why the secret store could not do what was asked. Messages never contain secret values.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No keychain can be reached at all.
    #[error(
        "no keychain is reachable ({reason}); start a Secret Service such as gnome-keyring, or choose the owner-only file store explicitly"
    )]
    Unavailable {
        /// What the platform said, without secrets.
        reason: String,
    },
    /// The keychain exists but is locked and nobody could unlock it.
    #[error(
        "the keychain is locked; unlock it (for example by logging in to the desktop) and try again"
    )]
    Locked,
    /// A call did not return in time (an unlock prompt nobody answers, a hung daemon).
    #[error("the keychain did not answer within {}s; it may be waiting for an unlock prompt", .after.as_secs())]
    Timeout {
        /// How long we waited.
        after: Duration,
    },
    /// A stored item is not what Tokentray wrote.
    #[error("the stored secrets of {key} are damaged; log in again to replace them")]
    Corrupt {
        /// The item's key.
        key: String,
    },
    /// A file-backed store could not read or write its file.
    #[error("could not {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Any other platform failure.
    #[error("the keychain failed: {message}")]
    Platform {
        /// The platform's message, without secrets.
        message: String,
    },
}

/// A store of secret blobs, one per key. Keys are connection names or reserved names that start
/// with `_` (which no connection name can). Implementations must never block the async runtime:
/// blocking platform calls run on a blocking thread with a timeout.
#[async_trait]
pub trait SecretStore: Send + Sync + 'static {
    /// What the store is and where it keeps secrets.
    fn info(&self) -> StoreInfo;

    /// The secret stored under `key`, or `None`.
    async fn get(&self, key: &str) -> Result<Option<Secret>, StoreError>;

    /// Stores `value` under `key`, replacing what was there.
    async fn put(&self, key: &str, value: &Secret) -> Result<(), StoreError>;

    /// Deletes `key`; deleting a missing key is not an error. Returns whether something was
    /// deleted.
    async fn delete(&self, key: &str) -> Result<bool, StoreError>;

    /// Checks that the store can be used right now (write, read and delete a probe).
    async fn probe(&self) -> Result<(), StoreError> {
        let key = "_probe";
        let value = Secret::new("probe");
        self.put(key, &value).await?;
        let back = self.get(key).await?;
        self.delete(key).await?;
        if back.as_ref() == Some(&value) {
            Ok(())
        } else {
            Err(StoreError::Platform {
                message: "a probe written to the store did not read back".into(),
            })
        }
    }
}
