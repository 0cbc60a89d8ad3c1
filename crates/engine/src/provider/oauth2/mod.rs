//! `oauth2` (and the Keycloak-based `cdse`): the standard grants against a token endpoint found
//! by discovery or configured by hand. Token requests are form-encoded bodies (never query
//! strings), client authentication is `basic` (RFC 6749 §2.3.1, form-urlencoded before
//! base64), `post` or `none`, and refresh tokens are rotated when the service rotates them.
//!
//! The token endpoint is spoken to directly rather than through the `oauth2` crate's typed
//! client: the services we serve break its strict response types (numbers as strings, errors
//! with HTTP 200, ArcGIS's nested errors, Keycloak's `refresh_expires_in`) and its errors drop
//! the HTTP status we classify on. One tolerant reader (`response.rs`) serves every kind.

mod discovery;

use async_trait::async_trait;
use base64::Engine as _;
use url::Url;
use url::form_urlencoded::byte_serialize;

pub(crate) use discovery::{DiscoveryCache, Metadata};

use super::{
    Authorization, DevicePoll, DeviceStart, FailureClass, Flow, LoginInput, Provider,
    ProviderError, identity, idtoken, response,
};
use crate::connection::{ConnectionSpec, ProviderKind};
use crate::provider::http;
use crate::secret::Secret;
use crate::time::Timestamp;
use crate::token::{Identity, TokenSet, jwt_claims};

pub(crate) struct OAuth2;

/// How the client proves who it is at the token endpoint.
enum ClientAuth<'a> {
    Basic { id: String, secret: &'a Secret },
    Post { id: String, secret: &'a Secret },
    None { id: String },
}

fn grant(spec: &ConnectionSpec) -> String {
    spec.text("grant")
        .unwrap_or_else(|| "authorization_code".into())
}

fn client_auth<'a>(flow: &'a Flow<'_>) -> Result<ClientAuth<'a>, ProviderError> {
    let id = flow.setting("client_id", "to identify the OAuth client")?;
    let secret = flow.credentials.get("client_secret");
    // Public by default: without a stored secret the client is public (`none`), with one it
    // authenticates with `basic`, unless `client_auth` says otherwise.
    let method = match flow.spec.kind {
        // Keycloak public clients send only client_id; confidential ones post the secret.
        ProviderKind::Cdse => if secret.is_some() { "post" } else { "none" }.to_owned(),
        _ => match flow.spec.settings.get("client_auth") {
            Some(_) => flow.spec.text("client_auth").unwrap_or_default(),
            None if secret.is_some() => "basic".to_owned(),
            None => "none".to_owned(),
        },
    };
    Ok(match (method.as_str(), secret) {
        ("none", _) => ClientAuth::None { id },
        ("post", Some(secret)) => ClientAuth::Post { id, secret },
        (_, Some(secret)) => ClientAuth::Basic { id, secret },
        (_, None) => {
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
    flow: &Flow<'_>,
    set: &mut TokenSet,
    issuer: &str,
    jwks_uri: Option<&Url>,
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
    let audience = flow.setting("client_id", "to check the ID token's audience")?;
    idtoken::validate(
        flow,
        id_token.expose(),
        &idtoken::Expect {
            issuer,
            audience: &audience,
            jwks_uri,
            nonce,
            server_time,
            subject,
        },
    )
    .await?;
    Ok(())
}

/// `request`, then the ID token of its answer validated against the connection's issuer;
/// after a refresh, `earlier` is the session's ID token, whose person it must name.
async fn request_checked(
    flow: &Flow<'_>,
    url: &Url,
    params: Vec<(&'static str, String)>,
    earlier: Option<&TokenSet>,
) -> Result<TokenSet, ProviderError> {
    let (mut set, server_time) = request_timed(flow, url, params).await?;
    if set.id_token.is_some() {
        let meta = endpoints(flow).await?;
        let subject = earlier
            .and_then(|c| c.id_token.as_ref())
            .and_then(|t| jwt_claims(t.expose()))
            .and_then(|c| {
                c.get("sub")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned)
            });
        check_id_token(
            flow,
            &mut set,
            &meta.issuer,
            meta.jwks_uri.as_ref(),
            None,
            server_time,
            subject.as_deref(),
        )
        .await?;
    }
    Ok(set)
}

/// The endpoints of this connection: explicit settings win, discovery fills the rest.
async fn endpoints(flow: &Flow<'_>) -> Result<Metadata, ProviderError> {
    let mut meta = match flow.spec.text("issuer") {
        Some(issuer) => (*flow.discovery.get(flow.spec, flow.http, &issuer).await?).clone(),
        None => Metadata::default(),
    };
    let pick = |explicit: Option<Url>, found: Option<Url>| explicit.or(found);
    meta.token_endpoint = pick(flow.spec.url("token_url"), meta.token_endpoint);
    meta.revocation_endpoint = pick(flow.spec.url("revoke_url"), meta.revocation_endpoint);
    meta.userinfo_endpoint = pick(flow.spec.url("userinfo_url"), meta.userinfo_endpoint);
    meta.authorization_endpoint = pick(flow.spec.url("authorize_url"), meta.authorization_endpoint);
    meta.device_authorization_endpoint = pick(
        flow.spec.url("device_url"),
        meta.device_authorization_endpoint,
    );
    if flow.spec.kind == ProviderKind::Cdse && meta.userinfo_endpoint.is_none() {
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

/// POSTs a grant to the token endpoint and reads the answer; with it, the token endpoint's
/// clock when it answered (its `Date` header).
async fn request_timed(
    flow: &Flow<'_>,
    url: &Url,
    mut params: Vec<(&'static str, String)>,
) -> Result<(TokenSet, Option<Timestamp>), ProviderError> {
    let req = flow
        .http
        .post(url.clone())
        .header("Accept", "application/json");
    let req = authenticate(req, &mut params, &client_auth(flow)?);
    let extra = flow.spec.map("params");
    let mut form: Vec<(String, String)> =
        params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    form.extend(extra);
    let reply = http::send(req.form(&form), url).await?;
    response::token_set(&reply, flow.now()).map(|set| (set, reply.server_time()))
}

fn scope_params(flow: &Flow<'_>, params: &mut Vec<(&'static str, String)>) {
    if flow.spec.kind == ProviderKind::Cdse {
        return; // CDSE sends no scope (protocols.md §5.2)
    }
    if let Some(scope) = flow.spec.text("scope") {
        params.push(("scope", scope));
    }
    if let Some(aud) = flow.spec.text("audience") {
        params.push(("audience", aud));
    }
}

async fn grant_request(flow: &Flow<'_>, input: &LoginInput) -> Result<TokenSet, ProviderError> {
    let meta = endpoints(flow).await?;
    let url = token_url(&meta)?;
    let grant = grant(flow.spec);
    let mut params = vec![("grant_type", grant.clone())];
    match grant.as_str() {
        "client_credentials" => {}
        "password" => {
            params.push((
                "username",
                flow.setting("username", "for the password grant")?,
            ));
            params.push((
                "password",
                flow.secret("password", "for the password grant")?
                    .expose()
                    .to_owned(),
            ));
            if let Some(totp) = &input.totp {
                params.push(("totp", totp.expose().to_owned()));
            }
        }
        "refresh_token" => {
            // An imported refresh token: the first renewal, keeping it when not rotated.
            let rt = flow.secret("refresh_token", "to import a refresh token")?;
            return refresh(flow, None, rt).await;
        }
        other => {
            return Err(ProviderError::NeedsInteraction(format!(
                "the {other} grant needs a browser login"
            )));
        }
    }
    scope_params(flow, &mut params);
    let mut set = request_checked(flow, url, params, None).await?;
    set.otp = input.totp.is_some();
    Ok(set)
}

/// Whether the stored credentials can get new tokens without a person.
fn regrant_possible(flow: &Flow<'_>, current: &TokenSet) -> bool {
    match grant(flow.spec).as_str() {
        "client_credentials" => true,
        "password" => flow.credentials.get("password").is_some() && !current.otp,
        _ => false,
    }
}

async fn refresh(
    flow: &Flow<'_>,
    current: Option<&TokenSet>,
    rt: &Secret,
) -> Result<TokenSet, ProviderError> {
    let meta = endpoints(flow).await?;
    let url = token_url(&meta)?;
    // No `scope`: a refresh keeps the granted scope (RFC 6749 §6), and asking for more than
    // was granted is refused by strict servers.
    let params = vec![
        ("grant_type", "refresh_token".to_owned()),
        ("refresh_token", rt.expose().to_owned()),
    ];
    let mut set = request_checked(flow, url, params, current).await?;
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
impl Provider for OAuth2 {
    async fn login(&self, flow: &Flow<'_>, input: &LoginInput) -> Result<TokenSet, ProviderError> {
        grant_request(flow, input).await
    }

    async fn renew(&self, flow: &Flow<'_>, current: &TokenSet) -> Result<TokenSet, ProviderError> {
        let now = flow.now();
        if let Some(rt) = current
            .refresh_token
            .as_ref()
            .filter(|_| current.can_refresh(now))
        {
            match refresh(flow, Some(current), rt).await {
                // A refresh the service refused ("Token is not active", "Session not active")
                // falls back to a new grant when stored credentials allow one (cdse's order).
                Err(e)
                    if e.class() == FailureClass::NeedsLogin && regrant_possible(flow, current) =>
                {
                    tracing::info!(connection = %flow.spec.name, error = %e, "refresh refused; a new grant follows");
                }
                other => return other,
            }
        }
        match grant(flow.spec).as_str() {
            "client_credentials" => grant_request(flow, &LoginInput::default()).await,
            // A 2FA account's password alone fails (and counts towards a lockout).
            "password" if flow.credentials.get("password").is_some() && !current.otp => {
                grant_request(flow, &LoginInput::default()).await
            }
            "password" if current.otp => Err(ProviderError::NeedsInteraction(
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

    fn renews_unattended(&self, _: &ConnectionSpec) -> bool {
        true
    }

    fn logs_in_unattended(&self, spec: &ConnectionSpec) -> bool {
        match grant(spec).as_str() {
            "client_credentials" | "refresh_token" => true,
            // A Copernicus account may need a one-time code, which only a person has; trying
            // the password alone would just be refused (and count against the account).
            "password" => spec.kind != ProviderKind::Cdse,
            _ => false,
        }
    }

    async fn whoami(
        &self,
        flow: &Flow<'_>,
        tokens: &TokenSet,
    ) -> Result<Option<Identity>, ProviderError> {
        if flow.spec.url("identity_url").is_some() {
            return identity::generic(flow, tokens).await;
        }
        let meta = endpoints(flow).await?;
        match &meta.userinfo_endpoint {
            Some(url) if tokens.token_type == "Bearer" => {
                identity::userinfo(flow, url, tokens).await
            }
            _ => Ok(identity::from_tokens(tokens)),
        }
    }

    async fn revoke(&self, flow: &Flow<'_>, tokens: &TokenSet) -> Result<(), ProviderError> {
        let meta = endpoints(flow).await?;
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
        let req = authenticate(flow.http.post(url.clone()), &mut form, &client_auth(flow)?);
        let reply = http::send(req.form(&form), &url).await?;
        if reply.ok() {
            Ok(())
        } else {
            Err(ProviderError::Status {
                status: reply.status,
            })
        }
    }

    fn session_end_needs_person(&self, spec: &ConnectionSpec, tokens: &TokenSet) -> bool {
        match grant(spec).as_str() {
            "client_credentials" => false,
            "password" => tokens.otp,
            _ => true,
        }
    }

    async fn authorization(&self, flow: &Flow<'_>) -> Result<Option<Authorization>, ProviderError> {
        if grant(flow.spec) != "authorization_code" {
            return Ok(None);
        }
        let meta = endpoints(flow).await?;
        let authorize_url =
            meta.authorization_endpoint
                .clone()
                .ok_or_else(|| ProviderError::Config {
                    field: "authorize_url",
                    reason: "is not set and discovery gave none; set --authorize-url or --issuer"
                        .into(),
                })?;
        let pkce = flow.spec.flag("pkce");
        if pkce
            && !meta.code_challenge_methods.is_empty()
            && !meta.code_challenge_methods.iter().any(|m| m == "S256")
        {
            return Err(ProviderError::Config {
                field: "pkce",
                reason: "the service does not announce PKCE S256; if it really has no PKCE, set --pkce false to log in without it".into(),
            });
        }
        let mut params: Vec<(String, String)> = flow.spec.map("params").into_iter().collect();
        if let Some(aud) = flow.spec.text("audience") {
            params.push(("audience".into(), aud));
        }
        let scope = flow.spec.text("scope");
        Ok(Some(Authorization {
            authorize_url,
            token_url: token_url(&meta)?.clone(),
            client_id: flow.setting("client_id", "to identify the OAuth client")?,
            nonce: crate::login::is_openid(scope.as_deref()).then(crate::login::new_nonce),
            jwks_uri: meta.jwks_uri.clone(),
            scope,
            params,
            pkce,
            iss: crate::login::IssCheck {
                expected: Some(meta.issuer.clone()).filter(|i| !i.is_empty()),
                required: meta.iss_parameter_supported && !meta.issuer.is_empty(),
            },
        }))
    }

    async fn exchange_code(
        &self,
        flow: &Flow<'_>,
        auth: &Authorization,
        code: &Secret,
        verifier: Option<&Secret>,
        redirect_uri: &str,
    ) -> Result<TokenSet, ProviderError> {
        let mut params = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.expose().to_owned()),
            ("redirect_uri", redirect_uri.to_owned()),
        ];
        if let Some(v) = verifier {
            params.push(("code_verifier", v.expose().to_owned()));
        }
        let (mut set, server_time) = request_timed(flow, &auth.token_url, params).await?;
        // Checked against the issuer and keys the login started with, and its nonce.
        let issuer = auth.iss.expected.clone().unwrap_or_default();
        check_id_token(
            flow,
            &mut set,
            &issuer,
            auth.jwks_uri.as_ref(),
            auth.nonce.as_ref(),
            server_time,
            None,
        )
        .await?;
        Ok(set)
    }

    async fn device_start(&self, flow: &Flow<'_>) -> Result<Option<DeviceStart>, ProviderError> {
        if grant(flow.spec) != "device_code" {
            return Ok(None);
        }
        let meta = endpoints(flow).await?;
        let url =
            meta.device_authorization_endpoint
                .clone()
                .ok_or_else(|| ProviderError::Config {
                    field: "device_url",
                    reason: "is not set and discovery gave none; set --device-url or --issuer"
                        .into(),
                })?;
        let mut params = Vec::new();
        scope_params(flow, &mut params);
        let req = authenticate(
            flow.http.post(url.clone()),
            &mut params,
            &client_auth(flow)?,
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
        Ok(Some(DeviceStart {
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
        }))
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
        match request_checked(flow, &start.token_url, params, None).await {
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

    fn required_secrets(&self, spec: &ConnectionSpec) -> Vec<&'static str> {
        let mut out = Vec::new();
        let grant = grant(spec);
        if grant == "password" {
            out.push("password");
        }
        if grant == "refresh_token" {
            out.push("refresh_token");
        }
        // Client credentials need a secret, except for a public oauth2 client (client_auth
        // none); Keycloak's client credentials always need one.
        let public =
            spec.kind != ProviderKind::Cdse && spec.text("client_auth").as_deref() == Some("none");
        if grant == "client_credentials" && !public {
            out.push("client_secret");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{ConnectionName, Value as Setting};
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
        let flow = Flow {
            spec: &spec,
            credentials: &credentials,
            http: &http,
            clock: &SystemClock,
            discovery: &discovery,
        };
        match super::client_auth(&flow) {
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
