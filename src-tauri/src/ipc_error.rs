//! The error every command returns: a stable code the UI branches on, and a sentence it may
//! show. The UI never parses the message.

use serde::Serialize;
use specta::Type;
use tokentray_engine as engine;

/// A command's failure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type)]
pub(crate) struct IpcError {
    pub(crate) code: ErrorCode,
    /// What went wrong and what to do about it, for people.
    pub(crate) message: String,
    /// Problems with single fields of a form (empty when the error is not about fields).
    pub(crate) fields: Vec<FieldProblem>,
}

/// A problem with one field of a form; `field` is `name` for the connection's name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type)]
pub(crate) struct FieldProblem {
    pub(crate) field: String,
    /// What is wrong, in plain words.
    pub(crate) message: String,
}

impl From<engine::FieldError> for FieldProblem {
    fn from(error: engine::FieldError) -> Self {
        Self {
            field: error.field,
            message: error.reason,
        }
    }
}

impl IpcError {
    /// An error the app itself raises (not the engine's).
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }
}

/// The engine's error codes, mirrored for the generated bindings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ErrorCode {
    InvalidInput,
    UnknownConnection,
    AlreadyExists,
    NeedsLogin,
    ProviderError,
    InvalidConfig,
    StorageUnavailable,
    Forbidden,
    Cancelled,
    Internal,
}

impl From<engine::ErrorCode> for ErrorCode {
    fn from(code: engine::ErrorCode) -> Self {
        use engine::ErrorCode as C;
        match code {
            C::InvalidInput => Self::InvalidInput,
            C::UnknownConnection => Self::UnknownConnection,
            C::AlreadyExists => Self::AlreadyExists,
            C::NeedsLogin => Self::NeedsLogin,
            C::ProviderError => Self::ProviderError,
            C::InvalidConfig => Self::InvalidConfig,
            C::StorageUnavailable => Self::StorageUnavailable,
            C::Forbidden => Self::Forbidden,
            C::Cancelled => Self::Cancelled,
            C::Internal => Self::Internal,
        }
    }
}

impl From<engine::Error> for IpcError {
    fn from(error: engine::Error) -> Self {
        let code = error.code().into();
        let message = error.to_string();
        let fields = match error {
            engine::Error::InvalidFields { errors } => {
                errors.into_iter().map(FieldProblem::from).collect()
            }
            _ => Vec::new(),
        };
        Self {
            code,
            message,
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
        assert_eq!(
            json["code"], "unknown_connection",
            "codes use the engine's names"
        );
        assert!(ipc.fields.is_empty());
    }

    #[test]
    fn field_errors_reach_the_form_one_by_one() {
        let kind = engine::ProviderKind::Oauth2;
        let home = tempfile::tempdir().unwrap();
        let engine = engine::Engine::new(engine::EngineOptions::new(
            engine::Paths::under(home.path()),
            std::sync::Arc::new(engine::testing::MemorySecretStore::new()),
        ));
        let error = tauri::async_runtime::block_on(engine.manage().add(
            &tokentray_engine::testing::conn("api"),
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
    }

    #[test]
    fn every_code_keeps_the_engine_wire_name() {
        let codes = [
            engine::ErrorCode::InvalidInput,
            engine::ErrorCode::UnknownConnection,
            engine::ErrorCode::AlreadyExists,
            engine::ErrorCode::NeedsLogin,
            engine::ErrorCode::ProviderError,
            engine::ErrorCode::InvalidConfig,
            engine::ErrorCode::StorageUnavailable,
            engine::ErrorCode::Forbidden,
            engine::ErrorCode::Cancelled,
            engine::ErrorCode::Internal,
        ];
        for code in codes {
            let ours = serde_json::to_value(ErrorCode::from(code)).unwrap();
            assert_eq!(ours, code.as_str());
        }
    }
}
