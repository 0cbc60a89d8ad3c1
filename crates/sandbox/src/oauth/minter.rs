//! Minting token strings: HS256-signed JWT access tokens, opaque refresh tokens and session ids.
//! The sandbox keeps every token it issues in its store, so the signature exists for realism
//! (clients decode the claims), not for verification here.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::Rng;
use serde_json::{Value, json};
use sha2::Sha256;

/// Signs tokens for one issuer.
pub(crate) struct Minter<'a> {
    pub(crate) issuer: &'a str,
    pub(crate) key: &'a [u8; 32],
}

/// The claims of an access token that vary per grant.
pub(crate) struct AccessClaims<'a> {
    pub(crate) subject: &'a str,
    pub(crate) username: Option<&'a str>,
    pub(crate) client_id: &'a str,
    pub(crate) scope: &'a str,
    pub(crate) session_state: &'a str,
    pub(crate) issued_at: u64,
    pub(crate) expires_at: u64,
}

impl Minter<'_> {
    pub(crate) fn access_token(&self, claims: &AccessClaims<'_>) -> String {
        let mut payload = json!({
            "iss": self.issuer,
            "sub": claims.subject,
            "aud": claims.client_id,
            "azp": claims.client_id,
            "client_id": claims.client_id,
            "iat": claims.issued_at,
            "exp": claims.expires_at,
            "jti": random_token(16),
            "scope": claims.scope,
            "sid": claims.session_state,
            "typ": "Bearer",
        });
        if let Some(username) = claims.username {
            payload["preferred_username"] = Value::from(username);
        }
        self.sign(&payload)
    }

    fn sign(&self, payload: &Value) -> String {
        let header = json!({ "alg": "HS256", "typ": "JWT" });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        );
        let signature = hmac_sha256(self.key, signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// `bytes` random bytes, base64url without padding.
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0_u8; bytes];
    rand::rng().fill(buffer.as_mut_slice());
    URL_SAFE_NO_PAD.encode(buffer)
}

/// `bytes` random bytes as lower-case hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0_u8; bytes];
    rand::rng().fill(buffer.as_mut_slice());
    hex(&buffer)
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut text, byte| {
        // Writing to a String cannot fail.
        let _ = write!(text, "{byte:02x}");
        text
    })
}

/// A random UUID-shaped session id, as Keycloak's `session_state`.
pub(crate) fn session_id() -> String {
    let value: u128 = rand::rng().random();
    let hex = format!("{value:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims_of(token: &str) -> Value {
        let payload = token.split('.').nth(1).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
    }

    #[test]
    fn access_tokens_are_jwts_carrying_the_grant() {
        let minter = Minter {
            issuer: "http://127.0.0.1:1/oauth",
            key: &[7; 32],
        };
        let token = minter.access_token(&AccessClaims {
            subject: "ada",
            username: Some("ada"),
            client_id: "app",
            scope: "openid",
            session_state: "s",
            issued_at: 100,
            expires_at: 160,
        });
        let claims = claims_of(&token);
        assert_eq!(claims["exp"], 160);
        assert_eq!(claims["iat"], 100);
        assert_eq!(claims["preferred_username"], "ada");
        assert_eq!(claims["client_id"], "app");
        assert_eq!(token.split('.').count(), 3, "header.payload.signature");
    }

    #[test]
    fn hmac_matches_the_rfc_4231_test_vector() {
        let mac = hmac_sha256(&[0x0b; 20], b"Hi There");
        let expected = "sDRMYdjbOFNcqK_OrwvxK4gdwgDJgz2nJuk3bC4yz_c";
        assert_eq!(
            URL_SAFE_NO_PAD.encode(mac),
            expected,
            "RFC 4231 test case 1"
        );
    }

    #[test]
    fn session_ids_look_like_uuids() {
        let id = session_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
    }
}
