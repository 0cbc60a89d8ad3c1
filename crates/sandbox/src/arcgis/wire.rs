//! The `ArcGIS` JSON wire format: bodies serialised with their keys in the order the real
//! services write them, and the error envelopes, which come with HTTP 200 (quirk 1).
//!
//! Shapes from protocols.md §1.4, §1.6 and §4.6; the 405 shape (with `details` a string, not a
//! list) is ArcGIS Server's recorded answer to a token request that is not a clean POST
//! (Esri/resource-proxy#177). Descriptions the reference does not give are marked where used.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Why the portal refused a request, in one of `ArcGIS`'s envelope shapes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ArcgisError {
    /// `generateToken`: code 400 "Unable to generate token." with these details; wrong
    /// credentials add `"messageCode":"GWM_0003"` (restgdf's fixture).
    GenerateToken {
        details: &'static str,
        message_code: Option<&'static str>,
    },
    /// A token request by GET or with the password in the URL: code 405.
    MethodNotSupported,
    /// An unknown, expired or wrongly bound token: code 498.
    InvalidToken,
    /// No token where one is needed: code 499.
    TokenRequired,
    /// An OAuth refusal, nested inside `error` with `invalid_request` (quirk 2).
    OAuth {
        code: u16,
        description: &'static str,
    },
    /// A required parameter is missing: code 400, `GWM_0007` "Invalid request".
    InvalidRequest,
    /// The token is fine but may not do this (an app token at `community/self`): code 403.
    Forbidden,
}

impl ArcgisError {
    /// Wrong username or password at `generateToken`.
    pub(crate) const BAD_CREDENTIALS: Self = Self::GenerateToken {
        details: "Invalid username or password.",
        message_code: Some("GWM_0003"),
    };

    /// An OAuth error with code 400.
    pub(crate) fn oauth(description: &'static str) -> Self {
        Self::OAuth {
            code: 400,
            description,
        }
    }

    /// An OAuth error with code 498 (refresh tokens).
    pub(crate) fn oauth_498(description: &'static str) -> Self {
        Self::OAuth {
            code: 498,
            description,
        }
    }

    fn body(&self) -> String {
        match self {
            Self::GenerateToken {
                details,
                message_code,
            } => envelope(&Listed {
                code: 400,
                message: "Unable to generate token.",
                details: &[details],
                message_code: *message_code,
            }),
            Self::MethodNotSupported => envelope(&Unsupported {
                code: 405,
                message: "Method not supported",
                details: "Generate Token request should not contain username and password in the query string.",
            }),
            Self::InvalidToken => envelope(&Listed {
                code: 498,
                message: "Invalid token.",
                details: &[],
                message_code: None,
            }),
            Self::TokenRequired => envelope(&Required {
                code: 499,
                message: "Token Required",
                message_code: "GWM_0003",
                details: &["Token Required"],
            }),
            Self::OAuth { code, description } => envelope(&OAuthRefusal {
                code: *code,
                error: "invalid_request",
                error_description: description,
                message: description,
                details: &[],
            }),
            Self::InvalidRequest => envelope(&Coded {
                code: 400,
                message_code: "GWM_0007",
                message: "Invalid request",
                details: &[],
            }),
            Self::Forbidden => envelope(&Coded {
                code: 403,
                message_code: "GWM_0003",
                message: "You do not have permissions to access this resource or perform this operation.",
                details: &[],
            }),
        }
    }
}

impl IntoResponse for ArcgisError {
    fn into_response(self) -> Response {
        json_text(self.body())
    }
}

/// `{"code","message","details":[…]}` (+ `messageCode` last when present).
#[derive(Serialize)]
struct Listed<'a> {
    code: u16,
    message: &'a str,
    details: &'a [&'a str],
    #[serde(rename = "messageCode", skip_serializing_if = "Option::is_none")]
    message_code: Option<&'a str>,
}

/// `{"code","message","messageCode","details"}`: Esri's "Token Required".
#[derive(Serialize)]
struct Required<'a> {
    code: u16,
    message: &'a str,
    #[serde(rename = "messageCode")]
    message_code: &'a str,
    details: &'a [&'a str],
}

/// `{"code","messageCode","message","details"}`.
#[derive(Serialize)]
struct Coded<'a> {
    code: u16,
    #[serde(rename = "messageCode")]
    message_code: &'a str,
    message: &'a str,
    details: &'a [&'a str],
}

/// `{"code","message","details":"…"}`: ArcGIS Server's 405 has a string for `details`.
#[derive(Serialize)]
struct Unsupported<'a> {
    code: u16,
    message: &'a str,
    details: &'a str,
}

/// `{"code","error","error_description","message","details"}` (protocols.md §4.6).
#[derive(Serialize)]
struct OAuthRefusal<'a> {
    code: u16,
    error: &'a str,
    error_description: &'a str,
    message: &'a str,
    details: &'a [&'a str],
}

#[derive(Serialize)]
struct Envelope<'a, T> {
    error: &'a T,
}

fn envelope<T: Serialize>(error: &T) -> String {
    to_json(&Envelope { error })
}

/// Serialises a body whose field order is its declaration order.
pub(crate) fn to_json<T: Serialize>(body: &T) -> String {
    // Serialising plain structs of strings and numbers cannot fail.
    serde_json::to_string(body).unwrap_or_default()
}

/// HTTP 200 with a JSON body, as every `ArcGIS` answer (errors included) comes.
pub(crate) fn json_ok<T: Serialize>(body: &T) -> Response {
    json_text(to_json(body))
}

fn json_text(body: String) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelopes_keep_the_recorded_key_order() {
        assert_eq!(
            ArcgisError::BAD_CREDENTIALS.body(),
            r#"{"error":{"code":400,"message":"Unable to generate token.","details":["Invalid username or password."],"messageCode":"GWM_0003"}}"#
        );
        assert_eq!(
            ArcgisError::TokenRequired.body(),
            r#"{"error":{"code":499,"message":"Token Required","messageCode":"GWM_0003","details":["Token Required"]}}"#
        );
        assert_eq!(
            ArcgisError::InvalidRequest.body(),
            r#"{"error":{"code":400,"messageCode":"GWM_0007","message":"Invalid request","details":[]}}"#
        );
    }
}
