//! Why the sandbox refuses a configuration, a registration or a bind address.

use std::net::SocketAddr;

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
    /// A uuIdentity person without both access codes.
    #[error("the ITk person {uuidentity} needs two non-empty access codes")]
    EmptyAccessCode {
        /// The offending person's `uuidentity`.
        uuidentity: String,
    },
    /// The sandbox binds loopback addresses only.
    #[error("the sandbox binds loopback addresses only, not {addr}")]
    NotLoopback {
        /// The refused address.
        addr: SocketAddr,
    },
}
