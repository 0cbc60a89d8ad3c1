//! Adding, editing, removing, importing and exporting connections. Secrets are saved before the
//! config names them and deleted before the config forgets them, so a failure in between loses
//! nothing that cannot be typed again.
//!
//! A change of where secrets are sent (any destination field: token/authorize/issuer/portal/
//! auth/identity URLs, proxy, TLS trust, client authentication, the redirect) deletes the
//! connection's stored credentials and tokens: they were given for the old place. `edit` asks
//! for them again (or saves and says which to store again); `import` deletes whatever the
//! secret store holds under an imported name, since it did not write it for that definition.

use std::sync::Arc;

use super::Engine;
use super::runtime::Rebuilt;
use crate::config::{ConfigError, ConfigFile};
use crate::connection::{ConnectionName, ConnectionSpec, FieldError, ProviderKind};
use crate::error::{Error, Result};
use crate::events::{ConnectionView, EngineEvent};
use crate::fields::{self, FieldType};
use crate::ports::StoreKind;
use crate::provider;
use crate::secret::Credentials;
use crate::state::ConnectionState;
use crate::vault::Stored;

/// Where versions before the per-start key kept the export key.
const LEGACY_EXPORT_KEY: &str = "_export-key";

/// Adding, editing, removing, importing and exporting connections ([`Engine::manage`]).
#[derive(Clone, Copy)]
pub struct Manage<'a> {
    pub(super) engine: &'a Engine,
}

/// A change to a connection: fields to set (an empty value clears one) and secrets to store.
#[derive(Debug, Default, Clone)]
pub struct Edit {
    /// Non-secret fields as typed (`"60"`, `"true"`, `"a=1,b=2"`).
    pub set: Vec<(String, String)>,
    /// Secret fields to store or replace.
    pub secrets: Credentials,
    /// Secret fields to forget.
    pub forget: Vec<String>,
    /// When the change moves where secrets are sent and a secret the connection needs is not
    /// given again: save anyway (the old secrets are deleted; [`Edited::needed`] says what to
    /// store again) instead of refusing. The CLI sets it; the app's form asks in the same step.
    pub save_without_secrets: bool,
}

/// What an edit did.
#[derive(Debug, Clone)]
pub struct Edited {
    /// The connection as it is now.
    pub view: ConnectionView,
    /// The destination fields that changed (names), empty when none did.
    pub moved: Vec<String>,
    /// Stored secret fields deleted because the destination changed (and not given again).
    pub dropped: Vec<String>,
    /// Whether stored tokens (a refresh token among them) were deleted because the destination
    /// changed.
    pub tokens_dropped: bool,
    /// Secret fields the connection needs and does not have now.
    pub needed: Vec<String>,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    /// The connections added.
    pub names: Vec<ConnectionName>,
    /// The token files the imported definitions name (connection, setting).
    pub token_files: Vec<(ConnectionName, String)>,
    /// Whether those token files were kept; otherwise they were left out of the definitions.
    pub token_files_kept: bool,
    /// Imported names under which the secret store held something (left by an earlier
    /// connection of that name): deleted, never adopted.
    pub cleared: Vec<ConnectionName>,
}

/// The labels of `fields` of `kind`, for messages.
fn labels(kind: ProviderKind, names: &[String]) -> String {
    let words: Vec<String> = names
        .iter()
        .map(|n| fields::find(kind, n).map_or_else(|| n.clone(), |d| d.label.to_owned()))
        .collect();
    words.join(", ")
}

/// What is stored after an edit, from what was stored `before`: the edit's secrets merged in
/// and `forget` removed; or, when the edit `moved` the destination, only the edit's secrets
/// (what was given for the old place goes nowhere else). Also the secret fields dropped by a
/// move and whether tokens were.
fn rebuild(
    before: Stored,
    secrets: Credentials,
    forget: &[String],
    moved: bool,
) -> (Stored, Vec<String>, bool) {
    if !moved {
        let mut stored = before;
        stored.credentials.merge(secrets);
        for f in forget {
            stored.credentials.remove(f);
        }
        return (stored, Vec::new(), false);
    }
    let dropped: Vec<String> = before
        .credentials
        .fields()
        .filter(|f| secrets.get(f).is_none())
        .map(str::to_owned)
        .collect();
    let stored = Stored {
        credentials: secrets,
        tokens: None,
        bound: None,
    };
    (stored, dropped, before.tokens.is_some())
}

/// The secrets `spec` still needs with `creds` after an edit that `moved` these destination
/// fields. Missing ones are an error (each saying why it must be entered again), except after a
/// move with `save_without_secrets`, where they are returned to be reported.
fn needed_after(
    spec: &ConnectionSpec,
    creds: &Credentials,
    moved: &[String],
    save_without_secrets: bool,
) -> Result<Vec<String>> {
    let mut errors = missing(spec, creds);
    let mut needed = Vec::new();
    if !moved.is_empty() {
        let what = labels(spec.kind, moved);
        errors.retain(|e| {
            if !spec.is_secret_field(&e.field) {
                return true;
            }
            needed.push(e.field.clone());
            !save_without_secrets
        });
        for e in &mut errors {
            if spec.is_secret_field(&e.field) {
                e.reason = format!(
                    "must be entered again: {what} changed, and Tokentray never sends a stored secret to a new address"
                );
            }
        }
    }
    if errors.is_empty() {
        Ok(needed)
    } else {
        Err(Error::InvalidFields { errors })
    }
}

/// A problem with the token file setting, as a field error.
fn token_file_problem(e: &crate::sink::TokenFileError) -> FieldError {
    FieldError::new("token_file", e.to_string())
}

/// What is stored after `edit` of `spec` (whose destination fields `moved`), from what was
/// stored `before`; a secret the connection then needs and lacks is an error (see
/// [`needed_after`]).
fn rebuild_for_edit(
    spec: &ConnectionSpec,
    before: Stored,
    edit: Edit,
    moved: &[String],
) -> Result<(Stored, Rebuilt)> {
    let secrets_changed = !edit.secrets.is_empty() || !edit.forget.is_empty();
    let material = secrets_changed
        || !moved.is_empty()
        || edit
            .set
            .iter()
            .any(|(f, _)| !COSMETIC.contains(&f.as_str()));
    let (mut stored, dropped, tokens_dropped) =
        rebuild(before, edit.secrets, &edit.forget, !moved.is_empty());
    let needed = needed_after(spec, &stored.credentials, moved, edit.save_without_secrets)?;
    if material {
        stored.tokens = None;
    }
    let delete = stored.credentials.is_empty() && stored.tokens.is_none() && !moved.is_empty();
    Ok((
        stored,
        Rebuilt {
            dropped,
            tokens_dropped,
            needed,
            material,
            delete,
        },
    ))
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
                } else if def.name == "token_file"
                    && let Some(file) = spec.text("token_file")
                    && let Err(e) = fields::check_token_file(&file)
                {
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
    for field in provider::with(spec, |p| p.required_secrets()) {
        if creds.get(field).is_none() && !out.iter().any(|e| e.field == field) {
            out.push(FieldError::new(field, "is required with these settings"));
        }
    }
    out
}

impl Manage<'_> {
    /// Adds a connection with its settings and secrets. Nothing is written when anything is
    /// invalid or missing.
    pub async fn add(
        &self,
        name: &ConnectionName,
        kind: ProviderKind,
        set: &[(String, String)],
        secrets: Credentials,
    ) -> Result<ConnectionView> {
        let name = name.clone();
        let mut spec = ConnectionSpec::new(name.clone(), kind);
        apply(&mut spec, set)?;
        check_secrets(&spec, &secrets)?;
        let errors = missing(&spec, &secrets);
        if !errors.is_empty() {
            return Err(Error::InvalidFields { errors });
        }
        if self.engine.inner.load_config()?.get(&name).is_some() {
            return Err(Error::AlreadyExists { name });
        }
        crate::sink::check(&self.engine.inner.paths, &spec).map_err(|e| Error::InvalidFields {
            errors: vec![token_file_problem(&e)],
        })?;
        self.engine
            .inner
            .vault
            .save(
                &spec,
                &Stored {
                    credentials: secrets,
                    tokens: None,
                    bound: None,
                },
            )
            .await?;
        let added = self.engine.inner.config.update(|file: &mut ConfigFile| {
            if file.get(&name).is_some() {
                return Err(Error::AlreadyExists { name: name.clone() });
            }
            file.connections.push(spec.clone());
            Ok(())
        });
        self.engine.inner.forget_config_cache();
        if let Err(e) = added {
            let _ = self.engine.inner.vault.delete(&name).await;
            return Err(e);
        }
        let state = ConnectionState {
            store: Some(self.engine.inner.vault.info().kind),
            ..ConnectionState::default()
        };
        self.engine.inner.put_new_states(&[spec], &state);
        self.engine.view(&name)
    }

    /// Changes settings and secrets of a connection. Tokens are forgotten when a change could
    /// make them wrong (another URL, client or secret); credentials and tokens both when the
    /// change moves where they are sent (see [`Manage::edit_report`]).
    pub async fn edit(&self, name: &ConnectionName, edit: Edit) -> Result<ConnectionView> {
        self.edit_report(name, edit).await.map(|e| e.view)
    }

    /// Changes settings and secrets of a connection, saying what was dropped. When a
    /// destination field changes (see `FieldDef::destination`), every stored credential and
    /// token of the connection is deleted: only secrets given in this same edit are kept. A
    /// secret the new definition needs and that was not given is an error naming it, unless
    /// `save_without_secrets`, when the edit is saved and the secret listed in `needed`.
    pub async fn edit_report(&self, name: &ConnectionName, edit: Edit) -> Result<Edited> {
        let old = self.engine.inner.spec_arc(name.as_str())?;
        let mut spec = ConnectionSpec::clone(&old);
        apply(&mut spec, &edit.set)?;
        check_secrets(&spec, &edit.secrets)?;
        let spec = Arc::new(spec);
        let file_changed = old.text("token_file") != spec.text("token_file");
        if file_changed {
            crate::sink::check(&self.engine.inner.paths, &spec).map_err(|e| {
                Error::InvalidFields {
                    errors: vec![token_file_problem(&e)],
                }
            })?;
        }
        let moved: Vec<String> = crate::connection::changed_destinations(&old, &spec)
            .iter()
            .map(|d| d.name.to_owned())
            .collect();
        let change = {
            let (spec, moved) = (spec.clone(), moved.clone());
            Box::new(move |before| rebuild_for_edit(&spec, before, edit, &moved))
        };
        let commit = {
            let (inner, old, spec) = (self.engine.inner.clone(), old.clone(), spec.clone());
            Box::new(move || {
                inner.config.update(|file: &mut ConfigFile| {
                    let entry = file
                        .get_mut(&spec.name)
                        .ok_or_else(|| Error::unknown(spec.name.as_str()))?;
                    *entry = ConnectionSpec::clone(&spec);
                    Ok::<_, Error>(())
                })?;
                inner.forget_config_cache();
                if file_changed {
                    crate::sink::remove(&inner.paths, &old);
                }
                Ok(())
            })
        };
        let rebuilt = self
            .engine
            .inner
            .edit_owned(old, &spec, change, commit)
            .await?;
        Ok(Edited {
            view: self.engine.view(name)?,
            moved,
            dropped: rebuilt.dropped,
            tokens_dropped: rebuilt.tokens_dropped,
            needed: rebuilt.needed,
        })
    }

    /// Removes a connection and deletes its secrets.
    pub async fn remove(&self, name: &ConnectionName) -> Result<()> {
        let spec = self.engine.inner.spec_arc(name.as_str())?;
        let commit = {
            let (inner, name) = (self.engine.inner.clone(), spec.name.clone());
            Box::new(move || {
                inner.config.update(|file: &mut ConfigFile| {
                    file.connections.retain(|c| c.name != name);
                    Ok::<_, ConfigError>(())
                })?;
                inner.forget_config_cache();
                Ok(())
            })
        };
        self.engine.inner.remove_owned(&spec, commit).await?;
        let _ = self.engine.inner.events.send(EngineEvent::Removed {
            name: spec.name.clone(),
        });
        Ok(())
    }

    /// The definitions of `names` (all when empty) as a TOML document without secrets.
    pub fn export_definitions(&self, names: &[ConnectionName]) -> Result<String> {
        let config = self.engine.inner.load_config()?;
        let mut out = ConfigFile::default();
        if names.is_empty() {
            out.connections.clone_from(&config.connections);
        } else {
            for n in names {
                out.connections.push(self.engine.inner.spec(n.as_str())?);
            }
        }
        Ok(out.to_toml())
    }

    /// Adds the definitions in a TOML document (as written by `export_definitions`). All or
    /// nothing: a name that exists already or an invalid definition stops the import.
    ///
    /// Whatever the secret store holds under an imported name is deleted first: it was not
    /// written for the imported definition (a leftover of an earlier connection of that name),
    /// and adopting it could send it to wherever the import points. Token files are kept only
    /// with `with_token_files`; otherwise they are left out and listed in the outcome.
    pub async fn import(&self, text: &str, with_token_files: bool) -> Result<Imported> {
        let mut incoming = ConfigFile::parse(text).map_err(|detail| Error::InvalidFields {
            errors: vec![FieldError::new("import", detail)],
        })?;
        let mut out = Imported {
            token_files_kept: with_token_files,
            ..Imported::default()
        };
        let mut errors = Vec::new();
        for spec in &mut incoming.connections {
            let Some(file) = spec.text("token_file") else {
                continue;
            };
            out.token_files.push((spec.name.clone(), file.clone()));
            if !with_token_files {
                spec.settings.remove("token_file");
                continue;
            }
            if let Err(e) = fields::check_token_file(&file) {
                errors.push(FieldError::new(
                    "token_file",
                    format!("connection {}: {}", spec.name, e.reason),
                ));
            } else if let Err(e) = crate::sink::check(&self.engine.inner.paths, spec) {
                errors.push(FieldError::new(
                    "token_file",
                    format!("connection {}: {e}", spec.name),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(Error::InvalidFields { errors });
        }
        let config = self.engine.inner.load_config()?;
        let existing: std::collections::HashSet<&ConnectionName> =
            config.connections.iter().map(|c| &c.name).collect();
        if let Some(spec) = incoming
            .connections
            .iter()
            .find(|s| existing.contains(&s.name))
        {
            return Err(Error::AlreadyExists {
                name: spec.name.clone(),
            });
        }
        for spec in &incoming.connections {
            if self.engine.inner.vault.delete(&spec.name).await? {
                out.cleared.push(spec.name.clone());
            }
        }
        out.names = incoming
            .connections
            .iter()
            .map(|c| c.name.clone())
            .collect();
        self.engine.inner.config.update(|file: &mut ConfigFile| {
            // Again under the lock: another process may have added one meanwhile.
            let existing: std::collections::HashSet<&ConnectionName> =
                file.connections.iter().map(|c| &c.name).collect();
            if let Some(spec) = incoming
                .connections
                .iter()
                .find(|s| existing.contains(&s.name))
            {
                return Err(Error::AlreadyExists {
                    name: spec.name.clone(),
                });
            }
            file.connections
                .extend(incoming.connections.iter().cloned());
            Ok(())
        })?;
        self.engine.inner.forget_config_cache();
        self.engine
            .inner
            .put_new_states(&incoming.connections, &ConnectionState::default());
        Ok(out)
    }

    /// Deletes the export key earlier versions kept in the secret store for good (under a
    /// reserved name no connection can have); `true` when there was one.
    pub async fn forget_legacy_export_key(&self) -> Result<bool> {
        Ok(self
            .engine
            .inner
            .vault
            .store()
            .delete(LEGACY_EXPORT_KEY)
            .await?)
    }

    /// Chooses where secrets live from now on (an explicit, visible choice). Takes effect for
    /// engines built after it.
    pub fn set_secret_store(&self, kind: StoreKind) -> Result<()> {
        self.engine.inner.config.update(|file: &mut ConfigFile| {
            file.app.secret_store = (kind != StoreKind::Keychain).then_some(kind);
            Ok::<_, Error>(())
        })?;
        self.engine.inner.forget_config_cache();
        Ok(())
    }
}
