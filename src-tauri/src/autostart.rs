//! Start at login, through the autostart plugin (an XDG autostart entry on Linux).

use tauri::AppHandle;
use tauri_plugin_autostart::ManagerExt;

/// Turns start-at-login on or off; a no-op when it already is.
pub(crate) fn apply(app: &AppHandle, enabled: bool) -> Result<(), String> {
    let launcher = app.autolaunch();
    let now = launcher.is_enabled().unwrap_or(false);
    let result = match (enabled, now) {
        (true, false) => launcher.enable(),
        (false, true) => launcher.disable(),
        _ => Ok(()),
    };
    result.map_err(|e| format!("could not change start at login ({e})"))
}
