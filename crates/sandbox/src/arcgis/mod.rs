//! An `ArcGIS` portal under `/arcgis` (the `<portal_url>` of protocols.md §1 and §4), with the
//! stand-alone `ArcGIS` Server token service beside it. Routes, all below `<url>arcgis`:
//!
//! | Route | What |
//! |---|---|
//! | `POST sharing/rest/generateToken` | username/password tokens (§1.2–1.4) |
//! | `POST tokens/generateToken` | the same, as a stand-alone server (may answer `expires` in seconds, quirk 4) |
//! | `GET rest/info?f=json` | `authInfo.tokenServicesUrl` → `tokens/generateToken` |
//! | `GET, POST sharing/rest/oauth2/authorize` | a sign-in form; posting it redirects with a code (§4.2) |
//! | `POST sharing/rest/oauth2/token` | `authorization_code`, `refresh_token`, `exchange_refresh_token`, `client_credentials` (§4.3–4.6) |
//! | `POST sharing/rest/oauth2/revokeToken` | always `{"success": true}` (§6.5) |
//! | `GET, POST sharing/rest/community/self` | the signed-in user (§1.9, §4.7) |
//! | `GET, POST sharing/rest/portals/self` | the portal, with `user` or `appInfo` (§4.7) |
//!
//! The quirks it reproduces: errors come as HTTP 200 envelopes (1), OAuth errors are nested in
//! `error` with `invalid_request` (2), without `f=json` every `sharing/rest` operation answers
//! HTML (3), `generateToken`'s `expires` is absolute epoch milliseconds (4), `client=referer`
//! and app tokens obtained with a `Referer` only work with that same `Referer` (5), and a
//! refresh returns no new refresh token while an exchange returns one and ends the old one with
//! every access token obtained with it (6). Tokens are accepted in `X-Esri-Authorization`,
//! `Authorization`, `?token=` or a form `token` (17, 43). `requestip` and `ip` bindings are
//! recorded but not enforced: every caller of the sandbox is on loopback.

mod authorize;
mod generate;
mod grant;
mod identity;
mod pages;
mod request;
mod wire;

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequest, Request, State};
use axum::response::Response;
use axum::routing::{any, get, post};
use url::Url;

use crate::config::ArcgisConfig;
use crate::fault::Endpoint;
use crate::state::Shared;
use request::ArcgisRequest;

/// The portal's path on the server.
pub(crate) const PREFIX: &str = "/arcgis";

/// Request bodies above this are read as empty.
const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The portal mounted on the sandbox's server.
pub(crate) struct Portal {
    shared: Arc<Shared>,
    /// `<url>arcgis`, without a trailing slash.
    base: String,
}

impl Portal {
    pub(crate) fn new(shared: Arc<Shared>, base: &Url) -> Self {
        Self {
            shared,
            base: format!("{}{PREFIX}", base.as_str().trim_end_matches('/')),
        }
    }

    fn config(&self) -> &ArcgisConfig {
        &self.shared.config().arcgis
    }

    /// Records the request and answers it, unless a fault answers instead.
    async fn answer(
        &self,
        endpoint: Endpoint,
        request: &ArcgisRequest,
        normal: impl FnOnce(bool) -> Response,
    ) -> Response {
        self.shared.answer(request.record(endpoint), normal).await
    }
}

type Served = State<Arc<Portal>>;

pub(crate) fn router(portal: Arc<Portal>) -> Router {
    let path = |rest: &str| format!("{PREFIX}/{rest}");
    Router::new()
        .route(&path("sharing/rest/generateToken"), any(generate_token))
        .route(&path("tokens/generateToken"), any(server_token))
        .route(&path("rest/info"), get(info).post(info))
        .route(
            &path("sharing/rest/oauth2/authorize"),
            get(authorize).post(authorize),
        )
        .route(&path("sharing/rest/oauth2/token"), post(oauth_token))
        .route(&path("sharing/rest/oauth2/revokeToken"), post(revoke))
        .route(
            &path("sharing/rest/community/self"),
            get(community_self).post(community_self),
        )
        .route(
            &path("sharing/rest/portals/self"),
            get(portal_self).post(portal_self),
        )
        .with_state(portal)
}

impl<S: Send + Sync> FromRequest<S> for ArcgisRequest {
    type Rejection = Infallible;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, BODY_LIMIT)
            .await
            .unwrap_or_default();
        Ok(Self::parse(
            &parts.method,
            &parts.uri,
            &parts.headers,
            &bytes,
        ))
    }
}

async fn generate_token(State(portal): Served, request: ArcgisRequest) -> Response {
    let service = generate::Service::Portal;
    portal
        .answer(Endpoint::ArcgisGenerateToken, &request, |strip| {
            portal.generate_token(&request, service, strip)
        })
        .await
}

async fn server_token(State(portal): Served, request: ArcgisRequest) -> Response {
    let service = generate::Service::Server;
    portal
        .answer(Endpoint::ArcgisServerToken, &request, |strip| {
            portal.generate_token(&request, service, strip)
        })
        .await
}

async fn info(State(portal): Served, request: ArcgisRequest) -> Response {
    portal
        .answer(Endpoint::ArcgisInfo, &request, |_| portal.info(&request))
        .await
}

async fn authorize(State(portal): Served, request: ArcgisRequest) -> Response {
    portal
        .answer(Endpoint::ArcgisAuthorize, &request, |_| {
            portal.authorize(&request)
        })
        .await
}

async fn oauth_token(State(portal): Served, request: ArcgisRequest) -> Response {
    portal
        .answer(Endpoint::ArcgisOAuthToken, &request, |strip| {
            portal.oauth_token(&request, strip)
        })
        .await
}

async fn revoke(State(portal): Served, request: ArcgisRequest) -> Response {
    portal
        .answer(Endpoint::ArcgisRevoke, &request, |_| {
            portal.revoke(&request)
        })
        .await
}

async fn community_self(State(portal): Served, request: ArcgisRequest) -> Response {
    portal
        .answer(Endpoint::ArcgisSelf, &request, |_| {
            portal.community_self(&request)
        })
        .await
}

async fn portal_self(State(portal): Served, request: ArcgisRequest) -> Response {
    portal
        .answer(Endpoint::ArcgisPortalSelf, &request, |_| {
            portal.portal_self(&request)
        })
        .await
}
