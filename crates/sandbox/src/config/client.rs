//! Registered OAuth clients: how each authenticates, how its refresh tokens rotate, and its
//! token lifetimes. Plain values and their validation; nothing here serves requests.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ConfigError;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
