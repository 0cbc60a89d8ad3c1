//! The values the field table types: a connection's provider kind, its typed settings and the
//! error a bad value gets.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::FieldDef;

/// Which token flow a connection runs.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    /// ArcGIS Online / Enterprise `generateToken` with username and password.
    ArcgisToken,
    /// ArcGIS OAuth 2.0, user (authorization code) or app (client credentials) login.
    ArcgisOauth,
    /// ITk Production Database access codes (uuIdentity `grantToken`).
    Itkpd,
    /// Copernicus Data Space Ecosystem (Keycloak).
    Cdse,
    /// Any OAuth 2.0 / OpenID Connect service.
    Oauth2,
    /// HTTP Basic.
    Basic,
    /// A token obtained elsewhere.
    Static,
}

impl ProviderKind {
    /// Every kind, in the order the UI lists them.
    pub const ALL: [ProviderKind; 7] = [
        Self::ArcgisToken,
        Self::ArcgisOauth,
        Self::Itkpd,
        Self::Cdse,
        Self::Oauth2,
        Self::Basic,
        Self::Static,
    ];

    /// The kind's name in config files and on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ArcgisToken => "arcgis-token",
            Self::ArcgisOauth => "arcgis-oauth",
            Self::Itkpd => "itkpd",
            Self::Cdse => "cdse",
            Self::Oauth2 => "oauth2",
            Self::Basic => "basic",
            Self::Static => "static",
        }
    }

    /// A short human description.
    pub const fn title(self) -> &'static str {
        match self {
            Self::ArcgisToken => "ArcGIS token (username and password)",
            Self::ArcgisOauth => "ArcGIS OAuth 2.0",
            Self::Itkpd => "ITk Production Database",
            Self::Cdse => "Copernicus Data Space (Keycloak)",
            Self::Oauth2 => "OAuth 2.0 / OpenID Connect",
            Self::Basic => "HTTP Basic",
            Self::Static => "Static token or API key",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string names no provider kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown kind {0:?}: choose one of arcgis-token, arcgis-oauth, itkpd, cdse, oauth2, basic, static"
)]
pub struct UnknownKind(String);

impl FromStr for ProviderKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.chars().take(40).collect()))
    }
}

/// One non-secret setting value as it appears in `connections.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// `true` / `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// Text, URLs, paths, choices.
    Text(String),
    /// `key = "value"` pairs (extra OAuth parameters).
    Map(BTreeMap<String, String>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool(b) => write!(f, "{b}"),
            Self::Int(i) => write!(f, "{i}"),
            Self::Text(s) => f.write_str(s),
            Self::Map(m) => {
                let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
                f.write_str(&parts.join(","))
            }
        }
    }
}

/// A problem with one field of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[error("{field}: {reason}")]
pub struct FieldError {
    /// The field's name (`name` for the connection's name).
    pub field: String,
    /// What is wrong, in plain words, with what to do.
    #[serde(rename = "message")]
    pub reason: String,
}

impl FieldError {
    pub(crate) fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// The non-secret settings of a connection, keyed by field name. Only fields the kind defines
/// are allowed, and each with its field's type (see `fields`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Settings(BTreeMap<String, Value>);

impl Settings {
    /// No settings.
    pub fn new() -> Self {
        Self::default()
    }

    /// The raw value stored for `field`.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.0.get(field)
    }

    /// Sets `field` to `value` without validation (see `ConnectionSpec::validate`).
    pub fn insert(&mut self, field: impl Into<String>, value: Value) {
        self.0.insert(field.into(), value);
    }

    /// Removes `field`.
    pub fn remove(&mut self, field: &str) -> Option<Value> {
        self.0.remove(field)
    }

    /// Iterates over the stored (field, value) pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Parses `raw` (as typed on the command line or in a form) by the type of `def` and stores
    /// it. An empty string removes the field.
    pub fn set_from_str(&mut self, def: &FieldDef, raw: &str) -> Result<(), FieldError> {
        let raw = raw.trim();
        if raw.is_empty() {
            self.0.remove(def.name);
            return Ok(());
        }
        let value = super::parse_value(def, raw)?;
        self.0.insert(def.name.to_owned(), value);
        Ok(())
    }
}
