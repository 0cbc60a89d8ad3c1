//! Whoami for the generic kinds: an `identity_url` + `identity_field`, else the OpenID userinfo
//! endpoint, else the claims of a JWT access or id token.

use serde_json::Value;

use super::{Flow, ProviderError};
use crate::http;
use crate::secret::Secret;
use crate::token::{Identity, TokenSet, jwt_claims};

/// The header value that carries the token for this connection (`Bearer <t>`, `Basic <b64>`).
pub(crate) fn auth_value(flow: &Flow<'_>, tokens: &TokenSet) -> String {
    let prefix = flow
        .spec
        .text("header_prefix")
        .unwrap_or_else(|| tokens.token_type.clone());
    if prefix.is_empty() {
        tokens.access_token.expose().to_owned()
    } else {
        format!("{prefix} {}", tokens.access_token.expose())
    }
}

/// Reads a string at a JSON pointer (`/login`) or a top-level key (`login`).
fn pick(body: &Value, field: &str) -> Option<String> {
    let v = if field.starts_with('/') {
        body.pointer(field)?
    } else {
        body.get(field)?
    };
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// GETs `url` with the connection's auth header and returns the JSON object.
pub(crate) async fn fetch_json(
    flow: &Flow<'_>,
    url: &url::Url,
    tokens: &TokenSet,
) -> Result<serde_json::Map<String, Value>, ProviderError> {
    let header = flow
        .spec
        .text("header_name")
        .unwrap_or_else(|| "Authorization".into());
    let req = flow
        .http
        .get(url.clone())
        .header(header, auth_value(flow, tokens));
    let reply = http::send(req, url).await?;
    let obj = reply.json_object()?;
    if !reply.ok() {
        return Err(ProviderError::Status {
            status: reply.status,
        });
    }
    Ok(obj)
}

/// Identity from whatever the connection offers.
pub(crate) async fn generic(
    flow: &Flow<'_>,
    tokens: &TokenSet,
) -> Result<Option<Identity>, ProviderError> {
    if let Some(url) = flow.spec.url("identity_url") {
        let obj = fetch_json(flow, &url, tokens).await?;
        let body = Value::Object(obj);
        let field = flow.spec.text("identity_field");
        let subject = match field.as_deref() {
            Some(f) => pick(&body, f),
            None => body
                .as_object()
                .and_then(Identity::from_claims)
                .map(|i| i.subject),
        };
        let name = pick(&body, "name");
        let email = pick(&body, "email");
        return Ok(subject.map(|subject| Identity {
            subject,
            name,
            email,
        }));
    }
    Ok(from_tokens(tokens))
}

/// Identity from the claims of the id token or a JWT access token.
pub(crate) fn from_tokens(tokens: &TokenSet) -> Option<Identity> {
    tokens
        .id_token
        .as_ref()
        .map(Secret::expose)
        .and_then(jwt_claims)
        .or_else(|| jwt_claims(tokens.access_token.expose()))
        .and_then(|c| Identity::from_claims(&c))
}

/// Identity from a userinfo endpoint, falling back to token claims when it fails.
pub(crate) async fn userinfo(
    flow: &Flow<'_>,
    url: &url::Url,
    tokens: &TokenSet,
) -> Result<Option<Identity>, ProviderError> {
    match fetch_json(flow, url, tokens).await {
        Ok(obj) => Ok(Identity::from_claims(&obj).or_else(|| from_tokens(tokens))),
        Err(e) if e.is_transient() => Err(e),
        Err(e) => {
            tracing::debug!(error = %e, "userinfo refused; using token claims");
            Ok(from_tokens(tokens))
        }
    }
}
