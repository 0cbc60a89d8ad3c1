//! `basic`: HTTP Basic. The "token" is `base64(username:password)` in the chosen encoding.

use async_trait::async_trait;
use base64::Engine as _;

use super::{
    BrowserLogin, DeviceLogin, Flow, LoginInput, Provider, ProviderError, Revocation, identity,
    required,
};
use crate::fields::{BasicSettings, Encoding};
use crate::secret::Secret;
use crate::token::{Identity, TokenSet};

pub(crate) struct Basic<'a>(pub &'a BasicSettings);

/// Encodes `user:password` as UTF-8 or Latin-1, then base64.
pub(crate) fn encode(user: &str, password: &str, latin1: bool) -> Result<String, ProviderError> {
    let joined = format!("{user}:{password}");
    let bytes: Vec<u8> = if latin1 {
        joined
            .chars()
            .map(|c| u8::try_from(u32::from(c)).ok())
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| ProviderError::Config {
                field: "encoding",
                reason: "the username or password has characters Latin-1 cannot encode; use encoding utf-8".into(),
            })?
    } else {
        joined.into_bytes()
    };
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

#[async_trait]
impl Provider for Basic<'_> {
    async fn login(&self, flow: &Flow<'_>, _: &LoginInput) -> Result<TokenSet, ProviderError> {
        let user = required(self.0.username.as_ref(), "username", "for HTTP Basic")?;
        let password = flow.credentials.get("password").map_or("", Secret::expose);
        let latin1 = self.0.encoding == Encoding::Latin1;
        let mut set = TokenSet::bearer(Secret::new(encode(user, password, latin1)?), flow.now());
        set.token_type = "Basic".into();
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
        identity::generic(flow, &self.0.identity, tokens).await
    }

    fn required_secrets(&self) -> Vec<&'static str> {
        Vec::new()
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
    fn latin1_and_utf8_differ_as_protocols_md_says() {
        assert_eq!(
            encode("user", "pässword", true).unwrap(),
            "dXNlcjpw5HNzd29yZA=="
        );
        assert_eq!(
            encode("user", "pässword", false).unwrap(),
            "dXNlcjpww6Rzc3dvcmQ="
        );
        assert!(encode("user", "€", true).is_err());
    }
}
