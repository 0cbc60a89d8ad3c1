//! The launch: the first list handed to the page before its scripts run, and what the first
//! screen does not need (background refresh, the export endpoint, the tray) held back until
//! that screen is painted. Where the time goes is `timing`'s.

use std::sync::Once;
use std::time::Duration;

use tauri::{AppHandle, Manager};
use tokentray_engine::{Engine, EngineOptions, Paths};

use crate::dto::Connection;
use crate::state::AppState;
use crate::timing::mark;

/// Where the page finds the first list (read once by `takeFirstList` in ui/src/ipc/client.ts).
const FIRST_LIST: &str = "__TOKENTRAY_FIRST_LIST__";

/// How long the work held back for the first screen waits at most: a window that is not shown
/// paints nothing, and a page that fails to load never says it painted.
const FIRST_SCREEN_AT_MOST: Duration = Duration::from_secs(3);

/// Starts what waits for the first screen once it is painted, or after
/// [`FIRST_SCREEN_AT_MOST`] at the latest. Call from `setup`.
pub(crate) fn hold_back_until_first_screen(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(FIRST_SCREEN_AT_MOST).await;
        first_screen_shown(&app);
    });
}

/// The first screen is painted: start, once, the background work (refresh, the endpoint) and
/// the tray, which the launch does not need.
pub(crate) fn first_screen_shown(app: &AppHandle) {
    static STARTED: Once = Once::new();
    STARTED.call_once(|| {
        mark("starting the background work");
        if let Some(state) = app.try_state::<AppState>() {
            state.start_background();
        }
        crate::tray::start(app);
        mark("tray started");
    });
}

/// A plugin that hands the page the connection list as the files hold it at launch, before
/// the page's own scripts run: the first screen is the list, painted in the first frame, with
/// no command to wait for. The page asks for the list right after (the engine's answer and
/// its events replace it). Without readable files, nothing: the page asks and shows why.
pub(crate) fn first_list_plugin<R: tauri::Runtime>() -> tauri::plugin::TauriPlugin<R> {
    let builder = tauri::plugin::Builder::new("first-list");
    let script = Paths::from_env().and_then(|paths| {
        // Only the two files are read: the secret store is never asked for the list.
        let store =
            tokentray_keychain::open_store(&paths, &tokentray_engine::AppSettings::default());
        first_list_script(&Engine::new(EngineOptions::new(paths, store)))
    });
    mark("first list read");
    match script {
        Some(script) => builder.js_init_script(script),
        None => builder,
    }
    .build()
}

/// The script that sets the first list: the rows `list_connections` returns (names, kinds,
/// labels, status, expiry, identity; never a token or another secret), from the configuration
/// and the non-secret state file.
pub(crate) fn first_list_script(engine: &Engine) -> Option<String> {
    let rows: Vec<Connection> = engine
        .list()
        .ok()?
        .into_iter()
        .map(|view| Connection::live(view, engine))
        .collect();
    let json = serde_json::to_string(&rows).ok()?;
    Some(format!("window.{FIRST_LIST} = {json};"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first list reaches the page without a secret: the script holds names, labels and
    /// status, never the token, and the file it comes from (the state) is owner-only and
    /// holds no secret either.
    #[cfg(unix)]
    #[test]
    fn the_first_list_holds_no_secret_and_its_file_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        use std::sync::Arc;

        use tokentray_engine::{Credentials, ProviderKind, Secret, testing::MemorySecretStore};

        let home = tempfile::tempdir().unwrap();
        let paths = Paths::under(home.path());
        let engine = Engine::new(EngineOptions::new(
            paths.clone(),
            Arc::new(MemorySecretStore::new()),
        ));
        let canary = "canary-first-list-9d3f1a";
        let mut secrets = Credentials::new();
        secrets.set("token", Secret::new(canary));
        let fields = [("label".to_owned(), "Nightly export".to_owned())];
        tauri::async_runtime::block_on(engine.add(
            "nightly",
            ProviderKind::Static,
            &fields,
            secrets,
        ))
        .unwrap();
        // A token handed out, so that the state file has something to say about it.
        tauri::async_runtime::block_on(engine.token("nightly", None)).unwrap();

        let script = first_list_script(&engine).unwrap();
        assert!(
            script.starts_with(&format!("window.{FIRST_LIST} = [")),
            "{script}"
        );
        assert!(script.contains("\"nightly\"") && script.contains("Nightly export"));
        assert!(!script.contains(canary), "a token is in the first list");

        let state = paths.state_file();
        let text = std::fs::read_to_string(&state).unwrap();
        assert!(text.contains("nightly") && !text.contains(canary), "{text}");
        let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the state file is owner-only");
    }
}
