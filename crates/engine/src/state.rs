//! Non-secret state of each connection (status, expiry, identity, last refresh), kept in the
//! data directory so that lists show without waking the keychain. It is a cache of what the
//! engine knows: a damaged file is replaced, with a warning, by what the engine learns next.

use std::collections::BTreeMap;
#[cfg(test)]
use std::path::Path;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::connection::ConnectionName;
use crate::files::{self, FileLock};
use crate::ports::StoreKind;
use crate::time::Timestamp;
use crate::token::Identity;

/// Where a connection stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// No token yet, or logged out.
    #[default]
    SignedOut,
    /// A token is held and renewed as needed.
    Active,
    /// A renewal is under way.
    Refreshing,
    /// Only a person can fix it: a login is needed.
    NeedsLogin,
    /// The last renewal failed transiently; Tokentray retries with backoff and still serves a
    /// valid token.
    Error,
}

impl Status {
    /// The status as written in JSON and on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SignedOut => "signed_out",
            Self::Active => "active",
            Self::Refreshing => "refreshing",
            Self::NeedsLogin => "needs_login",
            Self::Error => "error",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is known about one connection without its secrets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionState {
    /// Where it stands.
    pub status: Status,
    /// When the access token expires, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// When the refresh token or session ends, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_expires_at: Option<Timestamp>,
    /// When the session ends and only a person can log in again (a 2FA account, a browser
    /// login), so front ends can warn before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs_login_at: Option<Timestamp>,
    /// Who the token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// Who the token belonged to before the last login, when that login signed in as someone
    /// else; kept so front ends announce the change until it is acknowledged or the next login.
    /// While signed out (no `identity`), the last account, so the next login can tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_identity: Option<Identity>,
    /// When a token was last obtained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_refresh: Option<Timestamp>,
    /// The last error, in words (never containing a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Where the secrets live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreKind>,
    /// The last renewals and failures, newest last, at most [`HISTORY_KEEP`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
}

/// How many history entries a connection keeps.
pub const HISTORY_KEEP: usize = 20;

/// What happened to a connection's tokens at one time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryOutcome {
    /// New tokens were obtained (a renewal or a login).
    Renewed,
    /// A renewal or login failed.
    Failed,
    /// The tokens were forgotten on logout.
    LoggedOut,
}

/// One entry of a connection's refresh history (no secrets: the message is an error's words).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When.
    pub at: Timestamp,
    /// What happened.
    pub outcome: HistoryOutcome,
    /// The error, for failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl ConnectionState {
    /// Appends to the history, dropping the oldest entries beyond [`HISTORY_KEEP`].
    pub fn record(&mut self, at: Timestamp, outcome: HistoryOutcome, message: Option<String>) {
        self.history.push(HistoryEntry {
            at,
            outcome,
            message,
        });
        let extra = self.history.len().saturating_sub(HISTORY_KEEP);
        self.history.drain(..extra);
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    #[serde(default)]
    connections: BTreeMap<ConnectionName, ConnectionState>,
}

/// Reads and writes `state.json`.
#[derive(Clone, Debug)]
pub(crate) struct StateStore {
    path: PathBuf,
}

impl StateStore {
    /// A store for the file at `path`.
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// The file's path.
    #[cfg(test)]
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Every known state. A missing or damaged file reads as empty.
    pub(crate) fn load_all(&self) -> BTreeMap<ConnectionName, ConnectionState> {
        self.read().connections
    }

    fn read(&self) -> StateFile {
        match files::read_optional(&self.path) {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(path = %self.path.display(), error = %e, "state file is damaged; starting from what the engine learns next");
                StateFile::default()
            }),
            Ok(None) => StateFile::default(),
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "could not read the state file");
                StateFile::default()
            }
        }
    }

    /// Replaces the state of `name` (or removes it with `None`), under the file lock.
    pub(crate) fn put(
        &self,
        name: &ConnectionName,
        state: Option<&ConnectionState>,
    ) -> std::io::Result<()> {
        let _lock = FileLock::acquire(&self.path.with_extension("json.lock"))?;
        files::remove_stale_temps(&self.path);
        let mut file = self.read();
        match state {
            Some(s) => {
                file.connections.insert(name.clone(), s.clone());
            }
            None => {
                file.connections.remove(name);
            }
        }
        let bytes = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
        files::write_atomic(&self.path, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_persist_per_connection_and_damage_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(dir.path().join("state.json"));
        let a = ConnectionName::new("a").unwrap();
        let st = ConnectionState {
            status: Status::Active,
            expires_at: Some(Timestamp::from_secs(100)),
            identity: Some(Identity::subject("jdoe")),
            ..ConnectionState::default()
        };
        store.put(&a, Some(&st)).unwrap();
        assert_eq!(store.load_all().get(&a), Some(&st));
        store.put(&a, None).unwrap();
        assert!(store.load_all().is_empty());
        std::fs::write(store.path(), "{not json").unwrap();
        assert!(store.load_all().is_empty());
    }
}
