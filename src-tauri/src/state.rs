//! What the app holds while it runs: the engine and the task that forwards its events to the
//! webview. Built once in `setup`, shut down once on exit.

use std::sync::Arc;
use std::time::Duration;

use tauri::AppHandle;
use tokentray_engine::{Engine, EngineOptions, Paths, SecretStore};

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
}

impl AppState {
    /// Builds the engine from the environment, starts forwarding its events to `app`, and
    /// starts background refresh.
    pub(crate) fn open(app: &AppHandle) -> Result<Self, StartupError> {
        let paths = Paths::from_env().ok_or(StartupError::NoHome)?;
        let engine = Engine::new(EngineOptions::new(paths, secret_store()));
        let files = vec![engine.paths().config_file(), engine.paths().state_file()];
        let bridge = EventBridge::spawn(app.clone(), engine.subscribe(), files);
        let background = engine.clone();
        // The scheduler spawns tokio tasks, so it must start inside the runtime. A broken
        // config file is not fatal: the window shows the engine's error instead of a list.
        tauri::async_runtime::spawn(async move {
            if let Err(error) = background.start_background() {
                tracing::warn!(%error, "background refresh did not start");
            }
        });
        Ok(Self { engine, bridge })
    }

    /// Stops forwarding events and waits (briefly) for the engine's background work.
    pub(crate) async fn shutdown(&self) {
        self.bridge.stop();
        if tokio::time::timeout(SHUTDOWN_GRACE, self.engine.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("renewals still running after {SHUTDOWN_GRACE:?}; quitting anyway");
        }
    }
}

// TODO(keychain): use `tokentray_keychain::open_store(&paths, &settings)` once that crate
// provides it. Until then secrets live in process memory and are lost on exit; the list view
// reads only the config and state files, so nothing shown depends on this.
fn secret_store() -> Arc<dyn SecretStore> {
    Arc::new(tokentray_engine::testing::MemorySecretStore::new())
}
