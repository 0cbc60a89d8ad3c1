//! Errors of the command line and their exit codes.

use std::io::Write;

use tokentray_engine::Error;
use tokentray_engine::contract::error::{Code, EXIT_OTHER, EXIT_USAGE, ErrorBody};

/// Exit code for usage errors.
pub(crate) const USAGE: u8 = EXIT_USAGE;

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
    /// A running Tokentray answered with an error: the contract's body, the engine's own
    /// words and code, reported as they would be without it.
    #[error("{}", .0.message)]
    Daemon(ErrorBody),
    /// Exit with this code and say nothing more (`exec` passes its command's code on).
    #[error("")]
    Exit(u8),
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => USAGE,
            Self::Engine(e) => Code::of(e).exit_code(),
            Self::NoHome | Self::Io(..) | Self::Failed(_) => EXIT_OTHER,
            Self::Daemon(body) => body.exit_code(),
            Self::Exit(code) => *code,
        }
    }

    /// The contract's JSON error body for this error (the same one a running daemon sends for
    /// an engine error).
    pub fn body(&self) -> ErrorBody {
        match self {
            Self::Engine(e) => ErrorBody::of(e),
            Self::Usage(m) => ErrorBody::new(Code::InvalidRequest, m.clone()),
            Self::Daemon(body) => body.clone(),
            other => ErrorBody::new(Code::Internal, other.to_string()),
        }
    }
}

/// Reports a failure on stderr: the JSON error body on one line when the command was asked
/// for JSON, else `error: <message>`. The same words and code with or without a daemon.
pub(crate) fn report(err: &mut dyn Write, body: &ErrorBody, json: bool) {
    let _ = if json {
        writeln!(err, "{}", serde_json::to_string(body).unwrap_or_default())
    } else {
        writeln!(err, "error: {}", body.message)
    };
}
