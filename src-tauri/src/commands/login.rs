//! Interactive logins from the window: start one (the engine opens the browser, listens on
//! loopback or waits for a deep link, or polls a device code), paste a code, cancel. The app
//! waits for the end itself and reports it with `LoginUpdate`.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, State};
use tauri_specta::Event as _;
use tokentray_engine::{
    self as engine, ErrorCode, LoginPrompt, RedirectMode, Timestamp, connection_name,
};

use crate::dto::Connection;
use crate::events::{LoginPhase, LoginUpdate};
use crate::ipc_error::IpcError;
use crate::state::AppState;

/// What the person chose for this login.
#[derive(Clone, Deserialize, Type)]
pub(crate) struct LoginOptions {
    /// `None` uses the connection's own setting.
    pub(crate) redirect: Option<RedirectMode>,
    /// A one-time code for services with 2FA; used once, never stored.
    pub(crate) totp: Option<String>,
}

impl std::fmt::Debug for LoginOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginOptions")
            .field("redirect", &self.redirect)
            .field("totp", &self.totp.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// What the login dialog shows next.
#[derive(Clone, Debug, PartialEq, Serialize, Type)]
#[allow(
    clippy::large_enum_variant,
    reason = "made once per login and serialised at once"
)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum LoginStep {
    /// Logged in without a person.
    Done { connection: Box<Connection> },
    /// Sign in in the browser; the redirect comes back by `mode`.
    Browser {
        url: String,
        redirect_uri: String,
        mode: RedirectMode,
        /// Whether a browser was opened (else show the URL prominently).
        browser_opened: bool,
    },
    /// Enter `user_code` at `verification_uri`; the app polls meanwhile.
    Device {
        user_code: String,
        verification_uri: String,
        verification_uri_complete: Option<String>,
        expires_at: Timestamp,
        /// A QR code of the verification URL, as a `data:` URL for an `<img>`.
        qr_svg: String,
    },
}

/// The verification URL as a QR code image (`data:image/svg+xml;base64,…`).
pub(crate) fn qr_data_url(text: &str) -> String {
    let svg = qrcode::QrCode::new(text.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(180, 180)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default();
    format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    )
}

/// Starts a login. Browser and device logins return at once with what to show; the app
/// waits for their end and sends `LoginUpdate`.
#[tauri::command]
#[specta::specta]
pub(crate) async fn start_login(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    options: LoginOptions,
) -> Result<LoginStep, IpcError> {
    let request = engine::LoginRequest {
        redirect: options.redirect,
        totp: options
            .totp
            .filter(|t| !t.trim().is_empty())
            .map(|t| engine::Secret::new(t.trim().to_owned())),
        open_browser: true,
    };
    let waiting = match state
        .engine
        .logins()
        .start(&connection_name(&name)?, request)
        .await?
    {
        engine::LoginStep::Done(view) => {
            return Ok(LoginStep::Done {
                connection: Box::new(Connection::live(view, &state.engine)),
            });
        }
        engine::LoginStep::Waiting(start) => start,
    };
    spawn_wait(app, state.engine.clone(), name);
    Ok(match waiting.prompt {
        LoginPrompt::Browser {
            url,
            redirect_uri,
            mode,
        } => LoginStep::Browser {
            browser_opened: waiting.browser_opened,
            url,
            redirect_uri,
            mode,
        },
        LoginPrompt::Device {
            user_code,
            verification_uri,
            verification_uri_complete,
            expires_at,
        } => LoginStep::Device {
            qr_svg: qr_data_url(
                verification_uri_complete
                    .as_deref()
                    .unwrap_or(&verification_uri),
            ),
            user_code,
            verification_uri,
            verification_uri_complete,
            expires_at,
        },
    })
}

/// Waits for the login of `name` to end and reports how it ended.
fn spawn_wait(app: AppHandle, engine: engine::Engine, name: String) {
    tauri::async_runtime::spawn(async move {
        let finished = match connection_name(&name) {
            Ok(connection) => engine.logins().finish(&connection).await,
            Err(e) => Err(e),
        };
        let update = match finished {
            Ok(view) => {
                if let Some(message) = identity_change(&view) {
                    crate::events::notice(&app, crate::events::Level::Warning, message);
                }
                LoginUpdate {
                    name,
                    phase: LoginPhase::Done,
                    message: None,
                    code: None,
                    remedy: None,
                    connection: Some(Connection::live(view, &engine)),
                }
            }
            Err(error) => {
                let cancelled = error.code() == ErrorCode::Cancelled;
                LoginUpdate {
                    name,
                    phase: if cancelled {
                        LoginPhase::Cancelled
                    } else {
                        LoginPhase::Failed
                    },
                    message: Some(error.to_string()),
                    code: Some(error.code()),
                    remedy: error.remedy(),
                    connection: None,
                }
            }
        };
        if let Err(error) = update.emit(&app) {
            tracing::warn!(%error, "could not tell the UI how a login ended");
        }
    });
}

/// What the app says when a login signed in as another account than before.
pub(crate) fn identity_change(view: &engine::ConnectionView) -> Option<String> {
    match (&view.identity, &view.previous_identity) {
        (Some(now), Some(was)) => {
            Some(format!("{}: now signed in as {now}, was {was}", view.label))
        }
        _ => None,
    }
}

/// Marks the change of account after a login of `name` as seen, so the list stops showing it.
#[tauri::command]
#[specta::specta]
pub(crate) async fn acknowledge_identity(
    state: State<'_, AppState>,
    name: String,
) -> Result<Connection, IpcError> {
    let view = state
        .engine
        .logins()
        .acknowledge_identity(&connection_name(&name)?)
        .await?;
    Ok(Connection::live(view, &state.engine))
}

/// Hands a pasted code, or the whole redirected URL, to the waiting login.
#[tauri::command]
#[specta::specta]
pub(crate) async fn paste_login(
    state: State<'_, AppState>,
    name: String,
    text: String,
) -> Result<(), IpcError> {
    Ok(state
        .engine
        .logins()
        .paste(&connection_name(&name)?, &text)
        .await?)
}

/// Cancels the waiting login of `name` (nothing happens when none waits).
#[tauri::command]
#[specta::specta]
pub(crate) fn cancel_login(state: State<'_, AppState>, name: String) {
    if let Ok(name) = connection_name(&name) {
        state.engine.logins().cancel(&name);
    }
}

/// Opens an http(s) URL in the person's browser (a login page again, a service's docs). A
/// waiting login's page goes through its owner-only forwarding page, like the first time.
#[tauri::command]
#[specta::specta]
pub(crate) fn open_url(state: State<'_, AppState>, url: String) -> Result<(), IpcError> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(IpcError::new(
            ErrorCode::InvalidInput,
            "only http and https URLs are opened",
        ));
    }
    state
        .engine
        .logins()
        .open_url(&url)
        .map_err(|why| IpcError::new(ErrorCode::InvalidInput, why))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_an_svg_data_url() {
        let url = qr_data_url("http://127.0.0.1:8080/device?user_code=ABCD-EFGH");
        let body = url.strip_prefix("data:image/svg+xml;base64,").unwrap();
        let svg = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
    }

    #[test]
    fn a_change_of_account_is_announced_with_both_accounts() {
        let mut view = crate::dto::tests::active_view("work");
        assert_eq!(identity_change(&view), None);
        view.previous_identity = Some(engine::Identity::subject("grace"));
        assert_eq!(
            identity_change(&view).as_deref(),
            Some("Work API: now signed in as ada, was grace")
        );
    }

    #[test]
    fn a_one_time_code_never_shows_in_debug_output() {
        let options = LoginOptions {
            redirect: Some(RedirectMode::Oob),
            totp: Some("424242".into()),
        };
        assert!(!format!("{options:?}").contains("424242"));
    }
}
