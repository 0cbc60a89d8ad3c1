//! App-wide commands: the secret store's health (and the explicit switch to the file store),
//! the desktop preferences, and the demo.

use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, State};
use tokentray_engine::{self as engine, ErrorCode, StoreError, StoreKind};

use crate::dto::Connection;
use crate::ipc_error::IpcError;
use crate::settings::UiSettings;
use crate::state::AppState;

/// Whether the secret store answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StoreHealth {
    Ok,
    Unavailable,
    Locked,
    Timeout,
}

/// The app's state for its banner and settings panel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type)]
pub(crate) struct AppStatus {
    /// Where secrets live now.
    pub(crate) store: StoreKind,
    /// Where exactly (the keychain's name, the file's path).
    pub(crate) store_location: String,
    pub(crate) store_health: StoreHealth,
    /// What is wrong and what to do, when the store does not answer.
    pub(crate) store_message: Option<String>,
    /// Where secrets will live after a restart, when that differs from `store`.
    pub(crate) store_after_restart: Option<StoreKind>,
    /// The local export endpoint's base URL, when it runs.
    pub(crate) endpoint_url: Option<String>,
    /// The default port, when another program holds it and the endpoint listens elsewhere.
    pub(crate) endpoint_default_taken: Option<u16>,
    /// Whether the desktop shows tray icons (on Linux: a `StatusNotifier` host runs).
    pub(crate) tray_available: bool,
    pub(crate) settings: UiSettings,
}

async fn status(state: &AppState) -> AppStatus {
    let info = state.engine.store_info();
    let (health, message) = match state.engine.probe_store().await {
        Ok(()) => (StoreHealth::Ok, None),
        Err(error) => {
            let health = match &error {
                engine::Error::Store(StoreError::Locked) => StoreHealth::Locked,
                engine::Error::Store(StoreError::Timeout { .. }) => StoreHealth::Timeout,
                _ => StoreHealth::Unavailable,
            };
            (health, Some(error.to_string()))
        }
    };
    let chosen = state
        .engine
        .config()
        .ok()
        .and_then(|c| c.app.secret_store)
        .unwrap_or(engine::StoreKind::Keychain);
    AppStatus {
        store: info.kind,
        store_location: info.location,
        store_health: health,
        store_message: message,
        store_after_restart: (chosen != info.kind).then_some(chosen),
        endpoint_url: state.endpoint_url().await,
        endpoint_default_taken: state.endpoint_default_taken().await,
        tray_available: crate::panel::host_available().await,
        settings: state.settings(),
    }
}

/// The secret store's health, the endpoint and the preferences.
#[tauri::command]
#[specta::specta]
pub(crate) async fn app_status(state: State<'_, AppState>) -> Result<AppStatus, IpcError> {
    Ok(status(&state).await)
}

/// Chooses the owner-only file store for secrets, explicitly (it is never a silent fallback).
/// It is used from the next start of Tokentray.
#[tauri::command]
#[specta::specta]
pub(crate) async fn use_file_store(state: State<'_, AppState>) -> Result<AppStatus, IpcError> {
    state.engine.set_secret_store(engine::StoreKind::File)?;
    Ok(status(&state).await)
}

/// Saves the desktop preferences (and turns start-at-login on or off).
#[tauri::command]
#[specta::specta]
pub(crate) fn save_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    settings: UiSettings,
) -> Result<UiSettings, IpcError> {
    let settings = settings.clamped();
    crate::autostart::apply(&app, settings.autostart)
        .map_err(|why| IpcError::new(ErrorCode::Internal, why))?;
    state.save_settings(&settings).map_err(|e| {
        IpcError::new(
            ErrorCode::StorageUnavailable,
            format!("could not save the settings ({e})"),
        )
    })?;
    Ok(settings)
}

/// Starts the local demo providers and adds demo connections against them.
#[tauri::command]
#[specta::specta]
pub(crate) async fn start_demo(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<Vec<Connection>, IpcError> {
    state
        .start_demo(&app)
        .await
        .map_err(|e| IpcError::new(ErrorCode::Internal, e.to_string()))?;
    let engine = &state.engine;
    Ok(engine
        .list()?
        .into_iter()
        .filter(|v| v.name.as_str().starts_with("demo-"))
        .map(|v| Connection::live(v, engine))
        .collect())
}

/// A moment of the UI's start, for the launch profile (`crate::startup`).
#[derive(Clone, Debug, PartialEq, serde::Deserialize, Type)]
pub(crate) struct UiMark {
    /// What was reached ("script started", "list painted"…).
    pub(crate) stage: String,
    /// When, in milliseconds since the Unix epoch (the page's `performance.timeOrigin` plus
    /// `performance.now()`).
    pub(crate) at: f64,
}

/// At most this many UI marks are logged per launch.
const MAX_MARKS: usize = 16;

/// The UI has painted its first screen (the connection list). Logged once, with the time since
/// the process started: the launch benchmark waits for this line. `marks` are the UI's own
/// stages, logged at debug level for the launch profile. What waited for the first screen
/// (background refresh, the endpoint, the tray) starts now.
#[tauri::command]
#[specta::specta]
pub(crate) fn ui_ready(app: AppHandle, marks: Vec<UiMark>) {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        for mark in marks.iter().take(MAX_MARKS) {
            let stage: String = mark.stage.chars().take(40).collect();
            crate::timing::mark_at(&stage, mark.at);
        }
        let since_start = crate::timing::since_start();
        tracing::info!(?since_start, "the window is ready");
    });
    crate::startup::first_screen_shown(&app);
}

/// Quits Tokentray: background renewal and the endpoint stop with it.
#[tauri::command]
#[specta::specta]
pub(crate) fn quit_app(app: AppHandle) {
    app.exit(0);
}

/// Hides the window and keeps Tokentray running; launching it again brings the window back.
#[tauri::command]
#[specta::specta]
pub(crate) fn hide_window(app: AppHandle) {
    crate::window::hide_main(&app);
}
