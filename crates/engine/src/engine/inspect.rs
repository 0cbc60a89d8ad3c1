//! Questions a front end asks about one connection without changing it: its settings as a
//! form shows them, what its current token says about itself, its history, whether a draft
//! is valid, and whether a draft works at all before it is saved.

use serde_json::{Map, Value as Json};

use super::manage::{apply, check_secrets, missing};
use super::runtime::IdentityChange;
use super::{Engine, Freshness};
use crate::connection::{ConnectionName, ConnectionSpec, FieldError, ProviderKind};
use crate::error::{Error, Result};
use crate::fields::LoginMethod;
use crate::provider::{LoginInput, ProviderError, http};
use crate::secret::{Credentials, Secret};
use crate::state::HistoryEntry;
use crate::time::Timestamp;
use crate::token::{Identity, jwt_claims};
use crate::vault::Stored;

/// Read-only questions about connections, drafts and the secret store ([`Engine::inspect`]).
#[derive(Clone, Copy)]
pub struct Inspect<'a> {
    pub(super) engine: &'a Engine,
}

/// What the current token says about itself: never the token or its signature.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TokenDetail {
    /// The decoded JWT header, when the token is a JWT.
    pub jwt_header: Option<Map<String, Json>>,
    /// The decoded JWT claims, when the token is a JWT.
    pub jwt_claims: Option<Map<String, Json>>,
    /// The scopes granted, from the token response or the `scope`/`scp` claim.
    pub scopes: Vec<String>,
    /// `Bearer`, `Basic`…
    pub token_type: String,
}

/// What trying a draft connection found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    /// The flow worked: a token was obtained (and thrown away).
    Worked {
        /// Who it belongs to, if the service says.
        identity: Option<Identity>,
        /// When it would expire.
        expires_at: Option<Timestamp>,
    },
    /// The flow needs a person (a browser or device login); only a saved connection can do it.
    NeedsPerson(String),
}

/// The connection's settings as text, the way forms and `tokentray edit` take them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormValues {
    /// The kind.
    pub kind: ProviderKind,
    /// Every set non-secret field, as typed.
    pub values: Vec<(String, String)>,
}

fn decode_segment(segment: &str) -> Option<Map<String, Json>> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Json::Object(map) => Some(map),
        _ => None,
    }
}

/// Scopes from the token response, else from the `scope` (space-separated) or `scp` claim.
fn scopes(granted: Option<&str>, claims: Option<&Map<String, Json>>) -> Vec<String> {
    if let Some(text) = granted.filter(|s| !s.trim().is_empty()) {
        return text.split_whitespace().map(str::to_owned).collect();
    }
    match claims.and_then(|c| c.get("scope").or_else(|| c.get("scp"))) {
        Some(Json::String(text)) => text.split_whitespace().map(str::to_owned).collect(),
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

impl Inspect<'_> {
    /// Problems with a draft connection, as a form shows them next to its fields: the name,
    /// each setting, and required fields (`secrets` names the secret fields the person filled
    /// in). Writes nothing.
    pub fn check(
        &self,
        name: &str,
        kind: ProviderKind,
        set: &[(String, String)],
        secrets: &[String],
    ) -> Vec<FieldError> {
        let mut errors = Vec::new();
        match ConnectionName::new(name) {
            Err(e) => errors.push(FieldError::new("name", e.to_string())),
            Ok(name) => {
                if let Ok(config) = self.engine.config()
                    && config.get(&name).is_some()
                {
                    errors.push(FieldError::new(
                        "name",
                        "is taken by another connection; choose another name",
                    ));
                }
            }
        }
        let placeholder = ConnectionName::new("draft").expect("a valid name");
        let mut spec = ConnectionSpec::new(placeholder, kind);
        if let Err(Error::InvalidFields { errors: more }) = apply(&mut spec, set) {
            errors.extend(more);
        }
        let mut creds = Credentials::new();
        for field in secrets {
            // Only the presence of a secret is checked; the value is a placeholder.
            creds.set(field.clone(), Secret::new("filled in"));
        }
        if let Err(Error::InvalidFields { errors: more }) = check_secrets(&spec, &creds) {
            errors.extend(more);
        }
        for error in missing(&spec, &creds) {
            if !errors.iter().any(|e| e.field == error.field) {
                errors.push(error);
            }
        }
        errors
    }

    /// Tries a draft connection: runs its flow and whoami with `secrets` and throws the
    /// tokens away. Nothing is saved, and no browser opens: browser and device flows answer
    /// [`Probe::NeedsPerson`].
    pub async fn probe(
        &self,
        kind: ProviderKind,
        set: &[(String, String)],
        secrets: Credentials,
        totp: Option<Secret>,
    ) -> Result<Probe> {
        let name = ConnectionName::new("connection-test").expect("a valid name");
        let mut spec = ConnectionSpec::new(name, kind);
        apply(&mut spec, set)?;
        check_secrets(&spec, &secrets)?;
        let errors = missing(&spec, &secrets);
        if !errors.is_empty() {
            return Err(Error::InvalidFields { errors });
        }
        let stored = Stored {
            credentials: secrets,
            tokens: None,
            bound: None,
        };
        let http = self.engine.inner.new_http_client(&spec)?;
        let flow = self.engine.inner.flow(&spec, &stored, &http);
        let provider = flow.provider();
        let fail = |source: ProviderError| Error::Provider {
            connection: spec.name.clone(),
            source,
        };
        let tokens = match provider.login(&flow, &LoginInput { totp }).await {
            Ok(tokens) => tokens,
            Err(ProviderError::NeedsInteraction(why)) => return Ok(Probe::NeedsPerson(why)),
            Err(e) => return Err(fail(e)),
        };
        let identity = provider.whoami(&flow, &tokens).await.map_err(fail)?;
        Ok(Probe::Worked {
            identity,
            expires_at: tokens.expires_at,
        })
    }

    /// The settings of `name` as text, for an edit form.
    pub fn form_values(&self, name: &ConnectionName) -> Result<FormValues> {
        let spec = self.engine.inner.spec_arc(name.as_str())?;
        Ok(FormValues {
            kind: spec.kind,
            values: spec
                .settings
                .iter()
                .map(|(field, value)| (field.to_owned(), value.to_string()))
                .collect(),
        })
    }

    /// What the stored token of `name` says about itself, without renewing it; `None` when
    /// there is no token.
    pub async fn token_detail(&self, name: &ConnectionName) -> Result<Option<TokenDetail>> {
        let spec = self.engine.inner.spec_arc(name.as_str())?;
        let stored = self.engine.inner.stored(&spec).await?;
        let Some(tokens) = stored.tokens else {
            return Ok(None);
        };
        let raw = tokens.access_token.expose();
        let claims = jwt_claims(raw);
        let header = claims
            .as_ref()
            .and_then(|_| raw.split('.').next())
            .and_then(decode_segment);
        Ok(Some(TokenDetail {
            scopes: scopes(tokens.scope.as_deref(), claims.as_ref()),
            jwt_header: header,
            jwt_claims: claims,
            token_type: tokens.token_type,
        }))
    }

    /// Who the token of `name` belongs to, asked of the service now.
    pub async fn whoami(&self, name: &ConnectionName) -> Result<Option<Identity>> {
        let handout = self.engine.token(name, Freshness::NotDue).await?;
        let spec = self.engine.inner.spec_arc(name.as_str())?;
        let stored = self.engine.inner.stored(&spec).await?;
        let Some(tokens) = stored.tokens.clone() else {
            return Ok(handout.identity.clone());
        };
        let http = self.engine.inner.client(&spec).await?;
        let flow = self.engine.inner.flow(&spec, &stored, &http);
        let identity = flow
            .provider()
            .whoami(&flow, &tokens)
            .await
            .map_err(|source| Error::Provider {
                connection: spec.name.clone(),
                source,
            })?;
        self.engine
            .inner
            .change_identity(&spec, IdentityChange::Now(identity.clone()))
            .await?;
        Ok(identity)
    }

    /// The refresh history of `name`, oldest first.
    pub fn history(&self, name: &ConnectionName) -> Result<Vec<HistoryEntry>> {
        let spec = self.engine.inner.spec_arc(name.as_str())?;
        Ok(self.engine.inner.current_state(&spec.name).history)
    }

    /// Whether `name` can log in with its stored credentials alone (client credentials, a
    /// stored password without 2FA, access codes, a static token), so that nobody needs to be
    /// asked.
    pub fn logs_in_unattended(&self, name: &ConnectionName) -> Result<bool> {
        Ok(self.login_method(name)?.unattended())
    }

    /// How `name` logs in: a browser, a device code, a password (perhaps with a one-time
    /// code) or the stored secrets alone.
    pub fn login_method(&self, name: &ConnectionName) -> Result<LoginMethod> {
        let spec = self.engine.inner.spec_arc(name.as_str())?;
        Ok(spec.typed().kind.login_method())
    }

    /// The names of the secret fields stored for `name` (never their values).
    pub async fn stored_secret_fields(&self, name: &ConnectionName) -> Result<Vec<String>> {
        let spec = self.engine.inner.spec_arc(name.as_str())?;
        let stored = self.engine.inner.stored(&spec).await?;
        let mut fields: Vec<String> = stored.credentials.fields().map(str::to_owned).collect();
        if stored.tokens.is_some() {
            fields.push("tokens".into());
        }
        Ok(fields)
    }

    /// How many seconds this machine's clock is ahead of the service of `name` (negative:
    /// behind), from the `Date` header of an unauthenticated request; `None` when the service
    /// cannot be reached or sends no date.
    pub async fn clock_skew(&self, name: &ConnectionName) -> Result<Option<i64>> {
        let spec = self.engine.inner.spec_arc(name.as_str())?;
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
        let client = self.engine.inner.client(&spec).await?;
        let Ok(reply) = http::send(client.get(url.clone()), &url).await else {
            return Ok(None);
        };
        let now = self.engine.inner.clock.now();
        let server = reply
            .date
            .as_deref()
            .and_then(|d| httpdate::parse_http_date(d).ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_secs()).ok())
            .map(Timestamp::from_secs);
        Ok(server.map(|s| now.as_secs() - s.as_secs()))
    }

    /// What the secret store is.
    pub fn store_info(&self) -> crate::ports::StoreInfo {
        self.engine.inner.vault.info()
    }

    /// Checks the secret store can be written and read now.
    pub async fn probe_store(&self) -> Result<()> {
        Ok(self.engine.inner.vault.store().probe().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_come_from_the_response_before_the_claims() {
        let mut claims = Map::new();
        claims.insert("scp".into(), serde_json::json!(["read", "write"]));
        assert_eq!(scopes(Some("a b"), Some(&claims)), ["a", "b"]);
        assert_eq!(scopes(None, Some(&claims)), ["read", "write"]);
        claims.insert("scope".into(), serde_json::json!("openid email"));
        assert_eq!(scopes(Some("  "), Some(&claims)), ["openid", "email"]);
        assert!(scopes(None, None).is_empty());
    }

    #[test]
    fn only_json_objects_decode_as_jwt_segments() {
        // {"alg":"none"} and [1]
        assert_eq!(
            decode_segment("eyJhbGciOiJub25lIn0").unwrap()["alg"],
            serde_json::json!("none")
        );
        assert!(decode_segment("WzFd").is_none());
        assert!(decode_segment("not base64!").is_none());
    }
}
