//! Reading a uuIdentity or ITk API request off the wire: the JSON body (uuApp commands take a
//! JSON "dtoIn"), the query, the `Authorization: Bearer` credential, and the non-secret facts
//! for the request log.

use std::convert::Infallible;

use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, Uri, header};
use serde_json::{Map, Value};

use crate::fault::Endpoint;
use crate::record::{RequestRecord, TokenPlacement};
use crate::wire::{bearer, media_type};

/// Request bodies above this are read as empty.
const BODY_LIMIT: usize = 1024 * 1024;

#[derive(Debug)]
pub(crate) struct ItkRequest {
    content_type: Option<String>,
    /// The body, when it is a JSON object sent as `application/json`.
    dto_in: Option<Map<String, Value>>,
    query: Vec<(String, String)>,
    bearer: Option<String>,
}

impl ItkRequest {
    pub(crate) fn parse(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Self {
        let content_type = media_type(headers);
        let dto_in = if content_type.as_deref() == Some("application/json") {
            serde_json::from_slice::<Map<String, Value>>(body).ok()
        } else {
            None
        };
        let query = url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(bearer)
            .map(str::to_owned);
        Self {
            content_type,
            dto_in,
            query,
            bearer,
        }
    }

    /// The JSON object body, or `None` for a form, another type or malformed JSON.
    pub(crate) fn dto_in(&self) -> Option<&Map<String, Value>> {
        self.dto_in.as_ref()
    }

    /// A string field of the JSON body.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.dto_in.as_ref()?.get(name)?.as_str()
    }

    pub(crate) fn bearer(&self) -> Option<&str> {
        self.bearer.as_deref()
    }

    /// Every key the caller sent, from the query and the JSON body, as uuApp names them
    /// (`$.key`).
    pub(crate) fn keys(&self) -> Vec<String> {
        let body = self.dto_in.iter().flat_map(|dto_in| dto_in.keys());
        let query = self.query.iter().map(|(name, _)| name);
        query.chain(body).map(|name| format!("$.{name}")).collect()
    }

    pub(crate) fn record(&self, endpoint: Endpoint) -> RequestRecord {
        RequestRecord {
            grant_type: self.field("grant_type").map(str::to_owned),
            content_type: self.content_type.clone(),
            token_placement: self
                .bearer
                .as_ref()
                .map(|_| TokenPlacement::AuthorizationHeader),
            ..RequestRecord::bare(endpoint)
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for ItkRequest {
    type Rejection = Infallible;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, BODY_LIMIT)
            .await
            .unwrap_or_default();
        Ok(Self::parse(&parts.uri, &parts.headers, &bytes))
    }
}
