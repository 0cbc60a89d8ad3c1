//! `arcgis-token`: ArcGIS Online / Enterprise `generateToken` with a username and password
//! (restgdf's flow, protocols.md §1). Every request sends `f=json` (without it the service
//! answers with an HTML page, quirk 3); errors arrive as HTTP 200 with an `error` object and are
//! classified by its `code` (quirk 1); `expires` is absolute epoch milliseconds, or seconds from
//! a non-conforming server (quirk 4). A rejected password stops renewal: retrying could lock
//! the account (quirk 16).

use async_trait::async_trait;
use serde_json::{Map, Value};
use url::Url;

use super::arcgis::{self, Portal, portal_url};
use crate::fields::ArcgisTokenSettings;
use crate::provider::http;
use crate::provider::response::check_token;
use crate::provider::{
    BrowserLogin, DeviceLogin, Flow, LoginInput, Provider, ProviderError, Revocation, required,
};
use crate::secret::Secret;
use crate::time::Timestamp;
use crate::token::{Identity, TokenSet, local_expiry};

pub(crate) struct ArcgisToken<'a>(pub &'a ArcgisTokenSettings);

/// `token_url`, or `<portal_url>/sharing/rest/generateToken`.
fn token_url(s: &ArcgisTokenSettings) -> Result<Url, ProviderError> {
    if let Some(url) = &s.token_url {
        return Ok(url.clone());
    }
    let portal = portal_url(&s.portal_url);
    Url::parse(&format!("{portal}/sharing/rest/generateToken")).map_err(|e| ProviderError::Config {
        field: "portal_url",
        reason: format!("does not make a valid token URL: {e}"),
    })
}

/// `expires` as epoch milliseconds, or seconds when the number is too small to be
/// milliseconds (restgdf's heuristic: more than 1e11 means milliseconds).
pub(crate) fn expires_at(obj: &Map<String, Value>) -> Option<Timestamp> {
    let n = obj.get("expires")?.as_f64()?;
    if !n.is_finite() || n <= 0.0 {
        return None;
    }
    #[allow(clippy::cast_possible_truncation)]
    let ms = if n > 1e11 {
        n as i64
    } else {
        (n * 1000.0) as i64
    };
    Some(Timestamp::from_millis(ms))
}

#[async_trait]
impl Provider for ArcgisToken<'_> {
    async fn login(&self, flow: &Flow<'_>, _: &LoginInput) -> Result<TokenSet, ProviderError> {
        let s = self.0;
        let url = token_url(s)?;
        let username = required(s.username.as_ref(), "username", "for generateToken")?;
        let password = flow.secret("password", "for generateToken")?;
        let mut form = vec![
            ("f", "json".to_owned()),
            ("username", username.to_owned()),
            ("password", password.expose().to_owned()),
            ("expiration", s.expiration_minutes.to_string()),
        ];
        match &s.referer {
            Some(referer) => {
                form.push(("client", "referer".into()));
                form.push(("referer", referer.clone()));
            }
            None => form.push(("client", "requestip".into())),
        }
        let reply = http::send(flow.http.post(url.clone()).form(&form), &url).await?;
        let obj = arcgis::json(&reply)?;
        let token = match obj.get("token") {
            Some(Value::String(t)) => t.clone(),
            _ => return Err(reply.garbage("there is no token in the answer")),
        };
        check_token(&token, reply.status)?;
        let now = flow.now();
        let mut set = TokenSet::bearer(Secret::new(token), now);
        set.expires_at = expires_at(&obj).map(|e| local_expiry(e, reply.server_time(), now));
        Ok(set)
    }

    async fn renew(&self, flow: &Flow<'_>, _: &TokenSet) -> Result<TokenSet, ProviderError> {
        // No refresh token exists: the stored password is posted again (restgdf does the same).
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
        let portal = Portal::from(self.0);
        arcgis::community_self(flow, &portal, self.0.username.as_deref(), tokens).await
    }

    fn required_secrets(&self) -> Vec<&'static str> {
        vec!["password"]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_is_read_as_milliseconds_or_seconds_by_size() {
        let obj = |v: Value| {
            serde_json::json!({ "expires": v })
                .as_object()
                .unwrap()
                .clone()
        };
        assert_eq!(
            expires_at(&obj(1_767_225_600_000u64.into())),
            Some(Timestamp::from_secs(1_767_225_600))
        );
        assert_eq!(
            expires_at(&obj(1_767_225_600u64.into())),
            Some(Timestamp::from_secs(1_767_225_600)),
            "quirk 4: seconds from a non-conforming server"
        );
        assert_eq!(expires_at(&obj(Value::Null)), None);
        assert_eq!(expires_at(&obj((-5).into())), None);
    }
}
