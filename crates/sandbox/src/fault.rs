//! Fault injection: the endpoints a fault can target, the faults, the per-endpoint queue of
//! pending faults, and the response each fault produces. Normal responses live with their
//! providers.

use std::collections::{HashMap, VecDeque};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use url::Url;

/// An endpoint of the sandbox that requests are counted for and faults can target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// Generic OAuth 2.0: discovery, at both the OIDC and the RFC 8414 location.
    Discovery,
    /// Generic OAuth 2.0: `POST /oauth/token`.
    Token,
    /// Generic OAuth 2.0: `GET /oauth/userinfo`.
    Userinfo,
    /// Generic OAuth 2.0: `POST /oauth/revoke`.
    Revoke,
    /// Keycloak realm: `.well-known/openid-configuration`.
    KeycloakDiscovery,
    /// Keycloak realm: `protocol/openid-connect/token`.
    KeycloakToken,
    /// Keycloak realm: `protocol/openid-connect/userinfo`.
    KeycloakUserinfo,
    /// Keycloak realm: `protocol/openid-connect/revoke`.
    KeycloakRevoke,
    /// `ArcGIS` portal: `POST /arcgis/sharing/rest/generateToken`.
    ArcgisGenerateToken,
    /// `ArcGIS` Server: `POST /arcgis/tokens/generateToken`.
    ArcgisServerToken,
    /// `ArcGIS` Server: `GET /arcgis/rest/info` (where the token service is).
    ArcgisInfo,
    /// `ArcGIS` portal: `/arcgis/sharing/rest/oauth2/authorize` (the login form and its POST).
    ArcgisAuthorize,
    /// `ArcGIS` portal: `POST /arcgis/sharing/rest/oauth2/token`.
    #[serde(rename = "arcgis_oauth_token")]
    ArcgisOAuthToken,
    /// `ArcGIS` portal: `POST /arcgis/sharing/rest/oauth2/revokeToken`.
    ArcgisRevoke,
    /// `ArcGIS` portal: `/arcgis/sharing/rest/community/self` (the signed-in user).
    ArcgisSelf,
    /// `ArcGIS` portal: `/arcgis/sharing/rest/portals/self` (the portal, with `user` or
    /// `appInfo`).
    ArcgisPortalSelf,
    /// uuIdentity: `POST /itk/oidc/grantToken`.
    ItkGrantToken,
    /// uuIdentity: `GET /itk/oidc/listKeys`.
    ItkListKeys,
    /// The ITk Production Database API under `/itk/api/`.
    ItkApi,
}

impl Endpoint {
    /// Every endpoint, in a stable order.
    pub const ALL: [Self; 19] = [
        Self::Discovery,
        Self::Token,
        Self::Userinfo,
        Self::Revoke,
        Self::KeycloakDiscovery,
        Self::KeycloakToken,
        Self::KeycloakUserinfo,
        Self::KeycloakRevoke,
        Self::ArcgisGenerateToken,
        Self::ArcgisServerToken,
        Self::ArcgisInfo,
        Self::ArcgisAuthorize,
        Self::ArcgisOAuthToken,
        Self::ArcgisRevoke,
        Self::ArcgisSelf,
        Self::ArcgisPortalSelf,
        Self::ItkGrantToken,
        Self::ItkListKeys,
        Self::ItkApi,
    ];

    /// Whether this is a token endpoint (requests there carry a `grant_type`).
    /// `ArcGIS` `generateToken` has no grant type and is not one.
    pub fn is_token(self) -> bool {
        matches!(
            self,
            Self::Token | Self::KeycloakToken | Self::ArcgisOAuthToken | Self::ItkGrantToken
        )
    }
}

/// A misbehaviour to answer a request with instead of (or on top of) the normal response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// This status with the HTML error page a reverse proxy would send.
    Status(u16),
    /// 200 with an HTML login page (`text/html`), as a captive portal or SSO proxy answers.
    Html,
    /// 200 `application/json` whose body is not JSON.
    Garbage,
    /// 200 with a valid JSON body of 2 MiB, to exercise a client's body-size cap.
    Oversized,
    /// The normal token response without `expires_in` (other endpoints answer normally).
    MissingExpiresIn,
    /// Never answer: the request is held until the sandbox shuts down (then 503).
    Hang,
    /// An OAuth error body `{"error", "error_description"}` with this status.
    #[serde(rename = "oauth_error")]
    OAuthError {
        /// HTTP status.
        status: u16,
        /// The `error` code.
        error: String,
        /// The `error_description`.
        description: String,
    },
    /// 429 with `Retry-After: <retry_after>` (seconds).
    RateLimited {
        /// Seconds the client should wait.
        retry_after: u64,
    },
    /// 307 Temporary Redirect to this URL.
    Redirect(Url),
}

/// The size of [`Fault::Oversized`] bodies: twice a typical 1 MiB client cap.
pub const OVERSIZED_BODY_BYTES: usize = 2 * 1024 * 1024;

impl Fault {
    /// Whether the fault replaces the normal response entirely (all but `MissingExpiresIn`).
    pub(crate) fn replaces_response(&self) -> bool {
        !matches!(self, Self::MissingExpiresIn)
    }

    /// Renders the fault. `Hang` waits on `stop`, never on a timer.
    pub(crate) async fn respond(self, stop: &CancellationToken) -> Response {
        match self {
            Self::Status(code) => proxy_error_page(code),
            Self::Html => html(StatusCode::OK, LOGIN_PAGE.to_owned()),
            Self::Garbage => json_text(StatusCode::OK, GARBAGE.to_owned()),
            Self::Oversized => json_text(StatusCode::OK, oversized_body()),
            Self::MissingExpiresIn => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            Self::Hang => {
                stop.cancelled().await;
                proxy_error_page(503)
            }
            Self::OAuthError {
                status,
                error,
                description,
            } => oauth_error(status, &error, &description),
            Self::RateLimited { retry_after } => rate_limited(retry_after),
            Self::Redirect(url) => redirect(&url),
        }
    }
}

const LOGIN_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\
<body><h1>Sign in to continue</h1><form method=\"post\" action=\"/login\">\
<input name=\"username\"><input name=\"password\" type=\"password\">\
<button>Sign in</button></form></body></html>\n";

const GARBAGE: &str = "{\"access_token\": \"eyJhbGciOi\", \"expires_in\": 36";

fn status_or_500(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn proxy_error_page(code: u16) -> Response {
    let status = status_or_500(code);
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n\
         <hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    html(status, body)
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn json_text(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn oversized_body() -> String {
    let padding = "x".repeat(OVERSIZED_BODY_BYTES);
    format!(
        "{{\"access_token\":\"oversized\",\"token_type\":\"Bearer\",\"expires_in\":3600,\"padding\":\"{padding}\"}}"
    )
}

fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    let body = serde_json::json!({ "error": error, "error_description": description });
    (
        status_or_500(status),
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}

fn rate_limited(retry_after: u64) -> Response {
    let body = serde_json::json!({
        "error": "too_many_requests",
        "error_description": "too many token requests; retry later",
    });
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, retry_after.to_string())],
        axum::Json(body),
    )
        .into_response()
}

fn redirect(url: &Url) -> Response {
    let mut response = StatusCode::TEMPORARY_REDIRECT.into_response();
    if let Ok(location) = HeaderValue::from_str(url.as_str()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Pending faults per endpoint, consumed in the order they were injected.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    pending: HashMap<Endpoint, VecDeque<(Fault, usize)>>,
}

impl FaultQueue {
    /// Queues `fault` for the next `times` requests to `endpoint` (after those already queued).
    pub(crate) fn push(&mut self, endpoint: Endpoint, fault: Fault, times: usize) {
        if times > 0 {
            self.pending
                .entry(endpoint)
                .or_default()
                .push_back((fault, times));
        }
    }

    /// The fault for the request arriving now at `endpoint`, if any.
    pub(crate) fn take(&mut self, endpoint: Endpoint) -> Option<Fault> {
        let queue = self.pending.get_mut(&endpoint)?;
        let (fault, remaining) = queue.front_mut()?;
        let fault = fault.clone();
        *remaining -= 1;
        if *remaining == 0 {
            queue.pop_front();
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_used_up_in_order() {
        let mut queue = FaultQueue::default();
        queue.push(Endpoint::Token, Fault::Html, 2);
        queue.push(Endpoint::Token, Fault::Garbage, 1);
        queue.push(Endpoint::Token, Fault::Status(500), 0);
        let taken: Vec<_> = std::iter::from_fn(|| queue.take(Endpoint::Token)).collect();
        assert_eq!(taken, [Fault::Html, Fault::Html, Fault::Garbage]);
    }

    #[test]
    fn a_fault_only_hits_its_own_endpoint() {
        let mut queue = FaultQueue::default();
        queue.push(Endpoint::Userinfo, Fault::Html, 1);
        assert_eq!(queue.take(Endpoint::Token), None);
        assert_eq!(queue.take(Endpoint::Userinfo), Some(Fault::Html));
    }

    #[test]
    fn faults_read_from_json_in_the_admin_api_shape() {
        let faults: Vec<Fault> = serde_json::from_str(
            r#"["html", {"status": 503}, {"rate_limited": {"retry_after": 7}},
                {"oauth_error": {"status": 400, "error": "invalid_grant", "description": "no"}},
                {"redirect": "http://127.0.0.1:1/elsewhere"}]"#,
        )
        .unwrap();
        assert_eq!(faults[1], Fault::Status(503));
        assert_eq!(faults[2], Fault::RateLimited { retry_after: 7 });
    }
}
