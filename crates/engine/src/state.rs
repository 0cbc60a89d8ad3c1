//! Non-secret state of each connection (status, expiry, identity, last refresh), kept in the
//! data directory so that lists show without waking the keychain. It is a cache of what the
//! engine knows: a damaged file is replaced, with a warning, by what the engine learns next
//! (at the latest when a connection's tokens are next read from the store: they say what the
//! file lost).

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
#[cfg_attr(feature = "specta", derive(specta::Type))]
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
#[cfg_attr(feature = "specta", derive(specta::Type))]
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
#[cfg_attr(feature = "specta", derive(specta::Type))]
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

    /// The state of `name` alone: the other connections' entries are skipped, not built, so
    /// asking for one costs little with thousands of connections. A missing or damaged file
    /// reads as the default state.
    pub(crate) fn load(&self, name: &ConnectionName) -> ConnectionState {
        let Some(bytes) = self.bytes() else {
            return ConnectionState::default();
        };
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        serde::de::DeserializeSeed::deserialize(one::File(name), &mut de)
            .map_err(|e| self.damaged(&e))
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    fn read(&self) -> StateFile {
        let Some(bytes) = self.bytes() else {
            return StateFile::default();
        };
        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            self.damaged(&e);
            StateFile::default()
        })
    }

    /// The file's bytes; `None` when it is missing or cannot be read (said in the log).
    fn bytes(&self) -> Option<Vec<u8>> {
        files::read_optional(&self.path).unwrap_or_else(|e| {
            tracing::warn!(path = %self.path.display(), error = %e, "could not read the state file");
            None
        })
    }

    fn damaged(&self, error: &serde_json::Error) {
        tracing::warn!(path = %self.path.display(), %error, "state file is damaged; starting from what the engine learns next");
    }

    /// Replaces the state of `name` (or removes it with `None`), under the file lock.
    pub(crate) fn put(
        &self,
        name: &ConnectionName,
        state: Option<&ConnectionState>,
    ) -> std::io::Result<()> {
        self.put_all([(name, state)])
    }

    /// [`StateStore::put`] for many connections at once: one read and one write of the file
    /// (an import of thousands of connections must not rewrite it thousands of times).
    pub(crate) fn put_all<'a>(
        &self,
        changes: impl IntoIterator<Item = (&'a ConnectionName, Option<&'a ConnectionState>)>,
    ) -> std::io::Result<()> {
        let _lock = FileLock::acquire(&self.path.with_extension("json.lock"))?;
        files::remove_stale_temps(&self.path);
        let mut file = self.read();
        for (name, state) in changes {
            match state {
                Some(s) => {
                    file.connections.insert(name.clone(), s.clone());
                }
                None => {
                    file.connections.remove(name);
                }
            }
        }
        let bytes = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
        files::write_atomic(&self.path, &bytes)
    }
}

/// Reading one connection's entry of `state.json` (`{"connections": {NAME: STATE, …}}`).
mod one {
    use std::fmt;

    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

    use super::ConnectionState;
    use crate::connection::ConnectionName;

    /// The whole file: its `connections` map, through [`Entries`].
    pub(super) struct File<'a>(pub &'a ConnectionName);

    /// The `connections` map: the entry named `.0`, every other skipped.
    struct Entries<'a>(&'a ConnectionName);

    impl<'de> DeserializeSeed<'de> for File<'_> {
        type Value = Option<ConnectionState>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for File<'_> {
        type Value = Option<ConnectionState>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the state file's object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = None;
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if key == "connections" {
                    found = map.next_value_seed(Entries(self.0))?;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }
    }

    impl<'de> DeserializeSeed<'de> for Entries<'_> {
        type Value = Option<ConnectionState>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Entries<'_> {
        type Value = Option<ConnectionState>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of connection states")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = None;
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if key == self.0.as_str() {
                    found = Some(map.next_value::<ConnectionState>()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }
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
        assert_eq!(store.load(&a), ConnectionState::default());
    }

    #[test]
    fn one_state_is_read_alone_and_matches_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(dir.path().join("state.json"));
        let names: Vec<ConnectionName> = (0..50)
            .map(|i| ConnectionName::new(&format!("c{i}")).unwrap())
            .collect();
        let states: Vec<ConnectionState> = (0..50)
            .map(|i| ConnectionState {
                status: if i % 2 == 0 {
                    Status::Active
                } else {
                    Status::NeedsLogin
                },
                expires_at: Some(Timestamp::from_secs(1000 + i)),
                identity: Some(Identity::subject(format!("user-{i}"))),
                ..ConnectionState::default()
            })
            .collect();
        store
            .put_all(names.iter().zip(&states).map(|(n, s)| (n, Some(s))))
            .unwrap();
        let all = store.load_all();
        for (n, s) in names.iter().zip(&states) {
            assert_eq!(&store.load(n), s, "{n}");
            assert_eq!(all.get(n), Some(s));
        }
        let unknown = ConnectionName::new("nobody").unwrap();
        assert_eq!(store.load(&unknown), ConnectionState::default());
        // A file another version wrote with more top-level keys still reads.
        let text = std::fs::read_to_string(dir.path().join("state.json")).unwrap();
        let extended = text.replacen('{', r#"{"written_by": {"v": [1, 2]}, "#, 1);
        std::fs::write(dir.path().join("state.json"), extended).unwrap();
        assert_eq!(store.load(&names[7]), states[7]);
    }
}
