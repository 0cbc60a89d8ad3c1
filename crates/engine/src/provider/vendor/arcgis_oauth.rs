//! `arcgis-oauth`: ArcGIS OAuth 2.0 (age-oauth's flows, protocols.md §4). A user signs in with
//! an authorization code (PKCE where the portal allows it; loopback, deep link or the OOB page
//! whose code the person pastes, quirk 8); an app signs in with client credentials. Every call
//! sends `f=json` and reads errors nested in an `error` object, also with HTTP 200 (quirk 2).
//! `refresh_token` returns no new refresh token, so the old one is kept; before the refresh
//! token dies, `exchange_refresh_token` swaps it for a new one, which kills the old one and every
//! access token obtained with it (quirk 6): the new pair is stored before it is handed out.
//! When the portal omits `refresh_token_expires_in` the refresh token's life is counted from
//! the login (the asked `expiration`, else ArcGIS's default of two weeks). A failed exchange
//! is not the end: the old refresh token keeps working until its end, so renewal refreshes
//! with it, notes the failure, and tries the exchange again next time. A refresh token
//! obtained elsewhere can be imported (`grant = refresh_token`, or a stored `refresh_token`).

use std::time::Duration;

use async_trait::async_trait;
use url::Url;

use super::arcgis::{self, Portal, portal_url};
use crate::fields::{ArcgisOauthSettings, Grant};
use crate::provider::http;
use crate::provider::response::{text, token_set_from};
use crate::provider::{
    Authorization, BrowserLogin, DeviceLogin, Flow, LoginInput, Provider, ProviderError,
    Revocation, required,
};
use crate::secret::Secret;
use crate::time::Timestamp;
use crate::token::{Identity, TokenSet};

pub(crate) struct ArcgisOauth<'a>(pub &'a ArcgisOauthSettings);

/// Exchange the refresh token when less than this remains of it (arcgis-rest-js: 24 h).
const EXCHANGE_WITHIN: Duration = Duration::from_secs(24 * 3600);

/// A refresh token's life when the portal does not say (ArcGIS's documented default: two
/// weeks, `expiration=20160` minutes).
const DEFAULT_REFRESH_LIFETIME: Duration = Duration::from_secs(14 * 24 * 3600);

fn app_login(s: &ArcgisOauthSettings) -> bool {
    s.grant == Grant::ClientCredentials
}

/// Whether this connection starts from an imported refresh token.
fn imported(s: &ArcgisOauthSettings) -> bool {
    s.grant == Grant::RefreshToken
}

fn client_id(s: &ArcgisOauthSettings) -> Result<&str, ProviderError> {
    required(s.client_id.as_ref(), "client_id", "for ArcGIS OAuth")
}

fn oauth_url(s: &ArcgisOauthSettings, path: &str) -> Result<Url, ProviderError> {
    let portal = portal_url(&s.portal_url);
    Url::parse(&format!("{portal}/sharing/rest/oauth2/{path}")).map_err(|e| ProviderError::Config {
        field: "portal_url",
        reason: format!("does not make a valid URL: {e}"),
    })
}

/// POSTs `form` (plus `f=json`, `client_id` and the secret when stored) to the token endpoint.
async fn token_request(
    s: &ArcgisOauthSettings,
    flow: &Flow<'_>,
    mut form: Vec<(&'static str, String)>,
) -> Result<TokenSet, ProviderError> {
    let url = oauth_url(s, "token")?;
    form.push(("f", "json".into()));
    form.push(("client_id", client_id(s)?.to_owned()));
    if let Some(secret) = flow.credentials.get("client_secret") {
        form.push(("client_secret", secret.expose().to_owned()));
    }
    let mut req = flow.http.post(url.clone()).form(&form);
    if let Some(referer) = &s.referer {
        req = req.header("Referer", referer);
    }
    let reply = http::send(req, &url).await?;
    let obj = arcgis::json(&reply)?;
    token_set_from(&obj, reply.status, flow.now())
}

/// When a refresh token obtained at `from` dies, when the portal did not say: the login's
/// `expiration` (minutes) when one was asked for, else ArcGIS's default of two weeks.
fn assumed_refresh_end(s: &ArcgisOauthSettings, from: Timestamp) -> Timestamp {
    let minutes = s
        .expiration_minutes
        .and_then(|m| u64::try_from(m).ok())
        .filter(|m| *m > 0);
    from.plus(minutes.map_or(DEFAULT_REFRESH_LIFETIME, |m| {
        Duration::from_secs(m.saturating_mul(60))
    }))
}

/// Fills in the refresh token's end, counted from now, when the portal omitted
/// `refresh_token_expires_in`.
fn with_refresh_end(s: &ArcgisOauthSettings, mut set: TokenSet) -> TokenSet {
    if set.refresh_token.is_some() && set.refresh_expires_at.is_none() {
        set.refresh_expires_at = Some(assumed_refresh_end(s, set.obtained_at));
    }
    set
}

/// `exchange_refresh_token`: a new access AND refresh token; the old pair dies (quirk 6).
async fn exchange(
    s: &ArcgisOauthSettings,
    flow: &Flow<'_>,
    current: &TokenSet,
    rt: &Secret,
) -> Result<TokenSet, ProviderError> {
    let redirect = current
        .redirect_uri
        .clone()
        .unwrap_or_else(|| crate::login::RedirectMode::OOB_URI.into());
    let mut set = token_request(
        s,
        flow,
        vec![
            ("grant_type", "exchange_refresh_token".into()),
            ("refresh_token", rt.expose().to_owned()),
            ("redirect_uri", redirect.clone()),
        ],
    )
    .await?;
    if set.refresh_token.is_none() {
        return Err(ProviderError::Garbage {
            status: 200,
            detail: "the exchange_refresh_token answer has no refresh_token".into(),
        });
    }
    set.redirect_uri = Some(redirect);
    Ok(with_refresh_end(s, set))
}

/// A plain `refresh_token` grant with `rt`: a new access token only; the refresh token stays
/// with its `end` (quirk 6). `current` is `None` for an imported refresh token, whose life is
/// counted from the import.
async fn plain_refresh(
    s: &ArcgisOauthSettings,
    flow: &Flow<'_>,
    current: Option<&TokenSet>,
    rt: &Secret,
    end: Option<Timestamp>,
) -> Result<TokenSet, ProviderError> {
    let mut set = token_request(
        s,
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
        set.refresh_expires_at = end;
    }
    if let Some(c) = current {
        set.redirect_uri.clone_from(&c.redirect_uri);
    }
    Ok(with_refresh_end(s, set))
}

async fn refresh(
    s: &ArcgisOauthSettings,
    flow: &Flow<'_>,
    current: &TokenSet,
    rt: &Secret,
) -> Result<TokenSet, ProviderError> {
    let now = flow.now();
    // A refresh token of unknown age (stored before its end was counted) is exchanged now,
    // as age-oauth does: the new one's life is then known.
    let end = current.refresh_expires_at;
    if let Some(end) = end.filter(|end| end.since(now) >= EXCHANGE_WITHIN) {
        return plain_refresh(s, flow, Some(current), rt, Some(end)).await;
    }
    match exchange(s, flow, current, rt).await {
        Ok(set) => Ok(set),
        Err(e) => {
            // The old refresh token still works until its end: keep refreshing with it, say
            // so, and try the exchange again at the next renewal.
            tracing::warn!(connection = %flow.spec.name, error = %e, "the refresh token exchange failed; refreshing with the old one");
            let mut set = plain_refresh(s, flow, Some(current), rt, end).await?;
            let until = set
                .refresh_expires_at
                .map_or_else(String::new, |end| format!(" until it ends at {end}"));
            set.note = Some(format!(
                "the refresh token could not be exchanged for a new one ({e}); the old one is used{until}, then a new login is needed"
            ));
            Ok(set)
        }
    }
}

#[async_trait]
impl Provider for ArcgisOauth<'_> {
    async fn login(&self, flow: &Flow<'_>, _: &LoginInput) -> Result<TokenSet, ProviderError> {
        let s = self.0;
        if !app_login(s) {
            if let Some(rt) = flow.credentials.get("refresh_token") {
                // An imported refresh token (like oauth2's): its first refresh is the login.
                return plain_refresh(s, flow, None, rt, None).await;
            }
            if imported(s) {
                flow.secret("refresh_token", "to import a refresh token")?;
            }
            return Err(ProviderError::NeedsInteraction(
                "a user login needs the browser".into(),
            ));
        }
        flow.secret("client_secret", "for an ArcGIS app login")?;
        token_request(s, flow, vec![("grant_type", "client_credentials".into())]).await
    }

    async fn renew(&self, flow: &Flow<'_>, current: &TokenSet) -> Result<TokenSet, ProviderError> {
        if app_login(self.0) {
            return self.login(flow, &LoginInput::default()).await;
        }
        match &current.refresh_token {
            Some(rt) if current.can_refresh(flow.now()) => refresh(self.0, flow, current, rt).await,
            _ => Err(ProviderError::NeedsInteraction(
                "the ArcGIS refresh token has expired".into(),
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
        let portal = Portal::from(self.0);
        if !app_login(self.0) {
            return arcgis::community_self(flow, &portal, None, tokens).await;
        }
        // An app token has no user: name the app, never its owner (quirk 12).
        let obj = arcgis::portal_get(flow, &portal, "portals/self", tokens).await?;
        let app = obj.get("appInfo").and_then(|a| a.as_object());
        Ok(app.and_then(|a| text(a, "appId")).map(|app_id| Identity {
            subject: app_id,
            name: app.and_then(|a| text(a, "appTitle")),
            email: None,
        }))
    }

    fn required_secrets(&self) -> Vec<&'static str> {
        if app_login(self.0) {
            vec!["client_secret"]
        } else if imported(self.0) {
            vec!["refresh_token"]
        } else {
            Vec::new()
        }
    }

    fn session_end_needs_person(&self, _tokens: &TokenSet) -> bool {
        !app_login(self.0)
    }

    fn browser(&self) -> Option<&dyn BrowserLogin> {
        // An imported refresh token can be replaced by a browser login as well.
        (!app_login(self.0)).then_some(self as &dyn BrowserLogin)
    }

    fn device(&self) -> Option<&dyn DeviceLogin> {
        None
    }

    fn revocation(&self) -> Option<&dyn Revocation> {
        Some(self)
    }
}

#[async_trait]
impl Revocation for ArcgisOauth<'_> {
    async fn revoke(&self, flow: &Flow<'_>, tokens: &TokenSet) -> Result<(), ProviderError> {
        let url = oauth_url(self.0, "revokeToken")?;
        crate::provider::identity::check_destination(flow.spec, &url, "portal_url")?;
        let token = tokens
            .refresh_token
            .as_ref()
            .unwrap_or(&tokens.access_token);
        let form = [
            ("f", "json".to_owned()),
            ("client_id", client_id(self.0)?.to_owned()),
            ("auth_token", token.expose().to_owned()),
        ];
        let reply = http::send(flow.http.post(url.clone()).form(&form), &url).await?;
        arcgis::json(&reply).map(|_| ())
    }
}

#[async_trait]
impl BrowserLogin for ArcgisOauth<'_> {
    async fn authorization(&self, _flow: &Flow<'_>) -> Result<Authorization, ProviderError> {
        let s = self.0;
        let mut params = Vec::new();
        if let Some(minutes) = s.expiration_minutes {
            params.push(("expiration".to_owned(), minutes.to_string()));
        }
        Ok(Authorization {
            authorize_url: oauth_url(s, "authorize")?,
            token_url: oauth_url(s, "token")?,
            client_id: client_id(s)?.to_owned(),
            scope: None,
            params,
            pkce: true,
            iss: crate::login::IssCheck::default(),
            nonce: None,
            jwks_uri: None,
        })
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
        let mut set = token_request(self.0, flow, form).await?;
        set.redirect_uri = Some(redirect_uri.to_owned());
        Ok(with_refresh_end(self.0, set))
    }
}
