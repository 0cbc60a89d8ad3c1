//! `arcgis-oauth`: ArcGIS OAuth 2.0 (age-oauth's flows, protocols.md §4). A user signs in with
//! an authorization code (PKCE where the portal allows it; loopback, deep link or the OOB page
//! whose code the person pastes, quirk 8); an app signs in with client credentials. Every call
//! sends `f=json` and reads errors nested in an `error` object, also with HTTP 200 (quirk 2).
//! `refresh_token` returns no new refresh token, so the old one is kept; before the refresh
//! token dies, `exchange_refresh_token` swaps it for a new one, which kills the old one and every
//! access token obtained with it (quirk 6): the new pair is stored before it is handed out.

use std::time::Duration;

use async_trait::async_trait;
use url::Url;

use super::arcgis::{self, portal_url};
use crate::connection::ConnectionSpec;
use crate::http;
use crate::provider::response::{text, token_set_from};
use crate::provider::{Authorization, Flow, LoginInput, Provider, ProviderError};
use crate::secret::Secret;
use crate::token::{Identity, TokenSet};

pub(crate) struct ArcgisOauth;

/// Exchange the refresh token when less than this remains of it (arcgis-rest-js: 24 h).
const EXCHANGE_WITHIN: Duration = Duration::from_secs(24 * 3600);

fn app_login(spec: &ConnectionSpec) -> bool {
    spec.text("grant").as_deref() == Some("client_credentials")
}

fn oauth_url(spec: &ConnectionSpec, path: &str) -> Result<Url, ProviderError> {
    let portal = portal_url(spec)?;
    Url::parse(&format!("{portal}/sharing/rest/oauth2/{path}")).map_err(|e| ProviderError::Config {
        field: "portal_url",
        reason: format!("does not make a valid URL: {e}"),
    })
}

/// POSTs `form` (plus `f=json`, `client_id` and the secret when stored) to the token endpoint.
async fn token_request(
    flow: &Flow<'_>,
    mut form: Vec<(&'static str, String)>,
) -> Result<TokenSet, ProviderError> {
    let url = oauth_url(flow.spec, "token")?;
    form.push(("f", "json".into()));
    form.push(("client_id", flow.setting("client_id", "for ArcGIS OAuth")?));
    if let Some(secret) = flow.credentials.get("client_secret") {
        form.push(("client_secret", secret.expose().to_owned()));
    }
    let mut req = flow.http.post(url.clone()).form(&form);
    if let Some(referer) = flow.spec.text("referer") {
        req = req.header("Referer", referer);
    }
    let reply = http::send(req, &url).await?;
    let obj = arcgis::json(&reply)?;
    token_set_from(&obj, reply.status, flow.now())
}

async fn refresh(
    flow: &Flow<'_>,
    current: &TokenSet,
    rt: &Secret,
) -> Result<TokenSet, ProviderError> {
    let now = flow.now();
    let exchange = current
        .refresh_expires_at
        .is_some_and(|end| end.since(now) < EXCHANGE_WITHIN);
    if exchange {
        let redirect = current
            .redirect_uri
            .clone()
            .unwrap_or_else(|| crate::login::RedirectMode::OOB_URI.into());
        let mut set = token_request(
            flow,
            vec![
                ("grant_type", "exchange_refresh_token".into()),
                ("refresh_token", rt.expose().to_owned()),
                ("redirect_uri", redirect.clone()),
            ],
        )
        .await?;
        set.redirect_uri = Some(redirect);
        return Ok(set);
    }
    let mut set = token_request(
        flow,
        vec![
            ("grant_type", "refresh_token".into()),
            ("refresh_token", rt.expose().to_owned()),
        ],
    )
    .await?;
    if set.refresh_token.is_none() {
        // Quirk 6: a plain refresh returns no refresh token; the old one stays valid.
        set.refresh_token = Some(rt.clone());
        set.refresh_expires_at = current.refresh_expires_at;
    }
    set.redirect_uri.clone_from(&current.redirect_uri);
    Ok(set)
}

#[async_trait]
impl Provider for ArcgisOauth {
    async fn login(&self, flow: &Flow<'_>, _: &LoginInput) -> Result<TokenSet, ProviderError> {
        if !app_login(flow.spec) {
            return Err(ProviderError::NeedsInteraction(format!(
                "a user login needs the browser; run `tokentray login {}`",
                flow.spec.name
            )));
        }
        flow.secret("client_secret", "for an ArcGIS app login")?;
        token_request(flow, vec![("grant_type", "client_credentials".into())]).await
    }

    async fn renew(&self, flow: &Flow<'_>, current: &TokenSet) -> Result<TokenSet, ProviderError> {
        if app_login(flow.spec) {
            return self.login(flow, &LoginInput::default()).await;
        }
        match &current.refresh_token {
            Some(rt) if current.can_refresh(flow.now()) => refresh(flow, current, rt).await,
            _ => Err(ProviderError::NeedsInteraction(
                "the ArcGIS refresh token has expired".into(),
            )),
        }
    }

    fn renews_unattended(&self, _: &ConnectionSpec) -> bool {
        true
    }

    fn logs_in_unattended(&self, spec: &ConnectionSpec) -> bool {
        app_login(spec)
    }

    async fn whoami(
        &self,
        flow: &Flow<'_>,
        tokens: &TokenSet,
    ) -> Result<Option<Identity>, ProviderError> {
        if !app_login(flow.spec) {
            return arcgis::community_self(flow, tokens).await;
        }
        // An app token has no user: name the app, never its owner (quirk 12).
        let obj = arcgis::portal_get(flow, "portals/self", tokens).await?;
        let app = obj.get("appInfo").and_then(|a| a.as_object());
        Ok(app.and_then(|a| text(a, "appId")).map(|app_id| Identity {
            subject: app_id,
            name: app.and_then(|a| text(a, "appTitle")),
            email: None,
        }))
    }

    async fn revoke(&self, flow: &Flow<'_>, tokens: &TokenSet) -> Result<(), ProviderError> {
        let url = oauth_url(flow.spec, "revokeToken")?;
        let token = tokens
            .refresh_token
            .as_ref()
            .unwrap_or(&tokens.access_token);
        let form = [
            ("f", "json".to_owned()),
            ("client_id", flow.setting("client_id", "for ArcGIS OAuth")?),
            ("auth_token", token.expose().to_owned()),
        ];
        let reply = http::send(flow.http.post(url.clone()).form(&form), &url).await?;
        arcgis::json(&reply).map(|_| ())
    }

    fn required_secrets(&self, spec: &ConnectionSpec) -> Vec<&'static str> {
        if app_login(spec) {
            vec!["client_secret"]
        } else {
            Vec::new()
        }
    }

    fn session_end_needs_person(&self, spec: &ConnectionSpec, _tokens: &TokenSet) -> bool {
        !app_login(spec)
    }

    async fn authorization(&self, flow: &Flow<'_>) -> Result<Option<Authorization>, ProviderError> {
        if app_login(flow.spec) {
            return Ok(None);
        }
        let mut params = Vec::new();
        if let Some(minutes) = flow.spec.int("expiration") {
            params.push(("expiration".to_owned(), minutes.to_string()));
        }
        Ok(Some(Authorization {
            authorize_url: oauth_url(flow.spec, "authorize")?,
            token_url: oauth_url(flow.spec, "token")?,
            client_id: flow.setting("client_id", "for ArcGIS OAuth")?,
            scope: None,
            params,
            pkce: true,
            iss: crate::login::IssCheck::default(),
            nonce: None,
            jwks_uri: None,
        }))
    }

    async fn exchange_code(
        &self,
        flow: &Flow<'_>,
        _auth: &Authorization,
        code: &Secret,
        verifier: Option<&Secret>,
        redirect_uri: &str,
    ) -> Result<TokenSet, ProviderError> {
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.expose().to_owned()),
            ("redirect_uri", redirect_uri.to_owned()),
        ];
        if let Some(v) = verifier {
            form.push(("code_verifier", v.expose().to_owned()));
        }
        let mut set = token_request(flow, form).await?;
        set.redirect_uri = Some(redirect_uri.to_owned());
        Ok(set)
    }
}
