//! The admin HTTP API under `/_admin`, for tests that run the sandbox as a separate process.
//! Each handler translates JSON to a [`Control`] call and nothing more.
//!
//! | Route | Body | Answer |
//! |---|---|---|
//! | `POST /_admin/fault` | `{"endpoint": "token", "fault": "html" \| {"status": 503} \| …, "times": 1}` | 204 |
//! | `GET /_admin/counters` | – | `{"endpoints": {"token": 2}, "grants": {"password": 1}, "requests": […]}` |
//! | `POST /_admin/clients` | a client: `{"client_id", "client_secret"?, "auth_method", "rotation"?, "access_token_secs"?, "refresh_token_secs"?, "scope"?}`, or with `"provider": "arcgis"` an app: `{"client_id", "client_secret"?, "redirect_uris"?, "title"?, "owner"?}` | 204, or 400 `{"error"}` |
//! | `POST /_admin/users` | `{"username", "password", "name", "email", "totp"?}`; with `"provider": "arcgis"`: `{"username", "password", "full_name"?, "email"?, "role"?}`; with `"provider": "itk"`: `{"access_code1", "access_code2", "uuidentity", "name"}` | 204, or 400 |
//! | `POST /_admin/clock` | `{"advance_secs": 3600}` | 204 |
//! | `POST /_admin/refresh-token` | `{"client_id", "username", "provider"?: "oauth" \| "keycloak" \| "arcgis"}` | `{"refresh_token"}`, or 404 |
//! | `POST /_admin/revoke` | `{"token", "provider"?: "oauth" \| "keycloak" \| "arcgis"}` | 204: that access token is dead at once (its API calls get 401, or `ArcGIS`'s 498); 404 when it is no live token of that provider |
//! | `POST /_admin/reset` | – | 204: back to the start configuration |
//!
//! Admin requests are not counted.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Json, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::config::ConfigError;
use crate::control::{Control, Provider};
use crate::fault::{Endpoint, Fault};
use crate::record::Counters;

type Admin = State<Arc<Control>>;

pub(crate) fn router(control: Arc<Control>) -> Router {
    Router::new()
        .route("/_admin/fault", post(fault))
        .route("/_admin/counters", get(counters))
        .route("/_admin/clients", post(client))
        .route("/_admin/users", post(user))
        .route("/_admin/clock", post(clock))
        .route("/_admin/refresh-token", post(refresh_token))
        .route("/_admin/revoke", post(revoke))
        .route("/_admin/reset", post(reset))
        .with_state(control)
}

#[derive(Deserialize)]
struct FaultRequest {
    endpoint: Endpoint,
    fault: Fault,
    #[serde(default = "one")]
    times: usize,
}

fn one() -> usize {
    1
}

#[derive(Deserialize)]
struct ClockRequest {
    advance_secs: u64,
}

#[derive(Deserialize)]
struct RefreshTokenRequest {
    client_id: String,
    username: String,
    #[serde(default = "oauth")]
    provider: Provider,
}

#[derive(Deserialize)]
struct RevokeRequest {
    token: String,
    #[serde(default = "oauth")]
    provider: Provider,
}

fn oauth() -> Provider {
    Provider::OAuth
}

/// Which provider a registration body is for: its `provider` field, the generic server if none.
#[derive(Deserialize)]
struct ProviderField {
    #[serde(default = "oauth")]
    provider: Provider,
}

/// Why a registration was refused.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("could not read the registration: {0}")]
    Body(#[from] serde_json::Error),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("uuIdentity has no registered clients")]
    NoClients,
}

fn parse<T: DeserializeOwned>(body: &Value) -> Result<T, Refused> {
    Ok(T::deserialize(body)?)
}

fn add_client(control: &Control, body: &Value) -> Result<(), Refused> {
    match parse::<ProviderField>(body)?.provider {
        Provider::OAuth | Provider::Keycloak => control.add_client(parse(body)?)?,
        Provider::Arcgis => control.add_arcgis_app(parse(body)?)?,
        Provider::Itk => return Err(Refused::NoClients),
    }
    Ok(())
}

fn add_user(control: &Control, body: &Value) -> Result<(), Refused> {
    match parse::<ProviderField>(body)?.provider {
        Provider::OAuth | Provider::Keycloak => control.add_user(parse(body)?)?,
        Provider::Arcgis => control.add_arcgis_user(parse(body)?)?,
        Provider::Itk => control.add_itk_user(parse(body)?)?,
    }
    Ok(())
}

async fn fault(State(control): Admin, Json(request): Json<FaultRequest>) -> StatusCode {
    control.inject(request.endpoint, request.fault, request.times);
    StatusCode::NO_CONTENT
}

async fn counters(State(control): Admin) -> Json<Counters> {
    Json(control.counters())
}

async fn client(State(control): Admin, Json(body): Json<Value>) -> Response {
    registered(add_client(&control, &body))
}

async fn user(State(control): Admin, Json(body): Json<Value>) -> Response {
    registered(add_user(&control, &body))
}

async fn clock(State(control): Admin, Json(request): Json<ClockRequest>) -> StatusCode {
    control.advance_clock(Duration::from_secs(request.advance_secs));
    StatusCode::NO_CONTENT
}

async fn refresh_token(
    State(control): Admin,
    Json(request): Json<RefreshTokenRequest>,
) -> Response {
    let minted =
        control.mint_refresh_token(request.provider, &request.client_id, &request.username);
    match minted {
        Some(token) => Json(json!({ "refresh_token": token })).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "unknown client or user" })),
        )
            .into_response(),
    }
}

async fn revoke(State(control): Admin, Json(request): Json<RevokeRequest>) -> StatusCode {
    if control.revoke_access(request.provider, &request.token) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

async fn reset(State(control): Admin) -> StatusCode {
    control.reset();
    StatusCode::NO_CONTENT
}

fn registered(result: Result<(), Refused>) -> Response {
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": error.to_string() })),
        )
            .into_response(),
    }
}
