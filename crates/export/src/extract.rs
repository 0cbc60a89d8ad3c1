//! What handlers take from a request, validated before the engine sees it: an exportable
//! connection's name, `min_valid`, the wanted representation, the JSON content type of a
//! refresh, and the client's address.

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use tokentray_engine::ConnectionName;

use crate::app::App;
use crate::error::ApiError;
use crate::peer::Peer;

/// The longest `min_valid` accepted: one year, in seconds.
pub(crate) const MAX_MIN_VALID: u64 = 365 * 24 * 3600;

/// The `{name}` of the route: a slug naming a connection that exists and may be exported (on the
/// daemon socket, any connection: its clients are the owner's own processes, who can read every
/// connection anyway). Anything else (not a slug, unknown, `export = false`) is the same 404. The name is taken
/// from the raw path: a slug needs no percent-encoding, so an encoded name is not one.
pub(crate) struct Exportable(pub(crate) ConnectionName);

impl FromRequestParts<App> for Exportable {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        // `/v1/connections/{name}/…`, as the router matched it.
        let raw = parts.uri.path().split('/').nth(3).unwrap_or_default();
        let name = ConnectionName::new(raw).map_err(|_| ApiError::UnknownConnection)?;
        // The engine's own copy of the config: no file access on most requests, an edit in
        // this process seen at once, one in another process within a quarter of a second.
        match app.engine().spec(&name) {
            Ok(spec) if app.local() || spec.exportable() => Ok(Self(name)),
            Ok(_) => Err(ApiError::UnknownConnection),
            Err(e) => Err(app.fail(&e, &name)),
        }
    }
}

/// `?min_valid=SECS`: how long the token must stay valid (absent: the engine's own margin).
pub(crate) struct MinValid(pub(crate) Option<Duration>);

impl<S: Sync> FromRequestParts<S> for MinValid {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parse_min_valid(parts.uri.query()).map(Self)
    }
}

/// Parses the query by hand so that only plain digits pass: no sign, exponent, fraction or
/// repeat, and at most [`MAX_MIN_VALID`].
pub(crate) fn parse_min_valid(query: Option<&str>) -> Result<Option<Duration>, ApiError> {
    let mut found = None;
    for pair in query.unwrap_or_default().split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key != "min_valid" {
            continue;
        }
        let digits =
            !value.is_empty() && value.len() <= 12 && value.bytes().all(|b| b.is_ascii_digit());
        let secs = digits
            .then(|| value.parse::<u64>().ok())
            .flatten()
            .filter(|s| *s <= MAX_MIN_VALID);
        match (found, secs) {
            (None, Some(s)) => found = Some(Duration::from_secs(s)),
            _ => return Err(ApiError::BadMinValid),
        }
    }
    Ok(found)
}

/// `?rejected=<hex>`: the SHA-256 of a token a service refused (see
/// `Engine::token_rejected`); absent when not given.
pub(crate) struct Rejected(pub(crate) Option<tokentray_engine::RejectedToken>);

impl<S: Sync> FromRequestParts<S> for Rejected {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parse_rejected(parts.uri.query()).map(Self)
    }
}

/// `rejected` given once, as 64 hex digits; anything else (empty, another length, a repeat)
/// is refused.
pub(crate) fn parse_rejected(
    query: Option<&str>,
) -> Result<Option<tokentray_engine::RejectedToken>, ApiError> {
    let mut found = None;
    for pair in query.unwrap_or_default().split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key != "rejected" {
            continue;
        }
        match (found, tokentray_engine::RejectedToken::from_hex(value)) {
            (None, Some(r)) => found = Some(r),
            _ => return Err(ApiError::BadRejected),
        }
    }
    Ok(found)
}

/// Whether the client asked for the raw token (`Accept: text/plain` before any
/// `application/json`) rather than the token JSON.
pub(crate) struct WantsText(pub(crate) bool);

impl<S: Sync> FromRequestParts<S> for WantsText {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(Self(wants_text(&parts.headers)))
    }
}

pub(crate) fn wants_text(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|range| range.split(';').next().unwrap_or_default().trim())
        .find_map(|media| {
            if media.eq_ignore_ascii_case("text/plain") {
                Some(true)
            } else if media.eq_ignore_ascii_case("application/json") {
                Some(false)
            } else {
                None
            }
        })
        .unwrap_or(false)
}

/// A request declared `Content-Type: application/json` (parameters allowed). Browsers cannot
/// send that cross-site without a preflight, which is refused.
pub(crate) struct JsonContent;

impl<S: Sync> FromRequestParts<S> for JsonContent {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let mut types = parts.headers.get_all(header::CONTENT_TYPE).iter();
        let json = match (types.next(), types.next()) {
            (Some(v), None) => v.to_str().is_ok_and(|v| {
                let media = v.split(';').next().unwrap_or_default().trim();
                media.eq_ignore_ascii_case("application/json")
            }),
            _ => false,
        };
        if json {
            Ok(Self)
        } else {
            Err(ApiError::NotJson)
        }
    }
}

/// The client, when the server recorded it.
pub(crate) struct Client(pub(crate) Option<Peer>);

impl<S: Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<Peer>().copied()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_valid_takes_plain_seconds_up_to_a_year() {
        assert_eq!(parse_min_valid(None), Ok(None));
        assert_eq!(parse_min_valid(Some("")), Ok(None));
        assert_eq!(parse_min_valid(Some("x=1")), Ok(None));
        assert_eq!(
            parse_min_valid(Some("min_valid=60")),
            Ok(Some(Duration::from_secs(60)))
        );
        assert_eq!(
            parse_min_valid(Some("min_valid=0")),
            Ok(Some(Duration::ZERO))
        );
        let year = format!("min_valid={MAX_MIN_VALID}");
        assert!(parse_min_valid(Some(&year)).is_ok());
        for bad in [
            "min_valid=-1",
            "min_valid=+5",
            "min_valid=1e12",
            "min_valid=1.5",
            "min_valid=abc",
            "min_valid=",
            "min_valid",
            "min_valid=31536001",
            "min_valid=99999999999999999999999",
            "min_valid=1&min_valid=2",
        ] {
            assert_eq!(
                parse_min_valid(Some(bad)),
                Err(ApiError::BadMinValid),
                "{bad}"
            );
        }
    }

    #[test]
    fn text_is_chosen_only_when_asked_before_json() {
        let with = |accept: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT, accept.parse().unwrap());
            wants_text(&h)
        };
        assert!(!wants_text(&HeaderMap::new()));
        assert!(with("text/plain"));
        assert!(with("TEXT/PLAIN; charset=utf-8"));
        assert!(with("text/plain, application/json"));
        assert!(!with("application/json, text/plain"));
        assert!(!with("*/*"));
    }
}
