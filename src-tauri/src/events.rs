//! The bridge from engine events to typed Tauri events. The engine broadcasts what changed;
//! this task forwards each change to every window as `connections-changed`, and brings the
//! tray in step. Payloads are the
//! same secret-free DTOs the commands return.
//!
//! Another process (the CLI) may change the config and state files too, and the engine only
//! reports its own changes, so the bridge also watches the two files' modification times and
//! asks the UI to reload when they move.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use specta::Type;
use tauri::AppHandle;
use tauri::async_runtime::JoinHandle;
use tauri_specta::Event;
use tokentray_engine::{ConnectionName, Engine, EngineEvent, ErrorCode, Remedy};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::MissedTickBehavior;

use crate::dto::Connection;

/// A connection was added, changed or removed.
#[derive(Clone, Debug, PartialEq, Serialize, Type, Event)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ConnectionsChanged {
    /// A connection was added or its state changed.
    Changed { connection: Box<Connection> },
    /// A connection was removed.
    Removed { name: ConnectionName },
    /// Changes were missed (the UI fell behind): reload the whole list.
    Resync,
}

impl From<EngineEvent> for ConnectionsChanged {
    fn from(event: EngineEvent) -> Self {
        match event {
            EngineEvent::Changed { connection } => Self::Changed {
                connection: Box::new(Connection::of(*connection)),
            },
            EngineEvent::Removed { name } => Self::Removed { name },
        }
    }
}

/// How often the bridge looks at the files for changes made elsewhere: two `stat` calls, and
/// a command run in a terminal shows up in the window within this delay.
/// How an interactive login is going; sent while the login dialog waits.
#[derive(Clone, Debug, PartialEq, Serialize, Type, Event)]
pub(crate) struct LoginUpdate {
    pub(crate) name: String,
    pub(crate) phase: LoginPhase,
    /// What happened, in words.
    pub(crate) message: Option<String>,
    /// How a failed login failed: the engine's stable code, for the UI to branch on.
    pub(crate) code: Option<ErrorCode>,
    /// What the person can do about a failure, as the engine decided; the UI words it.
    pub(crate) remedy: Option<Remedy>,
    /// The connection after a successful login.
    pub(crate) connection: Option<Connection>,
}

/// Where a login stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LoginPhase {
    Done,
    Failed,
    Cancelled,
}

/// A sentence for the person that belongs to no command (a cleared clipboard, an ignored
/// link), shown in the app's notice area.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type, Event)]
pub(crate) struct Notice {
    pub(crate) level: Level,
    pub(crate) message: String,
}

/// How much a notice matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Level {
    Info,
    Warning,
    Error,
}

/// The tray asked the window to show one connection (and, with `login`, to log it in).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type, Event)]
pub(crate) struct Navigate {
    pub(crate) name: String,
    pub(crate) login: bool,
}

/// The window was closed on a desktop without a tray: with no icon to bring a hidden window
/// back, the window asks whether to quit or to keep running in the background.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type, Event)]
pub(crate) struct QuitAsked {
    /// Why the window asks instead of hiding, in words.
    pub(crate) reason: String,
}

/// Sends a notice to the window.
pub(crate) fn notice(app: &AppHandle, level: Level, message: impl Into<String>) {
    let notice = Notice {
        level,
        message: message.into(),
    };
    if let Err(error) = notice.emit(app) {
        tracing::warn!(%error, "could not send a notice to the UI");
    }
}

const FILE_POLL: Duration = Duration::from_secs(2);

/// Owns the forwarding task; stopping or dropping it stops the forwarding.
pub(crate) struct EventBridge {
    task: JoinHandle<()>,
}

impl EventBridge {
    /// Forwards every event from `events` to the windows of `app`, plus a `Resync` whenever one
    /// of `files` changes, until the engine goes away; `also` follows each change too (the
    /// tray: passed in, so that this module needs nothing above it).
    pub(crate) fn spawn(
        app: AppHandle,
        engine: Engine,
        files: Vec<PathBuf>,
        also: fn(&AppHandle, &Engine),
    ) -> Self {
        let task = tauri::async_runtime::spawn(forward(app, engine, files, also));
        Self { task }
    }

    /// Stops forwarding.
    pub(crate) fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for EventBridge {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn forward(
    app: AppHandle,
    engine: Engine,
    files: Vec<PathBuf>,
    also: fn(&AppHandle, &Engine),
) {
    let mut events = engine.subscribe();
    let mut poll = tokio::time::interval(FILE_POLL);
    poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut seen = modified(&files);
    loop {
        let change = tokio::select! {
            event = events.recv() => match event {
                Ok(EngineEvent::Changed { connection }) => ConnectionsChanged::Changed {
                    connection: Box::new(Connection::live(*connection, &engine)),
                },
                Ok(event) => ConnectionsChanged::from(event),
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "the UI bridge fell behind; asking the UI to reload");
                    ConnectionsChanged::Resync
                }
                Err(RecvError::Closed) => return,
            },
            _ = poll.tick() => {
                let now = modified(&files);
                if now == seen {
                    continue;
                }
                seen = now;
                ConnectionsChanged::Resync
            }
        };
        if let Err(error) = change.emit(&app) {
            tracing::warn!(%error, "could not send a connection change to the UI");
        }
        // The tray follows the same changes at once (it skips what changes nothing it shows).
        also(&app, &engine);
    }
}

/// The modification time of each file; `None` while a file does not exist.
fn modified(files: &[PathBuf]) -> Vec<Option<SystemTime>> {
    files
        .iter()
        .map(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::tests::active_view;

    #[test]
    fn a_file_created_elsewhere_counts_as_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("state.json");
        let files = vec![file.clone()];
        let before = modified(&files);
        assert_eq!(before, vec![None], "a missing file has no time");
        std::fs::write(&file, "{}").unwrap();
        assert_ne!(modified(&files), before, "creating the file is a change");
    }

    #[test]
    fn engine_changes_become_tagged_ui_events() {
        let changed = ConnectionsChanged::from(EngineEvent::Changed {
            connection: Box::new(active_view("work")),
        });
        let json = serde_json::to_value(&changed).unwrap();
        assert_eq!(json["type"], "changed");
        assert_eq!(json["connection"]["name"], "work");

        let removed = ConnectionsChanged::from(EngineEvent::Removed {
            name: ConnectionName::new("old").unwrap(),
        });
        assert_eq!(
            serde_json::to_value(&removed).unwrap(),
            serde_json::json!({ "type": "removed", "name": "old" })
        );
        assert_eq!(
            serde_json::to_value(ConnectionsChanged::Resync).unwrap(),
            serde_json::json!({ "type": "resync" })
        );
    }
}
