//! Why an OAuth request was refused ([`Failure`], provider-neutral), and the wire error a
//! provider answers with ([`WireError`]). The mapping from one to the other is per dialect.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::oauth::Refusal;

/// A refusal, before any provider decided how to word it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The body is not a form, or a parameter appears twice.
    MalformedRequest,
    /// Credentials were sent in the URL query.
    CredentialsInQuery,
    /// A required parameter is absent.
    MissingParameter(&'static str),
    /// More than one client authentication method in one request.
    SeveralAuthMethods,
    /// No client identification at all.
    NoClient,
    /// The `Authorization` header is not valid Basic credentials.
    MalformedBasic,
    /// No client with that id.
    UnknownClient,
    /// The client used a method it is not registered for.
    WrongAuthMethod,
    /// The client secret does not match.
    BadClientSecret,
    /// A `grant_type` this server does not implement.
    UnsupportedGrantType,
    /// A public client asked for client credentials.
    PublicClientCredentials,
    /// The requested scope exceeds what was granted.
    InvalidScope,
    /// Unknown user, wrong password, or a missing or wrong one-time code.
    BadUserCredentials,
    /// A refresh token this server never issued (or already forgot).
    RefreshUnknown,
    /// A refresh token issued to a different client.
    RefreshWrongClient,
    /// A refresh token past its lifetime.
    RefreshExpired,
    /// A refresh token that was rotated away and is presented again.
    RefreshReused,
    /// The refresh token's family (session) was revoked.
    SessionEnded,
    /// A revocation request for a token issued to another client.
    RevokeWrongClient,
}

impl From<Refusal> for Failure {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::RefreshUnknown => Self::RefreshUnknown,
            Refusal::RefreshWrongClient => Self::RefreshWrongClient,
            Refusal::RefreshExpired => Self::RefreshExpired,
            Refusal::RefreshReused => Self::RefreshReused,
            Refusal::SessionEnded => Self::SessionEnded,
            Refusal::RevokeWrongClient => Self::RevokeWrongClient,
        }
    }
}

/// An OAuth error response: status, `error`, `error_description`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WireError {
    pub(crate) status: StatusCode,
    pub(crate) error: &'static str,
    pub(crate) description: String,
}

impl WireError {
    pub(crate) fn new(
        status: StatusCode,
        error: &'static str,
        description: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error,
            description: description.into(),
        }
    }

    pub(crate) fn bad_request(error: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, description)
    }

    pub(crate) fn unauthorized(error: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, error, description)
    }
}

impl IntoResponse for WireError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.error,
            "error_description": self.description,
        });
        let mut response = (
            self.status,
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::PRAGMA, "no-cache"),
            ],
            axum::Json(body),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED && self.error.ends_with("_client") {
            // RFC 6749 §5.2: a 401 for client authentication carries a challenge.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"tokentray-sandbox\""),
            );
        }
        response
    }
}

/// A 400 error.
pub(crate) fn bad(error: &'static str, description: impl Into<String>) -> WireError {
    WireError::bad_request(error, description)
}

/// A 401 error.
pub(crate) fn unauthorized(error: &'static str, description: impl Into<String>) -> WireError {
    WireError::unauthorized(error, description)
}

/// The RFC 6749 / RFC 7009 wording of the generic OAuth 2.0 server.
pub(crate) fn generic(failure: Failure) -> WireError {
    use Failure as F;
    match failure {
        F::MalformedRequest => bad(
            "invalid_request",
            "the body must be a form (application/x-www-form-urlencoded) with each parameter once",
        ),
        F::CredentialsInQuery => bad(
            "invalid_request",
            "credentials must be sent in the request body, not in the URL",
        ),
        F::MissingParameter(name) => bad("invalid_request", format!("missing parameter: {name}")),
        F::SeveralAuthMethods => bad(
            "invalid_request",
            "more than one client authentication method",
        ),
        F::NoClient => unauthorized("invalid_client", "client authentication required"),
        F::MalformedBasic => unauthorized("invalid_client", "malformed Basic credentials"),
        F::UnknownClient => unauthorized("invalid_client", "unknown client"),
        F::WrongAuthMethod => unauthorized(
            "invalid_client",
            "client authentication method not allowed for this client",
        ),
        F::BadClientSecret => unauthorized("invalid_client", "client authentication failed"),
        F::UnsupportedGrantType => bad("unsupported_grant_type", "grant type not supported"),
        F::PublicClientCredentials => bad(
            "unauthorized_client",
            "public clients cannot use client credentials",
        ),
        F::InvalidScope => bad("invalid_scope", "requested scope exceeds the granted scope"),
        F::BadUserCredentials => bad("invalid_grant", "invalid username or password"),
        F::RefreshUnknown => bad("invalid_grant", "unknown refresh token"),
        F::RefreshWrongClient => bad(
            "invalid_grant",
            "refresh token was issued to another client",
        ),
        F::RefreshExpired => bad("invalid_grant", "refresh token expired"),
        F::RefreshReused => bad("invalid_grant", "refresh token already used"),
        F::SessionEnded => bad("invalid_grant", "refresh token revoked"),
        F::RevokeWrongClient => bad("unauthorized_client", "token was issued to another client"),
    }
}
