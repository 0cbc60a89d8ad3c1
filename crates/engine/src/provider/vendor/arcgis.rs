//! What the ArcGIS kinds share: the portal URL, reading ArcGIS answers (errors with HTTP 200,
//! classified by `error.code`, quirks 1–2), and whoami from `community/self`.

use serde_json::{Map, Value};
use url::Url;

use crate::fields::{ArcgisOauthSettings, ArcgisTokenSettings};
use crate::provider::http::{self, Reply};
use crate::provider::identity;
use crate::provider::response::text;
use crate::provider::{Flow, ProviderError};
use crate::token::{Identity, TokenSet};

/// What the ArcGIS kinds' shared calls read of a connection's settings.
pub(crate) struct Portal<'a> {
    /// The portal (ArcGIS Online by default).
    pub url: &'a Url,
    /// `arcgis-token`'s explicit token URL, which decides which service issued the token.
    pub token_url: Option<&'a Url>,
    /// The referer the token is bound to.
    pub referer: Option<&'a str>,
}

impl<'a> From<&'a ArcgisTokenSettings> for Portal<'a> {
    fn from(s: &'a ArcgisTokenSettings) -> Self {
        Self {
            url: &s.portal_url,
            token_url: s.token_url.as_ref(),
            referer: s.referer.as_deref(),
        }
    }
}

impl<'a> From<&'a ArcgisOauthSettings> for Portal<'a> {
    fn from(s: &'a ArcgisOauthSettings) -> Self {
        Self {
            url: &s.portal_url,
            token_url: None,
            referer: s.referer.as_deref(),
        }
    }
}

/// The portal URL without a trailing slash.
pub(crate) fn portal_url(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

/// An ArcGIS error object's meaning: 400 with bad credentials, 403, 498 and 499 need a person;
/// other 4xx are configuration; 5xx are transient.
pub(crate) fn classify(err: &Map<String, Value>) -> ProviderError {
    let code = err.get("code").and_then(Value::as_i64).unwrap_or(0);
    let oauth = text(err, "error");
    let message = text(err, "error_description")
        .or_else(|| text(err, "message"))
        .unwrap_or_else(|| "no message".into());
    let details = err
        .get("details")
        .and_then(Value::as_array)
        .map(|d| {
            d.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("; ")
        })
        .filter(|d| !d.is_empty());
    let description = Some(match details {
        Some(d) if d != message => format!("{message}: {d}"),
        _ => message,
    });
    let label = oauth.unwrap_or_else(|| format!("ArcGIS error {code}"));
    match code {
        500..=599 => ProviderError::Status {
            status: u16::try_from(code).unwrap_or(500),
        },
        400 if description
            .as_deref()
            .is_some_and(|d| d.contains("client_secret") || d.contains("client_id")) =>
        {
            ProviderError::ClientRejected {
                code: label,
                description,
            }
        }
        400 | 401 | 403 | 498 | 499 => ProviderError::Rejected {
            code: label,
            description,
        },
        _ => ProviderError::ClientRejected {
            code: label,
            description,
        },
    }
}

/// The body of an ArcGIS answer as JSON, with its `error` object turned into an error whatever
/// the HTTP status.
pub(crate) fn json(reply: &Reply) -> Result<Map<String, Value>, ProviderError> {
    if reply.status == 429 {
        return Err(ProviderError::RateLimited {
            retry_after: reply.retry_after,
        });
    }
    let obj = match reply.json_object() {
        Ok(obj) => obj,
        Err(_) if reply.status >= 500 => {
            return Err(ProviderError::Status {
                status: reply.status,
            });
        }
        Err(e) => return Err(e),
    };
    if let Some(Value::Object(err)) = obj.get("error") {
        return Err(classify(err));
    }
    if !reply.ok() {
        return Err(ProviderError::Status {
            status: reply.status,
        });
    }
    Ok(obj)
}

/// The portal that issued this connection's token, whose `sharing/rest` answers about it:
/// `portal_url`, or the portal a `token_url` of the form `<portal>/sharing/rest/generateToken`
/// belongs to. `None` for a stand-alone ArcGIS Server (`…/tokens/generateToken`), which has no
/// portal: its token is never sent to one.
pub(crate) fn token_portal(portal: &Portal<'_>) -> Option<String> {
    let Some(token_url) = portal.token_url else {
        return Some(portal_url(portal.url));
    };
    token_url
        .as_str()
        .trim_end_matches('/')
        .strip_suffix("/sharing/rest/generateToken")
        .map(str::to_owned)
}

/// GETs a REST resource of the token's portal with the token in `X-Esri-Authorization` (never
/// the URL) and the connection's `Referer` when the token is bound to one (quirk 5). The URL
/// must be on the token's own service ([`identity::check_destination`]).
pub(crate) async fn portal_get(
    flow: &Flow<'_>,
    settings: &Portal<'_>,
    path: &str,
    tokens: &TokenSet,
) -> Result<Map<String, Value>, ProviderError> {
    let portal = token_portal(settings).ok_or_else(|| ProviderError::Config {
        field: "token_url",
        reason: "is a stand-alone ArcGIS Server, which has no portal to ask".into(),
    })?;
    let url = Url::parse(&format!("{portal}/sharing/rest/{path}?f=json")).map_err(|e| {
        ProviderError::Config {
            field: "portal_url",
            reason: e.to_string(),
        }
    })?;
    identity::check_destination(flow.spec, &url, "portal_url")?;
    let mut req = flow.http.get(url.clone()).header(
        "X-Esri-Authorization",
        format!("Bearer {}", tokens.access_token.expose()),
    );
    if let Some(referer) = settings.referer {
        req = req.header("Referer", referer);
    }
    let reply = http::send(req, &url).await?;
    json(&reply)
}

/// Whoami: `community/self` → `username` and `fullName` (quirk 12: never the app owner). A
/// stand-alone ArcGIS Server has no user endpoint: its identity is the configured username,
/// and nothing is sent anywhere.
pub(crate) async fn community_self(
    flow: &Flow<'_>,
    portal: &Portal<'_>,
    username: Option<&str>,
    tokens: &TokenSet,
) -> Result<Option<Identity>, ProviderError> {
    if token_portal(portal).is_none() {
        return Ok(username.map(|u| Identity::subject(u.to_owned())));
    }
    let obj = portal_get(flow, portal, "community/self", tokens).await?;
    Ok(text(&obj, "username").map(|subject| Identity {
        subject,
        name: text(&obj, "fullName"),
        email: text(&obj, "email"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::FailureClass;

    fn err(v: &serde_json::Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn the_token_portal_is_the_one_that_issued_the_token() {
        use crate::connection::{
            ConnectionName, ConnectionSpec, ProviderKind, Value as SettingValue,
        };
        use crate::fields::KindSettings;
        let spec = |kind, settings: &[(&str, &str)]| {
            let mut spec = ConnectionSpec::new(ConnectionName::new("c").unwrap(), kind);
            for (k, v) in settings {
                spec.settings.insert(*k, SettingValue::Text((*v).into()));
            }
            spec.typed().kind.clone()
        };
        let token_portal = |kind: &KindSettings| match kind {
            KindSettings::ArcgisToken(s) => token_portal(&Portal::from(s)),
            KindSettings::ArcgisOauth(s) => token_portal(&Portal::from(s)),
            _ => panic!("an ArcGIS kind"),
        };
        let online = spec(ProviderKind::ArcgisToken, &[]);
        assert_eq!(
            token_portal(&online).as_deref(),
            Some("https://www.arcgis.com")
        );
        let server = spec(
            ProviderKind::ArcgisToken,
            &[
                (
                    "token_url",
                    "https://gis.example.org/arcgis/tokens/generateToken",
                ),
                ("portal_url", "https://gis.example.org/portal"),
            ],
        );
        assert_eq!(
            token_portal(&server),
            None,
            "a stand-alone Server has no portal, even with portal_url set"
        );
        let federated = spec(
            ProviderKind::ArcgisToken,
            &[(
                "token_url",
                "https://gis.example.org/portal/sharing/rest/generateToken",
            )],
        );
        assert_eq!(
            token_portal(&federated).as_deref(),
            Some("https://gis.example.org/portal")
        );
        let oauth = spec(
            ProviderKind::ArcgisOauth,
            &[("portal_url", "https://gis.example.org/portal/")],
        );
        assert_eq!(
            token_portal(&oauth).as_deref(),
            Some("https://gis.example.org/portal")
        );
    }

    #[test]
    fn error_codes_decide_the_class_not_the_message_code() {
        let bad_password = classify(&err(
            &serde_json::json!({"code":400,"message":"Unable to generate token.","details":["Invalid username or password."],"messageCode":"GWM_0003"}),
        ));
        assert_eq!(bad_password.class(), FailureClass::NeedsLogin);
        assert!(
            bad_password
                .to_string()
                .contains("Invalid username or password"),
            "{bad_password}"
        );
        let expired = classify(&err(
            &serde_json::json!({"code":498,"error":"invalid_request","error_description":"Invalid refresh_token","message":"Invalid refresh_token","details":[]}),
        ));
        assert_eq!(
            expired.class(),
            FailureClass::NeedsLogin,
            "quirk 2: code 498 with invalid_request means log in again"
        );
        let secret = classify(&err(
            &serde_json::json!({"code":400,"error":"invalid_request","error_description":"Invalid client_secret","message":"Invalid client_secret","details":[]}),
        ));
        assert_eq!(secret.class(), FailureClass::Config);
        let down = classify(&err(
            &serde_json::json!({"code":503,"message":"Service unavailable"}),
        ));
        assert_eq!(down.class(), FailureClass::Transient);
    }
}
