//! Commands about connections: the list, the wizard (check, test, add, edit), and the
//! actions on one connection (refresh, log out, remove).

use tauri::State;
use tokentray_engine::catalog::{self, KindInfo, Preset};
use tokentray_engine::{FieldError, Identity, Timestamp};

use crate::dto::Connection;
use crate::forms::{ConnectionChange, ConnectionInput, EditForm};
use crate::ipc_error::IpcError;
use crate::state::AppState;

/// Every configured connection with its status, identity and expiry; never a secret.
#[tauri::command]
#[specta::specta]
pub(crate) async fn list_connections(
    state: State<'_, AppState>,
) -> Result<Vec<Connection>, IpcError> {
    let engine = &state.engine;
    Ok(engine
        .list()?
        .into_iter()
        .map(|view| Connection::live(view, engine))
        .collect())
}

/// Every provider kind with the fields of its form.
#[tauri::command]
#[specta::specta]
pub(crate) fn list_kinds() -> Vec<KindInfo> {
    catalog::kinds()
}

/// The wizard's starting points.
#[tauri::command]
#[specta::specta]
pub(crate) fn list_presets() -> Vec<Preset> {
    catalog::presets()
}

/// Problems with a draft, field by field; writes nothing.
#[tauri::command]
#[specta::specta]
pub(crate) fn check_connection(
    state: State<'_, AppState>,
    input: ConnectionInput,
) -> Vec<FieldError> {
    state.engine.check(
        &input.name,
        input.kind,
        &input.settings(),
        &input.secret_fields(),
    )
}

/// What "Test connection" found.
#[derive(Clone, Debug, PartialEq, serde::Serialize, specta::Type)]
pub(crate) struct TestOutcome {
    /// Whether a token was obtained.
    pub(crate) ok: bool,
    /// The flow needs a person (a browser or device login): save, then log in.
    pub(crate) needs_person: bool,
    pub(crate) identity: Option<Identity>,
    pub(crate) expires_at: Option<Timestamp>,
    /// What happened, in words.
    pub(crate) message: String,
}

/// Runs a draft's flow and whoami with a throwaway token; saves nothing.
#[tauri::command]
#[specta::specta]
pub(crate) async fn test_connection(
    state: State<'_, AppState>,
    input: ConnectionInput,
    totp: Option<String>,
) -> Result<TestOutcome, IpcError> {
    let totp = totp
        .filter(|t| !t.is_empty())
        .map(tokentray_engine::Secret::new);
    let probe = state
        .engine
        .probe(input.kind, &input.settings(), input.credentials(), totp)
        .await;
    Ok(match probe {
        Ok(tokentray_engine::Probe::Worked {
            identity,
            expires_at,
        }) => TestOutcome {
            ok: true,
            needs_person: false,
            message: match &identity {
                Some(id) => format!("It works: signed in as {id}."),
                None => "It works: the service issued a token.".into(),
            },
            identity,
            expires_at,
        },
        Ok(tokentray_engine::Probe::NeedsPerson(why)) => TestOutcome {
            ok: false,
            needs_person: true,
            identity: None,
            expires_at: None,
            message: format!(
                "This connection signs in with you present ({why}). Save it, then choose Log in."
            ),
        },
        Err(error @ tokentray_engine::Error::InvalidFields { .. }) => return Err(error.into()),
        Err(error) => TestOutcome {
            ok: false,
            needs_person: false,
            identity: None,
            expires_at: None,
            message: error.to_string(),
        },
    })
}

/// Saves a new connection; its secrets go straight to the secret store.
#[tauri::command]
#[specta::specta]
pub(crate) async fn add_connection(
    state: State<'_, AppState>,
    input: ConnectionInput,
) -> Result<Connection, IpcError> {
    let view = state
        .engine
        .add(
            &input.name,
            input.kind,
            &input.settings(),
            input.credentials(),
        )
        .await?;
    // The engine's first login after adding (only for connections that need nobody), in the
    // background: the row shows the outcome (signed in, or what went wrong) as it arrives.
    let engine = state.engine.clone();
    let name = input.name.clone();
    tauri::async_runtime::spawn(async move {
        if let Some(Err(error)) = engine.first_login(&name).await {
            tracing::info!(connection = %name, %error, "the first login after adding failed");
        }
    });
    Ok(Connection::live(view, &state.engine))
}

/// A saved connection's settings and the names of its stored secrets, for the edit form.
#[tauri::command]
#[specta::specta]
pub(crate) async fn connection_form(
    state: State<'_, AppState>,
    name: String,
) -> Result<EditForm, IpcError> {
    let form = state.engine.form_values(&name)?;
    let stored = state.engine.stored_secret_fields(&name).await?;
    Ok(EditForm {
        name,
        kind: form.kind,
        values: form.values.into_iter().collect(),
        stored_secrets: stored.into_iter().filter(|f| f != "tokens").collect(),
    })
}

/// Changes a connection's settings and secrets.
#[tauri::command]
#[specta::specta]
pub(crate) async fn edit_connection(
    state: State<'_, AppState>,
    name: String,
    change: ConnectionChange,
) -> Result<Connection, IpcError> {
    let view = state.engine.edit(&name, change.into()).await?;
    Ok(Connection::live(view, &state.engine))
}

/// Removes a connection, its secrets and its tokens.
#[tauri::command]
#[specta::specta]
pub(crate) async fn remove_connection(
    state: State<'_, AppState>,
    name: String,
) -> Result<(), IpcError> {
    state.engine.cancel_login(&name);
    Ok(state.engine.remove(&name).await?)
}

/// Renews a connection's token now: a person's click in the window, so not held back by the
/// renewal limit that scripts' paths (`tokentray refresh`, the endpoint) keep.
#[tauri::command]
#[specta::specta]
pub(crate) async fn refresh_connection(
    state: State<'_, AppState>,
    name: String,
) -> Result<Connection, IpcError> {
    let view = state.engine.refresh_now(&name).await?;
    Ok(Connection::live(view, &state.engine))
}

/// Renews every connection that can renew without a person; failures show on their rows.
#[tauri::command]
#[specta::specta]
pub(crate) async fn refresh_all(state: State<'_, AppState>) -> Result<(), IpcError> {
    for (name, error) in state.engine.refresh_all().await? {
        tracing::info!(connection = %name, %error, "refresh all: one failed");
    }
    Ok(())
}

/// Forgets (and where possible revokes) a connection's tokens, keeping its settings.
#[tauri::command]
#[specta::specta]
pub(crate) async fn logout(state: State<'_, AppState>, name: String) -> Result<(), IpcError> {
    if let Some(warning) = state.engine.logout(&name).await? {
        tracing::info!(connection = %name, %warning, "logged out");
    }
    Ok(())
}
