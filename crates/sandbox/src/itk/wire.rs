//! The uuApp wire format: `uuAppErrorMap` entries (errors and warnings), the `grantToken`
//! refusals recorded in itkdb's cassettes (protocols.md §2.5, quirk 20), and the JSON content
//! type `application/json;charset=UTF-8`. Bodies are structs so their keys keep the recorded
//! order.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::random::random_hex;

/// One entry of a `uuAppErrorMap`.
#[derive(Serialize)]
pub(crate) struct UuEntry {
    id: String,
    timestamp: String,
    #[serde(rename = "type")]
    kind: &'static str,
    message: &'static str,
    #[serde(rename = "paramMap", skip_serializing_if = "Option::is_none")]
    param_map: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<BTreeMap<&'static str, UuEntry>>,
}

impl UuEntry {
    pub(crate) fn error(timestamp: &str, message: &'static str) -> Self {
        Self::new(timestamp, "error", message)
    }

    pub(crate) fn warning(timestamp: &str, message: &'static str) -> Self {
        Self::new(timestamp, "warning", message)
    }

    fn new(timestamp: &str, kind: &'static str, message: &'static str) -> Self {
        Self {
            id: random_hex(16),
            timestamp: timestamp.to_owned(),
            kind,
            message,
            param_map: None,
            cause: None,
        }
    }

    #[must_use]
    pub(crate) fn param_map(mut self, params: serde_json::Value) -> Self {
        self.param_map = Some(params);
        self
    }

    #[must_use]
    fn cause(mut self, code: &'static str, cause: UuEntry) -> Self {
        self.cause = Some(BTreeMap::from([(code, cause)]));
        self
    }
}

/// A `uuAppErrorMap`: codes to entries.
pub(crate) type ErrorMap = BTreeMap<&'static str, UuEntry>;

/// Why `grantToken` refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GrantFailure {
    /// The body is not a JSON object (a form, say): 400. The sandbox's own wording.
    NotJson,
    /// `grant_type` is not `password`: 400. The sandbox's own wording.
    UnsupportedGrantType,
    /// An access code is missing or empty: the recorded 500 "Secret must be not null.".
    EmptySecret,
    /// No person has these codes: the recorded 401 (with the trailing space in its key).
    NotAuthenticated,
}

/// `{"uuAppErrorMap", "error_description", "error"}`, in the recorded order.
#[derive(Serialize)]
struct OidcFailure {
    #[serde(rename = "uuAppErrorMap")]
    errors: ErrorMap,
    error_description: &'static str,
    error: &'static str,
}

impl GrantFailure {
    pub(crate) fn respond(self, timestamp: &str) -> Response {
        let (status, error, description, code, entry) = self.parts(timestamp);
        let body = OidcFailure {
            errors: BTreeMap::from([(code, entry)]),
            error_description: description,
            error,
        };
        json(status, &body)
    }

    fn parts(
        self,
        at: &str,
    ) -> (
        StatusCode,
        &'static str,
        &'static str,
        &'static str,
        UuEntry,
    ) {
        match self {
            Self::NotJson => (
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "DtoIn is not valid.",
                "uu-oidc-main/grantToken/invalidDtoIn",
                UuEntry::error(at, "DtoIn is not valid."),
            ),
            Self::UnsupportedGrantType => (
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Unsupported grant type.",
                "uu-oidc-main/grantToken/unsupportedGrantType",
                UuEntry::error(at, "Unsupported grant type."),
            ),
            Self::EmptySecret => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "Secret must be not null.",
                "uu-oidc-main/grantToken/unexpectedError",
                UuEntry::error(at, "Grant token failed.").cause(
                    "uu.app.error/UNEXPECTED_INTERNAL_EXCEPTION",
                    UuEntry::error(at, "Secret must be not null."),
                ),
            ),
            Self::NotAuthenticated => (
                StatusCode::UNAUTHORIZED,
                "invalid_request",
                "Identity not Authenticated",
                // The trailing space is in the real key (quirk 20).
                "uu-oidc-main/grantToken/identityNotAuthenticated ",
                UuEntry::error(at, "Identity not Authenticated").cause(
                    "uu-oidc-main/authAccessCodes/authenticateCredentials/notAuthenticated",
                    UuEntry::error(at, "Invalid user authentication."),
                ),
            ),
        }
    }
}

/// A uuApp JSON answer.
pub(crate) fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    // Serialising plain structs of strings and numbers cannot fail.
    let text = serde_json::to_string(body).unwrap_or_default();
    let mut response = (status, text).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_keep_the_recorded_key_order() {
        let entry = UuEntry::error("T", "m").cause("c", UuEntry::error("T", "n"));
        let text = serde_json::to_string(&entry).unwrap();
        let id = &entry.id;
        assert!(
            text.starts_with(&format!(
                r#"{{"id":"{id}","timestamp":"T","type":"error","message":"m","cause":{{"c":{{"id":"#
            )),
            "{text}"
        );
        assert_eq!(id.len(), 32);
    }
}
