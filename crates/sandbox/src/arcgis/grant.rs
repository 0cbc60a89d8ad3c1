//! `oauth2/token` and `oauth2/revokeToken` (protocols.md §4.2–4.6, §6.5; quirks 2 and 6).
//!
//! Every token request is a form with `f=json` (else the directory page) and a registered
//! `client_id`. A `client_secret`, when sent, must be right; only `client_credentials` needs
//! one. `authorization_code` checks the single-use code, the `redirect_uri` it was issued for
//! and the PKCE verifier, and brings a refresh token; `refresh_token` brings only a new access
//! token; `exchange_refresh_token` (which needs a registered `redirect_uri`) brings a new
//! access AND refresh token and ends the old refresh token with every access token obtained
//! with it. Descriptions the reference does not record (`Invalid authorization code`,
//! `Invalid code_verifier`, `Invalid grant_type`, `Invalid client_id`, `Invalid
//! redirect_uri`) follow the recorded `Invalid client_secret` pattern.

use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::Portal;
use super::pages;
use super::request::ArcgisRequest;
use super::wire::{ArcgisError, json_ok};
use crate::config::ArcgisApp;
use crate::state::arcgis::{AccessEntry, Holder, PortalState, RefreshEntry};

/// A token response in §4.5's key order; absent fields are left out.
#[derive(Serialize)]
struct TokenBody<'a> {
    access_token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_in: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ssl: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token_expires_in: Option<u64>,
}

/// What a grant hands out, before it is written down.
struct Granted {
    access_token: String,
    expires_in: u64,
    /// The user and the `ssl` flag, for user tokens.
    user: Option<(String, bool)>,
    /// A new refresh token and its lifetime in seconds.
    refresh: Option<(String, u64)>,
}

impl Granted {
    fn body(&self, strip_expires_in: bool, omit_refresh_end: bool) -> TokenBody<'_> {
        TokenBody {
            access_token: &self.access_token,
            expires_in: (!strip_expires_in).then_some(self.expires_in),
            username: self.user.as_ref().map(|(name, _)| name.as_str()),
            ssl: self.user.as_ref().map(|(_, ssl)| *ssl),
            refresh_token: self.refresh.as_ref().map(|(token, _)| token.as_str()),
            refresh_token_expires_in: self
                .refresh
                .as_ref()
                .filter(|_| !omit_refresh_end)
                .map(|(_, secs)| *secs),
        }
    }
}

#[derive(Serialize)]
struct Revoked {
    success: bool,
}

/// One token request being decided, under the state lock.
struct Run<'a> {
    portal: &'a Portal,
    request: &'a ArcgisRequest,
    app: ArcgisApp,
    now_ms: u64,
}

impl Portal {
    pub(super) fn oauth_token(&self, request: &ArcgisRequest, strip_expires_in: bool) -> Response {
        if !request.wants_json() {
            return pages::directory("Token");
        }
        match self.grant(request) {
            Ok(granted) => json_ok(&granted.body(
                strip_expires_in,
                self.config().refresh_quirks.omit_expires_in,
            )),
            Err(error) => error.into_response(),
        }
    }

    /// Always `{"success": true}`; refresh tokens and OAuth user tokens really end.
    pub(super) fn revoke(&self, request: &ArcgisRequest) -> Response {
        if let Some(token) = request.param("auth_token") {
            self.shared.lock().arcgis.tokens.revoke(token);
        }
        json_ok(&Revoked { success: true })
    }

    /// A refresh token for a user of an app, as if they had signed in elsewhere.
    pub(crate) fn mint_refresh_token(&self, client_id: &str, username: &str) -> Option<String> {
        let now = self.shared.now_secs();
        let mut state = self.shared.lock();
        let portal = &mut state.arcgis;
        portal.apps.get(client_id)?;
        portal.users.get(username)?;
        let window = self.config().refresh_token_secs;
        Some(
            portal
                .tokens
                .issue_refresh(client_id, username, window, now),
        )
    }

    fn grant(&self, request: &ArcgisRequest) -> Result<Granted, ArcgisError> {
        let client_id = request
            .param("client_id")
            .ok_or(ArcgisError::InvalidRequest)?;
        let grant_type = request
            .param("grant_type")
            .ok_or(ArcgisError::InvalidRequest)?;
        let now_ms = self.shared.now_millis();
        let mut state = self.shared.lock();
        let portal = &mut state.arcgis;
        let app = portal
            .apps
            .get(client_id)
            .cloned()
            .ok_or(ArcgisError::oauth("Invalid client_id"))?;
        let needs_secret = grant_type == "client_credentials";
        check_secret(&app, request.param("client_secret"), needs_secret)?;
        let run = Run {
            portal: self,
            request,
            app,
            now_ms,
        };
        match grant_type {
            "authorization_code" => run.authorization_code(portal),
            "refresh_token" => run.refresh(portal),
            "exchange_refresh_token" => run.exchange(portal),
            "client_credentials" => Ok(run.client_credentials(portal)),
            _ => Err(ArcgisError::oauth("Invalid grant_type")),
        }
    }
}

impl Run<'_> {
    fn now(&self) -> u64 {
        self.now_ms / 1000
    }

    fn require(&self, name: &str) -> Result<&str, ArcgisError> {
        self.request.param(name).ok_or(ArcgisError::InvalidRequest)
    }

    fn authorization_code(&self, portal: &mut PortalState) -> Result<Granted, ArcgisError> {
        let code = self.require("code")?;
        let redirect_uri = self.require("redirect_uri")?;
        let pending = portal
            .tokens
            .take_code(code, self.now())
            .filter(|pending| pending.client_id == self.app.client_id)
            .ok_or(ArcgisError::oauth("Invalid authorization code"))?;
        if pending.redirect_uri != redirect_uri {
            return Err(ArcgisError::oauth("Invalid redirect_uri"));
        }
        if let Some(challenge) = &pending.challenge {
            let verifier = self.request.param("code_verifier");
            if !verifier.is_some_and(|verifier| challenge.verifies(verifier)) {
                return Err(ArcgisError::oauth("Invalid code_verifier"));
            }
        }
        let refresh = portal.tokens.issue_refresh(
            &self.app.client_id,
            &pending.username,
            pending.refresh_secs,
            self.now(),
        );
        let refresh = (refresh, pending.refresh_secs);
        Ok(self.user_tokens(portal, pending.username, refresh.0.clone(), Some(refresh)))
    }

    fn refresh(&self, portal: &mut PortalState) -> Result<Granted, ArcgisError> {
        let token = self.require("refresh_token")?;
        let entry = self.live_refresh(portal, token)?;
        // Quirk 6: no new refresh token; the client keeps the one it has.
        Ok(self.user_tokens(portal, entry.username, token.to_owned(), None))
    }

    fn exchange(&self, portal: &mut PortalState) -> Result<Granted, ArcgisError> {
        if self.portal.config().refresh_quirks.refuse_exchange {
            return Err(ArcgisError::OAuth {
                code: 500,
                description: "Unable to exchange refresh token",
            });
        }
        let redirect_uri = self.require("redirect_uri")?;
        if !self.app.allows_redirect(redirect_uri) {
            return Err(ArcgisError::oauth("Invalid redirect_uri"));
        }
        let old = self.require("refresh_token")?;
        let entry = self.live_refresh(portal, old)?;
        let new = portal.tokens.issue_refresh(
            &self.app.client_id,
            &entry.username,
            entry.window_secs,
            self.now(),
        );
        // Quirk 6: the old refresh token and every access token obtained with it end now.
        portal.tokens.retire_refresh(old);
        let refresh = (new.clone(), entry.window_secs);
        Ok(self.user_tokens(portal, entry.username, new, Some(refresh)))
    }

    fn client_credentials(&self, portal: &mut PortalState) -> Granted {
        let config = self.portal.config();
        let expires_in = self
            .request
            .param("expiration")
            .and_then(|minutes| minutes.parse::<u64>().ok())
            .map_or(config.app_token_secs, |minutes| {
                minutes.clamp(1, config.max_expiration_minutes) * 60
            });
        let entry = AccessEntry {
            holder: Holder::App(self.app.client_id.clone()),
            expires_at_ms: self.now_ms + expires_in * 1000,
            referer: self.request.referer().map(str::to_owned),
            origin: None,
        };
        Granted {
            access_token: portal.tokens.issue_access(entry, ""),
            expires_in,
            user: None,
            refresh: None,
        }
    }

    /// The refresh token, if it is this app's and still alive (498 otherwise, quirk 2).
    fn live_refresh(&self, portal: &PortalState, token: &str) -> Result<RefreshEntry, ArcgisError> {
        let entry = portal
            .tokens
            .refresh(token)
            .filter(|entry| entry.client_id == self.app.client_id)
            .ok_or(ArcgisError::oauth_498("Invalid refresh_token"))?;
        if entry.expires_at <= self.now() {
            return Err(ArcgisError::oauth_498("refresh_token expired"));
        }
        Ok(entry.clone())
    }

    /// A user access token tied to the refresh token `origin`.
    fn user_tokens(
        &self,
        portal: &mut PortalState,
        username: String,
        origin: String,
        refresh: Option<(String, u64)>,
    ) -> Granted {
        let config = self.portal.config();
        let entry = AccessEntry {
            holder: Holder::User(username.clone()),
            expires_at_ms: self.now_ms + config.user_token_secs * 1000,
            referer: None,
            origin: Some(origin),
        };
        Granted {
            access_token: portal.tokens.issue_access(entry, ""),
            expires_in: config.user_token_secs,
            user: Some((username, config.ssl)),
            refresh,
        }
    }
}

/// A sent secret must be the app's; `client_credentials` needs one.
fn check_secret(app: &ArcgisApp, sent: Option<&str>, needed: bool) -> Result<(), ArcgisError> {
    match (app.client_secret.as_deref(), sent) {
        (Some(secret), Some(sent)) if secret == sent => Ok(()),
        (_, Some(_)) => Err(ArcgisError::oauth("Invalid client_secret")),
        (_, None) if needed => Err(ArcgisError::oauth("Invalid client_secret")),
        (_, None) => Ok(()),
    }
}
