//! OpenID Connect Discovery and RFC 8414 metadata: from an issuer to its endpoints. The
//! returned `issuer` must be the one asked for (mix-up defence), and every endpoint must be
//! https (or loopback).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jsonwebtoken::jwk::Jwk;
use serde_json::{Map, Value};
use url::Url;

use crate::fields::{Common, check_url_with};
use crate::provider::ProviderError;
use crate::provider::http;
use crate::provider::response::text;

/// The endpoints an issuer publishes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: Option<Url>,
    pub token_endpoint: Option<Url>,
    pub device_authorization_endpoint: Option<Url>,
    pub revocation_endpoint: Option<Url>,
    pub userinfo_endpoint: Option<Url>,
    /// Where the issuer publishes the keys its ID tokens are signed with.
    pub jwks_uri: Option<Url>,
    pub code_challenge_methods: Vec<String>,
    /// `authorization_response_iss_parameter_supported` (RFC 9207).
    pub iss_parameter_supported: bool,
}

/// Discovery results shared by the connections of one engine that reach an issuer the same
/// way: keyed by the issuer and by what decides whom the client trusts and goes through
/// (`ca_file`, `insecure_skip_verify`, `proxy`), so that metadata fetched through one
/// connection's proxy or trust setup is never used by a connection with another.
///
/// The issuers' key sets (JWKS) are kept the same way, keyed by their URL.
#[derive(Default)]
pub(crate) struct DiscoveryCache {
    entries: Mutex<HashMap<CacheKey, Arc<Metadata>>>,
    jwks: Mutex<HashMap<CacheKey, Arc<Vec<Jwk>>>>,
}

/// What discovery results are kept under.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct CacheKey {
    issuer: String,
    ca_file: Option<String>,
    insecure_skip_verify: bool,
    proxy: Option<String>,
    /// `allow_http`: plain http endpoints are accepted only for connections that allow them.
    allow_http: bool,
}

impl CacheKey {
    fn of(common: &Common, issuer: &str) -> Self {
        Self {
            issuer: issuer.to_owned(),
            ca_file: common.ca_file.clone(),
            insecure_skip_verify: common.insecure_skip_verify,
            proxy: common.proxy.clone(),
            allow_http: common.allow_http,
        }
    }
}

impl DiscoveryCache {
    /// The metadata of `issuer` as a connection's client (`http`, built from `common`)
    /// reaches it, fetched once per engine and trust setup.
    pub(crate) async fn get(
        &self,
        common: &Common,
        http: &reqwest::Client,
        issuer: &str,
    ) -> Result<Arc<Metadata>, ProviderError> {
        let key = CacheKey::of(common, issuer);
        if let Some(m) = self.entries.lock().expect("discovery lock").get(&key) {
            return Ok(m.clone());
        }
        let meta = Arc::new(fetch(http, issuer, key.allow_http).await?);
        self.entries
            .lock()
            .expect("discovery lock")
            .insert(key, meta.clone());
        Ok(meta)
    }

    /// The keys published at `url` (a JWKS), as a connection's client reaches it: fetched once per
    /// engine and trust setup, and again when `refresh` (a token named a key not in the set).
    pub(crate) async fn jwks(
        &self,
        common: &Common,
        http: &reqwest::Client,
        url: &Url,
        refresh: bool,
    ) -> Result<Arc<Vec<Jwk>>, ProviderError> {
        let key = CacheKey::of(common, url.as_str());
        if !refresh && let Some(k) = self.jwks.lock().expect("jwks lock").get(&key) {
            return Ok(k.clone());
        }
        let reply = http::send(http.get(url.clone()), url).await?;
        let obj = reply.json_object()?;
        if !reply.ok() {
            return Err(ProviderError::Status {
                status: reply.status,
            });
        }
        let keys = Arc::new(crate::provider::idtoken::parse_jwks(&obj));
        self.jwks
            .lock()
            .expect("jwks lock")
            .insert(key, keys.clone());
        Ok(keys)
    }
}

fn fail(issuer: &str, reason: impl Into<String>, transient: bool) -> ProviderError {
    ProviderError::Discovery {
        issuer: issuer.to_owned(),
        reason: reason.into(),
        transient,
    }
}

/// The two places metadata may live: OIDC's suffix, then RFC 8414's inserted path.
fn candidate_urls(issuer: &Url) -> Vec<Url> {
    let mut out = Vec::new();
    let trimmed = issuer.as_str().trim_end_matches('/');
    if let Ok(u) = Url::parse(&format!("{trimmed}/.well-known/openid-configuration")) {
        out.push(u);
    }
    let mut rfc = issuer.clone();
    let path = issuer.path().trim_end_matches('/');
    rfc.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    out.push(rfc);
    out
}

async fn fetch(
    http: &reqwest::Client,
    issuer: &str,
    allow_http: bool,
) -> Result<Metadata, ProviderError> {
    let issuer_url =
        check_url_with("issuer", issuer, allow_http).map_err(|e| fail(issuer, e.reason, false))?;
    let mut last = None;
    for url in candidate_urls(&issuer_url) {
        let reply = match http::send(http.get(url.clone()), &url).await {
            Ok(r) => r,
            // A refused certificate is the same at every location: say it as it is.
            Err(e @ ProviderError::Certificate(_)) => return Err(e),
            Err(e) => {
                let transient = e.is_transient();
                last = Some(fail(issuer, e.to_string(), transient));
                continue;
            }
        };
        if reply.status == 404 {
            last = Some(fail(
                issuer,
                "no metadata document was found (HTTP 404 at both well-known locations)",
                false,
            ));
            continue;
        }
        let obj = reply
            .json_object()
            .map_err(|e| fail(issuer, e.to_string(), e.is_transient()))?;
        if !reply.ok() {
            return Err(fail(
                issuer,
                format!("HTTP {}", reply.status),
                reply.status >= 500,
            ));
        }
        return parse(issuer, &obj, allow_http);
    }
    Err(last.unwrap_or_else(|| fail(issuer, "no metadata location", false)))
}

fn parse(
    issuer: &str,
    obj: &Map<String, Value>,
    allow_http: bool,
) -> Result<Metadata, ProviderError> {
    let said =
        text(obj, "issuer").ok_or_else(|| fail(issuer, "the metadata has no issuer", false))?;
    if said != issuer && said.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err(fail(
            issuer,
            format!(
                "the metadata names a different issuer ({said}); refusing it (possible mix-up attack or a wrong issuer URL)"
            ),
            false,
        ));
    }
    let endpoint = |key: &'static str| -> Result<Option<Url>, ProviderError> {
        match text(obj, key) {
            None => Ok(None),
            Some(raw) => check_url_with(key, &raw, allow_http)
                .map(Some)
                .map_err(|e| fail(issuer, e.to_string(), false)),
        }
    };
    let methods = obj
        .get("code_challenge_methods_supported")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Ok(Metadata {
        issuer: said,
        authorization_endpoint: endpoint("authorization_endpoint")?,
        token_endpoint: endpoint("token_endpoint")?,
        device_authorization_endpoint: endpoint("device_authorization_endpoint")?,
        revocation_endpoint: endpoint("revocation_endpoint")?,
        userinfo_endpoint: endpoint("userinfo_endpoint")?,
        jwks_uri: endpoint("jwks_uri")?,
        code_challenge_methods: methods,
        iss_parameter_supported: obj
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::connection::{ConnectionName, ConnectionSpec, ProviderKind, Value as Setting};

    /// A server answering every request with `body(its own address)`; counts what it gets.
    async fn server(
        body: impl Fn(std::net::SocketAddr) -> Value + Send + 'static,
    ) -> (String, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let (counted, doc) = (hits.clone(), body(addr).to_string());
        let app = axum::Router::new().fallback(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            let doc = doc.clone();
            async move { ([("content-type", "application/json")], doc) }
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}"), hits)
    }

    fn spec(name: &str, settings: &[(&str, Setting)]) -> ConnectionSpec {
        let mut spec =
            ConnectionSpec::new(ConnectionName::new(name).unwrap(), ProviderKind::Oauth2);
        for (field, value) in settings {
            spec.settings.insert(*field, value.clone());
        }
        spec
    }

    #[tokio::test]
    async fn metadata_is_kept_per_issuer_and_trust_setup() {
        let (issuer, direct) = server(|addr| {
            serde_json::json!({"issuer": format!("http://{addr}"), "token_endpoint": format!("http://{addr}/token")})
        })
        .await;
        let doc_issuer = issuer.clone();
        let (proxy, proxied) = server(move |addr| {
            serde_json::json!({"issuer": doc_issuer, "token_endpoint": format!("http://{addr}/through-the-proxy")})
        })
        .await;
        let cache = DiscoveryCache::default();
        let get = |spec: ConnectionSpec| {
            let (cache, issuer) = (&cache, issuer.clone());
            async move {
                let http =
                    crate::provider::http::client_for(&spec, std::time::Duration::from_secs(5))
                        .unwrap();
                let meta = cache
                    .get(&spec.typed().common, &http, &issuer)
                    .await
                    .unwrap();
                meta.token_endpoint.clone().unwrap().to_string()
            }
        };

        let plain = spec("plain", &[]);
        assert_eq!(get(plain.clone()).await, format!("{issuer}/token"));
        assert_eq!(direct.load(Ordering::SeqCst), 1);

        // Same issuer, another proxy: fetched through that proxy, not taken from the cache.
        let via_proxy = spec("via-proxy", &[("proxy", Setting::Text(proxy.clone()))]);
        assert_eq!(
            get(via_proxy.clone()).await,
            format!("{proxy}/through-the-proxy")
        );
        assert_eq!(proxied.load(Ordering::SeqCst), 1);

        // Same issuer, another trust setup: fetched again.
        let unverified = spec(
            "unverified",
            &[("insecure_skip_verify", Setting::Bool(true))],
        );
        get(unverified.clone()).await;
        assert_eq!(direct.load(Ordering::SeqCst), 2);

        // Each is kept for its own setup (another connection with the same one shares it).
        assert_eq!(get(spec("plain-too", &[])).await, format!("{issuer}/token"));
        assert_eq!(get(via_proxy).await, format!("{proxy}/through-the-proxy"));
        get(unverified).await;
        assert_eq!(
            (
                direct.load(Ordering::SeqCst),
                proxied.load(Ordering::SeqCst)
            ),
            (2, 1)
        );
    }

    #[test]
    fn rfc8414_inserts_the_well_known_path_between_host_and_issuer_path() {
        let urls = candidate_urls(&Url::parse("https://host/tenant").unwrap());
        assert_eq!(
            urls[0].as_str(),
            "https://host/tenant/.well-known/openid-configuration"
        );
        assert_eq!(
            urls[1].as_str(),
            "https://host/.well-known/oauth-authorization-server/tenant"
        );
    }

    #[test]
    fn a_different_issuer_or_an_http_endpoint_is_refused() {
        let doc = |iss: &str, token: &str| {
            serde_json::json!({"issuer": iss, "token_endpoint": token})
                .as_object()
                .unwrap()
                .clone()
        };
        assert!(
            parse(
                "https://a.example",
                &doc("https://a.example", "https://a.example/token"),
                false
            )
            .is_ok()
        );
        assert!(
            parse(
                "https://a.example",
                &doc("https://a.example/", "https://a.example/token"),
                false
            )
            .is_ok()
        );
        let e = parse(
            "https://a.example",
            &doc("https://evil.example", "https://a.example/token"),
            false,
        )
        .unwrap_err();
        assert!(e.to_string().contains("different issuer"), "{e}");
        assert!(
            parse(
                "https://a.example",
                &doc("https://a.example", "http://a.example/token"),
                false
            )
            .is_err()
        );
        assert!(
            parse(
                "http://gis.internal",
                &doc("http://gis.internal", "http://gis.internal/token"),
                true
            )
            .is_ok(),
            "plain http endpoints with allow_http"
        );
    }
}
