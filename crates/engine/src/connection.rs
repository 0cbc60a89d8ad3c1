//! What a connection is: its name, its provider kind and its non-secret settings. Secrets are
//! never part of a `ConnectionSpec`; they live in the secret store (see `vault`).

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::fields::{self, FieldDef, FieldType};
// The kind and the typed settings belong to the field table that types them; they are
// re-exported here because every connection is made of them.
pub(crate) use crate::fields::{FieldError, ProviderKind, Settings, TypedSettings, Value};

/// A connection's unique name: a slug `[a-z0-9][a-z0-9-]{0,62}` used by the CLI, the config
/// file and the export endpoint.
#[cfg_attr(feature = "specta", derive(specta::Type))]
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

/// A connection's definition: everything but its secrets.
///
/// Its typed settings are parsed on first use and kept (see [`Self::typed`]); the kept copy
/// is no part of its value: equality, `Debug` and serde see the name, kind and settings only,
/// and a clone starts without it (a clone is what gets changed).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionSpec {
    /// The unique name.
    pub name: ConnectionName,
    /// Which flow it runs.
    pub kind: ProviderKind,
    /// Every other non-secret field, flat in the config file.
    #[serde(flatten)]
    pub settings: Settings,
    #[serde(skip)]
    typed: TypedCache,
}

// The kept typed settings are left out on purpose: they are no part of the value.
#[allow(clippy::missing_fields_in_debug)]
impl fmt::Debug for ConnectionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionSpec")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("settings", &self.settings)
            .finish()
    }
}

/// The typed settings of one definition, parsed once. Not part of the spec's value: every
/// cache equals every other, and a clone is empty (a clone may be changed before it is used).
#[derive(Default)]
struct TypedCache {
    parsed: OnceLock<TypedSettings>,
    /// What they were parsed from, to catch a definition changed after its settings were
    /// read (debug builds only; change a clone instead).
    #[cfg(debug_assertions)]
    source: OnceLock<(ProviderKind, Settings)>,
}

impl Clone for TypedCache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl PartialEq for TypedCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for TypedCache {}

impl ConnectionSpec {
    /// A spec with no settings yet.
    pub fn new(name: ConnectionName, kind: ProviderKind) -> Self {
        Self {
            name,
            kind,
            settings: Settings::new(),
            typed: TypedCache::default(),
        }
    }

    /// Checks every field against the kind's definitions: no unknown or secret fields, each
    /// value of the right type and form. Returns every problem, not just the first.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        fields::validate(self.kind, &self.settings)
    }

    /// Validates (as [`Self::validate`]) and makes the typed settings the token flows read.
    pub fn parse(&self) -> Result<TypedSettings, Vec<FieldError>> {
        fields::parse(self.kind, &self.settings)
    }

    /// The typed settings of a validated connection (every connection the engine loads or
    /// saves has passed [`Self::validate`]), parsed on the first call and kept with this
    /// definition. Change `kind` or `settings` of a clone, not of a spec already read.
    pub fn typed(&self) -> &TypedSettings {
        #[cfg(debug_assertions)]
        {
            let source = self
                .typed
                .source
                .get_or_init(|| (self.kind, self.settings.clone()));
            debug_assert!(
                source.0 == self.kind && source.1 == self.settings,
                "the definition of {} changed after its typed settings were read",
                self.name
            );
        }
        self.typed
            .parsed
            .get_or_init(|| fields::typed(self.kind, &self.settings))
    }

    fn reader(&self) -> fields::Reader<'_> {
        fields::Reader {
            kind: self.kind,
            settings: &self.settings,
        }
    }

    /// The text value of `field`, or its default.
    pub fn text(&self, field: &str) -> Option<String> {
        self.reader().text(field)
    }

    /// The boolean value of `field`, or its default (false when it has none).
    pub fn flag(&self, field: &str) -> bool {
        self.reader().flag(field)
    }

    /// The integer value of `field`, or its default.
    pub fn int(&self, field: &str) -> Option<i64> {
        self.reader().int(field)
    }

    /// The URL in `field` (or its default), parsed. Validation has already checked the form.
    pub fn url(&self, field: &str) -> Option<Url> {
        self.reader().url(field)
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

/// The destination fields whose effective value (set, or the default) differs between `old`
/// and `new`: a change of any of them means stored secrets would go somewhere else.
pub fn changed_destinations(old: &ConnectionSpec, new: &ConnectionSpec) -> Vec<&'static FieldDef> {
    if old.kind != new.kind {
        return fields::destination_fields(new.kind).collect();
    }
    fields::destination_fields(new.kind)
        .filter(|d| old.text(d.name) != new.text(d.name))
        .collect()
}

/// A fingerprint (SHA-256, hex) of where `spec` sends its secrets: its name, its kind and the
/// effective value of every destination field. Stored secrets carry the fingerprint of the
/// definition they were saved for and are not used for any other.
pub fn destination_fingerprint(spec: &ConnectionSpec) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(b"tokentray destination v1\n");
    hash.update(format!("name={}\nkind={}\n", spec.name, spec.kind).as_bytes());
    for def in fields::destination_fields(spec.kind) {
        let value = spec.text(def.name).unwrap_or_default();
        // Length-prefixed, so no value can imitate another field.
        hash.update(format!("{}={}:{value}\n", def.name, value.len()).as_bytes());
    }
    crate::paths::hex(&hash.finalize())
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

    #[test]
    fn typed_settings_are_parsed_once_per_definition() {
        let parsed = || crate::fields::typed::PARSED.with(std::cell::Cell::get);
        let mut spec = ConnectionSpec::new(ConnectionName::new("a").unwrap(), ProviderKind::Oauth2);
        spec.settings
            .insert("token_url", Value::Text("https://idp.example/token".into()));
        let before = parsed();
        let first: *const TypedSettings = spec.typed();
        for _ in 0..5 {
            assert!(std::ptr::eq(first, spec.typed()), "the same typed settings");
        }
        assert_eq!(parsed() - before, 1, "parsed once for six reads");
        // The kept copy is no part of the value: a clone equals the original, starts empty
        // (so it may be changed), and serialises the same.
        let mut copy = spec.clone();
        assert_eq!(copy, spec);
        assert_eq!(format!("{copy:?}"), format!("{spec:?}"));
        assert_eq!(
            serde_json::to_string(&copy).unwrap(),
            serde_json::to_string(&spec).unwrap()
        );
        copy.settings.insert("scope", Value::Text("read".into()));
        let crate::fields::KindSettings::Oauth2(s) = &copy.typed().kind else {
            panic!("oauth2 settings")
        };
        assert_eq!(s.scope.as_deref(), Some("read"));
        assert_eq!(parsed() - before, 2, "the clone parsed its own");
        assert_ne!(copy, spec);
    }

    #[test]
    fn the_fingerprint_follows_destinations_only() {
        let mut a = ConnectionSpec::new(ConnectionName::new("a").unwrap(), ProviderKind::Oauth2);
        a.settings
            .insert("token_url", Value::Text("https://idp.example/token".into()));
        let mut cosmetic = a.clone();
        cosmetic.settings.insert("label", Value::Text("A".into()));
        cosmetic
            .settings
            .insert("scope", Value::Text("read".into()));
        assert_eq!(
            destination_fingerprint(&a),
            destination_fingerprint(&cosmetic)
        );
        // A default written out is the same destination.
        let mut explicit = a.clone();
        explicit
            .settings
            .insert("client_auth", Value::Text("basic".into()));
        assert_eq!(
            destination_fingerprint(&a),
            destination_fingerprint(&explicit)
        );
        for (field, value) in [
            (
                "token_url",
                Value::Text("https://other.example/token".into()),
            ),
            ("proxy", Value::Text("http://127.0.0.1:3128".into())),
            ("insecure_skip_verify", Value::Bool(true)),
            ("client_auth", Value::Text("post".into())),
        ] {
            let mut moved = a.clone();
            moved.settings.insert(field, value);
            assert_ne!(
                destination_fingerprint(&a),
                destination_fingerprint(&moved),
                "{field}"
            );
            assert_eq!(changed_destinations(&a, &moved)[0].name, field);
        }
        let other = ConnectionSpec {
            name: ConnectionName::new("b").unwrap(),
            ..a.clone()
        };
        assert_ne!(destination_fingerprint(&a), destination_fingerprint(&other));
    }
}
