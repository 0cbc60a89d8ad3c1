//! What a connection is: its name, its provider kind and its non-secret settings. Secrets are
//! never part of a `ConnectionSpec`; they live in the secret store (see `vault`).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::fields::{self, FieldDef, FieldType};

/// A connection's unique name: a slug `[a-z0-9][a-z0-9-]{0,62}` used by the CLI, the config
/// file and the export endpoint.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConnectionName(String);

/// Why a string is not a valid connection name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a valid connection name: use 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit"
)]
pub struct InvalidName(String);

impl ConnectionName {
    /// Validates and wraps a name.
    pub fn new(name: &str) -> Result<Self, InvalidName> {
        let b = name.as_bytes();
        let ok = !b.is_empty()
            && b.len() <= 63
            && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
        if ok {
            Ok(Self(name.to_owned()))
        } else {
            // Keep the echo short: a name may be a pasted secret by mistake.
            Err(InvalidName(name.chars().take(64).collect()))
        }
    }

    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ConnectionName {
    type Error = InvalidName;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(&s)
    }
}

impl From<ConnectionName> for String {
    fn from(n: ConnectionName) -> Self {
        n.0
    }
}

impl FromStr for ConnectionName {
    type Err = InvalidName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Display for ConnectionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ConnectionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// Which token flow a connection runs.
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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    /// The field's name.
    pub field: String,
    /// What is wrong, in plain words, with what to do.
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
        let value = fields::parse_value(def, raw)?;
        self.0.insert(def.name.to_owned(), value);
        Ok(())
    }
}

/// A connection's definition: everything but its secrets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionSpec {
    /// The unique name.
    pub name: ConnectionName,
    /// Which flow it runs.
    pub kind: ProviderKind,
    /// Every other non-secret field, flat in the config file.
    #[serde(flatten)]
    pub settings: Settings,
}

impl ConnectionSpec {
    /// A spec with no settings yet.
    pub fn new(name: ConnectionName, kind: ProviderKind) -> Self {
        Self {
            name,
            kind,
            settings: Settings::new(),
        }
    }

    /// Checks every field against the kind's definitions: no unknown or secret fields, each
    /// value of the right type and form. Returns every problem, not just the first.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        fields::validate(self.kind, &self.settings)
    }

    /// The text value of `field`, or its default.
    pub fn text(&self, field: &str) -> Option<String> {
        match self.settings.get(field) {
            Some(Value::Text(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
            None => fields::default_for(self.kind, field).map(str::to_owned),
        }
    }

    /// The boolean value of `field`, or its default (false when it has none).
    pub fn flag(&self, field: &str) -> bool {
        match self.settings.get(field) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Text(s)) => s == "true",
            _ => fields::default_for(self.kind, field) == Some("true"),
        }
    }

    /// The integer value of `field`, or its default.
    pub fn int(&self, field: &str) -> Option<i64> {
        match self.settings.get(field) {
            Some(Value::Int(i)) => Some(*i),
            Some(Value::Text(s)) => s.parse().ok(),
            _ => fields::default_for(self.kind, field).and_then(|d| d.parse().ok()),
        }
    }

    /// The URL in `field` (or its default), parsed. Validation has already checked the form.
    pub fn url(&self, field: &str) -> Option<Url> {
        self.text(field).and_then(|s| Url::parse(&s).ok())
    }

    /// The key/value map in `field`, empty when unset.
    pub fn map(&self, field: &str) -> BTreeMap<String, String> {
        match self.settings.get(field) {
            Some(Value::Map(m)) => m.clone(),
            _ => BTreeMap::new(),
        }
    }

    /// The label shown in the UI: the `label` field, or the name.
    pub fn label(&self) -> String {
        self.text("label").unwrap_or_else(|| self.name.to_string())
    }

    /// Whether the export endpoint, `exec` and token files may hand this token out.
    pub fn exportable(&self) -> bool {
        self.flag("export")
    }

    /// The field definition for `field` in this kind.
    pub fn field_def(&self, field: &str) -> Option<&'static FieldDef> {
        fields::find(self.kind, field)
    }

    /// Whether `field` is secret for this kind.
    pub fn is_secret_field(&self, field: &str) -> bool {
        self.field_def(field)
            .is_some_and(|d| d.ty == FieldType::Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_slugs() {
        for ok in ["a", "agol", "my-portal-2", "0abc", &"a".repeat(63)] {
            assert!(ConnectionName::new(ok).is_ok(), "{ok} should be valid");
        }
        for bad in [
            "",
            "-a",
            "A",
            "a_b",
            "a b",
            "../x",
            "a/b",
            "é",
            &"a".repeat(64),
            "a%2Fb",
        ] {
            assert!(ConnectionName::new(bad).is_err(), "{bad} should be invalid");
        }
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in ProviderKind::ALL {
            assert_eq!(k.as_str().parse::<ProviderKind>(), Ok(k));
        }
        assert!("oauth3".parse::<ProviderKind>().is_err());
    }

    #[test]
    fn getters_fall_back_to_field_defaults() {
        let spec = ConnectionSpec::new(
            ConnectionName::new("agol").unwrap(),
            ProviderKind::ArcgisToken,
        );
        assert_eq!(
            spec.text("portal_url").as_deref(),
            Some("https://www.arcgis.com")
        );
        assert_eq!(spec.int("expiration"), Some(60));
        assert!(spec.exportable(), "export defaults to on");
        assert_eq!(spec.label(), "agol");
    }
}
