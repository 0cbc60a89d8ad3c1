//! uuIdentity's tokens: the RS256-signed `id_token` with the claims of protocols.md §2.3 and the
//! key set `listKeys` publishes (the store of what was issued, with the opaque `at.` access
//! tokens, is `crate::state::itk`). The `id_token` is signed RS256 with a real RSA key (a fixed test key shipped with the
//! sandbox, see `signing-key.pem`), published first in `listKeys` beside a decoy key, as the real
//! uuIdentity publishes several.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::{ItkConfig, ItkUser};
use crate::random::{hex, random_hex};

/// The `aud[0]` and `client_uri` of an unregistered client such as itkdb.
const CLIENT: &str = "uu-oidc:unregistered-client:unregistered-9f2c4e1ab3d0457e8c61f0a2b4d6e8f1";
const CLIENT_URI: &str = "urn:uuoidcclient:uu-unregistered-main/00000000000000000000000000000000";

/// One RSA key as `listKeys` publishes it.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Jwk {
    pub(crate) kid: String,
    kty: &'static str,
    #[serde(rename = "use")]
    usage: &'static str,
    alg: &'static str,
    e: &'static str,
    n: String,
}

/// The sandbox's signing key: a 2048-bit RSA test key, not a secret of anyone's.
const SIGNING_KEY_PEM: &[u8] = include_bytes!("signing-key.pem");

fn signing_key() -> EncodingKey {
    EncodingKey::from_rsa_pem(SIGNING_KEY_PEM)
        .expect("the sandbox's signing key is a valid RSA key")
}

impl Jwk {
    /// The public half of the signing key with a random 63-hex-digit `kid`.
    fn signing() -> Self {
        let jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&signing_key(), Algorithm::RS256)
            .expect("an RSA key has a public half");
        let jsonwebtoken::jwk::AlgorithmParameters::RSA(rsa) = jwk.algorithm else {
            unreachable!("an RSA key")
        };
        Self {
            kid: random_hex(32)[..63].to_owned(),
            kty: "RSA",
            usage: "sig",
            alg: "RS256",
            e: "AQAB",
            n: rsa.n,
        }
    }

    /// A random 2048-bit-looking RSA public key with a 63-hex-digit `kid`.
    fn random() -> Self {
        let mut modulus = [0_u8; 256];
        rand::rng().fill(&mut modulus[..]);
        modulus[0] |= 0x80;
        Self {
            kid: random_hex(32)[..63].to_owned(),
            kty: "RSA",
            usage: "sig",
            alg: "RS256",
            e: "AQAB",
            n: URL_SAFE_NO_PAD.encode(modulus),
        }
    }
}

/// The published keys; the first one "signs".
#[derive(Clone, Debug)]
pub(crate) struct KeySet {
    pub(crate) keys: Vec<Jwk>,
}

impl KeySet {
    pub(crate) fn random() -> Self {
        Self {
            keys: vec![Jwk::signing(), Jwk::random()],
        }
    }

    fn signing_kid(&self) -> &str {
        &self.keys[0].kid
    }
}

#[derive(Serialize)]
struct Header<'a> {
    kid: &'a str,
    typ: &'static str,
    alg: &'static str,
}

/// The `id_token` claims, in the recorded order.
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: String,
    uuidentity: &'a str,
    uuidentity_type: &'static str,
    name: &'a str,
    aud: Vec<&'a str>,
    acr: &'static str,
    client_acr: &'static str,
    client_uri: &'static str,
    client_uuidentity: &'static str,
    auth_id: String,
    auth_time: u64,
    iat: u64,
    nbf: u64,
    exp: u64,
    jti: String,
}

/// What the minting needs to know besides the person.
pub(crate) struct Minting<'a> {
    pub(crate) issuer: &'a str,
    pub(crate) keys: &'a KeySet,
    pub(crate) scope: &'a str,
    pub(crate) config: &'a ItkConfig,
    pub(crate) now: u64,
}

/// The signed `id_token` for `user`.
pub(super) fn id_token(user: &ItkUser, minting: &Minting<'_>) -> String {
    let header = Header {
        kid: minting.keys.signing_kid(),
        typ: "JWT",
        alg: "RS256",
    };
    let mut aud = vec![CLIENT];
    aud.extend(audiences(minting.scope));
    if aud.len() == 1 {
        aud.push(&minting.config.audience);
    }
    let now = minting.now;
    let claims = Claims {
        iss: minting.issuer,
        sub: subject(&user.uuidentity),
        uuidentity: &user.uuidentity,
        uuidentity_type: "uuPerson",
        name: &user.name,
        aud,
        acr: "standard",
        client_acr: "none",
        client_uri: CLIENT_URI,
        client_uuidentity: "0-0",
        auth_id: random_hex(16),
        auth_time: now,
        iat: now,
        nbf: now,
        exp: now + minting.config.token_secs,
        jti: random_hex(16),
    };
    let message = format!("{}.{}", encode(&header), encode(&claims));
    let signature =
        jsonwebtoken::crypto::sign(message.as_bytes(), &signing_key(), Algorithm::RS256)
            .expect("signing with the sandbox's key");
    format!("{message}.{signature}")
}

/// The API audiences a scope names: everything but `openid` and `offline_access`.
fn audiences(scope: &str) -> impl Iterator<Item = &str> {
    scope
        .split_whitespace()
        .filter(|item| !matches!(*item, "openid" | "offline_access"))
}

/// A stable 24-hex-digit `sub` per person.
fn subject(uuidentity: &str) -> String {
    hex(&Sha256::digest(uuidentity.as_bytes())[..12])
}

fn encode<T: Serialize>(part: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(part).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scope_names_the_audiences_and_openid_is_not_one() {
        let found: Vec<_> =
            audiences("openid offline_access https://itkpd.example https://x.example").collect();
        assert_eq!(found, ["https://itkpd.example", "https://x.example"]);
    }

    #[test]
    fn keys_look_like_the_recorded_ones() {
        let key = Jwk::random();
        assert_eq!(key.kid.len(), 63);
        assert_eq!(URL_SAFE_NO_PAD.decode(&key.n).unwrap().len(), 256);
    }

    #[test]
    fn id_tokens_verify_with_the_first_published_key() {
        let keys = KeySet::random();
        let config = ItkConfig::demo();
        let minting = Minting {
            issuer: "http://127.0.0.1:1/itk/oidc",
            keys: &keys,
            scope: "openid https://itkpd.example",
            config: &config,
            now: 1_800_000_000,
        };
        let user = ItkUser::new("a", "b", "1-2345-1", "Jane");
        let token = id_token(&user, &minting);
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(serde_json::to_value(&keys.keys[0]).unwrap()).unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.set_audience(&["https://itkpd.example"]);
        let data = jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation).unwrap();
        assert_eq!(data.claims["uuidentity"], "1-2345-1");
        assert_eq!(data.header.kid.as_deref(), Some(keys.keys[0].kid.as_str()));
        let other: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(serde_json::to_value(&keys.keys[1]).unwrap()).unwrap();
        let other = jsonwebtoken::DecodingKey::from_jwk(&other).unwrap();
        assert!(jsonwebtoken::decode::<serde_json::Value>(&token, &other, &validation).is_err());
    }

    #[test]
    fn subjects_are_24_hex_digits() {
        assert_eq!(subject("1-2345-1").len(), 24);
    }
}
