//! Errors on the wire: the JSON error body `{"code": "...", "message": "..."}` (PRODUCT §5) and
//! the one table that gives each code its HTTP status and its CLI exit code (PRODUCT §6: 0 ok,
//! 1 other error, 2 usage, 3 unknown connection, 4 needs login, 5 provider or network error,
//! 6 secret store unavailable). The export endpoint answers with it, the CLI exits with it
//! whether it did the work itself or a running daemon did, so one failure has one answer.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode};
use crate::provider::FailureClass;
use crate::remedy::Remedy;

/// A code in a JSON error body. [`Code::as_str`] is its spelling on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    /// No valid export key.
    Unauthorized,
    /// A browser-shaped, proxied or preflight request, or an action not allowed.
    Forbidden,
    /// The request is not addressed to the endpoint (DNS rebinding); answered without a body.
    MisdirectedRequest,
    /// A request body over the limit.
    PayloadTooLarge,
    /// A refresh without `Content-Type: application/json`.
    UnsupportedMediaType,
    /// No such route.
    NotFound,
    /// The route does not take that method.
    MethodNotAllowed,
    /// The request (or the input) is not valid.
    InvalidRequest,
    /// A connection with that name exists already.
    AlreadyExists,
    /// No (exportable) connection has that name.
    UnknownConnection,
    /// Only a person can fix it: log in again.
    NeedsLogin,
    /// The provider or the network failed.
    ProviderError,
    /// Tokentray's settings (`connections.toml`, a connection's settings) cannot be used.
    InvalidConfig,
    /// The secret store cannot be used.
    StorageUnavailable,
    /// The person cancelled.
    Cancelled,
    /// Anything else.
    Internal,
}

/// One row of [`TABLE`].
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// The code.
    pub code: Code,
    /// Its spelling in the JSON error body.
    pub name: &'static str,
    /// The HTTP status the endpoint answers it with.
    pub http_status: u16,
    /// The exit code of the CLI.
    pub exit_code: u8,
}

const fn row(code: Code, name: &'static str, http_status: u16, exit_code: u8) -> Row {
    Row {
        code,
        name,
        http_status,
        exit_code,
    }
}

/// The one table: error code → HTTP status → exit code. Every front end reads it.
pub const TABLE: [Row; 16] = [
    row(Code::Unauthorized, "unauthorized", 401, 1),
    row(Code::Forbidden, "forbidden", 403, 1),
    row(Code::MisdirectedRequest, "misdirected_request", 421, 1),
    row(Code::PayloadTooLarge, "payload_too_large", 413, 1),
    row(Code::UnsupportedMediaType, "unsupported_media_type", 415, 1),
    row(Code::NotFound, "not_found", 404, 1),
    row(Code::MethodNotAllowed, "method_not_allowed", 405, 1),
    row(Code::InvalidRequest, "invalid_request", 400, 2),
    row(Code::AlreadyExists, "already_exists", 409, 2),
    row(Code::UnknownConnection, "unknown_connection", 404, 3),
    row(Code::NeedsLogin, "needs_login", 409, 4),
    row(Code::ProviderError, "provider_error", 502, 5),
    row(Code::InvalidConfig, "invalid_config", 500, 1),
    row(Code::StorageUnavailable, "storage_unavailable", 503, 6),
    row(Code::Cancelled, "cancelled", 500, 1),
    row(Code::Internal, "internal", 500, 1),
];

/// The exit code of usage errors and bad input.
pub const EXIT_USAGE: u8 = 2;

/// The exit code of any other failure (including an answer with a code this build does not
/// know, from a newer daemon).
pub const EXIT_OTHER: u8 = 1;

impl Code {
    /// The code's row in [`TABLE`].
    pub fn row(self) -> &'static Row {
        TABLE
            .iter()
            .find(|r| r.code == self)
            .expect("every code has a row in TABLE")
    }

    /// The spelling on the wire (`needs_login`…).
    pub fn as_str(self) -> &'static str {
        self.row().name
    }

    /// The HTTP status the endpoint answers with.
    pub fn http_status(self) -> u16 {
        self.row().http_status
    }

    /// The CLI's exit code.
    pub fn exit_code(self) -> u8 {
        self.row().exit_code
    }

    /// The code spelled `name`, if this build knows it.
    pub fn parse(name: &str) -> Option<Self> {
        TABLE.iter().find(|r| r.name == name).map(|r| r.code)
    }

    /// The code of an engine error: the one place the two meet. A provider's refusal of the
    /// connection's settings is the provider's failure (exit 5), a `connections.toml` that
    /// cannot be read is Tokentray's own (exit 1).
    pub fn of(error: &Error) -> Self {
        if let Error::Provider { source, .. } = error
            && source.class() == FailureClass::Config
        {
            return Self::ProviderError;
        }
        Self::from(error.code())
    }
}

impl From<ErrorCode> for Code {
    fn from(code: ErrorCode) -> Self {
        match code {
            ErrorCode::InvalidInput => Self::InvalidRequest,
            ErrorCode::UnknownConnection => Self::UnknownConnection,
            ErrorCode::AlreadyExists => Self::AlreadyExists,
            ErrorCode::NeedsLogin => Self::NeedsLogin,
            ErrorCode::ProviderError => Self::ProviderError,
            ErrorCode::InvalidConfig => Self::InvalidConfig,
            ErrorCode::StorageUnavailable => Self::StorageUnavailable,
            ErrorCode::Forbidden => Self::Forbidden,
            ErrorCode::Cancelled => Self::Cancelled,
            ErrorCode::Internal => Self::Internal,
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An engine error as the command line says it: the message, then what to do as a command.
pub fn said(error: &Error) -> String {
    match error.remedy() {
        Some(remedy) => format!("{error}; {}", command_hint(remedy, error.connection())),
        None => error.to_string(),
    }
}

/// A [`Remedy`] as a command to run, for `connection` (`NAME` when the error names none). The
/// one place the engine names its commands: the terminal's words for the engine's decisions,
/// used by the CLI, the daemon and the export endpoint alike.
pub fn command_hint(remedy: Remedy, connection: Option<&str>) -> String {
    let c = connection.unwrap_or("NAME");
    let flag = |field: &str| field.replace('_', "-");
    match remedy {
        Remedy::LogIn => format!("run `tokentray login {c}`"),
        Remedy::StoreSecret(field) => {
            format!(
                "store a new one with `tokentray edit {c} --{}`",
                flag(field)
            )
        }
        Remedy::SetSecret(field) => format!("set it with `tokentray edit {c} --{}`", flag(field)),
        Remedy::CheckCredentials => {
            format!("check the stored credentials with `tokentray edit {c}`")
        }
        Remedy::ListConnections => "run `tokentray list` to see the connections".to_owned(),
        Remedy::ChooseAnotherName => format!("choose another name or `tokentray edit {c}`"),
        Remedy::AllowExport => format!("enable it with `tokentray edit {c} --export true`"),
        Remedy::SetCaFile => format!("set it with `tokentray edit {c} --ca-file PATH`"),
        Remedy::UseFileStore => {
            "run `tokentray doctor --use-file-store` for the file store".to_owned()
        }
    }
}

/// The JSON error body: `{"code": "...", "message": "..."}`, nothing else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The stable code ([`Code::as_str`]); scripts switch on it.
    pub code: String,
    /// What went wrong and what to do about it, for people.
    pub message: String,
}

impl ErrorBody {
    /// A body with `code` and `message`.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code: code.as_str().to_owned(),
            message: message.into(),
        }
    }

    /// The body of an engine error: the engine's own message and, where a person can fix it,
    /// the remedy worded as a command ([`command_hint`]). For this user's own processes and
    /// scripts: the CLI prints the same words whether it did the work or a daemon did.
    pub fn of(error: &Error) -> Self {
        Self::new(Code::of(error), said(error))
    }

    /// The code, if this build knows it.
    pub fn known_code(&self) -> Option<Code> {
        Code::parse(&self.code)
    }

    /// The CLI's exit code for this body ([`EXIT_OTHER`] for a code this build does not know).
    pub fn exit_code(&self) -> u8 {
        self.known_code().map_or(EXIT_OTHER, Code::exit_code)
    }
}
