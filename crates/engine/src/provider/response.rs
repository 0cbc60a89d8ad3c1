//! One tolerant reader for token-endpoint answers of every kind: RFC 6749 JSON, Keycloak's
//! `refresh_expires_in`, ArcGIS's `refresh_token_expires_in`, numbers sent as strings, errors
//! sent with HTTP 200, HTML pages from portals and proxies. It never stores a partial result and
//! never quotes the body in an error.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::provider::ProviderError;
use crate::provider::http::Reply;
use crate::secret::Secret;
use crate::time::Timestamp;
use crate::token::{TokenSet, jwt_expiry, jwt_lifetime};

/// The longest token accepted (RFC 6750 tokens are short; JWTs with many claims are not).
pub(crate) const MAX_TOKEN_LEN: usize = 16 * 1024;
/// Lifetimes are clamped to [1 s, 1 year].
const MAX_LIFETIME: Duration = Duration::from_secs(365 * 86_400);

/// Reads an OAuth-style error out of `obj`, if it carries one (top-level or nested in an
/// ArcGIS-style `error` object).
pub(crate) fn oauth_error(obj: &Map<String, Value>) -> Option<ProviderError> {
    let err = obj.get("error")?;
    let (code, description) = match err {
        Value::String(code) => (code.clone(), text(obj, "error_description")),
        Value::Object(inner) => {
            let code = text(inner, "error")
                .or_else(|| inner.get("code").map(std::string::ToString::to_string))
                .unwrap_or_else(|| "error".into());
            let description = text(inner, "error_description").or_else(|| text(inner, "message"));
            (code, description)
        }
        _ => return None,
    };
    Some(classify_oauth_error(code, description))
}

/// Maps an OAuth error code to the engine's view of it.
pub(crate) fn classify_oauth_error(code: String, description: Option<String>) -> ProviderError {
    match code.as_str() {
        "invalid_client"
        | "unauthorized_client"
        | "unsupported_grant_type"
        | "invalid_scope"
        | "invalid_request"
        | "unsupported_response_type"
        | "invalid_target" => ProviderError::ClientRejected { code, description },
        "temporarily_unavailable" | "slow_down" | "authorization_pending" => {
            ProviderError::Unavailable { code }
        }
        "server_error" => ProviderError::Status { status: 500 },
        _ => ProviderError::Rejected { code, description },
    }
}

pub(crate) fn text(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// A number of seconds sent as a JSON number or numeric string; `None` when absent, not a
/// number, zero or negative.
pub(crate) fn seconds(obj: &Map<String, Value>, key: &str) -> Option<Duration> {
    let n = match obj.get(key)? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    if !n.is_finite() || n < 1.0 {
        return None;
    }
    Some(Duration::from_secs_f64(n.min(MAX_LIFETIME.as_secs_f64())))
}

/// Checks a token is printable ASCII (RFC 6749 VSCHAR, no spaces) and not absurdly long, so
/// it can never inject a header into anyone's request.
pub(crate) fn check_token(token: &str, status: u16) -> Result<(), ProviderError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(ProviderError::Garbage {
            status,
            detail: format!("the token is longer than {MAX_TOKEN_LEN} bytes"),
        });
    }
    if token.is_empty() || !token.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(ProviderError::Garbage {
            status,
            detail: "the token is empty or contains characters a token may not contain".into(),
        });
    }
    Ok(())
}

/// Reads a standard token response (any status) into a `TokenSet` received at `now`.
pub(crate) fn token_set(reply: &Reply, now: Timestamp) -> Result<TokenSet, ProviderError> {
    if reply.status == 429 {
        return Err(ProviderError::RateLimited {
            retry_after: reply.retry_after,
        });
    }
    let obj = match reply.json_object() {
        Ok(obj) => obj,
        Err(e) if reply.status >= 500 => {
            // A 5xx page says nothing more useful than its status.
            return Err(if matches!(e, ProviderError::Html { .. }) {
                e
            } else {
                ProviderError::Status {
                    status: reply.status,
                }
            });
        }
        Err(e) => return Err(e),
    };
    if let Some(err) = oauth_error(&obj) {
        return Err(err);
    }
    if !reply.ok() {
        return Err(ProviderError::Status {
            status: reply.status,
        });
    }
    token_set_from(&obj, reply.status, now)
}

/// Builds a `TokenSet` from a parsed success object.
pub(crate) fn token_set_from(
    obj: &Map<String, Value>,
    status: u16,
    now: Timestamp,
) -> Result<TokenSet, ProviderError> {
    let access = match obj.get("access_token") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(ProviderError::Garbage {
                status,
                detail: "access_token is not a string".into(),
            });
        }
        None => {
            return Err(ProviderError::Garbage {
                status,
                detail: "there is no access_token".into(),
            });
        }
    };
    check_token(&access, status)?;
    let token_type = match text(obj, "token_type") {
        None => "Bearer".to_owned(),
        Some(t) if t.eq_ignore_ascii_case("bearer") => "Bearer".to_owned(),
        Some(t) => {
            return Err(ProviderError::Garbage {
                status,
                detail: format!(
                    "token_type {:?} is not supported (only Bearer)",
                    t.chars().take(20).collect::<String>()
                ),
            });
        }
    };
    let refresh_token = text(obj, "refresh_token");
    if let Some(rt) = &refresh_token {
        check_token(rt, status)?;
    }
    let expires_at = seconds(obj, "expires_in")
        .or_else(|| jwt_lifetime(&access))
        .map(|d| now.plus(d))
        .or_else(|| jwt_expiry(&access));
    let refresh_expires_at = seconds(obj, "refresh_expires_in")
        .or_else(|| seconds(obj, "refresh_token_expires_in"))
        .filter(|_| refresh_token.is_some())
        .map(|d| now.plus(d));
    Ok(TokenSet {
        access_token: Secret::new(access),
        token_type,
        expires_at,
        refresh_token: refresh_token.map(Secret::new),
        refresh_expires_at,
        id_token: text(obj, "id_token").map(Secret::new),
        scope: text(obj, "scope"),
        obtained_at: now,
        redirect_uri: None,
        otp: false,
        note: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status,
            body: body.as_bytes().to_vec(),
            html: false,
            retry_after: None,
            date: None,
        }
    }

    const NOW: Timestamp = Timestamp::from_secs(1_000_000);

    #[test]
    fn standard_and_keycloak_responses_are_read() {
        let t = token_set(
            &reply(200, r#"{"access_token":"abc","expires_in":600,"refresh_expires_in":3600,"refresh_token":"r1","token_type":"bearer","scope":"openid"}"#),
            NOW,
        )
        .unwrap();
        assert_eq!(t.access_token.expose(), "abc");
        assert_eq!(t.token_type, "Bearer", "token_type is normalised");
        assert_eq!(t.expires_at, Some(NOW.plus(Duration::from_secs(600))));
        assert_eq!(
            t.refresh_expires_at,
            Some(NOW.plus(Duration::from_secs(3600)))
        );
        assert_eq!(t.refresh_token.unwrap().expose(), "r1");
    }

    #[test]
    fn expiry_accepts_strings_and_ignores_nonsense() {
        let t = token_set(
            &reply(200, r#"{"access_token":"a","expires_in":"3600"}"#),
            NOW,
        )
        .unwrap();
        assert_eq!(t.expires_at, Some(NOW.plus(Duration::from_secs(3600))));
        for bad in ["0", "-1", "null", "\"soon\""] {
            let t = token_set(
                &reply(
                    200,
                    &format!(r#"{{"access_token":"a","expires_in":{bad}}}"#),
                ),
                NOW,
            )
            .unwrap();
            assert_eq!(t.expires_at, None, "expires_in {bad} means unknown");
        }
        let t = token_set(
            &reply(200, r#"{"access_token":"a","expires_in":1e30}"#),
            NOW,
        )
        .unwrap();
        assert_eq!(
            t.expires_at,
            Some(NOW.plus(MAX_LIFETIME)),
            "clamped to a year"
        );
        let t = token_set(
            &reply(
                200,
                r#"{"access_token":"a","refresh_token":"","refresh_expires_in":0}"#,
            ),
            NOW,
        )
        .unwrap();
        assert!(
            t.refresh_token.is_none(),
            "an empty refresh token is absent"
        );
        assert!(
            t.refresh_expires_at.is_none(),
            "refresh_expires_in 0 means no limit known"
        );
    }

    #[test]
    fn errors_with_any_status_are_errors() {
        let e = token_set(
            &reply(
                200,
                r#"{"error":"invalid_grant","error_description":"Token is not active"}"#,
            ),
            NOW,
        )
        .unwrap_err();
        assert!(matches!(e, ProviderError::Rejected { .. }), "{e:?}");
        let e = token_set(
            &reply(
                401,
                r#"{"error":"invalid_grant","error_description":"Invalid user credentials"}"#,
            ),
            NOW,
        )
        .unwrap_err();
        assert!(e.to_string().contains("Invalid user credentials"), "{e}");
        let e = token_set(&reply(200, r#"{"error":{"code":498,"error":"invalid_request","error_description":"Invalid refresh_token"}}"#), NOW).unwrap_err();
        assert!(matches!(e, ProviderError::ClientRejected { .. }), "{e:?}");
        let e = token_set(&reply(400, r#"{"error":"invalid_client"}"#), NOW).unwrap_err();
        assert!(matches!(e, ProviderError::ClientRejected { .. }), "{e:?}");
    }

    #[test]
    fn html_garbage_and_server_errors_are_transient() {
        for (status, body) in [
            (200, "<html><title>Sign in</title></html>"),
            (200, "{\"access_token\": "),
            (200, "[1,2]"),
            (200, ""),
            (503, "<html>down</html>"),
            (502, "bad gateway"),
            (500, r#"{"error":"server_error"}"#),
            (429, ""),
            (200, r#"{"token_type":"Bearer"}"#),
        ] {
            let e = token_set(&reply(status, body), NOW).unwrap_err();
            assert!(e.is_transient(), "{status} {body:?} gave {e:?}");
            assert!(
                !e.to_string().contains("Sign in"),
                "bodies are never quoted"
            );
        }
    }

    #[test]
    fn hostile_tokens_are_refused() {
        for token in ["abc\\r\\nX-Evil: 1", "a b", "caf\u{e9}", ""] {
            let body = serde_json::json!({"access_token": token}).to_string();
            assert!(
                token_set(&reply(200, &body), NOW).is_err(),
                "{token:?} must be refused"
            );
        }
        let long = "a".repeat(MAX_TOKEN_LEN + 1);
        let body = serde_json::json!({"access_token": long}).to_string();
        assert!(token_set(&reply(200, &body), NOW).is_err());
        let e = token_set(
            &reply(200, r#"{"access_token":"a","token_type":"mac"}"#),
            NOW,
        )
        .unwrap_err();
        assert!(e.to_string().contains("mac"), "{e}");
    }

    #[test]
    fn a_jwt_access_token_gives_its_own_expiry_when_expires_in_is_missing() {
        let jwt = crate::token::make_jwt(&serde_json::json!({"exp": 1_000_900}));
        let body = serde_json::json!({"access_token": jwt}).to_string();
        let t = token_set(&reply(200, &body), NOW).unwrap();
        assert_eq!(t.expires_at, Some(Timestamp::from_secs(1_000_900)));
        // With iat, the lifetime counts from receipt: a skewed clock does not shift it.
        let jwt = crate::token::make_jwt(&serde_json::json!({"iat": 5_000_000, "exp": 5_000_900}));
        let body = serde_json::json!({"access_token": jwt}).to_string();
        let t = token_set(&reply(200, &body), NOW).unwrap();
        assert_eq!(t.expires_at, Some(NOW.plus(Duration::from_secs(900))));
    }
}
