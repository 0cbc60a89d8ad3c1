//! The detail view of one connection: what its token says about itself (decoded JWT header
//! and claims, scopes; never the token or its signature), its refresh history, the hand-outs
//! from the audit log, and where its secrets live.

use serde::Serialize;
use specta::Type;
use tauri::State;
use tokentray_engine::{self as engine, AuditEntry, HistoryEntry, Timestamp};

use crate::dto::Connection;
use crate::ipc_error::IpcError;
use crate::state::AppState;

/// How many hand-outs the detail view lists.
const AUDIT_SHOWN: usize = 50;

/// A decoded JWT, pretty-printed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type)]
pub(crate) struct JwtParts {
    pub(crate) header: String,
    pub(crate) claims: String,
}

/// Everything the detail view shows.
#[derive(Clone, Debug, PartialEq, Serialize, Type)]
pub(crate) struct Detail {
    pub(crate) connection: Connection,
    pub(crate) jwt: Option<JwtParts>,
    pub(crate) token_type: Option<String>,
    pub(crate) scopes: Vec<String>,
    /// Oldest first.
    pub(crate) history: Vec<HistoryEntry>,
    /// Oldest first.
    pub(crate) audit: Vec<AuditEntry>,
    /// The local export endpoint's base URL, when it runs.
    pub(crate) endpoint_url: Option<String>,
    /// The default port, when another program holds it and the endpoint listens elsewhere.
    pub(crate) endpoint_default_taken: Option<u16>,
    /// The names of the secrets stored (never their values).
    pub(crate) stored_secrets: Vec<String>,
    /// When the next background renewal is due.
    pub(crate) next_renewal: Option<Timestamp>,
}

fn pretty(map: &serde_json::Map<String, serde_json::Value>) -> String {
    serde_json::to_string_pretty(map).unwrap_or_default()
}

/// The detail of `name`. A token that cannot be read (a locked keychain) leaves the token
/// parts empty rather than failing the whole view.
#[tauri::command]
#[specta::specta]
pub(crate) async fn connection_detail(
    state: State<'_, AppState>,
    name: String,
) -> Result<Detail, IpcError> {
    let engine = &state.engine;
    let connection = Connection::live(engine.view(&name)?, engine);
    let token = engine.token_detail(&name).await.unwrap_or_else(|error| {
        tracing::debug!(%error, "no token detail");
        None
    });
    let stored = engine.stored_secret_fields(&name).await.unwrap_or_default();
    let mine: Vec<_> = engine
        .audit(engine::AUDIT_KEEP)
        .into_iter()
        .filter(|e| e.connection.as_str() == name)
        .collect();
    let audit = mine[mine.len().saturating_sub(AUDIT_SHOWN)..].to_vec();
    Ok(Detail {
        jwt: token.as_ref().and_then(|t| {
            Some(JwtParts {
                header: t.jwt_header.as_ref().map(pretty).unwrap_or_default(),
                claims: pretty(t.jwt_claims.as_ref()?),
            })
        }),
        token_type: token.as_ref().map(|t| t.token_type.clone()),
        scopes: token.map(|t| t.scopes).unwrap_or_default(),
        history: engine.history(&name)?,
        audit,
        endpoint_url: state.endpoint_url().await,
        endpoint_default_taken: state.endpoint_default_taken().await,
        stored_secrets: stored.into_iter().filter(|f| f != "tokens").collect(),
        next_renewal: engine.next_renewal(&name).await,
        connection,
    })
}
