//! `oauth2` (and the Keycloak-based `cdse`): the standard grants against a token endpoint found
//! by discovery or configured by hand. Token requests are form-encoded bodies (never query
//! strings), client authentication is `basic` (RFC 6749 §2.3.1, form-urlencoded before
//! base64), `post` or `none`, and refresh tokens are rotated when the service rotates them.
//!
//! The standard grants' requests are built by the `oauth2` crate (`grant.rs`) and sent through
//! the connection's own client; their answers, like every kind's, are read by one tolerant
//! reader (`response.rs`), because the services we serve break the crate's strict response
//! types and its errors drop the HTTP status we classify on. The device flow and revocation are
//! written by hand (see `grant.rs` for why).

mod discovery;
mod grant;

use async_trait::async_trait;
use base64::Engine as _;
use url::Url;
use url::form_urlencoded::byte_serialize;

pub(crate) use discovery::{DiscoveryCache, Metadata};
use grant::TokenGrant;

use super::{
    Authorization, BrowserLogin, DeviceLogin, DevicePoll, DeviceStart, FailureClass, Flow,
    LoginInput, Provider, ProviderError, Revocation, identity, idtoken, required, response,
};
use crate::fields::{ClientAuthMethod, Grant, OAuthSettings};
use crate::provider::http;
use crate::secret::Secret;
use crate::time::Timestamp;
use crate::token::{Identity, TokenSet, jwt_claims};

/// The `oauth2` and `cdse` flows over a connection's OAuth settings.
pub(crate) struct OAuth2<'a>(pub &'a OAuthSettings);

/// How the client proves who it is at the token endpoint.
enum ClientAuth<'a> {
    Basic { id: String, secret: &'a Secret },
    Post { id: String, secret: &'a Secret },
    None { id: String },
}

fn client_id(s: &OAuthSettings) -> Result<&str, ProviderError> {
    required(
        s.client_id.as_ref(),
        "client_id",
        "to identify the OAuth client",
    )
}

fn client_auth<'a>(s: &OAuthSettings, flow: &'a Flow<'_>) -> Result<ClientAuth<'a>, ProviderError> {
    let id = client_id(s)?.to_owned();
    let secret = flow.credentials.get("client_secret");
    // Public by default: without a stored secret the client is public (`none`), with one it
    // authenticates with `basic`, unless `client_auth` says otherwise.
    let method = if s.keycloak {
        // Keycloak public clients send only client_id; confidential ones post the secret.
        if secret.is_some() {
            ClientAuthMethod::Post
        } else {
            ClientAuthMethod::None
        }
    } else {
        match s.client_auth {
            Some(method) => method,
            None if secret.is_some() => ClientAuthMethod::Basic,
            None => ClientAuthMethod::None,
        }
    };
    Ok(match (method, secret) {
        (ClientAuthMethod::None, _) => ClientAuth::None { id },
        (ClientAuthMethod::Post, Some(secret)) => ClientAuth::Post { id, secret },
        (ClientAuthMethod::Basic, Some(secret)) => ClientAuth::Basic { id, secret },
        (method, None) => {
            let method = if method == ClientAuthMethod::Post {
                "post"
            } else {
                "basic"
            };
            return Err(ProviderError::SecretMissing {
                field: "client_secret",
                why: format!(
                    "because client_auth is {method} (a public client sets client_auth to none)"
                ),
            });
        }
    })
}

/// Validates the ID token of a token response before anything uses its claims, with the
/// issuer's keys. Where no issuer (and so no key set) is known, the ID token cannot be
/// validated and is dropped: its claims are never trusted unchecked.
async fn check_id_token(
    s: &OAuthSettings,
    flow: &Flow<'_>,
    set: &mut TokenSet,
    (issuer, jwks_uri): (&str, Option<&Url>),
    nonce: Option<&Secret>,
    server_time: Option<Timestamp>,
    subject: Option<&str>,
) -> Result<(), ProviderError> {
    let Some(id_token) = set.id_token.clone() else {
        return Ok(());
    };
    let Some(jwks_uri) = jwks_uri.filter(|_| !issuer.is_empty()) else {
        tracing::debug!(connection = %flow.spec.name, "no issuer with a key set is known; the ID token is not used");
        set.id_token = None;
        return Ok(());
    };
    let audience = required(
        s.client_id.as_ref(),
        "client_id",
        "to check the ID token's audience",
    )?;
    idtoken::validate(
        flow,
        id_token.expose(),
        &idtoken::Expect {
            issuer,
            audience,
            jwks_uri,
            nonce,
            server_time,
            subject,
        },
    )
    .await?;
    Ok(())
}

/// A token endpoint's answer with its ID token validated against the connection's issuer;
/// after a refresh, `earlier` is the session's ID token, whose person it must name.
async fn checked(
    s: &OAuthSettings,
    flow: &Flow<'_>,
    (mut set, server_time): (TokenSet, Option<Timestamp>),
    earlier: Option<&TokenSet>,
) -> Result<TokenSet, ProviderError> {
    if set.id_token.is_some() {
        let meta = endpoints(s, flow).await?;
        let subject = earlier
            .and_then(|c| c.id_token.as_ref())
            .and_then(|t| jwt_claims(t.expose()))
            .and_then(|c| {
                c.get("sub")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned)
            });
        check_id_token(
            s,
            flow,
            &mut set,
            (&meta.issuer, meta.jwks_uri.as_ref()),
            None,
            server_time,
            subject.as_deref(),
        )
        .await?;
    }
    Ok(set)
}

/// The endpoints of this connection: explicit settings win, discovery fills the rest.
async fn endpoints(s: &OAuthSettings, flow: &Flow<'_>) -> Result<Metadata, ProviderError> {
    let mut meta = match &s.issuer {
        Some(issuer) => (*flow
            .discovery
            .get(&flow.settings.common, flow.http, issuer)
            .await?)
            .clone(),
        None => Metadata::default(),
    };
    let pick = |explicit: &Option<Url>, found: Option<Url>| explicit.clone().or(found);
    meta.token_endpoint = pick(&s.token_url, meta.token_endpoint);
    meta.revocation_endpoint = pick(&s.revoke_url, meta.revocation_endpoint);
    meta.userinfo_endpoint = pick(&s.userinfo_url, meta.userinfo_endpoint);
    meta.authorization_endpoint = pick(&s.authorize_url, meta.authorization_endpoint);
    meta.device_authorization_endpoint = pick(&s.device_url, meta.device_authorization_endpoint);
    if s.keycloak && meta.userinfo_endpoint.is_none() {
        meta.userinfo_endpoint = meta.token_endpoint.as_ref().and_then(|t| {
            let s = t.as_str();
            s.strip_suffix("/token")
                .and_then(|base| Url::parse(&format!("{base}/userinfo")).ok())
        });
    }
    Ok(meta)
}

fn token_url(meta: &Metadata) -> Result<&Url, ProviderError> {
    meta.token_endpoint
        .as_ref()
        .ok_or_else(|| ProviderError::Config {
            field: "token_url",
            reason: "is not set and discovery gave none; set --token-url or --issuer".into(),
        })
}

/// Adds client authentication to a token-endpoint or revocation request.
fn authenticate(
    req: reqwest::RequestBuilder,
    form: &mut Vec<(&'static str, String)>,
    auth: &ClientAuth<'_>,
) -> reqwest::RequestBuilder {
    match auth {
        ClientAuth::Basic { id, secret } => {
            let enc = |s: &str| byte_serialize(s.as_bytes()).collect::<String>();
            let raw = format!("{}:{}", enc(id), enc(secret.expose()));
            let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
            req.header("Authorization", format!("Basic {b64}"))
        }
        ClientAuth::Post { id, secret } => {
            form.push(("client_id", id.clone()));
            form.push(("client_secret", secret.expose().to_owned()));
            req
        }
        ClientAuth::None { id } => {
            form.push(("client_id", id.clone()));
            req
        }
    }
}

/// POSTs a device-code poll to the token endpoint and reads the answer; with it, the token
/// endpoint's clock when it answered (its `Date` header). The other grants go through the
/// `oauth2` crate (`grant.rs`).
async fn request_timed(
    s: &OAuthSettings,
    flow: &Flow<'_>,
    url: &Url,
    mut params: Vec<(&'static str, String)>,
) -> Result<(TokenSet, Option<Timestamp>), ProviderError> {
    let req = flow
        .http
        .post(url.clone())
        .header("Accept", "application/json");
    let req = authenticate(req, &mut params, &client_auth(s, flow)?);
    let mut form: Vec<(String, String)> =
        params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    form.extend(s.params.iter().map(|(k, v)| (k.clone(), v.clone())));
    let reply = http::send(req.form(&form), url).await?;
    response::token_set(&reply, flow.now()).map(|set| (set, reply.server_time()))
}

fn scope_params(s: &OAuthSettings, params: &mut Vec<(&'static str, String)>) {
    if s.keycloak {
        return; // CDSE sends no scope (protocols.md §5.2)
    }
    if let Some(scope) = &s.scope {
        params.push(("scope", scope.clone()));
    }
    if let Some(aud) = &s.audience {
        params.push(("audience", aud.clone()));
    }
}

async fn grant_request(
    s: &OAuthSettings,
    flow: &Flow<'_>,
    input: &LoginInput,
) -> Result<TokenSet, ProviderError> {
    let meta = endpoints(s, flow).await?;
    let url = token_url(&meta)?;
    let grant = match s.grant {
        Grant::ClientCredentials => TokenGrant::ClientCredentials,
        Grant::Password => TokenGrant::Password {
            username: required(s.username.as_ref(), "username", "for the password grant")?,
            password: flow.secret("password", "for the password grant")?,
            totp: input.totp.as_ref(),
        },
        Grant::RefreshToken => {
            // An imported refresh token: the first renewal, keeping it when not rotated.
            let rt = flow.secret("refresh_token", "to import a refresh token")?;
            return refresh(s, flow, None, rt).await;
        }
        other @ (Grant::AuthorizationCode | Grant::DeviceCode) => {
            return Err(ProviderError::NeedsInteraction(format!(
                "the {} grant needs a browser login",
                other.as_str()
            )));
        }
    };
    let answer = grant::exchange(s, flow, url, &client_auth(s, flow)?, grant).await?;
    let mut set = checked(s, flow, answer, None).await?;
    set.otp = input.totp.is_some();
    Ok(set)
}

/// Whether the stored credentials can get new tokens without a person.
fn regrant_possible(s: &OAuthSettings, flow: &Flow<'_>, current: &TokenSet) -> bool {
    match s.grant {
        Grant::ClientCredentials => true,
        Grant::Password => flow.credentials.get("password").is_some() && !current.otp,
        _ => false,
    }
}

async fn refresh(
    s: &OAuthSettings,
    flow: &Flow<'_>,
    current: Option<&TokenSet>,
    rt: &Secret,
) -> Result<TokenSet, ProviderError> {
    let meta = endpoints(s, flow).await?;
    let url = token_url(&meta)?;
    // No `scope`: a refresh keeps the granted scope (RFC 6749 §6), and asking for more than
    // was granted is refused by strict servers.
    let auth = client_auth(s, flow)?;
    let answer = grant::exchange(s, flow, url, &auth, TokenGrant::Refresh(rt)).await?;
    let mut set = checked(s, flow, answer, current).await?;
    set.otp = current.is_some_and(|c| c.otp);
    if set.refresh_token.is_none() {
        // RFC 6749 §6: no new refresh token means keep using the old one.
        set.refresh_token = Some(rt.clone());
        set.refresh_expires_at = current.and_then(|c| c.refresh_expires_at);
    }
    if set.id_token.is_none() {
        // A refresh may omit the ID token (OpenID Connect Core §12.2): the session's stays,
        // so the person the next one names is still checked against it.
        set.id_token = current.and_then(|c| c.id_token.clone());
    }
    Ok(set)
}

#[async_trait]
impl Provider for OAuth2<'_> {
    async fn login(&self, flow: &Flow<'_>, input: &LoginInput) -> Result<TokenSet, ProviderError> {
        grant_request(self.0, flow, input).await
    }

    async fn renew(&self, flow: &Flow<'_>, current: &TokenSet) -> Result<TokenSet, ProviderError> {
        let s = self.0;
        let now = flow.now();
        if let Some(rt) = current
            .refresh_token
            .as_ref()
            .filter(|_| current.can_refresh(now))
        {
            match refresh(s, flow, Some(current), rt).await {
                // A refresh the service refused ("Token is not active", "Session not active")
                // falls back to a new grant when stored credentials allow one (cdse's order).
                Err(e)
                    if e.class() == FailureClass::NeedsLogin
                        && regrant_possible(s, flow, current) =>
                {
                    tracing::info!(connection = %flow.spec.name, error = %e, "refresh refused; a new grant follows");
                }
                other => return other,
            }
        }
        match s.grant {
            Grant::ClientCredentials => grant_request(s, flow, &LoginInput::default()).await,
            // A 2FA account's password alone fails (and counts towards a lockout).
            Grant::Password if flow.credentials.get("password").is_some() && !current.otp => {
                grant_request(s, flow, &LoginInput::default()).await
            }
            Grant::Password if current.otp => Err(ProviderError::NeedsInteraction(
                "the session has ended; log in again with a new one-time code".into(),
            )),
            _ => Err(ProviderError::NeedsInteraction(
                if current.refresh_token.is_some() {
                    "the refresh token has expired".to_owned()
                } else {
                    "there is no refresh token to renew with".to_owned()
                },
            )),
        }
    }

    fn renews_unattended(&self) -> bool {
        true
    }

    async fn whoami(
        &self,
        flow: &Flow<'_>,
        tokens: &TokenSet,
    ) -> Result<Option<Identity>, ProviderError> {
        if self.0.identity.url.is_some() {
            return identity::generic(flow, &self.0.identity, tokens).await;
        }
        let meta = endpoints(self.0, flow).await?;
        match &meta.userinfo_endpoint {
            Some(url) if tokens.token_type == "Bearer" => {
                identity::userinfo(flow, url, tokens).await
            }
            _ => Ok(identity::from_tokens(tokens)),
        }
    }

    fn required_secrets(&self) -> Vec<&'static str> {
        let s = self.0;
        match s.grant {
            Grant::Password => vec!["password"],
            Grant::RefreshToken => vec!["refresh_token"],
            // Client credentials need a secret, except for a public oauth2 client
            // (client_auth none); Keycloak's client credentials always need one.
            Grant::ClientCredentials
                if s.keycloak || s.client_auth != Some(ClientAuthMethod::None) =>
            {
                vec!["client_secret"]
            }
            _ => Vec::new(),
        }
    }

    fn session_end_needs_person(&self, tokens: &TokenSet) -> bool {
        match self.0.grant {
            Grant::ClientCredentials => false,
            Grant::Password => tokens.otp,
            _ => true,
        }
    }

    fn browser(&self) -> Option<&dyn BrowserLogin> {
        (self.0.grant == Grant::AuthorizationCode).then_some(self as &dyn BrowserLogin)
    }

    fn device(&self) -> Option<&dyn DeviceLogin> {
        (self.0.grant == Grant::DeviceCode).then_some(self as &dyn DeviceLogin)
    }

    fn revocation(&self) -> Option<&dyn Revocation> {
        Some(self)
    }
}

#[async_trait]
impl Revocation for OAuth2<'_> {
    async fn revoke(&self, flow: &Flow<'_>, tokens: &TokenSet) -> Result<(), ProviderError> {
        let meta = endpoints(self.0, flow).await?;
        let Some(url) = meta.revocation_endpoint else {
            return Ok(());
        };
        let (token, hint) = match &tokens.refresh_token {
            Some(rt) => (rt, "refresh_token"),
            None => (&tokens.access_token, "access_token"),
        };
        let mut form = vec![
            ("token", token.expose().to_owned()),
            ("token_type_hint", hint.to_owned()),
        ];
        let req = authenticate(
            flow.http.post(url.clone()),
            &mut form,
            &client_auth(self.0, flow)?,
        );
        let reply = http::send(req.form(&form), &url).await?;
        if reply.ok() {
            Ok(())
        } else {
            Err(ProviderError::Status {
                status: reply.status,
            })
        }
    }
}

#[async_trait]
impl BrowserLogin for OAuth2<'_> {
    async fn authorization(&self, flow: &Flow<'_>) -> Result<Authorization, ProviderError> {
        let s = self.0;
        let meta = endpoints(s, flow).await?;
        let authorize_url =
            meta.authorization_endpoint
                .clone()
                .ok_or_else(|| ProviderError::Config {
                    field: "authorize_url",
                    reason: "is not set and discovery gave none; set --authorize-url or --issuer"
                        .into(),
                })?;
        if s.pkce
            && !meta.code_challenge_methods.is_empty()
            && !meta.code_challenge_methods.iter().any(|m| m == "S256")
        {
            return Err(ProviderError::Config {
                field: "pkce",
                reason: "the service does not announce PKCE S256; if it really has no PKCE, set --pkce false to log in without it".into(),
            });
        }
        let mut params: Vec<(String, String)> = s
            .params
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(aud) = &s.audience {
            params.push(("audience".into(), aud.clone()));
        }
        let scope = s.scope.clone();
        Ok(Authorization {
            authorize_url,
            token_url: token_url(&meta)?.clone(),
            client_id: client_id(s)?.to_owned(),
            nonce: crate::login::is_openid(scope.as_deref()).then(crate::login::new_nonce),
            jwks_uri: meta.jwks_uri.clone(),
            scope,
            params,
            pkce: s.pkce,
            iss: crate::login::IssCheck {
                expected: Some(meta.issuer.clone()).filter(|i| !i.is_empty()),
                required: meta.iss_parameter_supported && !meta.issuer.is_empty(),
            },
        })
    }

    async fn exchange_code(
        &self,
        flow: &Flow<'_>,
        auth: &Authorization,
        code: &Secret,
        verifier: Option<&Secret>,
        redirect_uri: &str,
    ) -> Result<TokenSet, ProviderError> {
        let grant = TokenGrant::Code {
            code,
            verifier,
            redirect_uri,
        };
        let client = client_auth(self.0, flow)?;
        let (mut set, server_time) =
            grant::exchange(self.0, flow, &auth.token_url, &client, grant).await?;
        // Checked against the issuer and keys the login started with, and its nonce.
        let issuer = auth.iss.expected.clone().unwrap_or_default();
        check_id_token(
            self.0,
            flow,
            &mut set,
            (&issuer, auth.jwks_uri.as_ref()),
            auth.nonce.as_ref(),
            server_time,
            None,
        )
        .await?;
        Ok(set)
    }
}

#[async_trait]
impl DeviceLogin for OAuth2<'_> {
    async fn device_start(&self, flow: &Flow<'_>) -> Result<DeviceStart, ProviderError> {
        let s = self.0;
        let meta = endpoints(s, flow).await?;
        let url =
            meta.device_authorization_endpoint
                .clone()
                .ok_or_else(|| ProviderError::Config {
                    field: "device_url",
                    reason: "is not set and discovery gave none; set --device-url or --issuer"
                        .into(),
                })?;
        let mut params = Vec::new();
        scope_params(s, &mut params);
        let req = authenticate(
            flow.http.post(url.clone()),
            &mut params,
            &client_auth(s, flow)?,
        );
        let reply = http::send(req.form(&params), &url).await?;
        let obj = reply.json_object()?;
        if let Some(err) = response::oauth_error(&obj) {
            return Err(err);
        }
        let field = |k: &str| response::text(&obj, k);
        let (Some(device_code), Some(user_code), Some(verification_uri)) = (
            field("device_code"),
            field("user_code"),
            field("verification_uri").or_else(|| field("verification_url")),
        ) else {
            return Err(reply.garbage(
                "the device authorization lacks device_code, user_code or verification_uri",
            ));
        };
        let now = flow.now();
        Ok(DeviceStart {
            device_code: Secret::new(device_code),
            user_code,
            verification_uri,
            verification_uri_complete: field("verification_uri_complete"),
            interval: response::seconds(&obj, "interval")
                .unwrap_or(std::time::Duration::from_secs(5)),
            expires_at: now.plus(
                response::seconds(&obj, "expires_in")
                    .unwrap_or(std::time::Duration::from_secs(600)),
            ),
            token_url: token_url(&meta)?.clone(),
        })
    }

    async fn device_poll(
        &self,
        flow: &Flow<'_>,
        start: &DeviceStart,
    ) -> Result<DevicePoll, ProviderError> {
        let params = vec![
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:device_code".to_owned(),
            ),
            ("device_code", start.device_code.expose().to_owned()),
        ];
        let answer = match request_timed(self.0, flow, &start.token_url, params).await {
            Ok(answer) => checked(self.0, flow, answer, None).await,
            Err(e) => Err(e),
        };
        match answer {
            Ok(tokens) => Ok(DevicePoll::Done(tokens)),
            Err(ProviderError::Unavailable { code }) if code == "authorization_pending" => {
                Ok(DevicePoll::Pending)
            }
            Err(ProviderError::Unavailable { code }) if code == "slow_down" => {
                Ok(DevicePoll::SlowDown)
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{ConnectionName, ConnectionSpec, ProviderKind, Value as Setting};
    use crate::provider::DiscoveryCache;
    use crate::secret::Credentials;
    use crate::time::SystemClock;

    /// Which client authentication a connection with these settings and secret resolves to.
    fn resolved(client_auth: Option<&str>, secret: Option<&str>) -> Result<&'static str, String> {
        let mut spec = ConnectionSpec::new(ConnectionName::new("c").unwrap(), ProviderKind::Oauth2);
        spec.settings
            .insert("client_id", Setting::Text("client".into()));
        if let Some(auth) = client_auth {
            spec.settings
                .insert("client_auth", Setting::Text(auth.into()));
        }
        let mut credentials = Credentials::new();
        if let Some(s) = secret {
            credentials.set("client_secret", Secret::new(s));
        }
        let http = reqwest::Client::builder().build().unwrap();
        let discovery = DiscoveryCache::default();
        let flow = Flow::new(&spec, &credentials, &http, &SystemClock, &discovery);
        let crate::fields::KindSettings::Oauth2(settings) = &flow.settings.kind else {
            panic!("oauth2 settings")
        };
        match super::client_auth(settings, &flow) {
            Ok(ClientAuth::Basic { .. }) => Ok("basic"),
            Ok(ClientAuth::Post { .. }) => Ok("post"),
            Ok(ClientAuth::None { .. }) => Ok("none"),
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn a_client_without_a_stored_secret_is_public_by_default() {
        assert_eq!(resolved(None, None), Ok("none"));
        assert_eq!(resolved(None, Some("s")), Ok("basic"));
        assert_eq!(resolved(Some("post"), Some("s")), Ok("post"));
        assert_eq!(resolved(Some("none"), Some("s")), Ok("none"));
        let e = resolved(Some("basic"), None).unwrap_err();
        assert!(
            e.contains("client_secret: is not stored and is required because client_auth is basic"),
            "{e}"
        );
    }
}
