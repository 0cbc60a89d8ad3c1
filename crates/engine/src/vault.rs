//! The secrets of each connection as one blob in the secret store: its credentials (password,
//! client secret, access codes…) and its current tokens, replaced together so that a rotated
//! refresh token and its access token can never be stored apart.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::connection::ConnectionName;
use crate::ports::{SecretStore, StoreError, StoreInfo};
use crate::secret::{Credentials, Secret};
use crate::time::Timestamp;
use crate::token::TokenSet;

/// What is stored for one connection.
#[derive(Clone, Debug, Default)]
pub(crate) struct Stored {
    /// The secret fields.
    pub credentials: Credentials,
    /// The current tokens, if any.
    pub tokens: Option<TokenSet>,
}

// The keychain blob. Private: the only place tokens are serialised.
#[derive(Serialize, Deserialize)]
struct Blob {
    v: u32,
    #[serde(default)]
    credentials: std::collections::BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tokens: Option<TokenBlob>,
}

#[derive(Serialize, Deserialize)]
struct TokenBlob {
    access_token: String,
    token_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_expires_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    obtained_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    redirect_uri: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    otp: bool,
}

impl Stored {
    fn to_blob(&self) -> Blob {
        Blob {
            v: 1,
            credentials: self
                .credentials
                .iter()
                .map(|(k, v)| (k.to_owned(), v.expose().to_owned()))
                .collect(),
            tokens: self.tokens.as_ref().map(|t| TokenBlob {
                access_token: t.access_token.expose().to_owned(),
                token_type: t.token_type.clone(),
                expires_at: t.expires_at,
                refresh_token: t.refresh_token.as_ref().map(|s| s.expose().to_owned()),
                refresh_expires_at: t.refresh_expires_at,
                id_token: t.id_token.as_ref().map(|s| s.expose().to_owned()),
                scope: t.scope.clone(),
                obtained_at: t.obtained_at,
                redirect_uri: t.redirect_uri.clone(),
                otp: t.otp,
            }),
        }
    }

    fn from_blob(blob: Blob) -> Self {
        let mut credentials = Credentials::new();
        for (k, v) in blob.credentials {
            credentials.set(k, Secret::new(v));
        }
        let tokens = blob.tokens.map(|t| TokenSet {
            access_token: Secret::new(t.access_token),
            token_type: t.token_type,
            expires_at: t.expires_at,
            refresh_token: t.refresh_token.map(Secret::new),
            refresh_expires_at: t.refresh_expires_at,
            id_token: t.id_token.map(Secret::new),
            scope: t.scope,
            obtained_at: t.obtained_at,
            redirect_uri: t.redirect_uri,
            otp: t.otp,
        });
        Self {
            credentials,
            tokens,
        }
    }
}

/// Reads and writes each connection's secrets through a `SecretStore`.
#[derive(Clone)]
pub(crate) struct Vault {
    store: Arc<dyn SecretStore>,
}

impl Vault {
    /// A vault over `store`.
    pub(crate) fn new(store: Arc<dyn SecretStore>) -> Self {
        Self { store }
    }

    /// What the store is.
    pub(crate) fn info(&self) -> StoreInfo {
        self.store.info()
    }

    /// The underlying store.
    pub(crate) fn store(&self) -> &Arc<dyn SecretStore> {
        &self.store
    }

    /// What is stored for `name` (empty when nothing is).
    #[tracing::instrument(skip_all, fields(connection = %name))]
    pub(crate) async fn load(&self, name: &ConnectionName) -> Result<Stored, StoreError> {
        let Some(secret) = self.store.get(name.as_str()).await? else {
            return Ok(Stored::default());
        };
        let blob: Blob =
            serde_json::from_str(secret.expose()).map_err(|_| StoreError::Corrupt {
                key: name.to_string(),
            })?;
        Ok(Stored::from_blob(blob))
    }

    /// Replaces what is stored for `name`.
    #[tracing::instrument(skip_all, fields(connection = %name))]
    pub(crate) async fn save(
        &self,
        name: &ConnectionName,
        stored: &Stored,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(&stored.to_blob()).map_err(|e| StoreError::Platform {
            message: format!("could not encode secrets: {e}"),
        })?;
        self.store.put(name.as_str(), &Secret::new(json)).await
    }

    /// Deletes everything stored for `name`.
    #[tracing::instrument(skip_all, fields(connection = %name))]
    pub(crate) async fn delete(&self, name: &ConnectionName) -> Result<bool, StoreError> {
        self.store.delete(name.as_str()).await
    }
}
