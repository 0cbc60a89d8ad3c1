//! Reading an `ArcGIS` request off the wire: parameters from the form body or the URL query
//! (`ArcGIS` takes both), the token and where it was carried (quirk 43), the `Referer` header, and
//! the non-secret facts the request log keeps. Nothing here decides how to answer.

use std::collections::HashMap;

use axum::http::{HeaderMap, Method, Uri, header};

use crate::fault::Endpoint;
use crate::record::{RequestRecord, TokenPlacement};
use crate::wire::{bearer, media_type};

/// Parameters that are secrets and are noted when they travel in the URL.
const SECRET_PARAMS: [&str; 6] = [
    "password",
    "client_secret",
    "refresh_token",
    "code",
    "code_verifier",
    "token",
];

/// A parsed `ArcGIS` request.
#[derive(Debug)]
pub(crate) struct ArcgisRequest {
    method: Method,
    raw_query: String,
    query: HashMap<String, String>,
    body: HashMap<String, String>,
    content_type: Option<String>,
    referer: Option<String>,
    esri_authorization: Option<String>,
    authorization: Option<String>,
}

impl ArcgisRequest {
    pub(crate) fn parse(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Self {
        let raw_query = uri.query().unwrap_or_default().to_owned();
        let content_type = media_type(headers);
        let body = if content_type.as_deref() == Some("application/x-www-form-urlencoded") {
            pairs(body)
        } else {
            HashMap::new()
        };
        let text = |name| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        Self {
            method: method.clone(),
            query: pairs(raw_query.as_bytes()),
            raw_query,
            body,
            content_type,
            referer: text(header::REFERER.as_str()),
            esri_authorization: text("x-esri-authorization"),
            authorization: text(header::AUTHORIZATION.as_str()),
        }
    }

    /// A non-empty parameter, from the body first, then from the URL query.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.body
            .get(name)
            .or_else(|| self.query.get(name))
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }

    /// A non-empty parameter of the URL query only.
    pub(crate) fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }

    /// A non-empty parameter of the form body only.
    pub(crate) fn body_param(&self, name: &str) -> Option<&str> {
        self.body
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }

    /// Whether `f` asks for JSON (`json`, or the pretty-printed `pjson`). `ArcGIS` defaults to
    /// HTML (quirk 3).
    pub(crate) fn wants_json(&self) -> bool {
        matches!(self.param("f"), Some("json" | "pjson"))
    }

    pub(crate) fn is_post(&self) -> bool {
        self.method == Method::POST
    }

    /// Whether a credential travelled in the URL query.
    pub(crate) fn secret_in_query(&self) -> bool {
        SECRET_PARAMS
            .iter()
            .any(|name| self.query.contains_key(*name))
    }

    pub(crate) fn raw_query(&self) -> &str {
        &self.raw_query
    }

    pub(crate) fn referer(&self) -> Option<&str> {
        self.referer.as_deref()
    }

    /// The token and where it came from, in the order `ArcGIS` prefers them:
    /// `X-Esri-Authorization`, `Authorization`, the query, the form body.
    pub(crate) fn token(&self) -> Option<(TokenPlacement, &str)> {
        let esri = self.esri_authorization.as_deref().and_then(bearer);
        let standard = self.authorization.as_deref().and_then(bearer);
        esri.map(|token| (TokenPlacement::EsriHeader, token))
            .or_else(|| standard.map(|token| (TokenPlacement::AuthorizationHeader, token)))
            .or_else(|| {
                self.query_param("token")
                    .map(|token| (TokenPlacement::Query, token))
            })
            .or_else(|| {
                self.body_param("token")
                    .map(|token| (TokenPlacement::Form, token))
            })
    }

    /// The non-secret facts about this request for the log.
    pub(crate) fn record(&self, endpoint: Endpoint) -> RequestRecord {
        let owned = |name| self.param(name).map(str::to_owned);
        RequestRecord {
            grant_type: owned("grant_type"),
            client_id: owned("client_id"),
            credentials_in_query: self.secret_in_query(),
            content_type: self.content_type.clone(),
            format: owned("f"),
            client_mode: owned("client"),
            referer_header: self.referer.is_some(),
            token_placement: self.token().map(|(placement, _)| placement),
            redirect_uri: owned("redirect_uri"),
            pkce: self.param("code_challenge").is_some(),
            ..RequestRecord::bare(endpoint)
        }
    }
}

/// `a=1&b=2` → a map; a repeated name keeps its last value.
pub(crate) fn pairs(raw: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str, headers: &[(&str, &str)], body: &str) -> ArcgisRequest {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        ArcgisRequest::parse(&Method::POST, &uri.parse().unwrap(), &map, body.as_bytes())
    }

    const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

    #[test]
    fn the_esri_header_wins_over_the_others() {
        let both = request(
            "/x?token=q",
            &[
                ("x-esri-authorization", "Bearer e"),
                ("authorization", "Bearer a"),
            ],
            "",
        );
        assert_eq!(both.token(), Some((TokenPlacement::EsriHeader, "e")));
        let query = request("/x?token=q", &[FORM], "token=f");
        assert_eq!(query.token(), Some((TokenPlacement::Query, "q")));
        let form = request("/x", &[FORM], "token=f");
        assert_eq!(form.token(), Some((TokenPlacement::Form, "f")));
    }

    #[test]
    fn body_parameters_win_and_are_read_only_from_forms() {
        let form = request("/x?f=html", &[FORM], "f=json");
        assert!(form.wants_json());
        let json_body = request("/x", &[("content-type", "application/json")], "f=json");
        assert!(!json_body.wants_json());
    }
}
