//! `connections.toml`: the non-secret definitions of every connection, with a schema version.
//! Written atomically under a lock; a file that does not parse is copied aside, reported and
//! never overwritten.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::connection::{ConnectionName, ConnectionSpec};
use crate::files::{self, FileLock};

mod quick;
use crate::ports::StoreKind;

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: u32 = 1;

/// App-wide settings stored beside the connections.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSettings {
    /// Where secrets live. Unset means the OS keychain; `file` is an explicit, visible choice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_store: Option<StoreKind>,
    /// The export endpoint's port (unset: the documented default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_port: Option<u16>,
}

/// The whole file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigFile {
    /// The schema version the file was written with.
    pub schema_version: u32,
    /// App-wide settings.
    #[serde(default, skip_serializing_if = "is_default")]
    pub app: AppSettings,
    /// Every connection, in the order they were added.
    #[serde(default, rename = "connection")]
    pub connections: Vec<ConnectionSpec>,
}

fn is_default(s: &AppSettings) -> bool {
    s == &AppSettings::default()
}

impl Default for ConfigFile {
    fn default() -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            app: AppSettings::default(),
            connections: Vec::new(),
        }
    }
}

impl ConfigFile {
    /// The connection named `name`.
    pub fn get(&self, name: &ConnectionName) -> Option<&ConnectionSpec> {
        self.connections.iter().find(|c| &c.name == name)
    }

    /// The connection named `name`, mutably.
    pub fn get_mut(&mut self, name: &ConnectionName) -> Option<&mut ConnectionSpec> {
        self.connections.iter_mut().find(|c| &c.name == name)
    }

    /// Parses and checks a config file's text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| describe_toml_error(text, &e))?;
        if file.schema_version > SCHEMA_VERSION {
            return Err(format!(
                "it has schema version {}, written by a newer Tokentray (this one reads {SCHEMA_VERSION}); upgrade Tokentray",
                file.schema_version
            ));
        }
        let mut problems = Vec::new();
        let mut seen = std::collections::HashSet::with_capacity(file.connections.len());
        for spec in &file.connections {
            if !seen.insert(spec.name.as_str()) {
                problems.push(format!("connection {} is defined twice", spec.name));
            }
            if let Err(errors) = spec.validate() {
                for e in errors {
                    problems.push(format!("connection {}: {e}", spec.name));
                }
            }
        }
        if problems.is_empty() {
            Ok(file)
        } else {
            Err(problems.join("; "))
        }
    }

    /// The file's text.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self).unwrap_or_default();
        format!(
            "# Tokentray connections. Secrets are not kept here: they live in the keychain.\n{body}"
        )
    }
}

/// Reports where a TOML error is without quoting the line (a mistyped secret could be on it).
fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().trim_end_matches('.').to_owned();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, str::len) + 1;
            format!("line {line}, column {col}: {msg}")
        }
        None => msg,
    }
}

/// Why the config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but does not parse or does not validate.
    #[error("{} cannot be read: {detail}. Nothing was changed; a copy was kept at {}. Fix the file by hand (or move it away to start over) and try again", .path.display(), .kept.display())]
    Corrupt {
        /// The config file.
        path: PathBuf,
        /// Where a copy was kept.
        kept: PathBuf,
        /// Where and what, without quoting the file.
        detail: String,
    },
    /// The file could not be read or written.
    #[error("could not {action} {}: {source}", .path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// Reads and writes `connections.toml`.
#[derive(Clone, Debug)]
pub(crate) struct ConfigStore {
    path: PathBuf,
}

impl ConfigStore {
    /// A store for the file at `path`.
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn lock_path(&self) -> PathBuf {
        self.path.with_extension("toml.lock")
    }

    /// Loads the file; a missing file is an empty config.
    pub(crate) fn load(&self) -> Result<ConfigFile, ConfigError> {
        let io = |action, source| ConfigError::Io {
            action,
            path: self.path.clone(),
            source,
        };
        // Stamped before reading: a change made in between leaves a stamp that fits no file.
        let stamp = quick::Stamp::of(&self.path);
        let Some(bytes) = files::read_optional(&self.path).map_err(|e| io("read", e))? else {
            return Ok(ConfigFile::default());
        };
        let text = String::from_utf8_lossy(&bytes);
        let file = ConfigFile::parse(&text).map_err(|detail| {
            let kept = self.keep_aside(&bytes);
            ConfigError::Corrupt {
                path: self.path.clone(),
                kept,
                detail,
            }
        })?;
        if let Some(stamp) = stamp
            && self.checked() != Some(stamp)
        {
            // A cache: failing to write it (or a torn write: a stamp is only trusted whole and
            // equal to the file's) only costs the next reader a full parse.
            let _ = files::write_cache(&self.checked_path(), stamp.encode().as_bytes());
        }
        Ok(file)
    }

    /// The definition of `name`, read without parsing the whole file, when the file is the
    /// one last read in full and found valid; `None` otherwise (and for names it does not
    /// hold): then [`ConfigStore::load`] decides, as for every other reader.
    pub(crate) fn load_one(&self, name: &ConnectionName) -> Option<ConnectionSpec> {
        quick::find(&self.checked_text()?, name)
    }

    /// The app-wide settings, read like [`ConfigStore::load_one`]: without parsing every
    /// connection, from a file last found valid; `None` when that cannot be done.
    pub(crate) fn load_app(&self) -> Option<AppSettings> {
        let text = self.checked_text()?;
        quick::app(&text)
    }

    /// The file's text when it is the one last read in full and found valid.
    fn checked_text(&self) -> Option<String> {
        let checked = self.checked()?;
        if quick::Stamp::of(&self.path)? != checked {
            return None;
        }
        let bytes = files::read_optional(&self.path).ok()??;
        // The file read is the stamped one only if it still carries the stamp.
        if quick::Stamp::of(&self.path)? != checked {
            return None;
        }
        String::from_utf8(bytes).ok()
    }

    /// Where the stamp of the last file found valid is kept (beside it, owner-only).
    fn checked_path(&self) -> PathBuf {
        self.path.with_extension("toml.checked")
    }

    fn checked(&self) -> Option<quick::Stamp> {
        let text = std::fs::read_to_string(self.checked_path()).ok()?;
        quick::Stamp::decode(&text)
    }

    /// Copies an unreadable file aside once (identical copies are not repeated).
    fn keep_aside(&self, bytes: &[u8]) -> PathBuf {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(bytes);
        let tag = crate::paths::hex(&digest[..4]);
        let kept = self.path.with_extension(format!("toml.corrupt-{tag}"));
        if !kept.exists() {
            let _ = files::write_atomic(&kept, bytes);
        }
        kept
    }

    /// Locks the file, reloads it, applies `change`, and writes the result atomically. The
    /// file is written only when `change` succeeds.
    pub(crate) fn update<T, E: From<ConfigError>>(
        &self,
        change: impl FnOnce(&mut ConfigFile) -> Result<T, E>,
    ) -> Result<T, E> {
        let _lock = FileLock::acquire(&self.lock_path()).map_err(|source| ConfigError::Io {
            action: "lock",
            path: self.lock_path(),
            source,
        })?;
        files::remove_stale_temps(&self.path);
        let mut file = self.load()?;
        let out = change(&mut file)?;
        file.schema_version = SCHEMA_VERSION;
        files::write_atomic(&self.path, file.to_toml().as_bytes()).map_err(|source| {
            ConfigError::Io {
                action: "write",
                path: self.path.clone(),
                source,
            }
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{ProviderKind, Value};

    fn spec(name: &str) -> ConnectionSpec {
        let mut s = ConnectionSpec::new(ConnectionName::new(name).unwrap(), ProviderKind::Oauth2);
        s.settings.insert("client_id", Value::Text("cli".into()));
        s.settings
            .insert("token_url", Value::Text("https://idp.example/token".into()));
        s.settings.insert("pkce", Value::Bool(false));
        s
    }

    #[test]
    fn round_trips_through_toml() {
        let mut f = ConfigFile::default();
        f.connections.push(spec("work"));
        f.app.secret_store = Some(StoreKind::File);
        let text = f.to_toml();
        assert!(text.contains("[[connection]]"), "{text}");
        assert!(text.contains("schema_version = 1"), "{text}");
        assert_eq!(ConfigFile::parse(&text).unwrap(), f);
    }

    #[test]
    fn corrupt_files_are_reported_kept_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("connections.toml");
        std::fs::write(&path, "schema_version = 1\n[[connection]\nname = \"x\"\n").unwrap();
        let store = ConfigStore::new(path.clone());
        let err = store.load().unwrap_err();
        let ConfigError::Corrupt { kept, detail, .. } = &err else {
            panic!("{err}")
        };
        assert!(detail.starts_with("line 2"), "{detail}");
        assert_eq!(std::fs::read(kept).unwrap(), std::fs::read(&path).unwrap());
        let before = std::fs::read(&path).unwrap();
        let r: Result<(), ConfigError> = store.update(|f| {
            f.connections.clear();
            Ok(())
        });
        assert!(r.is_err(), "an update on a corrupt file must fail");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "the file is untouched"
        );
    }

    #[test]
    fn newer_schemas_and_invalid_connections_are_refused() {
        let e = ConfigFile::parse("schema_version = 9\n").unwrap_err();
        assert!(e.contains("newer Tokentray"), "{e}");
        let e = ConfigFile::parse(
            "schema_version = 1\n[[connection]]\nname = \"a\"\nkind = \"basic\"\nusername = \"u\"\npassword = \"canary\"\n",
        )
        .unwrap_err();
        assert!(e.contains("password"), "{e}");
        assert!(
            !e.contains("canary"),
            "never quote a value that may be secret: {e}"
        );
        let e = ConfigFile::parse(
            "schema_version = 1\n[[connection]]\nname = \"a\"\nkind = \"basic\"\nusername = \"u\"\n[[connection]]\nname = \"a\"\nkind = \"basic\"\nusername = \"v\"\n",
        )
        .unwrap_err();
        assert!(e.contains("twice"), "{e}");
    }

    #[test]
    fn updates_persist_and_a_failed_change_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConfigStore::new(dir.path().join("c/connections.toml"));
        store
            .update(|f| {
                f.connections.push(spec("one"));
                Ok::<_, ConfigError>(())
            })
            .unwrap();
        let r: Result<(), ConfigError> = store.update(|f| {
            f.connections.push(spec("two"));
            Err(ConfigError::Io {
                action: "test",
                path: PathBuf::new(),
                source: std::io::Error::other("no"),
            })
        });
        assert!(r.is_err());
        let names: Vec<_> = store
            .load()
            .unwrap()
            .connections
            .into_iter()
            .map(|c| c.name.to_string())
            .collect();
        assert_eq!(names, ["one"]);
    }
}
