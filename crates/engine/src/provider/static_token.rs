//! `static`: a token obtained elsewhere (API keys, ITk bearer keys), with an optional expiry.

use async_trait::async_trait;

use super::{Flow, LoginInput, Provider, ProviderError};
use crate::connection::ConnectionSpec;
use crate::provider::response::check_token;
use crate::time::Timestamp;
use crate::token::{TokenSet, jwt_expiry};

pub(crate) struct StaticToken;

#[async_trait]
impl Provider for StaticToken {
    async fn login(&self, flow: &Flow<'_>, _: &LoginInput) -> Result<TokenSet, ProviderError> {
        let token = flow.secret("token", "for a static connection")?;
        check_token(token.expose(), 0).map_err(|_| ProviderError::Config {
            field: "token",
            reason: "contains spaces or characters a token may not contain".into(),
        })?;
        let mut set = TokenSet::bearer(token.clone(), flow.now());
        set.expires_at = flow
            .spec
            .text("expires_at")
            .and_then(|s| Timestamp::parse_rfc3339(&s))
            .or_else(|| jwt_expiry(token.expose()));
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

    fn renews_unattended(&self, _: &ConnectionSpec) -> bool {
        false
    }

    fn logs_in_unattended(&self, _: &ConnectionSpec) -> bool {
        true
    }

    fn required_secrets(&self, _: &ConnectionSpec) -> Vec<&'static str> {
        vec!["token"]
    }
}
