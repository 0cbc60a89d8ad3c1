//! What the add/edit wizard sends and starts from: a draft, a change, a saved connection's
//! values. The kinds, their forms and the presets are the engine's (`engine::catalog`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use specta::Type;
use tokentray_engine::{self as engine, ProviderKind};

/// A draft connection from the wizard. Secret values travel once, from the form to the
/// keychain; they are never sent back.
#[derive(Clone, Deserialize, Type)]
pub(crate) struct ConnectionInput {
    pub(crate) name: String,
    pub(crate) kind: ProviderKind,
    /// Non-secret fields as typed; empty values are left out.
    pub(crate) values: BTreeMap<String, String>,
    /// Secret fields as typed; empty values are left out.
    pub(crate) secrets: BTreeMap<String, String>,
}

impl std::fmt::Debug for ConnectionInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionInput")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("values", &self.values)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ConnectionInput {
    /// The non-empty settings, for the engine.
    pub(crate) fn settings(&self) -> Vec<(String, String)> {
        non_empty(&self.values)
    }

    /// The non-empty secrets, for the engine.
    pub(crate) fn credentials(&self) -> engine::Credentials {
        credentials(&self.secrets)
    }

    /// The names of the secret fields filled in.
    pub(crate) fn secret_fields(&self) -> Vec<String> {
        self.secrets
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, _)| k.clone())
            .collect()
    }
}

fn non_empty(values: &BTreeMap<String, String>) -> Vec<(String, String)> {
    values
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.clone(), v.trim().to_owned()))
        .collect()
}

fn credentials(secrets: &BTreeMap<String, String>) -> engine::Credentials {
    let mut creds = engine::Credentials::new();
    for (field, value) in secrets.iter().filter(|(_, v)| !v.is_empty()) {
        creds.set(field.clone(), engine::Secret::new(value.clone()));
    }
    creds
}

/// A change from the edit form.
#[derive(Clone, Deserialize, Type)]
pub(crate) struct ConnectionChange {
    /// Fields to set; an empty value clears one.
    pub(crate) values: BTreeMap<String, String>,
    /// Secrets to store or replace (empty values are left alone).
    pub(crate) secrets: BTreeMap<String, String>,
    /// Secret fields to forget.
    pub(crate) forget: Vec<String>,
}

impl std::fmt::Debug for ConnectionChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionChange")
            .field("values", &self.values)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("forget", &self.forget)
            .finish()
    }
}

impl From<ConnectionChange> for engine::Edit {
    fn from(change: ConnectionChange) -> Self {
        Self {
            set: change
                .values
                .into_iter()
                .map(|(k, v)| (k, v.trim().to_owned()))
                .collect(),
            secrets: credentials(&change.secrets),
            forget: change.forget,
            // The form asks for the secrets a destination change deletes in the same step: a
            // missing one is a problem next to its field, and nothing is saved.
            save_without_secrets: false,
        }
    }
}

/// A saved connection as the edit form starts from: its settings, and the names (never the
/// values) of the secrets stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Type)]
pub(crate) struct EditForm {
    pub(crate) name: String,
    pub(crate) kind: ProviderKind,
    pub(crate) values: BTreeMap<String, String>,
    pub(crate) stored_secrets: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let input = ConnectionInput {
            name: "api".into(),
            kind: ProviderKind::Basic,
            values: BTreeMap::new(),
            secrets: [("password".to_owned(), "canary-3141".to_owned())].into(),
        };
        let shown = format!("{input:?}");
        assert!(shown.contains("password") && !shown.contains("canary-3141"));
        assert_eq!(input.secret_fields(), ["password"]);
    }
}
