//! Errors of the command line and their exit codes.

use tokentray_engine::{Error, ErrorCode, FailureClass};

/// Exit code for usage errors.
pub(crate) const USAGE: u8 = 2;

/// What can go wrong in a command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] Error),
    /// The arguments are wrong.
    #[error("{0}")]
    Usage(String),
    /// No home directory could be found.
    #[error("could not find a home directory for Tokentray's files; set TOKENTRAY_HOME")]
    NoHome,
    /// Reading input or writing output failed.
    #[error("could not {0}: {1}")]
    Io(&'static str, #[source] std::io::Error),
    /// A command that ran but reports failure (doctor found problems).
    #[error("{0}")]
    Failed(String),
    /// A running Tokentray answered with an error (its message, and the exit code it maps to).
    #[error("{1} (from the running Tokentray)")]
    Daemon(u8, String),
    /// Exit with this code and say nothing more (`exec` passes its command's code on).
    #[error("")]
    Exit(u8),
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => USAGE,
            Self::Engine(e) => engine_code(e),
            Self::NoHome | Self::Io(..) | Self::Failed(_) => 1,
            Self::Exit(code) | Self::Daemon(code, _) => *code,
        }
    }
}

fn engine_code(e: &Error) -> u8 {
    if let Error::Provider { source, .. } = e {
        return if source.class() == FailureClass::NeedsLogin {
            4
        } else {
            5
        };
    }
    match e.code() {
        ErrorCode::InvalidInput | ErrorCode::AlreadyExists => USAGE,
        ErrorCode::UnknownConnection => 3,
        ErrorCode::NeedsLogin => 4,
        ErrorCode::ProviderError => 5,
        ErrorCode::StorageUnavailable => 6,
        ErrorCode::InvalidConfig
        | ErrorCode::Forbidden
        | ErrorCode::Cancelled
        | ErrorCode::Internal => 1,
    }
}
