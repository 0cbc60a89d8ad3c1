//! The endpoint's errors: `ApiError`, what a client is answered (a stable code and a fixed
//! message, never an echo of the request or a token), and `ExportError`, why the endpoint
//! could not start.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokentray_engine::contract::error::{Code, ErrorBody};
use tokentray_engine::{ConnectionName, ErrorCode};

/// What a request is refused or failed with. Each variant has a fixed status, code and message;
/// only a known connection's name is ever added to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The `Host` is not this endpoint's (DNS rebinding) or the target is absolute: 421, no body.
    Misdirected,
    /// A browser-shaped, proxied or preflight request: 403 `forbidden`.
    Forbidden,
    /// No valid export key: 401 `unauthorized`.
    Unauthorized,
    /// A request body over the limit, or one without a length: 413 `payload_too_large`.
    TooLarge,
    /// A refresh without `Content-Type: application/json`: 415 `unsupported_media_type`.
    NotJson,
    /// No such route: 404 `not_found`.
    NoRoute,
    /// The route exists but not with this method: 405 `method_not_allowed`.
    WrongMethod,
    /// No exportable connection has that name (unknown, not a slug, or `export = false`):
    /// 404 `unknown_connection`, the same answer in every case.
    UnknownConnection,
    /// `min_valid` is not a whole number of seconds within a year: 400 `invalid_request`.
    BadMinValid,
    /// The connection's tokens never live as long as `min_valid` asks: 400 `invalid_request`.
    MinValidTooLong(ConnectionName),
    /// `rejected` is not the SHA-256 of a token as 64 hex digits: 400 `invalid_request`.
    BadRejected,
    /// The refused token was renewed less than the renewal window ago, so it is not renewed
    /// again yet: 503 `provider_error` with `Retry-After: 30`.
    RejectedTooSoon(ConnectionName),
    /// Only a person can fix it: 409 `needs_login`.
    NeedsLogin(ConnectionName),
    /// The provider failed and no valid token is held: 502 `provider_error`.
    Provider(ConnectionName),
    /// The secret store cannot be used: 503 `storage_unavailable`.
    Storage(ConnectionName),
    /// Tokentray's own settings (`connections.toml`, the connection's settings) cannot be
    /// used: 500 `invalid_config`.
    InvalidConfig(ConnectionName),
    /// On the daemon socket (this user's own processes only): the engine's failure with its
    /// own code and words, so the CLI says the same as when it does the work itself.
    Local(Code, String),
    /// Anything else: 500 `internal`.
    Internal,
}

impl ApiError {
    /// Maps an engine error about `connection` to what the client is told. The engine's own
    /// message is logged at debug level, never sent; an unknown name is not logged at all (it
    /// is whatever the client put in the path).
    pub fn from_engine(error: &tokentray_engine::Error, connection: &ConnectionName) -> Self {
        let code = Code::of(error);
        if matches!(code, Code::UnknownConnection | Code::Forbidden) {
            return Self::UnknownConnection;
        }
        tracing::debug!(%connection, code = code.as_str(), %error, "request failed");
        let c = connection.clone();
        if matches!(error, tokentray_engine::Error::RejectedTooSoon { .. }) {
            return Self::RejectedTooSoon(c);
        }
        match code {
            Code::NeedsLogin => Self::NeedsLogin(c),
            Code::ProviderError => Self::Provider(c),
            Code::InvalidConfig => Self::InvalidConfig(c),
            Code::StorageUnavailable => Self::Storage(c),
            Code::InvalidRequest => Self::MinValidTooLong(c),
            _ => Self::Internal,
        }
    }

    /// Maps an engine error to the daemon socket's answer: the code every front end uses for
    /// it and the engine's own message, which the CLI prints as it would print it itself.
    /// An unknown name gets the fixed words: an error body never echoes the request.
    pub fn from_engine_local(error: &tokentray_engine::Error) -> Self {
        let code = Code::of(error);
        if code == Code::UnknownConnection {
            return Self::UnknownConnection;
        }
        tracing::debug!(%error, "request failed");
        Self::Local(code, tokentray_engine::contract::error::said(error))
    }

    /// The contract's code of this answer.
    pub fn wire(&self) -> Code {
        match self {
            Self::Misdirected => Code::MisdirectedRequest,
            Self::Forbidden => Code::Forbidden,
            Self::Unauthorized => Code::Unauthorized,
            Self::TooLarge => Code::PayloadTooLarge,
            Self::NotJson => Code::UnsupportedMediaType,
            Self::NoRoute => Code::NotFound,
            Self::WrongMethod => Code::MethodNotAllowed,
            Self::UnknownConnection => Code::UnknownConnection,
            Self::BadMinValid | Self::MinValidTooLong(_) | Self::BadRejected => {
                Code::InvalidRequest
            }
            Self::NeedsLogin(_) => Code::NeedsLogin,
            Self::Provider(_) | Self::RejectedTooSoon(_) => Code::ProviderError,
            Self::Storage(_) => Code::StorageUnavailable,
            Self::InvalidConfig(_) => Code::InvalidConfig,
            Self::Local(code, _) => *code,
            Self::Internal => Code::Internal,
        }
    }

    /// The HTTP status: the contract's for the code, except 503 for a refused token renewed
    /// too recently (try again after `Retry-After`).
    pub fn status(&self) -> StatusCode {
        if self.retry_later() {
            return StatusCode::SERVICE_UNAVAILABLE;
        }
        StatusCode::from_u16(self.wire().http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn retry_later(&self) -> bool {
        matches!(self, Self::RejectedTooSoon(_))
    }

    /// The stable code in the body (`unauthorized`, `needs_login`…).
    pub fn code(&self) -> &'static str {
        self.wire().as_str()
    }

    /// The message in the body: fixed words, plus the name of a known connection.
    pub fn message(&self) -> String {
        match self {
            Self::Misdirected => "this request is not addressed to the export endpoint".into(),
            Self::Forbidden => "browser, proxied and preflight requests are refused".into(),
            Self::Unauthorized => {
                "send Authorization: Bearer <key>, the key from endpoint.json".into()
            }
            Self::TooLarge => "the request is too large".into(),
            Self::NotJson => "a refresh needs Content-Type: application/json".into(),
            Self::NoRoute => "no such route".into(),
            Self::WrongMethod => "this route does not take that method".into(),
            Self::UnknownConnection => "no exportable connection has that name".into(),
            Self::BadMinValid => {
                "min_valid must be a whole number of seconds from 0 to 31536000".into()
            }
            Self::MinValidTooLong(c) => format!("the tokens of {c} do not live that long"),
            Self::BadRejected => {
                "rejected must be the SHA-256 of the refused token as 64 hex digits".into()
            }
            Self::RejectedTooSoon(c) => format!(
                "the service refused the token of {c}, which was renewed less than 30 s ago; \
                 it is renewed at most once per 30 s: report it again after Retry-After seconds"
            ),
            Self::NeedsLogin(c) => format!("{c} needs a login: run `tokentray login {c}`"),
            Self::Provider(c) => format!("could not get a token for {c} from its service"),
            Self::Storage(c) => {
                format!("the secret store holding {c} cannot be used: run `tokentray doctor`")
            }
            Self::InvalidConfig(c) => format!(
                "the settings of {c} (or the connections.toml holding them) cannot be used: run `tokentray list` to see what is wrong"
            ),
            Self::Local(_, message) => message.clone(),
            Self::Internal => "internal error".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if self == Self::Misdirected {
            // A rebinding attacker learns nothing from the body, not even that this is us.
            return status.into_response();
        }
        let body = ErrorBody::new(self.wire(), self.message());
        let mut response = (status, axum::Json(body)).into_response();
        if self.retry_later() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// No port could be bound on 127.0.0.1.
    #[error("could not listen on 127.0.0.1:{port}")]
    Bind {
        /// The port tried last (0: an ephemeral one).
        port: u16,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The port the user pinned (`serve --port`, `[app] export_port`) is taken. Nothing is
    /// served elsewhere: clients expect the endpoint there (security.md T19).
    #[error(
        "port {port} on 127.0.0.1 is taken, and it was pinned (serve --port or [app] export_port): \
         stop whatever listens there, or pin another port, or remove the setting to use the \
         default port"
    )]
    PortTaken {
        /// The pinned port.
        port: u16,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Another app or `tokentray serve` already runs over these files (it holds the daemon
    /// lock, or answers on the daemon socket). Two would both renew the same tokens.
    #[error(
        "another Tokentray (the app or `tokentray serve`) is already running for {dir}; the CLI \
         asks it, so there is nothing to start: stop it first to start this one instead"
    )]
    AlreadyRunning {
        /// The runtime directory both use.
        dir: String,
    },
    /// The runtime directory, the daemon lock or a stale daemon socket could not be handled.
    #[error("could not set up the daemon socket {path}: {source}")]
    Socket {
        /// The socket's path.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The discovery file could not be written.
    #[error("could not write the discovery file {path}")]
    Discovery {
        /// The file.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl ExportError {
    /// The engine's code for this failure, for front ends that branch on codes.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Bind { .. }
            | Self::PortTaken { .. }
            | Self::Discovery { .. }
            | Self::AlreadyRunning { .. }
            | Self::Socket { .. } => ErrorCode::Internal,
        }
    }
}
