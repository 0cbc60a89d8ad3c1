//! The main window: bring it forward, and hide it instead of closing it so that Tokentray
//! keeps refreshing tokens in the background. Quitting is the tray's job.

use tauri::{AppHandle, Manager, Window, WindowEvent};

/// The label of the one window, as declared in `tauri.conf.json`.
pub(crate) const MAIN: &str = "main";

/// Shows, restores and focuses the main window.
pub(crate) fn show_main(app: &AppHandle) {
    let Some(window) = app.get_webview_window(MAIN) else {
        tracing::warn!("the main window is gone");
        return;
    };
    let shown = window
        .unminimize()
        .and_then(|()| window.show())
        .and_then(|()| window.set_focus());
    if let Err(error) = shown {
        tracing::warn!(%error, "could not bring the main window forward");
    }
}

/// Turns "close" on the main window into "hide".
pub(crate) fn on_event(window: &Window, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event
        && window.label() == MAIN
    {
        api.prevent_close();
        if let Err(error) = window.hide() {
            tracing::warn!(%error, "could not hide the main window");
        }
    }
}
