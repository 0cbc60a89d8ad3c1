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
        Self {
            code: error.code().into(),
            message: error.to_string(),
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
