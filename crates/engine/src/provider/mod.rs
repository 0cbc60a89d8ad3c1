//! The provider engine: one implementation of `Provider` per kind, each speaking its
//! service's token flow. Providers are stateless; everything they need arrives in a `Flow`.

mod authorize;
mod basic;
mod error;
pub(crate) mod http;
mod identity;
pub(crate) mod idtoken;
mod oauth2;
pub(crate) mod response;
mod static_token;
mod vendor;

use async_trait::async_trait;

pub(crate) use authorize::{Authorization, DevicePoll, DeviceStart};
pub use error::{BadCertificate, CertProblem, FailureClass, IdTokenCheck, ProviderError};
pub(crate) use oauth2::DiscoveryCache;

use crate::connection::{ConnectionSpec, ProviderKind};
use crate::secret::{Credentials, Secret};
use crate::time::{Clock, Timestamp};
use crate::token::{Identity, TokenSet};

/// Everything a provider call needs: the connection, its secrets, an HTTP client built for it,
/// the clock, and shared discovery results.
pub(crate) struct Flow<'a> {
    pub spec: &'a ConnectionSpec,
    pub credentials: &'a Credentials,
    pub http: &'a reqwest::Client,
    pub clock: &'a dyn Clock,
    pub discovery: &'a DiscoveryCache,
}

impl Flow<'_> {
    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// A stored secret, or a config error saying how to set it.
    pub(crate) fn secret(&self, field: &'static str, why: &str) -> Result<&Secret, ProviderError> {
        self.credentials
            .get(field)
            .ok_or_else(|| ProviderError::SecretMissing {
                field,
                why: why.to_owned(),
            })
    }

    /// A non-secret setting, or a config error.
    pub(crate) fn setting(&self, field: &'static str, why: &str) -> Result<String, ProviderError> {
        self.spec
            .text(field)
            .ok_or_else(|| ProviderError::missing(field, why))
    }
}

/// What a person supplies for an interactive login.
#[derive(Debug, Default, Clone)]
pub struct LoginInput {
    /// A one-time password for services with 2FA (Copernicus); never stored.
    pub totp: Option<Secret>,
}

/// One provider kind's token flow.
#[async_trait]
pub(crate) trait Provider: Send + Sync {
    /// Obtains tokens with the stored credentials and what the person typed, without a
    /// browser. Flows that need one answer `NeedsInteraction`.
    async fn login(&self, flow: &Flow<'_>, input: &LoginInput) -> Result<TokenSet, ProviderError>;

    /// Renews `current` without a person: a refresh grant where there is a refresh token,
    /// else a new grant where the stored credentials allow it.
    async fn renew(&self, flow: &Flow<'_>, current: &TokenSet) -> Result<TokenSet, ProviderError>;

    /// Whether `renew` can work without a person for this connection's settings.
    fn renews_unattended(&self, spec: &ConnectionSpec) -> bool;

    /// Whether `login` can work with the stored credentials alone (no browser, no one-time
    /// code). Usually the same as renewing; a static token logs in (it is read from the store)
    /// but cannot renew.
    fn logs_in_unattended(&self, spec: &ConnectionSpec) -> bool {
        self.renews_unattended(spec)
    }

    /// Who the token belongs to.
    async fn whoami(
        &self,
        flow: &Flow<'_>,
        tokens: &TokenSet,
    ) -> Result<Option<Identity>, ProviderError> {
        identity::generic(flow, tokens).await
    }

    /// Revokes what can be revoked on logout (best effort).
    async fn revoke(&self, _flow: &Flow<'_>, _tokens: &TokenSet) -> Result<(), ProviderError> {
        Ok(())
    }

    /// The secret fields this connection needs stored, given its settings.
    fn required_secrets(&self, spec: &ConnectionSpec) -> Vec<&'static str>;

    /// Whether renewing after the refresh token (or session) ends needs a person: a browser
    /// login, or a password with a new one-time code.
    fn session_end_needs_person(&self, _spec: &ConnectionSpec, _tokens: &TokenSet) -> bool {
        false
    }

    /// For a browser login: where to send the person and where to redeem the code. `None`
    /// when this connection does not log in through a browser.
    async fn authorization(
        &self,
        _flow: &Flow<'_>,
    ) -> Result<Option<Authorization>, ProviderError> {
        Ok(None)
    }

    /// Redeems an authorization code at the endpoint the login started with.
    async fn exchange_code(
        &self,
        _flow: &Flow<'_>,
        _auth: &Authorization,
        _code: &Secret,
        _verifier: Option<&Secret>,
        _redirect_uri: &str,
    ) -> Result<TokenSet, ProviderError> {
        Err(ProviderError::NeedsInteraction(
            "this connection has no browser login".into(),
        ))
    }

    /// For a device login: the codes to show. `None` when this connection has none.
    async fn device_start(&self, _flow: &Flow<'_>) -> Result<Option<DeviceStart>, ProviderError> {
        Ok(None)
    }

    /// Asks the token endpoint whether the device login is done.
    async fn device_poll(
        &self,
        _flow: &Flow<'_>,
        _start: &DeviceStart,
    ) -> Result<DevicePoll, ProviderError> {
        Err(ProviderError::NeedsInteraction(
            "this connection has no device login".into(),
        ))
    }
}

/// The provider for `kind`.
pub(crate) fn for_kind(kind: ProviderKind) -> &'static dyn Provider {
    match kind {
        ProviderKind::Static => &static_token::StaticToken,
        ProviderKind::Basic => &basic::Basic,
        ProviderKind::Oauth2 | ProviderKind::Cdse => &oauth2::OAuth2,
        ProviderKind::ArcgisToken => &vendor::arcgis_token::ArcgisToken,
        ProviderKind::Itkpd => &vendor::itkpd::Itkpd,
        ProviderKind::ArcgisOauth => &vendor::arcgis_oauth::ArcgisOauth,
    }
}
