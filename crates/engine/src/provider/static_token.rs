//! `static`: a token obtained elsewhere (API keys, ITk bearer keys), with an optional expiry.

use async_trait::async_trait;

use super::{
    BrowserLogin, DeviceLogin, Flow, LoginInput, Provider, ProviderError, Revocation, identity,
};
use crate::fields::StaticSettings;
use crate::provider::response::check_token;
use crate::time::Timestamp;
use crate::token::{Identity, TokenSet, jwt_expiry};

pub(crate) struct StaticToken<'a>(pub &'a StaticSettings);

#[async_trait]
impl Provider for StaticToken<'_> {
    async fn login(&self, flow: &Flow<'_>, _: &LoginInput) -> Result<TokenSet, ProviderError> {
        let token = flow.secret("token", "for a static connection")?;
        check_token(token.expose(), 0).map_err(|_| ProviderError::Config {
            field: "token",
            reason: "contains spaces or characters a token may not contain".into(),
        })?;
        let mut set = TokenSet::bearer(token.clone(), flow.now());
        set.expires_at = self.0.expires_at.or_else(|| jwt_expiry(token.expose()));
        if !set.valid_for(flow.now(), std::time::Duration::ZERO) {
            return Err(ProviderError::NeedsInteraction(format!(
                "the static token expired at {}",
                set.expires_at
                    .map(Timestamp::to_rfc3339)
                    .unwrap_or_default(),
            )));
        }
        Ok(set)
    }

    async fn renew(&self, flow: &Flow<'_>, _: &TokenSet) -> Result<TokenSet, ProviderError> {
        let set = self.login(flow, &LoginInput::default()).await?;
        if !set.valid_for(flow.now(), std::time::Duration::ZERO) {
            return Err(ProviderError::NeedsInteraction(
                "the static token has expired".into(),
            ));
        }
        Ok(set)
    }

    fn renews_unattended(&self) -> bool {
        false
    }

    async fn whoami(
        &self,
        flow: &Flow<'_>,
        tokens: &TokenSet,
    ) -> Result<Option<Identity>, ProviderError> {
        identity::generic(flow, &self.0.identity, tokens).await
    }

    fn required_secrets(&self) -> Vec<&'static str> {
        vec!["token"]
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
