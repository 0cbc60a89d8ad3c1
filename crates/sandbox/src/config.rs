//! What a sandbox is started with: registered clients, users, the bind address and the clock.
//! Holds plain configuration values and their validation; nothing here serves requests.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clock::{SandboxClock, SystemClock};

/// Access-token lifetime when a client does not set one: one hour, the common default of real
/// services.
pub const DEFAULT_ACCESS_TOKEN_SECS: u64 = 3600;

/// How a client authenticates at the token and revocation endpoints (RFC 6749 §2.3.1). Also
/// what the request log records as the method a request actually used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))`.
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// A public client: `client_id` only.
    None,
}

impl AuthMethod {
    /// The RFC 8414 name, as in `token_endpoint_auth_methods_supported`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::None => "none",
        }
    }
}

/// What happens to a refresh token when it is used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rotation {
    /// The same refresh token keeps working; refresh responses carry no new one.
    #[default]
    None,
    /// Each refresh returns a new refresh token and the used one stops working.
    Rotate,
    /// Like `Rotate`, and presenting a used refresh token again revokes its whole family
    /// (reuse detection, as the OAuth security BCP recommends).
    RotateStrict,
}

/// A registered OAuth client.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientConfig {
    /// The `client_id`.
    pub client_id: String,
    /// The secret; required for the two `client_secret_*` methods, absent for `none`.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// The one authentication method this client may use.
    pub auth_method: AuthMethod,
    /// Refresh-token rotation.
    #[serde(default)]
    pub rotation: Rotation,
    /// Access-token lifetime in seconds.
    #[serde(default = "default_access_token_secs")]
    pub access_token_secs: u64,
    /// Refresh-token lifetime in seconds; `None` means refresh tokens never expire.
    #[serde(default)]
    pub refresh_token_secs: Option<u64>,
    /// The scope granted when a request names none.
    #[serde(default = "default_scope")]
    pub scope: String,
}

fn default_access_token_secs() -> u64 {
    DEFAULT_ACCESS_TOKEN_SECS
}

fn default_scope() -> String {
    "openid profile email".to_owned()
}

impl ClientConfig {
    /// A confidential client that authenticates with HTTP Basic.
    pub fn basic(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::new(
            client_id,
            Some(secret.into()),
            AuthMethod::ClientSecretBasic,
        )
    }

    /// A confidential client that sends its secret in the form body.
    pub fn post(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::new(client_id, Some(secret.into()), AuthMethod::ClientSecretPost)
    }

    /// A public client (`token_endpoint_auth_method` `none`).
    pub fn public(client_id: impl Into<String>) -> Self {
        Self::new(client_id, None, AuthMethod::None)
    }

    fn new(client_id: impl Into<String>, secret: Option<String>, method: AuthMethod) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: secret,
            auth_method: method,
            rotation: Rotation::None,
            access_token_secs: DEFAULT_ACCESS_TOKEN_SECS,
            refresh_token_secs: None,
            scope: default_scope(),
        }
    }

    /// Sets the refresh-token rotation mode.
    #[must_use]
    pub fn rotation(mut self, rotation: Rotation) -> Self {
        self.rotation = rotation;
        self
    }

    /// Sets the access-token lifetime in seconds.
    #[must_use]
    pub fn access_token_secs(mut self, secs: u64) -> Self {
        self.access_token_secs = secs;
        self
    }

    /// Makes refresh tokens expire this many seconds after they are issued.
    #[must_use]
    pub fn refresh_token_secs(mut self, secs: u64) -> Self {
        self.refresh_token_secs = Some(secs);
        self
    }

    /// Sets the scope granted when a request names none.
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.client_id.is_empty() {
            return Err(ConfigError::EmptyClientId);
        }
        let needs_secret = self.auth_method != AuthMethod::None;
        match (&self.client_secret, needs_secret) {
            (None, true) => Err(ConfigError::MissingSecret {
                client_id: self.client_id.clone(),
            }),
            (Some(_), false) => Err(ConfigError::PublicClientWithSecret {
                client_id: self.client_id.clone(),
            }),
            _ => Ok(()),
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("auth_method", &self.auth_method)
            .field("rotation", &self.rotation)
            .field("access_token_secs", &self.access_token_secs)
            .field("refresh_token_secs", &self.refresh_token_secs)
            .finish_non_exhaustive()
    }
}

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

/// A configuration the sandbox refuses.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A client with an empty `client_id`.
    #[error("a client needs a non-empty client_id")]
    EmptyClientId,
    /// A `client_secret_*` client without a secret.
    #[error("client {client_id} authenticates with a secret but has none")]
    MissingSecret {
        /// The offending client.
        client_id: String,
    },
    /// A public client with a secret it could never use.
    #[error("public client {client_id} must not have a secret")]
    PublicClientWithSecret {
        /// The offending client.
        client_id: String,
    },
    /// A user with an empty username.
    #[error("a user needs a non-empty username")]
    EmptyUsername,
    /// The sandbox binds loopback addresses only.
    #[error("the sandbox binds loopback addresses only, not {addr}")]
    NotLoopback {
        /// The refused address.
        addr: SocketAddr,
    },
}

/// Everything a sandbox starts with. [`SandboxConfig::demo`] is the documented default.
#[derive(Clone)]
pub struct SandboxConfig {
    pub(crate) clients: Vec<ClientConfig>,
    pub(crate) users: Vec<User>,
    pub(crate) addr: SocketAddr,
    pub(crate) clock: Arc<dyn SandboxClock>,
    pub(crate) keycloak_realm: String,
}

impl SandboxConfig {
    /// No clients, no users, an ephemeral port on 127.0.0.1, the system clock.
    pub fn empty() -> Self {
        Self {
            clients: Vec::new(),
            users: Vec::new(),
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            clock: Arc::new(SystemClock),
            keycloak_realm: "demo".to_owned(),
        }
    }

    /// The demo configuration described in the crate documentation.
    pub fn demo() -> Self {
        Self::empty()
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

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if !self.addr.ip().is_loopback() {
            return Err(ConfigError::NotLoopback { addr: self.addr });
        }
        self.clients.iter().try_for_each(ClientConfig::validate)?;
        self.users.iter().try_for_each(User::validate)
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
    fn a_confidential_client_without_a_secret_is_refused() {
        let mut client = ClientConfig::basic("x", "s");
        client.client_secret = None;
        assert!(matches!(
            client.validate(),
            Err(ConfigError::MissingSecret { .. })
        ));
    }

    #[test]
    fn a_public_client_with_a_secret_is_refused() {
        let mut client = ClientConfig::public("x");
        client.client_secret = Some("s".into());
        assert!(matches!(
            client.validate(),
            Err(ConfigError::PublicClientWithSecret { .. })
        ));
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
