//! The routes of the endpoint and the layers in front of them. Handlers translate between HTTP
//! and the engine and do nothing else; validation lives in `extract`, gatekeeping in `guard`.
//!
//! Token reads have no per-client rate limit (security.md R20 names one). Every client is
//! 127.0.0.1, so a "client" could only be a TCP connection, which a caller escapes by
//! reconnecting, or a process, which takes a `/proc` scan to learn: more work per request than
//! the read it would limit. A read of a token at hand costs microseconds from memory and never
//! reaches a provider; what does reach one is bounded elsewhere: renewals are single-flight
//! per connection, forced refreshes reach the provider at most once per `app::REFRESH_WINDOW`,
//! connections are capped and slow heads time out (`serve`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Method, Request, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use tokentray_engine::contract::endpoint;
use tokentray_engine::{
    ConnectionName, ConnectionView, Freshness, Handout, Identity, ProviderKind, Status,
};

use crate::app::{App, DaemonInfo};
use crate::error::ApiError;
use crate::extract::{
    Client, Exportable, JsonContent, MinValid, Rejected, WantsText, parse_min_valid, wants_text,
};
use crate::peer::Peer;

pub(crate) fn routes(app: &App) -> Router {
    let mut routes = Router::new();
    if app.local() {
        routes = routes.route(endpoint::DAEMON_INFO_PATH, get(daemon));
    }
    routes
        .route("/v1/connections", get(list))
        .route("/v1/connections/{name}/token", get(token))
        .route("/v1/connections/{name}/refresh", post(refresh))
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .with_state(app.clone())
}

async fn list(State(app): State<App>) -> Result<Json<ConnectionList>, ApiError> {
    let views = app.engine().list().map_err(|e| {
        tracing::debug!(error = %e, "could not list the connections");
        ApiError::Internal
    })?;
    Ok(Json(ConnectionList::of(views, app.local())))
}

async fn token(
    State(app): State<App>,
    Exportable(name): Exportable,
    MinValid(min_valid): MinValid,
    Rejected(rejected): Rejected,
    WantsText(text): WantsText,
    Client(client): Client,
) -> Result<Response, ApiError> {
    if let Some(rejected) = rejected {
        // Never the prepared fast path: the current token may be the refused one.
        let handout = Box::pin(app.engine().token_rejected(
            &name,
            &rejected,
            Freshness::from(min_valid),
        ))
        .await
        .map_err(|e| app.fail(&e, &name))?;
        app.0.audit.record(&name, client);
        return Ok(token_response(&app, &handout, text));
    }
    // A token at hand is answered without waiting; otherwise the engine reads the store or
    // renews (boxed: that future is large, and the handler's is moved more than once).
    let handout = match app.engine().token_now(&name, Freshness::from(min_valid)) {
        Some(handout) => handout,
        None => Box::pin(app.engine().token(&name, Freshness::from(min_valid)))
            .await
            .map_err(|e| app.fail(&e, &name))?,
    };
    app.0.audit.record(&name, client);
    Ok(token_response(&app, &handout, text))
}

/// `GET /v1/connections/{name}/token` answered before routing, when the engine has a good
/// enough token at hand: the same validation and answer as [`token`], without the router's
/// work. `None` (anything else: not that route, an unknown or unexported name, a bad
/// `min_valid`, a token to renew first) lets the router answer.
pub(crate) fn token_at_hand<B>(app: &App, request: &Request<B>) -> Option<Response> {
    if request.method() != Method::GET {
        return None;
    }
    let path = request.uri().path();
    let raw = path
        .strip_prefix("/v1/connections/")?
        .strip_suffix("/token")?;
    let name = ConnectionName::new(raw).ok()?;
    let min_valid = parse_min_valid(request.uri().query()).ok()?;
    // A report of a refused token is the router's to check (and a bad one its to refuse).
    if request.uri().query().is_some_and(|q| {
        q.split('&')
            .any(|p| p.split('=').next() == Some("rejected"))
    }) {
        return None;
    }
    let handout = if app.local() {
        app.engine().token_now(&name, Freshness::from(min_valid))?
    } else {
        app.engine()
            .export_token_now(&name, Freshness::from(min_valid))?
    };
    let client = request.extensions().get::<Peer>().copied();
    app.0.audit.record(&name, client);
    Some(token_response(app, &handout, wants_text(request.headers())))
}

async fn refresh(
    State(app): State<App>,
    _: JsonContent,
    Exportable(name): Exportable,
) -> Result<Json<ConnectionSummary>, ApiError> {
    let view = if app.claim_refresh(&name) {
        Box::pin(app.engine().refresh(&name)).await.map(|r| r.view)
    } else {
        app.engine().view(&name)
    };
    view.map(|v| Json(ConnectionSummary::from(v)))
        .map_err(|e| app.fail(&e, &name))
}

async fn daemon(State(app): State<App>) -> Json<Option<DaemonInfo>> {
    Json(app.0.local.clone())
}

async fn no_route() -> ApiError {
    ApiError::NoRoute
}

async fn wrong_method() -> ApiError {
    ApiError::WrongMethod
}

/// The raw token as `text/plain`, or the token JSON (`expires_in` by the engine's clock). The
/// one place a token leaves as a body.
fn token_response(app: &App, handout: &Arc<Handout>, text: bool) -> Response {
    let (body, content_type) = if text {
        let token = handout.token.expose().as_bytes().to_vec();
        (token, "text/plain; charset=utf-8")
    } else {
        match app.0.bodies.of(handout) {
            Ok(prepared) => (prepared.at(app.engine().now()), "application/json"),
            Err(_) => return ApiError::Internal.into_response(),
        }
    };
    let mut response = Response::new(Body::from(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// `GET /v1/connections`: an object rather than a bare array, so the body is not a valid
/// script (no JSON hijacking through `<script src>`).
#[derive(Serialize)]
struct ConnectionList {
    connections: Vec<ConnectionSummary>,
}

impl ConnectionList {
    /// The exportable connections, or all of them (`all`: on the daemon socket).
    fn of(views: Vec<ConnectionView>, all: bool) -> Self {
        let connections = views
            .into_iter()
            .filter(|v| all || v.exportable)
            .map(ConnectionSummary::from)
            .collect();
        Self { connections }
    }
}

/// A connection as the endpoint shows it: no secrets, `expires_at` in RFC 3339 UTC.
#[derive(Serialize)]
struct ConnectionSummary {
    name: ConnectionName,
    kind: ProviderKind,
    status: Status,
    expires_at: Option<String>,
    identity: Option<Identity>,
}

impl From<ConnectionView> for ConnectionSummary {
    fn from(v: ConnectionView) -> Self {
        Self {
            name: v.name,
            kind: v.kind,
            status: v.status,
            expires_at: v.expires_at.map(tokentray_engine::Timestamp::to_rfc3339),
            identity: v.identity,
        }
    }
}
