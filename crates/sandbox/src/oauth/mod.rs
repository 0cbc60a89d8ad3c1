//! The OAuth 2.0 / OIDC token service: client authentication, the `client_credentials`,
//! `password` and `refresh_token` grants, rotation, userinfo, revocation and discovery. The
//! generic server under `/oauth` is this module with the RFC wording ([`Dialect::Generic`]);
//! the Keycloak realm ([`keycloak`], a dialect of this server) reuses it with Keycloak's wording
//! and extra fields.

mod client_auth;
mod discovery;
mod endpoints;
mod failure;
mod grant;
pub(crate) mod keycloak;
mod request;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use serde_json::{Map, Value};
use url::Url;

use failure::{Failure, WireError};

use crate::fault::Endpoint;
use crate::minter::Minter;
use crate::state::Shared;
use crate::state::oauth::{Dialect, Issued};

/// The four routes every issuer serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    Discovery,
    Token,
    Userinfo,
    Revoke,
}

impl Dialect {
    pub(crate) fn endpoint(self, route: Route) -> Endpoint {
        match (self, route) {
            (Self::Generic, Route::Discovery) => Endpoint::Discovery,
            (Self::Generic, Route::Token) => Endpoint::Token,
            (Self::Generic, Route::Userinfo) => Endpoint::Userinfo,
            (Self::Generic, Route::Revoke) => Endpoint::Revoke,
            (Self::Keycloak, Route::Discovery) => Endpoint::KeycloakDiscovery,
            (Self::Keycloak, Route::Token) => Endpoint::KeycloakToken,
            (Self::Keycloak, Route::Userinfo) => Endpoint::KeycloakUserinfo,
            (Self::Keycloak, Route::Revoke) => Endpoint::KeycloakRevoke,
        }
    }

    /// The path of a route below the issuer.
    pub(crate) fn path(self, route: Route) -> &'static str {
        match (self, route) {
            (_, Route::Discovery) => ".well-known/openid-configuration",
            (Self::Generic, Route::Token) => "token",
            (Self::Generic, Route::Userinfo) => "userinfo",
            (Self::Generic, Route::Revoke) => "revoke",
            (Self::Keycloak, Route::Token) => "protocol/openid-connect/token",
            (Self::Keycloak, Route::Userinfo) => "protocol/openid-connect/userinfo",
            (Self::Keycloak, Route::Revoke) => "protocol/openid-connect/revoke",
        }
    }

    pub(crate) fn reject(self, failure: Failure) -> WireError {
        match self {
            Self::Generic => failure::generic(failure),
            Self::Keycloak => keycloak::wording(failure),
        }
    }

    /// Whether the password grant also demands the user's one-time code.
    fn checks_totp(self) -> bool {
        self == Self::Keycloak
    }

    fn token_body(self, issued: Issued, strip_expires_in: bool) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("access_token".into(), issued.access_token.into());
        body.insert("token_type".into(), "Bearer".into());
        body.insert("expires_in".into(), issued.expires_in.into());
        if let Some(refresh) = issued.refresh_token {
            body.insert("refresh_token".into(), refresh.into());
        }
        if let Some(secs) = issued.refresh_expires_in {
            body.insert("refresh_expires_in".into(), secs.into());
        }
        body.insert("scope".into(), issued.scope.clone().into());
        if self == Self::Keycloak {
            keycloak::decorate(&mut body, &issued.session_state);
        }
        if strip_expires_in {
            body.remove("expires_in");
        }
        body
    }
}

/// One OAuth issuer mounted on the sandbox's server.
pub(crate) struct Issuer {
    shared: Arc<Shared>,
    dialect: Dialect,
    /// The issuer identifier: an absolute URL without a trailing slash.
    identifier: String,
    /// The issuer's path on the server, starting with `/`, without a trailing slash.
    prefix: String,
}

impl Issuer {
    pub(crate) fn new(shared: Arc<Shared>, dialect: Dialect, base: &Url, prefix: &str) -> Self {
        let identifier = format!("{}{}", base.as_str().trim_end_matches('/'), prefix);
        Self {
            shared,
            dialect,
            identifier,
            prefix: prefix.to_owned(),
        }
    }

    fn minter(&self) -> Minter<'_> {
        Minter {
            issuer: &self.identifier,
            key: self.shared.signing_key(),
        }
    }

    fn url(&self, route: Route) -> String {
        format!("{}/{}", self.identifier, self.dialect.path(route))
    }

    /// Mints a refresh token for `username` as `client_id` without a login.
    pub(crate) fn mint_refresh_token(&self, client_id: &str, username: &str) -> Option<String> {
        let now = self.shared.now_secs();
        let mut state = self.shared.lock();
        let (registry, tokens) = state.split(self.dialect);
        let client = registry.clients.get(client_id)?;
        registry.users.get(username)?;
        tokens.mint_refresh(&self.minter(), client, username, now)
    }
}

/// The generic OAuth 2.0 server's issuer, at `/oauth`.
pub(crate) fn issuer(shared: Arc<Shared>, base: &Url) -> Issuer {
    Issuer::new(shared, Dialect::Generic, base, "/oauth")
}

/// The routes of an issuer. The generic one also serves its RFC 8414 metadata at
/// `/.well-known/oauth-authorization-server/oauth` (inserted between host and issuer path).
pub(crate) fn router(issuer: Arc<Issuer>) -> Router {
    let router = endpoints::router(Arc::clone(&issuer));
    if issuer.dialect != Dialect::Generic {
        return router;
    }
    let path = format!("/.well-known/oauth-authorization-server{}", issuer.prefix);
    router.route(
        &path,
        get(move || endpoints::discovery(Arc::clone(&issuer))),
    )
}
