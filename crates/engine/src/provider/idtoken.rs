//! ID token validation (OpenID Connect Core §3.1.3.7, security.md T3/T15): before any claim of
//! an ID token is used, its signature is checked with the issuer's published keys (JWKS, fetched
//! and cached per issuer and trust setup, fetched again once when the token names a key the set
//! does not hold), then `iss`, `aud`, `exp`, `iat` (with a small leeway, on the engine's clock)
//! and, for a browser login, the `nonce` sent with it. `exp` and `iat` are read against the
//! issuer's own clock when its answer carried a `Date` header (the token came straight from
//! it, so a wrong local clock does not refuse a fresh token), else against the engine's clock. Only asymmetric algorithms are accepted:
//! `none` and the HMAC family (whose "key" would be the client secret or nothing) never are.
//!
//! Signatures are checked by the `jsonwebtoken` crate on its `aws-lc-rs` backend, the same
//! crypto library the engine's TLS already uses.

use std::time::Duration;

use jsonwebtoken::jwk::{Jwk, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use url::Url;

use super::{Flow, IdTokenCheck, ProviderError};
use crate::secret::{Secret, constant_time_eq};
use crate::time::Timestamp;

/// How far `exp` and `iat` may be off the engine's clock.
pub(crate) const LEEWAY: Duration = Duration::from_secs(60);

/// The algorithms an ID token may be signed with.
const ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// What a valid ID token must say.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Expect<'a> {
    /// The issuer (`iss`), exactly.
    pub issuer: &'a str,
    /// What `aud` must contain (the `client_id`; ITk's API audience).
    pub audience: &'a str,
    /// Where the issuer publishes its keys.
    pub jwks_uri: &'a Url,
    /// The `nonce` of the browser login that asked for this token.
    pub nonce: Option<&'a Secret>,
    /// The issuer's clock when it answered (its `Date` header), if it said.
    pub server_time: Option<Timestamp>,
    /// The `sub` of the session's earlier ID token, for one that came with a refresh.
    pub subject: Option<&'a str>,
}

fn fail(check: IdTokenCheck, reason: impl Into<String>) -> ProviderError {
    ProviderError::IdToken {
        check,
        reason: reason.into(),
    }
}

/// Validates `token` and returns its claims.
pub(crate) async fn validate(
    flow: &Flow<'_>,
    token: &str,
    expect: &Expect<'_>,
) -> Result<Map<String, Value>, ProviderError> {
    let (alg, kid) = header(token)?;
    let mut keys = flow
        .discovery
        .jwks(&flow.settings.common, flow.http, expect.jwks_uri, false)
        .await?;
    if let Some(kid) = &kid
        && !keys.iter().any(|k| k.common.key_id.as_deref() == Some(kid))
    {
        // A key the cached set does not hold: the issuer may have rotated its keys.
        keys = flow
            .discovery
            .jwks(&flow.settings.common, flow.http, expect.jwks_uri, true)
            .await?;
    }
    let candidates: Vec<&Jwk> = keys
        .iter()
        .filter(|k| match &kid {
            Some(kid) => k.common.key_id.as_deref() == Some(kid),
            None => true,
        })
        .filter(|k| fits(k, alg))
        .collect();
    if candidates.is_empty() {
        return Err(fail(
            IdTokenCheck::Key,
            match kid {
                Some(_) => {
                    "the issuer's key set has no key with the token's kid, even fetched again"
                }
                None => "the issuer's key set has no key for the token's algorithm",
            },
        ));
    }
    let mut validation = Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let mut last = None;
    for jwk in candidates {
        let Ok(key) = DecodingKey::from_jwk(jwk) else {
            last = Some(fail(IdTokenCheck::Key, "the issuer's key is not usable"));
            continue;
        };
        match jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation) {
            Ok(data) => return check_claims(flow, data.claims, expect),
            Err(e) => {
                use jsonwebtoken::errors::ErrorKind;
                last = Some(match e.kind() {
                    ErrorKind::InvalidSignature => fail(
                        IdTokenCheck::Signature,
                        "the signature does not verify with the issuer's key",
                    ),
                    ErrorKind::InvalidAlgorithm | ErrorKind::InvalidKeyFormat => fail(
                        IdTokenCheck::Key,
                        "the issuer's key does not fit the token's algorithm",
                    ),
                    _ => fail(IdTokenCheck::Format, "its claims are not a JSON object"),
                });
            }
        }
    }
    Err(last.unwrap_or_else(|| fail(IdTokenCheck::Key, "no key verified it")))
}

/// The header's `alg` (an accepted one) and `kid`.
fn header(token: &str) -> Result<(Algorithm, Option<String>), ProviderError> {
    use base64::Engine as _;
    let mut parts = token.split('.');
    let (Some(head), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(fail(
            IdTokenCheck::Format,
            "it is not a signed JWT (three dot-separated parts)",
        ));
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(head.trim_end_matches('='))
        .ok()
        .and_then(|b| serde_json::from_slice::<Map<String, Value>>(&b).ok())
        .ok_or_else(|| fail(IdTokenCheck::Format, "its header is not base64url JSON"))?;
    let alg = raw.get("alg").and_then(Value::as_str).unwrap_or("none");
    let alg = ALGORITHMS
        .into_iter()
        .find(|a| format!("{a:?}") == alg)
        .ok_or_else(|| {
            fail(
                IdTokenCheck::Algorithm,
                format!(
                    "{:?} is not an accepted signature algorithm",
                    alg.chars().take(20).collect::<String>()
                ),
            )
        })?;
    let kid = raw.get("kid").and_then(Value::as_str).map(str::to_owned);
    Ok((alg, kid))
}

/// Whether `jwk` may verify a token signed with `alg`.
fn fits(jwk: &Jwk, alg: Algorithm) -> bool {
    use jsonwebtoken::jwk::{AlgorithmParameters, PublicKeyUse};
    if matches!(&jwk.common.public_key_use, Some(u) if *u != PublicKeyUse::Signature) {
        return false;
    }
    if let Some(key_alg) = jwk.common.key_algorithm
        && !same_alg(key_alg, alg)
    {
        return false;
    }
    match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => matches!(
            alg,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
        ),
        AlgorithmParameters::EllipticCurve(_) => {
            matches!(alg, Algorithm::ES256 | Algorithm::ES384)
        }
        AlgorithmParameters::OctetKeyPair(_) => alg == Algorithm::EdDSA,
        _ => false,
    }
}

fn same_alg(key: KeyAlgorithm, alg: Algorithm) -> bool {
    format!("{key:?}") == format!("{alg:?}")
}

fn check_claims(
    flow: &Flow<'_>,
    claims: Map<String, Value>,
    expect: &Expect<'_>,
) -> Result<Map<String, Value>, ProviderError> {
    let iss = claims.get("iss").and_then(Value::as_str);
    if iss != Some(expect.issuer) {
        return Err(fail(
            IdTokenCheck::Issuer,
            format!(
                "it was issued by {} instead of {}",
                iss.map_or_else(
                    || "no one".to_owned(),
                    |i| format!("{:?}", i.chars().take(200).collect::<String>())
                ),
                expect.issuer
            ),
        ));
    }
    let has_aud = match claims.get("aud") {
        Some(Value::String(a)) => a == expect.audience,
        Some(Value::Array(all)) => all.iter().any(|a| a.as_str() == Some(expect.audience)),
        _ => false,
    };
    if !has_aud {
        return Err(fail(
            IdTokenCheck::Audience,
            format!(
                "it is not meant for {} (its aud does not name it)",
                expect.audience
            ),
        ));
    }
    let now = expect.server_time.unwrap_or_else(|| flow.now()).as_secs();
    let leeway = i64::try_from(LEEWAY.as_secs()).unwrap_or(60);
    let number = |k: &str| claims.get(k).and_then(Value::as_i64);
    match number("exp") {
        Some(exp) if exp + leeway >= now => {}
        Some(_) => return Err(fail(IdTokenCheck::Expiry, "it has expired")),
        None => return Err(fail(IdTokenCheck::Expiry, "it has no exp")),
    }
    match number("iat") {
        Some(iat) if iat - leeway <= now => {}
        Some(_) => {
            return Err(fail(
                IdTokenCheck::IssuedAt,
                "it was issued in the future (check this computer's clock)",
            ));
        }
        None => return Err(fail(IdTokenCheck::IssuedAt, "it has no iat")),
    }
    if let Some(subject) = expect.subject
        && claims.get("sub").and_then(Value::as_str) != Some(subject)
    {
        return Err(fail(
            IdTokenCheck::Subject,
            "it names another person than the session's earlier ID token (log in again)",
        ));
    }
    if let Some(nonce) = expect.nonce {
        let got = claims.get("nonce").and_then(Value::as_str);
        if !got.is_some_and(|g| constant_time_eq(g.as_bytes(), nonce.expose().as_bytes())) {
            return Err(fail(
                IdTokenCheck::Nonce,
                "its nonce is not the one this login sent (a replayed or injected sign-in?)",
            ));
        }
    }
    Ok(claims)
}

/// Reads a JWK set: every key the crate understands; others (and a uuApp `uuAppErrorMap`
/// beside `keys`) are skipped.
pub(crate) fn parse_jwks(obj: &Map<String, Value>) -> Vec<Jwk> {
    obj.get("keys")
        .and_then(Value::as_array)
        .map(|keys| {
            keys.iter()
                .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
                .filter(Jwk::is_supported)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    use super::*;
    use crate::connection::{ConnectionName, ConnectionSpec, ProviderKind};
    use crate::provider::DiscoveryCache;
    use crate::secret::Credentials;
    use crate::time::Clock;

    const ISSUER: &str = "https://id.example";
    const NOW: i64 = 1_800_000_000;

    struct Fixed(i64);
    impl Clock for Fixed {
        fn now(&self) -> Timestamp {
            Timestamp::from_secs(self.0)
        }
    }

    fn rsa() -> EncodingKey {
        EncodingKey::from_rsa_pem(include_bytes!("testdata/rsa.pem")).unwrap()
    }
    fn ec() -> EncodingKey {
        EncodingKey::from_ec_pem(include_bytes!("testdata/ec.pem")).unwrap()
    }
    fn jwk(key: &EncodingKey, alg: Algorithm, kid: &str) -> Value {
        let mut jwk = Jwk::from_encoding_key(key, alg).unwrap();
        jwk.common.key_id = Some(kid.into());
        serde_json::to_value(jwk).unwrap()
    }

    /// A JWKS server whose keys can change; counts fetches.
    async fn jwks_server(keys: Vec<Value>) -> (Url, Arc<Mutex<Vec<Value>>>, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let set = Arc::new(Mutex::new(keys));
        let (h, s) = (hits.clone(), set.clone());
        let app = axum::Router::new().fallback(move || {
            h.fetch_add(1, Ordering::SeqCst);
            let body = json!({"keys": *s.lock().unwrap()}).to_string();
            async move { ([("content-type", "application/json")], body) }
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        (
            Url::parse(&format!("http://{addr}/jwks")).unwrap(),
            set,
            hits,
        )
    }

    fn claims() -> Map<String, Value> {
        json!({"iss": ISSUER, "aud": ["other", "client-1"], "sub": "u1", "exp": NOW + 600, "iat": NOW, "nonce": "n-1"})
            .as_object()
            .unwrap()
            .clone()
    }

    fn sign(claims: &Map<String, Value>, key: &EncodingKey, alg: Algorithm, kid: &str) -> String {
        let mut header = Header::new(alg);
        header.kid = Some(kid.into());
        jsonwebtoken::encode(&header, claims, key).unwrap()
    }

    struct Env {
        spec: ConnectionSpec,
        credentials: Credentials,
        http: reqwest::Client,
        cache: DiscoveryCache,
        clock: Fixed,
        server_time: Option<Timestamp>,
    }

    impl Env {
        fn new() -> Self {
            let spec =
                ConnectionSpec::new(ConnectionName::new("idt").unwrap(), ProviderKind::Oauth2);
            let http = crate::provider::http::client_for(&spec, Duration::from_secs(5)).unwrap();
            Self {
                spec,
                credentials: Credentials::new(),
                http,
                cache: DiscoveryCache::default(),
                clock: Fixed(NOW),
                server_time: None,
            }
        }

        async fn check(
            &self,
            token: &str,
            jwks: &Url,
            nonce: Option<&str>,
        ) -> Result<Map<String, Value>, ProviderError> {
            self.check_as(token, jwks, nonce, None).await
        }

        async fn check_as(
            &self,
            token: &str,
            jwks: &Url,
            nonce: Option<&str>,
            subject: Option<&str>,
        ) -> Result<Map<String, Value>, ProviderError> {
            let flow = Flow::new(
                &self.spec,
                &self.credentials,
                &self.http,
                &self.clock,
                &self.cache,
            );
            let nonce = nonce.map(Secret::new);
            validate(
                &flow,
                token,
                &Expect {
                    issuer: ISSUER,
                    audience: "client-1",
                    jwks_uri: jwks,
                    nonce: nonce.as_ref(),
                    server_time: self.server_time,
                    subject,
                },
            )
            .await
        }
    }

    fn check_of(r: Result<Map<String, Value>, ProviderError>) -> IdTokenCheck {
        match r {
            Err(ProviderError::IdToken { check, .. }) => check,
            other => panic!("expected an ID token failure, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_signed_token_with_the_right_claims_passes_and_keys_are_cached() {
        let (jwks, _, hits) = jwks_server(vec![
            jwk(&rsa(), Algorithm::RS256, "r1"),
            jwk(&ec(), Algorithm::ES256, "e1"),
        ])
        .await;
        let env = Env::new();
        let rs = sign(&claims(), &rsa(), Algorithm::RS256, "r1");
        let got = env.check(&rs, &jwks, Some("n-1")).await.unwrap();
        assert_eq!(got.get("sub"), Some(&json!("u1")));
        let es = sign(&claims(), &ec(), Algorithm::ES256, "e1");
        env.check(&es, &jwks, None).await.unwrap();
        let ps = sign(&claims(), &rsa(), Algorithm::PS256, "r1");
        assert_eq!(
            check_of(env.check(&ps, &jwks, None).await),
            IdTokenCheck::Key,
            "a key published for RS256 does not verify PS256"
        );
        assert_eq!(
            hits.load(Ordering::SeqCst),
            1,
            "the key set is fetched once"
        );
    }

    #[tokio::test]
    #[allow(clippy::too_many_lines, reason = "one table of cases")]
    async fn each_failed_check_is_named() {
        let (jwks, _, _) = jwks_server(vec![jwk(&rsa(), Algorithm::RS256, "r1")]).await;
        let env = Env::new();
        let with = |f: &dyn Fn(&mut Map<String, Value>)| {
            let mut c = claims();
            f(&mut c);
            sign(&c, &rsa(), Algorithm::RS256, "r1")
        };
        let good = with(&|_| {});
        // A changed payload under the original signature.
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        let mut forged = claims();
        forged.insert("sub".into(), json!("admin"));
        parts[1] = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            serde_json::to_vec(&forged).unwrap(),
        );
        let tampered = parts.join(".");
        let none = format!(
            "{}.{}.",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                br#"{"alg":"none"}"#
            ),
            parts[1]
        );
        let hs = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims(),
            &EncodingKey::from_secret(b"client-secret").unwrap(),
        )
        .unwrap();
        let cases: Vec<(String, Option<&str>, IdTokenCheck)> = vec![
            (tampered, None, IdTokenCheck::Signature),
            (none, None, IdTokenCheck::Algorithm),
            (hs, None, IdTokenCheck::Algorithm),
            ("not-a-jwt".into(), None, IdTokenCheck::Format),
            (
                with(&|c| {
                    c.insert("iss".into(), json!("https://evil.example"));
                }),
                None,
                IdTokenCheck::Issuer,
            ),
            (
                with(&|c| {
                    c.remove("iss");
                }),
                None,
                IdTokenCheck::Issuer,
            ),
            (
                with(&|c| {
                    c.insert("aud".into(), json!("other"));
                }),
                None,
                IdTokenCheck::Audience,
            ),
            (
                with(&|c| {
                    c.insert("exp".into(), json!(NOW - 61));
                }),
                None,
                IdTokenCheck::Expiry,
            ),
            (
                with(&|c| {
                    c.remove("exp");
                }),
                None,
                IdTokenCheck::Expiry,
            ),
            (
                with(&|c| {
                    c.insert("iat".into(), json!(NOW + 61));
                }),
                None,
                IdTokenCheck::IssuedAt,
            ),
            (good.clone(), Some("n-2"), IdTokenCheck::Nonce),
            (
                with(&|c| {
                    c.remove("nonce");
                }),
                Some("n-1"),
                IdTokenCheck::Nonce,
            ),
        ];
        for (token, nonce, expected) in cases {
            let r = env.check(&token, &jwks, nonce).await;
            if let Err(e) = &r {
                assert!(
                    e.to_string()
                        .contains(&format!("its {expected} check failed")),
                    "{e}"
                );
            }
            assert_eq!(check_of(r), expected);
        }
        // Within the leeway on both sides.
        let late = with(&|c| {
            c.insert("exp".into(), json!(NOW - 59));
            c.insert("iat".into(), json!(NOW + 59));
        });
        env.check(&late, &jwks, None).await.unwrap();
        // Against the issuer's clock when it said what time it was, else the engine's.
        let mut skewed = Env::new();
        skewed.clock = Fixed(NOW + 3600);
        assert_eq!(
            check_of(skewed.check(&good, &jwks, None).await),
            IdTokenCheck::Expiry
        );
        skewed.server_time = Some(Timestamp::from_secs(NOW + 10));
        skewed.check(&good, &jwks, None).await.unwrap();
        let e = env.check(&good, &jwks, Some("n-2")).await.unwrap_err();
        assert_eq!(e.class(), crate::provider::FailureClass::Config);
        assert!(
            !e.to_string().contains("n-1") && !e.to_string().contains("n-2"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_refreshed_id_token_must_name_the_same_person() {
        let (jwks, _, _) = jwks_server(vec![jwk(&rsa(), Algorithm::RS256, "r1")]).await;
        let env = Env::new();
        let token = sign(&claims(), &rsa(), Algorithm::RS256, "r1");
        env.check_as(&token, &jwks, None, Some("u1")).await.unwrap();
        let e = env
            .check_as(&token, &jwks, None, Some("u0"))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("its sub check failed"), "{e}");
        assert_eq!(check_of(Err(e)), IdTokenCheck::Subject);
        let mut anonymous = claims();
        anonymous.remove("sub");
        let token = sign(&anonymous, &rsa(), Algorithm::RS256, "r1");
        assert_eq!(
            check_of(env.check_as(&token, &jwks, None, Some("u1")).await),
            IdTokenCheck::Subject,
            "a refreshed ID token without sub does not pass either"
        );
    }

    #[tokio::test]
    async fn an_unknown_kid_fetches_the_key_set_again_once() {
        let (jwks, set, hits) = jwks_server(vec![jwk(&ec(), Algorithm::ES256, "old")]).await;
        let env = Env::new();
        let old = sign(&claims(), &ec(), Algorithm::ES256, "old");
        env.check(&old, &jwks, None).await.unwrap();
        // The issuer rotates to a new key: the cached set lacks it, one fetch finds it.
        *set.lock().unwrap() = vec![jwk(&rsa(), Algorithm::RS256, "new")];
        let new = sign(&claims(), &rsa(), Algorithm::RS256, "new");
        env.check(&new, &jwks, None).await.unwrap();
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        env.check(&new, &jwks, None).await.unwrap();
        assert_eq!(hits.load(Ordering::SeqCst), 2, "the new set is cached");
        // A kid no set holds: one more fetch, then refused.
        let stranger = sign(&claims(), &rsa(), Algorithm::RS256, "stranger");
        assert_eq!(
            check_of(env.check(&stranger, &jwks, None).await),
            IdTokenCheck::Key
        );
        assert_eq!(hits.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_uuapp_key_set_with_unknown_keys_keeps_the_usable_ones() {
        let doc = json!({"uuAppErrorMap": {}, "keys": [
            jwk(&rsa(), Algorithm::RS256, "a"),
            {"kty": "weird", "kid": "b"},
            {"kid": "c"},
        ]});
        let keys = parse_jwks(doc.as_object().unwrap());
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].common.key_id.as_deref(), Some("a"));
    }
}
