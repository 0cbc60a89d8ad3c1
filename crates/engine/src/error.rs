//! The engine's error type and the stable codes front ends branch on.

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;
use crate::connection::{ConnectionName, FieldError, InvalidName, UnknownKind};
use crate::ports::StoreError;
use crate::provider::{FailureClass, ProviderError};

/// A stable, machine-readable error code. Front ends switch on this, never on messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The input (a name, a field, a flag) is not valid.
    InvalidInput,
    /// No connection has that name.
    UnknownConnection,
    /// A connection with that name exists already.
    AlreadyExists,
    /// Only a person can fix it: log in again.
    NeedsLogin,
    /// The provider or the network failed.
    ProviderError,
    /// The connection's settings are wrong.
    InvalidConfig,
    /// The secret store cannot be used.
    StorageUnavailable,
    /// The action is not allowed for this connection.
    Forbidden,
    /// Anything else.
    Internal,
}

impl ErrorCode {
    /// The code as a string (`needs_login`…).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "invalid_input",
            Self::UnknownConnection => "unknown_connection",
            Self::AlreadyExists => "already_exists",
            Self::NeedsLogin => "needs_login",
            Self::ProviderError => "provider_error",
            Self::InvalidConfig => "invalid_config",
            Self::StorageUnavailable => "storage_unavailable",
            Self::Forbidden => "forbidden",
            Self::Internal => "internal",
        }
    }
}

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No connection has that name.
    #[error("no connection named {name:?}; run `tokentray list` to see the connections")]
    UnknownConnection {
        /// The name asked for.
        name: String,
    },
    /// The name is taken.
    #[error(
        "a connection named {name} exists already; choose another name or `tokentray edit {name}`"
    )]
    AlreadyExists {
        /// The name.
        name: ConnectionName,
    },
    /// The name is not a valid slug.
    #[error(transparent)]
    InvalidName(#[from] InvalidName),
    /// The kind is unknown.
    #[error(transparent)]
    InvalidKind(#[from] UnknownKind),
    /// Some fields are wrong.
    #[error("{}", fields_message(.errors))]
    InvalidFields {
        /// Every problem found.
        errors: Vec<FieldError>,
    },
    /// A needed secret is not stored.
    #[error("{connection} has no {field} stored; set it with `tokentray edit {connection} --{}`", .field.replace('_', "-"))]
    MissingSecret {
        /// The connection.
        connection: ConnectionName,
        /// The secret field.
        field: String,
    },
    /// Only a person can fix this.
    #[error("{connection} needs a login: {reason}; run `tokentray login {connection}`")]
    NeedsLogin {
        /// The connection.
        connection: ConnectionName,
        /// Why, in words.
        reason: String,
    },
    /// The provider failed.
    #[error("could not get a token for {connection}: {source}")]
    Provider {
        /// The connection.
        connection: ConnectionName,
        /// What failed.
        #[source]
        source: ProviderError,
    },
    /// The secret store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The config file failed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The connection may not be handed out.
    #[error(
        "{connection} is not exportable (export = false); enable it with `tokentray edit {connection} --export true`"
    )]
    NotExportable {
        /// The connection.
        connection: ConnectionName,
    },
    /// A local file (state, locks) could not be used.
    #[error("could not {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The engine is shutting down.
    #[error("Tokentray is shutting down")]
    ShuttingDown,
}

fn fields_message(errors: &[FieldError]) -> String {
    let parts: Vec<String> = errors.iter().map(ToString::to_string).collect();
    format!("invalid settings: {}", parts.join("; "))
}

impl Error {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::UnknownConnection { .. } => ErrorCode::UnknownConnection,
            Self::AlreadyExists { .. } => ErrorCode::AlreadyExists,
            Self::InvalidName(_) | Self::InvalidKind(_) | Self::InvalidFields { .. } => {
                ErrorCode::InvalidInput
            }
            Self::MissingSecret { .. } | Self::NeedsLogin { .. } => ErrorCode::NeedsLogin,
            Self::Provider { source, .. } => match source.class() {
                FailureClass::Transient => ErrorCode::ProviderError,
                FailureClass::NeedsLogin => ErrorCode::NeedsLogin,
                FailureClass::Config => ErrorCode::InvalidConfig,
            },
            Self::Store(_) => ErrorCode::StorageUnavailable,
            Self::Config(_) => ErrorCode::InvalidConfig,
            Self::NotExportable { .. } => ErrorCode::Forbidden,
            Self::Io { .. } | Self::ShuttingDown => ErrorCode::Internal,
        }
    }

    pub(crate) fn unknown(name: &str) -> Self {
        Self::UnknownConnection {
            name: name.chars().take(64).collect(),
        }
    }
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
