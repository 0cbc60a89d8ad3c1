//! Tokens: the set a provider hands back, when it expires and when to renew it.

use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::connection::{ConnectionName, ProviderKind};
use crate::secret::Secret;
use crate::time::Timestamp;

/// The tokens of one connection, as obtained from its provider.
#[derive(Clone, Debug)]
pub struct TokenSet {
    /// The token handed out (for ITk, the `id_token`; for basic, the base64 credentials).
    pub access_token: Secret,
    /// The token type as the provider said it (`Bearer` when it said nothing).
    pub token_type: String,
    /// When the access token stops working, if known.
    pub expires_at: Option<Timestamp>,
    /// The refresh token, if the provider issued one.
    pub refresh_token: Option<Secret>,
    /// When the refresh token (or the session behind it) ends, if known.
    pub refresh_expires_at: Option<Timestamp>,
    /// The OpenID `id_token`, if any (kept for identity, never handed out unless it is the bearer).
    pub id_token: Option<Secret>,
    /// The granted scopes, if the provider said.
    pub scope: Option<String>,
    /// When the response arrived.
    pub obtained_at: Timestamp,
    /// The redirect URI of the login that obtained these tokens (ArcGIS needs it again to
    /// exchange the refresh token).
    pub redirect_uri: Option<String>,
    /// Whether the login needed a one-time code (2FA): a new login then needs a person, so
    /// renewal past the refresh token's end is not attempted with the stored password.
    pub otp: bool,
    /// Something the renewal that obtained these tokens wants the person to know although it
    /// worked (an ArcGIS refresh-token exchange that failed); shown as the connection's last
    /// error and in its history. Not stored.
    pub note: Option<String>,
}

impl TokenSet {
    /// A set holding only an access token.
    pub fn bearer(access_token: Secret, obtained_at: Timestamp) -> Self {
        Self {
            access_token,
            token_type: "Bearer".into(),
            expires_at: None,
            refresh_token: None,
            refresh_expires_at: None,
            id_token: None,
            scope: None,
            obtained_at,
            redirect_uri: None,
            otp: false,
            note: None,
        }
    }

    /// How long the access token is still valid at `now` (zero when expired); `None` when the
    /// expiry is unknown.
    pub fn remaining(&self, now: Timestamp) -> Option<Duration> {
        self.expires_at.map(|e| e.since(now))
    }

    /// Whether the access token is valid for at least `min_valid` more at `now`. A token of
    /// unknown expiry counts as valid.
    pub fn valid_for(&self, now: Timestamp, min_valid: Duration) -> bool {
        self.expires_at.is_none_or(|e| e > now.plus(min_valid))
    }

    /// Whether a refresh token exists and has not ended at `now`.
    pub fn can_refresh(&self, now: Timestamp) -> bool {
        self.refresh_token.is_some() && self.refresh_expires_at.is_none_or(|e| e > now)
    }

    /// The margin before expiry at which to renew: `refresh_before` when configured, else
    /// min(5 min, a quarter of the lifetime). A quarter keeps short tokens (60 s) from being
    /// renewed the moment they arrive.
    pub fn refresh_margin(&self, refresh_before: Option<Duration>) -> Duration {
        if let Some(d) = refresh_before {
            return d;
        }
        let lifetime = self
            .expires_at
            .map_or(Duration::ZERO, |e| e.since(self.obtained_at));
        (lifetime / 4).min(Duration::from_secs(300))
    }

    /// When to renew: expiry minus the margin; `None` when the expiry is unknown.
    pub fn renew_at(&self, refresh_before: Option<Duration>) -> Option<Timestamp> {
        self.expires_at
            .map(|e| e.minus(self.refresh_margin(refresh_before)))
    }
}

/// The claims of a JWT, decoded without verifying its signature: only used to read `exp` and
/// identity claims for display, never to make a trust decision.
pub fn jwt_claims(token: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        serde_json::Value::Object(map) => Some(map),
        _ => None,
    }
}

/// The `exp` claim of a JWT, if it is one.
pub(crate) fn jwt_expiry(token: &str) -> Option<Timestamp> {
    let exp = jwt_claims(token)?.get("exp")?.as_f64()?;
    #[allow(clippy::cast_possible_truncation)]
    let ms = (exp * 1000.0) as i64;
    (ms > 0).then_some(Timestamp::from_millis(ms))
}

/// The lifetime a JWT declares (`exp − iat`), independent of any clock.
pub fn jwt_lifetime(token: &str) -> Option<std::time::Duration> {
    let claims = jwt_claims(token)?;
    let exp = claims.get("exp")?.as_f64()?;
    let iat = claims.get("iat")?.as_f64()?;
    (exp > iat).then(|| std::time::Duration::from_secs_f64(exp - iat))
}

/// Where an absolute expiry from a service falls on this machine's clock. With the service's
/// own "now" (its `Date` header, or a token's `iat`), the lifetime is measured on the service's
/// clock and counted from `received`, so a machine clock minutes off neither expires tokens
/// early nor serves them late (R7).
pub fn local_expiry(
    expires: Timestamp,
    service_now: Option<Timestamp>,
    received: Timestamp,
) -> Timestamp {
    match service_now {
        Some(then) if expires > then => received.plus(expires.since(then)),
        _ => expires,
    }
}

/// Who a token belongs to, as shown beside the connection.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The account name or id (`username`, `preferred_username`, `sub`, `uuidentity`…).
    pub subject: String,
    /// A display name, if the service gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An e-mail address, if the service gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Identity {
    /// An identity with only a subject.
    pub fn subject(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            name: None,
            email: None,
        }
    }

    /// Reads the usual OpenID claims: `preferred_username`, `email`, `name`, `sub`.
    pub fn from_claims(claims: &serde_json::Map<String, serde_json::Value>) -> Option<Self> {
        let s = |k: &str| claims.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        let subject = s("preferred_username")
            .or_else(|| s("username"))
            .or_else(|| s("login"))
            .or_else(|| s("email"))
            .or_else(|| s("sub"))
            .or_else(|| s("client_id"))?;
        Some(Self {
            subject,
            name: s("name"),
            email: s("email"),
        })
    }
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(name) if name != &self.subject => write!(f, "{} ({name})", self.subject),
            _ => f.write_str(&self.subject),
        }
    }
}

#[cfg(test)]
pub(crate) fn make_jwt(claims: &serde_json::Value) -> String {
    let enc = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    format!(
        "{}.{}.{}",
        enc(br#"{"alg":"none","typ":"JWT"}"#),
        enc(claims.to_string().as_bytes()),
        enc(b"sig")
    )
}

/// A token handed out to a caller, with what it needs to use it.
#[derive(Clone, Debug)]
pub struct Handout {
    /// The connection.
    pub connection: ConnectionName,
    /// Its kind.
    pub kind: ProviderKind,
    /// The token.
    pub token: Secret,
    /// Its type (`Bearer`, `Basic`).
    pub token_type: String,
    /// When it expires, if known.
    pub expires_at: Option<Timestamp>,
    /// The header name to send it in.
    pub header_name: String,
    /// The whole header value (`Bearer <token>`).
    pub header_value: Secret,
    /// Who it belongs to, if known.
    pub identity: Option<Identity>,
    /// The `Referer` API calls must send with it (a referer-bound ArcGIS token), if any.
    pub referer: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(obtained: i64, expires: Option<i64>) -> TokenSet {
        let mut t = TokenSet::bearer(Secret::new("t"), Timestamp::from_secs(obtained));
        t.expires_at = expires.map(Timestamp::from_secs);
        t
    }

    #[test]
    fn margin_is_a_quarter_of_short_lifetimes_and_five_minutes_of_long_ones() {
        assert_eq!(
            set(0, Some(60)).refresh_margin(None),
            Duration::from_secs(15)
        );
        assert_eq!(
            set(0, Some(3600)).refresh_margin(None),
            Duration::from_secs(300)
        );
        assert_eq!(
            set(0, Some(3600)).refresh_margin(Some(Duration::from_secs(30))),
            Duration::from_secs(30),
            "a configured refresh_before wins"
        );
        assert_eq!(
            set(0, Some(3600)).renew_at(None),
            Some(Timestamp::from_secs(3300))
        );
        assert_eq!(
            set(0, None).renew_at(None),
            None,
            "unknown expiry: no scheduled renewal"
        );
    }

    #[test]
    fn validity_respects_min_valid_and_unknown_expiry() {
        let t = set(0, Some(100));
        assert!(t.valid_for(Timestamp::from_secs(50), Duration::from_secs(49)));
        assert!(!t.valid_for(Timestamp::from_secs(50), Duration::from_secs(50)));
        assert!(set(0, None).valid_for(Timestamp::from_secs(1_000_000), Duration::from_secs(3600)));
    }

    #[test]
    fn jwt_exp_and_identity_claims_are_read() {
        let jwt = make_jwt(
            &serde_json::json!({"exp": 1_700_001_800, "preferred_username": "jdoe", "name": "Jane Doe"}),
        );
        assert_eq!(jwt_expiry(&jwt), Some(Timestamp::from_secs(1_700_001_800)));
        let id = Identity::from_claims(&jwt_claims(&jwt).unwrap()).unwrap();
        assert_eq!(id.to_string(), "jdoe (Jane Doe)");
        assert_eq!(jwt_expiry("not.a-jwt"), None);
        assert_eq!(jwt_expiry("opaque-token"), None);
    }
}
