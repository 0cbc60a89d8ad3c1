//! `itkpd`: the ITk Production Database's uuIdentity `grantToken` (itkdb's flow, protocols.md
//! §2). The request is JSON, not a form (quirk 19); the auth URL needs its trailing slash or
//! `grantToken` replaces the last path segment (quirk 22); the bearer handed out is the
//! `id_token`, never the opaque `at.` access token (quirk 18); expiry and identity come from the
//! `id_token`'s claims (quirk 21). There is no refresh token: the access codes are posted again.

use async_trait::async_trait;
use serde_json::{Value, json};
use url::Url;

use crate::fields::ItkpdSettings;
use crate::provider::http::{self, Reply};
use crate::provider::identity;
use crate::provider::response::{check_token, seconds, text};
use crate::provider::{
    BrowserLogin, DeviceLogin, Flow, LoginInput, Provider, ProviderError, Revocation, idtoken,
};
use crate::secret::Secret;
use crate::token::{Identity, TokenSet, jwt_claims, jwt_expiry, jwt_lifetime};

pub(crate) struct Itkpd<'a>(pub &'a ItkpdSettings);

/// `<auth_url>grantToken`, with the auth URL normalised to end in `/`.
pub(crate) fn grant_url(s: &ItkpdSettings) -> Result<Url, ProviderError> {
    let mut base = s.auth_url.clone();
    if !base.ends_with('/') {
        base.push('/');
    }
    Url::parse(&base)
        .and_then(|b| b.join("grantToken"))
        .map_err(|e| ProviderError::Config {
            field: "auth_url",
            reason: format!("is not a valid URL: {e}"),
        })
}

/// Where uuIdentity publishes its keys: `<auth_url>listKeys` (itkdb's hard-coded address is
/// the default auth URL's `listKeys`).
pub(crate) fn jwks_url(s: &ItkpdSettings) -> Result<Url, ProviderError> {
    grant_url(s)?
        .join("listKeys")
        .map_err(|e| ProviderError::Config {
            field: "auth_url",
            reason: format!("is not a valid URL: {e}"),
        })
}

/// Validates the `id_token` as itkdb does (RS256 with uuIdentity's keys, `aud` containing the
/// API audience), and more: `iss` is the auth URL without its trailing slash, `exp` and `iat`
/// are checked on the engine's clock.
async fn check_id_token(
    s: &ItkpdSettings,
    flow: &Flow<'_>,
    id_token: &str,
    server_time: Option<crate::time::Timestamp>,
) -> Result<(), ProviderError> {
    let jwks = jwks_url(s)?;
    idtoken::validate(
        flow,
        id_token,
        &idtoken::Expect {
            issuer: s.auth_url.trim_end_matches('/'),
            audience: &s.audience,
            jwks_uri: &jwks,
            nonce: None,
            server_time,
            // Every grant is a new sign-in with the access codes: no earlier session to match.
            subject: None,
        },
    )
    .await?;
    Ok(())
}

/// The error of a failed `grantToken`, from its status and uuApp error map (quirk 20).
fn failure(reply: &Reply) -> ProviderError {
    let Ok(obj) = reply.json_object() else {
        return if reply.status >= 500 {
            ProviderError::Status {
                status: reply.status,
            }
        } else {
            reply.garbage("not JSON")
        };
    };
    let description = text(&obj, "error_description");
    let not_authenticated = obj
        .get("uuAppErrorMap")
        .and_then(Value::as_object)
        .is_some_and(|m| {
            m.keys()
                .any(|k| k.trim_end().ends_with("identityNotAuthenticated"))
        });
    if not_authenticated || reply.status == 401 {
        return ProviderError::Rejected {
            code: "identity not authenticated".into(),
            description: Some("the ITk access codes were not accepted; check both codes".into()),
        };
    }
    if description
        .as_deref()
        .is_some_and(|d| d.contains("must be not null"))
    {
        return ProviderError::Config {
            field: "access_code1",
            reason: "an access code is empty; store both codes".into(),
        };
    }
    if reply.status >= 500 || reply.status == 429 {
        return reply.garbage("server error");
    }
    ProviderError::ClientRejected {
        code: text(&obj, "error").unwrap_or_else(|| format!("HTTP {}", reply.status)),
        description,
    }
}

#[async_trait]
impl Provider for Itkpd<'_> {
    async fn login(&self, flow: &Flow<'_>, _: &LoginInput) -> Result<TokenSet, ProviderError> {
        let url = grant_url(self.0)?;
        let body = json!({
            "grant_type": "password",
            "accessCode1": flow.secret("access_code1", "to sign in to ITk")?.expose(),
            "accessCode2": flow.secret("access_code2", "to sign in to ITk")?.expose(),
            "scope": self.0.scope,
        });
        let reply = http::send(flow.http.post(url.clone()).json(&body), &url).await?;
        if reply.status != 200 {
            return Err(failure(&reply));
        }
        let obj = reply.json_object()?;
        // itkdb counts a login only with both tokens present.
        let (Some(_access), Some(id_token)) = (text(&obj, "access_token"), text(&obj, "id_token"))
        else {
            return Err(reply.garbage("the answer lacks the access_token or the id_token"));
        };
        check_token(&id_token, reply.status)?;
        check_id_token(self.0, flow, &id_token, reply.server_time()).await?;
        let now = flow.now();
        let mut set = TokenSet::bearer(Secret::new(id_token.clone()), now);
        // Counted from receipt with the token's own lifetime (exp − iat), so a skewed local
        // clock does not shift it; the absolute exp only when iat is missing.
        set.expires_at = jwt_lifetime(&id_token)
            .map(|d| now.plus(d))
            .or_else(|| jwt_expiry(&id_token))
            .or_else(|| seconds(&obj, "expires_in").map(|d| now.plus(d)));
        set.id_token = Some(Secret::new(id_token));
        Ok(set)
    }

    async fn renew(&self, flow: &Flow<'_>, _: &TokenSet) -> Result<TokenSet, ProviderError> {
        self.login(flow, &LoginInput::default()).await
    }

    fn renews_unattended(&self) -> bool {
        true
    }

    async fn whoami(
        &self,
        flow: &Flow<'_>,
        tokens: &TokenSet,
    ) -> Result<Option<Identity>, ProviderError> {
        match get_user(self.0, flow, tokens).await {
            Ok(Some(id)) => Ok(Some(id)),
            Ok(None) => Ok(identity(tokens)),
            Err(e) => {
                tracing::debug!(connection = %flow.spec.name, error = %e, "getUser failed; using the id_token's claims");
                Ok(identity(tokens))
            }
        }
    }

    fn required_secrets(&self) -> Vec<&'static str> {
        vec!["access_code1", "access_code2"]
    }

    fn session_end_needs_person(&self, _: &TokenSet) -> bool {
        false
    }

    fn browser(&self) -> Option<&dyn BrowserLogin> {
        None
    }

    fn device(&self) -> Option<&dyn DeviceLogin> {
        None
    }

    fn revocation(&self) -> Option<&dyn Revocation> {
        None
    }
}

/// `<api_url>getUser`: the ITk API's own answer about the person behind the `id_token` bearer
/// (`uuIdentity`, `name` or `firstName` + `lastName`).
async fn get_user(
    s: &ItkpdSettings,
    flow: &Flow<'_>,
    tokens: &TokenSet,
) -> Result<Option<Identity>, ProviderError> {
    let mut base = s.api_url.to_string();
    if !base.ends_with('/') {
        base.push('/');
    }
    let url = Url::parse(&base)
        .and_then(|b| b.join("getUser"))
        .map_err(|e| ProviderError::Config {
            field: "api_url",
            reason: format!("is not a valid URL: {e}"),
        })?;
    identity::check_destination(flow.spec, &url, "api_url")?;
    let obj = identity::fetch_json(flow, &url, tokens).await?;
    let name = text(&obj, "name").or_else(|| {
        let full = [text(&obj, "firstName"), text(&obj, "lastName")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!full.is_empty()).then_some(full)
    });
    Ok(text(&obj, "uuIdentity").map(|subject| Identity {
        subject,
        name,
        email: text(&obj, "email"),
    }))
}

/// `uuidentity` and `name` from the `id_token` (local, as itkdb does).
pub(crate) fn identity(tokens: &TokenSet) -> Option<Identity> {
    let claims = jwt_claims(tokens.id_token.as_ref()?.expose())?;
    let s = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_owned);
    let subject = s("uuidentity").or_else(|| s("sub"))?;
    Some(Identity {
        subject,
        name: s("name"),
        email: s("email"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{ConnectionName, ConnectionSpec, ProviderKind, Value as SettingValue};

    fn itk(spec: &ConnectionSpec) -> ItkpdSettings {
        match spec.clone().typed().kind.clone() {
            crate::fields::KindSettings::Itkpd(s) => s,
            _ => panic!("itkpd settings"),
        }
    }

    #[test]
    fn quirk_22_the_auth_url_keeps_its_last_segment() {
        let mut spec =
            ConnectionSpec::new(ConnectionName::new("itk").unwrap(), ProviderKind::Itkpd);
        spec.settings.insert(
            "auth_url",
            SettingValue::Text("https://uuidentity.example/oidc/app-id".into()),
        );
        assert_eq!(
            grant_url(&itk(&spec)).unwrap().as_str(),
            "https://uuidentity.example/oidc/app-id/grantToken"
        );
        spec.settings.insert(
            "auth_url",
            SettingValue::Text("https://uuidentity.example/oidc/app-id/".into()),
        );
        assert_eq!(
            grant_url(&itk(&spec)).unwrap().as_str(),
            "https://uuidentity.example/oidc/app-id/grantToken"
        );
    }

    #[test]
    fn quirk_20_the_recorded_401_body_means_wrong_codes() {
        let body = r#"{"uuAppErrorMap":{"uu-oidc-main/grantToken/identityNotAuthenticated ":{"type":"error","message":"Identity not Authenticated"}},"error_description":"Identity not Authenticated","error":"invalid_request"}"#;
        let reply = Reply {
            status: 401,
            body: body.as_bytes().to_vec(),
            html: false,
            retry_after: None,
            date: None,
        };
        let e = failure(&reply);
        assert_eq!(
            e.class(),
            crate::provider::FailureClass::NeedsLogin,
            "{e:?}"
        );
        let empty = r#"{"uuAppErrorMap":{},"error":"server_error","error_description":"Secret must be not null."}"#;
        let reply = Reply {
            status: 500,
            body: empty.as_bytes().to_vec(),
            html: false,
            retry_after: None,
            date: None,
        };
        assert_eq!(
            failure(&reply).class(),
            crate::provider::FailureClass::Config
        );
    }
}
