//! The secrets of each connection as one blob in the secret store: its credentials (password,
//! client secret, access codes…) and its current tokens, replaced together so that a rotated
//! refresh token and its access token can never be stored apart.
//!
//! Each blob is bound to where its connection sends secrets: it carries the fingerprint of the
//! connection's destination fields (`connection::destination_fingerprint`) as they were when it was
//! saved, and a blob whose fingerprint differs from the current definition is not used. So a
//! connection whose token URL, issuer, proxy… changed by any route — `edit`, `import`, or a
//! hand-edited `connections.toml` — never sends the old secrets to the new place. (`edit`
//! also deletes them; the binding is the second line, for the routes that bypass the engine.)
//! Blobs written before binding existed carry no fingerprint; they are used and bound at their
//! next save.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::connection::{ConnectionName, ConnectionSpec};
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
    /// The destination fingerprint of the definition this was loaded or saved for; a cached
    /// copy is used only for that definition.
    pub bound: Option<String>,
}

impl Stored {
    /// Whether this was loaded or saved for `spec`'s current destination.
    pub(crate) fn fits(&self, spec: &ConnectionSpec) -> bool {
        self.bound
            .as_deref()
            .is_some_and(|b| b == crate::connection::destination_fingerprint(spec))
    }
}

// The keychain blob. Private: the only place tokens are serialised.
#[derive(Serialize, Deserialize)]
struct Blob {
    v: u32,
    #[serde(default)]
    credentials: std::collections::BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tokens: Option<TokenBlob>,
    /// The destination fingerprint of the definition these secrets were saved for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bound_to: Option<String>,
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
    fn to_blob(&self, bound_to: String) -> Blob {
        Blob {
            v: 1,
            bound_to: Some(bound_to),
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
            note: None,
        });
        Self {
            credentials,
            tokens,
            bound: None,
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

    /// What is stored for `spec` (empty when nothing is, or when what is stored was saved for
    /// another destination: those secrets are never used, and the next save replaces them).
    pub(crate) async fn load(&self, spec: &ConnectionSpec) -> Result<Stored, StoreError> {
        let Some(mut stored) = self.load_checked(spec).await? else {
            tracing::warn!(
                connection = %spec.name,
                "the secrets stored for {0} were saved when it sent them elsewhere (another token URL, issuer, portal, proxy or TLS setting); they are not used. Store them again with `tokentray edit {0}` or log in",
                spec.name
            );
            return Ok(Stored {
                bound: Some(crate::connection::destination_fingerprint(spec)),
                ..Stored::default()
            });
        };
        stored.bound = Some(crate::connection::destination_fingerprint(spec));
        Ok(stored)
    }

    /// What is stored for `spec`; `None` when it was saved for another destination (secrets
    /// saved by a version without binding are used, and bound at their next save).
    #[tracing::instrument(skip_all, fields(connection = %spec.name))]
    pub(crate) async fn load_checked(
        &self,
        spec: &ConnectionSpec,
    ) -> Result<Option<Stored>, StoreError> {
        let name = &spec.name;
        let Some(secret) = self.store.get(name.as_str()).await? else {
            return Ok(Some(Stored::default()));
        };
        let blob: Blob =
            serde_json::from_str(secret.expose()).map_err(|_| StoreError::Corrupt {
                key: name.to_string(),
            })?;
        match &blob.bound_to {
            Some(bound) if *bound != crate::connection::destination_fingerprint(spec) => Ok(None),
            _ => Ok(Some(Stored::from_blob(blob))),
        }
    }

    /// Replaces what is stored for `spec`, bound to its current destination.
    #[tracing::instrument(skip_all, fields(connection = %spec.name))]
    pub(crate) async fn save(
        &self,
        spec: &ConnectionSpec,
        stored: &Stored,
    ) -> Result<(), StoreError> {
        let blob = stored.to_blob(crate::connection::destination_fingerprint(spec));
        let json = serde_json::to_string(&blob).map_err(|e| StoreError::Platform {
            message: format!("could not encode secrets: {e}"),
        })?;
        self.store.put(spec.name.as_str(), &Secret::new(json)).await
    }

    /// Deletes everything stored for `name`.
    #[tracing::instrument(skip_all, fields(connection = %name))]
    pub(crate) async fn delete(&self, name: &ConnectionName) -> Result<bool, StoreError> {
        self.store.delete(name.as_str()).await
    }
}
