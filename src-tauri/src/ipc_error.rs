//! The error every command returns: the engine's stable code the UI branches on, and a
//! sentence it may show. The UI never parses the message.

use serde::Serialize;
use specta::Type;
use tokentray_engine::{self as engine, ErrorCode, FieldError, Remedy};

/// A command's failure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type)]
pub(crate) struct IpcError {
    pub(crate) code: ErrorCode,
    /// What went wrong, for people (never a command to type: see `remedy`).
    pub(crate) message: String,
    /// What the person can do about it, as the engine decided; the UI words it.
    pub(crate) remedy: Option<Remedy>,
    /// Problems with single fields of a form (empty when the error is not about fields).
    pub(crate) fields: Vec<FieldError>,
}

impl IpcError {
    /// An error the app itself raises (not the engine's).
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            remedy: None,
            fields: Vec::new(),
        }
    }
}

impl From<engine::Error> for IpcError {
    fn from(error: engine::Error) -> Self {
        let code = error.code();
        let message = error.to_string();
        let remedy = error.remedy();
        let fields = match error {
            engine::Error::InvalidFields { errors } => errors,
            _ => Vec::new(),
        };
        Self {
            code,
            message,
            remedy,
            fields,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_errors_keep_their_code_and_their_sentence() {
        let error = engine::Error::UnknownConnection {
            name: "nope".into(),
        };
        let message = error.to_string();
        let ipc = IpcError::from(error);
        assert_eq!(ipc.code, ErrorCode::UnknownConnection);
        assert_eq!(ipc.message, message);
        let json = serde_json::to_value(&ipc).unwrap();
        assert_eq!(json["code"], ErrorCode::UnknownConnection.as_str());
        assert!(ipc.fields.is_empty());
        assert_eq!(ipc.remedy, Some(Remedy::ListConnections));
        assert!(
            !ipc.message.contains("tokentray "),
            "the app words the remedy itself: {}",
            ipc.message
        );
    }

    #[test]
    fn field_errors_reach_the_form_one_by_one() {
        let kind = engine::ProviderKind::Oauth2;
        let home = tempfile::tempdir().unwrap();
        let engine = engine::Engine::new(engine::EngineOptions::new(
            engine::Paths::under(home.path()),
            std::sync::Arc::new(engine::testing::MemorySecretStore::new()),
        ));
        let error = tauri::async_runtime::block_on(engine.add(
            "api",
            kind,
            &[("token_url".into(), "ftp://x".into())],
            engine::Credentials::new(),
        ))
        .unwrap_err();
        let ipc = IpcError::from(error);
        assert_eq!(ipc.code, ErrorCode::InvalidInput);
        assert!(
            ipc.fields.iter().any(|f| f.field == "token_url"),
            "{:?}",
            ipc.fields
        );
        let json = serde_json::to_value(&ipc).unwrap();
        assert!(
            json["fields"][0]["message"].is_string(),
            "a field's problem is its message: {json}"
        );
    }
}
