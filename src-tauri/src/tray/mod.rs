//! The tray: what it shows ([`model`]), and the backend that shows it — on Linux our own
//! `StatusNotifierItem` with its `dbusmenu` ([`linux`]), elsewhere Tauri's tray ([`native`]).
//! The tray is made complete (every connection, the right icon, status and tooltip) once the
//! first screen is painted, and follows every engine event and every change of the files by
//! another process at once: no timer.

#[cfg(target_os = "linux")]
mod linux;
mod model;
#[cfg(not(target_os = "linux"))]
mod native;

use tauri::{AppHandle, Manager};
use tokentray_engine::Engine;

use crate::events::{Level, Navigate, notice};
use crate::state::AppState;
use crate::window;

#[cfg(target_os = "linux")]
use linux as backend;
use model::{COPY, LOGIN, OPEN, QUIT, REFRESH, REFRESH_ALL};
#[cfg(not(target_os = "linux"))]
use native as backend;

/// Makes the tray, complete, for the connections the engine lists now. Where the desktop has
/// no tray (bare X servers, some GNOME setups) the item is made all the same and shows once a
/// panel appears; the window says that no tray is available meanwhile.
pub(crate) fn start(app: &AppHandle) {
    let views = app
        .try_state::<AppState>()
        .and_then(|state| state.engine.list().ok())
        .unwrap_or_default();
    backend::start(app, model::model(&views));
}

/// Brings the tray in step with the connections; called on every engine event and every change
/// of the files by another process. Before the tray exists, nothing: it is made complete.
pub(crate) fn update(app: &AppHandle, engine: &Engine) {
    let views = engine.list().unwrap_or_default();
    backend::show(app, model::model(&views));
}

/// Carries out the menu item `id` (see [`model`]'s constants), clicked in whichever backend.
fn act(app: &AppHandle, id: &str) {
    match id {
        OPEN => window::show_main(app),
        QUIT => app.exit(0),
        REFRESH_ALL => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let Some(state) = app.try_state::<AppState>() else {
                    return;
                };
                match state.engine.refresh_all().await {
                    Ok(failed) => {
                        for (name, error) in failed {
                            tracing::info!(connection = %name, %error, "refresh all: one failed");
                        }
                    }
                    Err(error) => tracing::warn!(%error, "refresh all: no connection list"),
                }
            });
        }
        _ => {
            if let Some((action, name)) = id.split_once(':') {
                on_connection_action(app, action, name.to_owned());
            }
        }
    }
}

fn on_connection_action(app: &AppHandle, action: &str, name: String) {
    match action {
        LOGIN => {
            // Logins may need the person (a browser, a one-time code): the window leads it.
            window::show_main(app);
            if let Err(error) = tauri_specta::Event::emit(&Navigate { name, login: true }, app) {
                tracing::warn!(%error, "could not ask the window to log in");
            }
        }
        COPY | REFRESH => {
            let (app, action) = (app.clone(), action.to_owned());
            tauri::async_runtime::spawn(async move {
                let Some(state) = app.try_state::<AppState>() else {
                    return;
                };
                let result = if action == COPY {
                    crate::clipboard::copy(&app, &state, &name, crate::clipboard::CopyFormat::Token)
                        .await
                        .map(|_| format!("Copied the token of {name}."))
                } else {
                    state
                        .engine
                        .refresh_now(&name)
                        .await
                        .map(|_| format!("Refreshed {name}."))
                        .map_err(Into::into)
                };
                match result {
                    Ok(message) => notice(&app, Level::Info, message),
                    Err(error) => notice(&app, Level::Error, error.message),
                }
            });
        }
        _ => {}
    }
}
