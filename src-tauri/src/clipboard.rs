//! Copying tokens to the clipboard, and clearing them again after the delay the person chose
//! (60 s by default) unless something else was copied meanwhile. Only a digest of what was
//! copied is kept for that comparison, never the token.
//!
//! A copied token is marked as a secret for clipboard managers, so that those that honour the
//! mark keep it out of their history: on X11 and Wayland an extra
//! `x-kde-passwordManagerHint: secret` target (KDE's Klipper and others), on macOS the
//! nspasteboard.org `org.nspasteboard.ConcealedType`, on Windows the
//! `ExcludeClipboardContentFromMonitorProcessing` format (arboard's `exclude_from_history`).

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use specta::Type;
use tauri::AppHandle;
use tauri_plugin_clipboard_manager::ClipboardExt;
use tokentray_engine::{ErrorCode, Secret, Timestamp};

use crate::ipc_error::IpcError;
use crate::state::AppState;

/// What the app copied last: a digest, and a number that later copies bump so that an old
/// clear task does nothing.
pub(crate) struct ClipboardGuard {
    last: Mutex<(u64, Option<[u8; 32]>)>,
}

/// The app's one clipboard guard.
pub(crate) static CLIPBOARD: ClipboardGuard = ClipboardGuard {
    last: Mutex::new((0, None)),
};

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

impl ClipboardGuard {
    /// Puts `value` on the clipboard and, when `clear_after` is set, schedules clearing it.
    pub(crate) fn copy(
        &'static self,
        app: &AppHandle,
        value: &Secret,
        clear_after: Option<Duration>,
    ) -> Result<(), String> {
        write_secret(value).map_err(|e| format!("could not use the clipboard ({e})"))?;
        let generation = {
            let mut last = self.last.lock().expect("clipboard lock");
            last.0 += 1;
            last.1 = Some(digest(value.expose()));
            last.0
        };
        if let Some(delay) = clear_after {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                tokio::time::sleep(delay).await;
                self.clear_if_unchanged(&app, generation);
            });
        }
        Ok(())
    }

    /// Clears the clipboard if it still holds what copy number `generation` put there.
    ///
    /// (Reading and clearing go through the clipboard plugin, which keeps arboard's clipboard
    /// for the app's lifetime; that is also what keeps serving the copy made below.)
    fn clear_if_unchanged(&self, app: &AppHandle, generation: u64) {
        let expected = {
            let last = self.last.lock().expect("clipboard lock");
            if last.0 != generation {
                return;
            }
            last.1
        };
        let current = app.clipboard().read_text().ok().map(|t| digest(&t));
        if current.is_some() && current == expected {
            if let Err(error) = app.clipboard().clear() {
                tracing::warn!(%error, "could not clear the clipboard");
                return;
            }
            crate::events::notice(
                app,
                crate::events::Level::Info,
                "Cleared the copied token from the clipboard.",
            );
        }
        self.last.lock().expect("clipboard lock").1 = None;
    }
}

/// Puts `value` on the clipboard, marked as a secret for clipboard managers. The arboard
/// clipboard made here shares the process's one clipboard connection with the plugin's, which
/// lives as long as the app, so dropping this one does not stop serving the copy.
fn write_secret(value: &Secret) -> Result<(), arboard::Error> {
    let mut clipboard = arboard::Clipboard::new()?;
    let set = clipboard.set();
    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "android", target_os = "emscripten"))
    ))]
    let set = arboard::SetExtLinux::exclude_from_history(set);
    #[cfg(target_os = "macos")]
    let set = arboard::SetExtApple::exclude_from_history(set);
    #[cfg(windows)]
    let set = arboard::SetExtWindows::exclude_from_history(set);
    set.text(value.expose())
}

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
