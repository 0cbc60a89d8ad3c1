//! A Keycloak realm at `/keycloak/realms/<realm>`: the OAuth machinery of the parent module with
//! Keycloak's quirks (reference/protocols.md §5.4 and quirks 33–35):
//!
//! - a bad password, unknown user, or missing/wrong one-time code (`otp`, or the legacy `totp`)
//!   is **401** `invalid_grant` "Invalid user credentials";
//! - refresh failures are 400 `invalid_grant` with "Token is not active" (expired), "Session
//!   not active" (family revoked), "Stale token" (rotated token reused) or "Invalid refresh
//!   token";
//! - a bad client secret is 401 `unauthorized_client`;
//! - token responses carry `refresh_expires_in` (0 when there is no refresh token),
//!   `not-before-policy` and `session_state`.

use std::sync::Arc;

use serde_json::{Map, Value};
use url::Url;

use super::failure::{Failure, WireError, bad, generic, unauthorized};
use super::{Dialect, Issuer};
use crate::state::Shared;

/// The realm's issuer path on the server.
pub(crate) fn prefix(realm: &str) -> String {
    format!("/keycloak/realms/{realm}")
}

/// The realm's issuer.
pub(crate) fn issuer(shared: Arc<Shared>, base: &Url) -> Issuer {
    let prefix = prefix(shared.keycloak_realm());
    Issuer::new(shared, Dialect::Keycloak, base, &prefix)
}

/// Keycloak's status codes and descriptions for each refusal.
pub(crate) fn wording(failure: Failure) -> WireError {
    use Failure as F;
    match failure {
        F::MissingParameter(name) => {
            bad("invalid_request", format!("Missing form parameter: {name}"))
        }
        F::NoClient | F::MalformedBasic | F::UnknownClient | F::WrongAuthMethod => unauthorized(
            "invalid_client",
            "Invalid client or Invalid client credentials",
        ),
        F::BadClientSecret => unauthorized(
            "unauthorized_client",
            "Invalid client or Invalid client credentials",
        ),
        F::UnsupportedGrantType => bad("unsupported_grant_type", "Unsupported grant_type"),
        F::PublicClientCredentials => bad(
            "unauthorized_client",
            "Public client not allowed to retrieve service account",
        ),
        F::InvalidScope => bad("invalid_scope", "Invalid scopes"),
        F::BadUserCredentials => unauthorized("invalid_grant", "Invalid user credentials"),
        F::RefreshUnknown | F::RefreshWrongClient => bad("invalid_grant", "Invalid refresh token"),
        F::RefreshExpired => bad("invalid_grant", "Token is not active"),
        F::RefreshReused => bad("invalid_grant", "Stale token"),
        F::SessionEnded => bad("invalid_grant", "Session not active"),
        F::RevokeWrongClient => bad("unauthorized_client", "Unmatching clients"),
        other => generic(other),
    }
}

/// Adds Keycloak's extra token-response fields.
pub(crate) fn decorate(body: &mut Map<String, Value>, session_state: &str) {
    body.entry("refresh_expires_in").or_insert(Value::from(0));
    body.insert("not-before-policy".into(), Value::from(0));
    body.insert("session_state".into(), Value::from(session_state));
}
