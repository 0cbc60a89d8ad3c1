//! The desktop app's own preferences (clipboard auto-clear, session-end warnings, start at
//! login), kept next to `connections.toml` in `desktop.json`. Nothing secret lives here. A
//! missing or damaged file gives the defaults; the damaged file is left for the person.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use specta::Type;
use tokentray_engine::files;

/// The file's name inside the config directory.
const FILE: &str = "desktop.json";

/// The longest auto-clear delay and warning lead the app accepts.
const MAX_CLEAR_SECS: u32 = 3600;
const MAX_NOTIFY_MINS: u32 = 24 * 60;

/// The desktop preferences. Every field is required over IPC; the file on disk may lack some
/// (an older version wrote it), which [`SavedSettings`] fills in with the defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
pub(crate) struct UiSettings {
    /// Seconds after which a copied token is cleared from the clipboard; 0 = never.
    pub(crate) clipboard_clear_secs: u32,
    /// How many minutes before a session ends to warn; 0 = never.
    pub(crate) notify_session_end_mins: u32,
    /// Whether Tokentray starts when the person logs in.
    pub(crate) autostart: bool,
}

impl Default for UiSettings {
    fn default() -> Self {
        Self {
            clipboard_clear_secs: 60,
            notify_session_end_mins: 15,
            autostart: false,
        }
    }
}

/// `desktop.json` as read: any missing field takes its default.
#[derive(Deserialize)]
#[serde(default)]
struct SavedSettings {
    clipboard_clear_secs: u32,
    notify_session_end_mins: u32,
    autostart: bool,
}

impl Default for SavedSettings {
    fn default() -> Self {
        let UiSettings {
            clipboard_clear_secs,
            notify_session_end_mins,
            autostart,
        } = UiSettings::default();
        Self {
            clipboard_clear_secs,
            notify_session_end_mins,
            autostart,
        }
    }
}

impl From<SavedSettings> for UiSettings {
    fn from(saved: SavedSettings) -> Self {
        Self {
            clipboard_clear_secs: saved.clipboard_clear_secs,
            notify_session_end_mins: saved.notify_session_end_mins,
            autostart: saved.autostart,
        }
    }
}

impl UiSettings {
    /// The settings with out-of-range numbers brought into range.
    pub(crate) fn clamped(mut self) -> Self {
        self.clipboard_clear_secs = self.clipboard_clear_secs.min(MAX_CLEAR_SECS);
        self.notify_session_end_mins = self.notify_session_end_mins.min(MAX_NOTIFY_MINS);
        self
    }
}

/// Reads and writes `desktop.json`.
#[derive(Clone, Debug)]
pub(crate) struct SettingsFile {
    path: PathBuf,
}

impl SettingsFile {
    pub(crate) fn in_dir(config_dir: &Path) -> Self {
        Self {
            path: config_dir.join(FILE),
        }
    }

    /// The saved settings, or the defaults.
    pub(crate) fn load(&self) -> UiSettings {
        match files::read_optional(&self.path) {
            Ok(Some(bytes)) => match serde_json::from_slice::<SavedSettings>(&bytes) {
                Ok(saved) => UiSettings::from(saved).clamped(),
                Err(error) => {
                    tracing::warn!(%error, "desktop.json is damaged; using the default settings");
                    UiSettings::default()
                }
            },
            Ok(None) => UiSettings::default(),
            Err(error) => {
                tracing::warn!(%error, "could not read desktop.json; using the default settings");
                UiSettings::default()
            }
        }
    }

    /// Saves `settings` atomically, owner-only.
    pub(crate) fn save(&self, settings: &UiSettings) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            files::ensure_private_dir(dir)?;
        }
        let text = serde_json::to_vec_pretty(settings).map_err(std::io::Error::other)?;
        files::write_atomic(&self.path, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_damage_gives_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(&dir.path().join("config"));
        assert_eq!(file.load(), UiSettings::default());
        let mine = UiSettings {
            clipboard_clear_secs: 0,
            notify_session_end_mins: 30,
            autostart: true,
        };
        file.save(&mine).unwrap();
        assert_eq!(file.load(), mine);
        std::fs::write(dir.path().join("config").join(FILE), "{not json").unwrap();
        assert_eq!(file.load(), UiSettings::default());
    }

    #[test]
    fn numbers_out_of_range_are_clamped_and_missing_keys_default() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), r#"{"clipboard_clear_secs": 999999}"#).unwrap();
        let loaded = SettingsFile::in_dir(dir.path()).load();
        assert_eq!(loaded.clipboard_clear_secs, MAX_CLEAR_SECS);
        assert_eq!(loaded.notify_session_end_mins, 15);
    }
}
