//! What the app holds while it runs: the engine and the task that forwards its events to the
//! webview. Built once in `setup`, shut down once on exit.

use std::time::Duration;

use tauri::AppHandle;
use tokentray_engine::{AppSettings, ConfigFile, Engine, EngineOptions, Paths};

use crate::events::EventBridge;

/// How long quitting waits for renewals under way; a hung token endpoint must not keep the
/// app alive after the user chose Quit.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why the app could not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StartupError {
    #[error("could not find a home directory for Tokentray's files; set TOKENTRAY_HOME")]
    NoHome,
}

/// The app's managed state.
pub(crate) struct AppState {
    pub(crate) engine: Engine,
    bridge: EventBridge,
    /// The export endpoint, once it listens (none when it could not start).
    export: std::sync::Arc<tokio::sync::Mutex<Option<tokentray_export::ExportHandle>>>,
}

impl AppState {
    /// Builds the engine from the environment, starts forwarding its events to `app`, and
    /// starts background refresh.
    pub(crate) fn open(app: &AppHandle) -> Result<Self, StartupError> {
        let paths = Paths::from_env().ok_or(StartupError::NoHome)?;
        let store = tokentray_keychain::open_store(&paths, &settings(&paths));
        let engine = Engine::new(EngineOptions::new(paths, store));
        let files = vec![engine.paths().config_file(), engine.paths().state_file()];
        let bridge = EventBridge::spawn(app.clone(), engine.subscribe(), files);
        let background = engine.clone();
        let export = std::sync::Arc::new(tokio::sync::Mutex::new(None));
        let slot = export.clone();
        // The scheduler spawns tokio tasks, so it must start inside the runtime. A broken
        // config file is not fatal: the window shows the engine's error instead of a list.
        // The app is the one refresher while it runs, so it also serves the export endpoint.
        tauri::async_runtime::spawn(async move {
            if let Err(error) = background.start_background() {
                tracing::warn!(%error, "background refresh did not start");
            }
            let port = background.config().ok().and_then(|c| c.app.export_port);
            match tokentray_export::start(background, port).await {
                Ok(handle) => *slot.lock().await = Some(handle),
                Err(error) => tracing::warn!(%error, "the export endpoint did not start"),
            }
        });
        Ok(Self {
            engine,
            bridge,
            export,
        })
    }

    /// Stops forwarding events and waits (briefly) for the engine's background work.
    pub(crate) async fn shutdown(&self) {
        self.bridge.stop();
        if let Some(handle) = self.export.lock().await.take() {
            handle.shutdown().await;
        }
        if tokio::time::timeout(SHUTDOWN_GRACE, self.engine.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("renewals still running after {SHUTDOWN_GRACE:?}; quitting anyway");
        }
    }
}

/// The app-wide settings, read before the engine exists because they choose its secret store.
/// A missing or broken file gives the defaults (the OS keychain); the engine reports a broken
/// file itself, in the window.
fn settings(paths: &Paths) -> AppSettings {
    std::fs::read_to_string(paths.config_file())
        .ok()
        .and_then(|text| ConfigFile::parse(&text).ok())
        .map(|file| file.app)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use tokentray_engine::StoreKind;

    use super::*;

    #[test]
    fn the_secret_store_setting_is_read_from_the_config_file() {
        let home = tempfile::tempdir().unwrap();
        let paths = Paths::under(home.path());
        assert_eq!(
            settings(&paths),
            AppSettings::default(),
            "no file: defaults"
        );

        std::fs::create_dir_all(&paths.config_dir).unwrap();
        std::fs::write(
            paths.config_file(),
            "schema_version = 1\n[app]\nsecret_store = \"file\"\n",
        )
        .unwrap();
        assert_eq!(settings(&paths).secret_store, Some(StoreKind::File));

        std::fs::write(paths.config_file(), "schema_version = [").unwrap();
        assert_eq!(
            settings(&paths),
            AppSettings::default(),
            "a broken file falls back to the keychain; the list shows the error"
        );
    }
}
