//! What the sandbox remembers about the requests it served: counters per endpoint and per grant
//! type, and a log of non-secret facts about each request. No secret is ever recorded.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::config::AuthMethod;
use crate::fault::Endpoint;

/// The log keeps this many most recent records; counters are exact regardless.
pub const LOG_CAPACITY: usize = 10_000;

/// Where a request carried the token it presented to an API endpoint (`ArcGIS` accepts four
/// places, quirk 43; uuIdentity only the `Authorization` header).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPlacement {
    /// `X-Esri-Authorization: Bearer <token>`.
    EsriHeader,
    /// `Authorization: Bearer <token>`.
    AuthorizationHeader,
    /// `?token=<token>` in the URL.
    Query,
    /// `token=<token>` in a form body.
    Form,
}

/// Non-secret facts about one request. Fields that do not apply to an endpoint stay empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Where it went.
    pub endpoint: Endpoint,
    /// `grant_type`, for token requests that named one.
    pub grant_type: Option<String>,
    /// The client it claimed to be, from Basic credentials or the `client_id` parameter.
    pub client_id: Option<String>,
    /// How it authenticated the client, when it tried to.
    pub auth_method: Option<AuthMethod>,
    /// Whether any credential (client secret, password, refresh token…) was in the URL query.
    pub credentials_in_query: bool,
    /// The media type of the request body (`application/json`,
    /// `application/x-www-form-urlencoded`…), when there was a body.
    #[serde(default)]
    pub content_type: Option<String>,
    /// `ArcGIS`: the response format `f` the request asked for; `None` when it sent none.
    #[serde(default)]
    pub format: Option<String>,
    /// `ArcGIS` `generateToken`: the `client` binding mode (`requestip`, `referer`, `ip`).
    #[serde(default)]
    pub client_mode: Option<String>,
    /// Whether the request carried a `Referer` header.
    #[serde(default)]
    pub referer_header: bool,
    /// Where the request carried its token, at endpoints that take one.
    #[serde(default)]
    pub token_placement: Option<TokenPlacement>,
    /// `ArcGIS` authorize and token requests: the `redirect_uri` (not a secret).
    #[serde(default)]
    pub redirect_uri: Option<String>,
    /// `ArcGIS` authorize: whether the request carried a PKCE `code_challenge`.
    #[serde(default)]
    pub pkce: bool,
}

impl RequestRecord {
    /// A record of a request that carried no client or grant information.
    pub(crate) fn bare(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            grant_type: None,
            client_id: None,
            auth_method: None,
            credentials_in_query: false,
            content_type: None,
            format: None,
            client_mode: None,
            referer_header: false,
            token_placement: None,
            redirect_uri: None,
            pkce: false,
        }
    }
}

/// A snapshot of the counters, as served by `GET /_admin/counters`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Requests per endpoint.
    pub endpoints: BTreeMap<Endpoint, usize>,
    /// Token requests per `grant_type`, over every token endpoint.
    pub grants: BTreeMap<String, usize>,
    /// The most recent requests, oldest first.
    pub requests: Vec<RequestRecord>,
}

#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    endpoints: BTreeMap<Endpoint, usize>,
    grants: BTreeMap<String, usize>,
    records: VecDeque<RequestRecord>,
}

impl RequestLog {
    pub(crate) fn push(&mut self, record: RequestRecord) {
        *self.endpoints.entry(record.endpoint).or_default() += 1;
        if let Some(grant) = record
            .grant_type
            .as_ref()
            .filter(|_| record.endpoint.is_token())
        {
            *self.grants.entry(grant.clone()).or_default() += 1;
        }
        if self.records.len() == LOG_CAPACITY {
            self.records.pop_front();
        }
        self.records.push_back(record);
    }

    pub(crate) fn count(&self, endpoint: Endpoint) -> usize {
        self.endpoints.get(&endpoint).copied().unwrap_or(0)
    }

    pub(crate) fn grant_count(&self, grant_type: &str) -> usize {
        self.grants.get(grant_type).copied().unwrap_or(0)
    }

    pub(crate) fn records(&self) -> Vec<RequestRecord> {
        self.records.iter().cloned().collect()
    }

    pub(crate) fn counters(&self) -> Counters {
        Counters {
            endpoints: self.endpoints.clone(),
            grants: self.grants.clone(),
            requests: self.records(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_request(grant: &str) -> RequestRecord {
        RequestRecord {
            grant_type: Some(grant.to_owned()),
            ..RequestRecord::bare(Endpoint::Token)
        }
    }

    #[test]
    fn grants_are_counted_only_at_token_endpoints() {
        let mut log = RequestLog::default();
        log.push(token_request("password"));
        log.push(token_request("refresh_token"));
        log.push(token_request("refresh_token"));
        log.push(RequestRecord {
            grant_type: Some("refresh_token".into()),
            ..RequestRecord::bare(Endpoint::Revoke)
        });
        assert_eq!(log.grant_count("refresh_token"), 2);
        assert_eq!(log.count(Endpoint::Token), 3);
        assert_eq!(log.count(Endpoint::Revoke), 1);
    }

    #[test]
    fn the_log_keeps_the_latest_records_but_counts_stay_exact() {
        let mut log = RequestLog::default();
        for _ in 0..=LOG_CAPACITY {
            log.push(RequestRecord::bare(Endpoint::Discovery));
        }
        assert_eq!(log.records().len(), LOG_CAPACITY);
        assert_eq!(log.count(Endpoint::Discovery), LOG_CAPACITY + 1);
    }
}
