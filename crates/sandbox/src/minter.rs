//! Minting the OAuth issuers' access tokens: HS256-signed JWTs. The sandbox keeps every token
//! it issues in its store, so the signature exists for realism (clients decode the claims), not
//! for verification here. Opaque tokens and session ids come from `crate::random`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::random::random_token;

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
}
