//! Handing a token to the person: copy it (or its whole header) to the clipboard, which the
//! app clears again after a while, or reveal it on an explicit click. These are the only
//! ways a token reaches the webview or the clipboard, and each is written to the audit log.

use tauri::{AppHandle, State};

use crate::clipboard::{CopyFormat, CopyOutcome, copy};
use crate::ipc_error::IpcError;
use crate::state::AppState;

/// Copies a fresh token of `name` to the clipboard.
#[tauri::command]
#[specta::specta]
pub(crate) async fn copy_token(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    format: CopyFormat,
) -> Result<CopyOutcome, IpcError> {
    copy(&app, &state, &name, format).await
}

/// Shows a fresh token of `name` in the window, on the person's explicit request.
#[tauri::command]
#[specta::specta]
pub(crate) async fn reveal_token(
    state: State<'_, AppState>,
    name: String,
) -> Result<String, IpcError> {
    let handout = state.engine.token(&name, None).await?;
    state
        .engine
        .record_handout(&handout.connection, "desktop: reveal", None, None);
    Ok(handout.token.expose().to_owned())
}
