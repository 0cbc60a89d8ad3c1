//! What the app holds while it runs: the engine and the task that forwards its events to the
//! webview. Built once in `setup`, shut down once on exit.

use std::sync::Arc;
use std::time::Duration;

use tauri::AppHandle;
use tokentray_engine::{AppSettings, ConfigFile, Engine, EngineOptions, Paths};
use tokio::sync::Mutex;

use crate::browser::DesktopBrowser;
use crate::events::EventBridge;
use crate::settings::{SettingsFile, UiSettings};

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
    /// Opens login pages; remembers whether the last one opened.
    bridge: EventBridge,
    watcher: tauri::async_runtime::JoinHandle<()>,
    /// The export endpoint, once it listens (none when it could not start).
    export: Arc<Mutex<Option<tokentray_export::ExportHandle>>>,
    /// The demo providers (the sandbox sidecar), while they run.
    demo: Arc<Mutex<Option<crate::demo::Providers>>>,
    /// Whether the background work (refresh, the endpoint, the demo) was started.
    started: std::sync::Once,
    /// The app, for what starts behind the window (the sidecar is started through it).
    app: AppHandle,
    settings_file: SettingsFile,
    /// Shared with the notifier, which reads the session-end warning's lead from it.
    settings: Arc<std::sync::Mutex<UiSettings>>,
}

impl AppState {
    /// Builds the engine from the environment and starts forwarding its events to `app`.
    /// Nothing here waits for the keychain or the network: the list reads two files.
    /// Background refresh and the endpoint start with [`Self::start_background`].
    /// `also` is called on every change the bridge forwards (the tray follows with it).
    pub(crate) fn open(
        app: &AppHandle,
        also: fn(&AppHandle, &Engine),
    ) -> Result<Self, StartupError> {
        let paths = Paths::from_env().ok_or(StartupError::NoHome)?;
        let store = tokentray_keychain::open_store(&paths, &settings(&paths));
        let browser = Arc::new(DesktopBrowser::new(app.clone(), paths.runtime_dir.clone()));
        let mut options = EngineOptions::new(paths, store);
        options.browser = browser;
        let engine = Engine::new(options);
        let files = vec![engine.paths().config_file(), engine.paths().state_file()];
        let bridge = EventBridge::spawn(app.clone(), engine.clone(), files, also);
        let settings_file = SettingsFile::in_dir(&engine.paths().config_dir);
        let settings = Arc::new(std::sync::Mutex::new(settings_file.load()));
        let watcher = crate::notify::spawn(app.clone(), engine.clone(), settings.clone());
        Ok(Self {
            engine,
            bridge,
            watcher,
            export: Arc::new(Mutex::new(None)),
            demo: Arc::new(Mutex::new(None)),
            started: std::sync::Once::new(),
            app: app.clone(),
            settings_file,
            settings,
        })
    }

    /// Starts, once, what runs behind the window: the demo providers (when demo connections
    /// exist), background refresh and the export endpoint. Called once the first screen is
    /// painted, so that none of it (renewals, keychain calls over D-Bus, binding the port)
    /// competes with the launch.
    pub(crate) fn start_background(&self) {
        self.started.call_once(|| {
            let (background, export_slot, demo_slot) =
                (self.engine.clone(), self.export.clone(), self.demo.clone());
            let handle = self.app.clone();
            // The scheduler spawns tokio tasks, so it must start inside the runtime. A broken
            // config file is not fatal: the window shows the engine's error instead of a list.
            // The app is the one refresher while it runs, so it also serves the endpoint.
            tauri::async_runtime::spawn(async move {
                if crate::demo::in_use(&background) {
                    match crate::demo::start(&handle).await {
                        Ok(providers) => *demo_slot.lock().await = Some(providers),
                        Err(error) => tracing::warn!(%error, "the demo providers did not start"),
                    }
                }
                if let Err(error) = background.start_background() {
                    tracing::warn!(%error, "background refresh did not start");
                }
                crate::timing::mark("background refresh started");
                let port = background.config().ok().and_then(|c| c.app.export_port);
                match tokentray_export::start(background, port).await {
                    Ok(handle) => *export_slot.lock().await = Some(handle),
                    Err(error) => tracing::warn!(%error, "the export endpoint did not start"),
                }
                crate::timing::mark("endpoint started");
            });
        });
    }

    /// The desktop preferences now.
    pub(crate) fn settings(&self) -> UiSettings {
        self.settings.lock().expect("settings lock").clone()
    }

    /// Saves new preferences.
    pub(crate) fn save_settings(&self, settings: &UiSettings) -> std::io::Result<()> {
        self.settings_file.save(settings)?;
        *self.settings.lock().expect("settings lock") = settings.clone();
        Ok(())
    }

    /// The export endpoint's base URL, while it listens.
    pub(crate) async fn endpoint_url(&self) -> Option<String> {
        self.export
            .lock()
            .await
            .as_ref()
            .map(|h| h.url().to_owned())
    }

    /// The default port, when it was taken by another program and the endpoint listens on
    /// another one (shown beside the address).
    pub(crate) async fn endpoint_default_taken(&self) -> Option<u16> {
        self.export
            .lock()
            .await
            .as_ref()
            .filter(|h| h.default_taken())
            .map(tokentray_export::ExportHandle::requested_port)
    }

    /// Starts the demo providers (once) and adds the demo connections.
    pub(crate) async fn start_demo(
        &self,
        app: &AppHandle,
    ) -> Result<Vec<String>, crate::demo::StartError> {
        let mut demo = self.demo.lock().await;
        if demo.is_none() {
            *demo = Some(crate::demo::start(app).await?);
        }
        let providers = demo.as_ref().expect("started above");
        Ok(crate::demo::add_connections(&self.engine, providers.url()).await)
    }

    /// Stops forwarding events and waits (briefly) for the engine's background work.
    pub(crate) async fn shutdown(&self) {
        self.bridge.stop();
        self.watcher.abort();
        if let Some(handle) = self.export.lock().await.take() {
            handle.shutdown().await;
        }
        if tokio::time::timeout(SHUTDOWN_GRACE, self.engine.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("renewals still running after {SHUTDOWN_GRACE:?}; quitting anyway");
        }
        if let Some(providers) = self.demo.lock().await.take() {
            providers.stop();
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
