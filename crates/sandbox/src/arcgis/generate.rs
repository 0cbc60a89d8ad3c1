//! `generateToken` (portal and stand-alone server) and the server's `rest/info`: username and
//! password in a posted form, a `client` binding, an `expiration` in minutes capped at the
//! configured maximum, and an absolute `expires` (protocols.md §1.2–1.4, quirks 1, 3, 4, 5).

use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::Portal;
use super::pages::{self, Shown};
use super::request::ArcgisRequest;
use super::wire::{ArcgisError, json_ok};
use crate::state::arcgis::{AccessEntry, Holder};

/// Which token service a `generateToken` request reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Service {
    /// `sharing/rest/generateToken`: `expires` in epoch milliseconds.
    Portal,
    /// `tokens/generateToken`: milliseconds too, unless configured to answer in seconds.
    Server,
}

/// A token `generateToken` handed out.
struct Minted {
    token: String,
    /// `expires` as the service words it (milliseconds, or seconds for a server so configured).
    expires: u64,
}

#[derive(Serialize)]
struct Generated<'a> {
    token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<u64>,
    ssl: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Info<'a> {
    current_version: f64,
    full_version: &'a str,
    #[serde(rename = "authInfo")]
    authentication: AuthInfo,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuthInfo {
    is_token_based_security: bool,
    token_services_url: String,
    short_lived_token_validity: u64,
}

impl Portal {
    /// POST only, and never the password in the URL (405); without `f=json` the HTML page.
    pub(super) fn generate_token(
        &self,
        request: &ArcgisRequest,
        service: Service,
        strip_expires: bool,
    ) -> Response {
        if !request.is_post()
            || request.query_param("username").is_some()
            || request.query_param("password").is_some()
        {
            return ArcgisError::MethodNotSupported.into_response();
        }
        let minted = self.mint(request, service);
        let ssl = self.config().ssl;
        if !request.wants_json() {
            let shown = minted.as_ref().ok().map(|minted| Shown {
                token: &minted.token,
                expires: minted.expires,
                ssl,
            });
            return pages::generate_token(shown.as_ref());
        }
        match minted {
            Ok(minted) => json_ok(&Generated {
                token: &minted.token,
                expires: (!strip_expires).then_some(minted.expires),
                ssl,
            }),
            Err(error) => error.into_response(),
        }
    }

    fn mint(&self, request: &ArcgisRequest, service: Service) -> Result<Minted, ArcgisError> {
        let username = request
            .param("username")
            .ok_or(missing("'username' must be specified."))?;
        let password = request
            .param("password")
            .ok_or(missing("'password' must be specified."))?;
        let referer = binding(request)?;
        let minutes = self.expiration_minutes(request.param("expiration"))?;
        let now_ms = self.shared.now_millis();
        let expires_at_ms = now_ms + minutes * 60_000;
        let mut state = self.shared.lock();
        let portal = &mut state.arcgis;
        let user = portal
            .sign_in(username, password)
            .ok_or(ArcgisError::BAD_CREDENTIALS)?;
        let entry = AccessEntry {
            holder: Holder::User(user.username.clone()),
            expires_at_ms,
            referer: referer.map(str::to_owned),
            origin: None,
        };
        let token = portal.tokens.issue_access(entry, ".");
        let in_seconds = service == Service::Server && self.config().server_expires_in_seconds;
        let expires = if in_seconds {
            expires_at_ms / 1000
        } else {
            expires_at_ms
        };
        Ok(Minted { token, expires })
    }

    /// The lifetime granted: the default when none is asked, the maximum when more is asked.
    fn expiration_minutes(&self, asked: Option<&str>) -> Result<u64, ArcgisError> {
        let config = self.config();
        let Some(asked) = asked else {
            return Ok(config.default_expiration_minutes);
        };
        // The wording of this refusal is the sandbox's own; the reference gives none.
        let minutes: u64 = asked
            .parse()
            .map_err(|_| missing("'expiration' must be a number of minutes."))?;
        Ok(minutes.clamp(1, config.max_expiration_minutes))
    }

    /// `rest/info`: where a stand-alone server's token service is.
    pub(super) fn info(&self, request: &ArcgisRequest) -> Response {
        if !request.wants_json() {
            return pages::directory("Server Info");
        }
        json_ok(&Info {
            current_version: 11.3,
            full_version: "11.3.0",
            authentication: AuthInfo {
                is_token_based_security: true,
                token_services_url: format!("{}/tokens/generateToken", self.base),
                short_lived_token_validity: self.config().default_expiration_minutes,
            },
        })
    }
}

/// The `referer` a `client=referer` token is bound to; `requestip` and `ip` bind to addresses,
/// which the sandbox records but cannot tell apart (everything is loopback).
fn binding(request: &ArcgisRequest) -> Result<Option<&str>, ArcgisError> {
    match request.param("client").unwrap_or("requestip") {
        "referer" => request
            .param("referer")
            .map(Some)
            .ok_or(missing("'referer' must be specified.")),
        "ip" => request
            .param("ip")
            .map(|_| None)
            .ok_or(missing("'ip' must be specified.")),
        "requestip" => Ok(None),
        _ => Err(missing("'client' must be one of requestip, referer, ip.")),
    }
}

fn missing(details: &'static str) -> ArcgisError {
    ArcgisError::GenerateToken {
        details,
        message_code: None,
    }
}
