//! Adding, editing, removing, importing and exporting connections. Secrets are saved before the
//! config names them and deleted before the config forgets them, so a failure in between loses
//! nothing that cannot be typed again.
//!
//! A change of where secrets are sent (any destination field: token/authorize/issuer/portal/
//! auth/identity URLs, proxy, TLS trust, client authentication, the redirect) deletes the
//! connection's stored credentials and tokens: they were given for the old place. `edit` asks
//! for them again (or saves and says which to store again); `import` deletes whatever the
//! secret store holds under an imported name, since it did not write it for that definition.

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
        crate::sink::check(&self.inner.paths, &spec).map_err(|e| Error::InvalidFields {
            errors: vec![token_file_problem(&e)],
        })?;
        self.inner
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
    /// make them wrong (another URL, client or secret); credentials and tokens both when the
    /// change moves where they are sent (see [`Engine::edit_report`]).
    pub async fn edit(&self, name: &str, edit: Edit) -> Result<ConnectionView> {
        self.edit_report(name, edit).await.map(|e| e.view)
    }

    /// Changes settings and secrets of a connection, saying what was dropped. When a
    /// destination field changes (see `FieldDef::destination`), every stored credential and
    /// token of the connection is deleted: only secrets given in this same edit are kept. A
    /// secret the new definition needs and that was not given is an error naming it, unless
    /// `save_without_secrets`, when the edit is saved and the secret listed in `needed`.
    pub async fn edit_report(&self, name: &str, edit: Edit) -> Result<Edited> {
        let old = self.inner.spec(name)?;
        let mut spec = old.clone();
        apply(&mut spec, &edit.set)?;
        check_secrets(&spec, &edit.secrets)?;
        let file_changed = old.text("token_file") != spec.text("token_file");
        if file_changed {
            crate::sink::check(&self.inner.paths, &spec).map_err(|e| Error::InvalidFields {
                errors: vec![token_file_problem(&e)],
            })?;
        }
        let moved: Vec<String> = crate::connection::changed_destinations(&old, &spec)
            .iter()
            .map(|d| d.name.to_owned())
            .collect();
        let slot = self.inner.slot(&spec.name);
        let _gate = slot.gate.lock().await;
        let before = self.inner.stored(&old, &slot).await?;
        let secrets_changed = !edit.secrets.is_empty() || !edit.forget.is_empty();
        let (mut stored, dropped, tokens_dropped) =
            rebuild(before, edit.secrets, &edit.forget, !moved.is_empty());
        let needed = needed_after(
            &spec,
            &stored.credentials,
            &moved,
            edit.save_without_secrets,
        )?;
        let material = secrets_changed
            || !moved.is_empty()
            || edit
                .set
                .iter()
                .any(|(f, _)| !COSMETIC.contains(&f.as_str()));
        if material {
            stored.tokens = None;
        }
        if stored.credentials.is_empty() && stored.tokens.is_none() && !moved.is_empty() {
            self.inner.vault.delete(&spec.name).await?;
        } else {
            self.inner.vault.save(&spec, &stored).await?;
        }
        stored.bound = Some(crate::connection::destination_fingerprint(&spec));
        slot.with_stored(stored);
        self.inner.config.update(|file: &mut ConfigFile| {
            let entry = file
                .get_mut(&spec.name)
                .ok_or_else(|| Error::unknown(spec.name.as_str()))?;
            *entry = spec.clone();
            Ok::<_, Error>(())
        })?;
        self.inner.forget_config_cache();
        if file_changed {
            crate::sink::remove(&self.inner.paths, &old);
        }
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
        Ok(Edited {
            view: self.view(name)?,
            moved,
            dropped,
            tokens_dropped,
            needed,
        })
    }

    /// Removes a connection and deletes its secrets.
    pub async fn remove(&self, name: &str) -> Result<()> {
        let spec = self.inner.spec(name)?;
        let slot = self.inner.slot(&spec.name);
        let _gate = slot.gate.lock().await;
        self.inner.vault.delete(&spec.name).await?;
        crate::sink::remove(&self.inner.paths, &spec);
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
            } else if let Err(e) = crate::sink::check(&self.inner.paths, spec) {
                errors.push(FieldError::new(
                    "token_file",
                    format!("connection {}: {e}", spec.name),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(Error::InvalidFields { errors });
        }
        let config = self.inner.load_config()?;
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
            if self.inner.vault.delete(&spec.name).await? {
                out.cleared.push(spec.name.clone());
            }
            self.inner.drop_slot(&spec.name);
        }
        out.names = incoming
            .connections
            .iter()
            .map(|c| c.name.clone())
            .collect();
        self.inner.config.update(|file: &mut ConfigFile| {
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
        self.inner.forget_config_cache();
        self.inner.set_states_new(&incoming.connections);
        Ok(out)
    }
}

/// What the front ends do together after a person's action, decided here so that every front
/// end does the same.
impl Engine {
    /// After adding `name`: gets its first token at once when it needs nobody to log in
    /// (client credentials, a stored password without 2FA, access codes, a static token), so
    /// that the connection shows it works or what is wrong. `None` when it needs a person
    /// (who logs in when ready). A failure is kept on the connection like any other.
    pub async fn first_login(&self, name: &str) -> Option<Result<ConnectionView>> {
        if !self.logs_in_unattended(name).unwrap_or(false) {
            return None;
        }
        Some(self.login(name, provider::LoginInput::default()).await)
    }

    /// Renews every connection that has tokens (not the signed-out ones) now, as a person's
    /// "refresh all": not held back by the renewal limit that scripts' paths keep. Each
    /// failure stays on its connection; the names that failed are returned with their errors.
    pub async fn refresh_all(&self) -> Result<Vec<(ConnectionName, Error)>> {
        let mut failed = Vec::new();
        for view in self.list()? {
            if view.status == crate::state::Status::SignedOut {
                continue;
            }
            if let Err(error) = self.refresh_now(view.name.as_str()).await {
                failed.push((view.name, error));
            }
        }
        Ok(failed)
    }
}
