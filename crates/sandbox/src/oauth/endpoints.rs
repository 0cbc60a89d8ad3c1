//! The HTTP face of an issuer: axum handlers for the token, userinfo, revocation and discovery
//! routes. Each request is recorded, may be hijacked by an injected fault, and otherwise gets
//! the issuer's normal answer.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::request::FormRequest;
use super::{Issuer, Route, WireError};
use crate::record::RequestRecord;
use crate::state::oauth::Subject;

type Shared = State<Arc<Issuer>>;

pub(super) fn router(issuer: Arc<Issuer>) -> Router {
    let path = |route| format!("{}/{}", issuer.prefix, issuer.dialect.path(route));
    Router::new()
        .route(&path(Route::Discovery), get(discovery_route))
        .route(&path(Route::Token), post(token))
        .route(&path(Route::Userinfo), get(userinfo).post(userinfo))
        .route(&path(Route::Revoke), post(revoke))
        .with_state(issuer)
}

async fn discovery_route(State(issuer): Shared) -> Response {
    discovery(issuer).await
}

pub(super) async fn discovery(issuer: Arc<Issuer>) -> Response {
    let record = RequestRecord::bare(issuer.dialect.endpoint(Route::Discovery));
    issuer
        .answer(record, |_| axum::Json(issuer.metadata()).into_response())
        .await
}

async fn token(State(issuer): Shared, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let request = FormRequest::parse(&uri, &headers, &body);
    let record = request.record(issuer.dialect.endpoint(Route::Token));
    issuer
        .answer(record, |strip| issuer.token_response(&request, strip))
        .await
}

async fn userinfo(State(issuer): Shared, headers: HeaderMap) -> Response {
    let record = RequestRecord::bare(issuer.dialect.endpoint(Route::Userinfo));
    issuer
        .answer(record, |_| issuer.userinfo_response(&headers))
        .await
}

async fn revoke(State(issuer): Shared, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let request = FormRequest::parse(&uri, &headers, &body);
    let record = request.record(issuer.dialect.endpoint(Route::Revoke));
    issuer
        .answer(record, |_| issuer.revoke_response(&request))
        .await
}

impl Issuer {
    /// Records the request, then answers with the queued fault or the normal response. The
    /// flag given to `normal` says whether to leave `expires_in` out.
    async fn answer(
        &self,
        record: RequestRecord,
        normal: impl FnOnce(bool) -> Response,
    ) -> Response {
        self.shared.answer(record, normal).await
    }

    fn token_response(&self, request: &FormRequest, strip_expires_in: bool) -> Response {
        match self.grant(request) {
            Ok(issued) => {
                let body = self.dialect.token_body(issued, strip_expires_in);
                no_store(axum::Json(body).into_response())
            }
            Err(failure) => self.dialect.reject(failure).into_response(),
        }
    }

    fn userinfo_response(&self, headers: &HeaderMap) -> Response {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        match token.and_then(|token| self.claims_of(token.trim())) {
            Some(claims) => axum::Json(claims).into_response(),
            None => invalid_token(),
        }
    }

    fn claims_of(&self, token: &str) -> Option<Value> {
        let now = self.shared.now_secs();
        let mut state = self.shared.lock();
        let (registry, tokens) = state.split(self.dialect);
        match tokens.bearer(token, now)? {
            Subject::User(username) => {
                let user = registry.users.get(username)?;
                Some(json!({
                    "sub": user.username,
                    "preferred_username": user.username,
                    "name": user.name,
                    "email": user.email,
                }))
            }
            Subject::Service(client_id) => Some(json!({
                "sub": client_id,
                "preferred_username": format!("service-account-{client_id}"),
            })),
        }
    }

    fn revoke_response(&self, request: &FormRequest) -> Response {
        match self.revoke(request) {
            Ok(()) => no_store(StatusCode::OK.into_response()),
            Err(failure) => self.dialect.reject(failure).into_response(),
        }
    }

    fn revoke(&self, request: &FormRequest) -> Result<(), super::Failure> {
        request.check_shape()?;
        let mut state = self.shared.lock();
        let (registry, tokens) = state.split(self.dialect);
        let client = super::client_auth::authenticate(request.presented(), registry)?;
        let token = request.require("token")?;
        Ok(tokens.revoke(&client.client_id, token)?)
    }
}

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    headers.insert(header::PRAGMA, header::HeaderValue::from_static("no-cache"));
    response
}

fn invalid_token() -> Response {
    let mut response = WireError::unauthorized(
        "invalid_token",
        "the access token is unknown, expired or revoked",
    )
    .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}
