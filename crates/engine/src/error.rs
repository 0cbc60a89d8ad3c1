//! The engine's error type and the stable codes front ends branch on.

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;
use crate::connection::{ConnectionName, FieldError, InvalidName};
use crate::fields::UnknownKind;
use crate::ports::StoreError;
use crate::provider::{FailureClass, ProviderError};
pub use crate::remedy::Remedy;

/// A stable, machine-readable error code. Front ends switch on this, never on messages.
#[cfg_attr(feature = "specta", derive(specta::Type))]
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
    /// The person cancelled.
    Cancelled,
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
            Self::Cancelled => "cancelled",
            Self::Internal => "internal",
        }
    }
}

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No connection has that name.
    #[error("no connection named {name:?}")]
    UnknownConnection {
        /// The name asked for.
        name: String,
    },
    /// The name is taken.
    #[error("a connection named {name} exists already")]
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
    #[error("{connection} has no {field} stored")]
    MissingSecret {
        /// The connection.
        connection: ConnectionName,
        /// The secret field.
        field: &'static str,
    },
    /// Only a person can fix this, in the way `remedy` says.
    #[error("{connection} {}: {reason}", remedy.need())]
    NeedsLogin {
        /// The connection.
        connection: ConnectionName,
        /// Why, in words.
        reason: String,
        /// What the person does about it (each front end words it).
        remedy: Remedy,
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
    /// A service refused the current token, which was renewed (or a renewal tried) moments
    /// ago: the renewal limit holds it back (see `Engine::token_rejected`).
    #[error(
        "the service refused the token of {connection}, which was renewed less than 30 s ago; Tokentray renews a connection at most once per 30 s: report it again from {} (or check the connection's permissions and referer)",
        .retry_at.to_rfc3339()
    )]
    RejectedTooSoon {
        /// The connection.
        connection: ConnectionName,
        /// When a report of the refused token renews it.
        retry_at: crate::time::Timestamp,
    },
    /// The secret store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The config file failed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The connection may not be handed out.
    #[error("{connection} is not exportable (export = false)")]
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
    /// A browser or device login did not finish.
    #[error("the login of {connection} {reason}")]
    Login {
        /// The connection.
        connection: ConnectionName,
        /// What happened.
        reason: LoginFailure,
    },
    /// The engine is shutting down.
    #[error("Tokentray is shutting down")]
    ShuttingDown,
}

/// Why an interactive login ended without tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginFailure {
    /// The person cancelled it.
    #[error("was cancelled")]
    Cancelled,
    /// Nobody finished it in time.
    #[error("timed out waiting for the browser; start it again")]
    TimedOut,
    /// The device code expired before the person entered it.
    #[error("expired before the code was entered; start it again")]
    Expired,
    /// The service (or the person) refused it.
    #[error("was refused by the service: {error}{}", .description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        /// The OAuth error code.
        error: String,
        /// The service's explanation.
        description: Option<String>,
    },
    /// Another login of this connection is waiting.
    #[error("is already waiting for the browser; finish or cancel that one first")]
    AlreadyPending,
    /// No login is waiting for a code.
    #[error("is not waiting for a code; start it first")]
    NotPending,
    /// The pasted text is not a code or a redirect address of this login.
    #[error("cannot use what was pasted: {0}")]
    BadPaste(String),
    /// The loopback listener could not start.
    #[error("could not wait for the browser: {0}")]
    Listener(String),
    /// The page that opens the browser could not be written safely.
    #[error("could not open the browser safely: {0}")]
    Page(String),
}

impl LoginFailure {
    /// The stable code of this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Cancelled => ErrorCode::Cancelled,
            Self::AlreadyPending | Self::NotPending | Self::BadPaste(_) => ErrorCode::InvalidInput,
            Self::Listener(_) | Self::Page(_) => ErrorCode::InvalidConfig,
            Self::TimedOut | Self::Expired | Self::Refused { .. } => ErrorCode::NeedsLogin,
        }
    }
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
            Self::RejectedTooSoon { .. } => ErrorCode::ProviderError,
            Self::Store(_) => ErrorCode::StorageUnavailable,
            Self::Config(_) => ErrorCode::InvalidConfig,
            Self::NotExportable { .. } => ErrorCode::Forbidden,
            Self::Login { reason, .. } => reason.code(),
            Self::Io { .. } | Self::ShuttingDown => ErrorCode::Internal,
        }
    }

    /// What a person does about this error, if a person can fix it: each front end words it
    /// (the message itself never names a command).
    pub fn remedy(&self) -> Option<Remedy> {
        match self {
            Self::UnknownConnection { .. } => Some(Remedy::ListConnections),
            Self::AlreadyExists { .. } => Some(Remedy::ChooseAnotherName),
            Self::MissingSecret { field, .. } => Some(Remedy::SetSecret(field)),
            Self::NeedsLogin { remedy, .. } => Some(*remedy),
            Self::NotExportable { .. } => Some(Remedy::AllowExport),
            Self::Provider { source, .. } => source.remedy(),
            Self::Store(StoreError::Unavailable { .. }) => Some(Remedy::UseFileStore),
            _ => None,
        }
    }

    /// The connection the error is about, when it is about one (the name a remedy acts on).
    pub fn connection(&self) -> Option<&str> {
        match self {
            Self::UnknownConnection { name } => Some(name),
            Self::AlreadyExists { name } => Some(name.as_str()),
            Self::MissingSecret { connection, .. }
            | Self::NeedsLogin { connection, .. }
            | Self::Provider { connection, .. }
            | Self::RejectedTooSoon { connection, .. }
            | Self::NotExportable { connection }
            | Self::Login { connection, .. } => Some(connection.as_str()),
            _ => None,
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
