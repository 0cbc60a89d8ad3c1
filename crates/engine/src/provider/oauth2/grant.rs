//! The standard grants at the token endpoint, built by the `oauth2` crate: client credentials,
//! password, refresh token and the authorization code with its PKCE verifier. The crate writes
//! the form (grant parameters, `scope`, client authentication as RFC 6749 §2.3.1 has it: basic
//! with form-urlencoded ID and secret, or both in the body, or the ID alone for a public client,
//! and the extra parameters) and the request goes out through the connection's own client
//! (`provider/http.rs`: its CA file, proxy, timeouts, no redirects).
//!
//! The answer is read by our tolerant reader (`response.rs`), not by the crate's typed
//! response: the services we serve break its strict types (numbers as strings, errors with HTTP
//! 200, Keycloak's `refresh_expires_in`), and its errors drop the HTTP status, `Retry-After`
//! and `Date` that failure classes, backoff and the ID token's clock check need. So the client
//! handed to the crate keeps the raw reply, and the crate's own reading of it is not used.
//!
//! Written by hand instead: the device flow (the crate only polls in a loop of its own, where
//! the engine polls on its clock and can be cancelled) and revocation (the crate refuses a
//! revocation endpoint on plain http, which loopback services and `allow_http` use).

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use oauth2::basic::{BasicClient, BasicErrorResponse};
use oauth2::{
    AsyncHttpClient, AuthType, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet,
    EndpointSet, HttpRequest, HttpResponse, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, ResourceOwnerPassword, ResourceOwnerUsername, Scope, TokenUrl,
};
use url::Url;

use super::ClientAuth;
use crate::fields::OAuthSettings;
use crate::provider::http::{self, Reply};
use crate::provider::{Flow, ProviderError, response};
use crate::secret::Secret;
use crate::time::Timestamp;
use crate::token::TokenSet;

/// One grant's own parameters.
pub(super) enum TokenGrant<'a> {
    /// `client_credentials`, with the connection's `scope` and `audience`.
    ClientCredentials,
    /// `password`, with the connection's `scope` and `audience`, and a one-time code when the
    /// person typed one (Keycloak's `totp`).
    Password {
        username: &'a str,
        password: &'a Secret,
        totp: Option<&'a Secret>,
    },
    /// `refresh_token`: no `scope`, so the granted one is kept (RFC 6749 §6).
    Refresh(&'a Secret),
    /// `authorization_code`, redeemed with the redirect URI the login used, exactly as sent.
    Code {
        code: &'a Secret,
        verifier: Option<&'a Secret>,
        redirect_uri: &'a str,
    },
}

/// The HTTP client handed to the crate: the connection's own, keeping the raw reply.
struct Keeping<'a> {
    http: &'a reqwest::Client,
    url: &'a Url,
    kept: Mutex<Option<Reply>>,
}

impl Keeping<'_> {
    /// Sends `request` (built by the crate) and keeps the reply.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, ProviderError> {
        let request = reqwest::Request::try_from(request).map_err(|e| ProviderError::Config {
            field: "token_url",
            reason: format!("could not make the token request: {e}"),
        })?;
        let reply = http::send(
            reqwest::RequestBuilder::from_parts(self.http.clone(), request),
            self.url,
        )
        .await?;
        let mut answer = HttpResponse::default();
        *answer.status_mut() =
            reqwest::StatusCode::from_u16(reply.status).unwrap_or(reqwest::StatusCode::BAD_GATEWAY);
        answer.headers_mut().insert(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        answer.body_mut().clone_from(&reply.body);
        *self.kept.lock().expect("reply lock") = Some(reply);
        Ok(answer)
    }
}

impl<'c> AsyncHttpClient<'c> for Keeping<'_> {
    type Error = ProviderError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, ProviderError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

/// The crate's client for one token endpoint.
type TokenClient =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// POSTs `grant` to the token endpoint `url` with the client authentication `auth` and the
/// connection's extra parameters, and reads the answer; with it, the token endpoint's clock
/// when it answered (its `Date` header).
pub(super) async fn exchange(
    s: &OAuthSettings,
    flow: &Flow<'_>,
    url: &Url,
    auth: &ClientAuth<'_>,
    grant: TokenGrant<'_>,
) -> Result<(TokenSet, Option<Timestamp>), ProviderError> {
    let (id, secret, auth_type) = match auth {
        ClientAuth::Basic { id, secret } => (id, Some(*secret), AuthType::BasicAuth),
        ClientAuth::Post { id, secret } => (id, Some(*secret), AuthType::RequestBody),
        ClientAuth::None { id } => (id, None, AuthType::RequestBody),
    };
    let mut client = BasicClient::new(ClientId::new(id.clone()))
        .set_auth_type(auth_type)
        .set_token_uri(TokenUrl::from_url(url.clone()));
    if let Some(secret) = secret {
        client = client.set_client_secret(ClientSecret::new(secret.expose().to_owned()));
    }
    let http_client = Keeping {
        http: flow.http,
        url,
        kept: Mutex::new(None),
    };
    // The crate's reading of the answer is not used (see above); a request that never got one
    // failed with our own error.
    if let Err(RequestTokenError::Request(e)) = send(s, &client, &http_client, grant).await {
        return Err(e);
    }
    let reply = http_client
        .kept
        .into_inner()
        .expect("reply lock")
        .ok_or_else(|| ProviderError::Garbage {
            status: 0,
            detail: "the token request was not sent".into(),
        })?;
    response::token_set(&reply, flow.now()).map(|set| (set, reply.server_time()))
}

/// Has the crate write `grant` and send it through `http_client`.
async fn send(
    s: &OAuthSettings,
    client: &TokenClient,
    http_client: &Keeping<'_>,
    grant: TokenGrant<'_>,
) -> Result<(), RequestTokenError<ProviderError, BasicErrorResponse>> {
    let extra = s.params.iter().map(|(k, v)| (k.clone(), v.clone()));
    // A new grant (not a refresh, not a code) asks for the scope and audience (a Keycloak
    // realm is sent none, protocols.md §5.2).
    let scope = s.scope.clone().filter(|_| !s.keycloak).map(Scope::new);
    let audience = s
        .audience
        .clone()
        .filter(|_| !s.keycloak)
        .map(|a| ("audience".to_owned(), a));
    match grant {
        TokenGrant::ClientCredentials => {
            let mut req = client.exchange_client_credentials().add_scopes(scope);
            for (k, v) in audience.into_iter().chain(extra) {
                req = req.add_extra_param(k, v);
            }
            req.request_async(http_client).await.map(drop)
        }
        TokenGrant::Password {
            username,
            password,
            totp,
        } => {
            let username = ResourceOwnerUsername::new(username.to_owned());
            let password = ResourceOwnerPassword::new(password.expose().to_owned());
            let mut req = client
                .exchange_password(&username, &password)
                .add_scopes(scope);
            let totp = totp.map(|t| ("totp".to_owned(), t.expose().to_owned()));
            for (k, v) in totp.into_iter().chain(audience).chain(extra) {
                req = req.add_extra_param(k, v);
            }
            req.request_async(http_client).await.map(drop)
        }
        TokenGrant::Refresh(rt) => {
            let rt = RefreshToken::new(rt.expose().to_owned());
            let mut req = client.exchange_refresh_token(&rt);
            for (k, v) in extra {
                req = req.add_extra_param(k, v);
            }
            req.request_async(http_client).await.map(drop)
        }
        TokenGrant::Code {
            code,
            verifier,
            redirect_uri,
        } => {
            let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| {
                RequestTokenError::Request(ProviderError::Config {
                    field: "redirect_uri",
                    reason: format!("{redirect_uri} is not a valid URL: {e}"),
                })
            })?;
            let mut req = client
                .exchange_code(AuthorizationCode::new(code.expose().to_owned()))
                .set_redirect_uri(Cow::Owned(redirect));
            if let Some(v) = verifier {
                req = req.set_pkce_verifier(PkceCodeVerifier::new(v.expose().to_owned()));
            }
            for (k, v) in extra {
                req = req.add_extra_param(k, v);
            }
            req.request_async(http_client).await.map(drop)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::connection::{ConnectionName, ConnectionSpec, ProviderKind, Value as Setting};
    use crate::provider::{DiscoveryCache, FailureClass};
    use crate::secret::Credentials;
    use crate::time::SystemClock;

    /// What the token endpoint got: the `Authorization` header and the form, decoded.
    type Seen = Arc<Mutex<Vec<(Option<String>, Vec<(String, String)>)>>>;

    /// A token endpoint answering `status` with `body`, keeping what it is sent.
    async fn endpoint(status: u16, body: &'static str) -> (Url, Seen) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen: Seen = Arc::default();
        let keep = seen.clone();
        let app =
            axum::Router::new().fallback(move |headers: axum::http::HeaderMap, form: String| {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let pairs = url::form_urlencoded::parse(form.as_bytes())
                    .into_owned()
                    .collect();
                keep.lock().unwrap().push((auth, pairs));
                async move {
                    (
                        axum::http::StatusCode::from_u16(status).unwrap(),
                        [("content-type", "application/json")],
                        body,
                    )
                }
            });
        tokio::spawn(async move { axum::serve(listener, app).await });
        (Url::parse(&format!("http://{addr}/token")).unwrap(), seen)
    }

    fn settings(pairs: &[(&str, &str)]) -> ConnectionSpec {
        let mut spec = ConnectionSpec::new(ConnectionName::new("c").unwrap(), ProviderKind::Oauth2);
        for (k, v) in pairs {
            spec.settings.insert(*k, Setting::Text((*v).into()));
        }
        spec
    }

    /// Runs `grant` for `spec` with `auth` against `url`.
    async fn run(
        spec: &ConnectionSpec,
        url: &Url,
        auth: &ClientAuth<'_>,
        grant: TokenGrant<'_>,
    ) -> Result<(TokenSet, Option<Timestamp>), ProviderError> {
        let credentials = Credentials::new();
        let http = reqwest::Client::builder().build().unwrap();
        let discovery = DiscoveryCache::default();
        let flow = Flow::new(spec, &credentials, &http, &SystemClock, &discovery);
        let crate::fields::KindSettings::Oauth2(s) = &flow.settings.kind else {
            panic!("oauth2 settings")
        };
        exchange(s, &flow, url, auth, grant).await
    }

    fn value<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
        form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    const TOKEN: &str = r#"{"access_token":"at-1","token_type":"Bearer","expires_in":"3600"}"#;

    #[tokio::test]
    async fn the_crate_writes_each_grant_as_the_services_expect() {
        let (url, seen) = endpoint(200, TOKEN).await;
        let spec = settings(&[
            ("client_id", "c"),
            ("scope", "openid api"),
            ("audience", "https://api.example"),
        ]);
        let secret = Secret::new("s:é/1");
        let basic = ClientAuth::Basic {
            id: "my client".into(),
            secret: &secret,
        };
        let (set, _) = run(&spec, &url, &basic, TokenGrant::ClientCredentials)
            .await
            .unwrap();
        assert_eq!(set.access_token.expose(), "at-1");
        assert!(
            set.expires_at.is_some(),
            "expires_in as a string is read by our own reader"
        );
        let post = ClientAuth::Post {
            id: "c".into(),
            secret: &secret,
        };
        let rt = Secret::new("rt-1");
        run(&spec, &url, &post, TokenGrant::Refresh(&rt))
            .await
            .unwrap();
        let public = ClientAuth::None { id: "c".into() };
        let code = Secret::new("code-1");
        let verifier = Secret::new("v".repeat(43));
        let grant = TokenGrant::Code {
            code: &code,
            verifier: Some(&verifier),
            redirect_uri: "http://localhost:8080",
        };
        run(&spec, &url, &public, grant).await.unwrap();

        let seen = seen.lock().unwrap().clone();
        let (auth, form) = &seen[0];
        // RFC 6749 §2.3.1: ID and secret form-urlencoded, then base64.
        let b64 = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "my+client:s%3A%C3%A9%2F1",
        );
        assert_eq!(auth.as_deref(), Some(format!("Basic {b64}").as_str()));
        assert_eq!(value(form, "grant_type"), Some("client_credentials"));
        assert_eq!(value(form, "scope"), Some("openid api"));
        assert_eq!(value(form, "audience"), Some("https://api.example"));
        assert_eq!(value(form, "client_secret"), None);

        let (auth, form) = &seen[1];
        assert_eq!(auth, &None);
        assert_eq!(value(form, "grant_type"), Some("refresh_token"));
        assert_eq!(value(form, "refresh_token"), Some("rt-1"));
        assert_eq!(
            (value(form, "client_id"), value(form, "client_secret")),
            (Some("c"), Some("s:é/1"))
        );
        assert_eq!(
            value(form, "scope"),
            None,
            "a refresh keeps the granted scope"
        );

        let (auth, form) = &seen[2];
        assert_eq!(auth, &None);
        assert_eq!(value(form, "client_id"), Some("c"));
        assert_eq!(value(form, "client_secret"), None);
        assert_eq!(value(form, "code_verifier"), Some("v".repeat(43).as_str()));
        assert_eq!(
            value(form, "redirect_uri"),
            Some("http://localhost:8080"),
            "the redirect URI exactly as the login sent it"
        );
    }

    #[tokio::test]
    async fn keycloak_gets_no_scope_and_the_one_time_code() {
        let (url, seen) = endpoint(200, TOKEN).await;
        let mut spec = settings(&[("username", "ada")]);
        spec.kind = ProviderKind::Cdse;
        let password = Secret::new("pw");
        let totp = Secret::new("424242");
        let grant = TokenGrant::Password {
            username: "ada",
            password: &password,
            totp: Some(&totp),
        };
        let credentials = Credentials::new();
        let http = reqwest::Client::builder().build().unwrap();
        let discovery = DiscoveryCache::default();
        let flow = Flow::new(&spec, &credentials, &http, &SystemClock, &discovery);
        let crate::fields::KindSettings::Cdse(s) = &flow.settings.kind else {
            panic!("cdse settings")
        };
        let public = ClientAuth::None {
            id: "cdse-public".into(),
        };
        exchange(s, &flow, &url, &public, grant).await.unwrap();
        let seen = seen.lock().unwrap().clone();
        let form = &seen[0].1;
        assert_eq!(value(form, "grant_type"), Some("password"));
        assert_eq!(value(form, "totp"), Some("424242"));
        assert_eq!(value(form, "scope"), None);
        assert_eq!(value(form, "client_id"), Some("cdse-public"));
    }

    #[tokio::test]
    async fn failures_keep_the_http_status_the_crate_would_drop() {
        let (url, _) = endpoint(503, r#"{"error":"temporarily_unavailable"}"#).await;
        let spec = settings(&[("client_id", "c")]);
        let public = ClientAuth::None { id: "c".into() };
        let e = run(&spec, &url, &public, TokenGrant::ClientCredentials)
            .await
            .unwrap_err();
        assert_eq!(e.class(), FailureClass::Transient, "{e:?}");
        let (url, _) = endpoint(200, r#"{"error":"invalid_client"}"#).await;
        let e = run(&spec, &url, &public, TokenGrant::ClientCredentials)
            .await
            .unwrap_err();
        assert_eq!(
            e.class(),
            FailureClass::Config,
            "an error with HTTP 200 is an error: {e:?}"
        );
    }
}
