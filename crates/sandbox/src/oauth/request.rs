//! Reading a token or revocation request off the wire: the form body (RFC 6749 §3.2), the
//! client credentials it presents (§2.3.1), and whether credentials leaked into the URL query.
//! Nothing here decides whether a request succeeds.

use std::collections::HashMap;

use axum::http::{HeaderMap, Uri, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::failure::Failure;
use crate::config::AuthMethod;
use crate::fault::Endpoint;
use crate::record::RequestRecord;

/// Parameters that are credentials and must never be in a URL.
const CREDENTIAL_PARAMS: [&str; 7] = [
    "client_secret",
    "password",
    "refresh_token",
    "code",
    "code_verifier",
    "client_assertion",
    "token",
];

/// The client credentials a request presents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Presented {
    /// HTTP Basic, already form-url-decoded.
    Basic { id: String, secret: String },
    /// `client_id` + `client_secret` in the body.
    Post { id: String, secret: String },
    /// `client_id` only.
    Public { id: String },
    /// Neither a header nor a `client_id`.
    Nothing,
    /// An `Authorization` header that is not valid Basic credentials.
    MalformedBasic,
    /// Basic and a body secret, or a body `client_id` that differs from the Basic one.
    Several,
}

impl Presented {
    pub(crate) fn method(&self) -> Option<AuthMethod> {
        match self {
            Self::Basic { .. } | Self::MalformedBasic => Some(AuthMethod::ClientSecretBasic),
            Self::Post { .. } => Some(AuthMethod::ClientSecretPost),
            Self::Public { .. } => Some(AuthMethod::None),
            Self::Nothing | Self::Several => None,
        }
    }

    pub(crate) fn client_id(&self) -> Option<&str> {
        match self {
            Self::Basic { id, .. } | Self::Post { id, .. } | Self::Public { id } => Some(id),
            Self::Nothing | Self::MalformedBasic | Self::Several => None,
        }
    }
}

/// A parsed form request.
#[derive(Debug)]
pub(crate) struct FormRequest {
    params: HashMap<String, String>,
    malformed: bool,
    credentials_in_query: bool,
    presented: Presented,
}

impl FormRequest {
    pub(crate) fn parse(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Self {
        let (params, malformed) = match form_params(headers, body) {
            Some(params) => (params, false),
            None => (HashMap::new(), true),
        };
        let presented = presented(headers, &params);
        Self {
            credentials_in_query: query_has_credentials(uri),
            malformed,
            presented,
            params,
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    pub(crate) fn require(&self, name: &'static str) -> Result<&str, Failure> {
        self.get(name)
            .filter(|value| !value.is_empty())
            .ok_or(Failure::MissingParameter(name))
    }

    pub(crate) fn presented(&self) -> &Presented {
        &self.presented
    }

    /// Refuses requests whose shape is wrong before anything else is looked at.
    pub(crate) fn check_shape(&self) -> Result<(), Failure> {
        if self.credentials_in_query {
            Err(Failure::CredentialsInQuery)
        } else if self.malformed {
            Err(Failure::MalformedRequest)
        } else {
            Ok(())
        }
    }

    /// The non-secret facts about this request for the log.
    pub(crate) fn record(&self, endpoint: Endpoint) -> RequestRecord {
        RequestRecord {
            grant_type: self.get("grant_type").map(str::to_owned),
            client_id: self.presented.client_id().map(str::to_owned),
            auth_method: self.presented.method(),
            credentials_in_query: self.credentials_in_query,
            ..RequestRecord::bare(endpoint)
        }
    }
}

/// The form parameters, or `None` when the body is not a form or repeats a parameter.
fn form_params(headers: &HeaderMap, body: &[u8]) -> Option<HashMap<String, String>> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return body.is_empty().then(HashMap::new);
    }
    let mut params = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        if params
            .insert(name.into_owned(), value.into_owned())
            .is_some()
        {
            return None;
        }
    }
    Some(params)
}

fn query_has_credentials(uri: &Uri) -> bool {
    let query = uri.query().unwrap_or_default();
    url::form_urlencoded::parse(query.as_bytes())
        .any(|(name, _)| CREDENTIAL_PARAMS.contains(&name.as_ref()))
}

fn presented(headers: &HeaderMap, params: &HashMap<String, String>) -> Presented {
    let body_id = params.get("client_id").cloned();
    let body_secret = params.get("client_secret").cloned();
    let Some(authorization) = headers.get(header::AUTHORIZATION) else {
        return match (body_id, body_secret) {
            (Some(id), Some(secret)) => Presented::Post { id, secret },
            (Some(id), None) => Presented::Public { id },
            (None, _) => Presented::Nothing,
        };
    };
    let Some((id, secret)) = authorization.to_str().ok().and_then(decode_basic) else {
        return Presented::MalformedBasic;
    };
    let same_id = body_id.as_ref().is_none_or(|body_id| *body_id == id);
    if body_secret.is_some() || !same_id {
        return Presented::Several;
    }
    Presented::Basic { id, secret }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` → `(id, secret)` (RFC 6749 §2.3.1).
pub(crate) fn decode_basic(value: &str) -> Option<(String, String)> {
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id), form_decode(secret)))
}

fn form_decode(part: &str) -> String {
    url::form_urlencoded::parse(format!("x={part}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(raw: &str) -> String {
        format!("Basic {}", STANDARD.encode(raw))
    }

    #[test]
    fn basic_credentials_are_form_url_decoded_after_base64() {
        assert_eq!(
            decode_basic(&basic("my%20app:s%3Acret+with%2Bplus")),
            Some(("my app".into(), "s:cret with+plus".into()))
        );
    }

    #[test]
    fn only_the_first_colon_separates_id_from_secret() {
        assert_eq!(
            decode_basic(&basic("id:a:b")),
            Some(("id".into(), "a:b".into()))
        );
    }

    #[test]
    fn other_schemes_and_bad_base64_are_not_basic_credentials() {
        assert_eq!(decode_basic("Bearer abc"), None);
        assert_eq!(decode_basic("Basic ###"), None);
        assert_eq!(decode_basic(&basic("no-colon")), None);
    }

    #[test]
    fn credentials_in_the_query_are_noticed_but_other_parameters_are_not() {
        let leaky: Uri = "/oauth/token?grant_type=x&client_secret=s".parse().unwrap();
        let fine: Uri = "/oauth/token?grant_type=x&client_id=c".parse().unwrap();
        assert!(query_has_credentials(&leaky));
        assert!(!query_has_credentials(&fine));
    }

    #[test]
    fn a_repeated_parameter_makes_the_form_malformed() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        assert!(form_params(&headers, b"a=1&a=2").is_none());
        assert!(form_params(&headers, b"a=1&b=2").is_some());
    }
}
