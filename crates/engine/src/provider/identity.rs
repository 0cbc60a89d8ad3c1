//! Whoami for the generic kinds: an `identity_url` + `identity_field`, else the OpenID userinfo
//! endpoint, else the claims of a JWT access or id token.

use serde_json::Value;
use url::{Origin, Url};

use super::{Flow, ProviderError};
use crate::connection::{ConnectionSpec, ProviderKind};
use crate::fields::{self, IdentitySettings};
use crate::provider::http;
use crate::secret::Secret;
use crate::token::{Identity, TokenSet, jwt_claims};

/// The header value that carries the token for this connection (`Bearer <t>`, `Basic <b64>`).
pub(crate) fn auth_value(flow: &Flow<'_>, tokens: &TokenSet) -> String {
    let prefix = &flow.settings.common.header_prefix;
    if prefix.is_empty() {
        tokens.access_token.expose().to_owned()
    } else {
        format!("{prefix} {}", tokens.access_token.expose())
    }
}

/// The origins a token of `spec` may be sent to: its own service's hosts. For `arcgis-token`
/// the host that issues the token (a stand-alone Server's token is never sent to a portal);
/// for the other kinds every endpoint the connection names (set or by default), so a default
/// such as ArcGIS Online's portal never receives a token obtained elsewhere.
pub(crate) fn service_origins(spec: &ConnectionSpec) -> Vec<Origin> {
    let urls: Vec<Url> = match spec.kind {
        ProviderKind::ArcgisToken => {
            let explicit_token = spec.settings.get("token_url").is_some();
            let mut urls: Vec<Url> = spec.url("token_url").into_iter().collect();
            if !explicit_token {
                urls.extend(spec.url("portal_url"));
            }
            urls
        }
        ProviderKind::ArcgisOauth => spec.url("portal_url").into_iter().collect(),
        ProviderKind::Itkpd => ["auth_url", "api_url"]
            .iter()
            .filter_map(|f| spec.url(f))
            .collect(),
        _ => fields::all_fields(spec.kind)
            // The proxy carries calls to the service; it is not a service itself.
            .filter(|d| d.destination && d.ty == fields::FieldType::Url && d.name != "proxy")
            .filter_map(|d| spec.url(d.name))
            .collect(),
    };
    let mut origins: Vec<Origin> = Vec::new();
    for origin in urls.iter().map(Url::origin) {
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    origins
}

/// Refuses to send the token of `spec` to `url` unless `url` is on one of the connection's
/// own service hosts ([`service_origins`]); `field` names the setting to look at.
pub(crate) fn check_destination(
    spec: &ConnectionSpec,
    url: &Url,
    field: &'static str,
) -> Result<(), ProviderError> {
    let origins = service_origins(spec);
    if origins.contains(&url.origin()) {
        return Ok(());
    }
    let own = origins
        .iter()
        .map(Origin::ascii_serialization)
        .collect::<Vec<_>>()
        .join(", ");
    Err(ProviderError::Config {
        field,
        reason: format!(
            "the token would be sent to {}, which is not this connection's service ({own}); Tokentray only sends a token to the service that issued it",
            url.origin().ascii_serialization()
        ),
    })
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
    fetch_json_checked(flow, url, tokens, true).await
}

async fn fetch_json_checked(
    flow: &Flow<'_>,
    url: &url::Url,
    tokens: &TokenSet,
    check: bool,
) -> Result<serde_json::Map<String, Value>, ProviderError> {
    if check {
        check_destination(flow.spec, url, "identity_url")?;
    }
    let header = match flow.settings.common.header_name.as_str() {
        "" => "Authorization",
        name => name,
    };
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
    settings: &IdentitySettings,
    tokens: &TokenSet,
) -> Result<Option<Identity>, ProviderError> {
    if let Some(url) = &settings.url {
        let obj = fetch_json(flow, url, tokens).await?;
        let body = Value::Object(obj);
        let subject = match settings.field.as_deref() {
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
    // The userinfo endpoint comes from the issuer's own metadata (or a configured endpoint).
    match fetch_json_checked(flow, url, tokens, false).await {
        Ok(obj) => Ok(Identity::from_claims(&obj).or_else(|| from_tokens(tokens))),
        Err(e) if e.is_transient() => Err(e),
        Err(e) => {
            tracing::debug!(error = %e, "userinfo refused; using token claims");
            Ok(from_tokens(tokens))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{ConnectionName, Value as SettingValue};

    fn spec(kind: ProviderKind, settings: &[(&str, &str)]) -> ConnectionSpec {
        let mut spec = ConnectionSpec::new(ConnectionName::new("c").unwrap(), kind);
        for (k, v) in settings {
            spec.settings.insert(*k, SettingValue::Text((*v).into()));
        }
        spec
    }

    fn allowed(spec: &ConnectionSpec, url: &str) -> bool {
        check_destination(spec, &Url::parse(url).unwrap(), "identity_url").is_ok()
    }

    #[test]
    fn a_standalone_server_token_only_goes_to_the_server() {
        let server = spec(
            ProviderKind::ArcgisToken,
            &[(
                "token_url",
                "https://gis.example.org/arcgis/tokens/generateToken",
            )],
        );
        assert!(allowed(
            &server,
            "https://gis.example.org/arcgis/rest/services?f=json"
        ));
        assert!(
            !allowed(
                &server,
                "https://www.arcgis.com/sharing/rest/community/self"
            ),
            "the default portal is not the Server's service"
        );
        let err = check_destination(
            &server,
            &Url::parse("https://www.arcgis.com/sharing/rest/community/self").unwrap(),
            "portal_url",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("https://www.arcgis.com")
                && err.to_string().contains("https://gis.example.org"),
            "{err}"
        );
        let online = spec(ProviderKind::ArcgisToken, &[]);
        assert!(allowed(
            &online,
            "https://www.arcgis.com/sharing/rest/community/self"
        ));
    }

    #[test]
    fn arcgis_oauth_tokens_stay_on_the_portal() {
        let portal = spec(
            ProviderKind::ArcgisOauth,
            &[("portal_url", "https://gis.example.org/portal")],
        );
        assert!(allowed(
            &portal,
            "https://gis.example.org/portal/sharing/rest/community/self"
        ));
        assert!(!allowed(
            &portal,
            "https://www.arcgis.com/sharing/rest/community/self"
        ));
        assert!(!allowed(
            &portal,
            "http://gis.example.org/portal/sharing/rest/community/self"
        ));
    }

    #[test]
    fn itk_tokens_go_to_the_identity_server_and_the_api_only() {
        let itk = spec(
            ProviderKind::Itkpd,
            &[
                ("auth_url", "https://auth.example.org/oidc/"),
                ("api_url", "https://itk.example.org/api/"),
            ],
        );
        assert!(allowed(&itk, "https://itk.example.org/api/getUser"));
        assert!(allowed(&itk, "https://auth.example.org/oidc/grantToken"));
        assert!(!allowed(
            &itk,
            "https://itkpd.unicornuniversity.net/getUser"
        ));
    }

    #[test]
    fn generic_kinds_send_tokens_only_to_their_named_endpoints() {
        let oauth = spec(
            ProviderKind::Oauth2,
            &[
                ("token_url", "https://idp.example.org/token"),
                ("identity_url", "https://api.example.org/me"),
            ],
        );
        assert!(allowed(&oauth, "https://api.example.org/me"));
        assert!(allowed(&oauth, "https://idp.example.org/userinfo"));
        assert!(!allowed(&oauth, "https://elsewhere.example.org/me"));
        let cdse = spec(ProviderKind::Cdse, &[]);
        assert!(allowed(
            &cdse,
            "https://identity.dataspace.copernicus.eu/auth/realms/CDSE/protocol/openid-connect/userinfo"
        ));
        assert!(!allowed(&cdse, "https://www.arcgis.com/"));
        let basic = spec(
            ProviderKind::Basic,
            &[("identity_url", "https://api.example.org/user")],
        );
        assert!(allowed(&basic, "https://api.example.org/user"));
        assert!(!allowed(&basic, "https://other.example.org/user"));
        let fixed = spec(ProviderKind::Static, &[]);
        assert!(!allowed(&fixed, "https://api.example.org/user"));
    }
}
