//! Handing a token to the person: copy it (or its whole header) to the clipboard, which the
//! app clears again after a while, or reveal it on an explicit click. These are the only
//! ways a token reaches the webview or the clipboard, and each is written to the audit log.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, State};
use tokentray_engine::{ErrorCode, Timestamp};

use crate::clipboard::CLIPBOARD;
use crate::ipc_error::IpcError;
use crate::state::AppState;

/// What to copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CopyFormat {
    /// The token alone.
    Token,
    /// `Authorization: Bearer <token>` (the connection's header name and prefix).
    Header,
}

/// What a copy did.
#[derive(Clone, Debug, PartialEq, Serialize, Type)]
pub(crate) struct CopyOutcome {
    /// When the clipboard will be cleared, if it will.
    pub(crate) clears_at: Option<Timestamp>,
}

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

/// Copies a fresh token (or header) of `name`, schedules the clear, and records the hand-out.
pub(crate) async fn copy(
    app: &AppHandle,
    state: &AppState,
    name: &str,
    format: CopyFormat,
) -> Result<CopyOutcome, IpcError> {
    let handout = state.engine.token(name, None).await?;
    let value = match format {
        CopyFormat::Token => handout.token,
        CopyFormat::Header => tokentray_engine::Secret::new(format!(
            "{}: {}",
            handout.header_name,
            handout.header_value.expose()
        )),
    };
    let clear_secs = state.settings().clipboard_clear_secs;
    let clear_after = (clear_secs > 0).then(|| Duration::from_secs(clear_secs.into()));
    CLIPBOARD
        .copy(app, &value, clear_after)
        .map_err(|why| IpcError::new(ErrorCode::Internal, why))?;
    state
        .engine
        .record_handout(&handout.connection, "desktop: copy", None, None);
    let now = tokentray_engine::Clock::now(&tokentray_engine::SystemClock);
    Ok(CopyOutcome {
        clears_at: clear_after.map(|d| now.plus(d)),
    })
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
