//! uuIdentity and the ITk Production Database under `/itk` (protocols.md §2, quirks 18–22):
//!
//! | Route | What |
//! |---|---|
//! | `POST <url>itk/oidc/grantToken` | JSON `{"grant_type":"password","accessCode1","accessCode2","scope"}` → `uuAppErrorMap`, `at.` access token, RS256-signed `id_token`, `expires_in` |
//! | `GET <url>itk/oidc/listKeys` | `{"uuAppErrorMap":{},"keys":[…]}` (RSA JWKs; the first is the real public key that signs the `id_token`, the second a decoy) |
//! | `GET, POST <url>itk/api/getUser` | the person behind `Authorization: Bearer <id_token>` |
//!
//! `grantToken` refuses a form body (400), empty codes (500 "Secret must be not null.") and
//! wrong codes (401 with the recorded body, key with its trailing space). The `id_token`'s
//! `aud` is the unregistered client plus every scope item that is not `openid` or
//! `offline_access` (the configured audience if there is none); `exp − iat = expires_in`.
//! There are no refresh tokens. The API takes only the `id_token` as the bearer: the `at.`
//! token is refused with `uu-app-workspace/authorization/userIsNotAuthorized`, as is an
//! expired or unknown token. Keys a caller sends to `getUser` come back as an
//! `unsupportedKeys` warning next to the data (quirk 20).

mod api;
mod request;
mod token;
mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{any, get, post};
use serde::Serialize;
use serde_json::{Map, Value};
use url::Url;

use crate::clock::iso_millis;
use crate::fault::Endpoint;
use crate::state::Shared;
use crate::state::itk::Issued;
use request::ItkRequest;
use token::{Jwk, KeySet, Minting};
use wire::{GrantFailure, json};

/// The uuIdentity OIDC base's path on the server (with the trailing slash itkdb needs).
pub(crate) const OIDC_PATH: &str = "itk/oidc/";
/// The ITk API prefix's path on the server.
pub(crate) const API_PATH: &str = "itk/api/";

/// uuIdentity and the ITk API mounted on the sandbox's server.
pub(crate) struct UuIdentity {
    shared: Arc<Shared>,
    /// The `iss` claim: the OIDC base without its trailing slash.
    issuer: String,
    /// Fixed for the sandbox's lifetime, across resets.
    keys: KeySet,
}

#[derive(Serialize)]
struct Granted<'a> {
    #[serde(rename = "uuAppErrorMap")]
    errors: Map<String, Value>,
    access_token: &'a str,
    id_token: &'a str,
    token_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_in: Option<u64>,
}

#[derive(Serialize)]
struct Keys<'a> {
    #[serde(rename = "uuAppErrorMap")]
    errors: Map<String, Value>,
    keys: &'a [Jwk],
}

impl UuIdentity {
    pub(crate) fn new(shared: Arc<Shared>, base: &Url) -> Self {
        let issuer = format!("{base}{}", OIDC_PATH.trim_end_matches('/'));
        Self {
            shared,
            issuer,
            keys: KeySet::random(),
        }
    }

    fn timestamp(&self) -> String {
        iso_millis(self.shared.now())
    }

    fn grant_token(&self, request: &ItkRequest, strip_expires_in: bool) -> Response {
        let issued = match self.grant(request) {
            Ok(issued) => issued,
            Err(failure) => return failure.respond(&self.timestamp()),
        };
        let body = Granted {
            errors: Map::new(),
            access_token: &issued.access_token,
            id_token: &issued.id_token,
            token_type: "Bearer",
            expires_in: (!strip_expires_in).then_some(self.shared.config().itk.token_secs),
        };
        json(StatusCode::OK, &body)
    }

    fn grant(&self, request: &ItkRequest) -> Result<Issued, GrantFailure> {
        if request.dto_in().is_none() {
            return Err(GrantFailure::NotJson);
        }
        if request.field("grant_type") != Some("password") {
            return Err(GrantFailure::UnsupportedGrantType);
        }
        let code = |name| request.field(name).filter(|code| !code.is_empty());
        let (Some(code1), Some(code2)) = (code("accessCode1"), code("accessCode2")) else {
            return Err(GrantFailure::EmptySecret);
        };
        let minting = Minting {
            issuer: &self.issuer,
            keys: &self.keys,
            scope: request.field("scope").unwrap_or_default(),
            config: &self.shared.config().itk,
            now: self.shared.now_secs(),
        };
        let expires_at = minting.now + minting.config.token_secs;
        self.shared
            .lock()
            .itk
            .grant(code1, code2, expires_at, |user| {
                token::id_token(user, &minting)
            })
            .ok_or(GrantFailure::NotAuthenticated)
    }

    fn list_keys(&self) -> Response {
        let body = Keys {
            errors: Map::new(),
            keys: &self.keys.keys,
        };
        json(StatusCode::OK, &body)
    }
}

type Served = State<Arc<UuIdentity>>;

pub(crate) fn router(identity: Arc<UuIdentity>) -> Router {
    Router::new()
        .route(&format!("/{OIDC_PATH}grantToken"), post(grant_token))
        .route(&format!("/{OIDC_PATH}listKeys"), get(list_keys))
        .route(&format!("/{API_PATH}{{command}}"), any(api::command))
        .with_state(identity)
}

async fn grant_token(State(identity): Served, request: ItkRequest) -> Response {
    let record = request.record(Endpoint::ItkGrantToken);
    identity
        .shared
        .answer(record, |strip| identity.grant_token(&request, strip))
        .await
}

async fn list_keys(State(identity): Served, request: ItkRequest) -> Response {
    let record = request.record(Endpoint::ItkListKeys);
    identity
        .shared
        .answer(record, |_| identity.list_keys())
        .await
}
