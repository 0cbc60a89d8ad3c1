//! Health questions front ends ask: which secrets are stored, which store is in use, and
//! whether this machine's clock agrees with a service's.

use super::Engine;
use crate::config::ConfigFile;
use crate::error::{Error, Result};
use crate::ports::StoreKind;
use crate::provider::http;
use crate::time::Timestamp;

/// Where versions before the per-start key kept the export key.
const LEGACY_EXPORT_KEY: &str = "_export-key";

impl Engine {
    /// A new export key: 256 random bits, base64url. The endpoint makes one at every start and
    /// keeps it only in memory and in its owner-only `endpoint.json`; it is never stored.
    pub fn new_export_key() -> crate::secret::Secret {
        use base64::Engine as _;
        use rand::RngCore as _;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        crate::secret::Secret::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Deletes the export key earlier versions kept in the secret store for good (under a
    /// reserved name no connection can have); `true` when there was one.
    pub async fn forget_legacy_export_key(&self) -> Result<bool> {
        Ok(self.inner.vault.store().delete(LEGACY_EXPORT_KEY).await?)
    }

    /// The names of the secret fields stored for `name` (never their values).
    pub async fn stored_secret_fields(&self, name: &str) -> Result<Vec<String>> {
        let spec = self.inner.spec_arc(name)?;
        let stored = self.inner.stored(&spec).await?;
        let mut fields: Vec<String> = stored.credentials.fields().map(str::to_owned).collect();
        if stored.tokens.is_some() {
            fields.push("tokens".into());
        }
        Ok(fields)
    }

    /// Chooses where secrets live from now on (an explicit, visible choice). Takes effect for
    /// engines built after it.
    pub fn set_secret_store(&self, kind: StoreKind) -> Result<()> {
        self.inner.config.update(|file: &mut ConfigFile| {
            file.app.secret_store = (kind != StoreKind::Keychain).then_some(kind);
            Ok::<_, Error>(())
        })?;
        self.inner.forget_config_cache();
        Ok(())
    }

    /// How many seconds this machine's clock is ahead of the service of `name` (negative:
    /// behind), from the `Date` header of an unauthenticated request; `None` when the service
    /// cannot be reached or sends no date.
    pub async fn clock_skew(&self, name: &str) -> Result<Option<i64>> {
        let spec = self.inner.spec(name)?;
        let url = [
            "token_url",
            "issuer",
            "portal_url",
            "auth_url",
            "identity_url",
        ]
        .into_iter()
        .find_map(|f| spec.url(f));
        let Some(url) = url else { return Ok(None) };
        let client = self.inner.http_client(&spec)?;
        let Ok(reply) = http::send(client.get(url.clone()), &url).await else {
            return Ok(None);
        };
        let now = self.inner.clock.now();
        let server = reply
            .date
            .as_deref()
            .and_then(|d| httpdate::parse_http_date(d).ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_secs()).ok())
            .map(Timestamp::from_secs);
        Ok(server.map(|s| now.as_secs() - s.as_secs()))
    }
}
