//! The detail view of one connection: what its token says about itself (decoded JWT header
//! and claims, scopes; never the token or its signature), its refresh history, the hand-outs
//! from the audit log, and where its secrets live.

use serde::Serialize;
use specta::Type;
use tauri::State;
use tokentray_engine::connection_name;
use tokentray_engine::{self as engine, HistoryOutcome};

use crate::dto::{Connection, millis};
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

/// One renewal, login, failure or logout.
#[derive(Clone, Debug, PartialEq, Serialize, Type)]
pub(crate) struct HistoryEntry {
    pub(crate) at: f64,
    pub(crate) outcome: Outcome,
    pub(crate) message: Option<String>,
}

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Outcome {
    Renewed,
    Failed,
    LoggedOut,
}

/// One hand-out of the token.
#[derive(Clone, Debug, PartialEq, Serialize, Type)]
pub(crate) struct AuditRecord {
    pub(crate) at: f64,
    /// The route or command that asked.
    pub(crate) route: String,
    pub(crate) client: Option<String>,
    pub(crate) process: Option<String>,
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
    pub(crate) audit: Vec<AuditRecord>,
    /// The local export endpoint's base URL, when it runs.
    pub(crate) endpoint_url: Option<String>,
    /// The default port, when another program holds it and the endpoint listens elsewhere.
    pub(crate) endpoint_default_taken: Option<u16>,
    /// The names of the secrets stored (never their values).
    pub(crate) stored_secrets: Vec<String>,
    /// When the next background renewal is due.
    pub(crate) next_renewal: Option<f64>,
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
    let connection = Connection::live(engine.view(&connection_name(&name)?)?, engine);
    let token = engine
        .inspect()
        .token_detail(&connection_name(&name)?)
        .await
        .unwrap_or_else(|error| {
            tracing::debug!(%error, "no token detail");
            None
        });
    let stored = engine
        .inspect()
        .stored_secret_fields(&connection_name(&name)?)
        .await
        .unwrap_or_default();
    let mine: Vec<_> = engine
        .audit(engine::AUDIT_KEEP)
        .into_iter()
        .filter(|e| e.connection.as_str() == name)
        .collect();
    let audit = mine[mine.len().saturating_sub(AUDIT_SHOWN)..]
        .iter()
        .cloned()
        .map(|e| AuditRecord {
            at: millis(e.at),
            route: e.via,
            client: e.client,
            process: e.process,
        })
        .collect();
    Ok(Detail {
        jwt: token.as_ref().and_then(|t| {
            Some(JwtParts {
                header: t.jwt_header.as_ref().map(pretty).unwrap_or_default(),
                claims: pretty(t.jwt_claims.as_ref()?),
            })
        }),
        token_type: token.as_ref().map(|t| t.token_type.clone()),
        scopes: token.map(|t| t.scopes).unwrap_or_default(),
        history: engine
            .inspect()
            .history(&connection_name(&name)?)?
            .into_iter()
            .map(|h| HistoryEntry {
                at: millis(h.at),
                outcome: match h.outcome {
                    HistoryOutcome::Renewed => Outcome::Renewed,
                    HistoryOutcome::Failed => Outcome::Failed,
                    HistoryOutcome::LoggedOut => Outcome::LoggedOut,
                },
                message: h.message,
            })
            .collect(),
        audit,
        endpoint_url: state.endpoint_url().await,
        endpoint_default_taken: state.endpoint_default_taken().await,
        stored_secrets: stored.into_iter().filter(|f| f != "tokens").collect(),
        next_renewal: engine
            .next_renewal(&connection_name(&name)?)
            .await
            .map(millis),
        connection,
    })
}
