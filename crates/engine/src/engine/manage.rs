//! Adding, editing, removing, importing and exporting connections. Secrets are saved before the
//! config names them and deleted before the config forgets them, so a failure in between loses
//! nothing that cannot be typed again.

use super::Engine;
use crate::config::{ConfigError, ConfigFile};
use crate::connection::{ConnectionName, ConnectionSpec, FieldError, ProviderKind};
use crate::error::{Error, Result};
use crate::events::{ConnectionView, EngineEvent};
use crate::fields::{self, FieldType};
use crate::provider;
use crate::secret::Credentials;
use crate::state::ConnectionState;
use crate::vault::Stored;

/// A change to a connection: fields to set (an empty value clears one) and secrets to store.
#[derive(Debug, Default, Clone)]
pub struct Edit {
    /// Non-secret fields as typed (`"60"`, `"true"`, `"a=1,b=2"`).
    pub set: Vec<(String, String)>,
    /// Secret fields to store or replace.
    pub secrets: Credentials,
    /// Secret fields to forget.
    pub forget: Vec<String>,
}

/// Fields whose change does not invalidate tokens already obtained.
const COSMETIC: &[&str] = &[
    "label",
    "keep_fresh",
    "refresh_before",
    "header_name",
    "header_prefix",
    "export",
];

pub(super) fn apply(spec: &mut ConnectionSpec, set: &[(String, String)]) -> Result<()> {
    let mut errors = Vec::new();
    for (field, raw) in set {
        match spec.field_def(field) {
            None => errors.push(FieldError::new(
                field.clone(),
                format!("is not a field of kind {}", spec.kind),
            )),
            Some(def) if def.ty == FieldType::Secret => errors.push(FieldError::new(
                field.clone(),
                "is a secret; pass it as a secret (env var, prompt or flag), not as a setting",
            )),
            Some(def) => {
                if let Err(e) = spec.settings.set_from_str(def, raw) {
                    errors.push(e);
                }
            }
        }
    }
    if let Err(mut more) = spec.validate() {
        errors.append(&mut more);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidFields { errors })
    }
}

pub(super) fn check_secrets(spec: &ConnectionSpec, creds: &Credentials) -> Result<()> {
    for field in creds.fields() {
        if !spec.is_secret_field(field) {
            return Err(Error::InvalidFields {
                errors: vec![FieldError::new(
                    field,
                    format!("is not a secret field of kind {}", spec.kind),
                )],
            });
        }
    }
    Ok(())
}

/// Required fields that are missing, secret or not.
pub(super) fn missing(spec: &ConnectionSpec, creds: &Credentials) -> Vec<FieldError> {
    let mut out = Vec::new();
    for def in fields::all_fields(spec.kind).filter(|d| d.required) {
        let present = if def.is_secret() {
            creds.get(def.name).is_some()
        } else {
            spec.text(def.name).is_some()
        };
        if !present {
            out.push(FieldError::new(
                def.name,
                format!("is required for kind {}", spec.kind),
            ));
        }
    }
    for field in provider::for_kind(spec.kind).required_secrets(spec) {
        if creds.get(field).is_none() && !out.iter().any(|e| e.field == field) {
            out.push(FieldError::new(field, "is required with these settings"));
        }
    }
    out
}

impl Engine {
    /// Adds a connection with its settings and secrets. Nothing is written when anything is
    /// invalid or missing.
    pub async fn add(
        &self,
        name: &str,
        kind: ProviderKind,
        set: &[(String, String)],
        secrets: Credentials,
    ) -> Result<ConnectionView> {
        let name = ConnectionName::new(name)?;
        let mut spec = ConnectionSpec::new(name.clone(), kind);
        apply(&mut spec, set)?;
        check_secrets(&spec, &secrets)?;
        let errors = missing(&spec, &secrets);
        if !errors.is_empty() {
            return Err(Error::InvalidFields { errors });
        }
        if self.inner.load_config()?.get(&name).is_some() {
            return Err(Error::AlreadyExists { name });
        }
        self.inner
            .vault
            .save(
                &name,
                &Stored {
                    credentials: secrets,
                    tokens: None,
                },
            )
            .await?;
        let added = self.inner.config.update(|file: &mut ConfigFile| {
            if file.get(&name).is_some() {
                return Err(Error::AlreadyExists { name: name.clone() });
            }
            file.connections.push(spec.clone());
            Ok(())
        });
        self.inner.forget_config_cache();
        if let Err(e) = added {
            let _ = self.inner.vault.delete(&name).await;
            return Err(e);
        }
        self.inner.drop_slot(&name);
        let slot = self.inner.slot(&name);
        let state = ConnectionState {
            store: Some(self.inner.vault.info().kind),
            ..ConnectionState::default()
        };
        self.inner.set_state(&spec, &slot, &state);
        self.view(name.as_str())
    }

    /// Changes settings and secrets of a connection. Tokens are forgotten when a change could
    /// make them wrong (another URL, client or secret).
    pub async fn edit(&self, name: &str, edit: Edit) -> Result<ConnectionView> {
        let old = self.inner.spec(name)?;
        let mut spec = old.clone();
        apply(&mut spec, &edit.set)?;
        check_secrets(&spec, &edit.secrets)?;
        let slot = self.inner.slot(&spec.name);
        let _gate = slot.gate.lock().await;
        let mut stored = self.inner.stored(&spec, &slot).await?;
        let secrets_changed = !edit.secrets.is_empty() || !edit.forget.is_empty();
        stored.credentials.merge(edit.secrets);
        for f in &edit.forget {
            stored.credentials.remove(f);
        }
        let errors = missing(&spec, &stored.credentials);
        if !errors.is_empty() {
            return Err(Error::InvalidFields { errors });
        }
        let material = secrets_changed
            || edit
                .set
                .iter()
                .any(|(f, _)| !COSMETIC.contains(&f.as_str()));
        if material {
            stored.tokens = None;
        }
        self.inner.vault.save(&spec.name, &stored).await?;
        slot.with_stored(stored);
        self.inner.config.update(|file: &mut ConfigFile| {
            let entry = file
                .get_mut(&spec.name)
                .ok_or_else(|| Error::unknown(spec.name.as_str()))?;
            *entry = spec.clone();
            Ok::<_, Error>(())
        })?;
        self.inner.forget_config_cache();
        if material {
            self.inner.unschedule(&spec.name);
            let state = ConnectionState {
                store: Some(self.inner.vault.info().kind),
                ..ConnectionState::default()
            };
            self.inner.set_state(&spec, &slot, &state);
        } else {
            let state = self.inner.current_state(&spec.name);
            self.inner.set_state(&spec, &slot, &state);
        }
        self.view(name)
    }

    /// Removes a connection and deletes its secrets.
    pub async fn remove(&self, name: &str) -> Result<()> {
        let spec = self.inner.spec(name)?;
        let slot = self.inner.slot(&spec.name);
        let _gate = slot.gate.lock().await;
        self.inner.vault.delete(&spec.name).await?;
        crate::sink::remove(&spec);
        self.inner.config.update(|file: &mut ConfigFile| {
            file.connections.retain(|c| c.name != spec.name);
            Ok::<_, ConfigError>(())
        })?;
        self.inner.forget_config_cache();
        self.inner.unschedule(&spec.name);
        if let Err(e) = self.inner.state.put(&spec.name, None) {
            tracing::warn!(connection = %spec.name, error = %e, "could not update the state file");
        }
        self.inner.drop_slot(&spec.name);
        let _ = self.inner.events.send(EngineEvent::Removed {
            name: spec.name.clone(),
        });
        Ok(())
    }

    /// The definitions of `names` (all when empty) as a TOML document without secrets.
    pub fn export_definitions(&self, names: &[String]) -> Result<String> {
        let config = self.inner.load_config()?;
        let mut out = ConfigFile::default();
        if names.is_empty() {
            out.connections.clone_from(&config.connections);
        } else {
            for n in names {
                out.connections.push(self.inner.spec(n)?);
            }
        }
        Ok(out.to_toml())
    }

    /// Adds the definitions in a TOML document (as written by `export_definitions`). All or
    /// nothing: a name that exists already or an invalid definition stops the import.
    pub fn import_definitions(&self, text: &str) -> Result<Vec<ConnectionName>> {
        let incoming = ConfigFile::parse(text).map_err(|detail| Error::InvalidFields {
            errors: vec![FieldError::new("import", detail)],
        })?;
        let names: Vec<ConnectionName> = incoming
            .connections
            .iter()
            .map(|c| c.name.clone())
            .collect();
        self.inner.config.update(|file: &mut ConfigFile| {
            for spec in &incoming.connections {
                if file.get(&spec.name).is_some() {
                    return Err(Error::AlreadyExists {
                        name: spec.name.clone(),
                    });
                }
            }
            file.connections
                .extend(incoming.connections.iter().cloned());
            Ok(())
        })?;
        self.inner.forget_config_cache();
        for spec in &incoming.connections {
            let slot = self.inner.slot(&spec.name);
            self.inner
                .set_state(spec, &slot, &ConnectionState::default());
        }
        Ok(names)
    }
}
