//! What a sandbox is started with: registered clients (`client`), users, each provider's
//! registrations (`arcgis`, `itk`), the bind address and the clock. Plain values and their
//! validation ([`ConfigError`]); nothing here serves requests or holds what was issued, and
//! nothing here names the modules that do.

mod arcgis;
mod client;
mod error;
mod itk;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use arcgis::{ArcgisApp, ArcgisConfig, ArcgisUser, OOB_REDIRECT_URI};
pub use client::{AuthMethod, ClientConfig, DEFAULT_ACCESS_TOKEN_SECS, Rotation};
pub use error::ConfigError;
pub use itk::{ItkConfig, ItkUser};

use crate::clock::{SandboxClock, SystemClock};

/// A resource owner who can log in with the password grant.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Login name; also `sub` and `preferred_username`.
    pub username: String,
    /// Password.
    pub password: String,
    /// Display name (`name` claim).
    pub name: String,
    /// `email` claim.
    pub email: String,
    /// A one-time code the Keycloak realm demands (`otp` or `totp` form field); the generic
    /// OAuth server ignores it.
    #[serde(default)]
    pub totp: Option<String>,
}

impl User {
    /// A user whose display name is the username and whose email is `<username>@example.org`.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        let username = username.into();
        Self {
            name: username.clone(),
            email: format!("{username}@example.org"),
            password: password.into(),
            totp: None,
            username,
        }
    }

    /// Sets the display name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the email address.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = email.into();
        self
    }

    /// Requires this one-time code at the Keycloak realm.
    #[must_use]
    pub fn totp(mut self, code: impl Into<String>) -> Self {
        self.totp = Some(code.into());
        self
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.username.is_empty() {
            return Err(ConfigError::EmptyUsername);
        }
        Ok(())
    }
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("username", &self.username)
            .field("name", &self.name)
            .field("email", &self.email)
            .field("totp", &self.totp.as_ref().map(|_| "[REDACTED]"))
            .finish_non_exhaustive()
    }
}

/// Everything a sandbox starts with. [`SandboxConfig::demo`] is the documented default.
#[derive(Clone)]
pub struct SandboxConfig {
    pub(crate) clients: Vec<ClientConfig>,
    pub(crate) users: Vec<User>,
    pub(crate) addr: SocketAddr,
    pub(crate) clock: Arc<dyn SandboxClock>,
    pub(crate) keycloak_realm: String,
    pub(crate) arcgis: ArcgisConfig,
    pub(crate) itk: ItkConfig,
}

impl SandboxConfig {
    /// No clients, no users (at any provider), an ephemeral port on 127.0.0.1, the system clock.
    pub fn empty() -> Self {
        Self {
            clients: Vec::new(),
            users: Vec::new(),
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            clock: Arc::new(SystemClock),
            keycloak_realm: "demo".to_owned(),
            arcgis: ArcgisConfig::empty(),
            itk: ItkConfig::empty(),
        }
    }

    /// The demo configuration described in the crate documentation: every provider with its
    /// demo users and clients.
    pub fn demo() -> Self {
        Self::empty()
            .arcgis(ArcgisConfig::demo())
            .itk(ItkConfig::demo())
            .client(ClientConfig::basic("demo-cc", "demo-cc-secret"))
            .client(ClientConfig::post("demo-post", "demo-post-secret"))
            .client(
                ClientConfig::public("demo-public")
                    .access_token_secs(300)
                    .refresh_token_secs(86_400),
            )
            .client(ClientConfig::public("demo-rotate").rotation(Rotation::RotateStrict))
            .client(
                ClientConfig::public("cdse-public")
                    .access_token_secs(600)
                    .refresh_token_secs(3600)
                    .scope("profile email"),
            )
            .user(User::new("ada", "lovelace").name("Ada Lovelace"))
            .user(
                User::new("grace", "hopper")
                    .name("Grace Hopper")
                    .totp("424242"),
            )
    }

    /// Registers a client (a later client with the same id replaces an earlier one).
    #[must_use]
    pub fn client(mut self, client: ClientConfig) -> Self {
        self.clients.push(client);
        self
    }

    /// Registers a user (a later user with the same name replaces an earlier one).
    #[must_use]
    pub fn user(mut self, user: User) -> Self {
        self.users.push(user);
        self
    }

    /// Binds this address instead of an ephemeral port on 127.0.0.1. Loopback only.
    #[must_use]
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Takes the time from this clock instead of the system clock.
    #[must_use]
    pub fn clock(mut self, clock: impl SandboxClock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Names the Keycloak realm served under `/keycloak/realms/<name>` (default `demo`).
    #[must_use]
    pub fn keycloak_realm(mut self, name: impl Into<String>) -> Self {
        self.keycloak_realm = name.into();
        self
    }

    /// Serves this `ArcGIS` portal under `/arcgis` (replacing the one configured before).
    #[must_use]
    pub fn arcgis(mut self, arcgis: ArcgisConfig) -> Self {
        self.arcgis = arcgis;
        self
    }

    /// Serves this uuIdentity server under `/itk` (replacing the one configured before).
    #[must_use]
    pub fn itk(mut self, itk: ItkConfig) -> Self {
        self.itk = itk;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if !self.addr.ip().is_loopback() {
            return Err(ConfigError::NotLoopback { addr: self.addr });
        }
        self.clients.iter().try_for_each(ClientConfig::validate)?;
        self.users.iter().try_for_each(User::validate)?;
        self.arcgis.validate()?;
        self.itk.validate()
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self::demo()
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("clients", &self.clients)
            .field("users", &self.users)
            .field("addr", &self.addr)
            .field("keycloak_realm", &self.keycloak_realm)
            .field("arcgis", &self.arcgis)
            .field("itk", &self.itk)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_configuration_is_valid() {
        assert_eq!(SandboxConfig::demo().validate(), Ok(()));
    }

    #[test]
    fn a_non_loopback_address_is_refused() {
        let config = SandboxConfig::empty().bind(SocketAddr::from(([0, 0, 0, 0], 0)));
        assert!(matches!(
            config.validate(),
            Err(ConfigError::NotLoopback { .. })
        ));
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let text = format!(
            "{:?}",
            SandboxConfig::empty()
                .client(ClientConfig::basic("c", "s3cr3t"))
                .user(User::new("u", "pa55word").totp("999111"))
        );
        assert!(!text.contains("s3cr3t") && !text.contains("pa55word") && !text.contains("999111"));
    }
}
