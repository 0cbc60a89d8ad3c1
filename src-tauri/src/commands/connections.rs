//! Commands about the list of connections.

use tauri::State;

use crate::dto::Connection;
use crate::ipc_error::IpcError;
use crate::state::AppState;

/// Every configured connection with its status, identity and expiry; never a secret.
#[tauri::command]
#[specta::specta]
pub(crate) async fn list_connections(
    state: State<'_, AppState>,
) -> Result<Vec<Connection>, IpcError> {
    Ok(state
        .engine
        .list()?
        .into_iter()
        .map(Connection::from)
        .collect())
}
