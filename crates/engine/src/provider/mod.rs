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

use crate::connection::ConnectionSpec;
use crate::fields::{KindSettings, TypedSettings};
use crate::secret::{Credentials, Secret};
use crate::time::{Clock, Timestamp};
use crate::token::{Identity, TokenSet};

/// Everything a provider call needs: the connection and its typed settings, its secrets, an
/// HTTP client built for it, the clock, and shared discovery results.
pub(crate) struct Flow<'a> {
    pub spec: &'a ConnectionSpec,
    /// The connection's settings, typed (see `fields::typed`).
    pub settings: &'a TypedSettings,
    pub credentials: &'a Credentials,
    pub http: &'a reqwest::Client,
    pub clock: &'a dyn Clock,
    pub discovery: &'a DiscoveryCache,
}

impl<'a> Flow<'a> {
    /// The flow of `spec` (a validated connection) with these secrets and this client.
    pub(crate) fn new(
        spec: &'a ConnectionSpec,
        credentials: &'a Credentials,
        http: &'a reqwest::Client,
        clock: &'a dyn Clock,
        discovery: &'a DiscoveryCache,
    ) -> Self {
        Self {
            spec,
            settings: spec.typed(),
            credentials,
            http,
            clock,
            discovery,
        }
    }

    /// The provider of this connection, over its typed settings.
    pub(crate) fn provider(&self) -> Box<dyn Provider + '_> {
        of(&self.settings.kind)
    }

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
}

/// A setting a flow cannot do without, or a config error saying it is missing.
pub(crate) fn required<'s>(
    value: Option<&'s String>,
    field: &'static str,
    why: &str,
) -> Result<&'s str, ProviderError> {
    value
        .map(String::as_str)
        .ok_or_else(|| ProviderError::missing(field, why))
}

/// What a person supplies for an interactive login.
#[derive(Debug, Default, Clone)]
pub struct LoginInput {
    /// A one-time password for services with 2FA (Copernicus); never stored.
    pub totp: Option<Secret>,
}

/// One provider kind's token flow, over the connection's typed settings: what every kind does.
/// The abilities only some connections have (a browser or device login, revocation) are
/// reached through [`Provider::browser`], [`Provider::device`] and [`Provider::revocation`].
#[async_trait]
pub(crate) trait Provider: Send + Sync {
    /// Obtains tokens with the stored credentials and what the person typed, without a
    /// browser. Flows that need one answer `NeedsInteraction`.
    async fn login(&self, flow: &Flow<'_>, input: &LoginInput) -> Result<TokenSet, ProviderError>;

    /// Renews `current` without a person: a refresh grant where there is a refresh token,
    /// else a new grant where the stored credentials allow it.
    async fn renew(&self, flow: &Flow<'_>, current: &TokenSet) -> Result<TokenSet, ProviderError>;

    /// Whether `renew` can work without a person for this connection's settings.
    fn renews_unattended(&self) -> bool;

    /// Who the token belongs to.
    async fn whoami(
        &self,
        flow: &Flow<'_>,
        tokens: &TokenSet,
    ) -> Result<Option<Identity>, ProviderError>;

    /// The secret fields this connection needs stored, given its settings.
    fn required_secrets(&self) -> Vec<&'static str>;

    /// Whether renewing after the refresh token (or session) ends needs a person: a browser
    /// login, or a password with a new one-time code.
    fn session_end_needs_person(&self, tokens: &TokenSet) -> bool;

    /// The browser login of this connection, when it logs in through a browser.
    fn browser(&self) -> Option<&dyn BrowserLogin>;

    /// The device login of this connection, when it has one.
    fn device(&self) -> Option<&dyn DeviceLogin>;

    /// What logout revokes at the service, when the service can revoke.
    fn revocation(&self) -> Option<&dyn Revocation>;
}

/// A browser login (authorization code).
#[async_trait]
pub(crate) trait BrowserLogin: Send + Sync {
    /// Where to send the person and where to redeem the code.
    async fn authorization(&self, flow: &Flow<'_>) -> Result<Authorization, ProviderError>;

    /// Redeems an authorization code at the endpoint the login started with.
    async fn exchange_code(
        &self,
        flow: &Flow<'_>,
        auth: &Authorization,
        code: &Secret,
        verifier: Option<&Secret>,
        redirect_uri: &str,
    ) -> Result<TokenSet, ProviderError>;
}

/// A device login (RFC 8628).
#[async_trait]
pub(crate) trait DeviceLogin: Send + Sync {
    /// The codes to show.
    async fn device_start(&self, flow: &Flow<'_>) -> Result<DeviceStart, ProviderError>;

    /// Asks the token endpoint whether the device login is done.
    async fn device_poll(
        &self,
        flow: &Flow<'_>,
        start: &DeviceStart,
    ) -> Result<DevicePoll, ProviderError>;
}

/// Revocation on logout (best effort).
#[async_trait]
pub(crate) trait Revocation: Send + Sync {
    /// Revokes what can be revoked.
    async fn revoke(&self, flow: &Flow<'_>, tokens: &TokenSet) -> Result<(), ProviderError>;
}

/// Asks the provider of `spec` (a validated connection) a question of its settings.
pub(crate) fn with<R>(spec: &ConnectionSpec, ask: impl FnOnce(&dyn Provider) -> R) -> R {
    let settings = spec.typed();
    ask(of(&settings.kind).as_ref())
}

/// The provider of a connection with these settings.
pub(crate) fn of(settings: &KindSettings) -> Box<dyn Provider + '_> {
    match settings {
        KindSettings::Static(s) => Box::new(static_token::StaticToken(s)),
        KindSettings::Basic(s) => Box::new(basic::Basic(s)),
        KindSettings::Oauth2(s) | KindSettings::Cdse(s) => Box::new(oauth2::OAuth2(s)),
        KindSettings::ArcgisToken(s) => Box::new(vendor::arcgis_token::ArcgisToken(s)),
        KindSettings::Itkpd(s) => Box::new(vendor::itkpd::Itkpd(s)),
        KindSettings::ArcgisOauth(s) => Box::new(vendor::arcgis_oauth::ArcgisOauth(s)),
    }
}
